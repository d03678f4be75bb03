// WebSocket contract (docs/api.md, "WebSocket: GET /api/ws/rooms/:slug").
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startRelay, createUser, createRoom, api, uniq, openWs, wsHandshakeStatus, fetchAllMessages, ISO_MS,
} from './harness.mjs';

let relay;
const sockets = [];
before(async () => { relay = await startRelay(); });
after(async () => {
  await Promise.all(sockets.map((s) => s.close().catch(() => {})));
  await relay?.stop();
});

async function newUser(prefix = 'w') {
  const login = uniq(prefix);
  return { login, token: await createUser(relay.dataDir, login) };
}
const roomWs = (slug) => `${relay.wsUrl}/api/ws/rooms/${slug}`;
const lobbyWs = () => roomWs('lobby');

/** Opens a socket for the user on room `slug` (default the lobby) and waits for its sync frame. */
async function connectTo(slug, u, query) {
  const c = await openWs(roomWs(slug), u.token, query);
  sockets.push(c);
  c.sync = await c.next((f) => f.type === 'sync');
  return c;
}
const connect = (u, query) => connectTo('lobby', u, query);

/** A room owned by `u`: only a room's owner may create channels (never in the lobby). */
const newRoom = (u) => createRoom(relay, u.token);

/** Creates a public channel in `room` as its owner `u`; expects 201. */
async function newChannel(u, room, name = 'ws chan', slug = uniq('c')) {
  const r = await api(relay.url, u.token, 'POST', `/api/rooms/${room.slug}/channels`, { name, slug, visibility: 'public' });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.slug, slug);
  return r.json;
}

const isMsg = (cm) => (f) => f.type === 'message' && f.clientMsgId === cm;
const isAck = (cm) => (f) => f.type === 'ack' && f.clientMsgId === cm;

/** Sends a valid message and waits for its ack on the same socket. */
async function sendOk(c, content, channelId = null, cm = uniq('cm')) {
  c.send({ type: 'send', clientMsgId: cm, content, channelId });
  const ack = await c.next(isAck(cm));
  return { cm, ack };
}

/** Sends a raw bad frame, expects an error with `code`, then proves the socket still works. */
async function expectErrorAndStillOpen(c, send, code, clientMsgId) {
  send();
  const err = await c.next((f) => f.type === 'error');
  const codes = [code].flat();
  assert.ok(codes.includes(err.code), `expected ${codes.join('|')}, got ${JSON.stringify(err)}`);
  assert.equal(typeof err.error, 'string');
  if (clientMsgId !== undefined) assert.equal(err.clientMsgId, clientMsgId);
  assert.ok(c.isOpen, `socket closed after ${code}: ${JSON.stringify(c.closeInfo)}`);
  const { ack } = await sendOk(c, `still alive after ${codes[0]}`);
  assert.match(ack.serverId, /^msg_\w+$/);
  return err;
}

test('the upgrade is refused with 401 without a valid token, 404 for an unknown room', async () => {
  assert.equal(await wsHandshakeStatus(lobbyWs(), null), 401);
  assert.equal(await wsHandshakeStatus(lobbyWs(), 'rlt_unknown_token'), 401);
  const u = await newUser();
  assert.equal(await wsHandshakeStatus(`${relay.wsUrl}/api/ws/rooms/${uniq('nosuch')}`, u.token), 404);
});

test('sync on connect holds the last 20 messages of the room oldest first, and seqs', async () => {
  const u = await newUser();
  const room = await newRoom(u);
  const ch = await newChannel(u, room, 'sync chan');
  let lastLobby;
  let lastCh;
  for (let i = 0; i < 25; i++) {
    const channelId = i % 5 === 0 ? ch.id : null;
    const r = await api(relay.url, u.token, 'POST', `/api/rooms/${room.slug}/messages`, { content: `sync ${i}`, channelId });
    assert.equal(r.status, 201, r.text);
    if (channelId) lastCh = r.json; else lastLobby = r.json;
  }
  const c = await connectTo(room.slug, u);
  const newest = await api(relay.url, u.token, 'GET', `/api/rooms/${room.slug}/messages?limit=20`);
  assert.equal(c.sync.messages.length, 20);
  assert.deepEqual(c.sync.messages.map((m) => m.id), newest.json.messages.map((m) => m.id).reverse());
  assert.equal(c.sync.messages.at(-1).content, 'sync 24');
  assert.equal(c.sync.seqs.__lobby, lastLobby.seq);
  assert.equal(c.sync.seqs[ch.id], lastCh.seq);
});

