// Boards (docs/api.md, "Boards"): the default board made once under concurrent first
// reads; cards into the first column; who may move which card (board owner any, members
// their own, others 403, outsiders of a gated room 404); saved cards first only for the
// saver; positions a total order under concurrent moves; board_updated / card_moved on
// WebSocket and SSE; bad input 400 changing nothing; and in cluster mode (3 nodes) moves
// reach other nodes' clients and concurrent moves on different nodes keep the order.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startRelay, relayCli, api, uniq, openWs, openSse, newUser, newRoom, makeDataDir, FAST_SEND_ARGS,
} from './harness.mjs';
import { PG, freshDatabase } from './postgres.mjs';

let relay;
before(async () => { relay = await startRelay(); });
after(async () => { await relay?.stop(); });

const user = (prefix = 'bd') => newUser(relay, prefix);
const call = (who, method, path, body) => api(relay.url, who?.token, method, path, body);

async function board(who, slug) {
  const r = await call(who, 'GET', `/api/rooms/${slug}/board`);
  assert.equal(r.status, 200, r.text);
  return r.json;
}

async function addCard(who, boardId, title, body = '') {
  const r = await call(who, 'POST', `/api/boards/${boardId}/cards`, { title, body });
  assert.equal(r.status, 201, r.text);
  return r.json;
}

const move = (who, cardId, columnId, position) => call(who, 'PATCH', `/api/cards/${cardId}`, { columnId, position });

/** Every column's positions are exactly 0..n-1 and every card is there once. */
function assertTotalOrder(b, expectedIds) {
  const seen = [];
  for (const col of b.columns) {
    const positions = col.cards.map((c) => c.position).sort((x, y) => x - y);
    assert.deepEqual(positions, positions.map((_, i) => i), `column ${col.name}: ${JSON.stringify(positions)}`);
    for (const c of col.cards) assert.equal(c.columnId, col.id);
    seen.push(...col.cards.map((c) => c.id));
  }
  assert.deepEqual([...seen].sort(), [...expectedIds].sort());
}

const titles = (col) => col.cards.map((c) => c.title);

test('the default board is made once under concurrent first reads, with Todo, Doing and Done', async () => {
  const alice = await user('ba');
  const bob = await user('bb');
  const slug = await newRoom(relay, alice);
  const all = await Promise.all(Array.from({ length: 10 }, (_, i) => call(i % 2 ? bob : alice, 'GET', `/api/rooms/${slug}/board`)));
  for (const r of all) assert.equal(r.status, 200, r.text);
  const ids = new Set(all.map((r) => r.json.id));
  assert.equal(ids.size, 1);
  const b = all[0].json;
  assert.match(b.id, /^brd_/);
  assert.equal(b.isDefault, true);
  assert.deepEqual(b.columns.map((c) => c.name), ['Todo', 'Doing', 'Done']);
  assert.deepEqual(b.columns.map((c) => c.position), [0, 1, 2]);
  const list = await call(bob, 'GET', `/api/rooms/${slug}/boards`);
  assert.equal(list.status, 200);
  assert.deepEqual(list.json.boards.map((x) => x.id), [b.id]);

  const more = await call(bob, 'POST', `/api/rooms/${slug}/boards`, { name: '  Sprint 2 ' });
  assert.equal(more.status, 201, more.text);
  assert.equal(more.json.name, 'Sprint 2');
  assert.equal(more.json.isDefault, false);
  assert.notEqual(more.json.ownerId, '');
  assert.deepEqual(more.json.columns.map((c) => c.name), ['Todo', 'Doing', 'Done']);
  assert.equal((await board(alice, slug)).id, b.id, 'the default board stays the first');
  assert.deepEqual((await call(alice, 'GET', `/api/rooms/${slug}/boards`)).json.boards.map((x) => x.id), [b.id, more.json.id]);
});

