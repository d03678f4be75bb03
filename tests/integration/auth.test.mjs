// Sign-in and abuse limits (docs/api.md, "Authentication", "Limits"): the OAuth web
// flow against a local stand-in for GitHub (tests cannot reach GitHub), the signed
// session cookie, logout, Origin checks against cross-site WebSocket hijacking, the
// loopback-only dev sign-in, send rate limits and the per-user connection cap.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import net from 'node:net';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import {
  startRelay, createUser, api, uniq, openWs, wsHandshakeStatus, relayCli, makeDataDir,
} from './harness.mjs';
import { startProvider } from './oauth_provider.mjs';

const profile = { id: 4242, login: uniq('gh'), name: 'Octo Cat', avatar_url: 'https://avatars.example/4242', email: null };
let provider;
let relay;

before(async () => {
  provider = await startProvider({ clientId: 'cid-123', clientSecret: 'csecret-456', user: profile });
  relay = await startRelay({
    args: [
      '--oauth-client-id', 'cid-123', '--oauth-client-secret', 'csecret-456',
      '--oauth-authorize-url', provider.authorizeUrl, '--oauth-token-url', provider.tokenUrl,
      '--oauth-user-url', provider.userUrl, '--dev-login', 'on',
    ],
  });
});
after(async () => { await relay?.stop(); await provider?.close(); });

const get = (url, headers = {}) => fetch(url, { redirect: 'manual', headers });
const cookiesOf = (res) => res.headers.getSetCookie();
const cookieValue = (res, name) => {
  const c = cookiesOf(res).find((x) => x.startsWith(`${name}=`));
  return c ? c.slice(name.length + 1).split(';')[0] : undefined;
};

/** Walks the whole dance; returns the callback response and the state cookie used. */
async function signIn(next = '/rooms/lobby', tamper = {}) {
  const start = await get(`${relay.url}/auth/github?next=${encodeURIComponent(next)}`);
  assert.equal(start.status, 302);
  const stateCookie = cookieValue(start, 'relay_oauth');
  const authorize = new URL(start.headers.get('location'));
  const atProvider = await get(authorize.href);
  assert.equal(atProvider.status, 302, 'the stand-in approves and redirects back');
  const back = new URL(atProvider.headers.get('location'));
  if (tamper.state) back.searchParams.set('state', tamper.state);
  if (tamper.code) back.searchParams.set('code', tamper.code);
  const cookie = tamper.cookie !== undefined ? tamper.cookie : stateCookie;
  const res = await get(back.href, cookie ? { Cookie: `relay_oauth=${cookie}` } : {});
  return { start, authorize, res };
}

