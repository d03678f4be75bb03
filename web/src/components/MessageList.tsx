// The history as a `log`: oldest at the top, newest at the bottom, pending sends last.
// Scrolling near the top pages in older messages without the view jumping; a reader at
// the bottom stays at the bottom as messages arrive.

import { useLayoutEffect, useRef } from 'preact/hooks';
import type { AiStream, Pending, RoomSession, RoomState } from '../session';
import { useStore } from '../state';
import type { Timeline } from '../timeline';
import type { ChannelKey, Me, Message, Room } from '../types';
import { MessageItem, StreamItem } from './MessageItem';

interface Props {
  session: RoomSession;
  me: Me;
  room: Room;
  label: string;
  timeline: Timeline | undefined;
  pending: Pending[];
  streams: AiStream[];
  channelKey: ChannelKey;
}

const selectBots = (s: RoomState) => s.botLogins;
const NEAR_TOP_PX = 120;
const NEAR_BOTTOM_PX = 60;

export function MessageList({ session, me, room, label, timeline, pending, streams, channelKey }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const list = useRef<HTMLOListElement>(null);
  const atBottom = useRef(true);
  const lastHeight = useRef(0);
  const firstId = useRef<string | undefined>(undefined);
  /** The first row in view and its distance from the log's top, while not at the bottom. */
  const anchor = useRef<{ row: Element; top: number } | null>(null);

  const messages = timeline?.messages ?? [];
  // A pending send is its own row until its `message` frame gives it a place by seq.
  let loose = pending;
  let pendingById: Map<string, Pending> | undefined;
  if (pending.length) {
    const shownIds = new Set(messages.map((m) => m.id));
    loose = pending.filter((p) => !p.echoedId || !shownIds.has(p.echoedId));
    pendingById = new Map(pending.filter((p) => p.echoedId).map((p) => [p.echoedId!, p]));
  }

  // What the reader looks at stays in place whatever changes above it: older pages going
  // in, the oldest rows trimmed (timeline.ts), both in one render. The browser's own
  // scroll anchoring is off (`overflow-anchor: none` in layout.css), so it is done once.
  const noteAnchor = (el: HTMLDivElement) => {
    anchor.current = null;
    if (atBottom.current) return;
    const rows = list.current?.children;
    if (!rows?.length) return;
    const top = el.getBoundingClientRect().top;
    let lo = 0;
    let hi = rows.length - 1;
    while (lo < hi) { // the first row whose bottom is below the log's top
      const mid = (lo + hi) >> 1;
      if (rows[mid]!.getBoundingClientRect().bottom > top) hi = mid; else lo = mid + 1;
    }
    anchor.current = { row: rows[lo]!, top: rows[lo]!.getBoundingClientRect().top - top };
  };

  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    const newFirst = messages[0]?.id;
    const a = anchor.current;
    // A jump's message (search): in the middle of the view, before the browser's scroll
    // event could page in anything around the old position.
    const focusRow = timeline?.focus ? list.current?.querySelector(`[data-id="${CSS.escape(timeline.focus)}"]`) : null;
    if (focusRow) {
      focusRow.scrollIntoView({ block: 'center' });
      atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < NEAR_BOTTOM_PX;
      firstId.current = newFirst;
      lastHeight.current = el.scrollHeight;
      noteAnchor(el);
      session.focused(channelKey);
      return;
    }
    // A run away from the newest messages (a search jump) does not follow its bottom.
    if (atBottom.current && !timeline?.hasNewer) {
      el.scrollTop = el.scrollHeight;
    } else if (a?.row.isConnected) {
      el.scrollTop += a.row.getBoundingClientRect().top - el.getBoundingClientRect().top - a.top;
    } else if (firstId.current !== undefined && newFirst !== firstId.current) {
      // The row in view was trimmed away: keep the offset from the bottom instead.
      el.scrollTop += el.scrollHeight - lastHeight.current;
    }
    firstId.current = newFirst;
    lastHeight.current = el.scrollHeight;
    noteAnchor(el);
    // A first page shorter than the view shows no scrollbar to scroll up with; a reader
    // still at the top after a render (a page dropped by loadOlder) wants the page too.
    if (timeline?.hasOlder && (el.scrollHeight <= el.clientHeight || (!atBottom.current && el.scrollTop < NEAR_TOP_PX)))
      void session.loadOlder(channelKey);
    if (timeline?.hasNewer && el.scrollHeight <= el.clientHeight) void session.loadNewer(channelKey);
  });

  const onScroll = () => {
    const el = box.current;
    if (!el) return;
    atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < NEAR_BOTTOM_PX;
    lastHeight.current = el.scrollHeight;
    noteAnchor(el);
    if (el.scrollTop < NEAR_TOP_PX && timeline?.hasOlder) void session.loadOlder(channelKey);
    if (timeline?.hasNewer && el.scrollHeight - el.scrollTop - el.clientHeight < NEAR_TOP_PX) void session.loadNewer(channelKey);
  };

  const isOwner = room.owner?.id === me.id;
  const botLogins = useStore(session.store, selectBots);
  const item = (m: Message, prev: Message | undefined) => (
    <MessageItem key={itemKey(m)} message={m} me={me} session={session}
                 pending={pendingById?.get(m.id)} canDelete={m.author.id === me.id || isOwner}
                 isBot={m.bot !== null || botLogins.has(m.author.login.toLowerCase())}
                 continued={prev !== undefined && prev.author.id === m.author.id && prev.bot === m.bot
                   && Date.parse(m.createdAt) - Date.parse(prev.createdAt) < 5 * 60_000} />
  );

  return (
    <div class="messages" ref={box} onScroll={onScroll} role="log" aria-label={`Messages in ${label}`}
         aria-busy={!timeline?.loaded} tabIndex={0}>
      {timeline?.loadingOlder && <p class="older" aria-busy="true">Loading older messages…</p>}
      {timeline?.loaded && !timeline.hasOlder && <p class="older">This is the start of {label}.</p>}
      {/* One flat list, so a row that moves from pending to stored keeps its element. */}
      <ol ref={list}>
        {[
          ...messages.map((m, i) => item(m, messages[i - 1])),
          ...loose.map((p) => <MessageItem key={`${me.id}:${p.clientMsgId}`} pending={p} me={me} session={session} />),
          ...streams.map((s) => <StreamItem key={`ai:${s.eventId}`} stream={s} />),
        ]}
      </ol>
      {timeline?.hasNewer && (
        <p class="newer" aria-busy={timeline.loadingNewer}>
          {timeline.loadingNewer ? 'Loading newer messages… ' : ''}
          <button type="button" class="link" onClick={() => { atBottom.current = true; session.jumpToNewest(channelKey); }}>
            Jump to the newest messages
          </button>
        </p>
      )}
      {!timeline?.loaded && <p class="loading" aria-busy="true">Loading…</p>}
    </div>
  );
}

/**
 * One key for a sent message across its life: pending (clientMsgId) and then stored
 * (id). Keyed alike, the row Preact already drew is promoted in place, not redrawn.
 */
function itemKey(m: Message): string {
  return m.clientMsgId ? `${m.author.id}:${m.clientMsgId}` : m.id;
}
