// REST API contract (docs/api.md, "REST"): auth, rooms, channels, messages.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startRelay, createUser, createRoom, api, uniq, ISO_MS, fetchAllMessages, FAST_SEND_ARGS,
} from './harness.mjs';

let relay;
before(async () => { relay = await startRelay(); });
after(async () => { await relay?.stop(); });

async function newUser(prefix = 'r') {
  const login = uniq(prefix);
  return { login, token: await createUser(relay.dataDir, login) };
}
const call = (u, method, path, body) => api(relay.url, u?.token, method, path, body);

function assertError(r, status, code) {
  assert.equal(r.status, status, `expected ${status} ${code}, got ${r.status} ${r.text}`);
  assert.equal(r.json?.code, code, r.text);
  assert.equal(typeof r.json.error, 'string');
}

/** A room owned by `u` (only a room's owner may create channels in it). */
const newRoom = (u) => createRoom(relay, u.token);

/** A public channel in `room` (which `u` owns). */
async function newChannel(u, room) {
  const slug = uniq('c');
  const r = await call(u, 'POST', `/api/rooms/${room.slug}/channels`, { name: `Chan ${slug}`, slug, visibility: 'public' });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.slug, slug);
  return r.json;
}

/** Posts to room `slug` (channelId null = its room-wide thread) and expects 201. */
async function postIn(slug, u, content, channelId = null, clientMsgId) {
  const body = { content, channelId };
  if (clientMsgId !== undefined) body.clientMsgId = clientMsgId;
  const r = await call(u, 'POST', `/api/rooms/${slug}/messages`, body);
  assert.equal(r.status, 201, r.text);
  return r.json;
}
const post = (u, content, channelId, clientMsgId) => postIn('lobby', u, content, channelId, clientMsgId);

const messagesQueryIn = (slug, u, query) => call(u, 'GET', `/api/rooms/${slug}/messages?${new URLSearchParams(query)}`);
const messagesQuery = (u, query) => messagesQueryIn('lobby', u, query);

test('GET /api/health needs no auth and reports every check', async () => {
  const r = await api(relay.url, null, 'GET', '/api/health');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.ok, true);
  assert.ok(r.json.ts !== undefined && r.json.ts !== null, 'ts present');
  for (const k of ['server', 'redis', 'sqlite', 'postgres']) assert.ok(k in r.json.checks, `checks.${k}`);
  assert.equal(r.json.checks.redis, 'off', 'redis is not configured');
  assert.equal(r.json.checks.postgres, 'off', 'postgres is not configured');
  const del = await api(relay.url, null, 'DELETE', '/api/health');
  assert.equal(del.status, 405, del.text);
  assert.equal(del.json.code, 'METHOD_NOT_ALLOWED');
});

test('GET /api/me returns the token owner', async () => {
  const u = await newUser();
  const r = await call(u, 'GET', '/api/me');
  assert.equal(r.status, 200, r.text);
  assert.match(r.json.id, /^usr_\w+$/);
  assert.equal(r.json.login, u.login);
  for (const k of ['githubId', 'name', 'avatarUrl', 'email']) assert.ok(k in r.json, `me.${k}`);
});

test('a missing or unknown token gets 401; /api/me answers null', async () => {
  const me = await api(relay.url, null, 'GET', '/api/me');
  assert.equal(me.status, 401);
  assert.equal(me.json, null, `body must be null, got ${me.text}`);
  const meBad = await api(relay.url, 'rlt_not_a_real_token', 'GET', '/api/me');
  assert.equal(meBad.status, 401);
  assert.equal(meBad.json, null);
  assertError(await api(relay.url, null, 'GET', '/api/rooms/lobby'), 401, 'UNAUTHORIZED');
  assertError(await api(relay.url, 'rlt_nope', 'GET', '/api/rooms/lobby/messages'), 401, 'UNAUTHORIZED');
  const content = `anon ${uniq('x')}`;
  assertError(await api(relay.url, null, 'POST', '/api/rooms/lobby/messages', { content, channelId: null }),
    401, 'UNAUTHORIZED');
  const u = await newUser();
  const list = await messagesQuery(u, { limit: '100' });
  assert.ok(!list.json.messages.some((m) => m.content === content), 'unauthenticated post not stored');
});

