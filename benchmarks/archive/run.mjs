// Archive reads (issue 22): how long a history page takes when it is answered by SQLite
// alone, when it crosses into the Postgres archive, and when it lies wholly in the
// archive — p50/p99 over the real REST endpoint of a release binary, same run.
//
//   RELAY_BIN=build-bench/relay PG_URL=postgresql://relay@127.0.0.1:5432/postgres \
//     node benchmarks/archive/run.mjs
//
// Knobs (environment): OLD (20000 messages archived), RECENT (1000 kept in SQLite),
// PAGE (50), ROUNDS (400 pages per kind). It creates and drops a database of its own on
// PG_URL. The archive window is 30 s: the old messages are sent, archived, then the recent
// ones are sent and the pages measured before they are old enough to move.
import { execFile } from 'node:child_process';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
process.env.RELAY_BIN ??= join(ROOT, 'build-bench', 'relay');
const { startRelay, createUser, openWs, FAST_SEND_ARGS } = await import('../../tests/integration/harness.mjs');

const PG = process.env.PG_URL;
if (!PG) throw new Error('PG_URL must name a Postgres the benchmark may create a database on');
const OLD = Number(process.env.OLD ?? 20000);
const RECENT = Number(process.env.RECENT ?? 1000);
const PAGE = Number(process.env.PAGE ?? 50);
const ROUNDS = Number(process.env.ROUNDS ?? 400);
const execFileP = promisify(execFile);
const psql = async (url, sql) => (await execFileP('psql', [url, '-XAtq', '-v', 'ON_ERROR_STOP=1', '-c', sql])).stdout.trim();

const db = `relay_bench_${process.pid}`;
await psql(PG, `CREATE DATABASE ${db}`);
const url = PG.slice(0, PG.lastIndexOf('/') + 1) + db;
const relay = await startRelay({ args: [...FAST_SEND_ARGS, '--postgres-url', url, '--archive-after', '30s'] });
try {
  const token = await createUser(relay.dataDir, 'bench');
  const headers = { Authorization: `Bearer ${token}` };
  const ws = await openWs(`${relay.wsUrl}/api/ws/rooms/lobby`, token);
  await ws.next((f) => f.type === 'sync');
  async function send(prefix, n) {
    for (let done = 0; done < n;) {
      const k = Math.min(500, n - done);
      const cms = Array.from({ length: k }, (_, i) => `${prefix}-${done + i}`);
      cms.forEach((cm) => ws.send({ type: 'send', clientMsgId: cm, content: `${cm} ${'x'.repeat(80)}`, channelId: null }));
      await ws.next((f) => f.type === 'ack' && f.clientMsgId === cms[k - 1], 60000);
      done += k;
    }
  }
  await send('old', OLD);
  const started = Date.now();
  for (;;) {
    if (Number(await psql(url, 'SELECT count(*) FROM message_archive')) >= OLD) break;
    if (Date.now() - started > 180000) throw new Error('the old messages were not archived in 3 minutes');
    await new Promise((r) => setTimeout(r, 1000));
  }
  const archivedAfter = (Date.now() - started) / 1000;
  await send('new', RECENT);

  // Cursors: the newest page (SQLite only), one page whose first half is SQLite's and
  // second half the archive's, and pages deep in the archive.
  async function page(cursor) {
    const q = new URLSearchParams({ limit: String(PAGE) });
    if (cursor) { q.set('beforeCreatedAt', cursor.createdAt); q.set('beforeId', cursor.id); }
    const t = performance.now();
    const res = await fetch(`${relay.url}/api/rooms/lobby/messages?${q}`, { headers });
    const body = await res.json();
    const ms = performance.now() - t;
    if (res.status !== 200 || body.messages.length !== PAGE) throw new Error(`page: ${res.status} ${JSON.stringify(body).slice(0, 200)}`);
    return { ms, messages: body.messages };
  }
  // Walk once to find the cursors (the message just above where each page starts).
  const walk = [];
  let cursor = null;
  while (walk.length < RECENT + 3 * PAGE) {
    const { messages } = await page(cursor);
    walk.push(...messages);
    const last = messages[messages.length - 1];
    cursor = { createdAt: last.createdAt, id: last.id };
  }
  const at = (i) => ({ createdAt: walk[i].createdAt, id: walk[i].id });
  const kinds = {
    sqlite: null,                                   // newest page
    crossing: at(RECENT - PAGE / 2 - 1),            // half recent, half archived
    archive: at(RECENT + PAGE),                     // wholly archived
  };
  // The kinds take turns, so a slow moment of the machine falls on all three alike.
  const samples = Object.fromEntries(Object.keys(kinds).map((k) => [k, []]));
  for (let i = 0; i < ROUNDS; i++)
    for (const [kind, c] of Object.entries(kinds)) samples[kind].push((await page(c)).ms);
  const results = {};
  for (const [kind, ms] of Object.entries(samples)) {
    ms.sort((a, b) => a - b);
    const q = (p) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))];
    results[kind] = { p50: q(0.5), p99: q(0.99), max: ms[ms.length - 1] };
  }
  const archivedNow = Number(await psql(url, 'SELECT count(*) FROM message_archive'));
  const cpus = os.cpus();
  console.log(JSON.stringify({
    machine: `${cpus.length} × ${cpus[0]?.model}, load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`,
    old: OLD, recent: RECENT, page: PAGE, rounds: ROUNDS, archivedAfterSeconds: archivedAfter,
    archivedAtEnd: archivedNow, results,
    crossingVsSqliteP99: results.crossing.p99 / results.sqlite.p99,
  }, null, 2));
  if (archivedNow !== OLD) console.log('note: recent messages were archived during the run; rerun on a quieter machine');
  ws.close();
} finally {
  await relay.stop().catch(() => {});
  await psql(PG, `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`).catch(() => {});
}
