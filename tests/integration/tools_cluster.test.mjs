// The API as tools in cluster mode (docs/api.md, "Tools and MCP"): three nodes on one
// Postgres and Redis. A tool call is its REST request on the node that takes it, so what
// one node's tool call does, another node's tool call, MCP call and REST request see, and
// a private channel stays closed to an outsider on every node.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startRelay, relayCli, api, uniq, makeDataDir, FAST_SEND_ARGS } from './harness.mjs';
import { PG, freshDatabase } from './postgres.mjs';

const REDIS = process.env.RELAY_TEST_REDIS_URL;
const skip = PG && REDIS ? false : 'RELAY_TEST_POSTGRES_URL and RELAY_TEST_REDIS_URL are not set (make test starts both)';

const nodes = [];
// postgres.mjs drops the suite's databases in an `after` registered before this file's:
// the nodes stop (and are checked for leaks) inside the test, while their database lives.
after(async () => { await Promise.all(nodes.splice(0).map((n) => n.kill9())); });

const tool = (node, token, name, args) => api(node.url, token, 'POST', '/api/tools/call', { name, arguments: args });

async function until(what, probe) {
  for (let i = 0; i < 100; i++) {
    const v = await probe();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`timed out waiting for ${what}`);
}

test('a tool call on one node is seen by tools, MCP and REST on the others; access holds on each', { skip }, async () => {
  const pg = await freshDatabase('tools');
  const opts = ['--redis-url', REDIS, '--postgres-url', pg];
  for (let i = 0; i < 3; i++) nodes.push(await startRelay({ args: [...FAST_SEND_ARGS, ...opts] }));
  const [a, b, c] = nodes;
  const cli = (...args) => relayCli(makeDataDir(), ...opts, ...args);
  const user = async (prefix) => {
    const login = uniq(prefix);
    await cli('user', 'add', login);
    return { login, token: (await cli('token', 'create', login)).trim() };
  };
  const alice = await user('ca');
  const bob = await user('cb');
  const eve = await user('ce');
  const slug = uniq('r').toLowerCase();
  assert.equal((await api(a.url, alice.token, 'POST', '/api/rooms', { slug, displayName: 'Tools' })).status, 201);

  const sent = await tool(a, alice.token, 'send_message', { room: slug, content: 'from node A' });
  assert.equal(sent.status, 200, sent.text);
  const id = sent.json.result.id;
  const seen = await until('history on node B', async () => {
    const h = await tool(b, bob.token, 'read_history', { room: slug });
    return h.json?.result?.messages?.find((m) => m.id === id);
  });
  assert.equal(seen.content, 'from node A');

  const reply = await tool(c, bob.token, 'reply_in_thread', { room: slug, messageId: id, content: 'from node C' });
  assert.equal(reply.status, 200, reply.text);
  const rpc = await api(a.url, alice.token, 'POST', '/mcp', { jsonrpc: '2.0', id: 1, method: 'tools/call',
    params: { name: 'list_thread_replies', arguments: { threadId: reply.json.result.threadId } } });
  assert.deepEqual(rpc.json.result.structuredContent.replies.map((r) => r.content), ['from node C'], rpc.text);

  const ch = await tool(b, alice.token, 'create_channel',
    { room: slug, name: 'secret', slug: 'secret', visibility: 'private', inviteLogins: [bob.login] });
  assert.equal(ch.status, 200, ch.text);
  // Another node learns of the channel over Redis, as it does for REST.
  await until('the channel on node C', async () =>
    (await tool(c, bob.token, 'send_message', { room: slug, channelId: ch.json.result.id, content: 'hush' })).status === 200);
  for (const node of nodes) {
    const r = await tool(node, eve.token, 'read_history', { room: slug, channelId: ch.json.result.id });
    const rest = await api(node.url, eve.token, 'GET', `/api/rooms/${slug}/messages?channelId=${ch.json.result.id}`);
    assert.equal(r.status, rest.status);
    assert.ok(r.status >= 400 && !r.text.includes('hush'), r.text);
    const all = await tool(node, eve.token, 'read_history', { room: slug });
    assert.ok(!all.text.includes('hush'));
  }
  await Promise.all(nodes.splice(0).map((n) => n.stop()));
});