test('unknown paths are 404 NOT_FOUND, wrong methods 405 METHOD_NOT_ALLOWED', async () => {
  const u = await newUser();
  assertError(await call(u, 'GET', '/api/no-such-thing'), 404, 'NOT_FOUND');
  assertError(await call(u, 'PUT', '/api/rooms/lobby/messages', { content: 'x' }), 405, 'METHOD_NOT_ALLOWED');
});

test('GET /api/rooms/lobby returns the seeded, ownerless lobby', async () => {
  const u = await newUser();
  const r = await call(u, 'GET', '/api/rooms/lobby');
  assert.equal(r.status, 200, r.text);
  const room = r.json;
  assert.match(room.id, /^room_\w+$/);
  assert.equal(room.slug, 'lobby');
  assert.equal(room.owner, null);
  assert.equal(typeof room.settings.whitelistOnly, 'boolean');
  assert.ok(Array.isArray(room.accentColors));
  for (const k of ['displayName', 'description', 'avatarUrl']) assert.ok(k in room, `room.${k}`);
  assert.match(room.createdAt, ISO_MS);
});

test('an unknown room slug is 404 on every room route', async () => {
  const u = await newUser();
  const slug = uniq('nosuchroom');
  assertError(await call(u, 'GET', `/api/rooms/${slug}`), 404, 'NOT_FOUND');
  assertError(await call(u, 'GET', `/api/rooms/${slug}/channels`), 404, 'NOT_FOUND');
  assertError(await call(u, 'GET', `/api/rooms/${slug}/messages`), 404, 'NOT_FOUND');
  assertError(await call(u, 'POST', `/api/rooms/${slug}/messages`, { content: 'x', channelId: null }), 404, 'NOT_FOUND');
});

test('rooms: POST /api/rooms is 201 with the room object, owned by the caller; a taken or reserved slug is 409', async () => {
  const u = await newUser();
  const me = (await call(u, 'GET', '/api/me')).json;
  const slug = uniq('room');
  const r = await call(u, 'POST', '/api/rooms', {
    slug, displayName: 'My room', description: 'about it', accentColors: ['#112233'],
  });
  assert.equal(r.status, 201, r.text);
  const room = r.json;
  assert.match(room.id, /^room_\w+$/);
  assert.equal(room.slug, slug);
  assert.equal(room.displayName, 'My room');
  assert.equal(room.description, 'about it');
  assert.deepEqual(room.accentColors, ['#112233']);
  assert.ok('avatarUrl' in room, 'room.avatarUrl');
  assert.equal(room.owner?.id, me.id);
  assert.equal(room.owner.login, u.login);
  for (const k of ['name', 'avatarUrl']) assert.ok(k in room.owner, `owner.${k}`);
  assert.equal(room.settings?.whitelistOnly, false);
  assert.match(room.createdAt, ISO_MS);
  const got = await call(await newUser(), 'GET', `/api/rooms/${slug}`);
  assert.equal(got.status, 200, got.text);
  assert.equal(got.json.id, room.id);
  assert.equal(got.json.owner?.login, u.login);

  assertError(await call(await newUser(), 'POST', '/api/rooms', { slug, displayName: 'Squatter' }), 409, 'CONFLICT');
  for (const reserved of ['lobby', 'api', 'auth']) {
    assertError(await call(u, 'POST', '/api/rooms', { slug: reserved, displayName: 'Nope' }), 409, 'CONFLICT');
  }
  assert.equal((await call(u, 'GET', '/api/rooms/lobby')).json.owner, null, 'the lobby stays ownerless');
});

