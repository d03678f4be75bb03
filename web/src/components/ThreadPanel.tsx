// The thread open beside the channel: its root (or a note that the root was deleted), the
// replies oldest first, and a composer for a reply. Replies are not on the room socket:
// the panel reads them again whenever the session says the thread changed (a
// thread_updated frame, or a reply sent from here), so it stays live without polling.

import { useCallback, useEffect, useState } from 'preact/hooks';
import * as api from '../api';
import { Markdown } from '../markdown';
import type { OpenThread, RoomSession, RoomState } from '../session';
import { useStore } from '../state';
import type { Message } from '../types';
import { Avatar } from './Avatar';
import { Composer } from './Composer';
import { StreamItem } from './MessageItem';

interface Props {
  session: RoomSession;
  thread: OpenThread;
}

interface Loaded {
  threadId: string;
  root: Message | null;
  replies: Message[];
}

const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
// Pages of 100; a thread longer than this shows its first MAX_REPLIES replies.
const MAX_REPLIES = 1000;

async function loadThread(threadId: string): Promise<Loaded> {
  let page = await api.listReplies(threadId);
  const out: Loaded = { threadId, root: page.root, replies: [...page.replies] };
  while (page.next && out.replies.length < MAX_REPLIES) {
    page = await api.listReplies(threadId, page.next.afterSeq);
    out.replies.push(...page.replies);
  }
  return out;
}

export function ThreadPanel({ session, thread }: Props) {
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [error, setError] = useState<string | null>(null);
  const { threadId, version } = thread;

  useEffect(() => {
    let live = true;
    loadThread(threadId).then(
      (l) => { if (live) { setLoaded(l); setError(null); } },
      (e: unknown) => { if (live) setError(e instanceof Error ? e.message : String(e)); });
    return () => { live = false; };
  }, [threadId, version]);

  // A bot answering a mention in this thread streams here, not in the channel.
  const streams = useStore(session.store, useCallback((s: RoomState) => s.streams, []));
  const live = Object.values(streams).filter((s) => s.key === `thread:${threadId}`);
  const shown = loaded?.threadId === threadId ? loaded : null;
  const count = shown?.replies.length ?? 0;

  return (
    <aside class="thread-panel" aria-label="Thread">
      <header class="thread-head">
        <h2>Thread</h2>
        <button type="button" aria-label="Close thread" onClick={() => session.closeThread()}>×</button>
      </header>
      <div class="thread-body">
        {!shown ? <p class="loading" aria-busy="true">Loading…</p> : (
          <>
            {shown.root
              ? <ol class="thread-root" aria-label="Original message"><ReplyRow m={shown.root} /></ol>
              : <p class="root-deleted">This message was deleted.</p>}
            <p class="reply-count">{count === 1 ? '1 reply' : `${count} replies`}</p>
            <ol class="replies" aria-label="Replies">
              {shown.replies.map((m) => <ReplyRow key={m.id} m={m} />)}
              {live.map((st) => <StreamItem key={st.eventId} stream={st} />)}
            </ol>
          </>
        )}
        {error && <p class="error" role="alert">{error}</p>}
      </div>
      <Composer label="Reply in thread" members={() => session.members()} onTyping={() => {}}
                onSend={(text) => {
                  session.reply(threadId, text).catch((e: unknown) =>
                    setError(e instanceof Error ? e.message : String(e)));
                }} />
    </aside>
  );
}

function ReplyRow({ m }: { m: Message }) {
  const when = new Date(m.createdAt);
  return (
    <li class="msg reply" data-id={m.id}>
      <Avatar user={m.author} />
      <div class="body">
        <div class="meta">
          <span class="author">{m.author.name || m.author.login}</span>
          <time dateTime={m.createdAt}>{timeFmt.format(when)}</time>
        </div>
        <div class="content"><Markdown text={m.content} /></div>
      </div>
    </li>
  );
}
