// The objects and frames of docs/api.md, as the client reads them.

export interface User {
  id: string;
  login: string;
  name: string;
  avatarUrl: string;
}

export interface Me extends User {
  githubId: number | null;
  email: string | null;
}

export interface Room {
  id: string;
  slug: string;
  displayName: string;
  description: string;
  accentColors: string[];
  avatarUrl: string;
  owner: User | null;
  settings: { whitelistOnly: boolean };
  createdAt: string;
}

export type Visibility = 'public' | 'private' | 'group' | 'personal' | 'dm';

export interface Channel {
  id: string;
  slug: string;
  name: string;
  visibility: Visibility;
  memberCount: number;
  createdBy: string;
  createdAt: string;
}

export interface Message {
  id: string;
  roomId: string;
  channelId: string | null;
  seq: number;
  author: User;
  content: string;
  clientMsgId: string | null;
  createdAt: string;
  editedAt: string | null;
  reactions: Record<string, string[]>;
  /** A root: its thread; a thread reply: the thread it is in. */
  threadId: string | null;
  /** A root: how many replies its thread has (0 without one) and when the newest landed. */
  replyCount: number;
  lastReplyAt: string | null;
  bot: string | null;
  /** Listed by history (GET …/messages) and added here as this client uploads. */
  attachments?: Attachment[];
}

/** docs/api.md "Attachments": images are WebP with their size; other files downloads. */
export interface Attachment {
  id: string;
  contentType: string;
  size: number;
  width: number | null;
  height: number | null;
  name: string;
  url: string;
}

/** A thread under a root message (docs/api.md "Threads"). */
export interface Thread {
  id: string;
  roomId: string;
  channelId: string | null;
  rootId: string;
  replyCount: number;
  lastReplyAt: string | null;
  createdAt: string;
}

/** GET /api/threads/:id/replies: `root` is null once the root was deleted. */
export interface ReplyPage {
  thread: Thread;
  root: Message | null;
  replies: Message[];
  next: { afterSeq: number } | null;
}

/** Keyset cursor of GET /messages (newest first). */
export interface PageCursor {
  beforeCreatedAt: string;
  beforeId: string;
}

export interface MessagePage {
  messages: Message[];
  next: PageCursor | null;
}

/** docs/api.md "Search": a hit, its room and channel, and an HTML snippet (<mark> only). */
export interface SearchResult {
  message: Message;
  room: string;
  channel: { id: string; slug: string; name: string } | null;
  snippet: string;
}
export type SearchSort = 'newest' | 'relevance';
export interface SearchPage {
  results: SearchResult[];
  next: { cursor: string } | null;
}

/** `__lobby` names the room-wide thread wherever a channel id is a key (docs/api.md). */
export const ROOM_THREAD = '__lobby';
export type ChannelKey = string;
export const channelKey = (channelId: string | null): ChannelKey => channelId ?? ROOM_THREAD;
export const channelIdOf = (key: ChannelKey): string | null => (key === ROOM_THREAD ? null : key);

export type ServerFrame =
  | { type: 'sync'; messages: Message[]; seqs: Record<string, number> }
  | { type: 'message'; clientMsgId: string | null; message: Message }
  | { type: 'ack'; clientMsgId: string; serverId: string; createdAt: string; seq: number }
  | { type: 'error'; clientMsgId?: string; error: string; code: string }
  | { type: 'message_updated'; message: Message }
  | { type: 'message_deleted'; messageId: string; channelId: string | null }
  | { type: 'reaction_added' | 'reaction_removed'; channelId: string | null; messageId: string;
      emoji: string; user: User; reactions: Record<string, string[]> }
  | { type: 'attachment_added'; channelId: string | null; messageId: string; attachment: Attachment }
  | { type: 'thread_updated'; channelId: string | null; threadId: string; rootId: string;
      replyCount: number; lastReplyAt: string | null; message: Message | null }
  | { type: 'channel_created'; channel: Channel }
  | { type: 'channel_deleted'; channelId: string }
  | { type: 'direct_created'; channel: Channel }
  | { type: 'typing'; channelId: string | null; user: User }
  | { type: 'presence'; user: User; status: 'online' | 'offline' }
  | { type: 'branding'; room: Room }
  | { type: 'ai_token'; channelId: string | null; threadId?: string | null; eventId: string; bot: User;
      token: string; seq: number }
  | { type: 'ai_reply'; channelId: string | null; threadId?: string | null; eventId: string; bot: User;
      messageId?: string;
      error?: { error: string; code: string } }
  | { type: 'notification'; notification: AppNotification }
  | BoardFrame
  | { type: 'pong' };

/** A room's board events (docs/api.md "Boards"); the board screen listens (session.boardEvents). */
export type BoardFrame =
  | { type: 'board_updated'; boardId: string; board: Board }
  | { type: 'card_moved'; boardId: string; card: Card; fromColumnId: string; toColumnId: string; position: number };

export interface Card {
  id: string;
  boardId: string;
  columnId: string;
  title: string;
  body: string;
  author: User;
  position: number;
  saved: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface BoardColumn { id: string; name: string; position: number; cards: Card[] }

export interface Board {
  id: string;
  roomId: string;
  name: string;
  ownerId: string;
  isDefault: boolean;
  createdAt: string;
  columns: BoardColumn[];
}

/** A notification (docs/api.md, "Notifications"); `data` depends on `kind`. */
export interface AppNotification {
  id: string;
  kind: 'mention' | 'access_request' | string;
  roomId: string | null;
  refId: string | null;
  data: {
    roomSlug?: string; channelId?: string | null; channelSlug?: string | null; messageId?: string;
    threadId?: string | null;
    author?: string; excerpt?: string; login?: string; note?: string;
  };
  state: 'unread' | 'read' | 'archived';
  saved: boolean;
  visibility: 'public' | 'private';
  createdAt: string;
}

export interface NotificationPage {
  notifications: AppNotification[];
  next: string | null;
}

export type ClientFrame =
  | { type: 'send'; clientMsgId: string; content: string; channelId: string | null }
  | { type: 'typing'; channelId: string | null }
  | { type: 'ping' };
