// Growing from one node to a cluster (docs/operations.md, "Moving from one node to a
// cluster"): a real single node on SQLite gets users, a room, channels and history; it
// stops; `relay store copy-to-postgres` copies its store into a fresh real Postgres; two
// cluster nodes (real Redis) start on that database, and the clients of the single node
// carry on: the same token, the same history with the same seqs, resumes by seq, the next
// seq of each channel, a retried send answered as the stored message.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import {
  RELAY_BIN, startRelay, createUser, createRoom, api, uniq, openWs, fetchAllMessages, FAST_SEND_ARGS,
} from './harness.mjs';
import { PG, psql, freshDatabase } from './postgres.mjs';

const execFileP = promisify(execFile);
const REDIS = process.env.RELAY_TEST_REDIS_URL;
const skip = PG && REDIS ? false : 'RELAY_TEST_POSTGRES_URL and RELAY_TEST_REDIS_URL are not set (make test starts both)';

const servers = [];
after(async () => {
  await Promise.all(servers.map((s) => s.kill9()));
});

/** `relay --data-dir DIR store copy-to-postgres URL`: {code, stdout, stderr}. */
async function copy(dataDir, url) {
  try {
    const { stdout, stderr } = await execFileP(RELAY_BIN,
      ['--data-dir', dataDir, 'store', 'copy-to-postgres', url], { timeout: 60000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function sendAll(c, prefix, n, channelId) {
  const acks = [];
  for (let i = 0; i < n; i++) {
    const cm = `${prefix}-${i}`;
    c.send({ type: 'send', clientMsgId: cm, content: `${prefix} ${i}`, channelId });
    const f = await c.next((x) => (x.type === 'ack' || x.type === 'error') && x.clientMsgId === cm, 10000);
    assert.equal(f.type, 'ack', JSON.stringify(f));
    acks.push(f);
  }
  return acks;
}

/** What a client keeps of a message: everything the copy must not change. */
const kept = (m) => ({
  id: m.id, seq: m.seq, channelId: m.channelId ?? null, content: m.content, clientMsgId: m.clientMsgId,
  createdAt: m.createdAt, editedAt: m.editedAt ?? null, author: m.author?.login,
});

test('a single node copied into Postgres carries on as a cluster: tokens, history, seqs, resumes, retries',
  { skip, timeout: 180000 }, async () => {
    // -- the single node and its history ------------------------------------------------
    const single = await startRelay({ args: FAST_SEND_ARGS });
    servers.push(single);
    const dir = single.dataDir;
    const owner = uniq('own');
    const guest = uniq('gst');
    const ownerToken = await createUser(dir, owner);
    const guestToken = await createUser(dir, guest);
    const room = await createRoom(single, ownerToken);
    const channel = async (body) => {
      const r = await api(single.url, ownerToken, 'POST', `/api/rooms/${room.slug}/channels`, body);
      assert.equal(r.status, 201, r.text);
      return r.json;
    };
    const pub = await channel({ name: 'general', slug: 'general', visibility: 'public' });
    const priv = await channel({ name: 'secret', slug: 'secret', visibility: 'private', inviteLogins: [guest] });

    const c = await openWs(`${single.wsUrl}/api/ws/rooms/${room.slug}`, ownerToken);
    await c.next((f) => f.type === 'sync');
    const sent = {
      room: await sendAll(c, 'room', 4, null),
      pub: await sendAll(c, 'pub', 5, pub.id),
      priv: await sendAll(c, 'priv', 3, priv.id),
    };
    const edit = await api(single.url, ownerToken, 'PATCH', `/api/rooms/${room.slug}/messages/${sent.pub[1].serverId}`, { content: 'pub 1, edited' });
    assert.equal(edit.status, 200, edit.text);
    // The newest of the private channel: its seq must stay used after the move.
    const del = await api(single.url, ownerToken, 'DELETE', `/api/rooms/${room.slug}/messages/${sent.priv[2].serverId}`);
    assert.equal(del.status, 200, del.text);
    c.close();
    // A file on a private message: its bytes live under the data directory until the
    // copy moves them into Postgres.
    const form = new FormData();
    form.append('entityType', 'message');
    form.append('entityId', sent.priv[0].serverId);
    form.append('file', new Blob([Buffer.from('copied file\n')]), 'copied.txt');
    const uploaded = await fetch(`${single.url}/api/attachments`, { method: 'POST', headers: { Authorization: `Bearer ${ownerToken}` }, body: form });
    const attachment = await uploaded.json();
    assert.equal(uploaded.status, 201, JSON.stringify(attachment));

    const history = async (base, token, channelId) =>
      (await fetchAllMessages(base, token, room.slug, { channelId, limit: 2 })).map(kept);
    const before = {
      room: await history(single.url, ownerToken, null),
      pub: await history(single.url, ownerToken, pub.id),
      priv: await history(single.url, guestToken, priv.id),
    };
    assert.equal(before.pub.length, 5);
    assert.equal(before.priv.length, 2);

    // -- the copy ---------------------------------------------------------------------
    const pg = await freshDatabase('cp');
    const running = await copy(dir, pg);
    assert.equal(running.code, 1, 'refused while the server runs');
    assert.match(running.stderr, /another relay server is running/);
    assert.equal(await psql(pg, "SELECT count(*) FROM pg_tables WHERE tablename = 'users'"), '0', 'nothing written');

    await single.stop();
    const done = await copy(dir, pg);
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.stdout, /^messages\s+11\s+11$/m);
    assert.match(done.stdout, /Copied: every table holds as many rows/);
    const again = await copy(dir, pg);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /copied already; nothing changed/);

    // Another store into the same database is refused, and changes nothing.
    const other = await startRelay({ args: FAST_SEND_ARGS });
    servers.push(other);
    await createUser(other.dataDir, uniq('oth'));
    await other.stop();
    const mixed = await copy(other.dataDir, pg);
    assert.equal(mixed.code, 1);
    assert.match(mixed.stderr, /holds a copy of another store/);
    assert.equal(await psql(pg, 'SELECT count(*) FROM users'), '2');

    // -- the cluster ------------------------------------------------------------------
    const opts = ['--redis-url', REDIS, '--postgres-url', pg];
    const a = await startRelay({ args: [...FAST_SEND_ARGS, ...opts] });
    const b = await startRelay({ args: [...FAST_SEND_ARGS, ...opts] });
    servers.push(a, b);

    // The same tokens sign in, on either node, and read the same history.
    assert.deepEqual(await history(a.url, ownerToken, null), before.room);
    assert.deepEqual(await history(b.url, ownerToken, pub.id), before.pub);
    assert.deepEqual(await history(b.url, guestToken, priv.id), before.priv);
    assert.equal(before.pub.find((m) => m.id === sent.pub[1].serverId).content, 'pub 1, edited');
    // The attachment came along: bytes and access as on the single node.
    const fetched = await fetch(`${b.url}/api/attachments/${attachment.id}`, { headers: { Authorization: `Bearer ${guestToken}` } });
    assert.equal(fetched.status, 200);
    assert.equal(await fetched.text(), 'copied file\n');
    assert.match(done.stdout, /^attachments\s+1\s+1$/m);

    // A client that had seen seq 2 of the public channel resumes from there.
    const resumed = await openWs(`${b.wsUrl}/api/ws/rooms/${room.slug}`, ownerToken, { resume: `${pub.id}:2` });
    const sync = await resumed.next((f) => f.type === 'sync');
    assert.deepEqual(sync.messages.filter((m) => m.channelId === pub.id).map((m) => m.seq), [3, 4, 5]);
    resumed.close();

    // New messages continue each channel's seqs; the private one above its deleted newest.
    const onA = await openWs(`${a.wsUrl}/api/ws/rooms/${room.slug}`, ownerToken);
    await onA.next((f) => f.type === 'sync');
    const [nextRoom] = await sendAll(onA, 'room-after', 1, null);
    const [nextPub] = await sendAll(onA, 'pub-after', 1, pub.id);
    const [nextPriv] = await sendAll(onA, 'priv-after', 1, priv.id);
    assert.deepEqual([nextRoom.seq, nextPub.seq, nextPriv.seq], [5, 6, 4]);

    // A send the single node acknowledged, retried now, is answered with the stored message.
    onA.send({ type: 'send', clientMsgId: 'pub-3', content: 'pub 3', channelId: pub.id });
    const dup = await onA.next((f) => f.type === 'ack' && f.clientMsgId === 'pub-3', 10000);
    assert.equal(dup.serverId, sent.pub[3].serverId);
    assert.equal(dup.seq, sent.pub[3].seq);
    assert.equal((await fetchAllMessages(a.url, ownerToken, room.slug, { channelId: pub.id })).length, 6);
    onA.close();
    await a.stop();
    await b.stop();
  });

test('a target that already holds users is refused and left as it was', { skip, timeout: 60000 }, async () => {
  const single = await startRelay({ args: FAST_SEND_ARGS });
  servers.push(single);
  await createUser(single.dataDir, uniq('one'));
  await single.stop();
  const pg = await freshDatabase('cp');
  // A cluster that already has a user of its own.
  const { stdout } = await execFileP(RELAY_BIN, ['--data-dir', single.dataDir, '--redis-url', REDIS,
    '--postgres-url', pg, 'user', 'add', uniq('clu')]);
  assert.match(stdout, /^usr_/);
  const r = await copy(single.dataDir, pg);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /not empty: it holds users \(1\)/);
  assert.equal(await psql(pg, 'SELECT count(*) FROM users'), '1');
});

test('kill -9 in the middle of a copy: the next run finishes it, nothing twice', { skip, timeout: 120000 }, async () => {
  const single = await startRelay({ args: FAST_SEND_ARGS });
  servers.push(single);
  const login = uniq('big');
  const token = await createUser(single.dataDir, login);
  await single.stop();
  // 30 000 messages of the lobby, written straight into the stopped node's file: enough
  // batches for the kill to land inside one.
  const n = 30000;
  await execFileP('sqlite3', [`${single.dataDir}/relay.db`, `
    WITH RECURSIVE i(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM i WHERE k < ${n})
    INSERT INTO messages (id, room_id, channel_id, seq, author_id, content, client_msg_id, created_at)
      SELECT printf('msg_%08d', k), (SELECT id FROM rooms WHERE slug = 'lobby'), '', k,
             (SELECT id FROM users WHERE login = '${login}'), 'm ' || k, 'cm-' || k, 1700000000000 + k
      FROM i;
    INSERT INTO channel_seqs (room_id, channel_id, last_seq, reserved)
      SELECT id, '', ${n}, ${n} FROM rooms WHERE slug = 'lobby';`]);

  const pg = await freshDatabase('cp');
  const proc = spawn(RELAY_BIN, ['--data-dir', single.dataDir, 'store', 'copy-to-postgres', pg], { stdio: 'ignore' });
  const exited = new Promise((res) => proc.once('exit', (code, signal) => res({ code, signal })));
  const copied = async () => Number(await psql(pg, "SELECT count(*) FROM pg_tables WHERE tablename = 'relay_copy'") === '1'
    ? await psql(pg, 'SELECT count(*) FROM messages') : 0);
  for (let i = 0; i < 1000 && (await copied()) === 0; i++) await new Promise((r) => setTimeout(r, 20));
  proc.kill('SIGKILL');
  assert.equal((await exited).signal, 'SIGKILL', 'the copy was cut off, not finished');
  const partial = await copied();
  assert.ok(partial > 0 && partial < n, `cut midway (${partial} of ${n})`);

  const r = await copy(single.dataDir, pg);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Finished a copy an earlier run had begun/);
  assert.match(r.stdout, new RegExp(`^messages\\s+${n}\\s+${n}$`, 'm'));
  assert.equal(await psql(pg, 'SELECT count(DISTINCT seq) FROM messages'), String(n));

  // The cluster pages the whole history with its seqs, and the next message takes n + 1.
  const node = await startRelay({ args: [...FAST_SEND_ARGS, '--redis-url', REDIS, '--postgres-url', pg] });
  servers.push(node);
  const page = await api(node.url, token, 'GET', '/api/rooms/lobby/messages?limit=3');
  assert.equal(page.status, 200, page.text);
  assert.deepEqual(page.json.messages.map((m) => m.seq), [n, n - 1, n - 2]);
  const c = await openWs(`${node.wsUrl}/api/ws/rooms/lobby`, token);
  await c.next((f) => f.type === 'sync');
  const [next] = await sendAll(c, 'after', 1, null);
  assert.equal(next.seq, n + 1);
  c.close();
  await node.stop();
});
