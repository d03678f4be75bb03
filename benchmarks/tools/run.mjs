// Tool-call latency (issue 24, "The API as tools"): what running a REST operation as a
// tool costs over calling the route directly. The same operations, taking turns, over
// REST, POST /api/tools/call and MCP tools/call on one keep-alive connection each:
// p50/p99/max per kind, and the tool's overhead over REST at p50.
//
//   RELAY_BIN=build-bench/relay node benchmarks/tools/run.mjs
//
// Knobs (environment): ROUNDS (500 per kind), HISTORY (200 messages in the room first).
// Numbers from a sanitizer build measure the sanitizer; use a release binary.
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
process.env.RELAY_BIN ??= join(ROOT, 'build-bench', 'relay');
const { startRelay, createUser, FAST_SEND_ARGS } = await import('../../tests/integration/harness.mjs');

const ROUNDS = Number(process.env.ROUNDS ?? 500);
const HISTORY = Number(process.env.HISTORY ?? 200);

const relay = await startRelay({ args: FAST_SEND_ARGS });
try {
  const token = await createUser(relay.dataDir, 'bench');
  const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
  const call = async (method, path, body) => {
    const res = await fetch(relay.url + path, { method, headers, body: body && JSON.stringify(body) });
    const json = await res.json();
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  for (let i = 0; i < HISTORY; i++) await call('POST', '/api/rooms/lobby/messages', { content: `m${i}` });

  let n = 0;
  const mcp = (name, args) => call('POST', '/mcp', { jsonrpc: '2.0', id: ++n, method: 'tools/call', params: { name, arguments: args } });
  const kinds = {
    'send/rest': () => call('POST', '/api/rooms/lobby/messages', { content: `r${++n}` }),
    'send/tool': () => call('POST', '/api/tools/call', { name: 'send_message', arguments: { room: 'lobby', content: `t${++n}` } }),
    'send/mcp': () => mcp('send_message', { room: 'lobby', content: `c${++n}` }),
    'history/rest': () => call('GET', '/api/rooms/lobby/messages?limit=20'),
    'history/tool': () => call('POST', '/api/tools/call', { name: 'read_history', arguments: { room: 'lobby', limit: 20 } }),
    'history/mcp': () => mcp('read_history', { room: 'lobby', limit: 20 }),
  };
  const samples = Object.fromEntries(Object.keys(kinds).map((k) => [k, []]));
  // The kinds take turns, so a slow moment of the machine falls on all of them alike.
  for (let i = 0; i < ROUNDS; i++)
    for (const [kind, run] of Object.entries(kinds)) {
      const t = performance.now();
      await run();
      samples[kind].push(performance.now() - t);
    }
  const results = {};
  for (const [kind, ms] of Object.entries(samples)) {
    ms.sort((a, b) => a - b);
    const q = (p) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))];
    results[kind] = { p50: +q(0.5).toFixed(3), p99: +q(0.99).toFixed(3), max: +ms[ms.length - 1].toFixed(3) };
  }
  const cpus = os.cpus();
  console.log(JSON.stringify({
    machine: `${cpus.length} × ${cpus[0]?.model}, load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`,
    binary: process.env.RELAY_BIN, rounds: ROUNDS, history: HISTORY, results,
    toolOverP50Ms: {
      send: +(results['send/tool'].p50 - results['send/rest'].p50).toFixed(3),
      history: +(results['history/tool'].p50 - results['history/rest'].p50).toFixed(3),
    },
  }, null, 2));
} finally {
  await relay.stop().catch(() => {});
}
