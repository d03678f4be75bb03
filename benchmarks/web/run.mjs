#!/usr/bin/env node
// Performance of the browser client (web/dist) served by a Release Relay, driven by
// Debian's Chromium through playwright-core exactly as tests/browser/harness.mjs does.
// What it measures, and the budgets of issue 21 (benchmarks/README.md, "The browser
// client"):
//
//   first load     bytes of JS + CSS a first visit fetches, as sent (gzip)    <= 100 KB
//   lobby          navigation -> the lobby's newest message on screen, warm
//                  cache (median of WARM_LOADS) and cold (fresh context)      <= 300 ms
//   big channel    a channel of BIG_MESSAGES (100,000) messages opens as fast
//                  as an empty one (and one of 60), with exactly one history
//                  request
//   live           LIVE_RATE (20) messages/s from another client for
//                  LIVE_SECONDS (60), after 600 at 100/s that fill the list to
//                  the client's cap (650 rows; trimmed to 600 past 700, so the
//                  minute holds a dozen trims): no long task > 50 ms, JS heap
//                  and DOM nodes flat
//
// Times are taken in the page (performance.now(), whose origin is the navigation's
// start): a MutationObserver installed before any of the client's scripts notes when the
// awaited row enters the DOM (`dom`), and the next animation frame (`frame`: the frame
// that paints it starts then) checks that it is inside the message log's visible box.
//
//   scripts/web.sh && npm ci                         # web/dist, playwright-core, ws
//   RELAY_BIN=build-bench/relay node benchmarks/web/run.mjs
//
// Knobs (environment): RELAY_BIN (build-bench/relay), BIG_MESSAGES (100000),
// WARM_LOADS (10), COLD_LOADS (5), LIVE_SECONDS (60), LIVE_RATE (20),
// RESULTS (benchmarks/results/<stamp>-web.json).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
process.env.RELAY_BIN ??= join(ROOT, 'build-bench', 'relay');
// The harnesses read RELAY_BIN when they load, hence the dynamic imports.
const { startStack, launchBrowser, watchErrors } = await import('../../tests/browser/harness.mjs');
const { api, createUser, uniq, FAST_SEND_ARGS } = await import('../../tests/integration/harness.mjs');

const num = (name, dflt) => Number(process.env[name] ?? dflt);
const BIG = num('BIG_MESSAGES', 100000);
const WARM = num('WARM_LOADS', 10);
const COLD = num('COLD_LOADS', 5);
const LIVE_SECONDS = num('LIVE_SECONDS', 60);
const LIVE_RATE = num('LIVE_RATE', 20);
const VIEWPORT = { width: 1280, height: 800 };
const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
const RESULTS = process.env.RESULTS ?? join(ROOT, 'benchmarks', 'results', `${stamp}-web.json`);

const log = (...a) => console.error(new Date().toISOString().slice(11, 19), ...a);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
};
const r1 = (x) => Math.round(x * 10) / 10;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- the machine -------------------------------------------------------------------

function machine() {
  const cpu = readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m)?.[1] ?? '?';
  let relayVersion = '?';
  try { relayVersion = execFileSync(process.env.RELAY_BIN, ['--version'], { encoding: 'utf8' }).trim(); } catch { /* old binary */ }
  let head = '?';
  try { head = execFileSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim(); } catch { /* not a checkout */ }
  return {
    nproc: os.availableParallelism?.() ?? os.cpus().length,
    cpu,
    memGiB: r1(os.totalmem() / 2 ** 30),
    kernel: os.release(),
    node: process.version,
    relay: relative(ROOT, process.env.RELAY_BIN) || process.env.RELAY_BIN,
    relayVersion,
    head,
  };
}
const loadavg = () => os.loadavg().map((x) => Math.round(x * 100) / 100);
/** Busy and total jiffies of all CPUs (/proc/stat), to say how busy the machine was. */
const cpuTimes = () => {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = f[3] + f[4];
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
};
const cpuAtStart = cpuTimes();

// ---- seeding through the API, as any client writes -----------------------------------

const WORDS = ('the a deploy build fix review merge branch test flaky green red ship it '
  + 'tomorrow today lunch coffee `make test` **done** ok thanks looks good to me why not '
  + 'the cache was cold again on staging https://example.com/runbook see above').split(' ');
