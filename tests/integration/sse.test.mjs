// SSE contract (docs/api.md, "SSE: GET /api/rooms/:slug/stream").
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startRelay, createUser, createRoom, api, uniq, openSse, openRawSse, makeDataDir, ISO_MS, wsHandshakeStatus,
} from './harness.mjs';

let relay;
const streams = [];
before(async () => { relay = await startRelay(); });
after(async () => {
  for (const s of streams) s.close();
  await relay?.stop();
});

async function newUser(prefix = 's') {
  const login = uniq(prefix);
  return { login, token: await createUser(relay.dataDir, login) };
}
const streamUrl = (slug = 'lobby') => `${relay.url}/api/rooms/${slug}/stream`;

async function postIn(slug, u, content, channelId = null) {
  const r = await api(relay.url, u.token, 'POST', `/api/rooms/${slug}/messages`, { content, channelId, clientMsgId: uniq('cm') });
  assert.equal(r.status, 201, r.text);
  return r.json;
}
const post = (u, content, channelId) => postIn('lobby', u, content, channelId);

/** A room owned by `u`: only a room's owner may create channels (never in the lobby). */
const newRoom = (u) => createRoom(relay, u.token);

async function newChannel(u, room) {
  const slug = uniq('c');
  const r = await api(relay.url, u.token, 'POST', `/api/rooms/${room.slug}/channels`, { name: 'sse', slug, visibility: 'public' });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.slug, slug);
  return r.json;
}

async function rawIn(slug, u, headers, query = '') {
  const s = await openRawSse(streamUrl(slug) + query, u?.token, headers);
  streams.push(s);
  return s;
}
const raw = (u, headers, query) => rawIn('lobby', u, headers, query);

const roomEvent = (type, pred = () => true) => (e) => e.event === 'room' && e.data?.type === type && pred(e.data, e);

test('the stream needs a token and a known room', async () => {
  const noToken = await raw(null);
  assert.equal(noToken.status, 401);
  const badToken = await raw({ token: 'rlt_unknown' });
  assert.equal(badToken.status, 401);
  const u = await newUser();
  const s = await openRawSse(`${relay.url}/api/rooms/${uniq('nosuch')}/stream`, u.token);
  assert.equal(s.status, 404);
});

test('the stream is read-only: a WebSocket upgrade on its path is refused (400)', async () => {
  const u = await newUser();
  assert.equal(await wsHandshakeStatus(streamUrl().replace(/^http/, 'ws'), u.token), 400);
});

test('the stream is text/event-stream and starts with a room sync event', async () => {
  const u = await newUser();
  const m = await post(u, 'before connecting');
  const s = await raw(u);
  assert.equal(s.status, 200);
  assert.match(s.headers.get('content-type'), /^text\/event-stream/);
  const first = await s.next();
  assert.equal(first.event, 'room');
  assert.equal(first.data.type, 'sync');
  assert.ok(Array.isArray(first.data.messages));
  assert.ok(first.data.messages.length <= 20);
  assert.equal(first.data.messages.at(-1).id, m.id, 'sync ends with the newest message');
  assert.equal(first.data.seqs.__lobby, m.seq);
});

test('EventSource gets sync first, then live messages with id <channelId>:<seq>', async () => {
  const u = await newUser();
  const room = await newRoom(u);
  const es = await openSse(streamUrl(room.slug), u.token);
  streams.push(es);
  const first = await es.next();
  assert.equal(first.event, 'room');
  assert.equal(first.data.type, 'sync');
  const m = await postIn(room.slug, u, 'live over sse');
  const ev = await es.next(roomEvent('message', (d) => d.message.id === m.id));
  assert.equal(ev.data.message.content, 'live over sse');
  assert.equal(ev.data.clientMsgId, m.clientMsgId);
  assert.equal(ev.lastEventId, `__lobby:${m.seq}`);
  const ch = await newChannel(u, room);
  const cm = await postIn(room.slug, u, 'in a channel', ch.id);
  const cev = await es.next(roomEvent('message', (d) => d.message.id === cm.id));
  assert.equal(cev.lastEventId, `${ch.id}:${cm.seq}`);
});

test('the raw stream carries id lines on message events', async () => {
  const u = await newUser();
  const s = await raw(u);
  await s.next(roomEvent('sync'));
  const m = await post(u, 'raw id line');
  const ev = await s.next(roomEvent('message', (d) => d.message.id === m.id));
  assert.equal(ev.id, `__lobby:${m.seq}`);
});

