// Cluster mode (issue 22), three measurements in one run against a release binary:
//
//   a. cross-node delivery: a publisher on node A at each of CROSS_RATES msgs/s; one
//      subscriber on A and one on B, both in this process, so one clock times send →
//      receive for both; then the same on one SQLite node (no cluster) for reference.
//   b. durable acks: SQLite (one node) vs Postgres in cluster mode (1 node, 3 nodes), with
//      1, 10 and 100 senders, each keeping ACK_WINDOW sends outstanding. Each sender
//      writes to a room of its own: its ack is what is measured, and 100 senders in one
//      room would have this process read 100 × the acked rate in `message` frames;
//      then ACK_SHARED senders in one room (one channel), spread over the nodes.
//   c. fan-out: FANOUT_SUBS subscribers of one room on one node, then spread evenly over
//      three nodes; a publisher on node A at FANOUT_RATE msgs/s.
//
//   benchmarks/cluster/run.sh             # starts Redis and Postgres, runs this
//   RELAY_BIN=… PG_URL=postgresql://… REDIS_URL=redis://… node benchmarks/cluster/run.mjs
//
// Every part starts its servers on a fresh database (created on PG_URL, dropped at the
// end) or data directory and stops them after. Knobs (environment): PARTS (a,b,c),
// CROSS_RATES (200,1000), CROSS_SECONDS (20), ACK_SECONDS (5), ACK_SENDERS (1,10,100),
// ACK_WINDOW (1), ACK_SHARED (10; 0 = none), FANOUT_SUBS (300), FANOUT_RATE (100), FANOUT_SECONDS (10), WARMUP (1 s,
// left out of every latency), OUT (a file the JSON result is written to as well).
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import WebSocket from 'ws';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
process.env.RELAY_BIN ??= join(ROOT, 'build-bench', 'relay');
const { startRelay, relayCli, makeDataDir, api, FAST_SEND_ARGS } =
  await import('../../tests/integration/harness.mjs');

const PG = process.env.PG_URL;
const REDIS = process.env.REDIS_URL;
if (!PG || !REDIS) throw new Error('PG_URL and REDIS_URL must be set (benchmarks/cluster/run.sh starts both)');
const env = (k, d) => Number(process.env[k] ?? d);
const PARTS = (process.env.PARTS ?? 'a,b,c').split(',');
const CROSS_RATES = (process.env.CROSS_RATES ?? '200,1000').split(',').map(Number);
const CROSS_SECONDS = env('CROSS_SECONDS', 20);
const ACK_SECONDS = env('ACK_SECONDS', 5);
const ACK_SENDERS = (process.env.ACK_SENDERS ?? '1,10,100').split(',').map(Number);
const ACK_WINDOW = env('ACK_WINDOW', 1);
const ACK_SHARED = env('ACK_SHARED', 10);
const FANOUT_SUBS = env('FANOUT_SUBS', 300);
const FANOUT_RATE = env('FANOUT_RATE', 100);
const FANOUT_SECONDS = env('FANOUT_SECONDS', 10);
const WARMUP_MS = env('WARMUP', 1) * 1000;
const USERS = 10;
// The send limits and the per-user connection cap are not what is measured.
const SERVER_ARGS = [...FAST_SEND_ARGS, '--max-connections-per-user', '100000'];

const execFileP = promisify(execFile);
const psql = async (url, sql) => (await execFileP('psql', [url, '-XAtq', '-v', 'ON_ERROR_STOP=1', '-c', sql])).stdout.trim();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.now();
const run = Date.now().toString(36);

function quantiles(xs) {
  if (xs.length === 0) return { n: 0 };
  xs.sort((a, b) => a - b);
  const q = (p) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))];
  const r = (x) => Math.round(x * 1000) / 1000;
  return { n: xs.length, p50: r(q(0.5)), p90: r(q(0.9)), p99: r(q(0.99)), max: r(xs[xs.length - 1]) };
}

// -- servers ------------------------------------------------------------------------

const databases = [];
const running = new Set();

async function freshDatabase() {
  const name = `relay_bench_cl_${process.pid}_${databases.length}`;
  await psql(PG, `CREATE DATABASE ${name}`);
  databases.push(name);
  return PG.slice(0, PG.lastIndexOf('/') + 1) + name;
}