test('two users with two tabs each: every tab gets the message, only the sender gets the ack', async () => {
  const alice = await newUser('alice');
  const bob = await newUser('bob');
  const tabs = [await connect(alice), await connect(alice), await connect(bob), await connect(bob)];
  const [a1, , b1] = tabs;
  const cm = uniq('cm');
  a1.send({ type: 'send', clientMsgId: cm, content: 'hello everyone', channelId: null });
  const frames = await Promise.all(tabs.map((t) => t.next(isMsg(cm))));
  const ack = await a1.next(isAck(cm));
  const msg = frames[0].message;
  for (const f of frames) assert.deepEqual(f.message, msg, 'all tabs see the same message');
  assert.equal(msg.content, 'hello everyone');
  assert.equal(msg.author.login, alice.login);
  assert.equal(msg.clientMsgId, cm);
  assert.equal(msg.channelId, null);
  assert.equal(ack.serverId, msg.id);
  assert.equal(ack.seq, msg.seq);
  assert.equal(ack.createdAt, msg.createdAt);
  assert.match(ack.createdAt, ISO_MS);
  // Barrier: bob's message reaches every tab after anything caused by alice's send.
  const { cm: cm2 } = await sendOk(b1, 'hi alice');
  await Promise.all(tabs.map((t) => t.next(isMsg(cm2))));
  tabs.forEach((t, i) => {
    assert.equal(t.frames.filter(isAck(cm)).length, i === 0 ? 1 : 0, `acks of ${cm} on tab ${i}`);
    assert.equal(t.frames.filter(isAck(cm2)).length, i === 2 ? 1 : 0, `acks of ${cm2} on tab ${i}`);
    assert.equal(t.frames.filter(isMsg(cm)).length, 1, `messages of ${cm} on tab ${i}`);
  });
});

test('seq increases by one per message on the socket, also in channels', async () => {
  const u = await newUser();
  const room = await newRoom(u);
  const c = await connectTo(room.slug, u);
  const seqs = [];
  for (let i = 0; i < 4; i++) seqs.push((await sendOk(c, `count ${i}`)).ack.seq);
  assert.deepEqual(seqs, [seqs[0], seqs[0] + 1, seqs[0] + 2, seqs[0] + 3]);
  const ch = await newChannel(u, room);
  const { cm, ack } = await sendOk(c, 'in a channel', ch.id);
  const m = await c.next(isMsg(cm));
  assert.equal(m.message.channelId, ch.id);
  assert.equal((await sendOk(c, 'again', ch.id)).ack.seq, ack.seq + 1);
});

test('resending a clientMsgId answers the same ack and broadcasts nothing new', async () => {
  const u = await newUser();
  const other = await newUser();
  const c = await connect(u);
  const watcher = await connect(other);
  const { cm, ack } = await sendOk(c, 'exactly once');
  c.send({ type: 'send', clientMsgId: cm, content: 'exactly once', channelId: null });
  const ack2 = await c.next(isAck(cm));
  assert.equal(ack2.serverId, ack.serverId);
  assert.equal(ack2.seq, ack.seq);
  const { cm: barrier } = await sendOk(c, 'barrier');
  await Promise.all([c, watcher].map((s) => s.next(isMsg(barrier))));
  for (const s of [c, watcher]) assert.equal(s.frames.filter(isMsg(cm)).length, 1, 'one message frame');
  const stored = await fetchAllMessages(relay.url, u.token, 'lobby', { channelId: null });
  assert.equal(stored.filter((m) => m.clientMsgId === cm && m.author.login === u.login).length, 1);
  // The same clientMsgId from a different user is a different message.
  const { ack: otherAck } = await sendOk(watcher, 'mine', null, cm);
  assert.notEqual(otherAck.serverId, ack.serverId);
  // From the same user in another room it is a mistake: an error, not the lobby's ack.
  const room = await createRoom(relay, u.token);
  const elsewhere = await openWs(`${relay.wsUrl}/api/ws/rooms/${room.slug}`, u.token);
  await elsewhere.next((f) => f.type === 'sync');
  elsewhere.send({ type: 'send', clientMsgId: cm, content: 'a new message', channelId: null });
  const refused = await elsewhere.next((f) => f.clientMsgId === cm && (f.type === 'ack' || f.type === 'error'));
  assert.equal(refused.type, 'error', JSON.stringify(refused));
  assert.equal(refused.code, 'CONFLICT');
  assert.equal(elsewhere.frames.filter((f) => f.type === 'message').length, 0);
  await elsewhere.close();
});