test('cards go to the end of the first column; GET /api/boards/:id inlines them', async () => {
  const alice = await user('bc');
  const slug = await newRoom(relay, alice);
  const b = await board(alice, slug);
  const c1 = await addCard(alice, b.id, '  first  ', 'some body');
  const c2 = await addCard(alice, b.id, 'second');
  assert.match(c1.id, /^crd_/);
  assert.equal(c1.title, 'first');
  assert.equal(c1.body, 'some body');
  assert.equal(c1.columnId, b.columns[0].id);
  assert.equal(c1.position, 0);
  assert.equal(c2.position, 1);
  assert.equal(c2.body, '');
  assert.equal(c1.author.login, alice.login);
  const got = await call(alice, 'GET', `/api/boards/${b.id}`);
  assert.equal(got.status, 200);
  assert.deepEqual(titles(got.json.columns[0]), ['first', 'second']);
  assert.deepEqual(titles(got.json.columns[1]), []);
});

test('move rules: board owner any card, a member their own, another member 403, outsiders of a gated room 404', async () => {
  const owner = await user('bo');
  const carol = await user('bm');
  const dave = await user('bn');
  const stranger = await user('bs');
  const slug = await newRoom(relay, owner);
  const b = await board(owner, slug);
  const [todo, doing, done] = b.columns.map((c) => c.id);
  const mine = await addCard(carol, b.id, 'carol card');
  const ownerCard = await addCard(owner, b.id, 'owner card');

  const own = await move(carol, mine.id, doing, 0);
  assert.equal(own.status, 200, own.text);
  assert.equal(own.json.columnId, doing);
  assert.equal(own.json.position, 0);
  const other = await move(dave, mine.id, done, 0);
  assert.equal(other.status, 403, other.text);
  assert.equal(other.json.code, 'FORBIDDEN');
  assert.equal((await move(carol, ownerCard.id, done, 0)).status, 403);
  const byOwner = await move(owner, mine.id, done, 0);
  assert.equal(byOwner.status, 200, byOwner.text);
  assert.equal(byOwner.json.columnId, done);

  // Someone else's board in the room: its creator may move any card on it; the room's
  // owner too.
  const daves = (await call(dave, 'POST', `/api/rooms/${slug}/boards`, { name: 'Dave' })).json;
  const onDaves = await addCard(carol, daves.id, 'on daves');
  assert.equal((await move(dave, onDaves.id, daves.columns[2].id, 0)).status, 200);
  assert.equal((await move(owner, onDaves.id, daves.columns[1].id, 0)).status, 200);
  assert.equal((await move(carol, onDaves.id, daves.columns[0].id, 0)).status, 200);
  // A column of another board is not a place on this one.
  const cross = await move(owner, onDaves.id, todo, 0);
  assert.equal(cross.status, 400, cross.text);

  // Gate the room: the stranger sees nothing, by id or by slug.
  const gate = await call(owner, 'PUT', `/api/rooms/${slug}/whitelist-mode`, { enabled: true });
  assert.ok(gate.status === 200 || gate.status === 204, gate.text);
  for (const r of [
    await call(stranger, 'GET', `/api/boards/${b.id}`),
    await call(stranger, 'POST', `/api/boards/${b.id}/cards`, { title: 'x' }),
    await move(stranger, mine.id, todo, 0),
    await call(stranger, 'PUT', `/api/cards/${mine.id}/save`),
    await call(stranger, 'DELETE', `/api/cards/${mine.id}/save`),
  ]) {
    assert.equal(r.status, 404, r.text);
    assert.equal(r.json.code, 'NOT_FOUND');
  }
  assert.equal((await call(stranger, 'GET', `/api/rooms/${slug}/board`)).status, 403);
  for (const r of [
    await call(owner, 'GET', '/api/boards/brd_nope'),
    await move(owner, 'crd_nope', todo, 0),
    await call(owner, 'PUT', '/api/cards/crd_nope/save'),
  ]) assert.equal(r.status, 404, r.text);
  assert.equal((await call(owner, 'GET', `/api/boards/${b.id}`)).status, 200);
});

