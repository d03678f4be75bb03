// Threads (docs/api.md, "Threads"): one thread per message even under concurrent creates;
// replies paged oldest first with their authors, idempotent on clientMsgId, 1..4000
// characters; never broadcast as `message`; the root's threadId/replyCount/lastReplyAt in
// history, sync and thread_updated (WebSocket and SSE); 404 for unknown ids and for anyone
// who cannot see the channel; a deleted root keeps its thread.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startRelay, api, uniq, openWs, openSse, newUser, newRoom, ISO_MS } from './harness.mjs';

let relay;
before(async () => { relay = await startRelay(); });
after(async () => { await relay?.stop(); });

const user = (prefix = 'th') => newUser(relay, prefix);
const call = (who, method, path, body) => api(relay.url, who?.token, method, path, body);

async function post(who, slug, content, channelId) {
  const r = await call(who, 'POST', `/api/rooms/${slug}/messages`, { content, channelId });
  assert.equal(r.status, 201, r.text);
  return r.json;
}

const startThread = (who, slug, id) => call(who, 'POST', `/api/rooms/${slug}/messages/${id}/thread`);
const reply = (who, threadId, content, clientMsgId) =>
  call(who, 'POST', `/api/threads/${threadId}/replies`, { content, clientMsgId });
const replies = (who, threadId, query = '') => call(who, 'GET', `/api/threads/${threadId}/replies${query}`);

async function sockets(who, slug) {
  const ws = await openWs(`${relay.wsUrl}/api/ws/rooms/${slug}`, who.token);
  const sync = await ws.next((f) => f.type === 'sync');
  const sse = await openSse(`${relay.url}/api/rooms/${slug}/stream`, who.token);
  return { ws, sse, sync, close: async () => { sse.close(); await ws.close(); } };
}

const isThread = (f) => f.type === 'thread_updated';
const sseThread = async (s) => (await s.sse.next((x) => isThread(x.data ?? {}))).data;

