// Agents in chat rooms (docs/agents.md, "Agents in chat rooms"): a bot bound to an agent
// turns @mentions into agent relay events; its tokens stream into the room as ai_token
// frames and its reply lands as a stored message from the bot.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startRelay, relayCli, createUser, api, uniq, openWs } from './harness.mjs';

let relay;
before(async () => { relay = await startRelay({ args: ['--agent-timeout-seconds', '3', '--agent-idle-seconds', '2'] }); });
after(async () => { await relay?.stop(); });

function agentSocket(token) {
  const ws = new WebSocket(`${relay.wsUrl}/v1/ws/agent`, { headers: { Authorization: `Bearer ${token}` } });
  const events = [];
  const waiters = [];
  ws.on('message', (d) => {
    const f = JSON.parse(d.toString());
    if (f.type !== 'event') return;
    events.push(f);
    for (const w of waiters.splice(0)) w(f);
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({
      ws, events,
      nextEvent: () => (events.length ? Promise.resolve(events.shift()) : new Promise((r) => waiters.push((f) => { events.shift(); r(f); }))),
      send: (o) => ws.send(JSON.stringify(o)),
    }));
    ws.once('error', reject);
  });
}

async function setup(agentPrefix = 'ag') {
  const agentId = uniq(agentPrefix);
  const agentToken = (await relayCli(relay.dataDir, 'agent', 'add', agentId, '--name', 'Helper')).trim();
  const ownerLogin = uniq('own');
  const owner = await createUser(relay.dataDir, ownerLogin);
  const slug = uniq('room').toLowerCase();
  assert.equal((await api(relay.url, owner, 'POST', '/api/rooms', { slug, displayName: 'Bots' })).status, 201);
  const botLogin = uniq('bot');
  const bot = await api(relay.url, owner, 'POST', `/api/rooms/${slug}/bots`, { login: botLogin, name: 'Helper', agentId });
  assert.equal(bot.status, 201, bot.text);
  return { agentId, agentToken, owner, slug, botLogin, bot: bot.json };
}

test('an @mention becomes an event; tokens stream live; the reply is a stored bot message', async () => {
  const s = await setup();
  assert.equal(s.bot.agentId, s.agentId);
  const agent = await agentSocket(s.agentToken);
  const reader = await createUser(relay.dataDir, uniq('rd'));
  const ws = await openWs(`${relay.wsUrl}/api/ws/rooms/${s.slug}`, reader);
  await ws.next((f) => f.type === 'sync');
  const posted = await api(relay.url, s.owner, 'POST', `/api/rooms/${s.slug}/messages`,
    { content: `hey @${s.botLogin.toUpperCase()}, what is 2+2?`, channelId: null });
  assert.equal(posted.status, 201);

  const ev = await agent.nextEvent();
  assert.equal(ev.app_id, `room:${s.slug}`);
  assert.equal(ev.thread_id, '__lobby');
  assert.equal(ev.session_key, `relay:${s.agentId}:room:${s.slug}:__lobby`);
  assert.equal(ev.payload.event, 'comment.mention');
  assert.equal(ev.payload.message_id, posted.json.id);
  assert.equal(ev.payload.message.content, posted.json.content);
  assert.equal(ev.payload.room.slug, s.slug);
  assert.equal(ev.payload.channel, null);
  assert.ok(ev.payload.author.login);

  const typing = await ws.next((f) => f.type === 'typing' && f.user?.login === s.botLogin);
  assert.equal(typing.channelId, null);
  agent.send({ type: 'token', event_id: ev.event_id, token: 'It is ' });
  agent.send({ type: 'token', event_id: ev.event_id, token: 'four.' });
  const t1 = await ws.next((f) => f.type === 'ai_token');
  const t2 = await ws.next((f) => f.type === 'ai_token');
  assert.deepEqual([t1.token, t2.token, t1.seq, t2.seq], ['It is ', 'four.', 1, 2]);
  assert.equal(t1.eventId, ev.event_id);
  assert.equal(t1.bot.login, s.botLogin);
  agent.send({ type: 'reply', event_id: ev.event_id, content: 'It is four.', done: true });
  const msg = await ws.next((f) => f.type === 'message' && f.message.author.login === s.botLogin);
  assert.equal(msg.message.content, 'It is four.');
  const doneFrame = await ws.next((f) => f.type === 'ai_reply');
  assert.equal(doneFrame.messageId, msg.message.id);
  assert.equal(doneFrame.error, undefined);

  const history = await api(relay.url, reader, 'GET', `/api/rooms/${s.slug}/messages?limit=5`);
  assert.ok(history.json.messages.some((m) => m.id === msg.message.id && m.author.login === s.botLogin),
    'the reply is stored');
  assert.ok(!JSON.stringify(history.json).includes('ai_token'), 'tokens are never stored');
  // The bot's own reply mentions nobody new and never triggers itself.
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(agent.events.length, 0);
  agent.ws.close(); await ws.close();
});

