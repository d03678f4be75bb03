// Mentions and notifications (docs/api.md, "Notifications"): an @login of someone who can
// see the channel leaves them one `mention` notification per message, never for the author,
// an outsider or a login in code; the list pages and filters; PATCH and save change only
// the caller's own; a new notification reaches the user's sockets in any room, live.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startRelay, api, openWs, openSse, newUser, newRoom } from './harness.mjs';

let relay;
before(async () => { relay = await startRelay(); });
after(async () => { await relay?.stop(); });

const call = (who, method, path, body) => api(relay.url, who?.token, method, path, body);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function post(who, slug, content, channelId = null) {
  const r = await call(who, 'POST', `/api/rooms/${slug}/messages`, { content, channelId });
  assert.equal(r.status, 201, r.text);
  return r.json;
}

async function list(who, query = '') {
  const r = await call(who, 'GET', `/api/notifications${query}`);
  assert.equal(r.status, 200, r.text);
  return r.json;
}

const mentions = async (who, query = '?limit=100') =>
  (await list(who, query)).notifications.filter((n) => n.kind === 'mention');

// Mentions are written after the send is answered: wait until `who` has `n` of them.
async function waitMentions(who, n) {
  for (let i = 0; i < 100; i++) {
    const ms = await mentions(who);
    if (ms.length >= n) return ms;
    await sleep(50);
  }
  assert.fail(`${who.login} never got ${n} mention notification(s)`);
}

test('a mention notifies who can see the channel, once, with enough to jump to it', async () => {
  const alice = await newUser(relay, 'na');
  const bob = await newUser(relay, 'nb');
  const carol = await newUser(relay, 'nc');
  const slug = await newRoom(relay, alice);
  const m = await post(alice, slug, `hi @${bob.login.toUpperCase()} and @${alice.login}, @${bob.login} again`);
  const [n] = await waitMentions(bob, 1);
  assert.equal(n.kind, 'mention');
  assert.equal(n.refId, m.id);
  assert.equal(n.state, 'unread');
  assert.equal(n.saved, false);
  assert.equal(n.visibility, 'private');
  assert.deepEqual(n.data, {
    roomSlug: slug, channelId: null, channelSlug: null, messageId: m.id, threadId: null, author: alice.login,
    excerpt: m.content,
  });

  // Not in code, not the author, never twice; an edit adding carol notifies only carol.
  const coded = await post(alice, slug, `\`@${carol.login}\` and\n\`\`\`\n@${carol.login}\n\`\`\``);
  const edited = await call(alice, 'PATCH', `/api/rooms/${slug}/messages/${m.id}`,
    { content: `hi @${bob.login} and @${carol.login}` });
  assert.equal(edited.status, 200, edited.text);
  const [c] = await waitMentions(carol, 1);
  assert.equal(c.refId, m.id);
  await sleep(300);
  assert.equal((await mentions(carol)).length, 1, 'the code spans mentioned no one');
  assert.equal((await mentions(bob)).length, 1, 'the edit did not notify bob again');
  assert.equal((await mentions(alice)).length, 0, 'the author is never notified');
  assert.ok(!(await mentions(carol)).some((x) => x.refId === coded.id));
});

test('a thread reply that mentions someone notifies them, naming the thread', async () => {
  const alice = await newUser(relay, 'ta');
  const bob = await newUser(relay, 'tb');
  const slug = await newRoom(relay, alice);
  const root = await post(alice, slug, 'the plan, in a thread');
  const t = await call(alice, 'POST', `/api/rooms/${slug}/messages/${root.id}/thread`);
  assert.equal(t.status, 201, t.text);
  const threadId = t.json.threadId;
  const reply = await call(alice, 'POST', `/api/threads/${threadId}/replies`,
    { content: `@${bob.login} your turn, @${alice.login}` });
  assert.equal(reply.status, 201, reply.text);
  const [n] = await waitMentions(bob, 1);
  assert.equal(n.refId, reply.json.id);
  assert.equal(n.data.threadId, threadId);
  assert.equal(n.data.messageId, reply.json.id);
  assert.equal(n.data.roomSlug, slug);
  await sleep(300);
  assert.equal((await mentions(alice)).length, 0, 'the author of the reply is never notified');
});

