// Search (docs/api.md "Search"; docs/web.md "Search"): the query's filters as chips, the
// server's snippet as text and marks, and the jump from a result to its message.

import { Store } from './state';
import { ROOM_THREAD, type ChannelKey, type SearchResult } from './types';

/** A filter token of the query, shown as a removable chip. */
export interface Filter {
  token: string;
  key: string;
  value: string;
}

// The filters of the query language. Anything else that looks like `key:value` is a word.
const FILTER = /^(in|from|before|after):(\S+)$|^(has):(link|attachment)$|^(is):(thread)$/i;

/**
 * The query's words outside quotes, each with where it is; a quote that is not closed
 * runs to the end (the server answers 400 for it, shown under the box).
 */
function tokens(q: string): { text: string; start: number; end: number }[] {
  const out: { text: string; start: number; end: number }[] = [];
  let i = 0;
  while (i < q.length) {
    if (/\s/.test(q[i]!)) { i++; continue; }
    const start = i;
    let quoted = false;
    while (i < q.length && (quoted || !/\s/.test(q[i]!))) {
      if (q[i] === '"') quoted = !quoted;
      i++;
    }
    out.push({ text: q.slice(start, i), start, end: i });
  }
  return out;
}

export function parseFilters(q: string): Filter[] {
  const out: Filter[] = [];
  for (const t of tokens(q)) {
    const m = FILTER.exec(t.text);
    if (!m) continue;
    const key = (m[1] ?? m[3] ?? m[5])!.toLowerCase();
    out.push({ token: t.text, key, value: (m[2] ?? m[4] ?? m[6])! });
  }
  return out;
}

/** The query without that filter token (its first occurrence), spaces tidied. */
export function removeFilter(q: string, token: string): string {
  const t = tokens(q).find((x) => x.text === token);
  if (!t) return q;
  return (q.slice(0, t.start) + q.slice(t.end)).replace(/\s+/g, ' ').trim();
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (all, e: string) => {
    if (e[0] === '#') {
      const n = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return Number.isFinite(n) && n > 0 && n <= 0x10ffff ? String.fromCodePoint(n) : all;
    }
    return ENTITIES[e.toLowerCase()] ?? all;
  });
}

/**
 * The snippet as runs of text, `mark`ed where the server put <mark>. The server escapes
 * everything else, but the client does not rely on it: nothing here becomes HTML, only
 * text nodes, and any tag other than <mark> stays visible as text.
 */
export function snippetParts(html: string): { text: string; mark: boolean }[] {
  const out: { text: string; mark: boolean }[] = [];
  let mark = false;
  for (const piece of html.split(/(<\/?mark>)/)) {
    if (piece === '<mark>') mark = true;
    else if (piece === '</mark>') mark = false;
    else if (piece) out.push({ text: decodeEntities(piece), mark });
  }
  return out;
}

/** A result's message to show once its room and channel are open (ChannelView takes it). */
export interface JumpTarget {
  roomSlug: string;
  channelKey: ChannelKey;
  /** The message in the channel: the result, or a reply's root. */
  messageId: string;
  /** Its seq in the channel; null when unknown (a reply whose root was deleted). */
  seq: number | null;
  /** A thread reply: its thread (opened beside the channel) and the reply itself. */
  threadId: string | null;
  replyId: string | null;
}

export const jumpTarget = new Store<JumpTarget | null>(null);

export function channelKeyOf(r: SearchResult): ChannelKey {
  return r.channel?.id ?? ROOM_THREAD;
}

/** Scrolls the message into view once it is drawn and outlines it for a few seconds. */
export function revealBriefly(messageId: string, within = 10000): void {
  const started = Date.now();
  const look = () => {
    const el = document.querySelector<HTMLElement>(`[data-id="${CSS.escape(messageId)}"]`);
    if (!el) {
      if (Date.now() - started < within) setTimeout(look, 100);
      return;
    }
    el.scrollIntoView({ block: 'center' });
    // The history list learns at once that its reader left the bottom (it would scroll
    // back down on its next render before the browser's own scroll event came).
    el.closest('.messages')?.dispatchEvent(new Event('scroll'));
    el.classList.add('jumped');
    el.setAttribute('data-jumped', 'true');
    setTimeout(() => {
      el.classList.remove('jumped');
      el.removeAttribute('data-jumped');
    }, 4000);
  };
  look();
}