test('a reply over 4000 characters is posted as one message cut to 4000, ending in …; an empty one as …', async () => {
  const s = await setup();
  const agent = await agentSocket(s.agentToken);
  const ws = await openWs(`${relay.wsUrl}/api/ws/rooms/${s.slug}`, s.owner);
  await ws.next((f) => f.type === 'sync');
  const ask = async (content) => {
    await api(relay.url, s.owner, 'POST', `/api/rooms/${s.slug}/messages`, { content: `@${s.botLogin} ${content}`, channelId: null });
    const ev = await agent.nextEvent();
    return ev;
  };
  // 5000 code points, astral ones at the cut so a cut by bytes or UTF-16 units would show.
  const long = 'a'.repeat(3998) + '😀'.repeat(1002);
  let ev = await ask('write a lot');
  agent.send({ type: 'reply', event_id: ev.event_id, content: long, done: true });
  const done = await ws.next((f) => f.type === 'ai_reply' && f.eventId === ev.event_id);
  assert.equal(done.error, undefined, JSON.stringify(done));
  const stored = await api(relay.url, s.owner, 'GET', `/api/rooms/${s.slug}/messages?limit=5`);
  const msg = stored.json.messages.find((m) => m.id === done.messageId);
  assert.ok(msg, 'the reply is one stored message');
  assert.equal([...msg.content].length, 4000);
  assert.equal(msg.content, `${'a'.repeat(3998)}😀…`);
  assert.equal(stored.json.messages.filter((m) => m.author.login === s.botLogin).length, 1, 'one message, not several');

  // Exactly 4000 is kept whole.
  ev = await ask('exactly the limit');
  const exact = 'b'.repeat(3999) + '😀';
  agent.send({ type: 'reply', event_id: ev.event_id, content: exact, done: true });
  const done2 = await ws.next((f) => f.type === 'ai_reply' && f.eventId === ev.event_id);
  const msg2 = (await api(relay.url, s.owner, 'GET', `/api/rooms/${s.slug}/messages?limit=5`)).json.messages.find((m) => m.id === done2.messageId);
  assert.equal(msg2.content, exact);

  ev = await ask('say nothing');
  agent.send({ type: 'reply', event_id: ev.event_id, content: '', done: true });
  const done3 = await ws.next((f) => f.type === 'ai_reply' && f.eventId === ev.event_id);
  const msg3 = (await api(relay.url, s.owner, 'GET', `/api/rooms/${s.slug}/messages?limit=5`)).json.messages.find((m) => m.id === done3.messageId);
  assert.equal(msg3.content, '…');
  agent.ws.close(); await ws.close();
});

