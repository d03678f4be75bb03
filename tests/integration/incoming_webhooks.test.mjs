// Incoming webhooks (docs/api.md, "Incoming webhooks"): the owner creates, lists and
// revokes them; whoever holds the secret URL posts into the hook's channel as its bot, in
// Relay's format, Slack's (JSON and the legacy form) or GitHub's own events with their
// signature checked; a private channel's hook reaches only its members (WebSocket and
// SSE); bad posts, revoked hooks and floods change nothing. The last test
// runs three nodes on Postgres + Redis: a post on one node reaches a socket on another.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import {
  startRelay, relayCli, api, uniq, openWs, openSse, newUser, newRoom, makeDataDir, FAST_SEND_ARGS,
} from './harness.mjs';
import { PG, freshDatabase } from './postgres.mjs';

const REDIS = process.env.RELAY_TEST_REDIS_URL;

let relay;
const extra = [];
before(async () => { relay = await startRelay(); });
after(async () => {
  await relay?.stop();
  await Promise.all(extra.map((s) => s.kill9()));
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const user = (prefix = 'ih') => newUser(relay, prefix);
const call = (who, method, path, body) => api(relay.url, who?.token, method, path, body);

async function makeHook(owner, slug, body, base = relay) {
  const r = await api(base.url, owner.token, 'POST', `/api/rooms/${slug}/incoming-webhooks`, body);
  assert.equal(r.status, 201, r.text);
  return r.json;
}

/** POSTs `body` (an object is sent as JSON) to a hook URL: {status, text, headers}. */
async function hookPost(url, body, headers = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

async function history(who, slug, channelId, base = relay) {
  const q = `?limit=100${channelId ? `&channelId=${encodeURIComponent(channelId)}` : ''}`;
  const r = await api(base.url, who.token, 'GET', `/api/rooms/${slug}/messages${q}`);
  assert.equal(r.status, 200, r.text);
  return r.json.messages;
}

async function channel(owner, slug, visibility = 'public') {
  const chSlug = uniq('c').toLowerCase();
  const r = await call(owner, 'POST', `/api/rooms/${slug}/channels`,
    { name: `ch ${chSlug}`, slug: chSlug, visibility });
  assert.equal(r.status, 201, r.text);
  return r.json;
}

const isMsg = (f) => f.type === 'message';

test('the owner creates a hook: the URL once, listed without it; others get 403', async () => {
  const owner = await user('io');
  const member = await user('im');
  const slug = await newRoom(relay, owner);
  const ch = await channel(owner, slug);

  const hook = await makeHook(owner, slug, { channelId: ch.id, name: '  CI  ' });
  assert.match(hook.id, /^ihk_/);
  assert.equal(hook.name, 'CI');
  assert.equal(hook.channelId, ch.id);
  assert.equal(hook.githubSecret, false);
  assert.equal(hook.revokedAt, null);
  // An absolute URL on this server, with at least 24 random bytes of url-safe secret.
  const u = new URL(hook.url);
  assert.equal(u.origin, relay.url);
  assert.match(u.pathname, /^\/hooks\/[A-Za-z0-9_-]{32,}$/);

  const list = await call(owner, 'GET', `/api/rooms/${slug}/incoming-webhooks`);
  assert.equal(list.status, 200, list.text);
  assert.equal(list.json.webhooks.length, 1);
  assert.equal(list.json.webhooks[0].id, hook.id);
  assert.equal(list.json.webhooks[0].url, undefined);
  assert.ok(!list.text.includes(u.pathname.slice(7)), 'the secret is never listed');

  // A member (let in) may neither create, list nor revoke.
  const p = await call(member, 'POST', `/api/rooms/${slug}/incoming-webhooks`, { channelId: ch.id, name: 'x' });
  assert.equal(p.status, 403, p.text);
  assert.equal((await call(member, 'GET', `/api/rooms/${slug}/incoming-webhooks`)).status, 403);
  assert.equal((await call(member, 'DELETE', `/api/rooms/${slug}/incoming-webhooks/${hook.id}`)).status, 403);
  assert.equal((await call(owner, 'GET', `/api/rooms/${slug}/incoming-webhooks`)).json.webhooks.length, 1);

  // Bad bodies, unknown channels and rooms, DMs.
  const bad = async (body, status) => {
    const r = await call(owner, 'POST', `/api/rooms/${slug}/incoming-webhooks`, body);
    assert.equal(r.status, status, `${JSON.stringify(body)}: ${r.text}`);
  };
  await bad({ channelId: ch.id }, 400);
  await bad({ channelId: ch.id, name: '' }, 400);
  await bad({ channelId: ch.id, name: 'x'.repeat(81) }, 400);
  await bad({ channelId: 5, name: 'x' }, 400);
  await bad({ channelId: 'ch_nope', name: 'x' }, 404);
  const dm = await call(owner, 'POST', `/api/rooms/${slug}/dms`, { logins: [member.login] });
  assert.equal(dm.status, 201, dm.text);
  await bad({ channelId: dm.json.id, name: 'x' }, 400);
  const none = await call(owner, 'POST', '/api/rooms/no-such-room-here/incoming-webhooks', { name: 'x' });
  assert.equal(none.status, 404);
  assert.equal((await call(owner, 'DELETE', `/api/rooms/${slug}/incoming-webhooks/ihk_nope`)).status, 404);
  assert.equal((await call(owner, 'GET', `/api/rooms/${slug}/incoming-webhooks`)).json.webhooks.length, 1);
});

test('Slack {text} and {content, username} post as the bot, live and in history', async () => {
  const owner = await user('is');
  const reader = await user('ir');
  const slug = await newRoom(relay, owner);
  const ch = await channel(owner, slug);
  const hook = await makeHook(owner, slug, { channelId: ch.id, name: 'Alerts' });
  const ws = await openWs(`${relay.wsUrl}/api/ws/rooms/${slug}`, reader.token);
  await ws.next((f) => f.type === 'sync');

  const slack = await hookPost(hook.url, { text: 'Disk *almost* full on db-1' });
  assert.equal(slack.status, 200, slack.text);
  assert.equal(slack.text, 'ok');
  assert.match(slack.headers.get('content-type'), /^text\/plain/);
  const live = (await ws.next((f) => isMsg(f) && f.message.content.startsWith('Disk'))).message;
  assert.equal(live.channelId, ch.id);
  assert.equal(live.bot, 'Alerts');
  assert.equal(live.author.name, 'Alerts');
  assert.match(live.author.login, /^hook-/);

  const own = await hookPost(hook.url, { content: 'deployed v2', username: 'Deploy bot' });
  assert.equal(own.status, 200, own.text);
  const live2 = (await ws.next((f) => isMsg(f) && f.message.content === 'deployed v2')).message;
  assert.equal(live2.bot, 'Deploy bot');
  assert.equal(live2.author.id, live.author.id);

  // Slack's attachments without text: their fallbacks.
  const att = await hookPost(hook.url, { attachments: [{ fallback: 'Build #7 failed', color: 'danger' }] });
  assert.equal(att.status, 200, att.text);
  await ws.next((f) => isMsg(f) && f.message.content === 'Build #7 failed');
  const blocks = await hookPost(hook.url, { blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'From blocks' } }] });
  assert.equal(blocks.status, 200, blocks.text);
  await ws.next((f) => isMsg(f) && f.message.content === 'From blocks');

  const h = await history(reader, slug, ch.id);
  const mine = h.filter((m) => m.author.id === live.author.id).map((m) => [m.content, m.bot]);
  assert.deepEqual(mine.sort(), [
    ['Build #7 failed', 'Alerts'], ['Disk *almost* full on db-1', 'Alerts'],
    ['From blocks', 'Alerts'], ['deployed v2', 'Deploy bot'],
  ]);
  await ws.close();
});

