// The message box: Enter sends, Shift+Enter starts a new line (and so does Enter while
// an input method is composing, which needs Enter to confirm its text). Typing `@` after
// a space opens a list of the room's members: arrows move, Enter or Tab picks, Escape
// closes. The textarea stays focused throughout; the list is announced through
// aria-activedescendant, as a listbox. Files join the message by the Attach button,
// by pasting (a screenshot) or by dropping them on the box; they are listed above the
// Send button until sent, each with a button to take it off.

import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { User } from '../types';

const MAX_CHARS = 4000; // docs/api.md: content is 1..4000 code points
const MENTION = /(^|\s)@([A-Za-z0-9_-]*)$/;

interface Props {
  label: string;
  /** `files` is empty for a plain message. */
  onSend: (text: string, files: File[]) => void;
  onTyping: () => void;
  /** The people `@` completes (the room's members). */
  members?: () => Promise<User[]>;
}

interface Completion { start: number; end: number; options: User[]; active: number }

let ids = 0;

export function Composer({ label, onSend, onTyping, members }: Props) {
  const [text, setText] = useState('');
  const [menu, setMenu] = useState<Completion | null>(null);
  const [files, setFiles] = useState<File[]>([]);
  const [dragging, setDragging] = useState(false);
  const box = useRef<HTMLTextAreaElement>(null);
  const picker = useRef<HTMLInputElement>(null);
  const listId = useRef(`mentions-${++ids}`).current;
  // Bumped by every keystroke's lookup and by whatever closes the list (Escape, a pick, a
  // send): only the latest lookup may open it, so one still in flight when Escape was
  // pressed cannot bring the list back under the next Enter.
  const lookup = useRef(0);
  const length = [...text.trim()].length;
  const tooLong = length > MAX_CHARS;
  // Opening a channel puts the cursor in its composer (`autofocus` only works on load).
  useLayoutEffect(() => box.current?.focus(), []);

  const addFiles = (list: FileList | null | undefined) => {
    const more = list ? [...list] : [];
    if (more.length) setFiles((fs) => [...fs, ...more]);
  };

  const send = () => {
    const content = text.trim();
    if ((!content && files.length === 0) || tooLong) return;
    onSend(content, files);
    setText('');
    setFiles([]);
    lookup.current++;
    setMenu(null);
    box.current?.focus();
  };

  /** Looks at the word before the caret; opens, narrows or closes the list. */
  const complete = (value: string, caret: number) => {
    const mine = ++lookup.current;
    const m = MENTION.exec(value.slice(0, caret));
    if (!m || !members) { setMenu(null); return; }
    const prefix = m[2]!.toLowerCase();
    const start = caret - prefix.length - 1;
    void members().then((all) => {
      // The box may have moved on while the members were asked for, or the list been
      // closed.
      const el = box.current;
      if (mine !== lookup.current) return;
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
    lookup.current++;
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
        lookup.current++;
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
    <form class={`composer${dragging ? ' dragging' : ''}`} onSubmit={(e) => { e.preventDefault(); send(); }}
          onDragOver={(e) => { if (e.dataTransfer?.types.includes('Files')) { e.preventDefault(); setDragging(true); } }}
          onDragLeave={() => setDragging(false)}
          onDrop={(e) => { e.preventDefault(); setDragging(false); addFiles(e.dataTransfer?.files); }}>
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
                  onPaste={(e) => {
                    // A pasted screenshot arrives as a file; pasted text goes on as text.
                    if (e.clipboardData?.files.length) { e.preventDefault(); addFiles(e.clipboardData.files); }
                  }}
                  onKeyDown={onKeyDown} />
      </div>
      {files.length > 0 && (
        <ul class="chosen-files" aria-label="Files to send">
          {files.map((f, i) => (
            <li key={`${f.name}-${i}`}>
              {f.name}
              <button type="button" aria-label={`Remove ${f.name}`}
                      onClick={() => setFiles((fs) => fs.filter((_, j) => j !== i))}>×</button>
            </li>
          ))}
        </ul>
      )}
      <input ref={picker} type="file" multiple hidden aria-hidden="true" tabIndex={-1} data-testid="attach-input"
             onChange={(e) => { addFiles(e.currentTarget.files); e.currentTarget.value = ''; }} />
      <button type="button" class="attach" aria-label="Attach files" onClick={() => picker.current?.click()}>Attach</button>
      {tooLong && <span class="error" role="alert">{length - MAX_CHARS} characters over the limit</span>}
      <button type="submit" disabled={(!text.trim() && files.length === 0) || tooLong}>Send</button>
    </form>
  );
}
