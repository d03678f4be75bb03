// REST calls of docs/api.md. The session is the HttpOnly `relay_session` cookie, so the
// client never sees a credential: every call is same-origin with credentials included.

import type {
  AppNotification, Attachment, Channel, Me, Message, MessagePage, NotificationPage, PageCursor, ReplyPage, Room,
  SearchPage, SearchSort, Thread, User,
} from './types';

/** A refused call, with Relay's `{error, code}` and the HTTP status. */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

export async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method, credentials: 'same-origin', headers: {} };
  if (body !== undefined) {
    init.headers = { 'Content-Type': 'application/json' };
    init.body = JSON.stringify(body);
  }
  let res: Response;
  try {
    res = await fetch(path, init);
  } catch {
    throw new ApiError(0, 'NETWORK', 'Relay cannot be reached');
  }
  const text = await res.text();
  let json: unknown = null;
  try { json = text ? JSON.parse(text) : null; } catch { /* not JSON: a proxy's error page */ }
  if (!res.ok) {
    const e = (json ?? {}) as { error?: string; code?: string };
    throw new ApiError(res.status, e.code ?? 'HTTP_' + res.status, e.error ?? res.statusText);
  }
  return json as T;
}

const room = (slug: string) => `/api/rooms/${encodeURIComponent(slug)}`;

/** The signed-in user, or null (GET /api/me answers 401 with `null`). */
export async function getMe(): Promise<Me | null> {
  try {
    return await call<Me>('GET', '/api/me');
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return null;
    throw e;
  }
}

export const logout = () => call<{ ok: true }>('POST', '/auth/logout');

export const getRoom = (slug: string) => call<Room>('GET', room(slug));
export const createRoom = (slug: string, displayName: string) =>
  call<Room>('POST', '/api/rooms', { slug, displayName });

/** Asks a gated room's owner to let the caller in (409: open room, already in, or pending). */
export const requestAccess = (slug: string, note: string) =>
  call<{ id: string; state: string }>('POST', `${room(slug)}/access-requests`, note ? { note } : {});

export const createChannel = (slug: string, name: string, channelSlug: string, visibility: 'public' | 'private') =>
  call<Channel>('POST', `${room(slug)}/channels`, { name, slug: channelSlug, visibility });

/** The DM channel of the caller and these people (created once, then the same one). */
export const openDm = (slug: string, logins: string[]) =>
  call<Channel>('POST', `${room(slug)}/dms`, { logins });

export const listChannels = (slug: string) =>
  call<{ channels: Channel[] }>('GET', `${room(slug)}/channels`).then((r) => r.channels);
/** The room's bot users (registered with POST /bots): their messages are bot replies. */
export const listBots = (slug: string) =>
  call<{ bots: { login: string }[] }>('GET', `${room(slug)}/bots`).then((r) => r.bots);
export const listMembers = (slug: string) =>
  call<{ members: User[] }>('GET', `${room(slug)}/members`).then((r) => r.members);
/** Who is online in the room now (docs/api.md "Presence"). */
export const listPresence = (slug: string) =>
  call<{ users: User[] }>('GET', `${room(slug)}/presence`).then((r) => r.users);
/** Keeps the caller online in the room for the server's presence TTL. */
export const presenceHeartbeat = (slug: string) => call<{ ok: boolean }>('POST', `${room(slug)}/presence`);

/** One keyset page of a channel's history, newest first. */
export function listMessages(slug: string, channelKey: string, before: PageCursor | null, limit = 50) {
  const q = new URLSearchParams({ channelId: channelKey, limit: String(limit) });
  if (before) {
    q.set('beforeCreatedAt', before.beforeCreatedAt);
    q.set('beforeId', before.beforeId);
  }
  return call<MessagePage>('GET', `${room(slug)}/messages?${q}`);
}

/** The channel's messages with seq > afterSeq, oldest first; `next` while more remain. */
export function listMessagesAfter(slug: string, channelKey: string, afterSeq: number, limit = 50) {
  const q = new URLSearchParams({ channelId: channelKey, afterSeq: String(afterSeq), limit: String(limit) });
  return call<{ messages: Message[]; next: { afterSeq: number } | null }>('GET', `${room(slug)}/messages?${q}`);
}

/** One page of search results (docs/api.md "Search"); `cursor` from the previous `next`. */
export function search(q: string, sort: SearchSort, cursor: string | null, limit = 20) {
  const p = new URLSearchParams({ q, sort, limit: String(limit) });
  if (cursor) p.set('cursor', cursor);
  return call<SearchPage>('GET', `/api/search?${p}`);
}

/** Posts over REST (the message with its id comes back, for binding uploads to it). */
export const postMessage = (slug: string, channelId: string | null, content: string, clientMsgId: string) =>
  call<Message>('POST', `${room(slug)}/messages`, { content, channelId, clientMsgId });