function content(i) {
  let x = (i * 2654435761) >>> 0;
  const n = 4 + (x % 18);
  const out = [];
  for (let k = 0; k < n; k++) { x = (x * 1103515245 + 12345) >>> 0; out.push(WORDS[x % WORDS.length]); }
  return `${out.join(' ')} #${i}`;
}

/** Opens a room's socket with a token; resolves once the `sync` frame arrived. */
function roomSocket(wsBase, token, slug) {
  const ws = new WebSocket(`${wsBase}/api/ws/rooms/${slug}`, { headers: { Authorization: `Bearer ${token}` } });
  return new Promise((resolve, reject) => {
    ws.once('error', reject);
    ws.once('unexpected-response', (_q, res) => reject(new Error(`handshake: HTTP ${res.statusCode}`)));
    ws.on('message', function first(data) {
      if (JSON.parse(data.toString()).type === 'sync') { ws.off('message', first); resolve(ws); }
    });
  });
}

/**
 * Sends `n` messages to `channelId` (null = the room-wide thread) over one socket per
 * token, each keeping `window` sends unacknowledged; text(i) gives message i's content.
 * Then sends `last` alone, so it is the newest. Resolves when every one is acknowledged
 * (stored); returns messages/s.
 */
async function seed(wsBase, tokens, slug, channelId, n, text, last, window = 64) {
  const run = uniq('s');
  const sockets = await Promise.all(tokens.map((t) => roomSocket(wsBase, t, slug)));
  const started = Date.now();
  let next = 0;
  let acked = 0;
  const frame = (i, c) => JSON.stringify({ type: 'send', clientMsgId: `${run}-${i}`, content: c, channelId });
  await new Promise((resolve, reject) => {
    const sendOne = (ws) => { if (next < n) { ws.send(frame(next, text(next))); next += 1; } };
    for (const ws of sockets) {
      ws.on('message', (data) => {
        const s = data.toString();
        if (s.startsWith('{"type":"ack"')) {
          acked += 1;
          if (acked === n) ws.send(frame(n, last));
          else if (acked === n + 1) resolve();
          else sendOne(ws);
        } else if (s.startsWith('{"type":"error"')) {
          reject(new Error(`seeding: ${s}`));
        }
      });
      for (let k = 0; k < window; k++) sendOne(ws);
    }
  });
  const seconds = (Date.now() - started) / 1000;
  for (const ws of sockets) ws.close();
  return (n + 1) / seconds;
}

// ---- the in-page probe -----------------------------------------------------------------

/**
 * Runs in the page before the client's scripts (addInitScript, which the page's CSP does
 * not govern). Waits for `target`: {text} = the last message row contains it, or
 * {start: true} = the log says "This is the start of …" (an empty channel, loaded).
 */
function probe(target) {
  const p = { target, dom: null, frame: null, inView: null, loaded: null, longtasks: [] };
  window.__probe = p;
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) p.longtasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  } catch { /* no longtask support: reported as such */ p.longtasks = null; }
  // The room's socket: created, open, first frame (the `sync`), for the breakdown.
  p.sockets = [];
  const NativeWebSocket = window.WebSocket;
  window.WebSocket = class extends NativeWebSocket {
    constructor(...args) {
      super(...args);
      const t = { created: performance.now(), open: null, firstFrame: null };
      p.sockets.push(t);
      this.addEventListener('open', () => { t.open = performance.now(); });
      this.addEventListener('message', () => { t.firstFrame ??= performance.now(); });
    }
  };
  const find = () => {
    if (p.target.start) {
      const el = document.querySelector('.messages p.older');
      return el && el.textContent.startsWith('This is the start') ? el : null;
    }
    const rows = document.querySelectorAll('.messages li.msg');
    const last = rows[rows.length - 1];
    return last && last.textContent.includes(p.target.text) ? last : null;
  };
  const check = () => {
    // The history page in place: the log stops being aria-busy (after a switch in the
    // app, once it has been busy for the new channel).
    if (p.awaitBusy && document.querySelector('.messages[aria-busy="true"]')) p.awaitBusy = false;
    if (!p.awaitBusy && p.loaded === null && document.querySelector('.messages[aria-busy="false"]')) p.loaded = performance.now();
    if (p.dom !== null) return;
    const el = find();
    if (!el) return;
    p.dom = performance.now();
    requestAnimationFrame(() => {
      p.frame = performance.now();
      const box = el.closest('.messages').getBoundingClientRect();
      const r = el.getBoundingClientRect();
      p.inView = r.height > 0 && r.top >= box.top - 1 && r.bottom <= box.bottom + 1 && r.bottom <= innerHeight + 1;
    });
  };
  p.rearm = (t) => { p.target = t; p.dom = null; p.frame = null; p.inView = null; p.loaded = null; p.awaitBusy = true; check(); };
  new MutationObserver(check).observe(document, {
    childList: true, subtree: true, characterData: true, attributes: true, attributeFilter: ['aria-busy'],
  });
}

