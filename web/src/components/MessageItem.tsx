// One row of the history. The same component draws a send that is still pending and
// the stored message it becomes, so the promotion on `ack` changes the row in place.

import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import { Markdown } from '../markdown';
import { memo } from '../memo';
import type { AiStream, Pending, RoomSession } from '../session';
import type { Attachment, Me, Message } from '../types';
import { Avatar } from './Avatar';
import { Confirm } from './Dialog';

interface Props {
  me: Me;
  session: RoomSession;
  /** The stored message; absent while the send has not come back from Relay. */
  message?: Message | undefined;
  /** Our own send not yet acked (with or without its stored message). */
  pending?: Pending | undefined;
  canDelete?: boolean;
  /** Written by a bot: `yeeyee:` content, a bot's reply prefix, or a registered bot user. */
  isBot?: boolean;
  /** Same author as the row above, shortly before: the name is not repeated. */
  continued?: boolean;
}

const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dateFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/**
 * Memoized: a new message re-renders the list, and without this every row with it (with
 * 600 rows, most of the 20-25 ms each live message cost; benchmarks/RESULTS.md). The
 * list hands each row props that keep their identity while the row does not change: the
 * same message object, `me`, `session`, booleans.
 */
export const MessageItem = memo(MessageRow);

function MessageRow({ me, session, message, pending, canDelete = false, isBot = false, continued = false }: Props) {
  const [editing, setEditing] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [asking, setAsking] = useState(false);
  const editButton = useRef<HTMLButtonElement>(null);
  const wasEditing = useRef(false);
  // Closing the editor gives the keyboard back where it was, not to <body>.
  useLayoutEffect(() => {
    if (wasEditing.current && !editing) editButton.current?.focus();
    wasEditing.current = editing;
  }, [editing]);
  const author = message?.author ?? me;
  const content = message?.content ?? pending?.content ?? '';
  const mine = author.id === me.id;
  // An incoming webhook's bot user (login `hook-…`) posts under each message's own name.
  const shownName = message?.bot && author.login.startsWith('hook-') ? message.bot : author.name || author.login;
  const state = pending ? pending.state : 'sent';
  const when = message ? new Date(message.createdAt) : null;

  const act = async (fn: () => Promise<void>) => {
    setError(null);
    try { await fn(); } catch (e) { setError(e instanceof Error ? e.message : String(e)); }
  };

  return (
    <li class={`msg ${state}${continued && !pending ? ' continued' : ''}${isBot ? ' bot' : ''}`}
        data-state={state} data-id={message?.id} aria-busy={state === 'sending'}>
      {!continued || pending ? <Avatar user={author} /> : <span class="avatar-gap" />}
      <div class="body">
        {(!continued || pending) && (
          <div class="meta">
            <span class="author">{shownName}</span>
            {isBot && <span class="tag">bot</span>}
            {when && <time dateTime={message!.createdAt} title={dateFmt.format(when)}>{timeFmt.format(when)}</time>}
          </div>
        )}
        {editing && message ? (
          <EditBox initial={content} onCancel={() => setEditing(false)}
                   onSave={(text) => act(async () => { await session.edit(message.id, text); setEditing(false); })} />
        ) : (
          <div class="content"><Markdown text={content} />
            {message?.editedAt && <span class="edited"> (edited)</span>}
          </div>
        )}
        {message?.attachments?.length ? <Attachments list={message.attachments} /> : null}
        {state === 'sending' && <span class="status">Sending…</span>}
        {state === 'failed' && pending && (
          <span class="status failed" role="alert">
            Not sent{pending.error ? `: ${pending.error}` : ''}.{' '}
            <button type="button" onClick={() => session.retry(pending.clientMsgId)}>Retry</button>{' '}
            <button type="button" onClick={() => session.discard(pending.clientMsgId)}>Discard</button>
          </span>
        )}
        {message && !pending && (
          <Reactions me={me} message={message}
                     onToggle={(emoji) => void act(() => session.toggleReaction(message, emoji))} />
        )}
        {message && !pending && message.replyCount > 0 && (
          <button type="button" class="thread-link" onClick={() => void act(() => session.openThread(message))}>
            {message.replyCount === 1 ? '1 reply' : `${message.replyCount} replies`}
            {message.lastReplyAt && <span class="last-reply"> · last {timeFmt.format(new Date(message.lastReplyAt))}</span>}
          </button>
        )}
        {error && <p class="error" role="alert">{error}</p>}
      </div>
      {message && !pending && !editing && (
        <div class="actions">
          <button type="button" aria-label="Reply in thread" title="Reply in thread"
                  onClick={() => void act(() => session.openThread(message))}>Reply</button>
          {mine && <button type="button" ref={editButton} onClick={() => setEditing(true)} aria-label="Edit message">Edit</button>}
          {canDelete && (
            <button type="button" aria-label="Delete message"
                    onClick={() => setAsking(true)}>
              Delete
            </button>
          )}
        </div>
      )}
      {asking && message && <Confirm text="Delete this message?" action="Delete" onClose={() => setAsking(false)}
                                     onConfirm={() => void act(() => session.remove(message))} />}
    </li>
  );
}