test('channels: nobody creates channels in the lobby; in a room only its owner; taken slug 409', async () => {
  const owner = await newUser();
  const other = await newUser();
  const lobbySlug = uniq('c');
  assertError(await call(owner, 'POST', '/api/rooms/lobby/channels', { name: 'Lobby chan', slug: lobbySlug, visibility: 'public' }),
    403, 'FORBIDDEN');
  const lobbyList = await call(owner, 'GET', '/api/rooms/lobby/channels');
  assert.equal(lobbyList.status, 200, lobbyList.text);
  assert.ok(!lobbyList.json.channels.some((c) => c.slug === lobbySlug), 'refused lobby channel not created');

  const room = await newRoom(owner);
  const base = `/api/rooms/${room.slug}/channels`;
  const intruderSlug = uniq('c');
  assertError(await call(other, 'POST', base, { name: 'Not mine', slug: intruderSlug, visibility: 'public' }), 403, 'FORBIDDEN');

  const slug = uniq('c');
  const r = await call(owner, 'POST', base, { name: 'General talk', slug, visibility: 'public' });
  assert.equal(r.status, 201, r.text);
  const ch = r.json;
  assert.match(ch.id, /^ch_\w+$/);
  assert.equal(ch.slug, slug);
  assert.equal(ch.name, 'General talk');
  assert.equal(ch.visibility, 'public');
  assert.equal(ch.memberCount, 1, 'the creator is the only member');
  assert.ok('createdBy' in ch);
  assert.match(ch.createdAt, ISO_MS);

  const list = await call(other, 'GET', base);
  assert.equal(list.status, 200, list.text);
  assert.equal(list.json.channels.filter((c) => c.id === ch.id).length, 1, 'a public channel is listed for everyone');
  assert.ok(!list.json.channels.some((c) => c.slug === intruderSlug), 'refused channel not created');

  assertError(await call(other, 'POST', base, { name: 'Other', slug, visibility: 'public' }), 403, 'FORBIDDEN');
  const dup = await call(owner, 'POST', base, { name: 'Other', slug, visibility: 'public' });
  assertError(dup, 409, 'CONFLICT');
  const after = await call(owner, 'GET', base);
  assert.equal(after.json.channels.filter((c) => c.slug === slug).length, 1, 'no second channel with the slug');
  const lobbyAfter = await call(owner, 'GET', '/api/rooms/lobby/channels');
  assert.ok(!lobbyAfter.json.channels.some((c) => c.id === ch.id), "a room's channel is not in the lobby");
});

test('POST message is 201 with the full message object', async () => {
  const u = await newUser();
  const room = (await call(u, 'GET', '/api/rooms/lobby')).json;
  const m = await post(u, 'hello world', null, uniq('cm'));
  assert.match(m.id, /^msg_\w+$/);
  assert.equal(m.roomId, room.id);
  assert.equal(m.channelId, null);
  assert.ok(Number.isInteger(m.seq) && m.seq > 0);
  assert.equal(m.author.login, u.login);
  for (const k of ['id', 'name', 'avatarUrl']) assert.ok(k in m.author, `author.${k}`);
  assert.equal(m.content, 'hello world');
  assert.match(m.createdAt, ISO_MS);
  assert.equal(m.editedAt, null);
  assert.deepEqual(m.reactions, {});
  assert.equal(m.threadId, null);
  assert.equal(m.bot, null);
  const plain = await post(u, 'no client id');
  assert.equal(plain.clientMsgId, null);
});

test('repeating a clientMsgId returns 200 with the original and stores nothing new', async () => {
  const u = await newUser();
  const room = await newRoom(u);
  const ch = await newChannel(u, room);
  const cm = uniq('cm');
  const first = await postIn(room.slug, u, 'once', ch.id, cm);
  assert.equal(first.clientMsgId, cm);
  const again = await call(u, 'POST', `/api/rooms/${room.slug}/messages`, { content: 'once', channelId: ch.id, clientMsgId: cm });
  assert.equal(again.status, 200, again.text);
  assert.equal(again.json.id, first.id);
  assert.equal(again.json.seq, first.seq);
  const all = await fetchAllMessages(relay.url, u.token, room.slug, { channelId: ch.id });
  assert.deepEqual(all.map((m) => m.id), [first.id]);

  // Deleted since: a resend (a client that never saw its answer) still posts nothing.
  assert.equal((await call(u, 'DELETE', `/api/rooms/${room.slug}/messages/${first.id}`)).status, 200);
  const late = await call(u, 'POST', `/api/rooms/${room.slug}/messages`, { content: 'once', channelId: ch.id, clientMsgId: cm });
  assert.equal(late.status, 200, late.text);
  assert.equal(late.json.id, first.id);
  assert.equal(late.json.seq, first.seq);
  assert.equal(late.json.content, '', 'a deleted message\'s text is not kept');
  assert.deepEqual(await fetchAllMessages(relay.url, u.token, room.slug, { channelId: ch.id }), []);
});

