// Reactions (docs/api.md, "Reactions"): PUT and DELETE are idempotent and answer the
// message; a change reaches WebSocket and SSE readers of the channel as reaction_added /
// reaction_removed, and only them; the emoji rule and the 50-distinct limit refuse with
// 400 and 409 and change nothing; history and sync carry the reactions.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startRelay, api, uniq, openWs, openSse, newUser, newRoom } from './harness.mjs';

let relay;
before(async () => { relay = await startRelay(); });
after(async () => { await relay?.stop(); });

const user = (prefix = 'rx') => newUser(relay, prefix);

const call = (who, method, path, body) => api(relay.url, who?.token, method, path, body);

const room = (owner) => newRoom(relay, owner);

async function post(who, slug, content, channelId) {
  const r = await call(who, 'POST', `/api/rooms/${slug}/messages`, { content, channelId });
  assert.equal(r.status, 201, r.text);
  return r.json;
}

const reactPath = (slug, id, emoji) =>
  `/api/rooms/${slug}/messages/${id}/reactions/${encodeURIComponent(emoji)}`;
const react = (who, slug, id, emoji) => call(who, 'PUT', reactPath(slug, id, emoji));
const unreact = (who, slug, id, emoji) => call(who, 'DELETE', reactPath(slug, id, emoji));

async function sockets(who, slug) {
  const ws = await openWs(`${relay.wsUrl}/api/ws/rooms/${slug}`, who.token);
  await ws.next((f) => f.type === 'sync');
  const sse = await openSse(`${relay.url}/api/rooms/${slug}/stream`, who.token);
  return { ws, sse, close: async () => { sse.close(); await ws.close(); } };
}

const isReaction = (f) => f.type === 'reaction_added' || f.type === 'reaction_removed';

test('PUT and DELETE are idempotent, answer the message and broadcast only changes', async () => {
  const alice = await user('ra');
  const bob = await user('rb');
  const slug = await room(alice);
  const m = await post(alice, slug, 'react to me');
  assert.deepEqual(m.reactions, {});
  const s = await sockets(alice, slug);

  const first = await react(bob, slug, m.id, '👍');
  assert.equal(first.status, 200, first.text);
  assert.equal(first.json.id, m.id);
  assert.deepEqual(first.json.reactions, { '👍': [bob.login] });
  for (const f of [await s.ws.next(isReaction), (await s.sse.next((x) => isReaction(x.data ?? {}))).data]) {
    assert.equal(f.type, 'reaction_added');
    assert.equal(f.messageId, m.id);
    assert.equal(f.channelId, null);
    assert.equal(f.emoji, '👍');
    assert.equal(f.user.login, bob.login);
    assert.deepEqual(f.reactions, { '👍': [bob.login] });
  }

  // Again: the same answer, no event (the next event is the next change).
  const again = await react(bob, slug, m.id, '👍');
  assert.equal(again.status, 200);
  assert.deepEqual(again.json.reactions, { '👍': [bob.login] });
  const tada = await react(alice, slug, m.id, ':tada:');
  assert.deepEqual(tada.json.reactions, { '👍': [bob.login], ':tada:': [alice.login] });
  const both = await react(alice, slug, m.id, '👍');
  assert.deepEqual(both.json.reactions, { '👍': [bob.login, alice.login], ':tada:': [alice.login] });
  for (const next of [(p) => s.ws.next(p), async (p) => (await s.sse.next((x) => p(x.data ?? {}))).data]) {
    const a = await next(isReaction);
    assert.equal(a.emoji, ':tada:', 'a repeated PUT broadcast nothing');
    const b = await next(isReaction);
    assert.equal(b.emoji, '👍');
    assert.equal(b.user.login, alice.login);
  }

  const off = await unreact(bob, slug, m.id, '👍');
  assert.equal(off.status, 200);
  assert.deepEqual(off.json.reactions, { '👍': [alice.login], ':tada:': [alice.login] });
  const offAgain = await unreact(bob, slug, m.id, '👍');
  assert.equal(offAgain.status, 200);
  assert.deepEqual(offAgain.json.reactions, off.json.reactions);
  const never = await unreact(bob, slug, m.id, ':never:');
  assert.equal(never.status, 200);
  await unreact(alice, slug, m.id, ':tada:');
  for (const next of [(p) => s.ws.next(p), async (p) => (await s.sse.next((x) => p(x.data ?? {}))).data]) {
    const a = await next(isReaction);
    assert.equal(a.type, 'reaction_removed');
    assert.equal(a.user.login, bob.login);
    assert.equal(a.emoji, '👍');
    const b = await next(isReaction);
    assert.equal(b.type, 'reaction_removed');
    assert.equal(b.emoji, ':tada:', 'a repeated DELETE broadcast nothing');
    assert.deepEqual(b.reactions, { '👍': [alice.login] });
  }
  await s.close();
});

