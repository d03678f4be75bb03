// One channel: header, history (with what is still pending), who is typing, composer.

import { useCallback, useEffect, useLayoutEffect, useState } from 'preact/hooks';
import type { Pending, RoomSession, RoomState } from '../session';
import { threadToOpen } from '../notifications';
import { jumpTarget, revealBriefly, type JumpTarget } from '../search';
import { useStore } from '../state';
import type { ChannelKey, Me, Room } from '../types';
import { Composer } from './Composer';
import { MessageList } from './MessageList';
import { ThreadPanel } from './ThreadPanel';

interface Props {
  session: RoomSession;
  me: Me;
  room: Room;
  channelKey: ChannelKey;
  label: string;
  isDm: boolean;
}

const NO_PENDING: Pending[] = [];

export function ChannelView({ session, me, room, channelKey, label, isDm }: Props) {
  const timeline = useStore(session.store, useCallback((s: RoomState) => s.timelines[channelKey], [channelKey]));
  const pendingAll = useStore(session.store, useCallback((s: RoomState) => s.pending, []));
  const typing = useStore(session.store, useCallback((s: RoomState) => s.typing[channelKey], [channelKey]));
  const streams = useStore(session.store, useCallback((s: RoomState) => s.streams, []));
  const uploadsAll = useStore(session.store, useCallback((s: RoomState) => s.uploads, []));
  const uploads = uploadsAll.filter((u) => u.key === channelKey);
  const [sendError, setSendError] = useState<string | null>(null);
  const thread = useStore(session.store, useCallback((s: RoomState) => s.thread, []));
  const pending = pendingAll.length ? pendingAll.filter((p) => p.key === channelKey) : NO_PENDING;

  // Before the first paint: the rows the session already holds are drawn in that paint.
  // A search result to show in this channel asks the history around it instead.
  const jump = useStore(jumpTarget, useCallback((s: JumpTarget | null) => s, []));
  useLayoutEffect(() => {
    const j = jumpTarget.get();
    if (!j || j.roomSlug !== session.slug || j.channelKey !== channelKey) {
      void session.open(channelKey);
      return;
    }
    jumpTarget.update(() => null);
    if (j.seq === null) void session.open(channelKey);
    else void session.jumpTo(channelKey, j.seq, j.messageId);
    if (j.threadId) void session.openThreadById(j.threadId).catch(() => { /* gone: the channel stays */ });
    revealBriefly(j.messageId);
    if (j.replyId) revealBriefly(j.replyId);
  }, [session, channelKey, jump]);
  // A mention in a thread reply was opened: show that thread once its room is here.
  const wanted = useStore(threadToOpen, useCallback((s: { roomSlug: string; threadId: string } | null) => s, []));
  useEffect(() => {
    if (!wanted || wanted.roomSlug !== session.slug) return;
    threadToOpen.update(() => null);
    void session.openThreadById(wanted.threadId).catch(() => { /* gone or hidden: the channel stays */ });
  }, [wanted, session]);
  // Reading the channel while messages arrive keeps its unread count at zero.
  useEffect(() => { session.markRead(channelKey); }, [timeline]);

  const title = isDm ? `@${label}` : `#${label}`;
  const typists = Object.values(typing ?? {}).map((t) => t.user.name || t.user.login);
  const live = Object.values(streams).filter((s) => s.key === channelKey);

  return (
    <div class="channel-split">
    <section class="channel" aria-label={title}>
      <header class="channel-head">
        <h1>{title}</h1>
        {room.description && <p class="description">{room.description}</p>}
      </header>
      <MessageList session={session} me={me} room={room} label={title} timeline={timeline}
                   pending={pending} streams={live} channelKey={channelKey} />
      <p class="typing" aria-live="polite">
        {typists.length === 1 ? `${typists[0]} is typing…`
          : typists.length > 1 ? `${typists.slice(0, 3).join(', ')} are typing…` : ''}
      </p>
      {(uploads.length > 0 || sendError) && (
        <ul class="uploads" aria-label="Uploads">
          {sendError && <li class="error" role="alert">{sendError}</li>}
          {uploads.map((u) => (
            <li key={u.id}>
              <span>{u.name}</span>{' '}
              {u.error ? (
                <span class="error" role="alert">
                  {u.error} <button type="button" onClick={() => session.dismissUpload(u.id)}>Dismiss</button>
                </span>
              ) : (
                <progress max={u.total || 1} value={u.sent} aria-label={`Uploading ${u.name}`} />
              )}
            </li>
          ))}
        </ul>
      )}
      <Composer label={`Message ${title}`}
                onSend={(text, files) => {
                  // Away from the newest messages (a search jump): back to them to see it.
                  if (timeline?.hasNewer) session.jumpToNewest(channelKey);
                  if (files.length === 0) return session.send(channelKey, text);
                  setSendError(null);
                  session.sendWithFiles(channelKey, text, files)
                    .catch((e: unknown) => setSendError(e instanceof Error ? e.message : String(e)));
                }}
                onTyping={() => session.typing(channelKey)} members={() => session.members()} />
    </section>
    {thread && thread.channelKey === channelKey && (
      <ThreadPanel key={thread.threadId} session={session} thread={thread} />
    )}
    </div>
  );
}