/**
 * Uploads `file` bound to message `messageId` (POST /api/attachments). XMLHttpRequest,
 * not fetch: only it reports upload progress (`onProgress(sent, total)`).
 */
export function uploadAttachment(messageId: string, file: File,
                                 onProgress: (sent: number, total: number) => void): Promise<Attachment> {
  const form = new FormData();
  form.append('entityType', 'message');
  form.append('entityId', messageId);
  form.append('file', file, file.name);
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/attachments');
    xhr.withCredentials = true;
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(e.loaded, e.total); };
    xhr.onerror = () => reject(new ApiError(0, 'NETWORK', 'Relay cannot be reached'));
    xhr.onload = () => {
      let json: { error?: string; code?: string } | null = null;
      try { json = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
      if (xhr.status === 201 && json) return resolve(json as unknown as Attachment);
      reject(new ApiError(xhr.status, json?.code ?? 'HTTP_' + xhr.status, json?.error ?? xhr.statusText));
    };
    xhr.send(form);
  });
}

export const editMessage = (slug: string, id: string, content: string) =>
  call<Message>('PATCH', `${room(slug)}/messages/${encodeURIComponent(id)}`, { content });
/** Puts (`on`) or takes off the caller's reaction; both answer the message as it is now. */
export const setReaction = (slug: string, id: string, emoji: string, on: boolean) =>
  call<Message>(on ? 'PUT' : 'DELETE',
    `${room(slug)}/messages/${encodeURIComponent(id)}/reactions/${encodeURIComponent(emoji)}`);
/** The message's thread, created on first use (idempotent). */
export const startThread = (slug: string, id: string) =>
  call<{ threadId: string; thread: Thread }>('POST', `${room(slug)}/messages/${encodeURIComponent(id)}/thread`);
export const listReplies = (threadId: string, afterSeq = 0) =>
  call<ReplyPage>('GET', `/api/threads/${encodeURIComponent(threadId)}/replies?afterSeq=${afterSeq}&limit=100`);
export const postReply = (threadId: string, content: string, clientMsgId: string) =>
  call<Message>('POST', `/api/threads/${encodeURIComponent(threadId)}/replies`, { content, clientMsgId });
export const deleteMessage = (slug: string, id: string) =>
  call<{ ok: true }>('DELETE', `${room(slug)}/messages/${encodeURIComponent(id)}`);

/**
 * Which sign-in methods this Relay offers. No endpoint says so (see docs/web.md), so the
 * client asks the two sign-in routes themselves: each answers 404 when it is off. A
 * `/auth/dev` without a login is refused with 400 and signs nobody in; `/auth/github`
 * is only asked with `redirect: 'manual'`, and an opaque redirect means it is on.
 */
export async function signInMethods(): Promise<{ dev: boolean; github: boolean }> {
  const probe = async (path: string) => {
    try {
      const res = await fetch(path, { redirect: 'manual', credentials: 'same-origin' });
      return res.type === 'opaqueredirect' || (res.status !== 404 && res.status !== 0);
    } catch {
      return false;
    }
  };
  const [dev, github] = await Promise.all([probe('/auth/dev'), probe('/auth/github?next=/')]);
  return { dev, github };
}

// Room owner (docs/api.md "REST", "Access control").
export interface Branding { slug?: string; displayName?: string; description?: string; accentColors?: string[]; avatarUrl?: string }
export const patchRoom = (slug: string, b: Branding) => call<Room>('PATCH', room(slug), b);
export const setWhitelistMode = (slug: string, enabled: boolean) =>
  call<Room>('PUT', `${room(slug)}/whitelist-mode`, { enabled });
export interface WhitelistEntry { id: string; login: string | null; email: string | null; note: string; createdAt: string }
export const listWhitelist = (slug: string) =>
  call<{ entries: WhitelistEntry[] }>('GET', `${room(slug)}/whitelist`).then((r) => r.entries);
export const addWhitelist = (slug: string, entry: { login: string } | { email: string }) =>
  call<WhitelistEntry>('POST', `${room(slug)}/whitelist`, entry);
export const removeWhitelist = (slug: string, id: string) =>
  call<{ ok: true }>('DELETE', `${room(slug)}/whitelist/${encodeURIComponent(id)}`);
export interface AccessRequestRow { id: string; user: { id: string; login: string }; note: string; state: string; createdAt: string }
export const listAccessRequests = (slug: string) =>
  call<{ requests: AccessRequestRow[] }>('GET', `${room(slug)}/access-requests`).then((r) => r.requests);
export const decideAccessRequest = (slug: string, id: string, decision: 'approve' | 'deny') =>
  call<AccessRequestRow>('POST', `${room(slug)}/access-requests/${encodeURIComponent(id)}/${decision}`);