/** Counts the page's requests for a room's history (GET /api/rooms/<slug>/messages). */
function countHistory(page, slug) {
  const c = { n: 0 };
  page.on('request', (r) => {
    if (new URL(r.url()).pathname === `/api/rooms/${slug}/messages`) c.n += 1;
  });
  return c;
}

/**
 * Opens `path` in a new tab of `context` and waits for `target`. Returns the probe's
 * times (ms from the navigation's start), the navigation timing and the history requests.
 */
async function timedOpen(context, base, path, target, slug) {
  const page = watchErrors(await context.newPage());
  await page.addInitScript(probe, target);
  const history = countHistory(page, slug);
  await page.goto(`${base}${path}`);
  await page.waitForFunction(() => window.__probe.frame !== null, null, { timeout: 30000 });
  await sleep(1000); // a second history request (a first page shorter than the view) would come now
  const r = await page.evaluate(() => {
    const p = window.__probe;
    const nav = performance.getEntriesByType('navigation')[0];
    const assets = performance.getEntriesByType('resource')
      .filter((e) => /\/assets\/.*\.(js|css)$/.test(new URL(e.name).pathname))
      .map((e) => ({ path: new URL(e.name).pathname, encoded: e.encodedBodySize, decoded: e.decodedBodySize, transfer: e.transferSize }));
    // Where the time went: each API call's start and end (the WebSocket is not listed).
    const calls = performance.getEntriesByType('resource')
      .filter((e) => new URL(e.name).pathname.startsWith('/api/'))
      .map((e) => `${new URL(e.name).pathname.replace(/^\/api\/rooms\/[^/]+/, '…')} ${Math.round(e.startTime)}-${Math.round(e.responseEnd)}`);
    for (const w of p.sockets) calls.push(`ws ${Math.round(w.created)}-${Math.round(w.open)}, sync ${Math.round(w.firstFrame)}`);
    return {
      dom: p.dom, frame: p.frame, inView: p.inView, loaded: p.loaded, calls,
      longtasks: p.longtasks,
      responseEnd: nav.responseEnd, domContentLoaded: nav.domContentLoadedEventEnd,
      html: { encoded: nav.encodedBodySize, transfer: nav.transferSize },
      assets,
    };
  });
  r.historyRequests = history.n;
  r.errors = page.errors.map((e) => e.message);
  await page.close();
  return r;
}

async function signedInContext(browser, base, login) {
  const context = await browser.newContext({ viewport: VIEWPORT });
  const page = watchErrors(await context.newPage());
  await page.goto(`${base}/auth/dev?login=${encodeURIComponent(login)}&next=/r/lobby`);
  await page.getByRole('textbox', { name: /^Message / }).waitFor();
  await page.close();
  return context;
}

const summary = (runs) => ({
  dom_ms: { median: r1(median(runs.map((x) => x.dom))), min: r1(Math.min(...runs.map((x) => x.dom))), max: r1(Math.max(...runs.map((x) => x.dom))) },
  frame_ms: { median: r1(median(runs.map((x) => x.frame))), min: r1(Math.min(...runs.map((x) => x.frame))), max: r1(Math.max(...runs.map((x) => x.frame))) },
  // The newest page of history in place (the first row can come earlier, from the socket's sync).
  loaded_ms: { median: r1(median(runs.map((x) => x.loaded))), min: r1(Math.min(...runs.map((x) => x.loaded))), max: r1(Math.max(...runs.map((x) => x.loaded))) },
  all_in_view: runs.every((x) => x.inView),
  history_requests: [...new Set(runs.map((x) => x.historyRequests))],
  longest_task_ms: r1(Math.max(0, ...runs.flatMap((x) => (x.longtasks ?? []).map((t) => t.duration)))),
});