test('a hook into a private channel reaches its members (WebSocket and SSE), nobody else', async () => {
  const owner = await user('ip');
  const member = await user('iq');
  const outsider = await user('ix');
  const slug = await newRoom(relay, owner);
  const chSlug = uniq('c').toLowerCase();
  const priv = await call(owner, 'POST', `/api/rooms/${slug}/channels`,
    { name: 'secret ops', slug: chSlug, visibility: 'private', inviteLogins: [member.login] });
  assert.equal(priv.status, 201, priv.text);
  const hook = await makeHook(owner, slug, { channelId: priv.json.id, name: 'Ops' });
  const inWs = await openWs(`${relay.wsUrl}/api/ws/rooms/${slug}`, member.token);
  await inWs.next((f) => f.type === 'sync');
  const inSse = await openSse(`${relay.url}/api/rooms/${slug}/stream`, member.token);
  const outWs = await openWs(`${relay.wsUrl}/api/ws/rooms/${slug}`, outsider.token);
  await outWs.next((f) => f.type === 'sync');

  assert.equal((await hookPost(hook.url, { text: 'private page' })).status, 200);
  await inWs.next((f) => isMsg(f) && f.message.content === 'private page');
  const viaSse = await inSse.next((x) => x.data?.type === 'message' && x.data.message.content === 'private page');
  assert.equal(viaSse.data.message.bot, 'Ops');
  // A public marker after it: the outsider gets the marker and never the private post.
  const pub = await makeHook(owner, slug, { channelId: null, name: 'Public' });
  assert.equal((await hookPost(pub.url, { text: 'public marker' })).status, 200);
  await outWs.next((f) => isMsg(f) && f.message.content === 'public marker');
  assert.ok(!JSON.stringify(outWs.frames).includes('private page'));
  const h = await call(outsider, 'GET', `/api/rooms/${slug}/messages?limit=100`);
  assert.ok(!h.text.includes('private page'));
  inSse.close();
  await inWs.close();
  await outWs.close();
});