test('a clientMsgId already used in another room or channel is 409, never a silent ack', async () => {
  const u = await newUser();
  const room = await newRoom(u);
  const other = await newRoom(u);
  const ch = await newChannel(u, room);
  const cm = uniq('cm');
  const first = await postIn(room.slug, u, 'in the room-wide thread', null, cm);
  for (const [slug, channelId] of [[room.slug, ch.id], [other.slug, null]]) {
    const r = await call(u, 'POST', `/api/rooms/${slug}/messages`, { content: 'a new message', channelId, clientMsgId: cm });
    assert.equal(r.status, 409, r.text);
    assert.equal(r.json.code, 'CONFLICT');
    assert.match(r.json.error, /clientMsgId/);
  }
  assert.deepEqual(await fetchAllMessages(relay.url, u.token, room.slug, { channelId: ch.id }), []);
  assert.deepEqual(await fetchAllMessages(relay.url, u.token, other.slug, { channelId: null }), []);
  const again = await call(u, 'POST', `/api/rooms/${room.slug}/messages`, { content: 'x', channelId: null, clientMsgId: cm });
  assert.equal(again.status, 200, 'where it was used it is still a resend');
  assert.equal(again.json.id, first.id);
});

test('seq increases by one per message, independently per channel', async () => {
  const u = await newUser();
  const room = await newRoom(u);
  const a = await newChannel(u, room);
  const b = await newChannel(u, room);
  const p = (content, channelId) => postIn(room.slug, u, content, channelId);
  const a1 = await p('a1', a.id);
  const b1 = await p('b1', b.id);
  const a2 = await p('a2', a.id);
  const a3 = await p('a3', a.id);
  const b2 = await p('b2', b.id);
  assert.deepEqual([a2.seq, a3.seq], [a1.seq + 1, a1.seq + 2]);
  assert.equal(b2.seq, b1.seq + 1);
  assert.equal(a1.channelId, a.id);
  assert.equal(a1.roomId, room.id);
  const l1 = await p('l1');
  const l2 = await p('l2');
  assert.equal(l2.seq, l1.seq + 1, 'the room-wide thread has its own sequence');
  assert.equal(l1.channelId, null);
});

test('posting to an unknown channel is 404', async () => {
  const u = await newUser();
  assertError(await call(u, 'POST', '/api/rooms/lobby/messages', { content: 'x', channelId: 'ch_01JZZZZZZZZZZZZZZZZZZZZZZZ' }),
    404, 'NOT_FOUND');
});

test('content is trimmed and limited to 1..4000 code points', async () => {
  const u = await newUser();
  assert.equal((await post(u, '  \n\t padded \t\n ')).content, 'padded');
  const emoji = '😀'.repeat(4000); // 4000 code points, 8000 UTF-16 units, 16000 bytes
  assert.equal((await post(u, emoji)).content, emoji);
  const a4000 = 'a'.repeat(4000);
  assert.equal((await post(u, `   ${a4000}   `)).content, a4000, 'length counted after trimming');
  const body = (content) => ({ content, channelId: null, clientMsgId: uniq('cm') });
  assertError(await call(u, 'POST', '/api/rooms/lobby/messages', body(`${emoji}😀`)), 400, 'CONTENT_TOO_LONG');
  assertError(await call(u, 'POST', '/api/rooms/lobby/messages', body('a'.repeat(4001))), 400, 'CONTENT_TOO_LONG');
  assertError(await call(u, 'POST', '/api/rooms/lobby/messages', body('')), 400, 'CONTENT_EMPTY');
  assertError(await call(u, 'POST', '/api/rooms/lobby/messages', body(' \n\t ')), 400, 'CONTENT_EMPTY');
});

test('bad JSON, wrong types, missing fields and invalid UTF-8 are 400 with their codes', async () => {
  const u = await newUser();
  const path = '/api/rooms/lobby/messages';
  assertError(await call(u, 'POST', path, '{"content": "x", '), 400, 'BAD_REQUEST');
  assertError(await call(u, 'POST', path, { content: 42, channelId: null }), 400, 'BAD_REQUEST');
  assertError(await call(u, 'POST', path, { content: 'x', channelId: 7 }), 400, 'BAD_REQUEST');
  assertError(await call(u, 'POST', path, { channelId: null }), 400, 'MISSING_FIELD');
  const bad = Buffer.concat([Buffer.from('{"content":"a'), Buffer.from([0xff, 0xfe]), Buffer.from('b","channelId":null}')]);
  assertError(await call(u, 'POST', path, bad), 400, 'INVALID_UTF8');
});

