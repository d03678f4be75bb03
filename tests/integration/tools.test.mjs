// The API as tools (docs/api.md, "Tools and MCP"): every schema is valid JSON Schema with
// required fields and descriptions; every tool called once through POST /api/tools/call
// does what its REST route does (checked through REST); a tool call is refused exactly as
// its REST route is; arguments that do not fit the schema are a 400 naming the field and
// change nothing; an unknown tool is 404.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Ajv from 'ajv';
import { startRelay, api, uniq, newUser, newRoom } from './harness.mjs';

let relay;
before(async () => { relay = await startRelay(); });
after(async () => { await relay?.stop(); });

const user = (prefix = 'tl') => newUser(relay, prefix);
const call = (who, method, path, body) => api(relay.url, who?.token, method, path, body);
const tool = (who, name, args) => call(who, 'POST', '/api/tools/call', { name, arguments: args });

// Calls a tool that must succeed; answers the REST body it wraps.
async function ok(who, name, args, status = [200, 201]) {
  const r = await tool(who, name, args);
  assert.equal(r.status, 200, `${name}: ${r.text}`);
  assert.ok(status.includes(r.json.status), `${name}: ${r.text}`);
  return r.json.result;
}

async function eventually(probe, what) {
  for (let i = 0; i < 50; i++) {
    const v = await probe();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`timed out waiting for ${what}`);
}

test('GET /api/tools: OpenAI function schemas that ajv compiles in strict mode', async () => {
  assert.equal((await call(null, 'GET', '/api/tools')).status, 401);
  const alice = await user();
  const r = await call(alice, 'GET', '/api/tools');
  assert.equal(r.status, 200, r.text);
  assert.ok(Array.isArray(r.json) && r.json.length >= 15);
  const ajv = new Ajv({ strict: true, allErrors: true });
  const names = new Set();
  for (const t of r.json) {
    assert.equal(t.type, 'function');
    const { name, description, parameters } = t.function;
    assert.match(name, /^[a-z][a-z_]*$/);
    assert.ok(!names.has(name), `${name} twice`);
    names.add(name);
    assert.ok(description.length > 20, `${name} needs a description`);
    assert.equal(parameters.type, 'object');
    assert.equal(parameters.additionalProperties, false);
    assert.ok(Array.isArray(parameters.required), `${name}: required`);
    for (const req of parameters.required) assert.ok(parameters.properties[req], `${name}.${req}`);
    for (const [p, s] of Object.entries(parameters.properties)) {
      assert.ok(typeof s.type === 'string', `${name}.${p}: type`);
      assert.ok(s.description?.length > 5, `${name}.${p}: description`);
    }
    ajv.compile(parameters); // throws on an invalid or non-strict schema
  }
  for (const n of ['send_message', 'read_history', 'list_channels', 'list_members', 'add_reaction',
    'remove_reaction', 'create_thread', 'reply_in_thread', 'list_thread_replies', 'edit_message',
    'delete_message', 'list_notifications', 'open_dm']) assert.ok(names.has(n), n);
  const send = r.json.find((t) => t.function.name === 'send_message').function.parameters;
  assert.deepEqual([...send.required].sort(), ['content', 'room']);
  const v = ajv.compile(send);
  assert.equal(v({ room: 'lobby', content: 'hi' }), true);
  assert.equal(v({ room: 'lobby' }), false);
  assert.equal(v({ room: 'lobby', content: 'hi', extra: 1 }), false);
});