test('the legacy form payload=<json> and the lobby hook', async () => {
  const owner = await user('if');
  const slug = await newRoom(relay, owner);
  const hook = await makeHook(owner, slug, { channelId: null, name: 'Legacy' });
  assert.equal(hook.channelId, null);
  const form = `payload=${encodeURIComponent(JSON.stringify({ text: 'from a form & more', username: 'Old' }))}`;
  const r = await hookPost(hook.url, form, { 'Content-Type': 'application/x-www-form-urlencoded' });
  assert.equal(r.status, 200, r.text);
  // curl -d sends JSON under the form's type: read as the JSON it is.
  const c = await hookPost(hook.url, '{"text":"curl style"}', { 'Content-Type': 'application/x-www-form-urlencoded' });
  assert.equal(c.status, 200, c.text);
  const noPayload = await hookPost(hook.url, 'text=hi', { 'Content-Type': 'application/x-www-form-urlencoded' });
  assert.equal(noPayload.status, 400, noPayload.text);
  const h = await history(owner, slug);
  const got = h.filter((m) => m.bot).map((m) => [m.content, m.bot, m.channelId]);
  assert.deepEqual(got.sort(), [['curl style', 'Legacy', null], ['from a form & more', 'Old', null]]);
});

test('bad JSON, no text, too long, a NUL: 400 and no message; revoked and unknown: 404', async () => {
  const owner = await user('ib');
  const slug = await newRoom(relay, owner);
  const ch = await channel(owner, slug);
  const hook = await makeHook(owner, slug, { channelId: ch.id, name: 'Bad' });
  for (const body of ['{"text": ', '[1,2]', { text: '   ' }, {}, { text: 5 }, { content: 'x'.repeat(4001) },
    { text: 'ok', username: 'u'.repeat(81) }, { text: 'nul\u0000inside' }]) {
    const r = await hookPost(hook.url, body);
    assert.equal(r.status, 400, `${JSON.stringify(body).slice(0, 60)}: ${r.text}`);
    assert.ok(JSON.parse(r.text).error, r.text);
  }
  const edge = await hookPost(hook.url, { content: 'é'.repeat(4000) });
  assert.equal(edge.status, 200, edge.text);
  assert.equal((await history(owner, slug, ch.id)).length, 1, 'only the 4000-character post');

  assert.equal((await hookPost(`${relay.url}/hooks/not-a-secret`, { text: 'x' })).status, 404);
  const del = await call(owner, 'DELETE', `/api/rooms/${slug}/incoming-webhooks/${hook.id}`);
  assert.equal(del.status, 200, del.text);
  assert.ok(del.json.revokedAt);
  assert.equal((await hookPost(hook.url, { text: 'after revoke' })).status, 404);
  assert.equal((await hookPost(`${hook.url}/github`, { zen: 'x' }, { 'X-GitHub-Event': 'ping' })).status, 404);
  assert.equal((await call(owner, 'DELETE', `/api/rooms/${slug}/incoming-webhooks/${hook.id}`)).status, 404);
  assert.equal((await call(owner, 'GET', `/api/rooms/${slug}/incoming-webhooks`)).json.webhooks.length, 0);
  assert.equal((await history(owner, slug, ch.id)).length, 1);
  // GET on a hook URL is the API's 405, not the browser client.
  assert.equal((await fetch(hook.url)).status, 405);
});

test('a burst of 20, then 429 with Retry-After; other hooks unaffected', async () => {
  const owner = await user('il');
  const slug = await newRoom(relay, owner);
  const a = await makeHook(owner, slug, { channelId: null, name: 'Flood' });
  const b = await makeHook(owner, slug, { channelId: null, name: 'Calm' });
  const statuses = [];
  for (let i = 0; i < 25; i++) statuses.push((await hookPost(a.url, { text: `n${i}` })).status);
  const limited = statuses.indexOf(429);
  assert.ok(limited >= 19 && limited <= 21, statuses.join(','));
  const r = await hookPost(a.url, { text: 'more' });
  assert.equal(r.status, 429);
  assert.ok(Number(r.headers.get('retry-after')) >= 1);
  assert.equal((await hookPost(b.url, { text: 'calm' })).status, 200);
  const posted = (await history(owner, slug)).filter((m) => m.bot === 'Flood').length;
  assert.equal(posted, statuses.filter((s) => s === 200).length);
});