test('message_updated, message_deleted and channel_created are mirrored', async () => {
  const u = await newUser();
  const room = await newRoom(u);
  const es = await openSse(streamUrl(room.slug), (await newUser()).token); // another user watches
  streams.push(es);
  await es.nextRoom('sync');
  const m = await postIn(room.slug, u, 'to be edited');
  await es.nextRoom('message', (d) => d.message.id === m.id);
  const patch = await api(relay.url, u.token, 'PATCH', `/api/rooms/${room.slug}/messages/${m.id}`, { content: 'edited' });
  assert.equal(patch.status, 200, patch.text);
  const upd = await es.nextRoom('message_updated', (d) => d.message.id === m.id);
  assert.equal(upd.data.message.content, 'edited');
  assert.match(upd.data.message.editedAt, ISO_MS);
  const del = await api(relay.url, u.token, 'DELETE', `/api/rooms/${room.slug}/messages/${m.id}`);
  assert.equal(del.status, 200, del.text);
  const gone = await es.nextRoom('message_deleted', (d) => d.messageId === m.id);
  assert.equal(gone.data.channelId, null);
  const ch = await newChannel(u, room);
  const created = await es.nextRoom('channel_created', (d) => d.channel.id === ch.id);
  assert.equal(created.data.channel.slug, ch.slug);
});

test('Last-Event-ID resumes exactly the missed messages', async () => {
  const reader = await newUser();
  const writer = await newUser();
  const s1 = await raw(reader);
  const seen = await post(writer, 'seen live');
  const live = await s1.next(roomEvent('message', (d) => d.message.id === seen.id));
  s1.close();
  const missed = [];
  for (let i = 0; i < 3; i++) missed.push(await post(writer, `missed ${i}`));
  const s2 = await raw(reader, { 'Last-Event-ID': live.id });
  assert.equal(s2.status, 200);
  const sync = await s2.next(roomEvent('sync'));
  assert.deepEqual(sync.data.messages.map((m) => m.id), missed.map((m) => m.id));
  assert.deepEqual(sync.data.messages.map((m) => m.seq), [seen.seq + 1, seen.seq + 2, seen.seq + 3]);
  const after = await post(writer, 'after resume');
  const ev = await s2.next(roomEvent('message', (d) => d.message.id === after.id));
  assert.equal(ev.id, `__lobby:${after.seq}`);
});

test('?lastEventId= resumes like the header, also for a channel', async () => {
  const u = await newUser();
  const room = await newRoom(u);
  const ch = await newChannel(u, room);
  const post = (user, content, channelId) => postIn(room.slug, user, content, channelId);
  const base = await post(u, 'base', ch.id);
  const missed = [await post(u, 'c1', ch.id), await post(u, 'c2', ch.id)];
  const roomWide = await post(u, 'room-wide, after base');
  const s = await rawIn(room.slug, u, {}, `?lastEventId=${encodeURIComponent(`${ch.id}:${base.seq}`)}`);
  assert.equal(s.status, 200);
  const sync = await s.next(roomEvent('sync'));
  // No stream of this user left a log here: the room-wide thread resumes from a few
  // seconds before `base`, so its message posted after `base` is not missed.
  const inChannel = sync.data.messages.filter((m) => m.channelId === ch.id);
  assert.deepEqual(inChannel.map((m) => m.id), missed.map((m) => m.id));
  assert.deepEqual(sync.data.messages.filter((m) => m.channelId === null).map((m) => m.id), [roomWide.id]);
});

// EventSource sends back only the id of the last event it got, and that names one
// channel. The stream's log of what it wrote says where the client was in the others.
test('Last-Event-ID of one channel resumes every channel of the room from where the stream left it', async () => {
  const u = await newUser();
  const room = await newRoom(u);
  const ch = await newChannel(u, room);
  const p = (content, channelId = null) => postIn(room.slug, u, content, channelId);
  const s1 = await rawIn(room.slug, u, {});
  await s1.next(roomEvent('sync'));
  const l1 = await p('room-wide 1');
  await s1.next(roomEvent('message', (d) => d.message.id === l1.id));
  const c1 = await p('channel 1', ch.id);
  const last = await s1.next(roomEvent('message', (d) => d.message.id === c1.id));
  assert.equal(last.id, `${ch.id}:${c1.seq}`);
  s1.close();
  const missed = [await p('room-wide 2 (missed)'), await p('channel 2 (missed)', ch.id)];

  const s2 = await rawIn(room.slug, u, { 'Last-Event-ID': last.id });
  assert.equal(s2.status, 200);
  const sync = await s2.next(roomEvent('sync'));
  const got = sync.data.messages.map((m) => m.id);
  assert.deepEqual([...got].sort(), missed.map((m) => m.id).sort(), 'both channels, each missed message once');
  // The sync's own id moves Last-Event-ID past what it brought.
  assert.ok(sync.id === `__lobby:${missed[0].seq}` || sync.id === `${ch.id}:${missed[1].seq}`, sync.id);
  s2.close();

  // Gone again before anything else arrived: it comes back with the sync's id and gets
  // only what is new since.
  const l3 = await p('room-wide 3');
  const s3 = await rawIn(room.slug, u, { 'Last-Event-ID': sync.id });
  const sync3 = await s3.next(roomEvent('sync'));
  assert.deepEqual(sync3.data.messages.map((m) => m.id), [l3.id]);
  const live = await p('channel live', ch.id);
  const ev = await s3.next(roomEvent('message', (d) => d.message.id === live.id));
  assert.equal(ev.id, `${ch.id}:${live.seq}`);
});