test('the OAuth dance: authorize redirect, code exchange, profile, 30-day session cookie', async () => {
  const before = provider.requests.length;
  const { start, authorize, res } = await signIn('/rooms/lobby?x=1');
  const stateSet = cookiesOf(start).find((c) => c.startsWith('relay_oauth='));
  assert.match(stateSet, /HttpOnly/i);
  assert.match(stateSet, /SameSite=Lax/i);
  assert.equal(authorize.origin + authorize.pathname, provider.authorizeUrl);
  assert.equal(authorize.searchParams.get('client_id'), 'cid-123');
  assert.equal(authorize.searchParams.get('redirect_uri'), `${relay.url}/auth/callback`);
  assert.ok(authorize.searchParams.get('state').length >= 16);

  assert.equal(res.status, 302, await res.text());
  assert.equal(res.headers.get('location'), '/rooms/lobby?x=1', 'lands back where it started');
  const set = cookiesOf(res).find((c) => c.startsWith('relay_session='));
  assert.ok(set, 'relay_session is set');
  assert.match(set, /HttpOnly/i);
  assert.match(set, /SameSite=Lax/i);
  assert.match(set, /Max-Age=2592000/);
  assert.match(set, /Path=\//);
  assert.doesNotMatch(set, /Secure/, 'plain http: no Secure flag');
  const calls = provider.requests.slice(before).map((r) => `${r.method} ${r.path}`);
  assert.ok(calls.some((c) => c.startsWith('POST /login/oauth/access_token')), calls.join());
  assert.ok(calls.some((c) => c.startsWith('GET /user')), calls.join());

  const session = cookieValue(res, 'relay_session');
  const me = await api(relay.url, null, 'GET', '/api/me', undefined, { Cookie: `relay_session=${session}` });
  assert.equal(me.status, 200, me.text);
  assert.equal(me.json.githubId, 4242);
  assert.equal(me.json.login, profile.login);
  assert.equal(me.json.name, 'Octo Cat');
  assert.equal(me.json.avatarUrl, profile.avatar_url);
  assert.equal(me.json.email, null);
  // The same secret works as a Bearer session token.
  const bearer = await api(relay.url, session, 'GET', '/api/me');
  assert.equal(bearer.json.id, me.json.id);
  // Signing in again finds the same user.
  const again = await signIn('/');
  const session2 = cookieValue(again.res, 'relay_session');
  const me2 = await api(relay.url, session2, 'GET', '/api/me');
  assert.equal(me2.json.id, me.json.id);
});

test('a forged, missing or tampered state is refused and signs nobody in', async () => {
  const forged = await signIn('/', { state: 'f'.repeat(32) });
  assert.equal(forged.res.status, 400);
  assert.equal(cookieValue(forged.res, 'relay_session'), undefined);
  const noCookie = await signIn('/', { cookie: '' });
  assert.equal(noCookie.res.status, 400);
  const start = await get(`${relay.url}/auth/github`);
  const good = cookieValue(start, 'relay_oauth');
  const bad = await signIn('/', { cookie: good.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')) });
  assert.equal(bad.res.status, 400);
  const badCode = await signIn('/', { code: 'not-a-code' });
  assert.equal(badCode.res.status, 401);
  assert.equal(cookieValue(badCode.res, 'relay_session'), undefined);
});

test('a hostile next never leaves the site or lands under /auth/', async () => {
  for (const next of ['https://evil.example/x', '//evil.example/x', '/\\evil.example', '/auth/logout', 'javascript:alert(1)']) {
    const { res } = await signIn(next);
    assert.equal(res.status, 302);
    assert.equal(res.headers.get('location'), '/', `next=${next}`);
  }
});

test('logout clears the cookie and ends the session, its sockets too', async () => {
  const { res } = await signIn('/');
  const session = cookieValue(res, 'relay_session');
  const headers = { Cookie: `relay_session=${session}`, Origin: relay.url };
  const ws = await openWsWith(`${relay.wsUrl}/api/ws/rooms/lobby`, headers);
  const out = await fetch(`${relay.url}/auth/logout`, { method: 'POST', headers });
  assert.equal(out.status, 200);
  const cleared = cookiesOf(out).find((c) => c.startsWith('relay_session='));
  assert.match(cleared, /Max-Age=0/);
  const me = await api(relay.url, null, 'GET', '/api/me', undefined, { Cookie: `relay_session=${session}` });
  assert.equal(me.status, 401);
  assert.equal(me.text, 'null');
  const closed = await ws.closed;
  assert.equal(closed.code, 1008);
  // Secrets never reach the logs.
  const logs = relay.output();
  assert.ok(!logs.includes(session.split('.')[0]), 'no session secret in the logs');
  assert.ok(!logs.includes('gho_'), 'no provider access token in the logs');
});

function openWsWith(url, headers) {
  const ws = new WebSocket(url, { headers });
  const frames = [];
  ws.on('message', (d) => frames.push(JSON.parse(d.toString())));
  const closed = new Promise((r) => ws.once('close', (code) => r({ code })));
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, frames, closed }));
    ws.once('unexpected-response', (_q, res) => { const e = new Error(`HTTP ${res.statusCode}`); e.status = res.statusCode; reject(e); });
    ws.once('error', reject);
  });
}