test('request bodies over 64 KiB are 413; exactly 64 KiB is accepted', async () => {
  const u = await newUser();
  const path = '/api/rooms/lobby/messages';
  const base = JSON.stringify({ content: 'edge of the cap', channelId: null, clientMsgId: uniq('cm') });
  const exact = base + ' '.repeat(65536 - base.length); // trailing JSON whitespace
  const ok = await call(u, 'POST', path, exact);
  assert.equal(ok.status, 201, `65536-byte body: ${ok.status} ${ok.text}`);
  const over = JSON.stringify({ content: 'one too many', channelId: null, clientMsgId: uniq('cm') });
  assertError(await call(u, 'POST', path, over + ' '.repeat(65537 - over.length)), 413, 'PAYLOAD_TOO_LARGE');
  const huge = { content: 'x'.repeat(100 * 1024), channelId: null, clientMsgId: uniq('cm') };
  assertError(await call(u, 'POST', path, huge), 413, 'PAYLOAD_TOO_LARGE');
});

test('edit: author gets 200 with editedAt, another user 403, unknown id 404', async () => {
  const author = await newUser();
  const other = await newUser();
  const m = await post(author, 'original');
  const path = `/api/rooms/lobby/messages/${m.id}`;
  assertError(await call(other, 'PATCH', path, { content: 'hijacked' }), 403, 'FORBIDDEN');
  assertError(await call(author, 'PATCH', path, { content: '   ' }), 400, 'CONTENT_EMPTY');
  const r = await call(author, 'PATCH', path, { content: '  edited  ' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.id, m.id);
  assert.equal(r.json.seq, m.seq);
  assert.equal(r.json.content, 'edited');
  assert.match(r.json.editedAt, ISO_MS);
  assert.equal(r.json.createdAt, m.createdAt);
  const listed = (await messagesQuery(author, { channelId: '__lobby', afterSeq: String(m.seq - 1) })).json.messages;
  assert.equal(listed.find((x) => x.id === m.id).content, 'edited', 'other user could not overwrite');
  assertError(await call(author, 'PATCH', '/api/rooms/lobby/messages/msg_01JZZZZZZZZZZZZZZZZZZZZZZZ', { content: 'x' }),
    404, 'NOT_FOUND');
});

test('delete: another user 403, author 200 {ok:true}, then gone; seq is never reused', async () => {
  const author = await newUser();
  const other = await newUser();
  const room = await newRoom(author);
  const ch = await newChannel(author, room);
  const keep = await postIn(room.slug, author, 'keep', ch.id);
  const m = await postIn(room.slug, author, 'to delete', ch.id);
  const path = `/api/rooms/${room.slug}/messages/${m.id}`;
  assertError(await call(other, 'DELETE', path), 403, 'FORBIDDEN');
  const r = await call(author, 'DELETE', path);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json, { ok: true });
  const all = await fetchAllMessages(relay.url, author.token, room.slug, { channelId: ch.id });
  assert.deepEqual(all.map((x) => x.id), [keep.id]);
  assertError(await call(author, 'DELETE', path), 404, 'NOT_FOUND');
  assertError(await call(author, 'PATCH', path, { content: 'zombie' }), 404, 'NOT_FOUND');
  const next = await postIn(room.slug, author, 'after delete', ch.id);
  assert.equal(next.seq, m.seq + 1, 'the deleted seq is not reused');
});

test('keyset pagination is newest first and returns every message once despite concurrent inserts', async () => {
  const u = await newUser();
  const room = await newRoom(u);
  const ch = await newChannel(u, room);
  const post = (user, content, channelId) => postIn(room.slug, user, content, channelId);
  const messagesQuery = (user, query) => messagesQueryIn(room.slug, user, query);
  const originals = [];
  for (let i = 0; i < 25; i++) originals.push(await post(u, `page msg ${i}`, ch.id));
  const seen = [];
  let cursor = null;
  let pages = 0;
  do {
    const q = { channelId: ch.id, limit: '10' };
    if (cursor) Object.assign(q, cursor);
    const r = await messagesQuery(u, q);
    assert.equal(r.status, 200, r.text);
    assert.ok(r.json.messages.length <= 10);
    seen.push(...r.json.messages);
    cursor = r.json.next;
    pages += 1;
    // Somebody keeps talking while we page backwards.
    for (let i = 0; i < 3; i++) await post(u, `concurrent ${pages}.${i}`, ch.id);
  } while (cursor && pages < 10);
  assert.equal(cursor, null, 'last page has next: null');
  const ids = seen.map((m) => m.id);
  assert.equal(new Set(ids).size, ids.length, 'no message repeated across pages');
  assert.deepEqual(ids, originals.map((m) => m.id).reverse(), 'exactly the original messages, newest first');
  const first = (await messagesQuery(u, { channelId: ch.id, limit: '1' })).json.messages[0];
  assert.equal(first.content, `concurrent ${pages}.2`, 'a fresh first page shows the newest message');
});