test('an @mention in a thread reply is answered in the thread: one session per thread, tokens streamed, the reply a thread reply', async () => {
  const s = await setup();
  const agent = await agentSocket(s.agentToken);
  const reader = await createUser(relay.dataDir, uniq('rd'));
  const ws = await openWs(`${relay.wsUrl}/api/ws/rooms/${s.slug}`, reader);
  await ws.next((f) => f.type === 'sync');
  const root = await api(relay.url, s.owner, 'POST', `/api/rooms/${s.slug}/messages`, { content: 'a root', channelId: null });
  assert.equal(root.status, 201, root.text);
  const thread = await api(relay.url, s.owner, 'POST', `/api/rooms/${s.slug}/messages/${root.json.id}/thread`);
  const threadId = thread.json.threadId;
  const asked = await api(relay.url, s.owner, 'POST', `/api/threads/${threadId}/replies`,
    { content: `@${s.botLogin} summarise this thread`, clientMsgId: uniq('c') });
  assert.equal(asked.status, 201, asked.text);

  const ev = await agent.nextEvent();
  assert.equal(ev.app_id, `room:${s.slug}`);
  assert.equal(ev.thread_id, threadId, 'the session is the thread');
  assert.equal(ev.session_key, `relay:${s.agentId}:room:${s.slug}:${threadId}`);
  assert.equal(ev.payload.event, 'comment.mention');
  assert.equal(ev.payload.message_id, asked.json.id);
  assert.equal(ev.payload.message.threadId, threadId);
  assert.equal(ev.payload.channel, null);

  agent.send({ type: 'token', event_id: ev.event_id, token: 'In short: ' });
  const tk = await ws.next((f) => f.type === 'ai_token' && f.eventId === ev.event_id);
  assert.equal(tk.token, 'In short: ');
  assert.equal(tk.threadId, threadId);
  assert.equal(tk.channelId, null);
  agent.send({ type: 'reply', event_id: ev.event_id, content: 'In short: a root.', done: true });
  const done = await ws.next((f) => f.type === 'ai_reply' && f.eventId === ev.event_id);
  assert.equal(done.error, undefined, JSON.stringify(done));
  assert.equal(done.threadId, threadId);
  const updated = await ws.next((f) => f.type === 'thread_updated' && f.replyCount === 2);
  assert.equal(updated.rootId, root.json.id);

  const page = await api(relay.url, reader, 'GET', `/api/threads/${threadId}/replies`);
  assert.equal(page.status, 200, page.text);
  assert.deepEqual(page.json.replies.map((r) => [r.author.login, r.content]).slice(-1), [[s.botLogin, 'In short: a root.']]);
  assert.equal(page.json.replies.at(-1).id, done.messageId);
  // Not a channel message.
  assert.ok(!ws.frames.some((f) => f.type === 'message' && f.message.author.login === s.botLogin));
  const history = await api(relay.url, reader, 'GET', `/api/rooms/${s.slug}/messages?limit=10`);
  assert.ok(!history.json.messages.some((m) => m.author.login === s.botLogin), 'the answer is not in the channel');
  // The bot's own reply does not trigger it again.
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(agent.events.length, 0);
  agent.ws.close(); await ws.close();
});

test('a mention while the agent is offline ends with ai_reply carrying AGENT_OFFLINE; nothing is posted', async () => {
  const s = await setup();
  const ws = await openWs(`${relay.wsUrl}/api/ws/rooms/${s.slug}`, s.owner);
  await ws.next((f) => f.type === 'sync');
  await api(relay.url, s.owner, 'POST', `/api/rooms/${s.slug}/messages`, { content: `@${s.botLogin} hello?`, channelId: null });
  const done = await ws.next((f) => f.type === 'ai_reply');
  assert.equal(done.error.code, 'AGENT_OFFLINE');
  assert.equal(done.messageId, undefined);
  await new Promise((r) => setTimeout(r, 200));
  assert.ok(!ws.frames.some((f) => f.type === 'message' && f.message.author.login === s.botLogin));
  await ws.close();
});

test('an agent that stalls times out: ai_reply with AGENT_TIMEOUT clears the indicator', async () => {
  const s = await setup();
  const agent = await agentSocket(s.agentToken);
  const ws = await openWs(`${relay.wsUrl}/api/ws/rooms/${s.slug}`, s.owner);
  await ws.next((f) => f.type === 'sync');
  await api(relay.url, s.owner, 'POST', `/api/rooms/${s.slug}/messages`, { content: `@${s.botLogin} think hard`, channelId: null });
  await agent.nextEvent();
  const done = await ws.next((f) => f.type === 'ai_reply', 6000);
  assert.equal(done.error.code, 'AGENT_TIMEOUT');
  agent.ws.close(); await ws.close();
});