test('saved cards float to the top of their column only for the saver', async () => {
  const alice = await user('bv');
  const bob = await user('bw');
  const slug = await newRoom(relay, alice);
  const b = await board(alice, slug);
  const cards = [];
  for (const t of ['a', 'b', 'c']) cards.push(await addCard(alice, b.id, t));
  const saved = await call(bob, 'PUT', `/api/cards/${cards[2].id}/save`);
  assert.equal(saved.status, 200, saved.text);
  assert.equal(saved.json.saved, true);
  assert.equal((await call(bob, 'PUT', `/api/cards/${cards[2].id}/save`)).status, 200, 'idempotent');
  const forBob = (await call(bob, 'GET', `/api/boards/${b.id}`)).json;
  assert.deepEqual(titles(forBob.columns[0]), ['c', 'a', 'b']);
  assert.deepEqual(forBob.columns[0].cards.map((c) => c.saved), [true, false, false]);
  assert.deepEqual(forBob.columns[0].cards.map((c) => c.position), [2, 0, 1], 'positions stay the shared order');
  const forAlice = (await call(alice, 'GET', `/api/boards/${b.id}`)).json;
  assert.deepEqual(titles(forAlice.columns[0]), ['a', 'b', 'c']);
  assert.ok(forAlice.columns[0].cards.every((c) => c.saved === false));
  const unsaved = await call(bob, 'DELETE', `/api/cards/${cards[2].id}/save`);
  assert.equal(unsaved.status, 200);
  assert.equal(unsaved.json.saved, false);
  assert.deepEqual(titles((await call(bob, 'GET', `/api/boards/${b.id}`)).json.columns[0]), ['a', 'b', 'c']);
});

test('moves within and across columns renumber; a position past the end is clamped', async () => {
  const alice = await user('bx');
  const slug = await newRoom(relay, alice);
  const b = await board(alice, slug);
  const [todo, doing] = b.columns.map((c) => c.id);
  const cs = [];
  for (const t of ['a', 'b', 'c', 'd']) cs.push(await addCard(alice, b.id, t));
  assert.equal((await move(alice, cs[3].id, todo, 0)).json.position, 0);
  let now = (await call(alice, 'GET', `/api/boards/${b.id}`)).json;
  assert.deepEqual(titles(now.columns[0]), ['d', 'a', 'b', 'c']);
  assert.equal((await move(alice, cs[0].id, todo, 99)).json.position, 3, 'clamped to the end');
  const across = await move(alice, cs[1].id, doing, 5);
  assert.equal(across.json.position, 0);
  now = (await call(alice, 'GET', `/api/boards/${b.id}`)).json;
  assert.deepEqual(titles(now.columns[0]), ['d', 'c', 'a']);
  assert.deepEqual(titles(now.columns[1]), ['b']);
  assertTotalOrder(now, cs.map((c) => c.id));
});

test('twenty concurrent moves leave every column exactly 0..n-1 with every card present', async () => {
  const alice = await user('by');
  const slug = await newRoom(relay, alice);
  const b = await board(alice, slug);
  const cols = b.columns.map((c) => c.id);
  const cs = [];
  for (let i = 0; i < 8; i++) cs.push(await addCard(alice, b.id, `card ${i}`));
  for (let round = 0; round < 2; round++) {
    const all = await Promise.all(Array.from({ length: 20 }, (_, i) =>
      move(alice, cs[(i * 3 + round) % cs.length].id, cols[(i + round) % 3], (i * 7) % 5)));
    for (const r of all) assert.equal(r.status, 200, r.text);
    assertTotalOrder((await call(alice, 'GET', `/api/boards/${b.id}`)).json, cs.map((c) => c.id));
  }
});

