// The message box: Enter sends, Shift+Enter starts a new line (and so does Enter while
// an input method is composing, which needs Enter to confirm its text).

import { useLayoutEffect, useRef, useState } from 'preact/hooks';

const MAX_CHARS = 4000; // docs/api.md: content is 1..4000 code points

interface Props {
  label: string;
  onSend: (text: string) => void;
  onTyping: () => void;
}

export function Composer({ label, onSend, onTyping }: Props) {
  const [text, setText] = useState('');
  const box = useRef<HTMLTextAreaElement>(null);
  const length = [...text.trim()].length;
  const tooLong = length > MAX_CHARS;
  // Opening a channel puts the cursor in its composer (`autofocus` only works on load).
  useLayoutEffect(() => box.current?.focus(), []);

  const send = () => {
    const content = text.trim();
    if (!content || tooLong) return;
    onSend(content);
    setText('');
    box.current?.focus();
  };

  return (
    <form class="composer" onSubmit={(e) => { e.preventDefault(); send(); }}>
      <textarea ref={box} aria-label={label} placeholder={label} rows={Math.min(8, text.split('\n').length)}
                value={text} aria-invalid={tooLong}
                onInput={(e) => { setText(e.currentTarget.value); if (e.currentTarget.value) onTyping(); }}
                onKeyDown={(e) => {
                  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
                    e.preventDefault();
                    send();
                  }
                }} />
      {tooLong && <span class="error" role="alert">{length - MAX_CHARS} characters over the limit</span>}
      <button type="submit" disabled={!text.trim() || tooLong}>Send</button>
    </form>
  );
}
