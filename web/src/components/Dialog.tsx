// A modal dialog on the native <dialog>: showModal() keeps focus inside it and makes the
// rest of the page inert, Escape closes it (the `cancel` event), and the browser gives
// focus back to what had it when it closes. The parent unmounts it to close it.

import type { ComponentChildren } from 'preact';
import { useLayoutEffect, useRef } from 'preact/hooks';

let ids = 0;

interface Props {
  title: string;
  onClose: () => void;
  children: ComponentChildren;
  /** `alertdialog` for a question that needs an answer (delete?). */
  role?: 'dialog' | 'alertdialog';
  class?: string;
}

export function Dialog({ title, onClose, children, role = 'dialog', class: cls }: Props) {
  const ref = useRef<HTMLDialogElement>(null);
  const id = useRef(`dialog-${++ids}`).current;
  const closeRef = useRef(onClose);
  closeRef.current = onClose;
  useLayoutEffect(() => {
    const d = ref.current!;
    const onCloseEvent = () => closeRef.current();
    d.addEventListener('close', onCloseEvent);
    if (!d.open) d.showModal();
    return () => {
      // Unmounted by the parent: close without telling it again.
      d.removeEventListener('close', onCloseEvent);
      if (d.open) d.close();
    };
  }, []);
  return (
    <dialog ref={ref} class={`dialog${cls ? ' ' + cls : ''}`} role={role === 'alertdialog' ? 'alertdialog' : undefined}
            aria-labelledby={id}>
      <header class="dialog-head">
        <h2 id={id}>{title}</h2>
        <button type="button" class="link" aria-label="Close" onClick={() => ref.current?.close()}>✕</button>
      </header>
      {children}
    </dialog>
  );
}

/** Asks before something that cannot be undone; replaces window.confirm(). */
export function Confirm({ text, action, onConfirm, onClose }:
  { text: string; action: string; onConfirm: () => void; onClose: () => void }) {
  return (
    <Dialog title={text} role="alertdialog" onClose={onClose} class="confirm">
      <div class="dialog-actions">
        <button type="button" autofocus onClick={onClose}>Cancel</button>
        <button type="button" class="danger" onClick={() => { onConfirm(); onClose(); }}>{action}</button>
      </div>
    </Dialog>
  );
}