test('cross-site WebSocket hijacking: a cookie upgrade from a foreign Origin is refused', async () => {
  const { res } = await signIn('/');
  const cookie = `relay_session=${cookieValue(res, 'relay_session')}`;
  const url = `${relay.wsUrl}/api/ws/rooms/lobby`;
  await assert.rejects(openWsWith(url, { Cookie: cookie, Origin: 'https://evil.example' }), (e) => e.status === 403);
  const same = await openWsWith(url, { Cookie: cookie, Origin: relay.url });
  same.ws.close();
  // Browsers always send Origin on an upgrade: a cookie upgrade without one is refused.
  await assert.rejects(openWsWith(url, { Cookie: cookie }), (e) => e.status === 403);
  // A state-changing REST call with the cookie from elsewhere is refused too...
  const post = await api(relay.url, null, 'POST', '/api/rooms/lobby/messages', { content: 'csrf' },
    { Cookie: cookie, Origin: 'https://evil.example' });
  assert.equal(post.status, 403);
  // ...while a Bearer client (not a browser) is not Origin-checked.
  const token = await createUser(relay.dataDir, uniq('bo'));
  const bearer = await api(relay.url, token, 'POST', '/api/rooms/lobby/messages', { content: 'fine' },
    { Origin: 'https://evil.example' });
  assert.equal(bearer.status, 201);
});

test('dev sign-in works on loopback and is refused through a proxy', async () => {
  const login = uniq('dev');
  const res = await get(`${relay.url}/auth/dev?login=${login}&next=/x`);
  assert.equal(res.status, 302);
  assert.equal(res.headers.get('location'), '/x');
  const me = await api(relay.url, cookieValue(res, 'relay_session'), 'GET', '/api/me');
  assert.equal(me.json.login, login);
  const proxied = await get(`${relay.url}/auth/dev?login=${login}`, { 'X-Forwarded-For': '203.0.113.9' });
  assert.equal(proxied.status, 404);
  assert.equal(cookieValue(proxied, 'relay_session'), undefined);
});

test('dev sign-in is off when Relay listens beyond loopback', async () => {
  const wide = await startRelay({ args: ['--listen', '0.0.0.0:0', '--dev-login', 'on'] });
  try {
    const port = new URL(wide.url).port;
    const res = await get(`http://127.0.0.1:${port}/auth/dev?login=${uniq('dev')}`);
    assert.equal(res.status, 404);
    assert.match(wide.output(), /dev sign-in stays off/);
  } finally { await wide.stop(); }
});

test('without OAuth configured, /auth/github says so', async () => {
  const plain = await startRelay();
  try {
    const res = await get(`${plain.url}/auth/github`);
    assert.equal(res.status, 404);
  } finally { await plain.stop(); }
});

test('send limits trip with RATE_LIMITED / 429 + Retry-After, and recover', async () => {
  const limited = await startRelay({ args: ['--send-rate', '2', '--send-burst', '3', '--user-send-rate', '1000', '--user-send-burst', '1000'] });
  try {
    const token = await createUser(limited.dataDir, uniq('rl'));
    const ws = await openWs(`${limited.wsUrl}/api/ws/rooms/lobby`, token);
    await ws.next((f) => f.type === 'sync');
    for (let i = 0; i < 6; i++) ws.send({ type: 'send', clientMsgId: `c${i}`, content: `m${i}`, channelId: null });
    const answers = [];
    for (let i = 0; i < 6; i++) answers.push(await ws.next((f) => f.type === 'ack' || f.type === 'error'));
    const acks = answers.filter((f) => f.type === 'ack');
    const limitedFrames = answers.filter((f) => f.type === 'error');
    assert.equal(acks.length, 3, JSON.stringify(answers));
    assert.ok(limitedFrames.every((f) => f.code === 'RATE_LIMITED' && /^c\d$/.test(f.clientMsgId)));
    await new Promise((r) => setTimeout(r, 700));
    ws.send({ type: 'send', clientMsgId: 'later', content: 'after a pause', channelId: null });
    const ack = await ws.next((f) => f.clientMsgId === 'later' && (f.type === 'ack' || f.type === 'error'));
    assert.equal(ack.type, 'ack', 'the bucket refilled');
    assert.ok(ws.isOpen);
    await ws.close();
  } finally { await limited.stop(); }

  const perUser = await startRelay({ args: ['--user-send-rate', '1', '--user-send-burst', '2'] });
  try {
    const token = await createUser(perUser.dataDir, uniq('ru'));
    const statuses = [];
    let retry;
    for (let i = 0; i < 3; i++) {
      const r = await api(perUser.url, token, 'POST', '/api/rooms/lobby/messages', { content: `r${i}` });
      statuses.push(r.status);
      if (r.status === 429) { retry = r.headers.get('retry-after'); assert.equal(r.json.code, 'RATE_LIMITED'); }
    }
    assert.deepEqual(statuses, [201, 201, 429]);
    assert.ok(Number(retry) >= 1, `Retry-After ${retry}`);
    await new Promise((r) => setTimeout(r, 1100));
    assert.equal((await api(perUser.url, token, 'POST', '/api/rooms/lobby/messages', { content: 'again' })).status, 201);
  } finally { await perUser.stop(); }
});