test('creating a thread is idempotent, concurrent calls included: one thread per message', async () => {
  const alice = await user('ta');
  const bob = await user('tb');
  const slug = await newRoom(relay, alice);
  const m = await post(alice, slug, 'root');
  assert.equal(m.threadId, null);
  assert.equal(m.replyCount, 0);
  assert.equal(m.lastReplyAt, null);

  const all = await Promise.all(Array.from({ length: 10 }, (_, i) => startThread(i % 2 ? bob : alice, slug, m.id)));
  const ids = new Set(all.map((r) => r.json.threadId));
  assert.equal(ids.size, 1, JSON.stringify(all.map((r) => r.text)));
  assert.deepEqual(all.map((r) => r.status).sort(), [200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
  const [threadId] = ids;
  assert.match(threadId, /^thr_/);
  const again = await startThread(bob, slug, m.id);
  assert.equal(again.status, 200);
  assert.equal(again.json.threadId, threadId);
  assert.equal(again.json.thread.rootId, m.id);

  // The root carries its thread in history.
  const h = await call(bob, 'GET', `/api/rooms/${slug}/messages`);
  const root = h.json.messages.find((x) => x.id === m.id);
  assert.equal(root.threadId, threadId);
  assert.equal(root.replyCount, 0);

  assert.equal((await startThread(alice, slug, 'msg_nope')).status, 404);
  const other = await newRoom(relay, alice);
  assert.equal((await startThread(alice, other, m.id)).status, 404, 'a message of another room');
});

test('replies: oldest first with authors, paged, idempotent on clientMsgId, 1..4000 characters', async () => {
  const alice = await user('tc');
  const bob = await user('td');
  const slug = await newRoom(relay, alice);
  const m = await post(alice, slug, 'root');
  const { threadId } = (await startThread(alice, slug, m.id)).json;

  const first = await reply(bob, threadId, '  first  ', 'c-1');
  assert.equal(first.status, 201, first.text);
  assert.equal(first.json.content, 'first');
  assert.equal(first.json.threadId, threadId);
  assert.equal(first.json.seq, 1);
  assert.equal(first.json.roomId, m.roomId);
  assert.equal(first.json.channelId, null);
  assert.equal(first.json.author.login, bob.login);
  assert.equal(first.json.clientMsgId, 'c-1');
  const dup = await reply(bob, threadId, 'retried with other words', 'c-1');
  assert.equal(dup.status, 200);
  assert.equal(dup.json.id, first.json.id);
  assert.equal(dup.json.content, 'first');
  for (let i = 2; i <= 7; i++) {
    const r = await reply(i % 2 ? bob : alice, threadId, `r${i}`);
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.seq, i);
  }

  // Bad content: 400 and nothing stored.
  for (const content of ['', '   ', 'x'.repeat(4001)]) {
    const r = await reply(alice, threadId, content);
    assert.equal(r.status, 400, `${content.length} chars -> ${r.status}`);
    assert.equal(r.json.code, content.length > 4000 ? 'CONTENT_TOO_LONG' : 'CONTENT_EMPTY');
  }
  assert.equal((await call(alice, 'POST', `/api/threads/${threadId}/replies`, {})).status, 400);
  const longest = await reply(alice, threadId, '€'.repeat(4000));
  assert.equal(longest.status, 201, 'exactly 4000 characters is fine');

  const p1 = await replies(alice, threadId, '?limit=3');
  assert.equal(p1.status, 200, p1.text);
  assert.deepEqual(p1.json.replies.map((r) => r.content), ['first', 'r2', 'r3']);
  assert.equal(p1.json.replies[0].author.login, bob.login);
  assert.equal(p1.json.replies[1].author.login, alice.login);
  assert.equal(p1.json.root.id, m.id);
  assert.equal(p1.json.thread.id, threadId);
  assert.equal(p1.json.thread.replyCount, 8);
  assert.deepEqual(p1.json.next, { afterSeq: 3 });
  const p2 = await replies(alice, threadId, `?limit=3&afterSeq=${p1.json.next.afterSeq}`);
  assert.deepEqual(p2.json.replies.map((r) => r.content), ['r4', 'r5', 'r6']);
  const p3 = await replies(alice, threadId, `?limit=3&afterSeq=${p2.json.next.afterSeq}`);
  assert.deepEqual(p3.json.replies.map((r) => r.seq), [7, 8]);
  assert.equal(p3.json.next, null);
  for (const q of ['?limit=0', '?limit=101', '?limit=x', '?afterSeq=-1']) {
    assert.equal((await replies(alice, threadId, q)).status, 400, q);
  }

  // The root's counts, in history; replies are not messages of the channel.
  const h = await call(alice, 'GET', `/api/rooms/${slug}/messages`);
  assert.deepEqual(h.json.messages.map((x) => x.id), [m.id]);
  assert.equal(h.json.messages[0].replyCount, 8);
  assert.match(h.json.messages[0].lastReplyAt, ISO_MS);
  assert.equal(h.json.messages[0].lastReplyAt, longest.json.createdAt);
});

test('unknown threads are 404; so is a thread of a private channel or DM to an outsider', async () => {
  const owner = await user('to');
  const member = await user('tp');
  const outsider = await user('tq');
  const slug = await newRoom(relay, owner);
  assert.equal((await replies(owner, 'thr_nope')).status, 404);
  assert.equal((await reply(owner, 'thr_nope', 'hi')).status, 404);

  const ch = await call(owner, 'POST', `/api/rooms/${slug}/channels`,
    { name: 'secret', slug: uniq('c').toLowerCase(), visibility: 'private', inviteLogins: [member.login] });
  assert.equal(ch.status, 201, ch.text);
  const secret = await post(owner, slug, 'secret words', ch.json.id);
  assert.equal((await startThread(outsider, slug, secret.id)).status, 404);
  const { threadId } = (await startThread(member, slug, secret.id)).json;
  assert.ok(threadId);
  assert.equal((await reply(member, threadId, 'inside')).status, 201);
  const o = await sockets(outsider, slug);
  for (const r of [await replies(outsider, threadId), await reply(outsider, threadId, 'let me in')]) {
    assert.equal(r.status, 404, r.text);
    assert.equal(r.json.code, 'NOT_FOUND');
  }
  assert.equal((await replies(member, threadId)).json.replies.length, 1, 'the outsider stored nothing');

  const dm = await call(owner, 'POST', `/api/rooms/${slug}/dms`, { logins: [member.login] });
  assert.ok(dm.status === 200 || dm.status === 201, dm.text);
  const dmMsg = await post(owner, slug, 'dm words', dm.json.id);
  assert.equal((await startThread(outsider, slug, dmMsg.id)).status, 404);
  const dmThread = (await startThread(member, slug, dmMsg.id)).json.threadId;
  assert.equal((await replies(outsider, dmThread)).status, 404);
  assert.equal((await reply(outsider, dmThread, 'hi')).status, 404);
  assert.equal((await reply(owner, dmThread, 'hi')).status, 201);

  // The outsider's sockets never heard of either thread.
  const open = await post(owner, slug, 'open words');
  await startThread(owner, slug, open.id);
  const f = await o.ws.next(isThread);
  assert.equal(f.rootId, open.id);
  assert.equal((await sseThread(o)).rootId, open.id);
  assert.ok(!o.ws.frames.some((x) => x.type === 'thread_updated' && x.rootId !== open.id));
  await o.close();
});

test('a gated room: a thread is 404 to someone not let in', async () => {
  const owner = await user('tg');
  const stranger = await user('th');
  const slug = await newRoom(relay, owner);
  const m = await post(owner, slug, 'root');
  const { threadId } = (await startThread(owner, slug, m.id)).json;
  assert.equal((await replies(stranger, threadId)).status, 200, 'an open room lets anyone in');
  const gate = await call(owner, 'PUT', `/api/rooms/${slug}/whitelist-mode`, { enabled: true });
  assert.ok(gate.status === 200 || gate.status === 204, gate.text);
  assert.equal((await replies(stranger, threadId)).status, 404);
  assert.equal((await reply(stranger, threadId, 'hi')).status, 404);
  assert.equal((await replies(owner, threadId)).status, 200);
});

test('a reply reaches WebSocket and SSE readers as thread_updated, never as message', async () => {
  const alice = await user('tw');
  const bob = await user('tx');
  const slug = await newRoom(relay, alice);
  const m = await post(alice, slug, 'root');
  const s = await sockets(bob, slug);
  const created = await startThread(alice, slug, m.id);
  const { threadId } = created.json;
  for (const f of [await s.ws.next(isThread), await sseThread(s)]) {
    assert.equal(f.threadId, threadId);
    assert.equal(f.replyCount, 0);
    assert.equal(f.message.id, m.id);
    assert.equal(f.message.threadId, threadId);
  }

  const r = await reply(alice, threadId, 'a reply');
  assert.equal(r.status, 201);
  for (const f of [await s.ws.next(isThread), await sseThread(s)]) {
    assert.equal(f.channelId, null);
    assert.equal(f.rootId, m.id);
    assert.equal(f.replyCount, 1);
    assert.equal(f.lastReplyAt, r.json.createdAt);
    assert.equal(f.message.replyCount, 1);
    assert.equal(f.message.lastReplyAt, r.json.createdAt);
    assert.equal(f.message.content, 'root');
  }
  // A retried clientMsgId changes nothing and announces nothing.
  await reply(alice, threadId, 'once', 'c-once');
  await reply(alice, threadId, 'once', 'c-once');
  await post(alice, slug, 'after');
  const next = await s.ws.next((f) => f.type === 'message');
  assert.equal(next.message.content, 'after', 'no reply came as a message');
  const updates = s.ws.frames.filter(isThread);
  assert.equal(updates.length, 3, 'create, reply, once: the retry announced nothing');
  assert.ok(!s.ws.frames.some((f) => f.type === 'message' && f.message.threadId));
  assert.ok(!s.sse.events.some((e) => e.data?.type === 'message' && e.data.message.threadId));
  await s.close();

  // A new connection's sync has the root's counts.
  const again = await sockets(bob, slug);
  const root = again.sync.messages.find((x) => x.id === m.id);
  assert.equal(root.threadId, threadId);
  assert.equal(root.replyCount, 2);
  await again.close();
});

test('deleting the root keeps the thread readable and open to replies; the root shows as deleted', async () => {
  const alice = await user('ty');
  const bob = await user('tz');
  const slug = await newRoom(relay, alice);
  const m = await post(alice, slug, 'soon gone');
  const { threadId } = (await startThread(bob, slug, m.id)).json;
  await reply(bob, threadId, 'before');
  const del = await call(alice, 'DELETE', `/api/rooms/${slug}/messages/${m.id}`);
  assert.equal(del.status, 200, del.text);
  const s = await sockets(bob, slug);

  const page = await replies(bob, threadId);
  assert.equal(page.status, 200);
  assert.equal(page.json.root, null);
  assert.deepEqual(page.json.replies.map((r) => r.content), ['before']);
  const after = await reply(alice, threadId, 'after');
  assert.equal(after.status, 201, after.text);
  assert.equal(after.json.seq, 2);
  const f = await s.ws.next(isThread);
  assert.equal(f.message, null);
  assert.equal(f.replyCount, 2);
  assert.equal((await sseThread(s)).message, null);
  assert.equal((await startThread(bob, slug, m.id)).status, 404, 'no new thread on a deleted message');
  await s.close();
});