const brief = (x) => ({
  dom: r1(x.dom), frame: r1(x.frame), loaded: r1(x.loaded), responseEnd: r1(x.responseEnd),
  domContentLoaded: r1(x.domContentLoaded), calls: x.calls,
});

// ---- the run -----------------------------------------------------------------------

const result = { stamp, machine: machine(), loadavg_start: loadavg(), settings: { BIG, WARM, COLD, LIVE_SECONDS, LIVE_RATE, viewport: VIEWPORT } };
log('machine', JSON.stringify(result.machine), 'load', result.loadavg_start.join(' '));

const stack = await startStack({ args: FAST_SEND_ARGS });
const browser = await launchBrowser();
result.machine.chromium = browser.version();
const base = stack.base;
const wsBase = base.replace(/^http/, 'ws');
const errors = [];
try {
  const dataDir = stack.relay.dataDir;
  const seeders = await Promise.all(['ann', 'ben', 'cyd'].map((l) => createUser(dataDir, uniq(l))));

  // The lobby: 200 messages, the newest one marked.
  const newest = `lobby newest ${stamp}`;
  await seed(wsBase, seeders, 'lobby', null, 199, content, newest, 4);
  const viewer = uniq('viewer');
  const warm = await signedInContext(browser, base, viewer);
  const cookies = await warm.cookies();

  // Cold: a fresh context (empty HTTP cache, the session cookie only), a new renderer.
  // One throwaway context first, so the browser process itself is not cold.
  {
    const ctx = await browser.newContext();
    await (await ctx.newPage()).goto('about:blank');
    await ctx.close();
  }
  log('lobby: cold loads');
  const cold = [];
  for (let i = 0; i < COLD; i++) {
    const ctx = await browser.newContext({ viewport: VIEWPORT });
    await ctx.addCookies(cookies);
    cold.push(await timedOpen(ctx, base, '/r/lobby', { text: newest }, 'lobby'));
    await ctx.close();
  }
  // Warm: new tabs of the signed-in context (index.html revalidated, assets from cache).
  await timedOpen(warm, base, '/r/lobby', { text: newest }, 'lobby'); // fills the cache
  log('lobby: warm loads');
  const warmRuns = [];
  for (let i = 0; i < WARM; i++) warmRuns.push(await timedOpen(warm, base, '/r/lobby', { text: newest }, 'lobby'));
  errors.push(...cold.flatMap((x) => x.errors), ...warmRuns.flatMap((x) => x.errors));

  const first = cold[0];
  const js = first.assets.filter((a) => a.path.endsWith('.js'));
  const css = first.assets.filter((a) => a.path.endsWith('.css'));
  const sum = (xs, k) => xs.reduce((s, a) => s + a[k], 0);
  result.first_load = {
    assets: first.assets,
    js_gzip_bytes: sum(js, 'encoded'), css_gzip_bytes: sum(css, 'encoded'),
    js_css_gzip_kb: r1((sum(js, 'encoded') + sum(css, 'encoded')) / 1024),
    js_css_raw_kb: r1((sum(js, 'decoded') + sum(css, 'decoded')) / 1024),
    html_bytes: first.html.encoded,
  };
  result.lobby = {
    cold: { ...summary(cold), runs: cold.map(brief) },
    warm: { ...summary(warmRuns), runs: warmRuns.map(brief) },
  };
  log('first load', JSON.stringify(result.first_load.js_css_gzip_kb), 'KB; lobby', JSON.stringify({ cold: result.lobby.cold.frame_ms, warm: result.lobby.warm.frame_ms }));

  // A room with an empty channel and one of BIG messages.
  const owner = seeders[0];
  const slug = uniq('big');
  let r = await api(stack.relay.url, owner, 'POST', '/api/rooms', { slug, displayName: 'Big' });
  if (r.status !== 201) throw new Error(`POST /api/rooms: ${r.status} ${r.text}`);
  const channel = async (name) => {
    const c = await api(stack.relay.url, owner, 'POST', `/api/rooms/${slug}/channels`, { name, slug: name, visibility: 'public' });
    if (c.status !== 201) throw new Error(`POST channels: ${c.status} ${c.text}`);
    return c.json;
  };
  const big = await channel('big');
  await channel('empty');
  const small = await channel('small');
  const bigNewest = `big newest ${stamp}`;
  log(`seeding ${BIG} messages`);
  const rate = await seed(wsBase, seeders, slug, big.id, BIG - 1, content, bigNewest);
  // The last one is acked after the others, but wait for it in the store explicitly.
  r = await api(stack.relay.url, owner, 'GET', `/api/rooms/${slug}/messages?channelId=${big.id}&limit=1`);
  if (r.json?.messages?.[0]?.content !== bigNewest) throw new Error(`newest of big is ${r.text.slice(0, 200)}`);
  log(`seeded at ${Math.round(rate)} msgs/s`);
  // One page's worth and a little more (the page is 50): the rows #big shows, without the 100,000 behind.
  const smallNewest = `small newest ${stamp}`;
  await seed(wsBase, seeders, slug, small.id, 59, content, smallNewest, 4);
  await timedOpen(warm, base, `/r/${slug}/empty`, { start: true }, slug); // the room once, warm

  const bigRuns = [];
  const smallRuns = [];
  const emptyRuns = [];
  for (let i = 0; i < WARM; i++) { // interleaved, so a disturbance hits all alike
    bigRuns.push(await timedOpen(warm, base, `/r/${slug}/big`, { text: bigNewest }, slug));
    smallRuns.push(await timedOpen(warm, base, `/r/${slug}/small`, { text: smallNewest }, slug));
    emptyRuns.push(await timedOpen(warm, base, `/r/${slug}/empty`, { start: true }, slug));
  }
  errors.push(...[...bigRuns, ...smallRuns, ...emptyRuns].flatMap((x) => x.errors));

  // In the app: a tab on #empty follows the sidebar link to #big (no reload).
  const switches = [];
  for (let i = 0; i < Math.min(WARM, 5); i++) {
    const page = watchErrors(await warm.newPage());
    await page.addInitScript(probe, { start: true });
    const history = countHistory(page, slug);
    await page.goto(`${base}/r/${slug}/empty`);
    await page.waitForFunction(() => window.__probe.frame !== null, null, { timeout: 30000 });
    const before = history.n;
    const t0 = await page.evaluate(([s, text]) => {
      const t = performance.now();
      window.__probe.rearm({ text });
      document.querySelector(`a[href="/r/${s}/big"]`).click();
      return t;
    }, [slug, bigNewest]);
    await page.waitForFunction(() => window.__probe.frame !== null, null, { timeout: 30000 });
    await sleep(1000);
    const p = await page.evaluate(() => ({ dom: window.__probe.dom, frame: window.__probe.frame, inView: window.__probe.inView, loaded: window.__probe.loaded }));
    switches.push({ dom: p.dom - t0, frame: p.frame - t0, loaded: p.loaded - t0, inView: p.inView, historyRequests: history.n - before, longtasks: [] });
    errors.push(...page.errors.map((e) => e.message));
    await page.close();
  }
  result.big_channel = {
    messages: BIG, seed_msgs_per_s: Math.round(rate),
    open_big: { ...summary(bigRuns), runs: bigRuns.map(brief) },
    open_small: { ...summary(smallRuns), runs: smallRuns.map(brief) },
    open_empty: { ...summary(emptyRuns), runs: emptyRuns.map(brief) },
    switch_empty_to_big: summary(switches),
  };
  log('big channel', JSON.stringify({ big: result.big_channel.open_big.frame_ms, small: result.big_channel.open_small.frame_ms, empty: result.big_channel.open_empty.frame_ms, sw: result.big_channel.switch_empty_to_big.frame_ms }));

  // Live: another client sends LIVE_RATE messages/s to the lobby for LIVE_SECONDS. First
  // FILL messages at 100/s bring the list to the client's cap (650 rows: it holds up to
  // 700 and then drops back to 600; one row per message past 600 before), so the minute
  // measured starts and ends with a full list and "flat" compares like with like.
  const page = watchErrors(await warm.newPage());
  await page.addInitScript(probe, { text: newest });
  await page.goto(`${base}/r/lobby`);
  await page.waitForFunction(() => window.__probe.frame !== null, null, { timeout: 30000 });
  const cdp = await warm.newCDPSession(page);
  await cdp.send('Performance.enable');
  const metrics = async ({ gc }) => {
    if (gc) await cdp.send('HeapProfiler.collectGarbage');
    const { metrics: m } = await cdp.send('Performance.getMetrics');
    const get = (k) => m.find((x) => x.name === k)?.value;
    const dom = await page.evaluate(() => ({
      elements: document.getElementsByTagName('*').length,
      rows: document.querySelectorAll('.messages li.msg').length,
      t: performance.now(),
    }));
    return {
      heap_used_mb: r1(get('JSHeapUsedSize') / 2 ** 20), heap_total_mb: r1(get('JSHeapTotalSize') / 2 ** 20),
      nodes: get('Nodes'), listeners: get('JSEventListeners'), ...dom,
      // The renderer's main thread, cumulative seconds: all tasks, script, layout, style.
      cpu: { task: get('TaskDuration'), script: get('ScriptDuration'), layout: get('LayoutDuration'), style: get('RecalcStyleDuration') },
    };
  };
  /** Main-thread ms per message between two samples. */
  const perMessage = (a, b, n) => Object.fromEntries(Object.keys(a.cpu).map((k) => [k, r1(((b.cpu[k] - a.cpu[k]) * 1000) / n)]));
  const sender = await roomSocket(wsBase, seeders[1], 'lobby');
  let acked = 0;
  sender.on('message', (d) => { if (d.toString().startsWith('{"type":"ack"')) acked += 1; });
  let lag = 0;
  /** Sends n messages at rate/s on an absolute schedule; the last one's text is `last`. */
  const paced = async (tag, n, rate, last, every, onEvery) => {
    const t0 = Date.now();
    for (let i = 0; i < n; i++) {
      const due = t0 + (i * 1000) / rate;
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait); else lag = Math.max(lag, -wait);
      sender.send(JSON.stringify({ type: 'send', clientMsgId: `${tag}-${stamp}-${i}`, content: i === n - 1 ? last : content(i), channelId: null }));
      if (every && (i + 1) % every === 0) onEvery(Math.round((Date.now() - t0) / 1000));
    }
    await page.locator('.messages li.msg', { hasText: last }).waitFor({ timeout: 30000 });
  };
  await sleep(2000);
  const beforeFill = await metrics({ gc: true });
  const FILL = 600;
  await paced('fill', FILL, 100, `fill last ${stamp}`);
  await sleep(3000);
  const start = await metrics({ gc: true });
  log('live: before fill', JSON.stringify(beforeFill), 'start', JSON.stringify(start));
  const total = LIVE_SECONDS * LIVE_RATE;
  const samples = [];
  // Sampled without waiting, so the sends keep their schedule (and without a forced GC,
  // which would be a long task of its own).
  await paced('live', total, LIVE_RATE, `live last ${stamp}`, LIVE_RATE * 10,
    (sec) => samples.push(metrics({ gc: false }).then((m) => ({ s: sec, ...m }))));
  await sleep(2000);
  const endNoGc = await metrics({ gc: false });
  const end = await metrics({ gc: true });
  sender.close();
  const live = await page.evaluate((t) => window.__probe.longtasks?.filter((x) => x.start >= t) ?? null, start.t);
  errors.push(...page.errors.map((e) => e.message));
  await page.close();
  result.live = {
    rate: LIVE_RATE, seconds: LIVE_SECONDS, fill: FILL, sent: FILL + total, acked, sender_max_lag_ms: Math.round(lag),
    longtasks: live, longtask_count: live?.length ?? null,
    longest_task_ms: r1(Math.max(0, ...(live ?? []).map((x) => x.duration))),
    main_thread_ms_per_message: { fill: perMessage(beforeFill, start, FILL), live: perMessage(start, endNoGc, total) },
    before_fill: beforeFill, start, samples: await Promise.all(samples), end_before_gc: endNoGc, end,
  };
  log('live', JSON.stringify({ longtasks: result.live.longtask_count, longest: result.live.longest_task_ms, perMessage: result.live.main_thread_ms_per_message, end }));
  await warm.close();
} finally {
  await browser.close();
  await stack.stop();
}
result.errors = errors;
result.loadavg_end = loadavg();
{
  const c = cpuTimes();
  // Everything: this run's Relay, Chromium and Node, and whatever else the machine ran.
  result.machine_busy_pct = Math.round((100 * (c.busy - cpuAtStart.busy)) / (c.total - cpuAtStart.total));
}
mkdirSync(dirname(RESULTS), { recursive: true });
writeFileSync(RESULTS, JSON.stringify(result, null, 1) + '\n');

