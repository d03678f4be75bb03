// The built-in AI bot (docs/agents.md, "The built-in AI bot") against a faithful local
// stand-in for an OpenAI-compatible chat-completions server (no model server is reachable
// here): a room binds relay-bot, a mention streams the model's tokens into the room as
// ai_token frames and lands as the bot's message; a tool call the model makes runs as the
// bot through the tools API; the thread's earlier turns go back to the model; a failing
// model ends with ai_reply carrying the agent error code.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startRelay, api, uniq, openWs, newUser } from './harness.mjs';
import { startChatCompletions } from './chat_completions_standin.mjs';

let relay;
let standin;
let requests;
before(async () => {
  standin = await startChatCompletions();
  requests = standin.requests;
  relay = await startRelay({ args: ['--ai-url', standin.url, '--ai-model', 'stand-in', '--ai-key', 'sk-test'] });
});
after(async () => { await relay?.stop(); await standin?.close(); });

async function setup() {
  const owner = await newUser(relay, 'bo');
  const slug = uniq('r').toLowerCase();
  assert.equal((await api(relay.url, owner.token, 'POST', '/api/rooms', { slug, displayName: 'Bot room' })).status, 201);
  const login = uniq('relaybot').toLowerCase();
  // The bot creates its agent when it starts; binding waits for it.
  let bound;
  for (let i = 0; i < 50; i++) {
    bound = await api(relay.url, owner.token, 'POST', `/api/rooms/${slug}/bots`, { login, name: 'Relay bot', agentId: 'relay-bot' });
    if (bound.status !== 404) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(bound.status, 201, bound.text);
  const ws = await openWs(`${relay.wsUrl}/api/ws/rooms/${slug}`, owner.token);
  await ws.next((f) => f.type === 'sync');
  return { owner, slug, login, ws };
}

const say = async (s, content) => {
  const r = await api(relay.url, s.owner.token, 'POST', `/api/rooms/${s.slug}/messages`, { content });
  assert.equal(r.status, 201, r.text);
  return r.json;
};

test('a mention streams the model\'s tokens into the room and lands as the bot\'s message', async () => {
  const s = await setup();
  const before = requests.length;
  await say(s, `hi @${s.login}`);
  const t1 = await s.ws.next((f) => f.type === 'ai_token');
  const t2 = await s.ws.next((f) => f.type === 'ai_token');
  assert.deepEqual([t1.token, t2.token], ['Hello', ' there']);
  assert.equal(t1.bot.login, s.login);
  const msg = await s.ws.next((f) => f.type === 'message' && f.message.author.login === s.login);
  assert.equal(msg.message.content, 'Hello there');
  const done = await s.ws.next((f) => f.type === 'ai_reply');
  assert.equal(done.messageId, msg.message.id);

  const sent = requests[before];
  assert.equal(sent.auth, 'Bearer sk-test');
  assert.equal(sent.body.model, 'stand-in');
  assert.equal(sent.body.stream, true);
  assert.ok(sent.body.tools.some((t) => t.function.name === 'send_message'));
  assert.equal(sent.body.messages.at(-1).content, `@${s.owner.login}: hi @${s.login}`);

  // A follow-up in the same channel carries the earlier turns.
  await say(s, `@${s.login} and again`);
  await s.ws.next((f) => f.type === 'ai_reply');
  const followUp = requests.at(-1).body.messages.map((m) => [m.role, m.content]);
  assert.deepEqual(followUp.slice(1), [
    ['user', `@${s.owner.login}: hi @${s.login}`], ['assistant', 'Hello there'],
    ['user', `@${s.owner.login}: @${s.login} and again`]]);
  await s.ws.close();
});

test('a tool call the model makes runs as the bot, and the model answers from its result', async () => {
  const s = await setup();
  const mention = await say(s, `@${s.login} react to this please`);
  const msg = await s.ws.next((f) => f.type === 'message' && f.message.author.login === s.login, 10000);
  assert.equal(msg.message.content, 'Reacted 👀');
  const toolTurn = requests.at(-1).body.messages.at(-1);
  assert.equal(toolTurn.role, 'tool');
  assert.ok(!toolTurn.content.startsWith('error'), toolTurn.content);
  assert.equal(toolTurn.tool_call_id, 'call_1');
  assert.equal(JSON.parse(toolTurn.content).id, mention.id, toolTurn.content);
  const history = await api(relay.url, s.owner.token, 'GET', `/api/rooms/${s.slug}/messages?limit=5`);
  const reacted = history.json.messages.find((m) => m.id === mention.id);
  assert.deepEqual(reacted.reactions, { '👀': [s.login] }, 'the reaction is the bot\'s');
  await s.ws.close();
});

test('a failing model ends with ai_reply carrying the error code; nothing is posted', async () => {
  const s = await setup();
  await say(s, `@${s.login} explode`);
  const done = await s.ws.next((f) => f.type === 'ai_reply');
  assert.equal(done.error.code, 'MODEL_UNAVAILABLE');
  assert.match(done.error.error, /model exploded/);
  const history = await api(relay.url, s.owner.token, 'GET', `/api/rooms/${s.slug}/messages?limit=5`);
  assert.ok(!history.json.messages.some((m) => m.author.login === s.login));
  await s.ws.close();
});
