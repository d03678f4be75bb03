// Presence (docs/api.md "Presence"): a user is online in a room while they have a socket
// on it (WebSocket or SSE) or heartbeated within --presence-ttl-seconds; the room's
// sockets get `presence` events only when that changes, and offline after a heartbeat
// runs out arrives within the TTL plus about a second. Gated rooms keep their presence
// to themselves.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  startRelay, api, uniq, openWs, openSse, makeDataDir, RELAY_BIN, newUser, newRoom,
} from './harness.mjs';

const execFileP = promisify(execFile);
const TTL = 10;

let relay;
before(async () => { relay = await startRelay({ args: ['--presence-ttl-seconds', String(TTL)] }); });
after(async () => { await relay?.stop(); });

const user = (prefix = 'pr') => newUser(relay, prefix);

const call = (who, method, path, body) => api(relay.url, who?.token, method, path, body);

const room = (owner) => newRoom(relay, owner);

const wsUrl = (slug) => `${relay.wsUrl}/api/ws/rooms/${slug}`;
const sseUrl = (slug) => `${relay.url}/api/rooms/${slug}/stream`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const about = (who, status) => (f) => f.type === 'presence' && f.user?.login === who.login &&
  (!status || f.status === status);
const presenceOf = (frames, who) => frames.filter(about(who));

async function listed(who, slug) {
  const r = await call(who, 'GET', `/api/rooms/${slug}/presence`);
  assert.equal(r.status, 200, r.text);
  return r.json.users.map((u) => u.login);
}

async function watch(who, slug) {
  const ws = await openWs(wsUrl(slug), who.token);
  await ws.next((f) => f.type === 'sync');
  return ws;
}

test('a socket puts its user online for the others; a second tab changes nothing; the last close takes them offline', async () => {
  const owner = await user('po');
  const alice = await user('pa');
  const slug = await room(owner);
  const watcher = await watch(owner, slug);

  const tab1 = await watch(alice, slug);
  const online = await watcher.next(about(alice, 'online'));
  assert.equal(online.user.login, alice.login);
  assert.match(online.user.id, /^usr_/);
  assert.ok('name' in online.user && 'avatarUrl' in online.user, JSON.stringify(online.user));
  const list = await call(owner, 'GET', `/api/rooms/${slug}/presence`);
  assert.equal(list.status, 200, list.text);
  assert.equal(list.json.ttlSeconds, TTL);
  const entry = list.json.users.find((u) => u.login === alice.login);
  assert.deepEqual(entry, { ...online.user, status: 'online' });
  assert.ok(list.json.users.some((u) => u.login === owner.login), 'the watcher is online too');

  const tab2 = await watch(alice, slug);
  await tab1.close();
  // Any offline or second online would have arrived by now (events go out as the
  // socket joins or leaves).
  await sleep(500);
  assert.equal(presenceOf(watcher.frames, alice).length, 1, JSON.stringify(presenceOf(watcher.frames, alice)));
  assert.ok((await listed(owner, slug)).includes(alice.login));

  await tab2.close();
  const offline = await watcher.next(about(alice, 'offline'));
  assert.deepEqual(offline.user, online.user);
  assert.ok(!(await listed(owner, slug)).includes(alice.login));
  await watcher.close();
});

test('an SSE stream keeps its user online and SSE readers get presence events', async () => {
  const owner = await user('so');
  const bob = await user('sb');
  const carol = await user('sc');
  const slug = await room(owner);
  const reader = await openSse(sseUrl(slug), owner.token);
  await reader.nextRoom('sync');
  const bobStream = await openSse(sseUrl(slug), bob.token);
  const online = await reader.nextRoom('presence', (d) => d.user.login === bob.login && d.status === 'online');
  assert.equal(online.data.user.login, bob.login);
  assert.ok((await listed(owner, slug)).includes(bob.login));
  // A WebSocket reader sees the SSE user go offline when the stream ends.
  const watcher = await watch(carol, slug);
  bobStream.close();
  await watcher.next(about(bob, 'offline'));
  await reader.nextRoom('presence', (d) => d.user.login === bob.login && d.status === 'offline');
  reader.close();
  await watcher.close();
});

test('a heartbeat alone keeps a user online for the TTL, then offline follows within a second', async () => {
  const owner = await user('ho');
  const dave = await user('hd');
  const slug = await room(owner);
  const watcher = await watch(owner, slug);

  const beat = await call(dave, 'POST', `/api/rooms/${slug}/presence`);
  assert.equal(beat.status, 200, beat.text);
  assert.deepEqual(beat.json, { ok: true, ttlSeconds: TTL });
  await watcher.next(about(dave, 'online'));
  assert.ok((await listed(owner, slug)).includes(dave.login));

  // A second heartbeat halfway extends the entry: no event, and the TTL counts from it.
  await sleep(TTL * 500);
  const again = await call(dave, 'POST', `/api/rooms/${slug}/presence`);
  assert.equal(again.status, 200, again.text);
  const lastBeat = Date.now();
  assert.equal(presenceOf(watcher.frames, dave).length, 1);

  const offline = await watcher.next(about(dave, 'offline'), (TTL + 3) * 1000);
  const after = Date.now() - lastBeat;
  assert.ok(after >= TTL * 1000 - 300, `offline ${after} ms after the last heartbeat, before the TTL`);
  assert.ok(after <= TTL * 1000 + 1500, `offline ${after} ms after the last heartbeat, past TTL + 1 s`);
  assert.equal(offline.user.login, dave.login);
  assert.ok(!(await listed(owner, slug)).includes(dave.login));
  assert.equal(presenceOf(watcher.frames, dave).length, 2);
  await watcher.close();
});

test('a gated room\'s presence is for its members only', async () => {
  const owner = await user('go');
  const member = await user('gm');
  const outsider = await user('gx');
  const slug = await room(owner);
  assert.equal((await call(owner, 'POST', `/api/rooms/${slug}/whitelist`, { login: member.login, note: 'n' })).status, 201);
  assert.equal((await call(owner, 'PUT', `/api/rooms/${slug}/whitelist-mode`, { enabled: true })).status, 200);
  const watcher = await watch(member, slug);

  const list = await call(outsider, 'GET', `/api/rooms/${slug}/presence`);
  assert.equal(list.status, 403, list.text);
  assert.ok(!list.text.includes(member.login));
  const beat = await call(outsider, 'POST', `/api/rooms/${slug}/presence`);
  assert.equal(beat.status, 403, beat.text);
  assert.equal((await call(null, 'GET', `/api/rooms/${slug}/presence`)).status, 401);
  assert.equal((await call(outsider, 'GET', '/api/rooms/no-such-room-here/presence')).status, 404);

  // The refused heartbeat put nobody online.
  await call(owner, 'POST', `/api/rooms/${slug}/presence`);
  await watcher.next(about(owner, 'online'));
  assert.deepEqual((await listed(member, slug)).sort(), [member.login, owner.login].sort());
  assert.equal(presenceOf(watcher.frames, outsider).length, 0);
  await watcher.close();
});

test('a presence TTL outside 10..600 seconds is refused at start', async () => {
  for (const bad of ['9', '601', 'soon']) {
    const dir = makeDataDir();
    await assert.rejects(
      execFileP(RELAY_BIN, ['--data-dir', dir, '--listen', '127.0.0.1:0', '--presence-ttl-seconds', bad],
        { timeout: 15000 }),
      (err) => {
        assert.notEqual(err.code, 0);
        assert.match(err.stderr, /presence_ttl_seconds/);
        return true;
      },
      `--presence-ttl-seconds ${bad}`,
    );
  }
});