// ---- a markdown summary ----------------------------------------------------------------
const ok = (b) => (b ? 'met' : '**missed**');
const f = result.first_load;
const L = result.lobby;
const B = result.big_channel;
const V = result.live;
const ms = (s) => `${s.median} [${s.min}-${s.max}]`;
console.log(`
machine: ${result.machine.nproc} cores, ${result.machine.cpu}, load ${result.loadavg_start.join(' ')} -> ${result.loadavg_end.join(' ')}, CPUs ${result.machine_busy_pct} % busy over the run (everything); ${result.machine.chromium}; ${result.machine.relay} (${result.machine.relayVersion}), HEAD ${result.machine.head}
results: ${relative(ROOT, RESULTS)}

| what | measured | target | |
|---|---|---|---|
| first load, JS + CSS as sent (gzip) | ${f.js_css_gzip_kb} KB (JS ${r1(f.js_gzip_bytes / 1024)}, CSS ${r1(f.css_gzip_bytes / 1024)}; ${f.js_css_raw_kb} KB unpacked) | <= 100 KB | ${ok(f.js_css_gzip_kb <= 100)} |
| lobby, newest message on screen, warm (ms, median [min-max] of ${WARM}) | DOM ${ms(L.warm.dom_ms)}, frame ${ms(L.warm.frame_ms)} | <= 300 ms | ${ok(L.warm.frame_ms.median <= 300)} |
| lobby, cold: fresh context (ms, median [min-max] of ${COLD}) | DOM ${ms(L.cold.dom_ms)}, frame ${ms(L.cold.frame_ms)} | <= 300 ms | ${ok(L.cold.frame_ms.median <= 300)} |
| open #big (${B.messages} messages), warm | frame ${ms(B.open_big.frame_ms)}, history in place ${ms(B.open_big.loaded_ms)}; history requests ${B.open_big.history_requests.join(',')} | as #empty; 1 request | ${ok(B.open_big.history_requests.join() === '1')} |
| open #small (60 messages), warm | frame ${ms(B.open_small.frame_ms)}, history in place ${ms(B.open_small.loaded_ms)}; history requests ${B.open_small.history_requests.join(',')} | | |
| open #empty, warm | frame ${ms(B.open_empty.frame_ms)}, history in place ${ms(B.open_empty.loaded_ms)}; history requests ${B.open_empty.history_requests.join(',')} | | |
| #empty -> #big in the app | frame ${ms(B.switch_empty_to_big.frame_ms)}, history in place ${ms(B.switch_empty_to_big.loaded_ms)}; history requests ${B.switch_empty_to_big.history_requests.join(',')} | | |
| live ${V.rate}/s for ${V.seconds} s: long tasks > 50 ms | ${V.longtask_count} (longest ${V.longest_task_ms} ms) | 0 | ${ok(V.longtask_count === 0)} |
| live: JS heap used after GC, start -> end | ${V.start.heap_used_mb} -> ${V.end.heap_used_mb} MB (${V.end_before_gc.heap_used_mb} before GC; ${V.before_fill.heap_used_mb} with 50 rows) | flat | ${ok(V.end.heap_used_mb <= V.start.heap_used_mb * 1.1)} |
| live: DOM elements / message rows, start -> end | ${V.start.elements} / ${V.start.rows} -> ${V.end.elements} / ${V.end.rows} (${V.before_fill.elements} / ${V.before_fill.rows} before the fill) | flat (<= 700 rows: trimmed back to 600 past 700) | ${ok(V.end.rows <= 700 && V.end.elements <= V.start.elements * 1.05)} |
| live: main thread per message (task, script, layout, style ms) | filling: ${Object.values(V.main_thread_ms_per_message.fill).join(', ')}; at the cap (600-700 rows): ${Object.values(V.main_thread_ms_per_message.live).join(', ')} | | |

errors in pages: ${errors.length ? errors.join('; ') : 'none'}
`);