test('ping is answered with pong', async () => {
  const c = await connect(await newUser());
  c.send({ type: 'ping' });
  await c.next((f) => f.type === 'pong');
});

test('typing is relayed to the other users in the room', async () => {
  const typer = await newUser();
  const c = await connect(typer);
  const watcher = await connect(await newUser());
  c.send({ type: 'typing', channelId: null });
  const f = await watcher.next((x) => x.type === 'typing' && x.user?.login === typer.login);
  assert.equal(f.channelId, null);
});

test('typing in a channel the room does not have is NOT_FOUND; the socket stays open', async () => {
  const typer = await newUser();
  const c = await connect(typer);
  const watcher = await connect(await newUser());
  await expectErrorAndStillOpen(c, () => c.send({ type: 'typing', channelId: 'ch_nosuch' }), 'NOT_FOUND');
  c.send({ type: 'typing', channelId: null });
  const f = await watcher.next((x) => x.type === 'typing' && x.user?.login === typer.login);
  assert.equal(f.channelId, null, 'only the lobby typing went out');
});

test('POST /api/rooms/:slug/typing shows typing to the others; a hidden channel is 404', async () => {
  const typer = await newUser();
  const watcher = await connect(await newUser());
  const typed = await api(relay.url, typer.token, 'POST', '/api/rooms/lobby/typing', { channelId: null });
  assert.equal(typed.status, 200, typed.text);
  assert.deepEqual(typed.json, { ok: true });
  const f = await watcher.next((x) => x.type === 'typing' && x.user?.login === typer.login);
  assert.equal(f.channelId, null);
  const hidden = await api(relay.url, typer.token, 'POST', '/api/rooms/lobby/typing', { channelId: 'ch_nosuch' });
  assert.equal(hidden.status, 404, hidden.text);
  assert.equal(hidden.json.code, 'NOT_FOUND');
  const bad = await api(relay.url, typer.token, 'POST', '/api/rooms/lobby/typing', { channelId: 5 });
  assert.equal(bad.status, 400, bad.text);
  assert.equal((await api(relay.url, typer.token, 'GET', '/api/rooms/lobby/typing')).status, 405);
});

test('bad JSON is BAD_REQUEST and an unknown type INVALID_FRAME; the socket stays open', async () => {
  const c = await connect(await newUser());
  await expectErrorAndStillOpen(c, () => c.sendRaw('{"type":"send",'), 'BAD_REQUEST');
  await expectErrorAndStillOpen(c, () => c.send({ type: 'dance' }), 'INVALID_FRAME');
});

test('missing content or clientMsgId is MISSING_FIELD; the socket stays open', async () => {
  const c = await connect(await newUser());
  await expectErrorAndStillOpen(c, () => c.send({ type: 'send', clientMsgId: 'nocontent', channelId: null }),
    'MISSING_FIELD', 'nocontent');
  await expectErrorAndStillOpen(c, () => c.send({ type: 'send', content: 'who am i', channelId: null }), 'MISSING_FIELD');
});

test('content rules on the socket: too long, empty, a NUL, oversized clientMsgId', async () => {
  const u = await newUser();
  const c = await connect(u);
  await expectErrorAndStillOpen(c, () => c.send({ type: 'send', clientMsgId: 'long1', content: 'a'.repeat(4001), channelId: null }),
    'CONTENT_TOO_LONG', 'long1');
  await expectErrorAndStillOpen(c, () => c.send({ type: 'send', clientMsgId: 'empty1', content: '  \n ', channelId: null }),
    'CONTENT_EMPTY', 'empty1');
  await expectErrorAndStillOpen(c, () => c.send({ type: 'send', clientMsgId: 'nul1', content: 'a\u0000b', channelId: null }),
    'BAD_REQUEST', 'nul1');
  const big = 'k'.repeat(129);
  await expectErrorAndStillOpen(c, () => c.send({ type: 'send', clientMsgId: big, content: 'x', channelId: null }),
    ['BAD_REQUEST', 'MISSING_FIELD']);
  const stored = await fetchAllMessages(relay.url, u.token, 'lobby', { channelId: null });
  assert.ok(!stored.some((m) => ['long1', 'empty1', 'nul1', big].includes(m.clientMsgId)), 'rejected frames stored nothing');
  const ok = 'e'.repeat(128);
  assert.match((await sendOk(c, '128-char id', null, ok)).ack.serverId, /^msg_/);
});

