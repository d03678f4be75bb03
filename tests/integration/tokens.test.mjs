// API tokens a user manages over REST (docs/api.md, "Tokens"): created once with the
// secret shown once, listed without secrets, revoked with immediate effect, also on
// the sockets and streams the token opened.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startRelay, createUser, api, uniq, openWs, openRawSse, ISO_MS } from './harness.mjs';

let relay;
before(async () => { relay = await startRelay(); });
after(async () => { await relay?.stop(); });

async function newUser() {
  const login = uniq('tk');
  return { login, token: await createUser(relay.dataDir, login) };
}

test('a created token works at once, is listed without its secret, and only its hash is kept', async () => {
  const u = await newUser();
  const made = await api(relay.url, u.token, 'POST', '/api/tokens', { name: 'ci bot' });
  assert.equal(made.status, 201, JSON.stringify(made.json));
  assert.match(made.json.token, /^rlt_[0-9a-f]{64}$/);
  assert.match(made.json.id, /^tok_\w+$/);
  assert.equal(made.json.name, 'ci bot');
  assert.match(made.json.createdAt, ISO_MS);
  assert.equal(made.json.revokedAt, null);

  const me = await api(relay.url, made.json.token, 'GET', '/api/me');
  assert.equal(me.status, 200);
  assert.equal(me.json.login, u.login);

  const list = await api(relay.url, u.token, 'GET', '/api/tokens');
  assert.equal(list.status, 200);
  const entry = list.json.tokens.find((t) => t.id === made.json.id);
  assert.ok(entry, 'the new token is listed');
  assert.equal(entry.name, 'ci bot');
  assert.ok(!('token' in entry), 'the list never carries secrets');
  assert.ok(!JSON.stringify(list.json).includes(made.json.token.slice(4)));
});

test('revoking a token refuses its next request and closes its open socket and stream', async () => {
  const u = await newUser();
  const made = (await api(relay.url, u.token, 'POST', '/api/tokens', { name: 'short-lived' })).json;
  const ws = await openWs(`${relay.wsUrl}/api/ws/rooms/lobby`, made.token);
  await ws.next((f) => f.type === 'sync');
  const sse = await openRawSse(`${relay.url}/api/rooms/lobby/stream`, made.token);
  await sse.next((e) => e.event === 'room' && e.data.type === 'sync');
  // A socket of the same user opened with another token must survive.
  const other = await openWs(`${relay.wsUrl}/api/ws/rooms/lobby`, u.token);
  await other.next((f) => f.type === 'sync');

  const del = await api(relay.url, u.token, 'DELETE', `/api/tokens/${made.id}`);
  assert.equal(del.status, 200, JSON.stringify(del.json));
  assert.deepEqual(del.json, { ok: true });

  const closed = await Promise.race([
    ws.closed,
    new Promise((_, reject) => setTimeout(() => reject(new Error('socket not closed')), 5000)),
  ]);
  assert.equal(closed.code, 1008);
  await sse.ended(5000);
  const refused = await api(relay.url, made.token, 'GET', '/api/me');
  assert.equal(refused.status, 401);

  assert.ok(other.isOpen, 'the other token\'s socket stays open');
  other.send({ type: 'ping' });
  await other.next((f) => f.type === 'pong');
  await other.close();

  const list = await api(relay.url, u.token, 'GET', '/api/tokens');
  assert.match(list.json.tokens.find((t) => t.id === made.id).revokedAt, ISO_MS);
});

test('a token can be revoked only by its owner, and only once', async () => {
  const owner = await newUser();
  const stranger = await newUser();
  const made = (await api(relay.url, owner.token, 'POST', '/api/tokens', {})).json;
  const theft = await api(relay.url, stranger.token, 'DELETE', `/api/tokens/${made.id}`);
  assert.equal(theft.status, 404);
  assert.equal(theft.json.code, 'NOT_FOUND');
  assert.equal((await api(relay.url, made.token, 'GET', '/api/me')).status, 200, 'still valid');
  assert.equal((await api(relay.url, owner.token, 'DELETE', `/api/tokens/${made.id}`)).status, 200);
  assert.equal((await api(relay.url, owner.token, 'DELETE', `/api/tokens/${made.id}`)).status, 404);
  assert.equal((await api(relay.url, owner.token, 'DELETE', '/api/tokens/tok_nope')).status, 404);
  const list = await api(relay.url, stranger.token, 'GET', '/api/tokens');
  assert.ok(!list.json.tokens.some((t) => t.id === made.id), 'no one lists another user\'s tokens');
});

test('bad token requests are refused with clear errors', async () => {
  const u = await newUser();
  const bad = await api(relay.url, u.token, 'POST', '/api/tokens', { name: 7 });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.code, 'BAD_REQUEST');
  const anon = await api(relay.url, null, 'POST', '/api/tokens', { name: 'x' });
  assert.equal(anon.status, 401);
  const wrong = await api(relay.url, u.token, 'PUT', '/api/tokens', {});
  assert.equal(wrong.status, 405);
});
