// The search index as the operator handles it (docs/operations.md, "Search index"):
// `relay search-index rebuild` restores an index whose rows were lost, and refuses
// while a server holds the data directory; `--search-index off` stops indexing (search
// answers 503) and a start with it on again indexes what was written meanwhile; bad
// arguments are refused with a clear message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { startRelay, api, uniq, newUser, newRoom, makeDataDir, RELAY_BIN } from './harness.mjs';

// An operator command's exit code and output, whatever the code.
function cli(...args) {
  const r = spawnSync(RELAY_BIN, args, { encoding: 'utf8', timeout: 30000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const sql = (dataDir, text) =>
  execFileSync('sqlite3', [join(dataDir, 'relay.db'), text], { encoding: 'utf8' }).trim();

const word = () => uniq('w').toLowerCase().replace(/[^a-z0-9]/g, '');

async function found(relay, who, q) {
  const r = await api(relay.url, who.token, 'GET', `/api/search?q=${encodeURIComponent(q)}`);
  assert.equal(r.status, 200, r.text);
  return r.json.results.map((x) => x.message.id);
}

test('rebuild restores a lost index: messages, replies and filters are found again', async () => {
  const first = await startRelay();
  let second;
  try {
    const alice = await newUser(first, 'ri');
    const slug = await newRoom(first, alice);
    const w = word();
    const post = async (content) => {
      const r = await api(first.url, alice.token, 'POST', `/api/rooms/${slug}/messages`, { content });
      assert.equal(r.status, 201, r.text);
      return r.json;
    };
    const m1 = await post(`first ${w}`);
    const m2 = await post(`second ${w} https://example.com/x`);
    const t = (await api(first.url, alice.token, 'POST', `/api/rooms/${slug}/messages/${m1.id}/thread`)).json;
    const rep = (await api(first.url, alice.token, 'POST', `/api/threads/${t.threadId}/replies`, { content: `reply ${w}` })).json;
    const expected = [rep.id, m2.id, m1.id];
    assert.deepEqual(await found(first, alice, w), expected);

    // Refused while the server holds the directory: it would write behind the rebuild.
    const busy = cli('--data-dir', first.dataDir, 'search-index', 'rebuild');
    assert.equal(busy.code, 1, busy.stderr);
    assert.match(busy.stderr, /another relay server is running/);
    await first.stop();

    // The index loses its rows (as after a damaged file or a bad manual edit).
    sql(first.dataDir, "DELETE FROM search_docs; INSERT INTO search_fts (search_fts) VALUES ('delete-all');");
    assert.equal(sql(first.dataDir, 'SELECT count(*) FROM search_docs'), '0');

    const r = cli('--data-dir', first.dataDir, 'search-index', 'rebuild');
    assert.equal(r.code, 0, r.stderr);
    // Every message (the lobby's welcome ones too) and the reply.
    const total = Number(sql(first.dataDir, 'SELECT (SELECT count(*) FROM messages) + (SELECT count(*) FROM thread_replies)'));
    assert.match(r.stdout, new RegExp(`indexed: ${total} messages and replies`));
    assert.match(r.stdout, /search index: on/);
    const size = Number(/index size: (\d+) bytes/.exec(r.stdout)?.[1]);
    assert.ok(size > 0, r.stdout);
    assert.match(r.stdout, /index share of the database: \d+\.\d%/);

    second = await startRelay({ dataDir: first.dataDir });
    assert.deepEqual(await found(second, alice, w), expected);
    assert.deepEqual(await found(second, alice, `${w} has:link`), [m2.id]);
    assert.deepEqual(await found(second, alice, `${w} is:thread`), [rep.id]);
    // New writes are indexed as before.
    const m3 = (await api(second.url, alice.token, 'POST', `/api/rooms/${slug}/messages`, { content: `third ${w}` })).json;
    assert.deepEqual(await found(second, alice, w), [m3.id, ...expected]);
  } finally {
    await second?.stop();
  }
});

test('--search-index off: search answers 503, writes go on, and on again indexes them', async () => {
  const dataDir = makeDataDir();
  const off = await startRelay({ dataDir, args: ['--search-index', 'off'] });
  let on;
  try {
    const bob = await newUser(off, 'rj');
    const slug = await newRoom(off, bob);
    const w = word();
    const m = await api(off.url, bob.token, 'POST', `/api/rooms/${slug}/messages`, { content: `while off ${w}` });
    assert.equal(m.status, 201, m.text);
    const s = await api(off.url, bob.token, 'GET', `/api/search?q=${w}`);
    assert.equal(s.status, 503, s.text);
    assert.equal(s.json.code, 'UNAVAILABLE');
    assert.match(s.json.error, /search-index off/);
    await off.stop();

    const status = cli('--data-dir', dataDir, 'search-index', 'status');
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /search index: off/);

    // On again: the start indexes what the off run wrote.
    on = await startRelay({ dataDir });
    assert.deepEqual(await found(on, bob, w), [m.json.id]);
    await on.stop();
    on = null;
    assert.match(cli('--data-dir', dataDir, 'search-index', 'status').stdout, /search index: on/);
  } finally {
    await on?.stop();
  }
});

test('bad arguments are refused with a clear message and change nothing', () => {
  const none = cli('--data-dir', makeDataDir(), 'search-index');
  assert.equal(none.code, 2);
  assert.match(none.stderr, /relay search-index needs a command/);

  const verb = cli('--data-dir', makeDataDir(), 'search-index', 'reindex');
  assert.equal(verb.code, 2);
  assert.match(verb.stderr, /search-index/);

  const extra = cli('--data-dir', makeDataDir(), 'search-index', 'rebuild', 'now');
  assert.equal(extra.code, 2);
  assert.match(extra.stderr, /unexpected argument 'now'/);

  const missing = join(makeDataDir(), 'nowhere');
  const r = cli('--data-dir', missing, 'search-index', 'rebuild');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no SQLite store at .*nowhere/);

  const opt = cli('--data-dir', makeDataDir(), '--search-index', 'sometimes');
  assert.equal(opt.code, 2);
  assert.match(opt.stderr, /search_index/);
});