// A restart (or another node) has no log of the old stream: the other channels resume
// from a few seconds before the named event, so the client may see those seconds
// again (same message ids) but misses nothing.
test('after a restart, Last-Event-ID of one channel still resumes the others, missing nothing', async (t) => {
  const dataDir = makeDataDir();
  let r = await startRelay({ dataDir });
  t.after(() => r.stop());
  const token = await createUser(dataDir, uniq('rs'));
  const room = await createRoom(r, token);
  const chRes = await api(r.url, token, 'POST', `/api/rooms/${room.slug}/channels`, { name: 'rs', slug: uniq('c'), visibility: 'public' });
  assert.equal(chRes.status, 201, chRes.text);
  const ch = chRes.json;
  const p = async (content, channelId = null) => {
    const res = await api(r.url, token, 'POST', `/api/rooms/${room.slug}/messages`, { content, channelId });
    assert.equal(res.status, 201, res.text);
    return res.json;
  };
  const url = () => `${r.url}/api/rooms/${room.slug}/stream`;
  const s1 = await openRawSse(url(), token);
  await s1.next(roomEvent('sync'));
  const l1 = await p('room-wide before');
  const c1 = await p('channel before', ch.id);
  const last = await s1.next(roomEvent('message', (d) => d.message.id === c1.id));
  s1.close();
  await r.stop();
  r = await startRelay({ dataDir });
  const missed = [await p('room-wide after the restart'), await p('channel after the restart', ch.id)];
  const s2 = await openRawSse(url(), token, { 'Last-Event-ID': last.id });
  t.after(() => s2.close());
  assert.equal(s2.status, 200);
  const sync = await s2.next(roomEvent('sync'));
  const got = sync.data.messages.map((m) => m.id);
  for (const m of missed) assert.ok(got.includes(m.id), `missed ${m.content} delivered`);
  assert.ok(!got.includes(c1.id), 'the named channel resumes exactly after its event');
  for (const id of got) assert.ok([l1.id, ...missed.map((m) => m.id)].includes(id), `only the window repeats: ${id}`);
});

test('EventSource reconnects by itself with Last-Event-ID and gets exactly the missed messages', async () => {
  const reader = await newUser();
  const writer = await newUser();
  const es = await openSse(streamUrl(), reader.token);
  streams.push(es);
  await es.nextRoom('sync');
  const seen = await post(writer, 'seen before the drop');
  await es.nextRoom('message', (d) => d.message.id === seen.id);
  const release = es.cutAndHold(); // the network drops; the reconnect waits for us
  const missed = [await post(writer, 'gap 1'), await post(writer, 'gap 2')];
  release();
  const sync = await es.nextRoom('sync', () => true, 15000); // EventSource retries after ~3 s
  assert.equal(es.requests.at(-1)['Last-Event-ID'], `__lobby:${seen.seq}`);
  assert.deepEqual(sync.data.messages.map((m) => m.id), missed.map((m) => m.id));
  const live = await post(writer, 'after the reconnect');
  await es.nextRoom('message', (d) => d.message.id === live.id);
  const ids = es.events.filter((e) => e.data?.type === 'message').map((e) => e.data.message.id);
  assert.deepEqual(ids, [seen.id, live.id], 'no message delivered twice or lost');
});

test('an event: ping with empty data arrives every 20 seconds', { timeout: 60000 }, async () => {
  const u = await newUser();
  const s = await raw(u);
  await s.next(roomEvent('sync'));
  const t0 = Date.now();
  const ping = await s.next((e) => e.event === 'ping', 25000);
  assert.equal(ping.raw, '');
  const ping2 = await s.next((e) => e.event === 'ping', 25000);
  assert.equal(ping2.raw, '');
  assert.ok(Date.now() - t0 >= 15000, 'pings are spaced about 20 s apart, not spammed');
});