test('a user may hold a limited number of connections; closing one frees a slot', async () => {
  const capped = await startRelay({ args: ['--max-connections-per-user', '2'] });
  try {
    const token = await createUser(capped.dataDir, uniq('cc'));
    const url = `${capped.wsUrl}/api/ws/rooms/lobby`;
    const a = await openWs(url, token);
    const b = await openWs(url, token);
    await a.next((f) => f.type === 'sync');
    await b.next((f) => f.type === 'sync');
    assert.equal(await wsHandshakeStatus(url, token), 429);
    const other = await createUser(capped.dataDir, uniq('co'));
    assert.equal(await wsHandshakeStatus(url, other), 101, 'the cap is per user');
    await a.close();
    let status;
    for (let i = 0; i < 20 && status !== 101; i++) {
      status = await wsHandshakeStatus(url, token);
      if (status !== 101) await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(status, 101);
    await b.close();
  } finally { await capped.stop(); }
});

test('idle sockets are pinged every half timeout; those that answer stay, silent ones are closed', async () => {
  const idle = await startRelay({ args: ['--idle-timeout-seconds', '5'] });
  try {
    const token = await createUser(idle.dataDir, uniq('id'));
    // Well-behaved clients (ws answers pings) that only read survive any number of
    // periods. Several: whether one that pongs at once was closed used to be a coin
    // flip at every other ping.
    const good = await Promise.all(Array.from({ length: 8 },
      () => openWs(`${idle.wsUrl}/api/ws/rooms/lobby`, token)));
    const pings = good.map(() => 0);
    good.forEach((c, i) => c.ws.on('ping', () => { pings[i] += 1; }));
    // A raw client that completes the handshake and then never answers anything.
    const port = new URL(idle.url).port;
    const sock = net.connect(Number(port), '127.0.0.1');
    await new Promise((r) => sock.once('connect', r));
    let received = Buffer.alloc(0);
    sock.on('data', (d) => { received = Buffer.concat([received, d]); });
    const ended = new Promise((r) => sock.once('close', r));
    sock.write(`GET /api/ws/rooms/lobby HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n`
      + `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer ${token}\r\n\r\n`);
    const t0 = Date.now();
    await ended;
    const waited = Date.now() - t0;
    assert.ok(waited >= 4000 && waited < 15000, `closed after ${waited} ms`);
    const text = received.toString('latin1');
    assert.match(text, /^HTTP\/1\.1 101/);
    assert.ok(received.includes(Buffer.from([0x89, 0x00])), 'a ping was sent first');
    // Three periods from the start: pings fall due every half period of quiet.
    await new Promise((r) => setTimeout(r, Math.max(0, t0 + 15500 - Date.now())));
    good.forEach((c, i) => {
      assert.ok(c.isOpen, `client ${i} answered every ping and stays (closed: ${JSON.stringify(c.closeInfo)})`);
      assert.ok(pings[i] >= 4, `client ${i} was pinged ${pings[i]} times in 15 s of a 5 s timeout`);
    });
    await Promise.all(good.map((c) => c.close()));
  } finally { await idle.stop(); }
});

// -- logins are identities without case (issue 19, findings 2 and 5) -----------------

const sqlite3Cli = spawnSync('sqlite3', ['-version']).status === 0;
const sql = (dataDir, script) => {
  const r = spawnSync('sqlite3', [join(dataDir, 'relay.db')], { input: script, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
};
const meOf = async (base, res) => (await api(base, cookieValue(res, 'relay_session'), 'GET', '/api/me')).json;

test('BOB signs in as the existing bob, on every path, and no second user appears', async () => {
  const bob = uniq('bob').toLowerCase();
  const BOB = bob.toUpperCase();
  const first = await get(`${relay.url}/auth/dev?login=${bob}`);
  assert.equal(first.status, 302);
  const bobMe = await meOf(relay.url, first);
  assert.equal(bobMe.login, bob);

  // A room only bob may read: alice's, whitelist-only, bob on its whitelist.
  const alice = await createUser(relay.dataDir, uniq('alice'));
  const slug = uniq('gate').toLowerCase();
  assert.equal((await api(relay.url, alice, 'POST', '/api/rooms', { slug, displayName: 'Gate' })).status, 201);
  assert.equal((await api(relay.url, alice, 'POST', `/api/rooms/${slug}/whitelist`, { login: bob })).status, 201);
  assert.equal((await api(relay.url, alice, 'PUT', `/api/rooms/${slug}/whitelist-mode`, { enabled: true })).status, 200);

  const upper = await get(`${relay.url}/auth/dev?login=${BOB}`);
  assert.equal(upper.status, 302);
  const upperMe = await meOf(relay.url, upper);
  assert.equal(upperMe.id, bobMe.id, 'BOB is bob, not a second user reading his room');
  assert.equal(upperMe.login, bob, 'the stored spelling is kept');

  // The operator cannot make a second one either; a token for BOB is bob's.
  await assert.rejects(relayCli(relay.dataDir, 'user', 'add', BOB), (e) => /taken/.test(e.stderr) && e.code === 1);
  const token = (await relayCli(relay.dataDir, 'token', 'create', BOB)).trim();
  assert.equal((await api(relay.url, token, 'GET', '/api/me')).json.id, bobMe.id);

  // DMs, invites and mentions name bob in any case.
  const dm = await api(relay.url, alice, 'POST', `/api/rooms/${slug}/dms`, { logins: [BOB] });
  assert.equal(dm.status, 201, dm.text);
});

test('users an older build let differ only by case are renamed on upgrade and keep their rows', { skip: !sqlite3Cli && 'needs the sqlite3 CLI to build an old database' }, async () => {
  const dataDir = makeDataDir();
  const bob = uniq('bob').toLowerCase();
  const BOB = bob.toUpperCase();
  let r = await startRelay({ dataDir, args: ['--dev-login', 'on'] });
  const bobToken = await createUser(dataDir, bob);
  const alice = await createUser(dataDir, uniq('alice'));
  const slug = uniq('gate').toLowerCase();
  assert.equal((await api(r.url, alice, 'POST', '/api/rooms', { slug, displayName: 'Gate' })).status, 201);
  assert.equal((await api(r.url, alice, 'POST', `/api/rooms/${slug}/whitelist`, { login: bob })).status, 201);
  assert.equal((await api(r.url, alice, 'PUT', `/api/rooms/${slug}/whitelist-mode`, { enabled: true })).status, 200);
  await r.stop();

  // What an older build allowed: a second user BOB, with a token, on schema version 7
  // (whose index on logins was not unique).
  const secret = `rlt_${randomBytes(32).toString('hex')}`;
  const hash = createHash('sha256').update(secret).digest('hex');
  sql(dataDir, `DROP INDEX IF EXISTS users_login_nocase;
    CREATE INDEX IF NOT EXISTS users_by_login_nocase ON users (login COLLATE NOCASE);
    INSERT INTO users (id, login, created_at) VALUES ('usr_case_dup', '${BOB}', ${Date.now() + 1000});
    INSERT INTO tokens (id, user_id, name, hash, created_at) VALUES ('tok_case_dup', 'usr_case_dup', 'old', '${hash}', 1);
    PRAGMA user_version = 7;`);

  r = await startRelay({ dataDir, args: ['--dev-login', 'on'] });
  try {
    const renamed = await api(r.url, secret, 'GET', '/api/me');
    assert.equal(renamed.status, 200, 'the later user keeps its token');
    assert.equal(renamed.json.id, 'usr_case_dup');
    assert.equal(renamed.json.login, `${BOB}-2`);
    assert.equal((await api(r.url, secret, 'GET', `/api/rooms/${slug}`)).status, 403, "no longer on bob's whitelist");
    assert.equal((await api(r.url, secret, 'GET', `/api/rooms/${slug}/messages`)).status, 403);
    assert.equal((await api(r.url, bobToken, 'GET', `/api/rooms/${slug}`)).status, 200, 'bob still is');
    const dev = await get(`${r.url}/auth/dev?login=${BOB}`);
    assert.equal((await meOf(r.url, dev)).login, bob, 'BOB now signs in as the oldest, bob');
    assert.match(r.output(), new RegExp(`usr_case_dup.*${BOB}-2`), 'the rename is logged');
    assert.equal(sql(dataDir, `SELECT count(*) FROM users WHERE login = '${bob}' COLLATE NOCASE;`), '1');
  } finally { await r.stop(); }
});

test('a login from the OAuth provider that breaks the rule is refused and stores nothing', async () => {
  const saved = { ...profile };
  try {
    profile.id = 9001;
    for (const hostile of ["x' OR 1=1 --", 'a'.repeat(5000), 'bad login', 'new\nline']) {
      profile.login = hostile;
      const { res } = await signIn('/');
      const text = await res.text();
      assert.equal(res.status, 401, text);
      assert.match(text, /login/, 'the error says what was wrong');
      assert.equal(cookieValue(res, 'relay_session'), undefined, 'nobody is signed in');
    }
    assert.ok(!relay.output().includes('a'.repeat(100)), 'the hostile login is not echoed into the log');
    // Nothing was stored for github id 9001: signing in with a fine login creates it now.
    profile.login = uniq('fine');
    const { res } = await signIn('/');
    assert.equal(res.status, 302, await res.text());
    const me = await meOf(relay.url, res);
    assert.equal(me.githubId, 9001);
    assert.equal(me.login, profile.login);
  } finally { Object.assign(profile, saved); }
});

// Anyone can take a state cookie from /auth/github and send made-up codes to the
// callback: each failure must not be a log line of its own (issue 19, finding 7's kin).
test('made-up codes at the callback write a bounded number of log lines', async (t) => {
  // A relay of its own: its whole log is this test's.
  const r = await startRelay({
    args: [
      '--oauth-client-id', 'cid-123', '--oauth-client-secret', 'csecret-456',
      '--oauth-authorize-url', provider.authorizeUrl, '--oauth-token-url', provider.tokenUrl,
      '--oauth-user-url', provider.userUrl,
    ],
  });
  t.after(() => r.stop());
  const start = await get(`${r.url}/auth/github?next=/`);
  const state = new URL(start.headers.get('location')).searchParams.get('state');
  const headers = { Cookie: `relay_oauth=${cookieValue(start, 'relay_oauth')}` };
  const N = 200;
  for (let i = 0; i < N; i += 50) {
    const batch = Array.from({ length: 50 }, (_, j) =>
      get(`${r.url}/auth/callback?code=made-up-${i + j}&state=${state}`, headers));
    for (const res of await Promise.all(batch)) assert.equal(res.status, 401);
  }
  await new Promise((res) => setTimeout(res, 100));
  const lines = r.output().split('\n').filter((l) => l.includes('OAuth sign-in failed'));
  // The first, plus one per 10 s interval should the burst straddle one.
  assert.ok(lines.length >= 1 && lines.length <= 2, `${N} failed sign-ins wrote ${lines.length} log lines`);
  assert.match(lines[0], /OAuth sign-in failed: token exchange rejected/, 'what is logged still says why');
});
