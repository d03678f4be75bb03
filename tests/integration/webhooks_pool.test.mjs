// Outbound webhooks without head-of-line blocking (docs/api.md, "Outbound webhooks"): a
// receiver that accepts the connection and never answers holds up only its own requests
// (at most 4 at once), another hook's deliveries still arrive at once, and a server stop
// does not wait for the silent receiver.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { startRelay, api, newUser, newRoom } from './harness.mjs';
import { startReceiver } from './webhook_receiver.mjs';

const ARGS = ['--webhook-allowed-hosts', '127.0.0.1', '--webhook-retry-scale', '0.05'];

// A black hole: accepts TCP connections, reads what comes and never answers, so each
// request waits for Relay's 10 s timeout. Counts connections open now and at most.
async function startSilent() {
  const sockets = new Set();
  let maxOpen = 0;
  let accepted = 0;
  const server = createServer((s) => {
    sockets.add(s);
    accepted += 1;
    maxOpen = Math.max(maxOpen, sockets.size);
    s.on('data', () => {});
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    open: () => sockets.size,
    maxOpen: () => maxOpen,
    accepted: () => accepted,
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

let receiver;
const silents = [];
before(async () => {
  receiver = await startReceiver();
});
after(async () => {
  await receiver?.close();
  for (const s of silents) await s.close();
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function room(relay, silentUrl, healthyPath) {
  const call = (who, method, path, body) => api(relay.url, who?.token, method, path, body);
  const alice = await newUser(relay, 'hp');
  const slug = await newRoom(relay, alice);
  for (const url of [`${silentUrl}/silent`, `${receiver.url}${healthyPath}`]) {
    const r = await call(alice, 'POST', `/api/rooms/${slug}/webhooks`,
      { url, events: ['message.created'] });
    assert.equal(r.status, 201, r.text);
  }
  return async (content) => {
    const r = await call(alice, 'POST', `/api/rooms/${slug}/messages`, { content });
    assert.equal(r.status, 201, r.text);
    return r.json;
  };
}

const to = (path, content) => (r) => r.url === path && r.json?.data?.message?.content === content;

test('a silent receiver does not delay another hook: each delivery arrives within ~1 s', async () => {
  const relay = await startRelay({ args: ARGS });
  const silent = await startSilent();
  silents.push(silent);
  try {
    const post = await room(relay, silent.url, '/healthy-a');
    await post('first');
    await receiver.waitFor(to('/healthy-a', 'first'), 1, 5000);
    for (let i = 0; i < 4; i++) {
      const content = `next ${i}`;
      const sent = Date.now();
      await post(content);
      const [got] = await receiver.waitFor(to('/healthy-a', content), 1, 5000);
      assert.ok(got.at - sent < 1000, `delivery ${i} took ${got.at - sent} ms`);
      // It went out while the silent hook's requests were still hanging.
      assert.ok(silent.open() >= 1, 'the silent receiver still holds a request');
      await sleep(150);
    }
  } finally {
    await relay.stop();
  }
});

test('a silent hook with a backlog holds at most 4 requests; the healthy hook gets through', async () => {
  const relay = await startRelay({ args: ARGS });
  const silent = await startSilent();
  silents.push(silent);
  try {
    const post = await room(relay, silent.url, '/healthy-b');
    const contents = Array.from({ length: 30 }, (_, i) => `backlog ${i}`);
    for (const c of contents) await post(c);
    const got = await receiver.waitFor((r) => r.url === '/healthy-b', contents.length, 5000);
    assert.deepEqual(new Set(got.map((r) => r.json.data.message.content)), new Set(contents));
    await sleep(1500);
    assert.equal(silent.maxOpen(), 4, 'the silent hook had exactly its cap in flight');
    assert.equal(silent.open(), 4);
    assert.equal(silent.accepted(), 4, 'no request went out beyond the cap');
  } finally {
    await relay.stop();
  }
});

test('SIGTERM with requests hanging at a silent receiver exits promptly and cleanly', async () => {
  const relay = await startRelay({ args: ARGS });
  const silent = await startSilent();
  silents.push(silent);
  const post = await room(relay, silent.url, '/healthy-c');
  for (let i = 0; i < 6; i++) await post(`hang ${i}`);
  await receiver.waitFor((r) => r.url === '/healthy-c', 6, 5000);
  for (let i = 0; i < 50 && silent.open() < 4; i++) await sleep(50);
  assert.equal(silent.open(), 4);
  const started = Date.now();
  await relay.stop(); // throws unless it exits with code 0 and no sanitizer report
  const took = Date.now() - started;
  assert.ok(took < 3000, `stop took ${took} ms`);
  for (let i = 0; i < 20 && silent.open() > 0; i++) await sleep(50);
  assert.equal(silent.open(), 0, 'the hanging requests were closed');
});
