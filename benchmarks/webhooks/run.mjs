// Outbound webhooks under load (issue 24, "Benchmarks"): a room with HOOKS webhooks on
// message.created, each pointing at its own path of a local receiver (a separate Node
// process, so the senders' work does not delay its clock), and CLIENTS WebSocket clients
// sending in it.
//   1. steady: RATE messages/s in total for STEADY_S seconds, spread evenly over the
//      clients ("a busy room");
//   2. max: MAX_MSGS messages as fast as the clients can send them (each keeps WINDOW sends
//      in flight, a new one on each ack): a backlog the dispatcher works off at its best
//      rate.
//   3. blackhole (BLACKHOLE_S > 0): one more hook whose receiver accepts the connection and
//      never answers (each request waits for the 10 s timeout), then RATE messages/s for
//      BLACKHOLE_S seconds: the healthy hooks' latency beside it (head-of-line blocking).
// Each phase then waits until every delivery has arrived (or DRAIN_S passes without one).
// Per delivery: latency from the client's send to the receiver reading the request
// (and from the send's ack), p50/p99/max; deliveries/s while the phase lasted (first send
// to last delivery); lost (a message × hook never received), duplicates (received again:
// at-least-once allows them, counted apart) and bad signatures (X-Relay-Signature,
// checked with Node's crypto on every request).
//
//   RELAY_BIN=build-bench/relay node benchmarks/webhooks/run.mjs
//
// Knobs (environment) [defaults]: HOOKS [10], CLIENTS [5], RATE [20], STEADY_S [20],
// MAX_MSGS [1000], WINDOW [8], DRAIN_S [30], BLACKHOLE_S [10]. Prints one JSON object.
// Numbers from a sanitizer build measure the sanitizer; use a release binary.
import { fork } from 'node:child_process';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = fileURLToPath(import.meta.url);
const ROOT = join(dirname(HERE), '..', '..');

// Wall-clock milliseconds with sub-millisecond resolution, comparable across the two
// processes (both read the same system clock at start).
const nowMs = () => performance.timeOrigin + performance.now();

if (process.argv[2] === '--receiver') receiver();
else await main();

// The receiver process: one HTTP server, path /h<i> for hook i. Checks the signature,
// answers 200, and keeps (hook, clientMsgId, arrival, webhook-id) per request.
function receiver() {
  let keys = [];  // hook index -> HMAC key bytes
  const got = [];
  let bad = 0;
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const at = nowMs();
      const body = Buffer.concat(chunks).toString('utf8');
      const hook = Number(req.url.slice(2));
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('ok');
      const header = req.headers['x-relay-signature'] ?? '';
      const parts = header.split(',').map((p) => p.split('='));
      const t = parts.find(([k]) => k === 't')?.[1];
      const want = keys[hook] && createHmac('sha256', keys[hook]).update(`${t}.${body}`).digest();
      const ok = want && parts.filter(([k]) => k === 'v1').some(([, hex]) => {
        const sig = Buffer.from(hex, 'hex');
        return sig.length === want.length && timingSafeEqual(sig, want);
      });
      if (!ok) bad++;
      let cid = null;
      try { cid = JSON.parse(body).data?.clientMsgId ?? null; } catch { /* counted as lost */ }
      got.push([hook, cid, at, req.headers['webhook-id']]);
    });
  });
  process.on('message', (m) => {
    if (m.keys) keys = m.keys.map((s) => Buffer.from(s.replace(/^whsec_/, ''), 'base64'));
    if (m.take) {
      // Hands over what arrived since the last take.
      process.send({ got: got.splice(0), bad });
    }
    if (m.exit) server.close(() => process.exit(0));
  });
  server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
}