test('limit defaults to 20 and is capped at 100', async (t) => {
  // 105 posts by one user in a few hundred ms are far past the default per-user send
  // rate (20/s, burst 40), so this test alone runs on a server with the limits raised.
  const bulk = await startRelay({ args: FAST_SEND_ARGS });
  t.after(() => bulk.stop());
  const token = await createUser(bulk.dataDir, uniq('r'));
  const room = await createRoom(bulk, token);
  const req = (method, path, body) => api(bulk.url, token, method, path, body);
  const chRes = await req('POST', `/api/rooms/${room.slug}/channels`, { name: 'bulk', slug: uniq('c'), visibility: 'public' });
  assert.equal(chRes.status, 201, chRes.text);
  const ch = chRes.json;
  const post = async (content) => {
    const r = await req('POST', `/api/rooms/${room.slug}/messages`, { content, channelId: ch.id });
    assert.equal(r.status, 201, r.text);
  };
  const messagesQuery = (query) => req('GET', `/api/rooms/${room.slug}/messages?${new URLSearchParams(query)}`);
  for (let i = 0; i < 105; i += 5) {
    await Promise.all([0, 1, 2, 3, 4].map((j) => post(`bulk ${i + j}`)));
  }
  const def = await messagesQuery({ channelId: ch.id });
  assert.equal(def.status, 200, def.text);
  assert.equal(def.json.messages.length, 20);
  assert.notEqual(def.json.next, null);
  const capped = await messagesQuery({ channelId: ch.id, limit: '1000' });
  assert.equal(capped.status, 200, capped.text);
  assert.equal(capped.json.messages.length, 100);
  assert.notEqual(capped.json.next, null);
  // Past what an int64 holds is still a number, capped the same way.
  const huge = await messagesQuery({ channelId: ch.id, limit: '99999999999999999999' });
  assert.equal(huge.status, 200, huge.text);
  assert.equal(huge.json.messages.length, 100);
  const rest = await messagesQuery({ channelId: ch.id, limit: '100', ...capped.json.next });
  assert.equal(rest.json.messages.length, 5);
  assert.equal(rest.json.next, null);
});

test('afterSeq returns later messages of one channel oldest first; channelId filters', async () => {
  const u = await newUser();
  const room = await newRoom(u);
  const ch = await newChannel(u, room);
  const post = (user, content, channelId) => postIn(room.slug, user, content, channelId);
  const messagesQuery = (user, query) => messagesQueryIn(room.slug, user, query);
  const ms = [];
  for (let i = 0; i < 6; i++) ms.push(await post(u, `after ${i}`, ch.id));
  const lobbyMsg = await post(u, 'in the room-wide thread');
  const r = await messagesQuery(u, { channelId: ch.id, afterSeq: String(ms[2].seq) });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.messages.map((m) => m.seq), [ms[3].seq, ms[4].seq, ms[5].seq]);
  const lobby = await messagesQuery(u, { channelId: '__lobby', afterSeq: String(lobbyMsg.seq - 1) });
  assert.deepEqual(lobby.json.messages.map((m) => m.id), [lobbyMsg.id]);
  const onlyLobby = await messagesQuery(u, { channelId: '__lobby', limit: '100' });
  assert.ok(onlyLobby.json.messages.every((m) => m.channelId === null));
  const onlyCh = await messagesQuery(u, { channelId: ch.id, limit: '100' });
  assert.ok(onlyCh.json.messages.every((m) => m.channelId === ch.id));
  const every = await messagesQuery(u, { limit: '2' });
  assert.deepEqual(every.json.messages.map((m) => m.id), [lobbyMsg.id, ms[5].id], 'omitted channelId = every channel');
  const noChannel = await messagesQuery(u, { afterSeq: '1' });
  assert.equal(noChannel.status, 400, `afterSeq without channelId: ${noChannel.text}`);
});

test('bot is "yee" for content starting with yeeyee:, otherwise null', async () => {
  const u = await newUser();
  assert.equal((await post(u, 'yeeyee: play a song')).bot, 'yee');
  assert.equal((await post(u, '   yeeyee: trimmed first')).bot, 'yee');
  assert.equal((await post(u, 'say yeeyee: later')).bot, null);
  assert.equal((await post(u, 'yeeyee without colon')).bot, null);
});