test('a frame over 64 KiB is PAYLOAD_TOO_LARGE; the socket stays open', async () => {
  const c = await connect(await newUser());
  await expectErrorAndStillOpen(c,
    () => c.send({ type: 'send', clientMsgId: 'huge1', content: 'x'.repeat(70 * 1024), channelId: null }),
    'PAYLOAD_TOO_LARGE');
});

test('invalid UTF-8 in a binary frame is INVALID_UTF8; the socket stays open', async () => {
  const c = await connect(await newUser());
  await expectErrorAndStillOpen(c, () => c.sendRaw(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: true }),
    'INVALID_UTF8');
});

// RFC 6455 §8.1: a text message that is not UTF-8 MUST fail the connection (1007); the
// RFC 6455 conformance suite (ws_conformance.test.mjs) walks every such sequence.
test('invalid UTF-8 in a text frame fails the connection with 1007; nothing of it is stored', async () => {
  const u = await newUser();
  const c = await connect(u);
  const cm = uniq('u8');
  const bad = Buffer.concat([Buffer.from(`{"type":"send","clientMsgId":"${cm}","content":"a`),
    Buffer.from([0xc3, 0x28]), Buffer.from('","channelId":null}')]);
  c.sendRaw(bad, { binary: false });
  let timer;
  const closed = await Promise.race([c.closed, new Promise((r) => { timer = setTimeout(r, 5000, 'still open after 5 s'); })]);
  clearTimeout(timer);
  assert.equal(closed?.code, 1007, JSON.stringify(closed));
  assert.ok(!c.frames.some((f) => f.type === 'error' || f.type === 'ack'), JSON.stringify(c.frames.slice(-3)));
  const stored = await fetchAllMessages(relay.url, u.token, 'lobby', { channelId: null });
  assert.ok(!stored.some((m) => m.clientMsgId === cm));
});

test('a lone surrogate escape is rejected and nothing is stored', async () => {
  const u = await newUser();
  const c = await connect(u);
  const cm = uniq('surr');
  await expectErrorAndStillOpen(c,
    () => c.sendRaw(`{"type":"send","clientMsgId":"${cm}","content":"a\\ud800b","channelId":null}`),
    ['INVALID_UTF8', 'BAD_REQUEST']);
  const stored = await fetchAllMessages(relay.url, u.token, 'lobby', { channelId: null });
  assert.ok(!stored.some((m) => m.clientMsgId === cm));
});

test('message_updated, message_deleted and channel_created arrive live', async () => {
  const u = await newUser();
  const room = await newRoom(u);
  const c = await connectTo(room.slug, u);
  const watcher = await connectTo(room.slug, await newUser());
  const { cm, ack } = await sendOk(c, 'before edit');
  await watcher.next(isMsg(cm));
  const patch = await api(relay.url, u.token, 'PATCH', `/api/rooms/${room.slug}/messages/${ack.serverId}`, { content: 'after edit' });
  assert.equal(patch.status, 200, patch.text);
  const upd = await watcher.next((f) => f.type === 'message_updated' && f.message.id === ack.serverId);
  assert.equal(upd.message.content, 'after edit');
  assert.match(upd.message.editedAt, ISO_MS);
  const del = await api(relay.url, u.token, 'DELETE', `/api/rooms/${room.slug}/messages/${ack.serverId}`);
  assert.equal(del.status, 200, del.text);
  const gone = await watcher.next((f) => f.type === 'message_deleted' && f.messageId === ack.serverId);
  assert.equal(gone.channelId, null);
  const slug = uniq('c');
  const cr = await api(relay.url, u.token, 'POST', `/api/rooms/${room.slug}/channels`, { name: 'live', slug, visibility: 'public' });
  assert.equal(cr.status, 201, cr.text);
  const created = await watcher.next((f) => f.type === 'channel_created' && f.channel.slug === slug);
  assert.equal(created.channel.id, cr.json.id);
  const { cm: cm2, ack: ack2 } = await sendOk(c, 'channel msg', cr.json.id);
  await watcher.next(isMsg(cm2));
  const del2 = await api(relay.url, u.token, 'DELETE', `/api/rooms/${room.slug}/messages/${ack2.serverId}`);
  assert.equal(del2.status, 200, del2.text);
  const gone2 = await watcher.next((f) => f.type === 'message_deleted' && f.messageId === ack2.serverId);
  assert.equal(gone2.channelId, cr.json.id);
});

