// Presence in cluster mode under load (docs/api.md "Presence", docs/operations.md
// "Cluster"): every poll of a room's presence runs a script that reads the whole room in
// Redis, so heartbeats and socket changes that arrive while one is out share the next
// instead of each running its own (10,000 heartbeating users made Redis do O(users²)
// work and fell offline: benchmarks/RESULTS.md, "Presence"). A node of its own on a
// private Redis, so Redis's command counts are this test's alone.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { promisify } from 'node:util';
import { startRelay, relayCli, api, uniq, openWs, makeDataDir } from './harness.mjs';
import { PG, freshDatabase } from './postgres.mjs';

const execFileP = promisify(execFile);
const skip = PG ? false : 'RELAY_TEST_POSTGRES_URL is not set (make test starts Postgres)';
const TTL = 10;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const cleanups = [];
after(async () => { for (const c of cleanups.reverse()) await c(); });

function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** A node on a fresh database and a private Redis: {node, user(login), evals()}. */
async function setup() {
  const port = await freePort();
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '',
    '--appendonly', 'no'], { stdio: 'ignore' });
  cleanups.push(() => { proc.kill('SIGKILL'); });
  const cli = (...args) => execFileP('redis-cli', ['-p', String(port), ...args]);
  for (let i = 0; i < 100; i++) {
    try { await cli('ping'); break; } catch { await sleep(50); }
  }
  const opts = ['--redis-url', `redis://127.0.0.1:${port}`, '--postgres-url', await freshDatabase('pc')];
  const node = await startRelay({ args: [...opts, '--presence-ttl-seconds', String(TTL)] });
  cleanups.push(() => node.kill9());
  return {
    node,
    async user(login) {
      await relayCli(makeDataDir(), ...opts, 'user', 'add', login);
      return (await relayCli(makeDataDir(), ...opts, 'token', 'create', login)).trim();
    },
    // Scripts Redis ran (each poll is one EVAL).
    async evals() {
      const { stdout } = await cli('info', 'commandstats');
      return Number(/cmdstat_eval:calls=(\d+)/.exec(stdout)?.[1] ?? 0);
    },
  };
}

test('200 heartbeats at once are all recorded and answered, sharing a few Redis scripts instead of one each',
  { skip, timeout: 60000 }, async () => {
    const { node, user, evals } = await setup();
    const logins = [uniq('hb'), uniq('hb'), uniq('hb')];
    const tokens = await Promise.all(logins.map((l) => user(l)));
    const before = await evals();
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) =>
      api(node.url, tokens[i % 3], 'POST', '/api/rooms/lobby/presence')));
    for (const r of answers) assert.equal(r.status, 200, r.text);
    assert.equal(answers[0].json.ttlSeconds, TTL);
    const ran = (await evals()) - before;
    assert.ok(ran < 100, `200 heartbeats ran ${ran} presence scripts`);
    const list = await api(node.url, tokens[0], 'GET', '/api/rooms/lobby/presence');
    assert.equal(list.status, 200, list.text);
    const online = list.json.users.map((u) => u.login);
    for (const l of logins) assert.ok(online.includes(l), `${l} missing from ${online}`);
  });

test('a socket closed and reopened while a poll is out leaves its user online, and the last close takes them offline',
  { skip, timeout: 60000 }, async () => {
    const { node, user } = await setup();
    const owner = await user(uniq('own'));
    const aliceLogin = uniq('ali');
    const alice = await user(aliceLogin);
    const url = `${node.wsUrl}/api/ws/rooms/lobby`;
    const watcher = await openWs(url, owner);
    await watcher.next((f) => f.type === 'sync');
    const isAlice = (f) => f.type === 'presence' && f.user?.login === aliceLogin;
    // Close and reopen back to back, so the removal and the renewal of the same entry
    // meet in one batch: the later one must win.
    let ws = await openWs(url, alice);
    await ws.next((f) => f.type === 'sync');
    for (let i = 0; i < 5; i++) {
      await ws.close();
      ws = await openWs(url, alice);
      await ws.next((f) => f.type === 'sync');
    }
    await sleep(2500);  // two polls a second apart: what they say is settled
    const list = await api(node.url, owner, 'GET', '/api/rooms/lobby/presence');
    assert.ok(list.json.users.some((u) => u.login === aliceLogin), list.text);
    const seen = watcher.frames.filter(isAlice);
    assert.ok(seen.length > 0, 'the watcher never heard of alice');
    assert.equal(seen.at(-1).status, 'online', JSON.stringify(seen));

    await ws.close();
    await sleep(2500);
    assert.equal(watcher.frames.filter(isAlice).at(-1).status, 'offline');
    const after = await api(node.url, owner, 'GET', '/api/rooms/lobby/presence');
    assert.ok(!after.json.users.some((u) => u.login === aliceLogin), after.text);
    await watcher.close();
  });