/** n nodes on a fresh database, or one SQLite node (n = 0): {nodes, users: [{login, token}]}. */
async function deployment(n) {
  const nodes = [];
  let cli;
  if (n === 0) {
    const node = await startRelay({ args: SERVER_ARGS });
    nodes.push(node);
    cli = (...a) => relayCli(node.dataDir, ...a);
  } else {
    const opts = ['--redis-url', REDIS, '--postgres-url', await freshDatabase()];
    for (let i = 0; i < n; i++) nodes.push(await startRelay({ args: [...SERVER_ARGS, ...opts] }));
    const cliDir = makeDataDir();
    cli = (...a) => relayCli(cliDir, ...opts, ...a);
  }
  nodes.forEach((s) => running.add(s));
  const users = [];
  for (let i = 0; i < USERS; i++) {
    const login = `bench${i}`;
    await cli('user', 'add', login);
    users.push({ login, token: (await cli('token', 'create', login)).trim() });
  }
  return {
    nodes,
    users,
    async stop() {
      for (const s of nodes) { running.delete(s); await s.stop(); }
    },
  };
}

// -- clients ------------------------------------------------------------------------

/**
 * A WebSocket in a room, resolved after its sync frame. onFrame gets the raw text of
 * every later frame: parsing is left to the caller, which knows which frames it needs.
 */
function joinRoom(node, token, slug, onFrame) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${node.wsUrl}/api/ws/rooms/${slug}`, { headers: { Authorization: `Bearer ${token}` } });
    let synced = false;
    ws.on('message', (data) => {
      const text = data.toString('utf8');
      if (synced) return onFrame(text);
      if (text.startsWith('{"type":"sync"')) { synced = true; resolve(ws); }
    });
    ws.once('unexpected-response', (_q, res) => reject(new Error(`${slug}: handshake ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

async function joinAll(specs, batch = 50) {
  const out = [];
  for (let i = 0; i < specs.length; i += batch)
    out.push(...(await Promise.all(specs.slice(i, i + batch).map((s) => joinRoom(...s)))));
  return out;
}

const closeAll = (sockets) => Promise.all(sockets.map((ws) => new Promise((r) => {
  if (ws.readyState === WebSocket.CLOSED) return r();
  ws.once('close', r);
  ws.close(1000);
})));

/**
 * A paced publisher: sends `rate` msgs/s for `seconds`, each carrying its index and send
 * time, catching up with the schedule on every timer tick (a 1 ms timer fires about
 * every 1.1 ms). Resolves with the send times, by index.
 */
async function publish(ws, rate, seconds, tag) {
  const sent = [];
  const total = Math.round(rate * seconds);
  const t0 = now();
  let lagMax = 0;
  while (sent.length < total) {
    const due = Math.min(total, Math.floor(((now() - t0) * rate) / 1000) + 1);
    if (due - sent.length > 1) lagMax = Math.max(lagMax, (due - sent.length - 1) * (1000 / rate));
    while (sent.length < due) {
      const i = sent.length;
      const t = now();
      sent.push(t);
      ws.send(JSON.stringify({ type: 'send', clientMsgId: `${tag}-${run}-${i}`, content: `${tag} ${i} ${t}`, channelId: null }));
    }
    await sleep(1);
  }
  return { sent, t0, lagMaxMs: lagMax };
}

/** A frame handler recording send → receive latency of `tag`'s messages into `into`. */
function receiver(tag, into) {
  const prefix = `"content":"${tag} `;
  return (text) => {
    const at = text.indexOf(prefix);
    if (at < 0 || !text.startsWith('{"type":"message"')) return;
    const t = now();
    const [i, sentAt] = text.slice(at + prefix.length, text.indexOf('"', at + prefix.length)).split(' ').map(Number);
    into.push({ i, ms: t - sentAt, at: t });
  };
}

function cpuMeter() {
  const c0 = process.cpuUsage();
  const t0 = now();
  return () => {
    const c = process.cpuUsage(c0);
    return Math.round(((c.user + c.system) / 1000 / (now() - t0)) * 100);
  };
}

// -- a. cross-node delivery -----------------------------------------------------------