test('mentions in a private channel stay in it; words that merely contain the login do not trigger', async () => {
  const s = await setup();
  const agent = await agentSocket(s.agentToken);
  const outsider = await createUser(relay.dataDir, uniq('out'));
  const ch = await api(relay.url, s.owner, 'POST', `/api/rooms/${s.slug}/channels`,
    { name: 'Private', slug: uniq('p').toLowerCase(), visibility: 'private' });
  assert.equal(ch.status, 201);
  const outWs = await openWs(`${relay.wsUrl}/api/ws/rooms/${s.slug}`, outsider);
  await outWs.next((f) => f.type === 'sync');
  await api(relay.url, s.owner, 'POST', `/api/rooms/${s.slug}/messages`, { content: `email@${s.botLogin}x.com`, channelId: null });
  await api(relay.url, s.owner, 'POST', `/api/rooms/${s.slug}/messages`, { content: `@${s.botLogin} private q`, channelId: ch.json.id });
  const ev = await agent.nextEvent();
  assert.equal(ev.thread_id, ch.json.id, 'only the real mention became an event');
  agent.send({ type: 'token', event_id: ev.event_id, token: 'secret-token' });
  agent.send({ type: 'reply', event_id: ev.event_id, content: 'secret answer', done: true });
  const ownerWs = await openWs(`${relay.wsUrl}/api/ws/rooms/${s.slug}`, s.owner);
  await ownerWs.next((f) => f.type === 'sync' && f.messages.some((m) => m.content === 'secret answer'), 5000)
    .catch(async () => { await ownerWs.next((f) => f.type === 'message' && f.message.content === 'secret answer'); });
  await new Promise((r) => setTimeout(r, 200));
  const seen = JSON.stringify(outWs.frames);
  assert.ok(!seen.includes('secret'), 'no ai_token, reply or ai_reply of a private channel reaches an outsider');
  assert.equal(agent.events.length, 0);
  agent.ws.close(); await outWs.close(); await ownerWs.close();
});

test('bots: owner only, unknown agents 404, taken logins 409, listed for members', async () => {
  const s = await setup();
  const other = await createUser(relay.dataDir, uniq('ot'));
  assert.equal((await api(relay.url, other, 'POST', `/api/rooms/${s.slug}/bots`, { login: uniq('b'), agentId: s.agentId })).status, 403);
  assert.equal((await api(relay.url, s.owner, 'POST', `/api/rooms/${s.slug}/bots`, { login: uniq('b'), agentId: 'nope-agent' })).status, 404);
  assert.equal((await api(relay.url, s.owner, 'POST', `/api/rooms/${s.slug}/bots`, { login: s.botLogin })).status, 409);
  assert.equal((await api(relay.url, s.owner, 'POST', `/api/rooms/lobby/bots`, { login: uniq('b') })).status, 403);
  const list = await api(relay.url, other, 'GET', `/api/rooms/${s.slug}/bots`);
  assert.deepEqual(list.json.bots.map((b) => b.login), [s.botLogin]);
});

test('a message starting with a registered bot prefix is shown as that bot\'s reply', async () => {
  const s = await setup();
  const login = uniq('wx');
  const bot = await api(relay.url, s.owner, 'POST', `/api/rooms/${s.slug}/bots`, { login, prefix: 'wx:' });
  assert.equal(bot.status, 201, bot.text);
  const reader = await createUser(relay.dataDir, uniq('rd'));
  const ws = await openWs(`${relay.wsUrl}/api/ws/rooms/${s.slug}`, reader);
  await ws.next((f) => f.type === 'sync');
  const post = (content) => api(relay.url, s.owner, 'POST', `/api/rooms/${s.slug}/messages`, { content, channelId: null });
  const tagged = await post('wx: sunny, 21°C');
  assert.equal(tagged.status, 201, tagged.text);
  assert.equal(tagged.json.bot, login);
  const live = await ws.next((f) => f.type === 'message' && f.message.id === tagged.json.id);
  assert.equal(live.message.bot, login);
  // The built-in prefix keeps its tag; anything else is a person's message.
  assert.equal((await post('yeeyee: yee!')).json.bot, 'yee');
  assert.equal((await post('wx sunny (no colon)')).json.bot, null);
  await ws.close();
});
