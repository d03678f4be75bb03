// What a hostile or careless client found (issue 19), black-box against the real
// binary: every byte read before Relay decides counts against a cap, and a client that
// stops reading cannot hold its connection.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { startRelay, createUser, api, openWs, uniq, FAST_SEND_ARGS } from './harness.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function rssBytes(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m[1]) * 1024;
}

function connect(url) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: hostname, port: Number(port) }, () => resolve(s));
    s.once('error', reject);
  });
}

/**
 * Sends `head`, then up to `total` bytes made by `piece()` while the server takes them,
 * and resolves with the server's answer and how much had been sent when it came.
 */
async function pushUntilAnswered(url, head, piece, total) {
  const s = await connect(url);
  let answer = '';
  let sent = 0;
  let sentAtAnswer = null;
  let closed = false;
  s.setEncoding('latin1');
  s.on('data', (d) => {
    answer += d;
    if (sentAtAnswer === null && answer.includes('\r\n\r\n')) sentAtAnswer = sent;
  });
  s.on('error', () => { closed = true; });
  s.on('close', () => { closed = true; });
  s.write(head);
  while (sent < total && sentAtAnswer === null && !closed) {
    const p = piece();
    sent += p.length;
    if (!s.write(p)) await Promise.race([new Promise((r) => s.once('drain', r)), sleep(200)]);
    else await new Promise((r) => setImmediate(r)); // let the answer in
  }
  const deadline = Date.now() + 5000;
  while (sentAtAnswer === null && !closed && Date.now() < deadline) await sleep(20);
  // The server closes after a refused request.
  while (!closed && Date.now() < deadline) await sleep(20);
  s.destroy();
  return {
    status: Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0), answer, sent, sentAtAnswer, closed,
  };
}

describe('bounded input before a request is decided', () => {
  let relay;
  before(async () => { relay = await startRelay(); });
  after(async () => { await relay.stop(); });

  test('a 64 MB chunked trailer gets 413 after a few KiB, not 64 MB of memory', async () => {
    const before = rssBytes(relay.proc.pid);
    const head = 'POST /api/health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n';
    const line = `X-Pad: ${'t'.repeat(1000)}\r\n`.repeat(64);
    const runs = await Promise.all([0, 1, 2, 3].map(
      () => pushUntilAnswered(relay.url, head, () => line, 64 << 20)));
    for (const r of runs) {
      assert.equal(r.status, 413, r.answer.slice(0, 200));
      assert.match(r.answer, /"code":"PAYLOAD_TOO_LARGE"/);
      assert.ok(r.closed, 'the server closes the connection after refusing it');
      assert.ok(r.sentAtAnswer !== null && r.sentAtAnswer < 64 << 20, 'answered before the trailer was over');
    }
    const grew = rssBytes(relay.proc.pid) - before;
    assert.ok(grew < 24 << 20, `RSS grew by ${grew} bytes for four 64 MB trailers`);
  });

  test('a chunk extension of megabytes gets 413, not megabytes of memory', async () => {
    const before = rssBytes(relay.proc.pid);
    const head = 'POST /api/health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1;ext=';
    const r = await pushUntilAnswered(relay.url, head, () => 'e'.repeat(65536), 32 << 20);
    assert.equal(r.status, 413, r.answer.slice(0, 200));
    assert.ok(r.sentAtAnswer !== null && r.sentAtAnswer < 32 << 20, 'answered before the extension was over');
    const grew = rssBytes(relay.proc.pid) - before;
    assert.ok(grew < 16 << 20, `RSS grew by ${grew} bytes for a 32 MB chunk extension`);
  });

  test('a head over 16 KiB gets 431, a malformed one 400', async () => {
    const big = await pushUntilAnswered(relay.url, `GET /api/health HTTP/1.1\r\nX-Big: `,
      () => 'a'.repeat(4096), 1 << 20);
    assert.equal(big.status, 431, big.answer.slice(0, 200));
    const bad = await pushUntilAnswered(relay.url, 'GET /api/health HTTP/1.1\r\nNo colon here\r\n\r\n',
      () => '', 0);
    assert.equal(bad.status, 400, bad.answer.slice(0, 200));
    assert.match(bad.answer, /"code":"BAD_REQUEST"/);
    // The server is fine afterwards.
    assert.equal((await api(relay.url, null, 'GET', '/api/health')).status, 200);
  });

  test('a transfer coding other than chunked last gets 400, and its body is not read as a request', async () => {
    // Behind a proxy that honours `gzip`, the body would be part of this request; Beast
    // alone reads none and would answer the smuggled one (RFC 9112 6.3: 400 and close).
    const smuggled = 'GET /api/me HTTP/1.1\r\nHost: x\r\n\r\n';
    for (const te of ['gzip', 'chunked, gzip', 'chunked, chunked']) {
      const r = await pushUntilAnswered(relay.url,
        `POST /api/health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: ${te}\r\n\r\n${smuggled}`, () => '', 0);
      assert.equal(r.status, 400, `${te}: ${r.answer.slice(0, 200)}`);
      assert.equal(r.answer.match(/^HTTP\/1\.1 /gm).length, 1, `${te}: one answer, none for the smuggled request`);
      assert.ok(r.closed, `${te}: the server closes the connection`);
    }
    // Chunked over a coding Relay cannot undo is framed but not readable: 501.
    const gz = await pushUntilAnswered(relay.url,
      'POST /api/health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
      () => '', 0);
    assert.equal(gz.status, 501, gz.answer.slice(0, 200));
    assert.match(gz.answer, /"code":"NOT_IMPLEMENTED"/);
  });
});

