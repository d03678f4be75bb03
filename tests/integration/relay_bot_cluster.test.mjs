// The built-in AI bot in cluster mode (docs/agents.md, "The built-in AI bot"): three nodes
// on one Postgres and Redis, each running the bot against the local chat-completions
// stand-in. The owner binds relay-bot on node A, a member @mentions it on node B, and
// readers on nodes A and C see its streamed tokens, its reply and its end; a tool call
// the model makes runs as the bot and its reaction is seen on every node; a follow-up
// taken by another node still has the conversation's earlier turns.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startRelay, relayCli, api, uniq, openWs, makeDataDir, FAST_SEND_ARGS } from './harness.mjs';
import { PG, freshDatabase } from './postgres.mjs';
import { startChatCompletions } from './chat_completions_standin.mjs';

const REDIS = process.env.RELAY_TEST_REDIS_URL;
const skip = PG && REDIS ? false : 'RELAY_TEST_POSTGRES_URL and RELAY_TEST_REDIS_URL are not set (make test starts both)';

const nodes = [];
let standin;
// postgres.mjs drops the suite's databases in an `after` registered before this file's:
// the nodes stop (and are checked for leaks) inside the test, while their database lives.
after(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.kill9()));
  await standin?.close();
});

test('bound on A, mentioned on B, streamed to readers on A and C; a tool call runs', { skip }, async () => {
  standin = await startChatCompletions();
  const pg = await freshDatabase('bot');
  const opts = ['--redis-url', REDIS, '--postgres-url', pg];
  const ai = ['--ai-url', standin.url, '--ai-model', 'stand-in', '--ai-key', 'sk-test'];
  for (let i = 0; i < 3; i++) nodes.push(await startRelay({ args: [...FAST_SEND_ARGS, ...opts, ...ai] }));
  const [a, b, c] = nodes;
  const cli = (...args) => relayCli(makeDataDir(), ...opts, ...args);
  const user = async (prefix) => {
    const login = uniq(prefix);
    await cli('user', 'add', login);
    return { login, token: (await cli('token', 'create', login)).trim() };
  };
  const owner = await user('bo');
  const member = await user('bm');
  const slug = uniq('r').toLowerCase();
  assert.equal((await api(a.url, owner.token, 'POST', '/api/rooms', { slug, displayName: 'Bot room' })).status, 201);

  const login = uniq('relaybot').toLowerCase();
  // Every node's bot makes sure the agent exists when it starts; binding waits for it.
  let bound;
  for (let i = 0; i < 50; i++) {
    bound = await api(a.url, owner.token, 'POST', `/api/rooms/${slug}/bots`, { login, name: 'Relay bot', agentId: 'relay-bot' });
    if (bound.status !== 404) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(bound.status, 201, bound.text);

  const readers = [];
  for (const [node, who] of [[a, owner], [c, member]]) {
    const ws = await openWs(`${node.wsUrl}/api/ws/rooms/${slug}`, who.token);
    await ws.next((f) => f.type === 'sync');
    readers.push(ws);
  }
  const say = async (content, node = b) => {
    const r = await api(node.url, member.token, 'POST', `/api/rooms/${slug}/messages`, { content });
    assert.equal(r.status, 201, r.text);
    return r.json;
  };

  await say(`hi @${login}`);
  for (const ws of readers) {
    const t1 = await ws.next((f) => f.type === 'ai_token', 10000);
    const t2 = await ws.next((f) => f.type === 'ai_token');
    assert.deepEqual([t1.token, t2.token], ['Hello', ' there']);
    assert.equal(t1.bot.login, login);
    const msg = await ws.next((f) => f.type === 'message' && f.message.author.login === login, 10000);
    assert.equal(msg.message.content, 'Hello there');
    const done = await ws.next((f) => f.type === 'ai_reply', 10000);
    assert.equal(done.messageId, msg.message.id);
    assert.equal(done.error ?? null, null);
  }
  assert.equal(standin.requests.length, 1, 'one node answers the mention, once');
  assert.equal(standin.requests[0].auth, 'Bearer sk-test');

  // A follow-up taken by another node carries the conversation's earlier turns.
  await say(`@${login} and again`, a);
  for (const ws of readers) await ws.next((f) => f.type === 'ai_reply', 10000);
  assert.equal(standin.requests.length, 2);
  const followUp = standin.requests[1].body.messages.map((m) => [m.role, m.content]);
  assert.deepEqual(followUp.slice(1), [
    ['user', `@${member.login}: hi @${login}`], ['assistant', 'Hello there'],
    ['user', `@${member.login}: @${login} and again`]]);

  // A tool call: the model reacts to the mention as the bot; every node sees it.
  const mention = await say(`@${login} react to this please`);
  for (const ws of readers) {
    const r = await ws.next((f) => f.type === 'reaction_added' && f.messageId === mention.id, 10000);
    assert.equal(r.emoji, '👀');
    assert.equal(r.user.login, login);
    const msg = await ws.next((f) => f.type === 'message' && f.message.author.login === login
      && f.message.content === 'Reacted 👀', 10000);
    assert.ok(msg);
  }
  const toolTurn = standin.requests.at(-1).body.messages.at(-1);
  assert.equal(toolTurn.role, 'tool');
  assert.equal(JSON.parse(toolTurn.content).id, mention.id, toolTurn.content);
  for (const node of nodes) {
    const history = await api(node.url, owner.token, 'GET', `/api/rooms/${slug}/messages?limit=10`);
    const reacted = history.json.messages.find((m) => m.id === mention.id);
    assert.deepEqual(reacted.reactions, { '👀': [login] });
    assert.ok(history.json.messages.some((m) => m.author.login === login && m.content === 'Hello there'));
  }
  for (const ws of readers) await ws.close();
  for (const n of nodes.splice(0)) await n.stop();
});
