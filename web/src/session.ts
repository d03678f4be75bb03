// One open room: its REST data, its socket, and what the user has sent but Relay has not
// yet confirmed. Every server frame is applied here; components only read `store`.

import * as api from './api';
import { ApiError } from './api';
import { received } from './notifications';
import { RoomSocket, type SocketStatus } from './socket';
import { Store } from './state';
import * as tl from './timeline';
import {
  channelIdOf, channelKey, type Channel, type ChannelKey, type Me, type Message, type Room,
  type BoardFrame, type ServerFrame, type User,
} from './types';

/** A message typed here and not yet acked by Relay. */
export interface Pending {
  clientMsgId: string;
  key: ChannelKey;
  content: string;
  state: 'sending' | 'failed';
  error?: string;
  /** Relay's id once the `message` frame for it came back (before the ack). */
  echoedId?: string;
  sentAt: number;
}

/** A file on its way up (POST /api/attachments), shown with its progress. */
export interface Upload {
  id: string;
  key: ChannelKey;
  name: string;
  sent: number;
  total: number;
  error?: string;
}

export interface Typist {
  user: User;
  until: number;
}

/** Where an agent's answer streams: a thread's panel, or its channel. */
export function streamKey(f: { channelId: string | null; threadId?: string | null }): AiStream['key'] {
  return f.threadId ? `thread:${f.threadId}` : channelKey(f.channelId);
}

/** An agent's answer while it streams in (`ai_token`), or how it failed (`ai_reply`). */
export interface AiStream {
  eventId: string;
  /** Where it is shown: its channel, or `thread:<threadId>` for a reply in a thread. */
  key: ChannelKey | `thread:${string}`;
  bot: User;
  text: string;
  error?: string;
}

export type Problem =
  | { kind: 'signed-out' }
  | { kind: 'forbidden'; text: string }
  | { kind: 'not-found'; text: string }
  | { kind: 'error'; text: string };

export interface RoomState {
  slug: string;
  room: Room | null;
  channels: Channel[];
  /** Logins of the room's registered bots, lower-cased (logins have no case). */
  botLogins: ReadonlySet<string>;
  status: SocketStatus;
  problem: Problem | null;
  timelines: Record<ChannelKey, tl.Timeline>;
  /** The highest seq seen per channel: what a reconnect resumes from. */
  seqs: Record<ChannelKey, number>;
  /** Per channel, the seq the user has seen (kept in localStorage): unread = seqs - this. */
  readSeqs: Record<ChannelKey, number>;
  pending: Pending[];
  typing: Record<ChannelKey, Record<string, Typist>>;
  streams: Record<string, AiStream>;
  /** Lower-cased logins of who is online in the room (docs/api.md "Presence"). */
  online: ReadonlySet<string>;
  uploads: Upload[];
  /** The thread open beside the channel, if one is. */
  thread: OpenThread | null;
}

/**
 * The thread shown in the thread panel. `version` goes up with each `thread_updated` for
 * it (and each reply sent from here): the panel reads the replies again then, instead of
 * polling.
 */
export interface OpenThread {
  threadId: string;
  rootId: string;
  channelKey: ChannelKey;
  version: number;
}

const TYPING_SHOWN_MS = 5000;
// The open socket keeps the user online by itself; the heartbeat is what the API asks of
// clients, and covers a socket that is reconnecting.
const PRESENCE_HEARTBEAT_MS = 30_000;
const TYPING_SEND_EVERY_MS = 3000;
// A send the socket took but Relay has not acked in this long is shown as failed, with
// retry (the retry reuses its clientMsgId, so a late success is not doubled).
const ACK_TIMEOUT_MS = 15000;

const FIRST_SYNC_WAIT_MS = 2000;
/** A jump to a message (search) loads JUMP_PAGE messages, JUMP_ABOVE of them above it. */
const JUMP_ABOVE = 25;
const JUMP_PAGE = 60;
const PAGE_RETRY_MS = 3000;

/** A failure that says nothing about the request: no answer, or Relay (re)starting. */
const passing = (e: unknown) => e instanceof ApiError && (e.status === 0 || e.status === 502 || e.status === 503 || e.status === 504);