describe('a client that stops reading', () => {
  let relay;
  let token;
  before(async () => {
    relay = await startRelay({
      args: ['--write-timeout-seconds', '2', '--out-queue-bytes', String(1 << 30),
        '--out-queue-frames', String(1 << 24), '--out-queue-burst', '1', ...FAST_SEND_ARGS],
    });
    token = await createUser(relay.dataDir, uniq('w'));
    // ~400 KB per history page.
    const ws = await openWs(`${relay.wsUrl}/api/ws/rooms/lobby`, token);
    await ws.next((f) => f.type === 'sync');
    for (let i = 0; i < 100; i += 1) {
      ws.send({ type: 'send', clientMsgId: `seed${i}`, content: `${i} ${'x'.repeat(3990)}`, channelId: null });
    }
    await ws.next((f) => f.type === 'ack' && f.clientMsgId === 'seed99', 20000);
    await ws.close();
  });
  after(async () => { await relay.stop(); });

  test('loses its HTTP connection once the socket takes nothing for write_timeout_seconds', async () => {
    const s = await connect(relay.url);
    s.pause();
    const req = `GET /api/rooms/lobby/messages?limit=100 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n\r\n`;
    const n = 60; // ~24 MB of answers, far more than the socket buffers hold
    s.write(req.repeat(n));
    let ended = false;
    s.on('close', () => { ended = true; });
    s.on('error', () => { ended = true; });
    await sleep(5000); // stalled for longer than the 2 s timeout
    let received = 0;
    s.on('data', (d) => { received += d.length; });
    s.resume();
    const deadline = Date.now() + 10000;
    while (!ended && Date.now() < deadline) await sleep(50);
    s.destroy();
    assert.ok(ended, 'the server closed the stalled connection');
    assert.ok(received < n * 400000, `only part of the ${n} answers was delivered (${received} bytes)`);
  });

  // ~16 MB into the room, under the slow client's (raised) queue caps: only the stall
  // can end its connection.
  async function flood(prefix) {
    const sender = await openWs(`${relay.wsUrl}/api/ws/rooms/lobby`, token);
    await sender.next((f) => f.type === 'sync');
    for (let i = 0; i < 4000; i += 1) {
      sender.send({ type: 'send', clientMsgId: `${prefix}${i}`, content: `${i} ${'y'.repeat(3990)}`, channelId: null });
    }
    await sender.next((f) => f.type === 'ack' && f.clientMsgId === `${prefix}3999`, 60000);
    return sender;
  }

  test('loses its WebSocket once the socket takes nothing for write_timeout_seconds', async () => {
    const slow = await openWs(`${relay.wsUrl}/api/ws/rooms/lobby`, token);
    await slow.next((f) => f.type === 'sync');
    slow.ws.pause(); // stop reading at the TCP level
    const sender = await flood('w');
    await sleep(5000);
    slow.ws.resume();
    const closed = await Promise.race([slow.closed, sleep(10000).then(() => null)]);
    assert.ok(closed, 'the stalled WebSocket was closed');
    assert.equal(closed.code, 1006, 'closed without a close frame: nothing could be written');
    assert.ok(sender.isOpen, 'the sender is unaffected');
    await sender.close();
  });

  test('loses its SSE stream once the socket takes nothing for write_timeout_seconds', async () => {
    const s = await connect(relay.url);
    let received = 0;
    let ended = false;
    s.on('data', (d) => { received += d.length; });
    s.on('end', () => { ended = true; });
    s.on('close', () => { ended = true; });
    s.on('error', () => { ended = true; });
    s.write(`GET /api/rooms/lobby/stream HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\nAuthorization: Bearer ${token}\r\n\r\n`);
    const t0 = Date.now();
    while (received === 0 && Date.now() - t0 < 10000) await sleep(20); // headers and the sync
    assert.ok(received > 0, 'the stream started');
    s.pause();
    const sender = await flood('e');
    await sleep(5000);
    s.resume();
    const deadline = Date.now() + 10000;
    while (!ended && Date.now() < deadline) await sleep(50);
    s.destroy();
    assert.ok(ended, 'the stalled stream was closed');
    assert.ok(received < 4000 * 4000, `only part of the stream was delivered (${received} bytes)`);
    await sender.close();
  });
});
