// /metrics (docs/metrics.md): Prometheus text that moves with traffic, and the
// backpressure policy made visible: a stalled client first loses typing events, then
// is cut off with 4008, and its queue memory is given back.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startRelay, createUser, uniq, openWs, FAST_SEND_ARGS } from './harness.mjs';

let relay;
before(async () => {
  relay = await startRelay({ args: ['--ws-queue-bytes', '262144', '--ws-queue-frames', '1024', ...FAST_SEND_ARGS] });
});
after(async () => { await relay?.stop(); });

/**
 * Parses the text exposition format strictly: every sample belongs to a family with
 * HELP and TYPE, histograms have cumulative buckets ending in +Inf equal to _count.
 * Returns Map("name{labels}" -> number).
 */
function parse(text) {
  const types = new Map();
  const values = new Map();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let m = line.match(/^# (HELP|TYPE) (relay_[a-z_]+) (.+)$/);
    if (m) {
      if (m[1] === 'TYPE') {
        assert.ok(['counter', 'gauge', 'histogram'].includes(m[3]), line);
        types.set(m[2], m[3]);
      }
      continue;
    }
    m = line.match(/^(relay_[a-z_]+)(\{[a-z]+="[^"]*"\})? (-?[0-9.]+|\+Inf|NaN)$/);
    assert.ok(m, `not a sample line: ${JSON.stringify(line)}`);
    const family = m[1].replace(/_(bucket|sum|count)$/, '');
    assert.ok(types.has(m[1]) || types.has(family), `sample before its TYPE: ${line}`);
    values.set(m[1] + (m[2] ?? ''), Number(m[3]));
  }
  for (const [name, type] of types) {
    if (type !== 'histogram') continue;
    const buckets = [...values].filter(([k]) => k.startsWith(`${name}_bucket{`));
    assert.ok(buckets.length > 1, name);
    for (let i = 1; i < buckets.length; i += 1) assert.ok(buckets[i][1] >= buckets[i - 1][1], `${name} cumulative`);
    assert.equal(buckets.at(-1)[0], `${name}_bucket{le="+Inf"}`);
    assert.equal(buckets.at(-1)[1], values.get(`${name}_count`), `${name} +Inf == count`);
  }
  return values;
}

async function scrape() {
  const res = await fetch(`${relay.url}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
  return parse(await res.text());
}

async function until(fn, what, ms = 10000) {
  const end = Date.now() + ms;
  for (;;) {
    const m = await scrape();
    if (fn(m)) return m;
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(50);
  }
}

async function newUser() {
  const login = uniq('mx');
  return { login, token: await createUser(relay.dataDir, login) };
}

async function connect(u) {
  const c = await openWs(`${relay.wsUrl}/api/ws/rooms/lobby`, u.token);
  c.sync = await c.next((f) => f.type === 'sync');
  return c;
}

const WS = 'relay_connections{class="ws"}';
const QUEUED = 'relay_queued_bytes{class="ws"}';
const EPHEMERAL = 'relay_frames_dropped_total{reason="ephemeral"}';
const SLOW = 'relay_slow_consumer_disconnects_total{class="ws"}';

test('/metrics parses as Prometheus text and moves with traffic', async () => {
  const before = await scrape();
  for (const name of [WS, QUEUED, EPHEMERAL, SLOW, 'relay_deliveries_total', 'relay_ack_latency_seconds_count',
    'relay_store_batch_size_count', 'relay_agent_events_total{outcome="reply"}', 'relay_room_mailbox_wait_seconds_count', 'relay_room_mailbox_messages_count',
    'relay_connections{class="sse"}', 'relay_connections{class="app"}']) {
    assert.ok(before.has(name), `${name} is exported`);
  }
  const a = await connect(await newUser());
  const b = await connect(await newUser());
  const opened = await until((m) => m.get(WS) === before.get(WS) + 2, 'two open sockets');
  assert.ok(opened.get(WS) >= 2);

  const n = 50;
  const acks = [];
  for (let i = 0; i < n; i += 1) {
    const cm = uniq('m');
    a.send({ type: 'send', clientMsgId: cm, content: `hello ${i}`, channelId: null });
    acks.push(a.next((f) => f.type === 'ack' && f.clientMsgId === cm));
  }
  const last = (await Promise.all(acks)).at(-1).seq;
  await b.next((f) => f.type === 'message' && f.message.seq === last);

  const after = await until((m) => m.get('relay_deliveries_total') - before.get('relay_deliveries_total') >= 2 * n,
    'deliveries counted');
  const d = (k) => after.get(k) - before.get(k);
  assert.equal(d('relay_ack_latency_seconds_count'), n, 'one ack latency per send');
  assert.ok(d('relay_ack_latency_seconds_sum') > 0);
  assert.ok(d('relay_store_batch_size_count') >= 1 && d('relay_store_batch_size_count') <= n + 4);
  assert.ok(d('relay_store_batch_size_sum') >= n, 'every stored message is in some batch');
  assert.ok(d('relay_store_commit_seconds_count') >= 1);
  assert.ok(d('relay_delivery_latency_seconds_count') >= 2 * n, 'each delivered frame has a latency');

  await Promise.all([a.close(), b.close()]);
  await until((m) => m.get(WS) === before.get(WS) && m.get(QUEUED) === 0, 'connections and queues back to baseline');
});

test('a stalled client sheds typing first, is then cut off with 4008, and its memory is given back', async () => {
  const sender = await connect(await newUser());
  const typer = await connect(await newUser());
  const fast = await connect(await newUser());
  const slow = await connect(await newUser());
  const base = await scrape();
  slow.ws.pause(); // the kernel buffers fill, then Relay's queue for it

  const content = 'y'.repeat(3900);
  let sent = 0;
  let shedWhileOpen = null;
  let lastSeq = 0;
  // Messages in windows of 20, typing after each window, until Relay gives up on the
  // stalled client. Its queue passes half the cap (typing shed) before the cap (4008).
  for (let round = 0; round < 400; round += 1) {
    const window = [];
    for (let k = 0; k < 20; k += 1) {
      const cm = uniq('s');
      sender.send({ type: 'send', clientMsgId: cm, content, channelId: null });
      window.push(sender.next((f) => f.type === 'ack' && f.clientMsgId === cm, 20000));
      sent += 1;
    }
    lastSeq = (await Promise.all(window)).at(-1).seq;
    const typed = fast.frames.filter((f) => f.type === 'typing').length;
    for (let k = 0; k < 5; k += 1) typer.send({ type: 'typing', channelId: null });
    // Scrape only once Relay has fanned this round's typing out (the fast reader has it),
    // so a drop for the stalled client is counted before the next round can cut it off.
    for (let w = 0; w < 200 && fast.frames.filter((f) => f.type === 'typing').length < typed + 5; w += 1) {
      await sleep(10);
    }
    await sleep(50);
    const m = await scrape();
    if (shedWhileOpen === null && m.get(EPHEMERAL) > base.get(EPHEMERAL)) {
      shedWhileOpen = m.get(SLOW) === base.get(SLOW);
    }
    if (m.get(SLOW) > base.get(SLOW)) break;
  }
  assert.equal(shedWhileOpen, true, 'typing was shed while the stalled client was still connected');
  const cut = await scrape();
  assert.equal(cut.get(SLOW), base.get(SLOW) + 1, 'exactly one slow-consumer disconnect');

  // Everyone else got every message.
  await fast.next((f) => f.type === 'message' && f.message.seq === lastSeq, 20000);
  const seen = fast.frames.filter((f) => f.type === 'message').length;
  assert.equal(seen, sent);

  slow.ws.resume();
  const closed = await Promise.race([slow.closed, sleep(20000).then(() => ({ code: 'none' }))]);
  assert.equal(closed.code, 4008);
  await Promise.all([sender.close(), typer.close(), fast.close()]);
  await until((m) => m.get(QUEUED) === 0 && m.get(WS) === base.get(WS) - 4, 'queue memory given back');
});