/** One publisher on `pub` at `rate`; a subscriber on each of `subs` ({label: node}). */
async function delivery(d, pub, subs, rate, tag) {
  const lat = Object.fromEntries(Object.keys(subs).map((k) => [k, []]));
  const acks = new Map();
  const p = await joinRoom(pub, d.users[0].token, 'lobby', (text) => {
    if (text.startsWith('{"type":"ack"')) acks.set(JSON.parse(text).clientMsgId, now());
  });
  const sockets = await joinAll(Object.entries(subs).map(([label, node], k) =>
    [node, d.users[1 + k].token, 'lobby', receiver(tag, lat[label])]));
  const cpu = cpuMeter();
  const { sent, t0, lagMaxMs } = await publish(p, rate, CROSS_SECONDS, tag);
  // A saturated store catches up after the sends stop: wait (up to 60 s) for all of it,
  // so nothing of this rate's backlog lands in the next measurement.
  for (let i = 0; i < 1200 && (acks.size < sent.length || Object.values(lat).some((xs) => xs.length < sent.length)); i++) await sleep(50);
  const clientCpu = cpu();
  const counted = (xs) => xs.filter((r) => sent[r.i] - t0 >= WARMUP_MS).map((r) => r.ms);
  const ackMs = [];
  sent.forEach((t, i) => {
    const a = acks.get(`${tag}-${run}-${i}`);
    if (a !== undefined && t - t0 >= WARMUP_MS) ackMs.push(a - t);
  });
  const r = { rate, seconds: CROSS_SECONDS, sent: sent.length };
  for (const [label, xs] of Object.entries(lat)) r[label] = { received: xs.length, ...quantiles(counted(xs)) };
  Object.assign(r, { publisherAck: { acked: acks.size, ...quantiles(ackMs) }, publisherLagMaxMs: lagMaxMs, clientCpuPct: clientCpu });
  await closeAll([p, ...sockets]);
  return r;
}

async function crossNode() {
  const out = [];
  const d = await deployment(3);
  try {
    // The same cluster at each rate: a subscriber on the publisher's node and one on
    // another node receive the same messages at the same time.
    for (const rate of CROSS_RATES) {
      const r = await delivery(d, d.nodes[0], { sameNode: d.nodes[0], crossNode: d.nodes[1] }, rate, `x${rate}`);
      r.crossMinusSame = { p50: +(r.crossNode.p50 - r.sameNode.p50).toFixed(3), p99: +(r.crossNode.p99 - r.sameNode.p99).toFixed(3) };
      out.push({ store: 'postgres, 3 nodes', ...r });
    }
  } finally { await d.stop(); }
  // For reference, one SQLite node (no cluster) at the highest rate.
  const single = await deployment(0);
  try {
    out.push({ store: 'sqlite, 1 node', ...(await delivery(single, single.nodes[0], { sameNode: single.nodes[0] }, Math.max(...CROSS_RATES), 's')) });
  } finally { await single.stop(); }
  return out;
}

// -- b. durable acks ----------------------------------------------------------------

async function ackRun(d, senders, shared = false) {
  // Sender i writes to room i (created once per deployment, by its owner bench<i % 10>),
  // or, shared, every sender to the lobby's one channel: the hot-channel case, where
  // appends from every node take the same counter row lock.
  const specs = [];
  const state = [];
  for (let i = 0; i < senders; i++) {
    const st = { i, n: 0, out: new Map(), lat: [], acked: 0, ws: null, sending: true };
    state.push(st);
    const user = d.users[i % USERS];
    specs.push([d.nodes[i % d.nodes.length], user.token, shared ? 'lobby' : d.rooms[i], (text) => {
      if (!text.startsWith('{"type":"ack"')) return;
      const cm = JSON.parse(text).clientMsgId;
      const t = st.out.get(cm);
      if (t === undefined) return;
      st.out.delete(cm);
      const at = now();
      if (t - st.t0 >= WARMUP_MS) st.lat.push(at - t);
      if (at - st.t0 >= WARMUP_MS && st.sending) st.acked += 1;
      if (st.sending) send(st);
    }]);
  }
  const sockets = await joinAll(specs);
  const send = (st) => {
    const cm = `b${shared ? 's' : ''}${senders}-${run}-${st.i}-${st.n++}`;
    st.out.set(cm, now());
    st.ws.send(JSON.stringify({ type: 'send', clientMsgId: cm, content: `ack bench ${st.n}`, channelId: null }));
  };
  const cpu = cpuMeter();
  const t0 = now();
  state.forEach((st, k) => {
    st.ws = sockets[k];
    st.t0 = t0;
    for (let w = 0; w < ACK_WINDOW; w++) send(st);
  });
  await sleep(ACK_SECONDS * 1000);
  const window = (now() - t0 - WARMUP_MS) / 1000;
  state.forEach((st) => { st.sending = false; });
  for (let i = 0; i < 100 && state.some((st) => st.out.size > 0); i++) await sleep(50);
  const clientCpu = cpu();
  const lat = state.flatMap((st) => st.lat);
  const acked = state.reduce((s, st) => s + st.acked, 0);
  await closeAll(sockets);
  return {
    senders, rooms: shared ? 1 : senders, window: ACK_WINDOW, ackedPerS: Math.round(acked / window), ...quantiles(lat),
    unacked: state.reduce((s, st) => s + st.out.size, 0), clientCpuPct: clientCpu,
  };
}