test('every tool, called once, does what its REST route does', async () => {
  const alice = await user('ta');
  const bob = await user('tb');
  const slug = await newRoom(relay, alice);
  const called = new Set();
  const run = async (who, name, args, status) => { called.add(name); return ok(who, name, args, status); };

  const room = await run(alice, 'get_room', { room: slug });
  assert.equal(room.slug, slug);

  const ch = await run(alice, 'create_channel', { room: slug, name: 'Ops', slug: uniq('ops').toLowerCase() });
  assert.equal(ch.visibility, 'public');
  const channels = await run(bob, 'list_channels', { room: slug });
  assert.ok(channels.channels.some((c) => c.id === ch.id));

  const sent = await run(alice, 'send_message', { room: slug, channelId: ch.id, content: 'hello from a tool' });
  assert.equal(sent.content, 'hello from a tool');
  const rest = await call(bob, 'GET', `/api/rooms/${slug}/messages?channelId=${ch.id}`);
  assert.ok(rest.json.messages.some((m) => m.id === sent.id && m.author.login === alice.login), rest.text);
  const wide = await run(bob, 'send_message', { room: slug, content: `room-wide, @${alice.login}`, clientMsgId: 'c1' });
  assert.equal(wide.channelId, null);
  assert.equal((await tool(bob, 'send_message', { room: slug, content: 'again', clientMsgId: 'c1' })).json.status, 200,
    'the same clientMsgId posts nothing new');

  const hist = await run(bob, 'read_history', { room: slug, channelId: ch.id, limit: 5 });
  assert.deepEqual(hist.messages.map((m) => m.id), [sent.id]);
  const all = await run(bob, 'read_history', { room: slug, limit: 1 });
  assert.equal(all.messages.length, 1);
  const older = await run(bob, 'read_history', { room: slug, limit: 1, ...all.next });
  assert.notEqual(older.messages[0].id, all.messages[0].id);

  const members = await run(alice, 'list_members', { room: slug });
  assert.ok(members.members.some((m) => m.login === bob.login));

  assert.equal((await call(bob, 'POST', `/api/rooms/${slug}/presence`)).status, 200);
  const online = await run(alice, 'list_online', { room: slug });
  assert.ok(online.users.some((u) => u.login === bob.login), JSON.stringify(online));

  const edited = await run(alice, 'edit_message', { room: slug, messageId: sent.id, content: 'edited by a tool' });
  assert.equal(edited.content, 'edited by a tool');

  await run(bob, 'add_reaction', { room: slug, messageId: sent.id, emoji: '👍' });
  let msg = (await call(alice, 'GET', `/api/rooms/${slug}/messages?channelId=${ch.id}`)).json.messages[0];
  assert.deepEqual(msg.reactions, { '👍': [bob.login] });
  await run(bob, 'remove_reaction', { room: slug, messageId: sent.id, emoji: '👍' });
  msg = (await call(alice, 'GET', `/api/rooms/${slug}/messages?channelId=${ch.id}`)).json.messages[0];
  assert.deepEqual(msg.reactions, {});

  const created = await run(bob, 'create_thread', { room: slug, messageId: sent.id });
  assert.match(created.threadId, /^thr_/);
  const reply = await run(alice, 'reply_in_thread', { room: slug, messageId: sent.id, content: 'a reply' });
  assert.equal(reply.threadId, created.threadId);
  const other = await call(bob, 'POST', `/api/rooms/${slug}/messages`, { content: 'no thread yet', channelId: ch.id });
  const second = await run(bob, 'reply_in_thread', { room: slug, messageId: other.json.id, content: 'opens it' });
  assert.match(second.threadId, /^thr_/);
  assert.notEqual(second.threadId, created.threadId);
  const replies = await run(bob, 'list_thread_replies', { threadId: created.threadId, limit: 10 });
  assert.deepEqual(replies.replies.map((r) => r.content), ['a reply']);
  const restReplies = await call(bob, 'GET', `/api/threads/${second.threadId}/replies`);
  assert.deepEqual(restReplies.json.replies.map((r) => r.content), ['opens it']);

  const dm = await run(alice, 'open_dm', { room: slug, logins: [bob.login] });
  assert.equal(dm.visibility, 'dm');
  await run(alice, 'send_message', { room: slug, channelId: dm.id, content: 'psst' });
  const dmHist = await call(bob, 'GET', `/api/rooms/${slug}/messages?channelId=${dm.id}`);
  assert.deepEqual(dmHist.json.messages.map((m) => m.content), ['psst']);

  const mention = await eventually(async () => {
    const page = await run(alice, 'list_notifications', { state: 'unread', limit: 50 });
    return page.notifications.find((n) => n.kind === 'mention' && n.roomId === room.id);
  }, 'the mention');
  const updated = await run(alice, 'update_notification', { notificationId: mention.id, state: 'read' });
  assert.equal(updated.state, 'read');
  const readList = await call(alice, 'GET', '/api/notifications?state=read');
  assert.ok(readList.json.notifications.some((n) => n.id === mention.id));

  await run(alice, 'delete_message', { room: slug, messageId: sent.id });
  const after = await call(bob, 'GET', `/api/rooms/${slug}/messages?channelId=${ch.id}`);
  assert.ok(!after.json.messages.some((m) => m.id === sent.id));

  const board = await run(bob, 'get_board', { room: slug });
  assert.deepEqual(board.columns.map((c) => c.name), ['Todo', 'Doing', 'Done']);
  const card = await run(bob, 'create_card', { boardId: board.id, title: 'ship it', body: 'by Friday' });
  assert.equal(card.columnId, board.columns[0].id);
  const moved = await run(bob, 'move_card', { cardId: card.id, columnId: board.columns[2].id, position: 0 });
  assert.equal(moved.columnId, board.columns[2].id);
  const restBoard = await call(alice, 'GET', `/api/boards/${board.id}`);
  assert.deepEqual(restBoard.json.columns[2].cards.map((c) => c.title), ['ship it']);
  const byOwner = await tool(alice, 'move_card', { cardId: card.id, columnId: board.columns[0].id, position: 0 });
  assert.equal(byOwner.json.status, 200, `the room owner may move any card: ${byOwner.text}`);

  const found = await run(bob, 'search_messages', { q: `opens in:${slug}` });
  assert.deepEqual(found.results.map((r) => r.message.content), ['opens it']);
  assert.match(found.results[0].snippet, /<mark>opens<\/mark>/);

  const listed = (await call(alice, 'GET', '/api/tools')).json.map((t) => t.function.name);
  assert.deepEqual(listed.filter((n) => !called.has(n)), [], 'every tool was called');
});

