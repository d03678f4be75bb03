// Outbound webhooks (docs/api.md, "Outbound webhooks"): the owner's REST API, both
// signature schemes checked by a receiver (Node crypto and the `standardwebhooks`
// package), retries with growing intervals and the same webhook-id, 410 disabling the
// hook with a notification, no events from a DM the hook's creator cannot see, secret
// rotation, SSRF refusals, no lost delivery across a kill -9, thread replies and members
// joining as events.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startRelay, api, openWs, newUser, newRoom } from './harness.mjs';
import { startReceiver, verifyRelaySignature, verifyStandard } from './webhook_receiver.mjs';

// 0.05: retries at ~250 ms, 1.5 s, 6 s … after the first attempt.
const ARGS = ['--webhook-allowed-hosts', '127.0.0.1', '--webhook-retry-scale', '0.05'];

let relay;
let receiver;
before(async () => {
  relay = await startRelay({ args: ARGS });
  receiver = await startReceiver();
});
after(async () => {
  await relay?.stop();
  await receiver?.close();
});

const call = (who, method, path, body) => api(relay.url, who?.token, method, path, body);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function post(who, slug, content, channelId = null) {
  const r = await call(who, 'POST', `/api/rooms/${slug}/messages`, { content, channelId });
  assert.equal(r.status, 201, r.text);
  return r.json;
}

async function hook(owner, slug, path, events = ['message.created']) {
  const r = await call(owner, 'POST', `/api/rooms/${slug}/webhooks`,
    { url: `${receiver.url}${path}`, events, description: 'test' });
  assert.equal(r.status, 201, r.text);
  return r.json;
}

const at = (path) => (r) => r.url === path;

