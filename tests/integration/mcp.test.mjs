// MCP at /mcp (docs/api.md, "Tools and MCP"): the official TypeScript SDK client connects
// over the streamable HTTP transport with an API token, lists the tools, calls them as the
// token's user, and gets a tool error for a bad call; without a token it is refused; the
// JSON-RPC error codes for what is not a valid request.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startRelay, api, newUser, newRoom } from './harness.mjs';

let relay;
before(async () => { relay = await startRelay(); });
after(async () => { await relay?.stop(); });

async function connect(token) {
  const headers = token ? { Authorization: `Bearer ${token}` } : {};
  const transport = new StreamableHTTPClientTransport(new URL(`${relay.url}/mcp`), { requestInit: { headers } });
  const client = new Client({ name: 'relay-test', version: '1.0.0' });
  await client.connect(transport);
  return client;
}

const rpc = (token, body, headers = {}) => api(relay.url, token, 'POST', '/mcp', body,
  { Accept: 'application/json, text/event-stream', ...headers });

test('the SDK client lists the tools and calls them as the token user', async () => {
  const alice = await newUser(relay, 'ma');
  const slug = await newRoom(relay, alice);
  const client = await connect(alice.token);
  try {
    assert.equal(client.getServerVersion().name, 'relay');
    assert.ok(client.getServerCapabilities().tools);

    const { tools } = await client.listTools();
    const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
    const rest = (await api(relay.url, alice.token, 'GET', '/api/tools')).json;
    assert.deepEqual(tools.map((t) => t.name), rest.map((t) => t.function.name));
    assert.deepEqual(byName.send_message.inputSchema, rest.find((t) => t.function.name === 'send_message').function.parameters);
    assert.equal(byName.read_history.annotations.readOnlyHint, true);

    const sent = await client.callTool({ name: 'send_message', arguments: { room: slug, content: 'hello over MCP' } });
    assert.equal(sent.isError, false, JSON.stringify(sent));
    assert.equal(sent.structuredContent.content, 'hello over MCP');
    assert.equal(JSON.parse(sent.content[0].text).id, sent.structuredContent.id);
    assert.equal(sent.structuredContent.author.login, alice.login);

    const history = await client.callTool({ name: 'read_history', arguments: { room: slug } });
    assert.equal(history.isError, false);
    assert.deepEqual(history.structuredContent.messages.map((m) => m.content), ['hello over MCP']);
    const viaRest = await api(relay.url, alice.token, 'GET', `/api/rooms/${slug}/messages`);
    assert.deepEqual(viaRest.json.messages.map((m) => m.id), [sent.structuredContent.id]);

    // A call the schema refuses, and one the REST route refuses: tool errors the model reads.
    const bad = await client.callTool({ name: 'send_message', arguments: { room: slug } });
    assert.equal(bad.isError, true);
    assert.match(bad.content[0].text, /arguments\.content: required/);
    const refused = await client.callTool({ name: 'read_history', arguments: { room: 'no-such-room' } });
    assert.equal(refused.isError, true);
    assert.match(refused.content[0].text, /404/);
    assert.equal((await api(relay.url, alice.token, 'GET', `/api/rooms/${slug}/messages`)).json.messages.length, 1);

    // An unknown tool is a protocol error.
    await assert.rejects(client.callTool({ name: 'launch_rockets', arguments: {} }), (e) => e.code === -32602);
    await client.ping();
  } finally {
    await client.close();
  }
});

test('without a valid token /mcp is 401, for the SDK client too', async () => {
  assert.equal((await rpc(null, { jsonrpc: '2.0', id: 1, method: 'ping' })).status, 401);
  assert.equal((await rpc('rlt_forged', { jsonrpc: '2.0', id: 1, method: 'ping' })).status, 401);
  await assert.rejects(connect(null), (e) => e.code === 401 || /401/.test(String(e)));
});

test('JSON-RPC over POST: versions, notifications, batches and error codes', async () => {
  const { token } = await newUser(relay, 'mb');
  const init = await rpc(token, { jsonrpc: '2.0', id: 1, method: 'initialize',
    params: { protocolVersion: '2025-03-26', capabilities: {}, clientInfo: { name: 'raw', version: '0' } } });
  assert.equal(init.status, 200, init.text);
  assert.match(init.headers.get('content-type'), /^application\/json/);
  assert.equal(init.json.id, 1);
  assert.equal(init.json.result.protocolVersion, '2025-03-26');
  assert.deepEqual(Object.keys(init.json.result.capabilities), ['tools']);
  const future = await rpc(token, { jsonrpc: '2.0', id: 'x', method: 'initialize', params: { protocolVersion: '2099-01-01' } });
  assert.equal(future.json.result.protocolVersion, '2025-11-25');

  const note = await rpc(token, { jsonrpc: '2.0', method: 'notifications/initialized' });
  assert.equal(note.status, 202);
  assert.equal(note.text, '');

  const unknown = await rpc(token, { jsonrpc: '2.0', id: 2, method: 'resources/list' });
  assert.equal(unknown.json.error.code, -32601);
  const parse = await rpc(token, '{"jsonrpc": "2.0", ');
  assert.equal(parse.status, 400);
  assert.equal(parse.json.error.code, -32700);
  assert.equal(parse.json.id, null);
  assert.equal((await rpc(token, { id: 3, method: 'ping' })).json.error.code, -32600);
  assert.equal((await rpc(token, { jsonrpc: '2.0', id: 4, method: 'tools/call', params: { arguments: {} } })).json.error.code, -32602);

  const batch = await rpc(token, [
    { jsonrpc: '2.0', id: 10, method: 'ping' },
    { jsonrpc: '2.0', method: 'notifications/initialized' },
    { jsonrpc: '2.0', id: 11, method: 'tools/call', params: { name: 'get_room', arguments: { room: 'lobby' } } },
  ]);
  assert.equal(batch.status, 200, batch.text);
  assert.deepEqual(batch.json.map((m) => m.id), [10, 11]);
  assert.equal(batch.json[1].result.structuredContent.slug, 'lobby');

  const big = await rpc(token, Array.from({ length: 17 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'ping' })));
  assert.equal(big.status, 400);
  assert.equal(big.json.error.code, -32600);
  assert.equal((await rpc(token, [])).json.error.code, -32600);

  // No server-initiated stream and no session to end.
  for (const method of ['GET', 'DELETE']) {
    const r = await api(relay.url, token, method, '/mcp', undefined, { Accept: 'text/event-stream' });
    assert.equal(r.status, 405, `${method}: ${r.text}`);
  }
});
