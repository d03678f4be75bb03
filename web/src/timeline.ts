// A channel's messages as the client holds them: a contiguous run of the newest
// messages, ascending by seq, each id once. Pure functions, so every way a message
// arrives (history page, live frame, resume sync, ack) goes through the same merge.

import type { Attachment, Message, PageCursor } from './types';

export interface Timeline {
  /** Ascending by seq; no id twice. */
  messages: Message[];
  /** Whether the server has messages older than messages[0]. */
  hasOlder: boolean;
  /** The newest page has arrived (until then live messages are kept, not shown alone). */
  loaded: boolean;
  loadingOlder: boolean;
  /**
   * The run ends before the newest message: a jump to an old message (search) loaded the
   * history around it. Live messages are not added until paging down reaches the end.
   */
  hasNewer: boolean;
  loadingNewer: boolean;
  /** A message to bring to the middle of the view once drawn (a search jump's target). */
  focus: string | null;
}

/** Messages kept per channel after a trim: older ones are dropped and paged in again. */
export const MAX_KEPT = 600;
/**
 * How far a channel grows past MAX_KEPT before it is trimmed back to it. Dropping the
 * oldest row moves every other one, which the browser lays out and paints again: one
 * trim per TRIM_SLACK live messages instead of one per message (benchmarks/RESULTS.md).
 */
export const TRIM_SLACK = 100;

export const emptyTimeline = (): Timeline => ({
  messages: [], hasOlder: false, loaded: false, loadingOlder: false, hasNewer: false, loadingNewer: false, focus: null,
});

/** Adds or replaces messages (matched by id), keeping seq order. */
export function merge(t: Timeline, arriving: readonly Message[]): Timeline {
  if (arriving.length === 0) return t;
  const byId = new Map(t.messages.map((m) => [m.id, m] as const));
  if (t.hasNewer) {
    // Past the end of a detached run: kept out, or it would sit beyond a gap.
    const end = t.messages[t.messages.length - 1]?.seq ?? Infinity;
    arriving = arriving.filter((m) => byId.has(m.id) || m.seq <= end);
    if (arriving.length === 0) return t;
  }
  // Live frames carry no attachments: what this client uploaded or history listed stays.
  const incoming = arriving.map((m) => {
    const had = byId.get(m.id)?.attachments;
    return had?.length && !m.attachments?.length ? { ...m, attachments: had } : m;
  });
  let appendOnly = true;
  const last = t.messages[t.messages.length - 1];
  let tail = last ? last.seq : -Infinity;
  for (const m of incoming) {
    if (byId.has(m.id) || m.seq <= tail) appendOnly = false;
    else tail = m.seq;
    byId.set(m.id, m);
  }
  // The common case (a live message newer than all we hold) keeps the array's order.
  const messages = appendOnly
    ? [...t.messages, ...incoming]
    : [...byId.values()].sort((a, b) => a.seq - b.seq);
  return { ...t, messages };
}

/**
 * Applies a history page (the newest, or the one before messages[0]); `olderExists` is
 * whether the page came with a `next` cursor.
 */
export function addPage(t: Timeline, page: readonly Message[], olderExists: boolean): Timeline {
  return { ...merge(t, page), loaded: true, loadingOlder: false, hasOlder: olderExists };
}

export function remove(t: Timeline, messageId: string): Timeline {
  const messages = t.messages.filter((m) => m.id !== messageId);
  return messages.length === t.messages.length ? t : { ...t, messages };
}

export function replace(t: Timeline, message: Message): Timeline {
  const i = t.messages.findIndex((m) => m.id === message.id);
  if (i < 0) return t;
  const messages = t.messages.slice();
  messages[i] = message;
  return { ...t, messages };
}

/** Adds an uploaded attachment to the message, once. */
export function addAttachment(t: Timeline, messageId: string, a: Attachment): Timeline {
  const m = t.messages.find((x) => x.id === messageId);
  if (!m || m.attachments?.some((x) => x.id === a.id)) return t;
  return replace(t, { ...m, attachments: [...(m.attachments ?? []), a] });
}

/** The message's reactions as they are now (a reaction event carries them all). */
export function setReactions(t: Timeline, messageId: string, reactions: Record<string, string[]>): Timeline {
  const m = t.messages.find((x) => x.id === messageId);
  return m ? replace(t, { ...m, reactions }) : t;
}

/**
 * Once a channel holds more than MAX_KEPT + TRIM_SLACK messages, keeps the newest
 * MAX_KEPT, so a busy channel left open does not grow without bound; what is dropped can
 * be paged in again from the oldest message kept.
 */
export function trim(t: Timeline): Timeline {
  if (t.messages.length <= MAX_KEPT + TRIM_SLACK) return t;
  return { ...t, messages: t.messages.slice(-MAX_KEPT), hasOlder: true };
}

/**
 * The history around a message (a page asked with `afterSeq` just below its seq, oldest
 * first): a new run, detached from the newest messages while `newerExists`. When the page
 * reaches the newest, what was held past its start (live frames meanwhile) is kept.
 */
export function around(t: Timeline, page: readonly Message[], olderExists: boolean, newerExists: boolean,
                       focus: string): Timeline {
  const first = page[0]?.seq ?? Infinity;
  const base: Timeline = { ...emptyTimeline(), loaded: true, hasOlder: olderExists, hasNewer: newerExists, focus };
  const kept = newerExists ? [] : t.messages.filter((m) => m.seq >= first);
  return merge(merge(base, page), kept);
}

/** Applies the page after the newest message held, while detached (paging down). */
export function addNewer(t: Timeline, page: readonly Message[], newerExists: boolean): Timeline {
  return { ...merge({ ...t, hasNewer: false }, page), hasNewer: newerExists, loadingNewer: false };
}

/** The keyset cursor for the page before the oldest message held (exclusive). */
export function olderCursor(t: Timeline): PageCursor | null {
  const first = t.messages[0];
  return first ? { beforeCreatedAt: first.createdAt, beforeId: first.id } : null;
}