test('the owner creates, lists, changes and deletes hooks; others get 403, bad input 400', async () => {
  const alice = await newUser(relay, 'wo');
  const bob = await newUser(relay, 'wb');
  const slug = await newRoom(relay, alice);
  const made = await hook(alice, slug, '/crud', ['message.created', 'reaction.added']);
  assert.match(made.secret, /^whsec_[A-Za-z0-9+/]+=*$/);
  assert.ok(Buffer.from(made.secret.slice(6), 'base64').length >= 24);
  assert.match(made.id, /^whk_/);
  assert.deepEqual(made.events, ['message.created', 'reaction.added']);
  assert.equal(made.enabled, true);

  const listed = await call(alice, 'GET', `/api/rooms/${slug}/webhooks`);
  assert.equal(listed.status, 200, listed.text);
  assert.equal(listed.json.webhooks.length, 1);
  assert.equal(listed.json.webhooks[0].secret, undefined, 'the secret shows once');
  assert.equal(listed.json.webhooks[0].lastDelivery, null);

  for (const [method, path, body] of [
    ['GET', '', undefined],
    ['POST', '', { url: `${receiver.url}/x`, events: ['message.created'] }],
    ['PATCH', `/${made.id}`, { enabled: false }],
    ['DELETE', `/${made.id}`, undefined],
    ['POST', `/${made.id}/rotate-secret`, undefined],
    ['GET', `/${made.id}/deliveries`, undefined],
  ]) {
    const r = await call(bob, method, `/api/rooms/${slug}/webhooks${path}`, body);
    assert.equal(r.status, 403, `${method} ${path} by a member: ${r.text}`);
  }

  const bad = [
    [{ events: ['message.created'] }, /url/],
    [{ url: 'ftp://example.com/x', events: ['message.created'] }, /url/],
    [{ url: `${receiver.url}/x`, events: [] }, /events/],
    [{ url: `${receiver.url}/x`, events: ['message.exploded'] }, /events/],
    [{ url: `${receiver.url}/x` }, /events/],
    [{ url: 'http://10.0.0.1/hook', events: ['message.created'] }, /private/],
    [{ url: 'http://169.254.169.254/latest/meta-data', events: ['message.created'] }, /link-local|metadata/],
    [{ url: 'http://[::1]:9/x', events: ['message.created'] }, /loopback/],
    [{ url: 'http://0.0.0.0:9/x', events: ['message.created'] }, /unspecified/],
  ];
  for (const [body, field] of bad) {
    const r = await call(alice, 'POST', `/api/rooms/${slug}/webhooks`, body);
    assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.text}`);
    assert.match(r.json.error, field, r.text);
  }

  const off = await call(alice, 'PATCH', `/api/rooms/${slug}/webhooks/${made.id}`,
    { enabled: false, events: ['message.deleted'] });
  assert.equal(off.status, 200, off.text);
  assert.equal(off.json.enabled, false);
  assert.deepEqual(off.json.events, ['message.deleted']);
  assert.equal((await call(alice, 'PATCH', `/api/rooms/${slug}/webhooks/${made.id}`,
    { url: 'http://10.1.2.3/' })).status, 400);
  assert.equal((await call(alice, 'PATCH', `/api/rooms/${slug}/webhooks/whk_nope`, { enabled: true })).status, 404);

  // Another room's owner cannot reach this hook through their room.
  const other = await newRoom(relay, bob);
  assert.equal((await call(bob, 'DELETE', `/api/rooms/${other}/webhooks/${made.id}`)).status, 404);
  assert.equal((await call(bob, 'GET', `/api/rooms/${other}/webhooks/${made.id}/deliveries`)).status, 404);

  assert.equal((await call(alice, 'DELETE', `/api/rooms/${slug}/webhooks/${made.id}`)).status, 200);
  assert.equal((await call(alice, 'DELETE', `/api/rooms/${slug}/webhooks/${made.id}`)).status, 404);
  assert.equal((await call(alice, 'GET', `/api/rooms/${slug}/webhooks`)).json.webhooks.length, 0);
});

test('every event is signed both ways and carries what the WebSocket frame does', async () => {
  const alice = await newUser(relay, 'we');
  const slug = await newRoom(relay, alice);
  const h = await hook(alice, slug, '/events', ['message.created', 'message.updated', 'message.deleted',
    'reaction.added', 'reaction.removed', 'channel.created']);
  const m = await post(alice, slug, 'hello hooks');
  const [created] = await receiver.waitFor((r) => at('/events')(r) && r.json?.type === 'message.created');
  assert.ok(verifyRelaySignature(created, h.secret), 'X-Relay-Signature verifies with Node crypto');
  assert.ok(verifyStandard(created, h.secret), 'Standard Webhooks verifies with the standardwebhooks package');
  assert.ok(!verifyStandard(created, 'whsec_' + Buffer.alloc(32, 7).toString('base64')), 'a wrong secret does not');
  assert.match(created.headers['webhook-id'], /^msg_/);
  assert.ok(Math.abs(Number(created.headers['webhook-timestamp']) - Date.now() / 1000) < 30);
  assert.equal(created.headers['content-type'], 'application/json');
  assert.equal(created.json.room, slug);
  assert.match(created.json.timestamp, /^\d{4}-\d\d-\d\dT/);
  assert.equal(created.json.data.message.id, m.id);
  assert.equal(created.json.data.message.content, 'hello hooks');

  const edited = await call(alice, 'PATCH', `/api/rooms/${slug}/messages/${m.id}`, { content: 'edited' });
  assert.equal(edited.status, 200, edited.text);
  const reacted = await call(alice, 'PUT', `/api/rooms/${slug}/messages/${m.id}/reactions/${encodeURIComponent('👍')}`);
  assert.equal(reacted.status, 200, reacted.text);
  assert.equal((await call(alice, 'DELETE', `/api/rooms/${slug}/messages/${m.id}/reactions/${encodeURIComponent('👍')}`)).status, 200);
  assert.equal((await call(alice, 'DELETE', `/api/rooms/${slug}/messages/${m.id}`)).status, 200);
  const ch = await call(alice, 'POST', `/api/rooms/${slug}/channels`, { name: 'News', slug: 'news', visibility: 'public' });
  assert.equal(ch.status, 201, ch.text);

  const byType = async (type) => (await receiver.waitFor((r) => at('/events')(r) && r.json?.type === type))[0];
  assert.equal((await byType('message.updated')).json.data.message.content, 'edited');
  const added = await byType('reaction.added');
  assert.equal(added.json.data.emoji, '👍');
  assert.equal(added.json.data.messageId, m.id);
  assert.equal(added.json.data.user.login, alice.login);
  await byType('reaction.removed');
  assert.equal((await byType('message.deleted')).json.data.messageId, m.id);
  const made = (await byType('channel.created')).json.data.channel;
  assert.equal(made.id, ch.json.id);
  assert.equal(made.memberCount, ch.json.memberCount, 'the channel as the 201 shows it');
  for (const r of receiver.requests.filter(at('/events'))) {
    assert.ok(verifyRelaySignature(r, h.secret) && verifyStandard(r, h.secret), r.json?.type);
  }

  // The log and the list show the deliveries.
  await sleep(300);
  const log = await call(alice, 'GET', `/api/rooms/${slug}/webhooks/${h.id}/deliveries`);
  assert.equal(log.status, 200, log.text);
  const first = log.json.deliveries.find((d) => d.event === 'message.created');
  assert.equal(first.state, 'succeeded');
  assert.equal(first.attempt, 1);
  assert.equal(first.statusCode, 200);
  assert.equal(typeof first.latencyMs, 'number');
  assert.equal(first.webhookMessageId, created.headers['webhook-id']);
  const listed = (await call(alice, 'GET', `/api/rooms/${slug}/webhooks`)).json.webhooks[0];
  assert.equal(listed.lastDelivery.state, 'succeeded');
  assert.equal(listed.lastDelivery.statusCode, 200);

  // Redeliver sends the same body with the same webhook-id again.
  const again = await call(alice, 'POST', `/api/rooms/${slug}/webhooks/${h.id}/deliveries/${first.id}/redeliver`);
  assert.equal(again.status, 202, again.text);
  const twice = await receiver.waitFor((r) => r.headers['webhook-id'] === created.headers['webhook-id'], 2);
  assert.equal(twice[1].body, created.body);
  assert.equal((await call(alice, 'POST', `/api/rooms/${slug}/webhooks/${h.id}/deliveries/dlv_nope/redeliver`)).status, 404);
});

test('5xx is retried at growing intervals with the same webhook-id; 4xx is not', async () => {
  const alice = await newUser(relay, 'wr');
  const slug = await newRoom(relay, alice);
  const h = await hook(alice, slug, '/flaky');
  let failures = 3;
  receiver.answerWith((r) => (r.url === '/flaky' && failures-- > 0 ? 500 : 200));
  try {
    await post(alice, slug, 'retry me');
    const got = await receiver.waitFor(at('/flaky'), 4, 20000);
    const ids = new Set(got.map((r) => r.headers['webhook-id']));
    assert.equal(ids.size, 1, 'one webhook-id on every attempt');
    assert.ok(got.every((r) => r.body === got[0].body), 'the same body on every attempt');
    assert.ok(got.every((r) => verifyStandard(r, h.secret)), 'every attempt is signed afresh');
    const gaps = got.slice(1).map((r, i) => r.at - got[i].at);
    assert.ok(gaps[0] < gaps[1] && gaps[1] < gaps[2], `intervals grow: ${gaps}`);
    await sleep(300);
    const [d] = (await call(alice, 'GET', `/api/rooms/${slug}/webhooks/${h.id}/deliveries`)).json.deliveries;
    assert.equal(d.attempt, 4);
    assert.equal(d.state, 'succeeded');
  } finally {
    receiver.answerWith(() => 200);
  }
  // A 400 is final: one attempt, logged as failed.
  receiver.answerWith((r) => (r.url === '/flaky' ? 400 : 200));
  try {
    const before = receiver.requests.filter(at('/flaky')).length;
    await post(alice, slug, 'refused');
    await receiver.waitFor(at('/flaky'), before + 1);
    await sleep(1500);
    assert.equal(receiver.requests.filter(at('/flaky')).length, before + 1);
    const [d] = (await call(alice, 'GET', `/api/rooms/${slug}/webhooks/${h.id}/deliveries`)).json.deliveries;
    assert.equal(d.state, 'failed');
    assert.equal(d.statusCode, 400);
  } finally {
    receiver.answerWith(() => 200);
  }
});

test('a 410 disables the hook and tells the owner', async () => {
  const alice = await newUser(relay, 'wg');
  const slug = await newRoom(relay, alice);
  const h = await hook(alice, slug, '/gone');
  receiver.answerWith((r) => (r.url === '/gone' ? 410 : 200));
  try {
    await post(alice, slug, 'one');
    await receiver.waitFor(at('/gone'));
    let listed;
    for (let i = 0; i < 50; i++) {
      listed = (await call(alice, 'GET', `/api/rooms/${slug}/webhooks`)).json.webhooks[0];
      if (!listed.enabled) break;
      await sleep(100);
    }
    assert.equal(listed.enabled, false);
    assert.match(listed.disabledReason, /410/);
    const notes = (await call(alice, 'GET', '/api/notifications')).json.notifications;
    const n = notes.find((x) => x.kind === 'webhook_disabled');
    assert.ok(n, JSON.stringify(notes));
    assert.equal(n.refId, h.id);
    await post(alice, slug, 'two');
    await sleep(800);
    assert.equal(receiver.requests.filter(at('/gone')).length, 1, 'a disabled hook gets nothing');
    // Enabling it again resumes deliveries.
    receiver.answerWith(() => 200);
    assert.equal((await call(alice, 'PATCH', `/api/rooms/${slug}/webhooks/${h.id}`, { enabled: true })).status, 200);
    await post(alice, slug, 'three');
    await receiver.waitFor((r) => at('/gone')(r) && r.json?.data?.message?.content === 'three');
  } finally {
    receiver.answerWith(() => 200);
  }
});

test('a delivery failing through the whole schedule ends failed, disables the hook and tells the owner live', async () => {
  // 0.0001: the whole schedule (5 s … 12 h after the first attempt) in about 4.3 s.
  const fast = await startRelay({ args: ['--webhook-allowed-hosts', '127.0.0.1', '--webhook-retry-scale', '0.0001'] });
  const sink = await startReceiver();
  try {
    const alice = await newUser(fast, 'wf');
    const slug = await newRoom(fast, alice);
    const at2 = (method, path, body) => api(fast.url, alice.token, method, path, body);
    const made = await at2('POST', `/api/rooms/${slug}/webhooks`, { url: `${sink.url}/down`, events: ['message.created'] });
    assert.equal(made.status, 201, made.text);
    sink.answerWith(() => 503);
    // The owner's tab is open in another room: the notification follows the user.
    const elsewhere = await newRoom(fast, alice);
    const ws = await openWs(`${fast.wsUrl}/api/ws/rooms/${elsewhere}`, alice.token);
    await ws.next((f) => f.type === 'sync');
    const m = await api(fast.url, alice.token, 'POST', `/api/rooms/${slug}/messages`, { content: 'never lands' });
    assert.equal(m.status, 201, m.text);
    const attempts = await sink.waitFor(() => true, 9, 20000);
    assert.equal(new Set(attempts.map((r) => r.headers['webhook-id'])).size, 1, 'one webhook-id throughout');
    const frame = await ws.next((f) => f.type === 'notification', 10000);
    assert.equal(frame.notification.kind, 'webhook_disabled');
    assert.equal(frame.notification.refId, made.json.id);
    await ws.close();

    const [d] = (await at2('GET', `/api/rooms/${slug}/webhooks/${made.json.id}/deliveries`)).json.deliveries;
    assert.equal(d.state, 'failed');
    assert.equal(d.attempt, 9);
    assert.equal(d.statusCode, 503);
    const listed = (await at2('GET', `/api/rooms/${slug}/webhooks`)).json.webhooks[0];
    assert.equal(listed.enabled, false);
    assert.match(listed.disabledReason, /9 attempts/);
    assert.equal(listed.lastDelivery.state, 'failed');
    const notes = (await at2('GET', '/api/notifications')).json.notifications;
    const n = notes.find((x) => x.kind === 'webhook_disabled');
    assert.ok(n, JSON.stringify(notes));
    assert.equal(n.refId, made.json.id);
    assert.equal(n.id, frame.notification.id);

    // Nothing more is sent: the schedule is over and the hook is off.
    await api(fast.url, alice.token, 'POST', `/api/rooms/${slug}/messages`, { content: 'after' });
    await sleep(800);
    assert.equal(sink.requests.length, 9);
  } finally {
    await fast.stop();
    await sink.close();
  }
});

test("a DM's events never reach a hook whose creator is not in it", async () => {
  const alice = await newUser(relay, 'wp');
  const bob = await newUser(relay, 'wq');
  const carol = await newUser(relay, 'wt');
  const slug = await newRoom(relay, alice);
  await hook(alice, slug, '/private', ['message.created', 'channel.created']);
  const dm = await call(bob, 'POST', `/api/rooms/${slug}/dms`, { logins: [carol.login] });
  assert.equal(dm.status, 201, dm.text);
  await post(bob, slug, 'secret between us', dm.json.id);
  const priv = await call(alice, 'POST', `/api/rooms/${slug}/channels`,
    { name: 'Mine', slug: 'mine', visibility: 'private', inviteLogins: [bob.login] });
  assert.equal(priv.status, 201, priv.text);
  await post(bob, slug, 'alice sees this', priv.json.id);
  await post(bob, slug, 'public marker');
  await receiver.waitFor((r) => at('/private')(r) && r.json?.data?.message?.content === 'public marker');
  await receiver.waitFor((r) => at('/private')(r) && r.json?.data?.message?.content === 'alice sees this');
  // The channel as the 201, the channel list and the channel_created frame show it.
  const [made] = await receiver.waitFor((r) => at('/private')(r) && r.json?.type === 'channel.created');
  assert.equal(made.json.data.channel.id, priv.json.id);
  assert.equal(priv.json.memberCount, 2);
  assert.equal(made.json.data.channel.memberCount, 2, 'alice and her invitee');
  await sleep(300);
  const bodies = receiver.requests.filter(at('/private')).map((r) => r.body);
  assert.ok(!bodies.some((b) => b.includes('secret between us')), 'the DM stays private');
});

test('thread replies and channel members joining are events, signed', async () => {
  const alice = await newUser(relay, 'wm');
  const bob = await newUser(relay, 'wn');
  const carol = await newUser(relay, 'wc');
  const slug = await newRoom(relay, alice);
  const events = ['thread.reply_created', 'member.joined'];
  const mine = await hook(alice, slug, '/members-alice', events);

  // A public channel: its creator and invitee join, visible to every hook.
  const pub = await call(alice, 'POST', `/api/rooms/${slug}/channels`,
    { name: 'Open', slug: 'open', visibility: 'public', inviteLogins: [bob.login] });
  assert.equal(pub.status, 201, pub.text);
  const joined = await receiver.waitFor((r) => at('/members-alice')(r) && r.json?.type === 'member.joined'
    && r.json.data.channelId === pub.json.id, 2);
  assert.deepEqual(joined.map((r) => r.json.data.user.login).sort(), [alice.login, bob.login].sort());
  for (const r of joined) {
    assert.ok(verifyRelaySignature(r, mine.secret) && verifyStandard(r, mine.secret));
    assert.equal(r.json.room, slug);
    assert.equal(typeof r.json.data.user.id, 'string');
  }

  // A thread reply in the room-wide thread.
  const root = await post(bob, slug, 'root of a thread');
  const t = await call(bob, 'POST', `/api/rooms/${slug}/messages/${root.id}/thread`);
  assert.ok(t.status === 201 || t.status === 200, t.text);
  const reply = await call(bob, 'POST', `/api/threads/${t.json.threadId}/replies`, { content: 'a reply' });
  assert.equal(reply.status, 201, reply.text);
  const [r] = await receiver.waitFor((x) => at('/members-alice')(x) && x.json?.type === 'thread.reply_created');
  assert.ok(verifyRelaySignature(r, mine.secret) && verifyStandard(r, mine.secret));
  assert.equal(r.json.data.threadId, t.json.threadId);
  assert.equal(r.json.data.rootId, root.id);
  assert.equal(r.json.data.message.id, reply.json.id);
  assert.equal(r.json.data.message.threadId, t.json.threadId);
  assert.equal(r.json.data.message.content, 'a reply');
  assert.equal(r.json.data.message.author.login, bob.login);
  // A retried reply (same clientMsgId) is no new event.
  const once = await call(bob, 'POST', `/api/threads/${t.json.threadId}/replies`, { content: 'once', clientMsgId: 'c-1' });
  assert.equal(once.status, 201, once.text);
  assert.equal((await call(bob, 'POST', `/api/threads/${t.json.threadId}/replies`, { content: 'once', clientMsgId: 'c-1' })).status, 200);

  // A private channel of carol's room: its joins and replies reach her hook (she is a
  // member) and no hook of another room.
  const room2 = await newRoom(relay, carol);
  const carolHook = await hook(carol, room2, '/members-carol', events);
  const priv = await call(carol, 'POST', `/api/rooms/${room2}/channels`,
    { name: 'Hidden', slug: 'hidden', visibility: 'private', inviteLogins: [alice.login] });
  assert.equal(priv.status, 201, priv.text);
  const privJoined = await receiver.waitFor((x) => at('/members-carol')(x) && x.json?.type === 'member.joined'
    && x.json.data.channelId === priv.json.id, 2);
  assert.ok(privJoined.every((x) => verifyStandard(x, carolHook.secret)));

  const proot = await post(alice, room2, 'private root', priv.json.id);
  const pt = await call(alice, 'POST', `/api/rooms/${room2}/messages/${proot.id}/thread`);
  const preply = await call(alice, 'POST', `/api/threads/${pt.json.threadId}/replies`, { content: 'private reply' });
  assert.equal(preply.status, 201, preply.text);
  await receiver.waitFor((x) => at('/members-carol')(x) && x.json?.data?.message?.content === 'private reply');
  await sleep(500);
  const elsewhere = receiver.requests.filter((x) => x.url !== '/members-carol').map((x) => x.body);
  assert.ok(!elsewhere.some((b) => b.includes('private reply') || b.includes(priv.json.id)),
    'no other hook hears of the private channel');
});

// Only the owner makes hooks and channels, and she is a member of every channel she
// makes: a DM between others is the channel a hook's creator cannot see.
test("a DM's replies and parties never reach a hook whose creator is not in it", async () => {
  const alice = await newUser(relay, 'wx');
  const bob = await newUser(relay, 'wy');
  const carol = await newUser(relay, 'wz');
  const slug = await newRoom(relay, alice);
  await hook(alice, slug, '/dm-members', ['member.joined', 'thread.reply_created']);
  const dm = await call(bob, 'POST', `/api/rooms/${slug}/dms`, { logins: [carol.login] });
  assert.equal(dm.status, 201, dm.text);
  const root = await post(bob, slug, 'dm root', dm.json.id);
  const t = await call(bob, 'POST', `/api/rooms/${slug}/messages/${root.id}/thread`);
  assert.ok(t.status === 201 || t.status === 200, t.text);
  assert.equal((await call(carol, 'POST', `/api/threads/${t.json.threadId}/replies`, { content: 'dm reply' })).status, 201);
  const marker = await post(bob, slug, 'marker root');
  const mt = await call(bob, 'POST', `/api/rooms/${slug}/messages/${marker.id}/thread`);
  assert.equal((await call(bob, 'POST', `/api/threads/${mt.json.threadId}/replies`, { content: 'marker reply' })).status, 201);
  await receiver.waitFor((x) => at('/dm-members')(x) && x.json?.data?.message?.content === 'marker reply');
  await sleep(300);
  const bodies = receiver.requests.filter(at('/dm-members')).map((x) => x.body);
  assert.ok(!bodies.some((b) => b.includes('dm reply') || b.includes(dm.json.id)), 'nothing of the DM');
});

test('whitelisting a login and approving an access request are member.joined with channelId null', async () => {
  const alice = await newUser(relay, 'wa');
  const dave = await newUser(relay, 'wv');
  const slug = await newRoom(relay, alice);
  const h = await hook(alice, slug, '/room-join', ['member.joined']);
  assert.equal((await call(alice, 'PUT', `/api/rooms/${slug}/whitelist-mode`, { enabled: true })).status, 200);
  const req = await call(dave, 'POST', `/api/rooms/${slug}/access-requests`, { note: 'let me in' });
  assert.equal(req.status, 201, req.text);
  const ok = await call(alice, 'POST', `/api/rooms/${slug}/access-requests/${req.json.id}/approve`);
  assert.equal(ok.status, 200, ok.text);
  const [r] = await receiver.waitFor((x) => at('/room-join')(x) && x.json?.type === 'member.joined');
  assert.ok(verifyStandard(r, h.secret));
  assert.equal(r.json.data.channelId, null);
  assert.equal(r.json.data.user.login, dave.login);

  const erin = await newUser(relay, 'wu');
  assert.equal((await call(alice, 'POST', `/api/rooms/${slug}/whitelist`, { login: 'no-such-user-yet' })).status, 201);
  assert.equal((await call(alice, 'POST', `/api/rooms/${slug}/whitelist`, { login: erin.login })).status, 201);
  const [w] = await receiver.waitFor((x) => at('/room-join')(x) && x.json?.data?.user?.login === erin.login);
  assert.equal(w.json.data.channelId, null);
  await sleep(300);
  assert.equal(receiver.requests.filter(at('/room-join')).length, 2, 'a login nobody has joins no one');
});

test('after a rotation old and new secrets both sign, for the overlap', async () => {
  const alice = await newUser(relay, 'wk');
  const slug = await newRoom(relay, alice);
  const h = await hook(alice, slug, '/rotate');
  const rotated = await call(alice, 'POST', `/api/rooms/${slug}/webhooks/${h.id}/rotate-secret`);
  assert.equal(rotated.status, 200, rotated.text);
  assert.match(rotated.json.secret, /^whsec_/);
  assert.notEqual(rotated.json.secret, h.secret);
  await post(alice, slug, 'rotated');
  const [r] = await receiver.waitFor(at('/rotate'));
  assert.equal(r.headers['webhook-signature'].split(' ').length, 2);
  assert.ok(verifyStandard(r, h.secret), 'the old secret still verifies');
  assert.ok(verifyStandard(r, rotated.json.secret), 'the new secret verifies');
  assert.ok(verifyRelaySignature(r, h.secret) && verifyRelaySignature(r, rotated.json.secret));
});

test('loopback targets need --webhook-allowed-hosts', async () => {
  const plain = await startRelay();
  try {
    const alice = await newUser(plain, 'wl');
    const slug = await newRoom(plain, alice);
    const r = await api(plain.url, alice.token, 'POST', `/api/rooms/${slug}/webhooks`,
      { url: `${receiver.url}/x`, events: ['message.created'] });
    assert.equal(r.status, 400, r.text);
    assert.match(r.json.error, /loopback/);
  } finally {
    await plain.stop();
  }
});

test('deliveries pending at a kill -9 are sent after the restart', async () => {
  const local = await startRelay({ args: ARGS });
  let again;
  const sink = await startReceiver();
  try {
    const alice = await newUser(local, 'wd');
    const slug = await newRoom(local, alice);
    const made = await api(local.url, alice.token, 'POST', `/api/rooms/${slug}/webhooks`,
      { url: `${sink.url}/durable`, events: ['message.created'] });
    assert.equal(made.status, 201, made.text);
    sink.answerWith(() => 503);
    const sent = [];
    for (let i = 0; i < 5; i++) {
      const r = await api(local.url, alice.token, 'POST', `/api/rooms/${slug}/messages`, { content: `durable ${i}` });
      assert.equal(r.status, 201, r.text);
      sent.push(r.json.id);
    }
    await sink.waitFor(() => true, 5);
    await local.kill9();
    sink.answerWith(() => 200);
    again = await startRelay({ dataDir: local.dataDir, args: ARGS });
    const ok = await sink.waitFor((r) => r.status === 200, 5, 20000);
    const delivered = new Set(ok.map((r) => r.json.data.message.id));
    for (const id of sent) assert.ok(delivered.has(id), `message ${id} was delivered after the restart`);
  } finally {
    await local.kill9();
    await again?.stop();
    await sink.close();
  }
});