test('outsiders of a private channel or a whitelist-only room are not notified', async () => {
  const alice = await newUser(relay, 'po');
  const member = await newUser(relay, 'pm');
  const outsider = await newUser(relay, 'px');
  const slug = await newRoom(relay, alice);
  const ch = await call(alice, 'POST', `/api/rooms/${slug}/channels`,
    { name: 'Secret', slug: 'secret', visibility: 'private', inviteLogins: [member.login] });
  assert.equal(ch.status, 201, ch.text);
  await post(alice, slug, `@${outsider.login} @${member.login} secret plans`, ch.json.id);
  const [n] = await waitMentions(member, 1);
  assert.equal(n.data.channelId, ch.json.id);
  assert.equal(n.data.channelSlug, 'secret');

  const gated = await newRoom(relay, alice);
  const wl = await call(alice, 'PUT', `/api/rooms/${gated}/whitelist-mode`, { enabled: true });
  assert.equal(wl.status, 200, wl.text);
  await post(alice, gated, `@${outsider.login} you cannot come in; @${member.login} neither`);
  // The barrier: a later mention of the outsider in an open channel arrives.
  await post(alice, slug, `@${outsider.login} public hello`);
  const got = await waitMentions(outsider, 1);
  await sleep(300);
  assert.equal((await mentions(outsider)).length, 1);
  assert.equal(got[0].data.channelId, null);
  assert.equal((await mentions(member)).length, 1, 'not let into the whitelist-only room');
});

test('the list pages by cursor, filters by state and saved; PATCH and save are the owner\'s', async () => {
  const alice = await newUser(relay, 'la');
  const bob = await newUser(relay, 'lb');
  const eve = await newUser(relay, 'le');
  const slug = await newRoom(relay, alice);
  for (let i = 0; i < 5; i++) await post(alice, slug, `@${bob.login} number ${i}`);
  const all = await waitMentions(bob, 5);
  assert.deepEqual(all.map((n) => n.data.excerpt), [4, 3, 2, 1, 0].map((i) => `@${bob.login} number ${i}`));

  const p1 = await list(bob, '?limit=2');
  assert.equal(p1.notifications.length, 2);
  assert.equal(typeof p1.next, 'string');
  const p2 = await list(bob, `?limit=2&next=${encodeURIComponent(p1.next)}`);
  const p3 = await list(bob, `?limit=2&next=${encodeURIComponent(p2.next)}`);
  assert.equal(p3.next, null);
  assert.deepEqual([...p1.notifications, ...p2.notifications, ...p3.notifications].map((n) => n.id),
    all.map((n) => n.id));

  const [a, b, c] = all;
  const read = await call(bob, 'PATCH', `/api/notifications/${a.id}`, { state: 'read' });
  assert.equal(read.status, 200, read.text);
  assert.equal(read.json.state, 'read');
  assert.equal((await call(bob, 'PATCH', `/api/notifications/${b.id}`, { state: 'archived' })).status, 200);
  const saved = await call(bob, 'PUT', `/api/notifications/${c.id}/save`);
  assert.equal(saved.status, 200);
  assert.equal(saved.json.saved, true);
  assert.equal((await call(bob, 'PUT', `/api/notifications/${c.id}/save`)).json.saved, true, 'idempotent');
  assert.equal((await call(bob, 'PUT', `/api/notifications/${b.id}/save`)).status, 200);

  const ids = async (q) => (await list(bob, q)).notifications.map((n) => n.id);
  assert.deepEqual(await ids(''), all.filter((n) => n.id !== b.id).map((n) => n.id), 'inbox: unread and read');
  assert.deepEqual(await ids('?state=unread'), [c.id, all[3].id, all[4].id]);
  assert.deepEqual(await ids('?state=read'), [a.id]);
  assert.deepEqual(await ids('?state=archived'), [b.id]);
  assert.deepEqual(await ids('?saved=true'), [b.id, c.id], 'saved tab: any state');
  assert.deepEqual(await ids('?saved=true&state=unread'), [c.id]);
  const un = await call(bob, 'DELETE', `/api/notifications/${b.id}/save`);
  assert.equal(un.json.saved, false);
  assert.equal((await call(bob, 'DELETE', `/api/notifications/${b.id}/save`)).status, 200, 'idempotent');
  assert.deepEqual(await ids('?saved=true'), [c.id]);

  // Someone else's notification looks like no notification; nothing changes.
  for (const [method, path, body] of [['PATCH', `/api/notifications/${c.id}`, { state: 'read' }],
    ['PUT', `/api/notifications/${c.id}/save`], ['DELETE', `/api/notifications/${c.id}/save`],
    ['PATCH', '/api/notifications/ntf_nope', { state: 'read' }]]) {
    const r = await call(eve, method, path, body);
    assert.equal(r.status, 404, `${method} ${path} -> ${r.status}`);
  }
  // Bad bodies and queries: 400, nothing changes.
  for (const body of [{}, { state: 'gone' }, { state: 1 }, { visibility: 'secret' }, { state: 'read', x: 1 },
    [], 'not json', { saved: true }]) {
    const r = await call(bob, 'PATCH', `/api/notifications/${c.id}`, body);
    assert.equal(r.status, 400, `${JSON.stringify(body)} -> ${r.status} ${r.text}`);
  }
  for (const q of ['?state=new', '?saved=yes', '?limit=0', '?limit=x', '?next=garbage', '?next=12_']) {
    const r = await call(bob, 'GET', `/api/notifications${q}`);
    assert.equal(r.status, 400, `${q} -> ${r.status}`);
  }
  const still = (await list(bob, '?state=unread')).notifications.find((n) => n.id === c.id);
  assert.equal(still.state, 'unread');
  assert.equal(still.saved, true);
  assert.equal(still.visibility, 'private');
  assert.equal((await call(null, 'GET', '/api/notifications')).status, 401);
});

