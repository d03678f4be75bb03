// Backpressure end to end for agent streams (docs/agents.md, "Backpressure"): when an
// app stops reading, Relay stops reading from the agent's socket instead of buffering;
// server memory stays flat, the app is not disconnected, and once it reads again every
// token arrives, in order.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import { startRelay, relayCli, uniq } from './harness.mjs';

const CAP = 256 * 1024;
let relay;
before(async () => {
  relay = await startRelay({
    args: ['--out-queue-bytes', String(CAP), '--agent-idle-seconds', '60'],
    // Under AddressSanitizer freed memory sits in a quarantine that counts as RSS; keep
    // it small so RSS follows what the server really holds.
    env: { ASAN_OPTIONS: `${process.env.ASAN_OPTIONS ?? ''}:quarantine_size_mb=1` },
  });
});
after(async () => { await relay?.stop(); });

const rssKb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${relay.proc.pid}/status`, 'utf8'))[1]);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function connect(path, token) {
  const ws = new WebSocket(`${relay.wsUrl}${path}`, { headers: { Authorization: `Bearer ${token}` } });
  return new Promise((resolve, reject) => { ws.once('open', () => resolve(ws)); ws.once('error', reject); });
}

test('a stalled app pauses its agent instead of growing memory; nothing is lost after', async () => {
  const agentId = uniq('bp');
  const agentToken = (await relayCli(relay.dataDir, 'agent', 'add', agentId)).trim();
  const appToken = (await relayCli(relay.dataDir, 'app', 'add', uniq('app'), '--allow', agentId)).trim();
  const TOKENS = 10000;
  const chunk = 'x'.repeat(2000);
  const agent = await connect('/v1/ws/agent', agentToken);
  let eventId;
  agent.on('message', (d) => {
    const f = JSON.parse(d.toString());
    if (f.type !== 'event') return;
    eventId = f.event_id;
    // As fast as the socket takes it: ~20 MB, far more than the app's 256 KiB cap.
    for (let i = 1; i <= TOKENS; i++) agent.send(JSON.stringify({ type: 'token', event_id: f.event_id, token: `${i}:${chunk}` }));
    agent.send(JSON.stringify({ type: 'reply', event_id: f.event_id, content: 'done', done: true }));
  });

  const app = await connect('/v1/ws/app', appToken);
  const frames = [];
  let closed = null;
  app.on('close', (code) => { closed = code; });
  app.on('message', (d) => frames.push(JSON.parse(d.toString())));
  await sleep(200);
  const before = rssKb();
  app.send(JSON.stringify({ type: 'event', agent_id: agentId, thread_id: 't', payload: { q: 1 } }));
  // The answer to the event: `accepted`, or a refusal (then there is nothing to test).
  while (!frames.some((f) => f.type === 'accepted' || f.type === 'error')) await sleep(5);
  assert.equal(frames[0].type, 'accepted', JSON.stringify(frames[0]));
  app.pause(); // the app stops reading (ws.pause: its own backpressure cannot resume the socket)

  // Until the kernel's socket buffers toward the app fill up, tokens still flow; from
  // then on the server must hold steady.
  await sleep(1500);
  const settled = rssKb();
  await sleep(2000);
  const during = rssKb();
  assert.equal(closed, null, 'the app is not disconnected');
  assert.ok(eventId, 'the agent got the event');
  assert.ok(agent.bufferedAmount > 5 * 1024 * 1024,
    `Relay stopped reading the agent: ${agent.bufferedAmount} bytes wait on the agent's side`);
  assert.ok(during - settled < 2 * 1024, `server RSS kept growing while the app stalled: ${settled} -> ${during} KiB`);
  assert.ok(during - before < 16 * 1024, `server RSS grew ${during - before} KiB while the app stalled`);

  app.resume();
  const deadline = Date.now() + 60000;
  while (!frames.some((f) => f.type === 'reply' || f.type === 'error') && Date.now() < deadline) await sleep(20);
  const tokens = frames.filter((f) => f.type === 'token');
  assert.equal(tokens.length, TOKENS, 'every token arrived');
  tokens.forEach((t, i) => {
    assert.equal(t.seq, i + 1);
    assert.ok(t.token.startsWith(`${i + 1}:`), 'in the agent\'s order');
  });
  assert.equal(frames.filter((f) => f.type === 'reply').length, 1);
  assert.equal(closed, null);
  agent.close(); app.close();
});