test('a tool call is refused exactly as its REST route: private channels, owner-only, authors', async () => {
  const owner = await user('to');
  const member = await user('tm');
  const outsider = await user('tx');
  const slug = await newRoom(relay, owner);
  const ch = await call(owner, 'POST', `/api/rooms/${slug}/channels`,
    { name: 'secret', slug: uniq('s').toLowerCase(), visibility: 'private', inviteLogins: [member.login] });
  assert.equal(ch.status, 201, ch.text);
  const secret = await call(owner, 'POST', `/api/rooms/${slug}/messages`, { content: 'secret words', channelId: ch.json.id });

  const viaRest = await call(outsider, 'GET', `/api/rooms/${slug}/messages?channelId=${ch.json.id}`);
  const viaTool = await tool(outsider, 'read_history', { room: slug, channelId: ch.json.id });
  assert.ok(viaRest.status >= 400, viaRest.text);
  assert.equal(viaTool.status, viaRest.status, viaTool.text);
  assert.deepEqual(viaTool.json, viaRest.json);
  assert.ok(!viaTool.text.includes('secret words'));
  // Every channel: the outsider's history leaves the private one out.
  const mixed = await ok(outsider, 'read_history', { room: slug });
  assert.ok(!mixed.messages.some((m) => m.id === secret.json.id));
  assert.equal((await ok(member, 'read_history', { room: slug, channelId: ch.json.id })).messages[0].id, secret.json.id);

  const post = await tool(outsider, 'send_message', { room: slug, channelId: ch.json.id, content: 'let me in' });
  const postRest = await call(outsider, 'POST', `/api/rooms/${slug}/messages`, { content: 'let me in', channelId: ch.json.id });
  assert.equal(post.status, postRest.status);
  assert.ok(post.status >= 400);
  for (const r of [await tool(outsider, 'add_reaction', { room: slug, messageId: secret.json.id, emoji: '👍' }),
    await tool(outsider, 'reply_in_thread', { room: slug, messageId: secret.json.id, content: 'x' })])
    assert.equal(r.status, 404, r.text);
  assert.equal((await tool(member, 'edit_message', { room: slug, messageId: secret.json.id, content: 'mine now' })).status,
    (await call(member, 'PATCH', `/api/rooms/${slug}/messages/${secret.json.id}`, { content: 'mine now' })).status);
  const made = await tool(member, 'create_channel', { room: slug, name: 'x', slug: 'xx' });
  assert.equal(made.status, 403, made.text);
  assert.equal((await ok(member, 'read_history', { room: slug, channelId: ch.json.id })).messages[0].content, 'secret words');

  const gated = await newRoom(relay, owner);
  assert.equal((await call(owner, 'PUT', `/api/rooms/${gated}/whitelist-mode`, { enabled: true })).status, 200);
  const g = await tool(outsider, 'list_channels', { room: gated });
  assert.equal(g.status, (await call(outsider, 'GET', `/api/rooms/${gated}/channels`)).status);
  assert.equal(g.status, 403);
  assert.equal((await tool(outsider, 'get_room', { room: 'no-such-room' })).status, 404);

  assert.equal((await call(null, 'POST', '/api/tools/call', { name: 'list_channels', arguments: { room: slug } })).status, 401);
});