test('a bad emoji is 400, an unknown or deleted message 404, and nothing changes', async () => {
  const alice = await user('rv');
  const slug = await room(alice);
  const m = await post(alice, slug, 'target');
  const hostile = ['👍👍', 'a', 'ok', '1', ':', '::', `:${'a'.repeat(33)}:`, ':Tada:', ':TADA:',
    ':ta da:', '\u0001', '\n', '👍\u0000', ' 👍', '👍 ', '\u200d', '👍\u200d', '🇫', '🏽',
    ':tada', '<script>', '\u202e👍', '%F0%9F%91%8D'];
  for (const e of hostile) {
    for (const method of ['PUT', 'DELETE']) {
      const r = await call(alice, method, reactPath(slug, m.id, e));
      assert.equal(r.status, 400, `${method} ${JSON.stringify(e)} -> ${r.status} ${r.text}`);
      assert.equal(r.json.code, 'BAD_REQUEST');
    }
  }
  // Empty: the path ends in /reactions/.
  const empty = await call(alice, 'PUT', `/api/rooms/${slug}/messages/${m.id}/reactions/`);
  assert.ok(empty.status === 400 || empty.status === 404, `empty -> ${empty.status}`);
  // 32 is the longest short name; sequences are one emoji.
  for (const e of [`:${'a'.repeat(32)}:`, ':+1:', '👨‍👩‍👧‍👦', '🇫🇷', '1️⃣', '👍🏽', '❤️']) {
    const r = await react(alice, slug, m.id, e);
    assert.equal(r.status, 200, `${JSON.stringify(e)} -> ${r.text}`);
  }
  const list = await call(alice, 'GET', `/api/rooms/${slug}/messages`);
  const stored = list.json.messages.find((x) => x.id === m.id);
  assert.equal(Object.keys(stored.reactions).length, 7);

  assert.equal((await react(alice, slug, 'msg_nope', '👍')).status, 404);
  assert.equal((await unreact(alice, slug, 'msg_nope', '👍')).status, 404);
  const gone = await post(alice, slug, 'soon gone');
  assert.equal((await call(alice, 'DELETE', `/api/rooms/${slug}/messages/${gone.id}`)).status, 200);
  assert.equal((await react(alice, slug, gone.id, '👍')).status, 404);
  // A message of another room is not this room's.
  const other = await room(alice);
  assert.equal((await react(alice, other, m.id, '👍')).status, 404);
});

test('the 51st distinct emoji is 409; more people on an existing one are fine', async () => {
  const alice = await user('rl');
  const bob = await user('rm');
  const slug = await room(alice);
  const m = await post(alice, slug, 'popular');
  for (let i = 0; i < 50; i++) {
    const r = await react(alice, slug, m.id, `:e${i}:`);
    assert.equal(r.status, 200, r.text);
  }
  const s = await sockets(bob, slug);
  const over = await react(bob, slug, m.id, ':e50:');
  assert.equal(over.status, 409, over.text);
  assert.equal(over.json.code, 'CONFLICT');
  const same = await react(bob, slug, m.id, ':e0:');
  assert.equal(same.status, 200);
  assert.equal(Object.keys(same.json.reactions).length, 50);
  assert.deepEqual(same.json.reactions[':e0:'], [alice.login, bob.login]);
  const f = await s.ws.next(isReaction);
  assert.equal(f.emoji, ':e0:', 'the refused one broadcast nothing');
  await s.close();
});