async function main() {
  process.env.RELAY_BIN ??= join(ROOT, 'build-bench', 'relay');
  const { startRelay, newUser, newRoom, api } = await import('../../tests/integration/harness.mjs');
  const { default: WebSocket } = await import('ws');

  const HOOKS = Number(process.env.HOOKS ?? 10);
  const CLIENTS = Number(process.env.CLIENTS ?? 5);
  const RATE = Number(process.env.RATE ?? 20);
  const STEADY_S = Number(process.env.STEADY_S ?? 20);
  const MAX_MSGS = Number(process.env.MAX_MSGS ?? 1000);
  const WINDOW = Number(process.env.WINDOW ?? 8);
  const DRAIN_S = Number(process.env.DRAIN_S ?? 30);
  const BLACKHOLE_S = Number(process.env.BLACKHOLE_S ?? 10);
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  const rx = fork(HERE, ['--receiver'], { stdio: 'inherit' });
  const fromRx = [];
  const rxWaiters = [];
  rx.on('message', (m) => { const w = rxWaiters.shift(); if (w) w(m); else fromRx.push(m); });
  const rxNext = () => (fromRx.length ? Promise.resolve(fromRx.shift()) : new Promise((r) => rxWaiters.push(r)));
  const { port } = await rxNext();

  const relay = await startRelay({
    args: ['--webhook-allowed-hosts', '127.0.0.1',
      '--send-rate', '100000', '--send-burst', '100000',
      '--user-send-rate', '100000', '--user-send-burst', '100000'],
  });
  const holes = new Set();
  let holeServer = null;
  const loads = [];
  const loadTimer = setInterval(() => loads.push(os.loadavg()[0]), 5000);
  const sockets = [];
  try {
    const owner = await newUser(relay, 'who');
    const slug = await newRoom(relay, owner);
    const secrets = [];
    for (let i = 0; i < HOOKS; i++) {
      const r = await api(relay.url, owner.token, 'POST', `/api/rooms/${slug}/webhooks`,
        { url: `http://127.0.0.1:${port}/h${i}`, events: ['message.created'], description: `bench ${i}` });
      if (r.status !== 201) throw new Error(`webhook ${i}: ${r.status} ${r.text}`);
      secrets.push(r.json.secret);
    }
    rx.send({ keys: secrets });

    // Every send: clientMsgId -> [sent at, acked at].
    const sends = new Map();
    let phaseTag = '';
    let n = 0;
    for (let c = 0; c < CLIENTS; c++) {
      const user = c === 0 ? owner : await newUser(relay, `wc${c}`);
      const ws = new WebSocket(`${relay.wsUrl}/api/ws/rooms/${slug}`, { headers: { Authorization: `Bearer ${user.token}` } });
      await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
      const client = { ws, inFlight: 0, onAck: null, errors: 0 };
      ws.on('message', (data) => {
        const s = data.toString('utf8');
        // Only this socket's acks and errors matter; the room's fan-out is skipped unparsed.
        if (!s.startsWith('{"type":"ack"') && !s.startsWith('{"type":"error"')) return;
        const f = JSON.parse(s);
        const rec = sends.get(f.clientMsgId);
        if (f.type === 'error') { client.errors++; if (rec) sends.delete(f.clientMsgId); }
        else if (rec) rec[1] = nowMs();
        client.inFlight--;
        client.onAck?.();
      });
      client.send = () => {
        const id = `${phaseTag}${c}_${++n}`;
        sends.set(id, [nowMs(), 0, phaseTag]);
        client.inFlight++;
        ws.send(JSON.stringify({ type: 'send', clientMsgId: id, content: `webhook bench ${id}`, channelId: null }));
      };
      sockets.push(client);
    }

    const arrivals = [];  // [hook, clientMsgId, at, webhook-id]
    let badSignatures = 0;
    const collect = async () => {
      rx.send({ take: true });
      const m = await rxNext();
      for (const g of m.got) arrivals.push(g);
      badSignatures = m.bad;
    };
    const expectedOf = (tag) => [...sends.values()].filter((s) => s[2] === tag).length * HOOKS;
    const arrivedOf = (tag) => arrivals.filter((a) => a[1]?.startsWith(tag)).length;

    // Waits until every delivery of the phase is in, or DRAIN_S passes without a new one.
    async function drain(tag) {
      let last = arrivedOf(tag);
      let still = 0;
      for (;;) {
        await sleep(250);
        await collect();
        const now = arrivedOf(tag);
        if (now >= expectedOf(tag) || still >= DRAIN_S * 4) return;
        still = now === last ? still + 1 : 0;
        last = now;
      }
    }

    async function steady(tag, seconds = STEADY_S) {
      phaseTag = tag;
      const started = nowMs();
      const total = Math.round(RATE * seconds);
      let sent = 0;
      // Even spacing: message k goes out at started + k / RATE, round robin over clients.
      while (sent < total) {
        const due = Math.min(total, Math.floor(((nowMs() - started) / 1000) * RATE) + 1);
        while (sent < due) sockets[sent++ % CLIENTS].send();
        await sleep(Math.max(1, started + (sent / RATE) * 1000 - nowMs()));
      }
      const sendEnd = nowMs();
      await drain(tag);
      return { started, sendEnd };
    }

    async function flat(tag) {
      phaseTag = tag;
      const started = nowMs();
      let left = MAX_MSGS;
      let done = 0;
      await new Promise((resolve) => {
        for (const cl of sockets) {
          cl.onAck = () => {
            if (left > 0) { while (cl.inFlight < WINDOW && left > 0) { left--; cl.send(); } return; }
            if (cl.inFlight === 0 && ++done === CLIENTS) resolve();
          };
          while (cl.inFlight < WINDOW && left > 0) { left--; cl.send(); }
        }
      });
      for (const cl of sockets) cl.onAck = null;
      const sendEnd = nowMs();
      await drain(tag);
      return { started, sendEnd };
    }

    function report(tag, { started, sendEnd }) {
      const mine = arrivals.filter((a) => a[1]?.startsWith(tag));
      const seen = new Set();
      const fromSend = [];
      const fromAck = [];
      let dup = 0;
      let lastAt = started;
      for (const [hook, cid, at] of mine) {
        const key = `${hook} ${cid}`;
        if (seen.has(key)) { dup++; continue; }
        seen.add(key);
        const s = sends.get(cid);
        if (!s) continue;
        fromSend.push(at - s[0]);
        if (s[1]) fromAck.push(at - s[1]);
        lastAt = Math.max(lastAt, at);
      }
      const msgs = [...sends.values()].filter((s) => s[2] === tag);
      const q = (xs) => {
        xs.sort((a, b) => a - b);
        const at = (p) => +xs[Math.min(xs.length - 1, Math.floor(p * xs.length))].toFixed(1);
        return xs.length ? { p50: at(0.5), p99: at(0.99), max: +xs[xs.length - 1].toFixed(1) } : null;
      };
      const sendS = (sendEnd - started) / 1000;
      return {
        messages: msgs.length,
        messagesPerS: +(msgs.length / sendS).toFixed(1),
        expected: msgs.length * HOOKS,
        delivered: seen.size,
        lost: msgs.length * HOOKS - seen.size,
        duplicates: dup,
        deliveriesPerS: +(seen.size / ((lastAt - started) / 1000)).toFixed(1),
        sendSeconds: +sendS.toFixed(1),
        lastDeliveryAfterSendEndS: +((lastAt - sendEnd) / 1000).toFixed(1),
        latencyFromSendMs: q(fromSend),
        latencyFromAckMs: q(fromAck),
      };
    }

    const results = {};
    results.steady = report('s', await steady('s'));
    results.max = report('m', await flat('m'));
    if (BLACKHOLE_S > 0) {
      // Its deliveries never arrive, so the phase's expected count is the healthy hooks'.
      const hole = createTcpServer((sock) => { holes.add(sock); sock.on('error', () => {}); sock.on('close', () => holes.delete(sock)); });
      await new Promise((resolve) => hole.listen(0, '127.0.0.1', resolve));
      holeServer = hole;
      const r = await api(relay.url, owner.token, 'POST', `/api/rooms/${slug}/webhooks`,
        { url: `http://127.0.0.1:${hole.address().port}/hole`, events: ['message.created'], description: 'black hole' });
      if (r.status !== 201) throw new Error(`black-hole webhook: ${r.status} ${r.text}`);
      results.blackhole = report('b', await steady('b', BLACKHOLE_S));
    }
    const errors = sockets.reduce((a, c) => a + c.errors, 0);
    const cpus = os.cpus();
    console.log(JSON.stringify({
      bench: 'webhooks',
      machine: `${cpus.length} × ${cpus[0]?.model}`,
      loadavg1DuringRun: loads.map((x) => +x.toFixed(2)),
      loadavgAtEnd: os.loadavg().map((x) => +x.toFixed(2)),
      binary: process.env.RELAY_BIN,
      hooks: HOOKS, clients: CLIENTS, rate: RATE, steadyS: STEADY_S, maxMsgs: MAX_MSGS, window: WINDOW,
      blackholeS: BLACKHOLE_S,
      sendErrors: errors, badSignatures, results,
    }));
  } finally {
    clearInterval(loadTimer);
    for (const s of sockets) s.ws.terminate();
    await relay.stop().catch((e) => console.error(String(e).slice(0, 2000)));
    rx.send({ exit: true });
    for (const h of holes) h.destroy();
    holeServer?.close();
  }
}
