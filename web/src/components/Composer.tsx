// The message box: Enter sends, Shift+Enter starts a new line (and so does Enter while
// an input method is composing, which needs Enter to confirm its text). Typing `@` after
// a space opens a list of the room's members: arrows move, Enter or Tab picks, Escape
// closes. The textarea stays focused throughout; the list is announced through
// aria-activedescendant, as a listbox.

import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { User } from '../types';

const MAX_CHARS = 4000; // docs/api.md: content is 1..4000 code points
const MENTION = /(^|\s)@([A-Za-z0-9_-]*)$/;

interface Props {
  label: string;
  onSend: (text: string) => void;
  onTyping: () => void;
  /** The people `@` completes (the room's members). */
  members?: () => Promise<User[]>;
}

interface Completion { start: number; end: number; options: User[]; active: number }

let ids = 0;

export function Composer({ label, onSend, onTyping, members }: Props) {
  const [text, setText] = useState('');
  const [menu, setMenu] = useState<Completion | null>(null);
  const box = useRef<HTMLTextAreaElement>(null);
  const listId = useRef(`mentions-${++ids}`).current;
  const length = [...text.trim()].length;
  const tooLong = length > MAX_CHARS;
  // Opening a channel puts the cursor in its composer (`autofocus` only works on load).
  useLayoutEffect(() => box.current?.focus(), []);

  const send = () => {
    const content = text.trim();
    if (!content || tooLong) return;
    onSend(content);
    setText('');
    setMenu(null);
    box.current?.focus();
  };

  /** Looks at the word before the caret; opens, narrows or closes the list. */
  const complete = (value: string, caret: number) => {
    const m = MENTION.exec(value.slice(0, caret));
    if (!m || !members) { setMenu(null); return; }
    const prefix = m[2]!.toLowerCase();
    const start = caret - prefix.length - 1;
    void members().then((all) => {
      // The box may have moved on while the members were asked for.
      const el = box.current;
      if (!el || el.value.slice(0, el.selectionStart) !== value.slice(0, caret)) return;
      const options = all
        .filter((u) => u.login.toLowerCase().startsWith(prefix) || (u.name ?? '').toLowerCase().startsWith(prefix))
        .sort((a, b) => a.login.localeCompare(b.login))
        .slice(0, 8);
      setMenu(options.length ? { start, end: caret, options, active: 0 } : null);
    });
  };

  const pick = (u: User) => {
    if (!menu) return;
    const inserted = `@${u.login} `;
    const next = text.slice(0, menu.start) + inserted + text.slice(menu.end);
    const caret = menu.start + inserted.length;
    setText(next);
    setMenu(null);
    requestAnimationFrame(() => box.current?.setSelectionRange(caret, caret));
  };

  const onKeyDown = (e: KeyboardEvent) => {
    if (menu) {
      const n = menu.options.length;
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        setMenu({ ...menu, active: (menu.active + (e.key === 'ArrowDown' ? 1 : n - 1)) % n });
        return;
      }
      if ((e.key === 'Enter' || e.key === 'Tab') && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        pick(menu.options[menu.active]!);
        return;
      }
      if (e.key === 'Escape') {
        e.preventDefault();
        setMenu(null);
        return;
      }
    }
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      send();
    }
  };

  const optionId = (i: number) => `${listId}-${i}`;
  return (
    <form class="composer" onSubmit={(e) => { e.preventDefault(); send(); }}>
      <div class="composer-box">
        {menu && (
          <ul id={listId} role="listbox" class="mentions" aria-label="Members">
            {menu.options.map((u, i) => (
              <li key={u.id} id={optionId(i)} role="option" aria-selected={i === menu.active}
                  onMouseDown={(e) => { e.preventDefault(); pick(u); }}>
                <strong>@{u.login}</strong>{u.name && u.name !== u.login ? <span class="hint"> {u.name}</span> : null}
              </li>
            ))}
          </ul>
        )}
        <textarea ref={box} aria-label={label} placeholder={label} rows={Math.min(8, text.split('\n').length)}
                  value={text} aria-invalid={tooLong} aria-autocomplete="list"
                  aria-controls={menu ? listId : undefined}
                  aria-activedescendant={menu ? optionId(menu.active) : undefined}
                  onInput={(e) => {
                    const el = e.currentTarget;
                    setText(el.value);
                    if (el.value) onTyping();
                    complete(el.value, el.selectionStart);
                  }}
                  onBlur={() => setMenu(null)}
                  onKeyDown={onKeyDown} />
      </div>
      {tooLong && <span class="error" role="alert">{length - MAX_CHARS} characters over the limit</span>}
      <button type="submit" disabled={!text.trim() || tooLong}>Send</button>
    </form>
  );
}