test('board_updated and card_moved reach WebSocket and SSE clients in the room', async () => {
  const alice = await user('bz');
  const bob = await user('ca');
  const slug = await newRoom(relay, alice);
  const ws = await openWs(`${relay.wsUrl}/api/ws/rooms/${slug}`, bob.token);
  await ws.next((f) => f.type === 'sync');
  const sse = await openSse(`${relay.url}/api/rooms/${slug}/stream`, bob.token);
  const sseNext = async (type) => (await sse.next((x) => x.data?.type === type)).data;
  try {
    const b = await board(alice, slug);
    for (const f of [await ws.next((x) => x.type === 'board_updated'), await sseNext('board_updated')]) {
      assert.equal(f.boardId, b.id);
      assert.deepEqual(f.board.columns.map((c) => c.name), ['Todo', 'Doing', 'Done']);
    }
    const card = await addCard(alice, b.id, 'live');
    for (const f of [await ws.next((x) => x.type === 'board_updated' && x.board.columns[0].cards.length === 1),
      await sseNext('board_updated').then(async (f) => (f.board.columns[0].cards.length ? f : sseNext('board_updated')))]) {
      assert.equal(f.board.columns[0].cards[0].id, card.id);
    }
    const done = b.columns[2].id;
    assert.equal((await move(alice, card.id, done, 0)).status, 200);
    for (const f of [await ws.next((x) => x.type === 'card_moved'), await sseNext('card_moved')]) {
      assert.equal(f.boardId, b.id);
      assert.equal(f.card.id, card.id);
      assert.equal(f.fromColumnId, b.columns[0].id);
      assert.equal(f.toColumnId, done);
      assert.equal(f.position, 0);
    }
  } finally {
    sse.close();
    await ws.close();
  }
});

test('bad input is 400 and changes nothing', async () => {
  const alice = await user('cb');
  const slug = await newRoom(relay, alice);
  const b = await board(alice, slug);
  const card = await addCard(alice, b.id, 'keep');
  const before = (await call(alice, 'GET', `/api/boards/${b.id}`)).text;
  const bad = [
    await call(alice, 'POST', `/api/boards/${b.id}/cards`, {}),
    await call(alice, 'POST', `/api/boards/${b.id}/cards`, { title: '   ' }),
    await call(alice, 'POST', `/api/boards/${b.id}/cards`, { title: 'x'.repeat(201) }),
    await call(alice, 'POST', `/api/boards/${b.id}/cards`, { title: 'ok', body: 'y'.repeat(4001) }),
    await call(alice, 'POST', `/api/boards/${b.id}/cards`, { title: 7 }),
    await call(alice, 'POST', `/api/boards/${b.id}/cards`, 'not json'),
    await move(alice, card.id, b.columns[1].id, -1),
    await move(alice, card.id, b.columns[1].id, 1.5),
    await move(alice, card.id, b.columns[1].id, '1'),
    await call(alice, 'PATCH', `/api/cards/${card.id}`, { columnId: b.columns[1].id }),
    await call(alice, 'PATCH', `/api/cards/${card.id}`, { position: 0 }),
    await move(alice, card.id, 'col_nope', 0),
    await call(alice, 'POST', `/api/rooms/${slug}/boards`, {}),
    await call(alice, 'POST', `/api/rooms/${slug}/boards`, { name: '' }),
    await call(alice, 'POST', `/api/rooms/${slug}/boards`, { name: 'n'.repeat(101) }),
  ];
  for (const r of bad) {
    assert.equal(r.status, 400, r.text);
    assert.ok(r.json.code, r.text);
  }
  assert.equal(bad[0].json.code, 'MISSING_FIELD');
  assert.equal(bad[9].json.code, 'BAD_REQUEST', `a move without position: ${bad[9].text}`);
  assert.equal(bad[10].json.code, 'MISSING_FIELD', `a move without columnId: ${bad[10].text}`);
  assert.equal(bad[11].json.code, 'BAD_REQUEST', `an unknown column: ${bad[11].text}`);
  assert.equal((await call(alice, 'GET', `/api/boards/${b.id}`)).text, before);
  assert.equal((await call(alice, 'GET', `/api/rooms/${slug}/boards`)).json.boards.length, 1);
  const ok = await call(alice, 'POST', `/api/boards/${b.id}/cards`, { title: 't'.repeat(200), body: 'b'.repeat(4000) });
  assert.equal(ok.status, 201, 'the limits themselves are allowed');
});