// -- GitHub -------------------------------------------------------------------------

const repository = { id: 1, name: 'relay', full_name: 'octo/relay', html_url: 'https://github.com/octo/relay' };
const sender = { login: 'octocat', id: 583231 };
const pushPayload = {
  ref: 'refs/heads/main',
  before: '6113728f27ae82c7b1a177c8d03f9e96e0adf246',
  after: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c',
  created: false,
  deleted: false,
  forced: false,
  compare: 'https://github.com/octo/relay/compare/6113728f27ae...0d1a26e67d8f',
  commits: [
    { id: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c', message: 'Fix the flaky cluster test\n\nLonger body that is not shown.',
      url: 'https://github.com/octo/relay/commit/0d1a26e67d8f', author: { name: 'Mona', email: 'mona@example.com' } },
    { id: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678', message: 'Bump deps',
      url: 'https://github.com/octo/relay/commit/a1b2c3d4e5f6', author: { name: 'Hubot', email: 'hubot@example.com' } },
  ],
  head_commit: { id: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c' },
  repository,
  pusher: { name: 'mona', email: 'mona@example.com' },
  sender,
};
const prPayload = {
  action: 'opened',
  number: 42,
  pull_request: {
    url: 'https://api.github.com/repos/octo/relay/pulls/42',
    html_url: 'https://github.com/octo/relay/pull/42',
    number: 42,
    state: 'open',
    title: 'Add incoming webhooks',
    user: { login: 'octocat' },
    merged: false,
    head: { ref: 'hooks' },
    base: { ref: 'main' },
  },
  repository,
  sender,
};

function signed(body, secret) {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

async function github(url, event, payload, secret, headers = {}) {
  const body = JSON.stringify(payload);
  const h = { 'X-GitHub-Event': event, 'X-GitHub-Delivery': uniq('d'), ...headers };
  if (secret) h['X-Hub-Signature-256'] = signed(body, secret);
  return hookPost(`${url}/github`, body, h);
}

test('GitHub push and pull_request with a valid signature post summaries; ping posts nothing', async () => {
  const owner = await user('ig');
  const slug = await newRoom(relay, owner);
  const ch = await channel(owner, slug);
  const secret = 'It’s a Secret to Everybody';
  const hook = await makeHook(owner, slug, { channelId: ch.id, name: 'GitHub', githubSecret: secret });
  assert.equal(hook.githubSecret, true);
  const ws = await openWs(`${relay.wsUrl}/api/ws/rooms/${slug}`, owner.token);
  await ws.next((f) => f.type === 'sync');

  const ping = await github(hook.url, 'ping', { zen: 'Keep it logically awesome.', hook_id: 1, repository, sender }, secret);
  assert.equal(ping.status, 200, ping.text);

  const push = await github(hook.url, 'push', pushPayload, secret);
  assert.equal(push.status, 200, push.text);
  const p = (await ws.next(isMsg)).message;
  assert.equal(p.bot, 'GitHub');
  assert.match(p.content, /\*\*mona\*\* pushed 2 commits to `main` of \*\*octo\/relay\*\*/);
  assert.ok(p.content.includes('(https://github.com/octo/relay/compare/6113728f27ae...0d1a26e67d8f)'), p.content);
  assert.ok(p.content.includes('Fix the flaky cluster test'), p.content);
  assert.ok(!p.content.includes('Longer body'), 'only first lines');
  assert.ok(p.content.includes('[0d1a26e](https://github.com/octo/relay/commit/0d1a26e67d8f)') && p.content.includes('Bump deps'), p.content);

  const pr = await github(hook.url, 'pull_request', prPayload, secret);
  assert.equal(pr.status, 200, pr.text);
  const q = (await ws.next(isMsg)).message;
  assert.equal(q.content,
    '**octocat** opened pull request [#42 Add incoming webhooks](https://github.com/octo/relay/pull/42) in **octo/relay**');
  const merged = await github(hook.url, 'pull_request',
    { ...prPayload, action: 'closed', pull_request: { ...prPayload.pull_request, merged: true } }, secret);
  assert.equal(merged.status, 200);
  assert.match((await ws.next(isMsg)).message.content, /^\*\*octocat\*\* merged pull request \[#42/);

  // Events it does not summarize: 200 and nothing posted.
  const star = await github(hook.url, 'star', { action: 'created', repository, sender }, secret);
  assert.equal(star.status, 200);
  const labeled = await github(hook.url, 'pull_request', { ...prPayload, action: 'labeled' }, secret);
  assert.equal(labeled.status, 200);

  // A redelivery (same X-GitHub-Delivery) is not a second message.
  const again = await github(hook.url, 'pull_request', prPayload, secret, { 'X-GitHub-Delivery': 'fixed-delivery' });
  const again2 = await github(hook.url, 'pull_request', prPayload, secret, { 'X-GitHub-Delivery': 'fixed-delivery' });
  assert.equal(again.status, 200);
  assert.equal(again2.status, 200);

  const all = await history(owner, slug, ch.id);
  assert.equal(all.length, 4, all.map((m) => m.content).join('\n'));
  await ws.close();
});

test('a wrong or missing GitHub signature is 401 and posts nothing', async () => {
  const owner = await user('iw');
  const slug = await newRoom(relay, owner);
  const hook = await makeHook(owner, slug, { channelId: null, name: 'GH', githubSecret: 'right' });
  const none = await github(hook.url, 'push', pushPayload, null);
  assert.equal(none.status, 401, none.text);
  const wrong = await github(hook.url, 'push', pushPayload, 'wrong');
  assert.equal(wrong.status, 401, wrong.text);
  // Signed, then the body changed.
  const body = JSON.stringify(pushPayload);
  const tampered = await hookPost(`${hook.url}/github`, body.replace('mona', 'eve'),
    { 'X-GitHub-Event': 'push', 'X-Hub-Signature-256': signed(body, 'right') });
  assert.equal(tampered.status, 401);
  assert.equal((await history(owner, slug)).length, 0);
  // Without a GitHub secret no signature is asked; malformed JSON is 400.
  const open = await makeHook(owner, slug, { channelId: null, name: 'Open' });
  assert.equal((await github(open.url, 'push', pushPayload, null)).status, 200);
  assert.equal((await hookPost(`${open.url}/github`, '{nope', { 'X-GitHub-Event': 'push' })).status, 400);
  assert.equal((await history(owner, slug)).length, 1);
});

test('cluster: a hook posted on node A reaches a WebSocket on node B', { skip: PG && REDIS ? false : 'RELAY_TEST_POSTGRES_URL and RELAY_TEST_REDIS_URL are not set' }, async () => {
  const pg = await freshDatabase('ih');
  const opts = ['--redis-url', REDIS, '--postgres-url', pg];
  const nodes = [];
  for (let i = 0; i < 3; i++) {
    const n = await startRelay({ args: [...FAST_SEND_ARGS, ...opts] });
    extra.push(n);
    nodes.push(n);
  }
  const cli = (...args) => relayCli(makeDataDir(), ...opts, ...args);
  const login = uniq('ic');
  await cli('user', 'add', login);
  const owner = { login, token: (await cli('token', 'create', login)).trim() };
  const [a, b, c] = nodes;
  const slug = uniq('r').toLowerCase();
  const made = await api(a.url, owner.token, 'POST', '/api/rooms', { slug, displayName: slug });
  assert.equal(made.status, 201, made.text);
  const ch = await api(a.url, owner.token, 'POST', `/api/rooms/${slug}/channels`, { name: 'ops', slug: 'ops', visibility: 'public' });
  assert.equal(ch.status, 201, ch.text);
  const hook = await makeHook(owner, slug, { channelId: ch.json.id, name: 'Pager' }, c);
  const onB = await openWs(`${b.wsUrl}/api/ws/rooms/${slug}`, owner.token);
  await onB.next((f) => f.type === 'sync');

  // The URL names node C; post to node A instead: any node serves any hook.
  const path = new URL(hook.url).pathname;
  const r = await hookPost(a.url + path, { text: 'paged from A' });
  assert.equal(r.status, 200, r.text);
  const m = (await onB.next((f) => isMsg(f) && f.message.content === 'paged from A', 15000)).message;
  assert.equal(m.bot, 'Pager');
  assert.equal(m.channelId, ch.json.id);

  // Revoked on B: every node answers 404 at once (the store of record decides).
  assert.equal((await api(b.url, owner.token, 'DELETE', `/api/rooms/${slug}/incoming-webhooks/${hook.id}`)).status, 200);
  for (const n of nodes) assert.equal((await hookPost(n.url + path, { text: 'late' })).status, 404);
  const h = await history(owner, slug, ch.json.id, c);
  assert.deepEqual(h.map((x) => x.content), ['paged from A']);
  await onB.close();
  await sleep(0);
});
