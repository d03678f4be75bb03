// `make cluster` (scripts/cluster.sh): the local cluster a developer starts with one
// command. Runs the script itself (its own Postgres, Redis, three nodes of RELAY_BIN and
// nginx) and uses it as a browser would, through nginx only: the client's files, dev
// sign-in, a cookie every node accepts, WebSockets spread over the nodes that see each
// other's messages, an SSE stream, and the operator commands the script prints. Then
// SIGTERM (what the script's Ctrl-C trap also handles) must leave nothing behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import WebSocket from 'ws';
import { RELAY_BIN, uniq } from './harness.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const execFileP = promisify(execFile);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const skip = existsSync(join(ROOT, 'web', 'dist', 'index.html'))
  ? false : 'web/dist is not built (scripts/web.sh; make test builds it)';

const listening = (port) => new Promise((resolve) => {
  const c = connect(port, '127.0.0.1', () => { c.end(); resolve(true); });
  c.once('error', () => resolve(false));
});

/** A port a listener can take now. */
const bindable = (port) => new Promise((resolve) => {
  const s = createServer().once('error', () => resolve(false));
  s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
});

/**
 * A base port with the three above it free too (the script takes PORT..PORT+3), below
 * the kernel's ephemeral range: node 1 binds after node 0 has opened its Postgres and
 * Redis connections, and a base taken from that range once lost a port to one of them.
 */
async function freeBase() {
  const [ephemeralLow] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
    .trim().split(/\s+/).map(Number);
  const low = 10000, high = Math.max(low + 100, ephemeralLow) - 4;
  for (;;) {
    const base = low + Math.floor(Math.random() * (high - low));
    const free = await Promise.all([0, 1, 2, 3].map((i) => bindable(base + i)));
    if (free.every(Boolean)) return base;
  }
}

function wsThrough(base, cookie) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${base}/api/ws/rooms/lobby`,
      { headers: { Cookie: cookie, Origin: `http://127.0.0.1:${base}` } });
    const frames = [];
    ws.on('message', (d) => frames.push(JSON.parse(d.toString())));
    ws.once('open', () => resolve({ ws, frames }));
    ws.once('unexpected-response', (_q, res) => reject(new Error(`WebSocket through nginx: HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

async function until(what, check, ms = 15000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

async function wsConnections(port) {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return Number(/^relay_connections\{class="ws"\} (\d+)$/m.exec(text)?.[1]);
}

test('make cluster: three nodes behind nginx serve the browser client, one sign-in and one room across nodes; SIGTERM cleans up',
  { skip, timeout: 120000 }, async () => {
    const base = await freeBase();
    const script = spawn('bash', [join(ROOT, 'scripts', 'cluster.sh')], {
      env: { ...process.env, PORT: String(base), RELAY_BIN },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    script.stdout.on('data', (d) => { out += d; });
    script.stderr.on('data', (d) => { out += d; });
    const exited = new Promise((resolve) => script.once('exit', (code, signal) => resolve({ code, signal })));
    try {
      await until('the cluster to start', () => {
        if (script.exitCode !== null) throw new Error(`cluster.sh exited (${script.exitCode}):\n${out}`);
        return /Ctrl-C stops/.test(out);
      }, 90000);
      const url = `http://127.0.0.1:${base}`;
      const tmp = /removes (\/\S+?)\.?\n/.exec(out)[1];
      assert.ok(existsSync(tmp), out);

      // The browser client through nginx: index.html and the script it loads.
      const index = await fetch(`${url}/`);
      assert.equal(index.status, 200);
      const html = await index.text();
      const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
      assert.ok(asset, html);
      const js = await fetch(`${url}${asset}`);
      assert.equal(js.status, 200);
      assert.match(js.headers.get('content-type'), /javascript/);

      // Dev sign-in through nginx; the cookie is good on every node (shared secret).
      const login = uniq('cl');
      const signIn = await fetch(`${url}/auth/dev?login=${login}`, { redirect: 'manual' });
      assert.equal(signIn.status, 302, await signIn.text());
      const cookie = /relay_session=[^;]+/.exec(signIn.headers.get('set-cookie'))?.[0];
      assert.ok(cookie, 'dev sign-in through nginx sets the session cookie');
      for (const port of [base + 1, base + 2, base + 3]) {
        const me = await fetch(`http://127.0.0.1:${port}/api/me`, { headers: { Cookie: cookie } });
        assert.equal(me.status, 200, `node ${port} accepts the cookie another node signed`);
        assert.equal((await me.json()).login, login);
      }

      // Three browser sockets through nginx land on three nodes (least_conn), and a
      // message sent on one reaches all of them.
      const sockets = [];
      for (let i = 0; i < 3; i++) {
        const s = await wsThrough(base, cookie);
        await until('sync', () => s.frames.some((f) => f.type === 'sync'));
        sockets.push(s);
      }
      await until('one socket on each node', async () =>
        (await Promise.all([1, 2, 3].map((i) => wsConnections(base + i)))).every((n) => n === 1));
      const sse = await fetch(`${url}/api/rooms/lobby/stream`, { headers: { Cookie: cookie } });
      assert.equal(sse.status, 200);
      const reader = sse.body.getReader();
      let stream = '';
      const reading = (async () => {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          stream += Buffer.from(value).toString();
        }
      })();
      const text = `across nodes ${Date.now()}`;
      sockets[0].ws.send(JSON.stringify({ type: 'send', clientMsgId: uniq('m'), content: text, channelId: null }));
      for (const s of sockets) {
        await until('the message on every socket', () =>
          s.frames.some((f) => f.type === 'message' && f.message.content === text));
      }
      await until('the message on the SSE stream', () => stream.includes(text));
      await reader.cancel();
      await reading.catch(() => {});
      for (const s of sockets) s.ws.close();

      // The operator commands the script prints act on the shared store.
      const cli = /^\s+(\S+) --redis-url (\S+) --postgres-url (\S+) user add bob$/m.exec(out);
      assert.ok(cli, out);
      const opts = ['--redis-url', cli[2], '--postgres-url', cli[3]];
      const bob = uniq('bob');
      await execFileP(cli[1], [...opts, 'user', 'add', bob]);
      const token = (await execFileP(cli[1], [...opts, 'token', 'create', bob])).stdout.trim();
      const me = await fetch(`${url}/api/me`, { headers: { Authorization: `Bearer ${token}` } });
      assert.equal(me.status, 200);
      assert.equal((await me.json()).login, bob);

      // SIGTERM: everything stops and the temporary directory goes.
      script.kill('SIGTERM');
      const { code } = await exited;
      assert.equal(code, 143, out);
      assert.equal(existsSync(tmp), false, `${tmp} removed`);
      for (const port of [base, base + 1, base + 2, base + 3]) {
        assert.equal(await listening(port), false, `nothing listens on ${port} after the stop`);
      }
      const left = await execFileP('pgrep', ['-f', tmp]).then((r) => r.stdout, () => '');
      assert.equal(left, '', `no process of the cluster is left:\n${left}`);
    } finally {
      if (script.exitCode === null) {
        script.kill('SIGTERM');
        await exited;
      }
    }
  });
