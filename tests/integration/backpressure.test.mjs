// Slow consumers: a client that stops reading is cut off at its queue cap with close
// code 4008, while everyone else keeps receiving everything, and the cut-off client
// resumes by sequence number without losing a durable message.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startRelay, createUser, uniq, openWs, fetchAllMessages, FAST_SEND_ARGS } from './harness.mjs';

let relay;
before(async () => {
  // Small caps so a stalled socket overflows after a few hundred KB, not megabytes. The
  // test pushes 3000 messages from one socket as fast as acks come back, far past the
  // default send rate limits, so those are raised.
  relay = await startRelay({ args: ['--out-queue-bytes', '262144', '--out-queue-frames', '1024', ...FAST_SEND_ARGS] });
});
after(async () => { await relay?.stop(); });

async function newUser() {
  const login = uniq('bp');
  return { login, token: await createUser(relay.dataDir, login) };
}

async function connect(u, query) {
  const c = await openWs(`${relay.wsUrl}/api/ws/rooms/lobby`, u.token, query);
  c.sync = await c.next((f) => f.type === 'sync');
  return c;
}

// Sends `total` messages to the lobby, `window` at a time, and returns their acks in order.
async function sendAll(pub, total, content, window) {
  const acked = [];
  for (let i = 0; i < total; i += window) {
    const pending = [];
    for (let k = i; k < Math.min(i + window, total); k += 1) {
      const cm = uniq(`bp${k}-`);
      pub.send({ type: 'send', clientMsgId: cm, content, channelId: null });
      pending.push(pub.next((f) => f.type === 'ack' && f.clientMsgId === cm, 20000));
    }
    acked.push(...(await Promise.all(pending)));
  }
  return acked;
}

test('a stalled client is closed with 4008; others get everything; resume loses nothing', async () => {
  const sender = await newUser();
  const watcher = await newUser();
  const sleeper = await newUser();
  const pub = await connect(sender);
  const fast = await connect(watcher);
  const slow = await connect(sleeper);
  const startSeq = slow.sync.seqs.__lobby;

  // Stop reading: the kernel buffers fill, then the server's queue for this socket.
  slow.ws.pause();

  const content = 'x'.repeat(3900);
  const total = 3000; // ~12 MB to every subscriber: far past the loopback socket buffers
  // Windows of 20 keep each burst well under a healthy reader's cap.
  const acked = await sendAll(pub, total, content, 20);
  assert.equal(acked.length, total);

  // The fast watcher receives every message, in seq order.
  const lastSeq = acked[acked.length - 1].seq;
  await fast.next((f) => f.type === 'message' && f.message.seq === lastSeq, 20000);
  const seen = fast.frames.filter((f) => f.type === 'message').map((f) => f.message.seq);
  assert.deepEqual(seen, Array.from({ length: total }, (_, i) => startSeq + 1 + i));

  // Wake the sleeper: it reads what was buffered, then the documented close code.
  slow.ws.resume();
  const closed = await Promise.race([
    slow.closed,
    new Promise((_, reject) => setTimeout(() => reject(new Error('no close')), 20000)),
  ]);
  assert.equal(closed.code, 4008, JSON.stringify(closed));
  const got = slow.frames.filter((f) => f.type === 'message').map((f) => f.message.seq);
  assert.ok(got.length < total, 'the stalled client was cut off before receiving everything');

  // Resuming from the last seq it saw yields exactly the rest, in order, even while
  // the room goes on. The backlog (megabytes) is paged: the sync holds the first page,
  // the rest follows as `message` frames as the client reads, so live traffic queued
  // behind it cannot overflow the resumed client's cap and close it again.
  const lastSeen = got.length ? got[got.length - 1] : startSeq;
  const again = await connect(sleeper, { resume: `__lobby:${lastSeen}` });
  assert.ok(again.sync.messages.length > 0 && again.sync.messages.length < lastSeq - lastSeen,
    `the sync holds a first page, not the whole backlog (${again.sync.messages.length})`);
  assert.ok(JSON.stringify(again.sync).length < 256 * 1024 + 8192, 'one page is at most resume_page_bytes');
  const more = [];
  for (let k = 0; k < 40; k += 1) {
    const cm = uniq(`bplive${k}-`);
    pub.send({ type: 'send', clientMsgId: cm, content: `live ${k}`, channelId: null });
    more.push(pub.next((f) => f.type === 'ack' && f.clientMsgId === cm, 20000));
  }
  const finalSeq = (await Promise.all(more)).at(-1).seq;
  await again.next((f) => f.type === 'message' && f.message.seq === finalSeq, 30000);
  const resumed = [
    ...again.sync.messages.map((m) => m.seq),
    ...again.frames.filter((f) => f.type === 'message').map((f) => f.message.seq),
  ];
  assert.deepEqual(resumed, Array.from({ length: finalSeq - lastSeen }, (_, i) => lastSeen + 1 + i));
  const closedAgain = await Promise.race([again.closed, new Promise((r) => setTimeout(() => r(null), 200))]);
  assert.equal(closedAgain, null, 'the resumed client stays connected');
  await Promise.all([pub.close(), fast.close(), again.close()]);

  const history = await fetchAllMessages(relay.url, sender.token, 'lobby', { channelId: '__lobby' });
  assert.equal(history.filter((m) => m.content === content).length, total);
});

test('resumes far behind share one byte budget: a crowd catching up is spread out, and loses nothing', async () => {
  // 256 KiB/s for all resumes together, 64 KiB pages (so the budget holds 4 pages).
  const rate = 256 * 1024;
  const slowRelay = await startRelay({
    args: ['--resume-rate-bytes', String(rate), '--resume-page-bytes', '65536', ...FAST_SEND_ARGS],
  });
  try {
    const user = async () => {
      const login = uniq('rb');
      return { login, token: await createUser(slowRelay.dataDir, login) };
    };
    const sender = await user();
    const pub = await openWs(`${slowRelay.wsUrl}/api/ws/rooms/lobby`, sender.token);
    const startSeq = (await pub.next((f) => f.type === 'sync')).seqs.__lobby;
    const content = 'y'.repeat(3900);
    const total = 150; // ~600 KB of backlog per resuming client
    const lastSeq = (await sendAll(pub, total, content, 25)).at(-1).seq;

    // Two clients come back at once, each missing every one of those messages.
    const started = Date.now();
    const resume = async () => {
      const u = await user();
      const c = await openWs(`${slowRelay.wsUrl}/api/ws/rooms/lobby`, u.token, { resume: `__lobby:${startSeq}` });
      const sync = await c.next((f) => f.type === 'sync', 30000);
      await c.next((f) => f.type === 'message' && f.message.seq === lastSeq, 30000);
      const seqs = [
        ...sync.messages.map((m) => m.seq),
        ...c.frames.filter((f) => f.type === 'message').map((f) => f.message.seq),
      ];
      await c.close();
      return seqs;
    };
    const [a, b] = await Promise.all([resume(), resume()]);
    const elapsed = (Date.now() - started) / 1000;
    const want = Array.from({ length: lastSeq - startSeq }, (_, i) => startSeq + 1 + i);
    assert.deepEqual(a, want);
    assert.deepEqual(b, want);
    // Both backlogs went through the one budget: no faster than the rate allows after
    // the budget's initial 256 KiB (a lower bound, which no slow machine can break).
    const bytes = 2 * total * content.length;
    const floor = (bytes - 256 * 1024) / rate;
    assert.ok(elapsed >= floor * 0.9, `${bytes} bytes resumed in ${elapsed}s, budget allows ${floor}s at best`);
    await pub.close();
  } finally {
    await slowRelay.stop();
  }
});
