// The search button in the top bar and its shortcuts (Ctrl+K, or "/" when not typing).
// The search view itself (SearchView.tsx) is fetched the first time it is opened.

import { useEffect, useState } from 'preact/hooks';
import '../styles/search.css';

type View = typeof import('./SearchView').SearchView;
let loaded: View | null = null;
const loadView = () => import('./SearchView').then((m) => (loaded = m.SearchView));

/** Focus is somewhere typing goes: "/" is a character there, not the shortcut. */
function typingInto(t: EventTarget | null): boolean {
  if (!(t instanceof HTMLElement)) return false;
  return t.isContentEditable || t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement
    || t instanceof HTMLSelectElement;
}

export function SearchButton() {
  const [open, setOpenState] = useState(false);
  const [View, setView] = useState<View | null>(() => loaded);
  const setOpen = (on: boolean) => {
    setOpenState(on);
    if (on && !loaded) loadView().then((v) => setView(() => v), () => setOpenState(false));
  };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.isComposing) return;
      const ctrlK = (e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey && e.key.toLowerCase() === 'k';
      const slash = e.key === '/' && !e.ctrlKey && !e.metaKey && !e.altKey && !typingInto(e.target);
      if (!ctrlK && !slash) return;
      // Another dialog is open: it keeps the keyboard (Ctrl+K in the search box refocuses it).
      const modal = document.querySelector('dialog[open]');
      if (modal && !modal.classList.contains('search')) return;
      e.preventDefault();
      if (modal) modal.querySelector<HTMLInputElement>('input[type="search"]')?.focus();
      else setOpen(true);
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);
  return (
    <>
      <button type="button" class="search-open" onClick={() => setOpen(true)} aria-keyshortcuts="Control+K /">
        <svg aria-hidden="true" viewBox="0 0 16 16" width="16" height="16">
          <circle cx="6.5" cy="6.5" r="4.75" fill="none" stroke="currentColor" stroke-width="1.8" />
          <path d="M10 10l4.5 4.5" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" />
        </svg>
        <span class="label">Search</span> <kbd aria-hidden="true">Ctrl K</kbd>
      </button>
      {open && View && <View onClose={() => setOpen(false)} />}
    </>
  );
}

