// Outbound webhooks in cluster mode (docs/api.md, "Outbound webhooks"): three nodes on
// one Postgres and one Redis all poll the outbox, yet each event reaches the receiver
// exactly once (leased claims with FOR UPDATE SKIP LOCKED), whichever node wrote it, and
// a hook made on one node is managed from another; a hook switched off tells its owner
// on every node's sockets.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startRelay, relayCli, api, openWs, makeDataDir, FAST_SEND_ARGS } from './harness.mjs';
import { PG, freshDatabase } from './postgres.mjs';
import { startReceiver, verifyStandard } from './webhook_receiver.mjs';

const REDIS = process.env.RELAY_TEST_REDIS_URL;
const skip = PG && REDIS ? false : 'RELAY_TEST_POSTGRES_URL and RELAY_TEST_REDIS_URL are not set';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const servers = [];
let receiver;
after(async () => {
  await Promise.all(servers.map((s) => s.kill9()));
  await receiver?.close();
});

// Three nodes on one fresh store of record that may deliver to the local receiver, and an
// owner signed in through them: `call(node, …)` is a REST call on node 0, 1 or 2.
async function hookedCluster(dbName, owner) {
  const pg = await freshDatabase(dbName);
  const opts = ['--redis-url', REDIS, '--postgres-url', pg];
  const args = [...FAST_SEND_ARGS, ...opts, '--webhook-allowed-hosts', '127.0.0.1',
    '--webhook-retry-scale', '0.05'];
  const nodes = [];
  for (let i = 0; i < 3; i++) {
    const node = await startRelay({ args });
    servers.push(node);
    nodes.push(node);
  }
  const cli = (...a) => relayCli(makeDataDir(), ...opts, ...a);
  await cli('user', 'add', owner);
  const token = (await cli('token', 'create', owner)).trim();
  const call = (node, method, path, body) => api(nodes[node].url, token, method, path, body);
  return { nodes, token, call };
}

test('each event is delivered once by the cluster, not once per node', { skip }, async () => {
  receiver = await startReceiver();
  const { call } = await hookedCluster('wh', 'hookowner');

  const room = await call(0, 'POST', '/api/rooms', { slug: 'hooked', displayName: 'Hooked' });
  assert.equal(room.status, 201, room.text);
  const made = await call(1, 'POST', '/api/rooms/hooked/webhooks',
    { url: `${receiver.url}/cluster`, events: ['message.created'] });
  assert.equal(made.status, 201, made.text);
  assert.equal((await call(2, 'GET', '/api/rooms/hooked/webhooks')).json.webhooks.length, 1);

  // Some attempts fail first, so retries are claimed by whichever node polls next.
  let failures = 6;
  receiver.answerWith(() => (failures-- > 0 ? 500 : 200));
  const ids = [];
  for (let i = 0; i < 30; i++) {
    const r = await call(i % 3, 'POST', '/api/rooms/hooked/messages', { content: `c${i}` });
    assert.equal(r.status, 201, r.text);
    ids.push(r.json.id);
  }
  const ok = await receiver.waitFor((r) => r.status === 200, 30, 30000);
  await sleep(1500);
  const delivered = receiver.requests.filter((r) => r.status === 200).map((r) => r.json.data.message.id);
  assert.deepEqual([...delivered].sort(), [...ids].sort(), 'every message once, none twice');
  assert.ok(ok.every((r) => verifyStandard(r, made.json.secret)));
  // Each webhook-id succeeded once.
  const perId = new Map();
  for (const r of receiver.requests.filter((x) => x.status === 200)) {
    perId.set(r.headers['webhook-id'], (perId.get(r.headers['webhook-id']) ?? 0) + 1);
  }
  assert.ok([...perId.values()].every((n) => n === 1));
});

test("a disabled hook's notification reaches the owner's sockets on every node", { skip }, async () => {
  receiver ??= await startReceiver();
  const { nodes, token, call } = await hookedCluster('whn', 'goneowner');
  assert.equal((await call(0, 'POST', '/api/rooms', { slug: 'gone', displayName: 'Gone' })).status, 201);
  const made = await call(1, 'POST', '/api/rooms/gone/webhooks',
    { url: `${receiver.url}/gone-cluster`, events: ['message.created'] });
  assert.equal(made.status, 201, made.text);
  // One tab on each node: whichever node sends the delivery, the other two hear of it
  // only through the cluster.
  const tabs = [];
  for (const n of nodes) {
    const ws = await openWs(`${n.wsUrl}/api/ws/rooms/gone`, token);
    await ws.next((f) => f.type === 'sync');
    tabs.push(ws);
  }
  receiver.answerWith((r) => (r.url === '/gone-cluster' ? 410 : 200));
  try {
    assert.equal((await call(2, 'POST', '/api/rooms/gone/messages', { content: 'to a gone hook' })).status, 201);
    const frames = await Promise.all(tabs.map((ws) => ws.next((f) => f.type === 'notification', 10000)));
    for (const f of frames) {
      assert.equal(f.notification.kind, 'webhook_disabled');
      assert.equal(f.notification.refId, made.json.id);
    }
    assert.equal(new Set(frames.map((f) => f.notification.id)).size, 1, 'one notification, shown everywhere');
    const listed = (await call(0, 'GET', '/api/rooms/gone/webhooks')).json.webhooks[0];
    assert.equal(listed.enabled, false);
    const notes = (await call(2, 'GET', '/api/notifications')).json.notifications;
    assert.equal(notes.filter((x) => x.kind === 'webhook_disabled').length, 1);
  } finally {
    receiver.answerWith(() => 200);
    await Promise.all(tabs.map((ws) => ws.close()));
  }
});
