// Durability: what the server acknowledged survives `kill -9` (docs/api.md: "ack ... after
// the message is committed", "201 message once it is durable").
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startRelay, createUser, createRoom, api, uniq, openWs, fetchAllMessages, FAST_SEND_ARGS,
} from './harness.mjs';

const servers = [];
after(async () => { await Promise.all(servers.map((s) => s.kill9())); });

// Every test here fires hundreds of sends at once from one user and socket, far past the
// default send rate limits: raise them so the tests measure durability, not throttling.
async function start(dataDir) {
  const relay = await startRelay({ dataDir, args: FAST_SEND_ARGS });
  servers.push(relay);
  return relay;
}

async function connect(relay, token) {
  const c = await openWs(`${relay.wsUrl}/api/ws/rooms/lobby`, token);
  await c.next((f) => f.type === 'sync');
  return c;
}

/** Resolves with the ack for `cm`, rejects if the server answers an error for it. */
async function ackOf(c, cm, timeoutMs = 30000) {
  const f = await c.next((x) => (x.type === 'ack' || x.type === 'error') && x.clientMsgId === cm, timeoutMs);
  if (f.type === 'error') throw new Error(`send ${cm} refused: ${JSON.stringify(f)}`);
  return f;
}

/**
 * Checks stored history (newest first): no duplicate ids, clientMsgIds or seqs; with
 * `ordered`, history order agrees with seq order (sends from one socket are sequential).
 */
function assertCleanHistory(history, { ordered = true } = {}) {
  const ids = history.map((m) => m.id);
  assert.equal(new Set(ids).size, ids.length, 'no message id appears twice');
  const cms = history.filter((m) => m.clientMsgId !== null).map((m) => m.clientMsgId);
  assert.equal(new Set(cms).size, cms.length, 'no clientMsgId stored twice');
  const seqs = history.map((m) => m.seq);
  assert.equal(new Set(seqs).size, seqs.length, 'no seq appears twice');
  for (let i = 1; ordered && i < history.length; i++) {
    assert.ok(history[i - 1].seq > history[i].seq,
      `seqs strictly increasing: ${history[i].seq} then ${history[i - 1].seq}`);
  }
}

const N = 200;
const KILL_AFTER_ACKS = 20; // kill -9 as soon as this many acks arrived, most sends still in flight

test('every acknowledged WebSocket message survives kill -9, exactly once', { timeout: 120000 }, async () => {
  const relay = await start();
  const login = uniq('dur');
  const token = await createUser(relay.dataDir, login);
  const c = await connect(relay, token);
  const cms = Array.from({ length: N }, (_, i) => `dur-${i}-${uniq('cm')}`);
  cms.forEach((cm, i) => c.send({ type: 'send', clientMsgId: cm, content: `durable ${i}`, channelId: null }));
  const acks = await Promise.all(cms.map((cm) => ackOf(c, cm)));
  await relay.kill9(); // right after the last ack

  const ackSeqs = acks.map((a) => a.seq).sort((a, b) => a - b);
  assert.equal(new Set(ackSeqs).size, N, 'every ack has its own seq');
  assert.equal(ackSeqs[N - 1] - ackSeqs[0], N - 1, 'acked seqs are contiguous');

  const again = await start(relay.dataDir);
  const history = await fetchAllMessages(again.url, token, 'lobby', { channelId: null });
  assertCleanHistory(history);
  const byId = new Map(history.map((m) => [m.id, m]));
  acks.forEach((ack, i) => {
    const m = byId.get(ack.serverId);
    assert.ok(m, `acked message ${ack.serverId} (${cms[i]}) lost after kill -9`);
    assert.equal(m.clientMsgId, cms[i]);
    assert.equal(m.content, `durable ${i}`);
    assert.equal(m.seq, ack.seq);
    assert.equal(m.author.login, login);
  });
  assert.equal(history.filter((m) => m.author.login === login).length, N);

  // Resending an acked clientMsgId after the restart yields the same serverId, nothing new.
  const c2 = await connect(again, token);
  c2.send({ type: 'send', clientMsgId: cms[7], content: 'durable 7', channelId: null });
  const re = await ackOf(c2, cms[7]);
  assert.equal(re.serverId, acks[7].serverId);
  assert.equal(re.seq, acks[7].seq);
  // A new message continues above every seq of before the crash: never reused, even
  // one a client may have seen from a message that had not committed yet (live
  // fan-out goes ahead of the commit; docs/api.md, "seq").
  const fresh = uniq('cm');
  c2.send({ type: 'send', clientMsgId: fresh, content: 'after restart', channelId: null });
  const freshAck = await ackOf(c2, fresh);
  assert.ok(freshAck.seq > Math.max(...history.map((m) => m.seq)), `seq ${freshAck.seq} reused`);
  const after = await fetchAllMessages(again.url, token, 'lobby', { channelId: null });
  assert.equal(after.length, history.length + 1);
  await c2.close();
  await again.stop();
});

