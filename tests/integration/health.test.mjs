// /api/health (docs/operations.md, "Health"): the redis check is "off" without
// --redis-url, a PING with a 1 s deadline with it: "ok", or "fail" with ok false and 503.
// The cases that need a live Redis use RELAY_TEST_REDIS_URL (make test starts one) or
// start their own redis-server, and are skipped without it.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { startRelay, api, makeDataDir, RELAY_BIN } from './harness.mjs';

const REDIS_URL = process.env.RELAY_TEST_REDIS_URL;
const NO_REDIS = !REDIS_URL && 'RELAY_TEST_REDIS_URL is not set (the test command sets it)';

const relays = [];
const redisServers = new Set();
after(async () => {
  for (const r of relays) await r.stop();
  for (const p of redisServers) p.kill('SIGKILL');
});

async function startWith(args) {
  const relay = await startRelay({ args });
  relays.push(relay);
  return relay;
}

const health = (relay) => api(relay.url, null, 'GET', '/api/health');

/** A loopback port nobody listens on. */
function closedPort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function accepts(port) {
  return new Promise((resolve) => {
    const c = connect(port, '127.0.0.1');
    c.once('connect', () => { c.destroy(); resolve(true); });
    c.once('error', () => resolve(false));
  });
}

/** A private redis-server on `port`, resolved once it accepts connections. */
async function startRedis(port) {
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '',
    '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'warning'], { stdio: 'ignore' });
  redisServers.add(proc);
  proc.once('exit', () => redisServers.delete(proc));
  for (let i = 0; i < 500 && !(await accepts(port)); i += 1) await sleep(10);
  return proc;
}

async function stopRedis(proc) {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const gone = new Promise((resolve) => proc.once('exit', resolve));
  proc.kill('SIGKILL');
  await gone;
}

/** Polls health until `want(response)` holds or `ms` pass; returns the last response. */
async function healthUntil(relay, want, ms = 5000) {
  const end = Date.now() + ms;
  let r = await health(relay);
  while (!want(r) && Date.now() < end) {
    await sleep(50);
    r = await health(relay);
  }
  return r;
}

test('without --redis-url the redis check is off and health is 200', async () => {
  const relay = await startWith([]);
  const r = await health(relay);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.ok, true);
  assert.deepEqual(r.json.checks, { server: 'ok', redis: 'off', sqlite: 'ok', postgres: 'off' });
});

test('with a reachable Redis the redis check is ok', { skip: NO_REDIS }, async () => {
  const relay = await startWith(['--redis-url', REDIS_URL]);
  // The client connects in the background: the first health may come before it.
  const r = await healthUntil(relay, (x) => x.json?.checks?.redis === 'ok');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.ok, true);
  assert.deepEqual(r.json.checks, { server: 'ok', redis: 'ok', sqlite: 'ok', postgres: 'off' });
});

test('with Redis unreachable the redis check fails, ok is false and the status 503', async () => {
  const relay = await startWith(['--redis-url', `redis://127.0.0.1:${await closedPort()}`]);
  for (let i = 0; i < 3; i += 1) {  // at start, and while the client retries
    const started = Date.now();
    const r = await health(relay);
    assert.equal(r.status, 503, r.text);
    assert.equal(r.json.ok, false);
    assert.equal(r.json.checks.redis, 'fail');
    assert.equal(r.json.checks.sqlite, 'ok');
    // Not connected fails at once, without waiting for the 1 s PING deadline.
    assert.ok(Date.now() - started < 900, `answered after ${Date.now() - started} ms`);
    await sleep(300);
  }
});

test('health follows Redis going away and coming back', { skip: NO_REDIS }, async () => {
  const port = await closedPort();
  let redis = await startRedis(port);
  const relay = await startWith(['--redis-url', `redis://127.0.0.1:${port}/1`]);
  let r = await healthUntil(relay, (x) => x.status === 200);
  assert.equal(r.json.checks.redis, 'ok', r.text);
  await stopRedis(redis);
  r = await healthUntil(relay, (x) => x.status === 503);
  assert.equal(r.json.checks.redis, 'fail', r.text);
  redis = await startRedis(port);
  r = await healthUntil(relay, (x) => x.status === 200);
  assert.equal(r.json.checks.redis, 'ok', r.text);
  await stopRedis(redis);
});

test('a --redis-url the client cannot use stops start-up with exit code 2', async () => {
  for (const [url, why] of [['redis://127.0.0.1/x', 'database number'],
    ['redis://user:pw@127.0.0.1', 'user or password'], ['rediss://127.0.0.1', 'redis://']]) {
    const err = await promisify(execFile)(RELAY_BIN,
      ['--data-dir', makeDataDir(), '--listen', '127.0.0.1:0', '--redis-url', url], { timeout: 15000 })
      .then(() => null, (e) => e);
    assert.ok(err, `${url} was accepted`);
    assert.equal(err.code, 2, `${url}: ${err.stderr}`);
    assert.match(err.stderr, new RegExp(why.replace(/[/.]/g, '\\$&')), url);
  }
});