test('resume after a disconnect syncs exactly the missed messages in order', async () => {
  const reader = await newUser();
  const writer = await newUser();
  const first = await connect(reader);
  const seq = first.sync.seqs.__lobby ?? 0;
  await first.close();
  const w = await connect(writer);
  const acks = [];
  for (let i = 0; i < 3; i++) acks.push((await sendOk(w, `missed ${i}`)).ack);
  const again = await connect(reader, `resume=__lobby:${seq}`);
  assert.deepEqual(again.sync.messages.map((m) => m.id), acks.map((a) => a.serverId));
  assert.deepEqual(again.sync.messages.map((m) => m.seq), [seq + 1, seq + 2, seq + 3]);
  assert.equal(again.sync.seqs.__lobby, seq + 3);
});

test('resume with several channels returns what each missed, channels it left out included', async () => {
  const u = await newUser();
  const room = await newRoom(u);
  const chA = await newChannel(u, room, 'resume');
  const chB = await newChannel(u, room, 'resume');
  const connect = (user, query) => connectTo(room.slug, user, query);
  const w = await connect(u);
  await sendOk(w, 'a seed', chA.id);
  const start = (await connect(u)).sync.seqs;
  const sent = { lobby: [], a: [], b: [] };
  for (let i = 0; i < 2; i++) {
    sent.lobby.push((await sendOk(w, `l${i}`)).ack.serverId);
    sent.a.push((await sendOk(w, `a${i}`, chA.id)).ack.serverId);
    sent.b.push((await sendOk(w, `b${i}`, chB.id)).ack.serverId);
  }
  const c = await connect(u, `resume=__lobby:${start.__lobby},${chA.id}:${start[chA.id]}`);
  const got = c.sync.messages;
  assert.deepEqual(got.filter((m) => m.channelId === null).map((m) => m.id), sent.lobby);
  assert.deepEqual(got.filter((m) => m.channelId === chA.id).map((m) => m.id), sent.a);
  // chB is not named: it resumes from 5 s before the newest named message ("a seed").
  assert.deepEqual(got.filter((m) => m.channelId === chB.id).map((m) => m.id), sent.b);
  assert.equal(got.length, 6, JSON.stringify(got.map((m) => m.content)));
});

test('a channel created while the client was away is resumed too, not only the ones it named', async () => {
  const owner = await newUser();
  const bob = await newUser();
  const room = await newRoom(owner);
  const w = await connectTo(room.slug, owner);
  await sendOk(w, 'before');
  const seqs = (await connectTo(room.slug, bob)).sync.seqs;
  const fresh = await newChannel(owner, room, 'fresh');
  const inFresh = (await sendOk(w, 'in fresh', fresh.id)).ack.serverId;
  const later = (await sendOk(w, 'later')).ack.serverId;
  const resume = Object.entries(seqs).map(([c, s]) => `${c}:${s}`).join(',');
  const back = await connectTo(room.slug, bob, `resume=${resume}`);
  assert.deepEqual(back.sync.messages.map((m) => m.id).sort(), [inFresh, later].sort());
  assert.equal(back.sync.seqs[fresh.id], 1);
});

// Finding 4 of the hostile-client probe: 1,000 sends in one go stored ~20 messages, then
// the socket was closed 1008 before their acks went out. What Relay stored before it
// closes a socket is acked on it first, so the client neither resends kept messages
// nor counts them lost.
test('a client closed 1008 for flooding got the ack of every message Relay stored, before the close', async () => {
  const u = await newUser('flood');
  const room = await newRoom(u);
  const c = await connectTo(room.slug, u);
  const cms = Array.from({ length: 1000 }, (_, i) => `flood-${i}`);
  for (const cm of cms) c.send({ type: 'send', clientMsgId: cm, content: `flood ${cm}`, channelId: null });
  const closed = await c.closed;
  assert.equal(closed.code, 1008, JSON.stringify(closed));
  assert.match(closed.reason, /rate limit/);
  // `ws` hands over every frame that came before the close frame ahead of `close`.
  const acked = new Set(c.frames.filter((f) => f.type === 'ack').map((f) => f.clientMsgId));
  const stored = (await fetchAllMessages(relay.url, u.token, room.slug, { channelId: null }))
    .filter((m) => m.author.login === u.login).map((m) => m.clientMsgId);
  assert.ok(stored.length > 0, 'the burst before the limit was stored');
  const unacked = stored.filter((cm) => !acked.has(cm));
  assert.deepEqual(unacked, [], `${unacked.length} of ${stored.length} stored messages got no ack before the close`);
  assert.deepEqual([...acked].sort(), [...stored].sort(), 'every ack is for a stored message');
});