test('arguments that do not fit the schema: 400 naming the field, nothing changes; unknown tool 404', async () => {
  const alice = await user('tv');
  const slug = await newRoom(relay, alice);
  const cases = [
    [{ room: slug }, 'arguments.content: required'],
    [{ room: slug, content: 'hi', colour: 'red' }, 'arguments.colour'],
    [{ room: slug, content: 42 }, 'arguments.content'],
    [{ room: '', content: 'hi' }, 'arguments.room'],
    [{ room: slug, content: 'hi', channelId: null }, 'arguments.channelId'],
  ];
  for (const [args, field] of cases) {
    const r = await tool(alice, 'send_message', args);
    assert.equal(r.status, 400, r.text);
    assert.equal(r.json.code, 'BAD_REQUEST');
    assert.ok(r.json.error.includes(field), `${r.json.error} should name ${field}`);
  }
  for (const [name, args, field] of [
    ['read_history', { room: slug, limit: 0 }, 'arguments.limit'],
    ['read_history', { room: slug, limit: 'ten' }, 'arguments.limit'],
    ['open_dm', { room: slug, logins: 'bob' }, 'arguments.logins'],
    ['list_notifications', { state: 'gone' }, 'arguments.state'],
    ['list_notifications', { saved: 'yes' }, 'arguments.saved'],
    ['list_channels', [slug], 'arguments'],
  ]) {
    const r = await tool(alice, name, args);
    assert.equal(r.status, 400, `${name}: ${r.text}`);
    assert.ok(r.json.error.startsWith(field), `${r.json.error} should name ${field}`);
  }
  const h = await call(alice, 'GET', `/api/rooms/${slug}/messages`);
  assert.deepEqual(h.json.messages, [], 'nothing was posted');

  const unknown = await tool(alice, 'launch_rockets', {});
  assert.equal(unknown.status, 404);
  assert.equal(unknown.json.code, 'NOT_FOUND');
  assert.equal((await call(alice, 'POST', '/api/tools/call', { arguments: {} })).status, 400);
  assert.equal((await call(alice, 'POST', '/api/tools/call', 'not json')).status, 400);
  // No arguments at all is fine for a tool without required ones.
  assert.equal((await call(alice, 'POST', '/api/tools/call', { name: 'list_notifications' })).status, 200);
});