test('outsiders of a private channel get 404 and see no reaction event', async () => {
  const owner = await user('ro');
  const member = await user('rp');
  const outsider = await user('rq');
  const slug = await room(owner);
  const ch = await call(owner, 'POST', `/api/rooms/${slug}/channels`,
    { name: 'secret', slug: uniq('c').toLowerCase(), visibility: 'private', inviteLogins: [member.login] });
  assert.equal(ch.status, 201, ch.text);
  const secret = await post(owner, slug, 'secret words', ch.json.id);
  const open = await post(owner, slug, 'open words');
  const o = await sockets(outsider, slug);
  const mem = await sockets(member, slug);

  assert.equal((await react(outsider, slug, secret.id, '👍')).status, 404);
  assert.equal((await unreact(outsider, slug, secret.id, '👍')).status, 404);
  assert.equal((await react(member, slug, secret.id, '🔒')).status, 200);
  const seen = await mem.ws.next(isReaction);
  assert.equal(seen.messageId, secret.id);
  assert.equal(seen.channelId, ch.json.id);
  // The outsider's next reaction event is the open one: the private one never came.
  assert.equal((await react(member, slug, open.id, '👀')).status, 200);
  const f = await o.ws.next(isReaction);
  assert.equal(f.messageId, open.id);
  const g = (await o.sse.next((x) => isReaction(x.data ?? {}))).data;
  assert.equal(g.messageId, open.id);
  assert.ok(!o.ws.frames.some((x) => x.emoji === '🔒'));
  assert.ok(!o.sse.events.some((x) => x.data?.emoji === '🔒'));
  // A stranger to a DM gets 404 too.
  const dm = await call(owner, 'POST', `/api/rooms/${slug}/dms`, { logins: [member.login] });
  assert.ok(dm.status === 200 || dm.status === 201, dm.text);
  const dmMsg = await post(owner, slug, 'dm words', dm.json.id);
  assert.equal((await react(outsider, slug, dmMsg.id, '👍')).status, 404);
  assert.equal((await react(member, slug, dmMsg.id, '👍')).status, 200);
  await o.close();
  await mem.close();
});

test('history pages and the sync of a new or resumed connection carry the reactions', async () => {
  const alice = await user('rh');
  const bob = await user('ri');
  const slug = await room(alice);
  const ms = [];
  for (let i = 0; i < 5; i++) ms.push(await post(alice, slug, `m${i}`));
  await react(bob, slug, ms[1].id, '👍');
  await react(alice, slug, ms[1].id, '👍');
  await react(alice, slug, ms[3].id, ':eyes:');

  // Two pages of two and the rest.
  const page1 = await call(bob, 'GET', `/api/rooms/${slug}/messages?limit=2`);
  const c = page1.json.next;
  const page2 = await call(bob, 'GET',
    `/api/rooms/${slug}/messages?limit=10&beforeCreatedAt=${encodeURIComponent(c.beforeCreatedAt)}&beforeId=${c.beforeId}`);
  const all = [...page1.json.messages, ...page2.json.messages];
  const by = Object.fromEntries(all.map((x) => [x.id, x.reactions]));
  assert.deepEqual(by[ms[1].id], { '👍': [bob.login, alice.login] });
  assert.deepEqual(by[ms[3].id], { ':eyes:': [alice.login] });
  assert.deepEqual(by[ms[0].id], {});

  const ws = await openWs(`${relay.wsUrl}/api/ws/rooms/${slug}`, bob.token);
  const sync = await ws.next((f) => f.type === 'sync');
  const synced = Object.fromEntries(sync.messages.map((x) => [x.id, x.reactions]));
  assert.deepEqual(synced[ms[1].id], { '👍': [bob.login, alice.login] });
  await ws.close();

  // Away: a reaction on a message it has seen; the resume's sync has it, and the history.
  await react(alice, slug, ms[0].id, ':wave:');
  await unreact(bob, slug, ms[1].id, '👍');
  const afterSeq = await call(bob, 'GET', `/api/rooms/${slug}/messages?channelId=__lobby&afterSeq=0`);
  const byAfter = Object.fromEntries(afterSeq.json.messages.map((x) => [x.id, x.reactions]));
  assert.deepEqual(byAfter[ms[0].id], { ':wave:': [alice.login] });
  assert.deepEqual(byAfter[ms[1].id], { '👍': [alice.login] });
  const back = await openWs(`${relay.wsUrl}/api/ws/rooms/${slug}`, bob.token, `resume=__lobby:${ms[0].seq - 1}`);
  const resumed = await back.next((f) => f.type === 'sync');
  const byResume = Object.fromEntries(resumed.messages.map((x) => [x.id, x.reactions]));
  assert.deepEqual(byResume[ms[0].id], { ':wave:': [alice.login] });
  assert.deepEqual(byResume[ms[1].id], { '👍': [alice.login] });
  await back.close();
});
