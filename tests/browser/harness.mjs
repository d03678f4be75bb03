// Browser harness: the real relay binary (tests/integration/harness.mjs starts it), the
// built client (web/dist) and Debian's Chromium driven by playwright-core.
//
// Who serves the client is one switch, RELAY_WEB_SERVE:
//   relay (default)    Relay serves web/dist itself (`--web-root`), no proxy: as deployed;
//   preview            Vite's preview server serves web/dist and proxies the API
//                      (/api, /auth, /v1, /metrics, WebSocket upgrades too) to Relay,
//                      to tell a client bug from one in Relay's serving.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import { dirname, join } from 'node:path';
import { after, before } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startRelay } from '../integration/harness.mjs';

export { api, createUser, relayCli, uniq, FAST_SEND_ARGS } from '../integration/harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
export const WEB_DIR = join(here, '..', '..', 'web');
export const DIST = join(WEB_DIR, 'dist');
export const SHOTS = process.env.RELAY_SCREENSHOTS ?? join(here, 'screenshots');
export const SERVE = process.env.RELAY_WEB_SERVE ?? 'relay';
const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';

// playwright-core is the client's dev dependency (web/package.json), not the root's.
const requireWeb = createRequire(join(WEB_DIR, 'package.json'));
const { chromium } = requireWeb('playwright-core');

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.once('error', reject);
  });
}

/** Resolves once `port` accepts connections; rejects after `ms`. */
async function waitForPort(port, ms, proc) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (proc.exitCode !== null) throw new Error(`vite preview exited with ${proc.exitCode}`);
    const ok = await new Promise((resolve) => {
      const c = net.connect(port, '127.0.0.1', () => { c.end(); resolve(true); });
      c.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on ${port} after ${ms} ms`);
}

/**
 * Starts Relay (dev sign-in on) and whatever serves the client; returns
 * {relay, base, stop, stopRelay, restartRelay}. `base` is the URL a user opens.
 */
export async function startStack({ args = [] } = {}) {
  if (!existsSync(join(DIST, 'index.html'))) {
    throw new Error(`${DIST}/index.html is missing: run \`npm ci --prefix web && npm run build --prefix web\``);
  }
  // A fixed port (the last --listen wins), so a restarted Relay is where the client was.
  const relayPort = await freePort();
  const common = ['--dev-login', 'on', ...args, '--listen', `127.0.0.1:${relayPort}`];
  const stack = {
    relay: null,
    base: '',
    relayArgs: common,
    /** Stops Relay (SIGTERM, graceful) and leaves its data directory for restartRelay(). */
    async stopRelay() { await stack.relay.stop(); },
    async restartRelay() {
      stack.relay = await startRelay({ dataDir: stack.relay.dataDir, args: stack.relayArgs });
    },
    async stop() { await stack.relay.stop(); },
  };
  if (SERVE === 'relay') {
    stack.relayArgs = [...common, '--web-root', DIST];
    stack.relay = await startRelay({ args: stack.relayArgs });
    stack.base = stack.relay.url;
    return stack;
  }
  const port = await freePort();
  stack.base = `http://127.0.0.1:${port}`;
  // What users open is the preview server: that is Relay's public URL (its Origin check
  // for cookie sessions, the OAuth callback), as behind any reverse proxy.
  stack.relayArgs = [...common, '--public-url', stack.base];
  stack.relay = await startRelay({ args: stack.relayArgs });
  const vite = spawn(join(WEB_DIR, 'node_modules', '.bin', 'vite'),
    ['preview', '--host', '127.0.0.1', '--port', String(port), '--strictPort'],
    { cwd: WEB_DIR, env: { ...process.env, RELAY_URL: stack.relay.url }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  vite.stdout.on('data', (d) => { out += d; });
  vite.stderr.on('data', (d) => { out += d; });
  process.on('exit', () => vite.kill('SIGKILL'));
  try {
    await waitForPort(port, 15000, vite);
  } catch (e) {
    vite.kill('SIGKILL');
    await stack.relay.stop();
    throw new Error(`${e.message}\n${out}`);
  }
  stack.stop = async () => {
    vite.kill('SIGTERM');
    await stack.relay.stop();
  };
  return stack;
}

// The flags this machine's Chromium needs headless with no network beyond loopback
// (docs/web.md): without the background-networking ones it keeps dialing out.
const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export async function launchBrowser() {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (scripts/deps.sh test)`);
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

/**
 * A new browser context signed in as `login` through the dev sign-in (a full-page
 * navigation, as a user would), opened at `path`. Records page errors and every dialog.
 */
export async function signedInPage(browser, base, login, path = '/r/lobby') {
  const context = await browser.newContext({ viewport: { width: 1100, height: 760 } });
  const page = await context.newPage();
  watchErrors(page);
  await page.goto(`${base}/auth/dev?login=${encodeURIComponent(login)}&next=${encodeURIComponent(path)}`);
  await page.getByRole('textbox', { name: /^Message / }).waitFor();
  return page;
}

/** Collects uncaught errors and CSP refusals in `page.errors`: a test expects none. */
export function watchErrors(page) {
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e));
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) page.errors.push(new Error(m.text()));
  });
  return page;
}

let axeSource;
/**
 * Runs axe-core in the page; returns the serious and critical violations as
 * "rule: target" strings. Evaluated over the DevTools protocol, which the page's CSP
 * does not govern, so the check needs no hole in the policy.
 */
export async function axeViolations(page) {
  axeSource ??= readFileSync(requireWeb.resolve('axe-core/axe.min.js'), 'utf8');
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(`${axeSource}\n;0`);
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(' ')} (${v.help})`));
}

export async function screenshot(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
}

/** The message box of a room or channel page. */
export const composer = (page) => page.getByRole('textbox', { name: /^Message / });

/**
 * What every browser suite sets up: a `before` hook that starts the stack (with `args`
 * for Relay) and Chromium, and an `after` hook that stops both and then checks that no
 * page the suite opened had an uncaught error or a CSP refusal. Returns the suite, whose
 * `stack` and `browser` are there once `before` ran; `open` and `blankPage` give pages
 * that the final check covers (a page made otherwise goes through `track`).
 */
export function browserSuite({ args = [] } = {}) {
  const suite = {
    stack: null,
    browser: null,
    pages: [],
    track(page) {
      suite.pages.push(page);
      return page;
    },
    /** A new context signed in as `login`, opened at `path` (signedInPage). */
    async open(login, path) {
      return suite.track(await signedInPage(suite.browser, suite.stack.base, login, path));
    },
    /** A page of a new context that is not signed in. */
    async blankPage() {
      const context = await suite.browser.newContext();
      return suite.track(watchErrors(await context.newPage()));
    },
  };
  before(async () => {
    suite.stack = await startStack({ args });
    suite.browser = await launchBrowser();
  });
  after(async () => {
    const errors = suite.pages.flatMap((p) => p.errors.map((e) => e.message));
    // Stop everything first: a failed assertion must not leave Chromium and Relay running.
    await suite.browser?.close();
    await suite.stack?.stop();
    assert.deepEqual(errors, [], 'no uncaught error or CSP refusal in any page');
  });
  return suite;
}