async function durableAcks() {
  const out = [];
  for (const [label, n] of [['sqlite, 1 node', 0], ['postgres, 1 node', 1], ['postgres, 3 nodes', 3]]) {
    const d = await deployment(n);
    try {
      d.rooms = [];
      const rooms = Math.max(...ACK_SENDERS);
      for (let i = 0; i < rooms; i++) {
        const slug = `ack${i}`;
        const r = await api(d.nodes[i % d.nodes.length].url, d.users[i % USERS].token, 'POST', '/api/rooms', { slug, displayName: slug });
        if (r.status !== 201) throw new Error(`POST /api/rooms ${slug}: ${r.status} ${r.text}`);
        d.rooms.push(slug);
      }
      for (const senders of ACK_SENDERS) out.push({ store: label, ...(await ackRun(d, senders)) });
      if (ACK_SHARED > 0) out.push({ store: label, ...(await ackRun(d, ACK_SHARED, true)) });
    } finally { await d.stop(); }
  }
  return out;
}

// -- c. fan-out ---------------------------------------------------------------------

async function fanout(d, spread) {
  const lat = [];
  const tag = `f${spread}`;
  const onFrame = receiver(tag, lat);
  const specs = Array.from({ length: FANOUT_SUBS }, (_, i) =>
    [d.nodes[spread === 1 ? 0 : i % spread], d.users[1 + (i % (USERS - 1))].token, 'lobby', onFrame]);
  const subs = await joinAll(specs);
  const pub = await joinRoom(d.nodes[0], d.users[0].token, 'lobby', () => {});
  const cpu = cpuMeter();
  const { sent, t0, lagMaxMs } = await publish(pub, FANOUT_RATE, FANOUT_SECONDS, tag);
  const expected = sent.length * FANOUT_SUBS;
  for (let i = 0; i < 100 && lat.length < expected; i++) await sleep(50);
  const clientCpu = cpu();
  const last = lat.reduce((m, r) => Math.max(m, r.at), t0);
  await closeAll([pub, ...subs]);
  return {
    subscribers: FANOUT_SUBS, nodes: spread, rate: FANOUT_RATE, seconds: FANOUT_SECONDS,
    delivered: lat.length, expected,
    deliveriesPerS: Math.round(lat.length / ((last - t0) / 1000)),
    ...quantiles(lat.filter((r) => sent[r.i] - t0 >= WARMUP_MS).map((r) => r.ms)),
    publisherLagMaxMs: lagMaxMs, clientCpuPct: clientCpu,
  };
}

async function fanouts() {
  // One cluster: first every subscriber on node A (B and C have no client in the room,
  // so nothing crosses Redis to them), then the same number spread over A, B and C.
  const d = await deployment(3);
  try {
    return [await fanout(d, 1), await fanout(d, 3)];
  } finally { await d.stop(); }
}

// -- main ---------------------------------------------------------------------------

const cpus = os.cpus();
const result = {
  started: new Date().toISOString(),
  machine: { nproc: cpus.length, cpu: cpus[0]?.model, loadavg: os.loadavg().map((x) => +x.toFixed(2)) },
  relay: process.env.RELAY_BIN,
};
// Written after each part, so a part that fails keeps the ones before it.
const save = () => {
  result.loadavgAfter = os.loadavg().map((x) => +x.toFixed(2));
  if (process.env.OUT) writeFileSync(process.env.OUT, `${JSON.stringify(result, null, 2)}\n`);
};
try {
  if (PARTS.includes('a')) { console.error('== a. cross-node delivery'); result.crossNode = await crossNode(); save(); }
  if (PARTS.includes('b')) { console.error('== b. durable acks'); result.acks = await durableAcks(); save(); }
  if (PARTS.includes('c')) { console.error('== c. fan-out'); result.fanout = await fanouts(); save(); }
  console.log(JSON.stringify(result, null, 2));
} finally {
  for (const s of running) await s.kill9().catch(() => {});
  for (const db of databases) await psql(PG, `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`).catch(() => {});
}