test('kill -9 with sends in flight: acked ones survive, resending all converges to one copy each',
  { timeout: 120000 }, async () => {
    const relay = await start();
    const login = uniq('fly');
    const token = await createUser(relay.dataDir, login);
    const c = await connect(relay, token);
    const cms = Array.from({ length: N }, (_, i) => `fly-${i}-${uniq('cm')}`);
    const acked = new Map();
    let enoughAcks;
    const killedAfter = new Promise((resolve) => { enoughAcks = resolve; });
    c.ws.on('message', (data) => {
      const f = JSON.parse(data.toString());
      if (f.type === 'ack') acked.set(f.clientMsgId, f);
      if (acked.size >= KILL_AFTER_ACKS) enoughAcks();
    });
    cms.forEach((cm, i) => c.send({ type: 'send', clientMsgId: cm, content: `flight ${i}`, channelId: null }));
    await Promise.race([killedAfter, c.closed]);
    await relay.kill9(); // most of the 200 sends are still in flight
    await c.closed;
    const ackedAtKill = new Map(acked);
    assert.ok(ackedAtKill.size >= KILL_AFTER_ACKS, `got only ${ackedAtKill.size} acks before the crash`);

    const again = await start(relay.dataDir);
    const history = await fetchAllMessages(again.url, token, 'lobby', { channelId: null });
    assertCleanHistory(history);
    const byId = new Map(history.map((m) => [m.id, m]));
    for (const [cm, ack] of ackedAtKill) {
      const m = byId.get(ack.serverId);
      assert.ok(m, `acked message ${ack.serverId} (${cm}) lost after kill -9`);
      assert.equal(m.clientMsgId, cm);
      assert.equal(m.seq, ack.seq);
    }

    // The client did not see the other acks, so it resends everything.
    const c2 = await connect(again, token);
    cms.forEach((cm, i) => c2.send({ type: 'send', clientMsgId: cm, content: `flight ${i}`, channelId: null }));
    const acks2 = await Promise.all(cms.map((cm) => ackOf(c2, cm)));
    acks2.forEach((a, i) => {
      const before = ackedAtKill.get(cms[i]);
      if (before) assert.equal(a.serverId, before.serverId, `resent ${cms[i]} got a new serverId`);
    });
    const final = await fetchAllMessages(again.url, token, 'lobby', { channelId: null });
    assertCleanHistory(final);
    const mine = final.filter((m) => m.author.login === login);
    assert.equal(mine.length, N, 'each clientMsgId stored exactly once');
    assert.deepEqual(new Set(mine.map((m) => m.clientMsgId)), new Set(cms));
    await c2.close();
    await again.stop();
  });

test('a REST 201 is durable: kill -9 right after the responses', { timeout: 60000 }, async () => {
  const relay = await start();
  const token = await createUser(relay.dataDir, uniq('rest'));
  const room = await createRoom(relay, token); // only a room's owner may create channels
  const ch = await api(relay.url, token, 'POST', `/api/rooms/${room.slug}/channels`,
    { name: 'durable', slug: uniq('c'), visibility: 'public' });
  assert.equal(ch.status, 201, ch.text);
  const posted = await Promise.all(Array.from({ length: 30 }, async (_, i) => {
    const r = await api(relay.url, token, 'POST', `/api/rooms/${room.slug}/messages`,
      { content: `rest ${i}`, channelId: ch.json.id, clientMsgId: `rest-${i}` });
    assert.equal(r.status, 201, r.text);
    return r.json;
  }));
  await relay.kill9();

  const again = await start(relay.dataDir);
  const roomAgain = await api(again.url, token, 'GET', `/api/rooms/${room.slug}`);
  assert.equal(roomAgain.status, 200, `the created room survives: ${roomAgain.text}`);
  assert.equal(roomAgain.json.id, room.id);
  assert.equal(roomAgain.json.owner?.id, room.owner.id);
  const chans = await api(again.url, token, 'GET', `/api/rooms/${room.slug}/channels`);
  assert.equal(chans.status, 200, chans.text);
  assert.ok(chans.json.channels.some((x) => x.id === ch.json.id), 'the created channel survives');
  const history = await fetchAllMessages(again.url, token, room.slug, { channelId: ch.json.id });
  assertCleanHistory(history, { ordered: false }); // the 30 POSTs were concurrent
  assert.deepEqual(history.map((m) => m.id).sort(), posted.map((m) => m.id).sort());
  assert.deepEqual(history.map((m) => m.seq).sort((a, b) => a - b), posted.map((m) => m.seq).sort((a, b) => a - b));
  await again.stop();
});

test('a second server on the same data directory is refused; the first keeps serving', { timeout: 60000 }, async () => {
  const first = await start();
  const token = await createUser(first.dataDir, uniq('lock'));
  const room = await createRoom(first, token);
  const post = (i) => api(first.url, token, 'POST', `/api/rooms/${room.slug}/messages`,
    { content: `m ${i}`, channelId: null, clientMsgId: `lock-${i}` });
  const before = await post(1);
  assert.equal(before.status, 201, before.text);

  // Two servers on one store would both count seqs from memory and hand out one twice.
  await assert.rejects(start(first.dataDir),
    (err) => /exited early \(code 1/.test(err.message) &&
      /another relay server is running on/.test(err.message));

  const after = await post(2);
  assert.equal(after.status, 201, after.text);
  assert.equal(after.json.seq, before.json.seq + 1, 'the first server still numbers alone');
  await first.stop();

  // Once it is gone (its lock goes with the process), the directory serves again.
  const next = await start(first.dataDir);
  const history = await fetchAllMessages(next.url, token, room.slug);
  assert.deepEqual(history.map((m) => m.content), ['m 2', 'm 1']);
  await next.stop();
});
