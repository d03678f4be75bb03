// Where the renderer's main thread spends its time per live message: fills the lobby's
// list with ROWS (600) messages, then traces 100 messages at 20/s (Chromium's trace, the
// devtools.timeline, v8 and blink categories) and prints the main thread's trace events
// by total duration, per message (nested events count in their parents too). CV=1 first
// adds `content-visibility: auto` to the rows (with the page's CSP bypassed), an
// experiment. Tracing itself slows the page: compare runs with each other, not with
// run.mjs's numbers.
//
//   RELAY_BIN=build-bench/relay ROWS=600 node benchmarks/web/trace-live.mjs
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
process.env.RELAY_BIN ??= join(ROOT, 'build-bench', 'relay');
const { startStack, launchBrowser } = await import('../../tests/browser/harness.mjs');
const { createUser, uniq, FAST_SEND_ARGS } = await import('../../tests/integration/harness.mjs');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const stack = await startStack({ args: FAST_SEND_ARGS });
const browser = await launchBrowser();
const ROWS = Number(process.env.ROWS ?? 600);
try {
  const tok = await createUser(stack.relay.dataDir, uniq('snd'));
  const ws = new WebSocket(`${stack.base.replace(/^http/, 'ws')}/api/ws/rooms/lobby`, { headers: { Authorization: `Bearer ${tok}` } });
  await new Promise((r) => ws.once('open', r));
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, bypassCSP: !!process.env.CV });
  const page = await context.newPage();
  await page.goto(`${stack.base}/auth/dev?login=${uniq('v')}&next=/r/lobby`);
  await page.getByRole('textbox', { name: /^Message / }).waitFor();
  if (process.env.CV) await page.addStyleTag({ content: '.messages li.msg { content-visibility: auto; contain-intrinsic-size: auto 52px; }' });
  let n = 0;
  const send = (t) => ws.send(JSON.stringify({ type: 'send', clientMsgId: `x${n++}`, content: t ?? `message number ${n} with a few words in it`, channelId: null }));
  for (let i = 0; i < ROWS; i++) { send(); await sleep(10); }
  await sleep(3000);
  console.log('rows', await page.locator('li.msg').count());
  await browser.startTracing(page, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8', 'blink'] });
  for (let i = 0; i < 100; i++) { send(); await sleep(50); }
  await sleep(500);
  const buf = await browser.stopTracing();
  const trace = JSON.parse(buf.toString());
  const events = trace.traceEvents ?? trace;
  const main = events.find((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
  const by = new Map();
  for (const e of events) {
    if (e.ph !== 'X' || e.pid !== main.pid || e.tid !== main.tid) continue;
    by.set(e.name, (by.get(e.name) ?? 0) + (e.dur ?? 0) / 1000);
  }
  const top = [...by].sort((a, b) => b[1] - a[1]).slice(0, 25);
  for (const [k, v] of top) console.log(k.padEnd(40), (v / 100).toFixed(2), 'ms/msg');
} finally { await browser.close(); await stack.stop(); }