/** Images as previews (WebP, with their size reserved), other files as download links. */
function Attachments({ list }: { list: Attachment[] }) {
  return (
    <ul class="attachments">
      {list.map((a) => (
        <li key={a.id}>
          {a.contentType.startsWith('image/') ? (
            <a href={a.url} target="_blank" rel="noopener">
              <img src={a.url} alt={a.name} loading="lazy" width={a.width ?? undefined} height={a.height ?? undefined} />
            </a>
          ) : (
            <a href={a.url} download={a.name}>{a.name} <span class="hint">({formatSize(a.size)})</span></a>
          )}
        </li>
      ))}
    </ul>
  );
}

function formatSize(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** What the picker offers; any other emoji arrives from other clients and shows the same. */
export const COMMON_EMOJI = ['👍', '❤️', '😂', '🎉', '😮', '😢', '👀', '🙏'];

/**
 * The reaction bar: one button per emoji with its count (ours pressed), who reacted in
 * its title (hover and focus), and a small picker. A click puts ours on or takes it off.
 */
function Reactions({ me, message, onToggle }: { me: Me; message: Message; onToggle: (emoji: string) => void }) {
  const [picking, setPicking] = useState(false);
  const entries = Object.entries(message.reactions);
  return (
    <div class="reactions">
      {entries.map(([emoji, logins]) => {
        const mine = logins.includes(me.login);
        return (
          <button type="button" key={emoji} class={`reaction${mine ? ' mine' : ''}`} aria-pressed={mine}
                  title={logins.join(', ')} aria-label={`${emoji} ${logins.length}: ${logins.join(', ')}`}
                  onClick={() => onToggle(emoji)}>
            <span class="emoji">{emoji}</span> <span class="count">{logins.length}</span>
          </button>
        );
      })}
      <button type="button" class="reaction add" aria-label="Add reaction" aria-expanded={picking}
              title="Add reaction" onClick={() => setPicking(!picking)}>+</button>
      {picking && (
        <div class="picker" role="group" aria-label="Pick a reaction"
             onKeyDown={(e) => { if (e.key === 'Escape') setPicking(false); }}>
          {COMMON_EMOJI.map((emoji) => (
            <button type="button" key={emoji} aria-label={`React with ${emoji}`}
                    onClick={() => { setPicking(false); onToggle(emoji); }}>{emoji}</button>
          ))}
        </div>
      )}
    </div>
  );
}

function EditBox({ initial, onSave, onCancel }: { initial: string; onSave: (t: string) => void; onCancel: () => void }) {
  const [text, setText] = useState(initial);
  const box = useRef<HTMLTextAreaElement>(null);
  // `autofocus` only counts on page load; a box opened later is focused by hand, before
  // the first paint, or the first keys typed after Enter on Edit land elsewhere.
  useLayoutEffect(() => {
    const el = box.current;
    if (el) { el.focus(); el.setSelectionRange(el.value.length, el.value.length); }
  }, []);
  return (
    <form class="edit" onSubmit={(e) => { e.preventDefault(); if (text.trim()) onSave(text); }}>
      <textarea ref={box} aria-label="Edit message" value={text} rows={Math.min(8, text.split('\n').length + 1)}
                onInput={(e) => setText(e.currentTarget.value)}
                onKeyDown={(e) => {
                  if (e.key === 'Escape') onCancel();
                  else if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
                    e.preventDefault();
                    if (text.trim()) onSave(text);
                  }
                }} />
      <button type="submit">Save</button>
      <button type="button" onClick={onCancel}>Cancel</button>
    </form>
  );
}

/** An agent's answer while it streams in, or its error. */
export function StreamItem({ stream }: { stream: AiStream }) {
  return (
    <li class={`msg bot streaming${stream.error ? ' failed' : ''}`} aria-busy={!stream.error}>
      <Avatar user={stream.bot} />
      <div class="body">
        <div class="meta"><span class="author">{stream.bot.name || stream.bot.login}</span><span class="tag">bot</span></div>
        <div class="content">{stream.text}{!stream.error && <span class="cursor" aria-hidden="true">▍</span>}</div>
        {stream.error && <span class="status failed" role="alert">The agent did not answer: {stream.error}</span>}
      </div>
    </li>
  );
}
