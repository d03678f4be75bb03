// Tiered storage on one node (docs/operations.md, "Archive"): with --postgres-url and
// --archive-after, old messages move from SQLite to a real Postgres (the test command
// starts one and exports RELAY_TEST_POSTGRES_URL) and every read sees one history.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startRelay, createUser, api, uniq, openWs, fetchAllMessages, FAST_SEND_ARGS,
} from './harness.mjs';
import { PG, psql, freshDatabase } from './postgres.mjs';

const skip = PG ? false : 'RELAY_TEST_POSTGRES_URL is not set (make test starts a Postgres)';

const servers = [];
after(async () => {
  await Promise.all(servers.map((s) => s.kill9()));
});

async function start(args, dataDir) {
  const relay = await startRelay({ dataDir, args: [...FAST_SEND_ARGS, '--ring-messages', '20', ...args] });
  servers.push(relay);
  return relay;
}

async function archivedCount(url) {
  return Number(await psql(url, 'SELECT count(*) FROM message_archive'));
}

async function waitFor(what, check, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function sendAll(c, prefix, n) {
  const cms = Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
  cms.forEach((cm, i) => c.send({ type: 'send', clientMsgId: cm, content: `${prefix} ${i}`, channelId: null }));
  const acks = [];
  for (const cm of cms) {
    const f = await c.next((x) => (x.type === 'ack' || x.type === 'error') && x.clientMsgId === cm, 30000);
    assert.equal(f.type, 'ack', JSON.stringify(f));
    acks.push(f);
  }
  return acks;
}


test('history, resume, edits, deletes and retries work the same across the archive boundary',
  { skip, timeout: 180000 }, async () => {
    const pg = await freshDatabase('it');
    const relay = await start(['--postgres-url', pg, '--archive-after', '2s']);
    const login = uniq('arc');
    const token = await createUser(relay.dataDir, login);
    const c = await openWs(`${relay.wsUrl}/api/ws/rooms/lobby`, token);
    await c.next((f) => f.type === 'sync');

    const old = await sendAll(c, 'old', 45);
    await waitFor('45 messages archived', async () => (await archivedCount(pg)) >= 45);
    const recent = await sendAll(c, 'new', 10);

    const history = await fetchAllMessages(relay.url, token, 'lobby', { limit: 7 });
    assert.deepEqual(history.map((m) => m.seq), Array.from({ length: 55 }, (_, i) => 55 - i),
      'every seq once, newest first, across the boundary');
    assert.deepEqual(history.map((m) => m.clientMsgId).reverse(),
      [...old, ...recent].map((a) => a.clientMsgId));
    assert.ok(history.every((m) => m.author.login === login), 'archived rows carry their author');

    // A client that saw seq 5 resumes past the ring (20 messages) into the archive.
    const r = await openWs(`${relay.wsUrl}/api/ws/rooms/lobby`, token, { resume: '__lobby:5' });
    const sync = await r.next((f) => f.type === 'sync');
    const got = [...sync.messages];
    while (got.length < 50) got.push(await r.next((f) => f.type === 'message', 10000));
    assert.deepEqual(got.map((m) => m.seq), Array.from({ length: 50 }, (_, i) => i + 6));
    r.close();

    // An archived message is edited and deleted like any other, live.
    const target = history.find((m) => m.clientMsgId === 'old-3');
    const edited = await api(relay.url, token, 'PATCH', `/api/rooms/lobby/messages/${target.id}`, { content: 'fixed later' });
    assert.equal(edited.status, 200, edited.text);
    assert.equal(edited.json.content, 'fixed later');
    const update = await c.next((f) => f.type === 'message_updated' && f.message?.id === target.id);
    assert.equal(update.message.content, 'fixed later');
    const gone = history.find((m) => m.clientMsgId === 'old-4');
    const del = await api(relay.url, token, 'DELETE', `/api/rooms/lobby/messages/${gone.id}`);
    assert.equal(del.status, 200, del.text);
    await c.next((f) => f.type === 'message_deleted' && f.messageId === gone.id);
    const unknown = await api(relay.url, token, 'PATCH', '/api/rooms/lobby/messages/msg_nope', { content: 'x' });
    assert.equal(unknown.status, 404);

    const after2 = await fetchAllMessages(relay.url, token, 'lobby', { limit: 9 });
    assert.equal(after2.length, 54);
    assert.equal(after2.find((m) => m.id === target.id).content, 'fixed later');
    assert.ok(!after2.some((m) => m.id === gone.id));

    // A retried send of an archived message is its duplicate: same id and seq, nothing new.
    c.send({ type: 'send', clientMsgId: 'old-7', content: 'old 7', channelId: null });
    const dup = await c.next((f) => f.type === 'ack' && f.clientMsgId === 'old-7');
    assert.equal(dup.serverId, old[7].serverId);
    assert.equal(dup.seq, old[7].seq);
    assert.equal((await fetchAllMessages(relay.url, token, 'lobby')).length, 54);

    const health = await api(relay.url, null, 'GET', '/api/health');
    assert.equal(health.status, 200);
    assert.equal(health.json.checks.postgres, 'ok');
    c.close();
    await relay.stop();
  });

test('with Postgres unreachable the node serves and acks; health says postgres fail',
  { skip, timeout: 60000 }, async () => {
    const relay = await start(['--postgres-url', 'postgresql://relay@127.0.0.1:1/none', '--archive-after', '1s']);
    const token = await createUser(relay.dataDir, uniq('down'));
    const health = await api(relay.url, null, 'GET', '/api/health');
    assert.equal(health.status, 503);
    assert.equal(health.json.ok, false);
    assert.equal(health.json.checks.postgres, 'fail');
    assert.equal(health.json.checks.sqlite, 'ok');
    const c = await openWs(`${relay.wsUrl}/api/ws/rooms/lobby`, token);
    await c.next((f) => f.type === 'sync');
    const acks = await sendAll(c, 'down', 5);
    assert.equal(acks.length, 5);
    await new Promise((r) => setTimeout(r, 1500));  // old enough to move; nowhere to go
    const page = await api(relay.url, token, 'GET', '/api/rooms/lobby/messages?limit=5');
    assert.equal(page.status, 200, page.text);
    assert.equal(page.json.messages.length, 5, 'the messages stayed in SQLite');
    c.close();
    await relay.stop();
  });

test('kill -9 while batches move loses and duplicates no acknowledged message',
  { skip, timeout: 240000 }, async () => {
    const pg = await freshDatabase('it');
    let relay = await start(['--postgres-url', pg, '--archive-after', '1s']);
    const dataDir = relay.dataDir;
    const login = uniq('kill');
    const token = await createUser(dataDir, login);
    const acked = [];
    for (let round = 0; round < 4; round++) {
      const c = await openWs(`${relay.wsUrl}/api/ws/rooms/lobby`, token);
      await c.next((f) => f.type === 'sync');
      acked.push(...await sendAll(c, `r${round}`, 600));
      c.close();
      // Batches of 500 start within a second of the messages' age passing 1 s.
      await new Promise((r) => setTimeout(r, 1000 + Math.floor(Math.random() * 900)));
      await relay.kill9();
      relay = await start(['--postgres-url', pg, '--archive-after', '1s'], dataDir);
    }
    await waitFor('everything archived', async () => (await archivedCount(pg)) === acked.length, 60000);
    assert.equal(Number(await psql(pg, 'SELECT count(*) FROM message_archive WHERE NOT settled')), 0);
    const history = await fetchAllMessages(relay.url, token, 'lobby', { limit: 100 });
    assert.equal(history.length, acked.length, 'every acked message once');
    assert.deepEqual(new Set(history.map((m) => m.clientMsgId)), new Set(acked.map((a) => a.clientMsgId)));
    for (const a of acked) {
      const m = history.find((x) => x.clientMsgId === a.clientMsgId);
      assert.equal(m.id, a.serverId);
      assert.equal(m.seq, a.seq);
    }
    for (let i = 1; i < history.length; i++) assert.ok(history[i - 1].seq > history[i].seq);
    await relay.stop();
  });