const readKey = (slug: string) => `relay.read.${slug}`;

/** Messages kept for channels whose view is not open yet (see `unopened`). */
const UNOPENED_KEPT = 50;

/** The REST calls of the room the page was opened on, asked with `/api/me` (main.tsx). */
let prefetched: { slug: string; room: Promise<Room>; channels: Promise<Channel[]> } | null = null;

/**
 * Asks for a room and its channels before it is known who is signed in: for nobody, two
 * 401s go unused; for everyone else the room is one round trip nearer.
 */
export function prefetchRoom(slug: string): void {
  const room = api.getRoom(slug);
  const channels = api.listChannels(slug);
  // Reported by the session that takes them, if one does.
  room.catch(() => {});
  channels.catch(() => {});
  prefetched = { slug, room, channels };
}

let early: RoomSession | null = null;

/**
 * Opens the room the address names (its socket, and takes its REST calls) as soon as
 * `GET /api/me` says who is signed in, before anything is rendered (main.tsx).
 */
export function openEarly(slug: string, me: Me): void {
  early = new RoomSession(slug, me);
  void early.start();
}

/** The session openEarly made for this room and user, once; another is closed. */
export function takeEarly(slug: string, me: Me): RoomSession | null {
  const s = early;
  early = null;
  if (s && s.slug === slug && s.me === me) return s;
  s?.stop();
  return null;
}

function newClientMsgId(): string {
  const rand = crypto.getRandomValues(new Uint32Array(2));
  return `web_${Date.now().toString(36)}_${rand[0]!.toString(36)}${rand[1]!.toString(36)}`;
}

export class RoomSession {
  readonly store: Store<RoomState>;
  private socket: RoomSocket;
  private lastTypingSent = 0;
  private typingTimer: ReturnType<typeof setInterval> | undefined;
  private ackTimer: ReturnType<typeof setInterval> | undefined;
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  private checkingRefusal = false;
  private started = false;
  private markSynced: () => void = () => {};
  /** Settles at the socket's first `sync`: history is fetched after it (see open()). */
  private readonly firstSync = new Promise<void>((resolve) => { this.markSynced = resolve; });
  /**
   * The newest messages of channels with no timeline yet: the socket opens alongside the
   * room's REST calls, so its `sync` often comes before the channel's view opens, which
   * then starts from these instead of waiting for its history page.
   */
  private unopened: Message[] = [];
  /** The board screen's listeners for board_updated / card_moved (components/BoardView). */
  readonly boardEvents = new Set<(f: BoardFrame) => void>();
  /** The channel list has come (REST); until then, deletions by frame are noted here. */
  private listed = false;
  private deletedEarly = new Set<string>();
  /** Views whose newest page failed for a passing reason: asked again (retryPages). */
  private pageAgain = new Set<ChannelKey>();

  constructor(readonly slug: string, readonly me: Me) {
    let readSeqs: Record<string, number> = {};
    try { readSeqs = JSON.parse(localStorage.getItem(readKey(slug)) ?? '{}') as Record<string, number>; } catch { /* fresh */ }
    this.store = new Store<RoomState>({
      slug, room: null, channels: [], botLogins: new Set(), status: 'connecting', problem: null,
      timelines: {}, seqs: {}, readSeqs, pending: [], typing: {}, streams: {},
      online: new Set(), uploads: [], thread: null,
    });
    this.socket = new RoomSocket(slug, () => this.store.get().seqs, {
      frame: (f) => this.apply(f),
      status: (status) => this.set({ status }),
      synced: () => { this.markSynced(); this.resendPending(); this.retryPages(); this.loadPresence(); },
      fatal: () => void this.diagnose(),
      refused: () => void this.diagnose(),
    });
  }

  // -- lifecycle ---------------------------------------------------------------------