test('visibility is the room owner\'s to set, on notifications about their room', async () => {
  const alice = await newUser(relay, 'va');
  const bob = await newUser(relay, 'vb');
  const aliceRoom = await newRoom(relay, alice);
  const bobRoom = await newRoom(relay, bob);
  await post(bob, aliceRoom, `@${alice.login} in your room`);
  await post(bob, bobRoom, `@${alice.login} in my room`);
  await post(alice, aliceRoom, `@${bob.login} in my room`);
  const [inHers] = (await waitMentions(alice, 2)).filter((n) => n.data.roomSlug === aliceRoom);
  const [inHis] = (await mentions(alice)).filter((n) => n.data.roomSlug === bobRoom);
  const [bobs] = await waitMentions(bob, 1);

  const pub = await call(alice, 'PATCH', `/api/notifications/${inHers.id}`, { visibility: 'public' });
  assert.equal(pub.status, 200, pub.text);
  assert.equal(pub.json.visibility, 'public');
  // Not her room; not his room: 403, and the state in the same body is not applied.
  const other = await call(alice, 'PATCH', `/api/notifications/${inHis.id}`, { visibility: 'public', state: 'read' });
  assert.equal(other.status, 403, other.text);
  const notOwner = await call(bob, 'PATCH', `/api/notifications/${bobs.id}`, { visibility: 'public' });
  assert.equal(notOwner.status, 403);
  const after = (await mentions(alice)).find((n) => n.id === inHis.id);
  assert.equal(after.visibility, 'private');
  assert.equal(after.state, 'unread');
});

test('a new notification reaches the user\'s WebSocket and SSE streams of another room live', async () => {
  const alice = await newUser(relay, 'wa');
  const bob = await newUser(relay, 'wb');
  const busy = await newRoom(relay, alice);
  const elsewhere = await newRoom(relay, bob);
  const ws = await openWs(`${relay.wsUrl}/api/ws/rooms/${elsewhere}`, bob.token);
  await ws.next((f) => f.type === 'sync');
  const sse = await openSse(`${relay.url}/api/rooms/${elsewhere}/stream`, bob.token);
  const aliceWs = await openWs(`${relay.wsUrl}/api/ws/rooms/${elsewhere}`, alice.token);
  await aliceWs.next((f) => f.type === 'sync');
  try {
    const m = await post(alice, busy, `look @${bob.login}`);
    const f = await ws.next((x) => x.type === 'notification');
    const e = (await sse.next((x) => x.data?.type === 'notification')).data;
    for (const frame of [f, e]) {
      assert.equal(frame.notification.kind, 'mention');
      assert.equal(frame.notification.refId, m.id);
      assert.equal(frame.notification.data.roomSlug, busy);
      assert.equal(frame.notification.state, 'unread');
    }
    const [listed] = await mentions(bob);
    assert.equal(listed.id, f.notification.id);
    // Alice, on the same room, hears nothing of bob's notification.
    await post(bob, busy, 'a message to order after');
    await sleep(300);
    assert.ok(!aliceWs.frames.some((x) => x.type === 'notification'));
  } finally {
    sse.close();
    await ws.close();
    await aliceWs.close();
  }
});
