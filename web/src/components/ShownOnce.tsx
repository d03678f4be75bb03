// A secret the server shows once (an API token, an incoming webhook's URL): a read-only
// field to copy it from. It lives only in the parent's state, so closing the dialog
// forgets it.

import { useRef, useState } from 'preact/hooks';

export function ShownOnce({ id, label, note, value }: {
  id: string; label: string; note: string; value: string;
}) {
  const [copied, setCopied] = useState(false);
  const field = useRef<HTMLInputElement>(null);
  const copy = async () => {
    try { await navigator.clipboard.writeText(value); setCopied(true); } catch {
      field.current?.select(); // no clipboard permission: selected for Ctrl+C
    }
  };
  return (
    <div class="fresh-token" role="status">
      <p>{note}</p>
      <label for={id}>{label}</label>
      <input id={id} ref={field} readOnly value={value} onFocus={(e) => e.currentTarget.select()} />
      <button type="button" onClick={() => void copy()}>{copied ? 'Copied' : 'Copy'}</button>
    </div>
  );
}