  /**
   * The room's REST calls (made already if main.tsx prefetched them) and its socket, at
   * once: nothing in the socket's frames needs the REST answers first.
   */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const early = prefetched?.slug === this.slug ? prefetched : null;
    prefetched = null;
    this.socket.start();
    // Only for looks (bot replies are marked): a failure here costs nothing else.
    api.listBots(this.slug).then(
      (bots) => this.set({ botLogins: new Set(bots.map((b) => b.login.toLowerCase())) }),
      () => {},
    );
    this.ackTimer = setInterval(() => this.expireUnacked(), 1000);
    this.heartbeatTimer = setInterval(() => void api.presenceHeartbeat(this.slug).catch(() => {}), PRESENCE_HEARTBEAT_MS);
    try {
      const [room, channels] = await Promise.all([
        early?.room ?? api.getRoom(this.slug), early?.channels ?? api.listChannels(this.slug),
      ]);
      // Frames that came first are newer than these answers, so they win: a `branding`'s
      // room, channels created or deleted meanwhile.
      this.listed = true;
      this.store.update((s) => ({
        ...s,
        room: s.room ?? room,
        channels: [
          ...channels.filter((c) => !this.deletedEarly.has(c.id)),
          ...s.channels.filter((c) => !channels.some((x) => x.id === c.id)),
        ],
      }));
    } catch (e) {
      // As before the socket opened alongside: a room that cannot be shown is not followed.
      this.socket.stop();
      this.fail(e);
    }
  }

  stop(): void {
    this.socket.stop();
    this.pageAgain.clear();
    clearInterval(this.typingTimer);
    clearInterval(this.ackTimer);
    clearInterval(this.heartbeatTimer);
  }

  /**
   * Who is online, asked after every (re)sync: events missed while the socket was down
   * are not replayed. Events that arrive meanwhile are newer, so they are kept on top.
   */
  private loadPresence(): void {
    const seen = new Map<string, boolean>();
    this.presenceSeen = seen;
    api.listPresence(this.slug).then((users) => {
      if (this.presenceSeen !== seen) return;
      this.presenceSeen = null;
      const online = new Set(users.map((u) => u.login.toLowerCase()));
      for (const [login, on] of seen) if (on) online.add(login); else online.delete(login);
      this.set({ online });
    }, () => { if (this.presenceSeen === seen) this.presenceSeen = null; });
  }

  /** Presence events that came while a listing was on its way (see loadPresence). */
  private presenceSeen: Map<string, boolean> | null = null;

  /** Forces a reconnect, as a network drop would. */
  reconnect(): void {
    this.socket.reconnectNow();
  }

  // -- reading -----------------------------------------------------------------------

  /** Opens a channel's view: the newest page once, then live frames keep it current. */
  async open(key: ChannelKey): Promise<void> {
    this.markRead(key);
    if (this.store.get().timelines[key]?.loaded || this.jumping.has(key)) return;
    const jumpsBefore = this.jumps.get(key);
    const held = this.unopened.filter((m) => channelKey(m.channelId) === key);
    if (held.length) this.unopened = this.unopened.filter((m) => channelKey(m.channelId) !== key);
    this.updateTimeline(key, (t) => tl.merge(t, held));
    // The page is asked for once the socket is live, so no message can fall between the
    // two: older ones are in the page, newer ones arrive as frames. A socket that does
    // not come up soon does not hold the history back.
    await Promise.race([this.firstSync, new Promise((r) => setTimeout(r, FIRST_SYNC_WAIT_MS))]);
    try {
      const page = await api.listMessages(this.slug, key, null);
      // A jump (search) since: its page is what the view shows.
      if (this.jumps.get(key) !== jumpsBefore) return;
      this.updateTimeline(key, (t) => tl.addPage(t, page.messages, page.next !== null));
      this.markRead(key);
    } catch (e) {
      if (!passing(e)) { this.fail(e); return; }
      // Relay restarting (503) or out of reach: the view keeps what it holds and asks
      // again once the socket has synced anew, or in a few seconds.
      this.pageAgain.add(key);
      setTimeout(() => this.retryPages(), PAGE_RETRY_MS);
    }
  }

  private retryPages(): void {
    const keys = [...this.pageAgain];
    this.pageAgain.clear();
    for (const key of keys) void this.open(key);
  }

  /** Loads the page before the oldest message held (scroll-up). */
  async loadOlder(key: ChannelKey): Promise<void> {
    const t = this.store.get().timelines[key];
    if (!t || !t.hasOlder || t.loadingOlder) return;
    this.updateTimeline(key, (x) => ({ ...x, loadingOlder: true }));
    const oldest = t.messages[0]?.id;
    try {
      const page = await api.listMessages(this.slug, key, tl.olderCursor(t));
      // Trimmed meanwhile (timeline.ts): the page would leave a gap above what is held.
      // Dropped; scrolling up asks again from the oldest message now held.
      this.updateTimeline(key, (x) => x.messages[0]?.id !== oldest ? { ...x, loadingOlder: false }
        : tl.addPage(x, page.messages, page.next !== null));
    } catch (e) {
      this.updateTimeline(key, (x) => ({ ...x, loadingOlder: false }));
      if (!passing(e)) this.fail(e); // else scrolling up asks again
    }
  }

  /** Counts jumps per channel, so a page asked before one is not applied over it. */
  private jumps = new Map<ChannelKey, number>();
  private jumping = new Set<ChannelKey>();

  /**
   * Shows the history around message `messageId` (seq `seq` in the channel), for a search
   * result: a page of JUMP_PAGE from JUMP_ABOVE messages above it, detached from the
   * newest messages until paging down (loadNewer) reaches them. Nothing is asked when the
   * channel holds the message already.
   */
  async jumpTo(key: ChannelKey, seq: number, messageId: string): Promise<void> {
    this.markRead(key);
    if (this.store.get().timelines[key]?.messages.some((m) => m.id === messageId)) {
      this.updateTimeline(key, (t) => ({ ...t, focus: messageId }));
      return;
    }
    const gen = (this.jumps.get(key) ?? 0) + 1;
    this.jumps.set(key, gen);
    this.jumping.add(key);
    const from = Math.max(0, seq - JUMP_ABOVE);
    try {
      // As open(): after the socket is live, so a page that reaches the newest message
      // leaves nothing between it and the live frames.
      await Promise.race([this.firstSync, new Promise((r) => setTimeout(r, FIRST_SYNC_WAIT_MS))]);
      const page = await api.listMessagesAfter(this.slug, key, from, JUMP_PAGE);
      if (this.jumps.get(key) !== gen) return;
      this.updateTimeline(key, (t) => tl.around(t, page.messages, from > 0, page.next !== null, messageId));
    } catch {
      if (this.jumps.get(key) !== gen) return;
      this.jumping.delete(key);
      void this.open(key); // the newest page, as if no jump had been asked
    } finally {
      if (this.jumps.get(key) === gen) this.jumping.delete(key);
    }
  }

  /** The view has brought the jump's message into view (MessageList). */
  focused(key: ChannelKey): void {
    this.updateTimeline(key, (t) => (t.focus ? { ...t, focus: null } : t), false);
  }

  /** Back to the newest messages from a detached run. */
  jumpToNewest(key: ChannelKey): void {
    this.jumps.set(key, (this.jumps.get(key) ?? 0) + 1);
    this.jumping.delete(key);
    this.updateTimeline(key, () => tl.emptyTimeline());
    void this.open(key);
  }

  /** Loads the page after the newest message held, while the run is detached (scroll-down). */
  async loadNewer(key: ChannelKey): Promise<void> {
    const t = this.store.get().timelines[key];
    const last = t?.messages[t.messages.length - 1];
    if (!t || !last || !t.hasNewer || t.loadingNewer) return;
    this.updateTimeline(key, (x) => ({ ...x, loadingNewer: true }));
    try {
      const page = await api.listMessagesAfter(this.slug, key, last.seq, 100);
      // Jumped elsewhere meanwhile: the page belongs to a run no longer held.
      this.updateTimeline(key, (x) => !x.hasNewer || x.messages[x.messages.length - 1]?.id !== last.id
        ? { ...x, loadingNewer: false } : tl.trim(tl.addNewer(x, page.messages, page.next !== null)));
    } catch (e) {
      this.updateTimeline(key, (x) => ({ ...x, loadingNewer: false }));
      if (!passing(e)) this.fail(e); // else scrolling down asks again
    }
  }

  markRead(key: ChannelKey): void {
    const s = this.store.get();
    const seq = s.seqs[key] ?? 0;
    if ((s.readSeqs[key] ?? -1) >= seq) return;
    const readSeqs = { ...s.readSeqs, [key]: seq };
    this.set({ readSeqs });
    try { localStorage.setItem(readKey(this.slug), JSON.stringify(readSeqs)); } catch { /* private mode */ }
  }

  /** A channel this client made (a DM, a new channel): shown before its frame arrives. */
  addChannel(channel: Channel): void {
    this.store.update((s) => s.channels.some((c) => c.id === channel.id) ? s : {
      ...s,
      channels: [...s.channels, channel],
      readSeqs: { ...s.readSeqs, [channel.id]: s.readSeqs[channel.id] ?? 0 },
    });
  }

  // -- writing -----------------------------------------------------------------------

  /** Shows the message at once as pending and sends it; the ack promotes it in place. */
  send(key: ChannelKey, content: string): void {
    const p: Pending = { clientMsgId: newClientMsgId(), key, content, state: 'sending', sentAt: Date.now() };
    this.lastTypingSent = 0; // the next keystroke starts a new burst: tell the others again
    this.store.update((s) => ({ ...s, pending: [...s.pending, p] }));
    this.transmit(p);
  }

  /**
   * A message with files (docs/api.md "Attachments"): the message is posted first (over
   * REST, for its id; without text it says the files' names), then each file is uploaded
   * bound to it, with its progress in `uploads`, and shown on the message when it is in.
   */
  async sendWithFiles(key: ChannelKey, content: string, files: File[]): Promise<void> {
    const text = content || files.map((f) => f.name).join(', ');
    const m = await api.postMessage(this.slug, channelIdOf(key), text, newClientMsgId());
    this.updateTimeline(key, (t) => tl.merge(t, [m]));
    for (const file of files) {
      const id = newClientMsgId();
      const setUpload = (u: Partial<Upload>) => this.store.update((s) => ({
        ...s, uploads: s.uploads.map((x) => (x.id === id ? { ...x, ...u } : x)),
      }));
      this.store.update((s) => ({ ...s, uploads: [...s.uploads, { id, key, name: file.name, sent: 0, total: file.size }] }));
      try {
        const a = await api.uploadAttachment(m.id, file, (sent, total) => setUpload({ sent, total }));
        this.updateTimeline(key, (t) => tl.addAttachment(t, m.id, a), false);
        this.store.update((s) => ({ ...s, uploads: s.uploads.filter((x) => x.id !== id) }));
      } catch (e) {
        setUpload({ error: e instanceof Error ? e.message : String(e) });
      }
    }
  }

  dismissUpload(id: string): void {
    this.store.update((s) => ({ ...s, uploads: s.uploads.filter((x) => x.id !== id) }));
  }

  /** Sends a failed message again under the same clientMsgId: Relay stores it at most once. */
  retry(clientMsgId: string): void {
    const p = this.findPending(clientMsgId);
    if (!p) return;
    const again: Pending = { ...p, state: 'sending', sentAt: Date.now() };
    delete again.error;
    this.replacePending(again);
    this.transmit(again);
  }

  discard(clientMsgId: string): void {
    this.store.update((s) => ({ ...s, pending: s.pending.filter((p) => p.clientMsgId !== clientMsgId) }));
  }

  async edit(messageId: string, content: string): Promise<void> {
    const m = await api.editMessage(this.slug, messageId, content);
    this.updateTimeline(channelKey(m.channelId), (t) => tl.replace(t, m));
  }

  /** Puts our reaction on, or takes it off when it is there. */
  async toggleReaction(message: Message, emoji: string): Promise<void> {
    const on = !(message.reactions[emoji] ?? []).includes(this.me.login);
    const m = await api.setReaction(this.slug, message.id, emoji, on);
    this.updateTimeline(channelKey(m.channelId), (t) => tl.setReactions(t, m.id, m.reactions), false);
  }

  /** Opens the message's thread beside its channel, creating the thread on first use. */
  async openThread(message: Message): Promise<void> {
    const threadId = message.threadId ?? (await api.startThread(this.slug, message.id)).threadId;
    this.store.update((s) => ({
      ...s, thread: { threadId, rootId: message.id, channelKey: channelKey(message.channelId), version: 0 },
    }));
  }

  /** Opens a thread known only by its id (a mention in a reply), beside its channel. */
  async openThreadById(threadId: string): Promise<void> {
    const page = await api.listReplies(threadId);
    this.store.update((s) => ({
      ...s,
      thread: { threadId, rootId: page.thread.rootId, channelKey: channelKey(page.thread.channelId), version: 0 },
    }));
  }

  closeThread(): void {
    this.store.update((s) => (s.thread ? { ...s, thread: null } : s));
  }

  /** Posts a reply; Relay stores it once even when the request is retried. */
  async reply(threadId: string, content: string): Promise<Message> {
    const m = await api.postReply(threadId, content, newClientMsgId());
    this.threadChanged(threadId);
    return m;
  }

  private threadChanged(threadId: string): void {
    this.store.update((s) => (s.thread?.threadId === threadId
      ? { ...s, thread: { ...s.thread, version: s.thread.version + 1 } } : s));
  }

  async remove(message: Message): Promise<void> {
    await api.deleteMessage(this.slug, message.id);
    this.updateTimeline(channelKey(message.channelId), (t) => tl.remove(t, message.id));
  }

  /** Tells the others the user is typing, at most every few seconds. */
  private membersAsked: { at: number; list: Promise<User[]> } | null = null;
  /**
   * The room's members, for `@` completion: asked once, then again at most every 30 s
   * (someone who just joined can be completed without a reload).
   */
  members(): Promise<User[]> {
    const now = Date.now();
    if (!this.membersAsked || now - this.membersAsked.at > 30_000) {
      const list = api.listMembers(this.slug).catch(() => [] as User[]);
      this.membersAsked = { at: now, list };
    }
    return this.membersAsked.list;
  }

  typing(key: ChannelKey): void {
    const now = Date.now();
    if (now - this.lastTypingSent < TYPING_SEND_EVERY_MS) return;
    if (this.socket.send({ type: 'typing', channelId: channelIdOf(key) })) this.lastTypingSent = now;
  }

  private transmit(p: Pending): void {
    // Not connected: it stays `sending` and goes out once the socket has resumed.
    this.socket.send({ type: 'send', clientMsgId: p.clientMsgId, content: p.content, channelId: channelIdOf(p.key) });
  }

  private resendPending(): void {
    for (const p of this.store.get().pending) {
      if (p.state !== 'sending') continue;
      this.replacePending({ ...p, sentAt: Date.now() });
      this.transmit(p);
    }
  }

  private expireUnacked(): void {
    if (!this.socket.isOpen) return; // offline: they wait for the reconnect instead
    const now = Date.now();
    for (const p of this.store.get().pending) {
      if (p.state === 'sending' && now - p.sentAt > ACK_TIMEOUT_MS)
        this.replacePending({ ...p, state: 'failed', error: 'Not confirmed by the server' });
    }
  }

  // -- frames ------------------------------------------------------------------------

  private apply(f: ServerFrame): void {
    switch (f.type) {
      case 'sync': {
        this.store.update((s) => {
          const seqs = { ...s.seqs };
          for (const [k, v] of Object.entries(f.seqs)) seqs[k] = Math.max(seqs[k] ?? 0, v);
          // A channel seen for the first time starts read: its past is not "unread".
          const readSeqs = { ...s.readSeqs };
          for (const [k, v] of Object.entries(f.seqs)) if (readSeqs[k] === undefined) readSeqs[k] = v;
          return { ...s, seqs, readSeqs };
        });
        for (const m of f.messages) this.receive(m);
        return;
      }
      case 'message':
        this.receive(f.message);
        return;
      case 'ack':
        this.acked(f.clientMsgId, f.serverId, f.seq, f.createdAt);
        return;
      case 'error':
        if (f.clientMsgId) {
          const p = this.findPending(f.clientMsgId);
          if (p) {
            const failed: Pending = { ...p, state: 'failed', error: f.error };
            delete failed.echoedId;
            this.replacePending(failed);
          }
        }
        return;
      case 'message_updated':
        this.updateTimeline(channelKey(f.message.channelId), (t) => tl.replace(t, f.message), false);
        return;
      case 'message_deleted':
        this.updateTimeline(channelKey(f.channelId), (t) => tl.remove(t, f.messageId), false);
        return;
      case 'attachment_added':
        this.updateTimeline(channelKey(f.channelId), (t) => tl.addAttachment(t, f.messageId, f.attachment), false);
        return;
      case 'thread_updated':
        if (f.message) {
          const root = f.message;
          this.updateTimeline(channelKey(f.channelId), (t) => tl.replace(t, root), false);
        }
        this.threadChanged(f.threadId);
        return;
      case 'reaction_added':
      case 'reaction_removed':
        this.updateTimeline(channelKey(f.channelId), (t) => tl.setReactions(t, f.messageId, f.reactions), false);
        return;
      case 'channel_created':
      case 'direct_created':
        this.store.update((s) => s.channels.some((c) => c.id === f.channel.id) ? s : {
          ...s,
          channels: [...s.channels, f.channel],
          // Born while we watch: its every message is news.
          readSeqs: { ...s.readSeqs, [f.channel.id]: s.readSeqs[f.channel.id] ?? 0 },
        });
        return;
      case 'channel_deleted':
        if (!this.listed) this.deletedEarly.add(f.channelId);
        this.store.update((s) => ({ ...s, channels: s.channels.filter((c) => c.id !== f.channelId) }));
        return;
      case 'typing':
        if (f.user.id !== this.me.id) this.someoneTyping(channelKey(f.channelId), f.user);
        return;
      case 'branding':
        this.set({ room: f.room });
        return;
      case 'presence': {
        const login = f.user.login.toLowerCase();
        const on = f.status === 'online';
        this.presenceSeen?.set(login, on);
        this.store.update((s) => {
          if (s.online.has(login) === on) return s;
          const online = new Set(s.online);
          if (on) online.add(login); else online.delete(login);
          return { ...s, online };
        });
        return;
      }
      case 'ai_token':
        this.store.update((s) => {
          const cur = s.streams[f.eventId] ?? { eventId: f.eventId, key: streamKey(f), bot: f.bot, text: '' };
          return { ...s, streams: { ...s.streams, [f.eventId]: { ...cur, text: cur.text + f.token } } };
        });
        return;
      case 'ai_reply':
        this.store.update((s) => {
          const streams = { ...s.streams };
          if (f.error) {
            const cur = streams[f.eventId] ?? { eventId: f.eventId, key: streamKey(f), bot: f.bot, text: '' };
            streams[f.eventId] = { ...cur, error: f.error.error };
          } else {
            delete streams[f.eventId]; // the reply itself arrives as a message
          }
          return { ...s, streams };
        });
        return;
      case 'notification':
        received(f.notification);
        return;
      case 'board_updated':
      case 'card_moved':
        this.boardEvents.forEach((l) => l(f));
        return;
      case 'pong':
        return;
    }
  }

  private receive(m: Message): void {
    const key = channelKey(m.channelId);
    if (!this.store.get().timelines[key]) {
      this.unopened.push(m);
      if (this.unopened.length > UNOPENED_KEPT) this.unopened.shift();
    }
    this.store.update((s) => {
      const seqs = { ...s.seqs, [key]: Math.max(s.seqs[key] ?? 0, m.seq) };
      let pending = s.pending;
      if (m.author.id === this.me.id && m.clientMsgId) {
        // Our own send coming back: it now has its place (seq) in the channel.
        pending = s.pending.map((p) => p.clientMsgId === m.clientMsgId ? { ...p, echoedId: m.id } : p);
      }
      const typing = s.typing[key]?.[m.author.id] ? withoutTypist(s.typing, key, m.author.id) : s.typing;
      const t = s.timelines[key];
      const timelines = t ? { ...s.timelines, [key]: tl.trim(tl.merge(t, [m])) } : s.timelines;
      return { ...s, seqs, pending, typing, timelines };
    });
  }

  private acked(clientMsgId: string, serverId: string, seq: number, createdAt: string): void {
    const p = this.findPending(clientMsgId);
    if (!p) return;
    this.store.update((s) => {
      const pending = s.pending.filter((x) => x.clientMsgId !== clientMsgId);
      const t = s.timelines[p.key];
      if (!t || t.messages.some((m) => m.id === serverId)) return { ...s, pending };
      // Acked without its `message` frame (it went to a socket that dropped): the ack
      // says all the server would, so the message is built here rather than refetched.
      const m: Message = {
        id: serverId, roomId: s.room?.id ?? '', channelId: channelIdOf(p.key), seq,
        author: { id: this.me.id, login: this.me.login, name: this.me.name, avatarUrl: this.me.avatarUrl },
        content: p.content, clientMsgId, createdAt, editedAt: null, reactions: {}, threadId: null,
        replyCount: 0, lastReplyAt: null, bot: null,
      };
      return { ...s, pending, timelines: { ...s.timelines, [p.key]: tl.merge(t, [m]) } };
    });
  }

  private someoneTyping(key: ChannelKey, user: User): void {
    this.store.update((s) => ({
      ...s,
      typing: { ...s.typing, [key]: { ...s.typing[key], [user.id]: { user, until: Date.now() + TYPING_SHOWN_MS } } },
    }));
    if (this.typingTimer === undefined) this.typingTimer = setInterval(() => this.pruneTyping(), 1000);
  }

  private pruneTyping(): void {
    const now = Date.now();
    let any = false;
    this.store.update((s) => {
      let typing = s.typing;
      for (const [key, typists] of Object.entries(s.typing)) {
        for (const [id, t] of Object.entries(typists)) {
          if (t.until <= now) typing = withoutTypist(typing, key, id);
          else any = true;
        }
      }
      return typing === s.typing ? s : { ...s, typing };
    });
    if (!any) {
      clearInterval(this.typingTimer);
      this.typingTimer = undefined;
    }
  }

  // -- failures ----------------------------------------------------------------------

  /** The socket was refused or closed for policy: REST tells whether and why. */
  private async diagnose(): Promise<void> {
    if (this.checkingRefusal) return;
    this.checkingRefusal = true;
    try {
      await api.getRoom(this.slug);
      // The room answers: the refusal was transient (a restart, a connection over the
      // per-user cap, a rate-limit close). Keep trying, with backoff.
      this.socket.retry();
    } catch (e) {
      if (e instanceof ApiError && e.status !== 0 && e.status < 500) {
        this.socket.stop();
        this.fail(e);
      }
    } finally {
      this.checkingRefusal = false;
    }
  }

  private fail(e: unknown): void {
    let problem: Problem;
    if (e instanceof ApiError && e.status === 401) problem = { kind: 'signed-out' };
    else if (e instanceof ApiError && e.status === 403) problem = { kind: 'forbidden', text: e.message };
    else if (e instanceof ApiError && e.status === 404) problem = { kind: 'not-found', text: e.message };
    else problem = { kind: 'error', text: e instanceof Error ? e.message : String(e) };
    this.set({ problem });
  }

  // -- helpers -----------------------------------------------------------------------

  private set(patch: Partial<RoomState>): void {
    this.store.update((s) => ({ ...s, ...patch }));
  }

  /** `create`: make the timeline if the channel has none yet (only opened channels do). */
  private updateTimeline(key: ChannelKey, fn: (t: tl.Timeline) => tl.Timeline, create = true): void {
    this.store.update((s) => {
      const cur = s.timelines[key];
      if (!cur && !create) return s;
      const next = fn(cur ?? tl.emptyTimeline());
      return next === cur ? s : { ...s, timelines: { ...s.timelines, [key]: next } };
    });
  }

  private findPending(clientMsgId: string): Pending | undefined {
    return this.store.get().pending.find((p) => p.clientMsgId === clientMsgId);
  }

  private replacePending(p: Pending): void {
    this.store.update((s) => ({ ...s, pending: s.pending.map((x) => (x.clientMsgId === p.clientMsgId ? p : x)) }));
  }
}

function withoutTypist(typing: RoomState['typing'], key: ChannelKey, userId: string): RoomState['typing'] {
  const inChannel = { ...typing[key] };
  delete inChannel[userId];
  return { ...typing, [key]: inChannel };
}
