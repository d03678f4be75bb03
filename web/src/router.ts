// Paths the client answers (Relay serves index.html for every non-API path):
//   /                      the lobby's room-wide thread
//   /r/<room>              a room's room-wide thread
//   /r/<room>/<channel>    a channel, by slug
//   /r/<room>/~board       the room's board (`~` is in no slug)
// Anything else falls back to the lobby, keeping the URL honest by replacing it.

import { useEffect, useState } from 'preact/hooks';

export interface Route {
  room: string;
  /** A channel slug, or null for the room-wide thread. */
  channel: string | null;
  /** The room's board screen instead of a channel. */
  board?: boolean;
}

export const BOARD_SEGMENT = '~board';
export const boardHref = (room: string) => `/r/${encodeURIComponent(room)}/${BOARD_SEGMENT}`;

export function parse(path: string): Route {
  const parts = path.split('/').filter(Boolean).map(safeDecode);
  if (parts[0] === 'r' && parts[1] && parts[2] === BOARD_SEGMENT) return { room: parts[1], channel: null, board: true };
  if (parts[0] === 'r' && parts[1]) return { room: parts[1], channel: parts[2] ?? null };
  return { room: 'lobby', channel: null };
}

export function href(room: string, channel: string | null = null): string {
  const base = `/r/${encodeURIComponent(room)}`;
  return channel ? `${base}/${encodeURIComponent(channel)}` : base;
}

function safeDecode(s: string): string {
  try { return decodeURIComponent(s); } catch { return s; }
}

const listeners = new Set<() => void>();
window.addEventListener('popstate', () => listeners.forEach((l) => l()));

export function navigate(path: string, replace = false): void {
  if (path === location.pathname) return;
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  listeners.forEach((l) => l());
}

/** The current path, re-rendering on navigation. */
export function usePath(): string {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const l = () => setPath(location.pathname);
    listeners.add(l);
    return () => { listeners.delete(l); };
  }, []);
  return path;
}

/** Internal links navigate without reloading; modified clicks keep the browser's meaning. */
export function onLinkClick(e: MouseEvent): void {
  const a = (e.currentTarget as HTMLAnchorElement | null);
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  navigate(a.getAttribute('href') ?? '/');
}