export interface Bot { id: string; login: string; name: string; agentId: string | null; prefix: string | null; createdAt: string }
export const listBotsFull = (slug: string) =>
  call<{ bots: Bot[] }>('GET', `${room(slug)}/bots`).then((r) => r.bots);
export const createBot = (slug: string, b: { login: string; name?: string; agentId?: string; prefix?: string }) =>
  call<Bot>('POST', `${room(slug)}/bots`, b);

// Outbound webhooks (owner only).
export interface Webhook {
  id: string; url: string; events: string[]; description: string; enabled: boolean;
  disabledReason: string | null; failureCount: number; createdAt: string; secret?: string;
  lastDelivery: { state: string; statusCode: number | null; at: string | null } | null;
}
export interface WebhookDelivery {
  id: string; event: string; webhookMessageId: string; attempt: number; state: string;
  statusCode: number | null; latencyMs: number | null; error: string | null; createdAt: string;
}
export const listWebhooks = (slug: string) =>
  call<{ webhooks: Webhook[] }>('GET', `${room(slug)}/webhooks`).then((r) => r.webhooks);
export const createWebhook = (slug: string, h: { url: string; events: string[]; description?: string }) =>
  call<Webhook>('POST', `${room(slug)}/webhooks`, h);
export const updateWebhook = (slug: string, id: string, change: { url?: string; events?: string[]; enabled?: boolean }) =>
  call<Webhook>('PATCH', `${room(slug)}/webhooks/${encodeURIComponent(id)}`, change);
export const deleteWebhook = (slug: string, id: string) =>
  call<{ ok: true }>('DELETE', `${room(slug)}/webhooks/${encodeURIComponent(id)}`);
export const listWebhookDeliveries = (slug: string, id: string) =>
  call<{ deliveries: WebhookDelivery[] }>('GET', `${room(slug)}/webhooks/${encodeURIComponent(id)}/deliveries`)
    .then((r) => r.deliveries);
export const redeliverWebhook = (slug: string, id: string, deliveryId: string) =>
  call<WebhookDelivery>('POST', `${room(slug)}/webhooks/${encodeURIComponent(id)}/deliveries/${encodeURIComponent(deliveryId)}/redeliver`);

// Account.
export interface Notification { id: string; kind: string; roomId: string; refId: string; data: Record<string, unknown>; state: string; createdAt: string }
export const listNotifications = () =>
  call<{ notifications: Notification[] }>('GET', '/api/notifications').then((r) => r.notifications);
export interface ApiToken { id: string; name: string; createdAt: string; revokedAt: string | null }
export const listTokens = () => call<{ tokens: ApiToken[] }>('GET', '/api/tokens').then((r) => r.tokens);
export const createToken = (name: string) =>
  call<ApiToken & { token: string }>('POST', '/api/tokens', name ? { name } : {});
export const revokeToken = (id: string) => call<{ ok: true }>('DELETE', `/api/tokens/${encodeURIComponent(id)}`);

// -- notifications ----------------------------------------------------------------------

/** A tab of the notifications view: the inbox (`all`: unread and read), one state, or saved. */
export type NotificationTab = 'unread' | 'all' | 'saved' | 'archived';

export function pageNotifications(tab: NotificationTab, limit = 50, next?: string): Promise<NotificationPage> {
  const q = new URLSearchParams({ limit: String(limit) });
  if (tab === 'unread' || tab === 'archived') q.set('state', tab);
  if (tab === 'saved') q.set('saved', 'true');
  if (next) q.set('next', next);
  return call('GET', `/api/notifications?${q}`);
}

export function setNotificationState(id: string, state: AppNotification['state']): Promise<AppNotification> {
  return call('PATCH', `/api/notifications/${encodeURIComponent(id)}`, { state });
}

export function saveNotification(id: string, saved: boolean): Promise<AppNotification> {
  return call(saved ? 'PUT' : 'DELETE', `/api/notifications/${encodeURIComponent(id)}/save`);
}

// Incoming webhooks (room owner): `url` only in the answer to create.
export interface IncomingWebhook {
  id: string; name: string; channelId: string | null; createdAt: string; revokedAt: string | null;
  githubSecret: boolean; url?: string;
}
export const listIncomingWebhooks = (slug: string) =>
  call<{ webhooks: IncomingWebhook[] }>('GET', `${room(slug)}/incoming-webhooks`).then((r) => r.webhooks);
export const createIncomingWebhook = (slug: string, b: { channelId: string | null; name: string; githubSecret?: string }) =>
  call<IncomingWebhook & { url: string }>('POST', `${room(slug)}/incoming-webhooks`, b);
export const revokeIncomingWebhook = (slug: string, id: string) =>
  call<IncomingWebhook>('DELETE', `${room(slug)}/incoming-webhooks/${encodeURIComponent(id)}`);