// -- cluster mode ------------------------------------------------------------------------

const REDIS = process.env.RELAY_TEST_REDIS_URL;
const skipCluster = PG && REDIS ? false : 'RELAY_TEST_POSTGRES_URL and RELAY_TEST_REDIS_URL are not set';

test('cluster: a move on node A reaches a client on node B; concurrent moves on three nodes keep a total order',
  { skip: skipCluster, timeout: 180000 }, async () => {
    const pg = await freshDatabase('bd');
    const opts = ['--redis-url', REDIS, '--postgres-url', pg];
    const nodes = [];
    try {
      for (let i = 0; i < 3; i++) nodes.push(await startRelay({ args: [...FAST_SEND_ARGS, ...opts] }));
      const cli = (...args) => relayCli(makeDataDir(), ...opts, ...args);
      const login = uniq('cl');
      await cli('user', 'add', login);
      const token = (await cli('token', 'create', login)).trim();
      const at = (i, method, path, body) => api(nodes[i].url, token, method, path, body);
      const slug = uniq('r').toLowerCase();
      assert.equal((await at(0, 'POST', '/api/rooms', { slug, displayName: 'Boards' })).status, 201);

      const firsts = await Promise.all([0, 1, 2, 0, 1, 2].map((i) => at(i, 'GET', `/api/rooms/${slug}/board`)));
      for (const r of firsts) assert.equal(r.status, 200, r.text);
      assert.equal(new Set(firsts.map((r) => r.json.id)).size, 1, 'one default board across nodes');
      const b = firsts[0].json;
      const cols = b.columns.map((c) => c.id);

      const onB = await openWs(`${nodes[1].wsUrl}/api/ws/rooms/${slug}`, token);
      await onB.next((f) => f.type === 'sync');
      const sseC = await openSse(`${nodes[2].url}/api/rooms/${slug}/stream`, token);
      try {
        const cs = [];
        for (let i = 0; i < 6; i++) {
          const r = await at(i % 3, 'POST', `/api/boards/${b.id}/cards`, { title: `c${i}` });
          assert.equal(r.status, 201, r.text);
          cs.push(r.json);
        }
        const added = await onB.next((f) => f.type === 'board_updated' && f.board.columns[0].cards.length === 6, 15000);
        assert.deepEqual(added.board.columns[0].cards.map((c) => c.position), [0, 1, 2, 3, 4, 5]);

        const moved = await at(0, 'PATCH', `/api/cards/${cs[0].id}`, { columnId: cols[1], position: 0 });
        assert.equal(moved.status, 200, moved.text);
        for (const f of [await onB.next((x) => x.type === 'card_moved', 15000),
          (await sseC.next((x) => x.data?.type === 'card_moved', 15000)).data]) {
          assert.equal(f.card.id, cs[0].id);
          assert.equal(f.toColumnId, cols[1]);
        }

        const all = await Promise.all(Array.from({ length: 30 }, (_, i) =>
          at(i % 3, 'PATCH', `/api/cards/${cs[(i * 5) % 6].id}`, { columnId: cols[(i * 2) % 3], position: i % 4 })));
        for (const r of all) assert.equal(r.status, 200, r.text);
        for (let i = 0; i < 3; i++)
          assertTotalOrder((await at(i, 'GET', `/api/boards/${b.id}`)).json, cs.map((c) => c.id));
      } finally {
        sseC.close();
        await onB.close();
      }
    } finally {
      await Promise.all(nodes.map((n) => n.kill9()));
    }
  });
