// Halls (docs/halls.md): LiveKit join tokens, participant sessions from LiveKit's
// webhooks, participant-minute billing. Black box against the real binary. LiveKit's
// server is not reachable here, so this suite plays LiveKit: it verifies Relay's join
// tokens with LiveKit's own server SDK (`TokenVerifier`), and sends webhooks built and
// signed with the SDK exactly as LiveKit signs them (protobuf JSON `WebhookEvent`, an
// `AccessToken` carrying the body's `sha256`, checked once with `WebhookReceiver`).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { AccessToken, TokenVerifier, WebhookReceiver } from 'livekit-server-sdk';
import { startRelay, relayCli, api, makeDataDir } from './harness.mjs';
import {
  LK_URL, LK_KEY, LK_SECRET, LK_ARGS, webhookBody, signBody, postWebhook, secs,
} from './livekit.mjs';


let relay;
before(async () => { relay = await startRelay({ args: LK_ARGS }); });
after(async () => { await relay?.stop(); });

// ---------------------------------------------------------------------------------------
// helpers

async function hallKey(r, plan = 'starter', test = false) {
  const args = ['hallkey', 'create', '--plan', plan];
  if (test) args.push('--test');
  const key = (await relayCli(r.dataDir, ...args)).trim();
  assert.match(key, test ? /^relay_test_[0-9a-f]{64}$/ : /^relay_live_[0-9a-f]{64}$/);
  return key;
}

async function createHall(r, key, body = { name: 'Standup' }) {
  const res = await api(r.url, key, 'POST', '/v1/halls', body);
  assert.equal(res.status, 201, res.text);
  assert.match(res.json.hall_id, /^h_[0-9A-Z]{26}$/);
  assert.equal(res.json.status, 'open');
  return res.json.hall_id;
}

const join = (r, key, hall, body) => api(r.url, key, 'POST', `/v1/halls/${hall}/join`, body);
const participants = async (r, key, hall) => {
  const res = await api(r.url, key, 'GET', `/v1/halls/${hall}/participants`);
  assert.equal(res.status, 200, res.text);
  return res.json;
};
const usage = async (r, key, period) => {
  const res = await api(r.url, key, 'GET', `/v1/usage?period=${period}`);
  assert.equal(res.status, 200, res.text);
  return res.json;
};

async function send(r, event, hall, opts) {
  const res = await postWebhook(r, webhookBody(event, hall, opts));
  assert.equal(res.status, 200, res.text);
  return res.json.status;
}

// ---------------------------------------------------------------------------------------
// join tokens

test('join tokens verify with LiveKit\'s TokenVerifier and carry the grant', async () => {
  const key = await hallKey(relay);
  const hall = await createHall(relay, key);
  const verifier = new TokenVerifier(LK_KEY, LK_SECRET);

  const pub = await join(relay, key, hall, { participant_id: 'ada', display_name: 'Ada L.', role: 'publisher' });
  assert.equal(pub.status, 200, pub.text);
  assert.equal(pub.json.livekit_url, LK_URL);
  const claims = await verifier.verify(pub.json.join_token);
  assert.equal(claims.iss, LK_KEY);
  assert.equal(claims.sub, 'ada');
  assert.equal(claims.name, 'Ada L.');
  assert.equal(typeof claims.jti, 'string');
  assert.ok(claims.nbf <= Date.now() / 1000 + 1);
  assert.equal(claims.exp - claims.nbf, 600, 'short-lived: 10 minutes');
  assert.deepEqual(claims.video, {
    room: hall, roomJoin: true, canSubscribe: true, canPublish: true, canPublishData: true,
  });
  assert.equal(JSON.parse(claims.metadata).role, 'publisher');

  const sub = await join(relay, key, hall, { participant_id: 'bob', display_name: 'Bob', role: 'subscriber' });
  assert.equal(sub.status, 200, sub.text);
  const subClaims = await verifier.verify(sub.json.join_token);
  // Both flags present and false: LiveKit lets a token publish when canPublish is absent.
  assert.deepEqual(subClaims.video, {
    room: hall, roomJoin: true, canSubscribe: true, canPublish: false, canPublishData: false,
  });
  const again = await verifier.verify((await join(relay, key, hall, { participant_id: 'bob', display_name: 'Bob', role: 'subscriber' })).json.join_token);
  assert.notEqual(again.jti, subClaims.jti, 'jti is unique per token');

  await assert.rejects(new TokenVerifier(LK_KEY, 'another-secret').verify(pub.json.join_token));
  await assert.rejects(new TokenVerifier('APIother', LK_SECRET).verify(pub.json.join_token));
});

test('bad requests get {error, code} and change nothing', async () => {
  const key = await hallKey(relay);
  const hall = await createHall(relay, key, { name: 'Errors', max_participants: 1 });

  for (const auth of [undefined, 'relay_live_0000', 'rlt_whatever', 'relay_test_nope']) {
    const res = await api(relay.url, auth, 'GET', `/v1/halls/${hall}`);
    assert.equal(res.status, 401, `${auth}: ${res.text}`);
    assert.equal(res.json.code, 'UNAUTHORIZED');
  }
  const missing = await join(relay, key, hall, { participant_id: 'a', role: 'publisher' });
  assert.equal(missing.status, 400);
  assert.equal(missing.json.code, 'MISSING_FIELD');
  assert.match(missing.json.error, /display_name/);
  const role = await join(relay, key, hall, { participant_id: 'a', display_name: 'A', role: 'host' });
  assert.equal(role.status, 422);
  assert.equal(role.json.code, 'INVALID_ROLE');
  const garbage = await api(relay.url, key, 'POST', `/v1/halls/${hall}/join`, '{not json');
  assert.equal(garbage.status, 400);
  assert.equal(garbage.json.code, 'BAD_REQUEST');
  const noName = await api(relay.url, key, 'POST', '/v1/halls', {});
  assert.equal(noName.status, 400);
  assert.equal(noName.json.code, 'MISSING_FIELD');
  const unknown = await join(relay, key, 'h_01ZZZZZZZZZZZZZZZZZZZZZZZZ', { participant_id: 'a', display_name: 'A', role: 'publisher' });
  assert.equal(unknown.status, 404);
  assert.equal(unknown.json.code, 'NOT_FOUND');
  const method = await api(relay.url, key, 'GET', `/v1/halls/${hall}/join`);
  assert.equal(method.status, 405);

  // Another workspace, and the same workspace's test mode, cannot see the hall.
  const other = await hallKey(relay);
  assert.equal((await api(relay.url, other, 'GET', `/v1/halls/${hall}`)).status, 404);
  const testKey = await hallKey(relay, 'starter', true);
  assert.equal((await join(relay, testKey, hall, { participant_id: 'a', display_name: 'A', role: 'publisher' })).status, 404);

  // max_participants: a second participant is refused while the first is connected.
  const now = Math.floor(Date.now() / 1000);
  assert.equal(await send(relay, 'participant_joined', hall, { identity: 'a', at: now - 60 }), 'applied');
  const full = await join(relay, key, hall, { participant_id: 'b', display_name: 'B', role: 'subscriber' });
  assert.equal(full.status, 409);
  assert.equal(full.json.code, 'HALL_FULL');
  assert.equal((await join(relay, key, hall, { participant_id: 'a', display_name: 'A', role: 'publisher' })).status, 200,
    'a connected participant may get a fresh token');

  const view = await api(relay.url, key, 'GET', `/v1/halls/${hall}`);
  assert.equal(view.status, 200);
  assert.deepEqual(view.json.participants.map((p) => p.participant_id), ['a']);
});

// ---------------------------------------------------------------------------------------
// webhooks

test('our webhooks are what LiveKit\'s WebhookReceiver accepts', async () => {
  const body = webhookBody('participant_joined', 'h_x', { identity: 'u', at: secs('2026-03-02T10:00:00Z') });
  const event = await new WebhookReceiver(LK_KEY, LK_SECRET).receive(body, await signBody(body));
  assert.equal(event.event, 'participant_joined');
  assert.equal(event.participant.identity, 'u');
});

test('a 45-minute standup with 6 participants is 270 participant-minutes', async () => {
  const key = await hallKey(relay);
  const hall = await createHall(relay, key);
  const start = secs('2026-03-02T09:00:00Z');
  const people = ['p1', 'p2', 'p3', 'p4', 'p5', 'p6'];
  for (const p of people) {
    const res = await join(relay, key, hall, { participant_id: p, display_name: `Person ${p}`, role: 'publisher' });
    assert.equal(res.status, 200);
    assert.equal(await send(relay, 'participant_joined', hall, { identity: p, at: start, joinedAt: start }), 'applied');
  }
  const live = await api(relay.url, key, 'GET', `/v1/halls/${hall}`);
  assert.equal(live.json.participants.length, 6);
  assert.equal(live.json.participants[0].display_name, 'Person p1');
  for (const p of people)
    assert.equal(await send(relay, 'participant_left', hall, { identity: p, at: start + 45 * 60, joinedAt: start }), 'applied');

  const list = await participants(relay, key, hall);
  assert.equal(list.sessions.length, 6);
  for (const s of list.sessions) {
    assert.equal(s.minutes, 45);
    assert.equal(s.joined_at, '2026-03-02T09:00:00.000Z', 'LiveKit\'s event time, not arrival time');
    assert.equal(s.left_at, '2026-03-02T09:45:00.000Z');
    assert.equal(s.role, 'publisher');
  }
  assert.equal(list.total_minutes, 270);
  assert.deepEqual(await usage(relay, key, '2026-03'), {
    period: '2026-03', plan: 'starter', mode: 'live', included_minutes: 10000, used_minutes: 270,
    overage_minutes: 0, overage_cost_usd: 0,
  });
  assert.equal((await usage(relay, key, '2026-02')).used_minutes, 0);
});

test('tampered, unsigned and wrongly signed webhooks get 401 and change nothing', async () => {
  const key = await hallKey(relay);
  const hall = await createHall(relay, key);
  const at = secs('2026-03-03T10:00:00Z');
  const body = webhookBody('participant_joined', hall, { identity: 'mallory', at });
  const signature = await signBody(body);

  const tampered = body.replace('mallory', 'mallorz');
  const cases = [
    [tampered, signature, 'body changed after signing'],
    [body, await signBody(body, { secret: 'not-the-secret' }), 'wrong secret'],
    [body, await signBody(body, { key: 'APIsomeoneelse' }), 'wrong issuer'],
    [body, await signBody('{}'), 'hash of another body'],
    [body, '', 'no Authorization'],
    [body, 'Bearer garbage', 'not a JWT'],
  ];
  for (const [b, auth, why] of cases) {
    const res = await postWebhook(relay, b, auth);
    assert.equal(res.status, 401, `${why}: ${res.text}`);
    assert.equal(res.json.code, 'UNAUTHORIZED', why);
  }
  const expired = new AccessToken(LK_KEY, LK_SECRET, { ttl: -60 });
  expired.sha256 = createHash('sha256').update(body).digest('base64');
  assert.equal((await postWebhook(relay, body, await expired.toJwt())).status, 401, 'expired');

  assert.equal((await participants(relay, key, hall)).sessions.length, 0);
  const res = await postWebhook(relay, body, signature);
  assert.equal(res.status, 200, 'the untampered original still goes through');
  assert.equal((await participants(relay, key, hall)).sessions.length, 1);
});

// Finding 7 of the hostile-client probe: anyone could flood the log through refused
// webhooks (one warning line each). Refusals are now logged first, then at most once
// per interval with a count; /metrics counts every one.
test('a flood of refused webhooks writes a bounded number of log lines and is counted', async (t) => {
  // A relay of its own: its whole log is this test's.
  const r = await startRelay({ args: LK_ARGS });
  t.after(() => r.stop());
  const N = 300;
  for (let i = 0; i < N; i += 50) {
    const batch = Array.from({ length: 50 }, () => postWebhook(r, '{"event":"room_started"}', 'Bearer garbage'));
    for (const res of await Promise.all(batch)) assert.equal(res.status, 401);
  }
  await new Promise((res) => setTimeout(res, 100));
  const lines = r.output().split('\n').filter((l) => l.includes('LiveKit webhook refused'));
  // The first, plus one per 10 s interval should the burst straddle one.
  assert.ok(lines.length >= 1 && lines.length <= 2, `${N} refusals wrote ${lines.length} log lines`);
  assert.match(lines[0], /LiveKit webhook refused: webhook refused: /, 'what is logged still says why');
  const text = await (await fetch(`${r.url}/metrics`)).text();
  assert.equal(Number(text.match(/^relay_livekit_webhooks_refused_total (\d+)$/m)?.[1]), N,
    'every refusal is counted in /metrics');
});

test('a repeated webhook id is ignored', async () => {
  const key = await hallKey(relay);
  const hall = await createHall(relay, key);
  const at = secs('2026-03-04T10:00:00Z');
  assert.equal(await send(relay, 'participant_joined', hall, { identity: 'u1', at, id: `EV_j_${hall}` }), 'applied');
  const leave = webhookBody('participant_left', hall, { identity: 'u1', at: at + 125, id: `EV_l_${hall}` });
  assert.equal((await postWebhook(relay, leave)).json.status, 'applied');
  // Rejoin, then a redelivery of the old leave: it must not end the new session.
  assert.equal(await send(relay, 'participant_joined', hall, { identity: 'u1', at: at + 600 }), 'applied');
  const replay = await postWebhook(relay, leave);
  assert.equal(replay.status, 200);
  assert.notEqual(replay.json.status, 'applied');
  const again = await postWebhook(relay, leave);
  assert.notEqual(again.json.status, 'applied');
  const list = await participants(relay, key, hall);
  assert.equal(list.sessions.length, 2);
  assert.equal(list.sessions[0].minutes, 3);
  assert.equal(list.sessions[1].left_at, null, 'the rejoined session is still open');
  assert.equal((await usage(relay, key, '2026-03')).used_minutes, 3);

  // The same id on a different body: still a replay (the id is LiveKit's delivery id).
  const sameId = webhookBody('participant_left', hall, { identity: 'u1', at: at + 900, id: `EV_l_${hall}` });
  assert.equal((await postWebhook(relay, sameId)).json.status, 'duplicate');
  assert.equal((await participants(relay, key, hall)).sessions[1].left_at, null);
});

test('out-of-order joins and leaves still bill each stay once', async () => {
  const key = await hallKey(relay);
  const hall = await createHall(relay, key);
  const t = secs('2026-03-05T10:00:00Z');

  // A leave that names its join time arrives before the join.
  assert.equal(await send(relay, 'participant_left', hall, { identity: 'early', at: t + 150, joinedAt: t }), 'applied');
  assert.equal(await send(relay, 'participant_joined', hall, { identity: 'early', at: t, joinedAt: t }), 'ignored');
  // A leave with no join time waits for its join.
  assert.equal(await send(relay, 'participant_connection_aborted', hall, { identity: 'late', at: t + 61 }), 'applied');
  assert.equal((await usage(relay, key, '2026-03')).used_minutes, 3, 'nothing for "late" until its join arrives');
  assert.equal(await send(relay, 'participant_joined', hall, { identity: 'late', at: t }), 'applied');
  // A duplicate join while the session is open bills once.
  assert.equal(await send(relay, 'participant_joined', hall, { identity: 'twice', at: t }), 'applied');
  assert.equal(await send(relay, 'participant_joined', hall, { identity: 'twice', at: t + 30 }), 'ignored');
  assert.equal(await send(relay, 'participant_left', hall, { identity: 'twice', at: t + 60 }), 'applied');

  const list = await participants(relay, key, hall);
  const byId = Object.fromEntries(list.sessions.map((s) => [s.participant_id, s]));
  assert.equal(list.sessions.length, 3);
  assert.equal(byId.early.minutes, 3);
  assert.equal(byId.late.minutes, 2, '61 s is 2 minutes');
  assert.equal(byId.twice.minutes, 1, '60 s is 1 minute');
  assert.equal((await usage(relay, key, '2026-03')).used_minutes, 6);
});

test('room_finished closes every open session; other rooms and events are ignored', async () => {
  const key = await hallKey(relay);
  const hall = await createHall(relay, key);
  const t = secs('2026-03-06T10:00:00Z');
  for (const p of ['a', 'b', 'c']) await send(relay, 'participant_joined', hall, { identity: p, at: t });
  assert.equal(await send(relay, 'room_finished', hall, { at: t + 10 * 60 }), 'applied');
  const list = await participants(relay, key, hall);
  assert.deepEqual(list.sessions.map((s) => s.minutes), [10, 10, 10]);
  assert.equal((await api(relay.url, key, 'GET', `/v1/halls/${hall}`)).json.participants.length, 0);

  assert.equal(await send(relay, 'participant_joined', 'some-other-apps-room', { identity: 'x', at: t }), 'ignored');
  assert.equal(await send(relay, 'track_published', hall, { identity: 'a', at: t }), 'ignored');
  const droppedTotal = async () => {
    const text = await (await fetch(`${relay.url}/metrics`)).text();
    return Number(text.match(/^relay_livekit_webhooks_dropped_total (\d+)$/m)?.[1]);
  };
  const droppedBefore = await droppedTotal();
  const dropped = await postWebhook(relay, webhookBody('participant_joined', hall, { identity: 'd', at: t + 700, numDropped: 4 }));
  assert.equal(dropped.status, 200);
  await new Promise((r) => setTimeout(r, 100));
  assert.match(relay.output(), /LiveKit dropped 4 webhook/);
  assert.equal(await droppedTotal(), droppedBefore + 4, 'numDropped is counted in /metrics');
});

test('closing a hall ends every open session now and refuses joins with 409', async () => {
  const key = await hallKey(relay);
  const hall = await createHall(relay, key);
  const now = Math.floor(Date.now() / 1000);
  await send(relay, 'participant_joined', hall, { identity: 'a', at: now - 90 });
  await send(relay, 'participant_joined', hall, { identity: 'b', at: now - 30 });
  const closed = await api(relay.url, key, 'POST', `/v1/halls/${hall}/close`);
  assert.equal(closed.status, 200, closed.text);
  assert.equal(closed.json.status, 'closed');
  assert.equal(closed.json.participants.length, 0);
  const list = await participants(relay, key, hall);
  assert.deepEqual(list.sessions.map((s) => s.minutes), [2, 1]);
  assert.ok(list.sessions.every((s) => s.left_at !== null));
  const period = new Date().toISOString().slice(0, 7);
  assert.equal((await usage(relay, key, period)).used_minutes, 3);

  const refused = await join(relay, key, hall, { participant_id: 'c', display_name: 'C', role: 'publisher' });
  assert.equal(refused.status, 409);
  assert.equal(refused.json.code, 'HALL_CLOSED');
  assert.equal((await api(relay.url, key, 'POST', `/v1/halls/${hall}/close`)).status, 200, 'closing twice is harmless');
  // LiveKit's times decide, not when a webhook arrives. A join stamped after the close
  // is not the hall's; one stamped before it that arrives late (a retry) is billed up to
  // the close; a leave stamped before the close ends that stay where LiveKit says.
  const after = Math.ceil(Date.now() / 1000) + 2;
  assert.equal(await send(relay, 'participant_joined', hall, { identity: 'c', at: after }), 'ignored');
  assert.equal((await usage(relay, key, period)).used_minutes, 3);
  assert.equal(await send(relay, 'participant_joined', hall, { identity: 'late', at: now - 150 }), 'applied');
  assert.equal((await usage(relay, key, period)).used_minutes, 3 + 3, 'joined 150 s before the close');
  assert.equal(await send(relay, 'participant_left', hall, { identity: 'late', at: now - 140 }), 'applied');
  assert.equal(await send(relay, 'participant_left', hall, { identity: 'a', at: now - 60 }), 'applied');
  assert.equal(await send(relay, 'participant_left', hall, { identity: 'b', at: after }), 'ignored');
  const after_close = await participants(relay, key, hall);
  assert.deepEqual(after_close.sessions.map((s) => [s.participant_id, s.minutes]),
    [['a', 1], ['b', 1], ['late', 1]]);
  assert.equal((await usage(relay, key, period)).used_minutes, 3);
});

test('usage: month boundaries, overage and test keys', async () => {
  const key = await hallKey(relay, 'starter');
  const hall = await createHall(relay, key);
  // Across midnight of March 31st: billed in April, the month it ends.
  await send(relay, 'participant_joined', hall, { identity: 'night', at: secs('2026-03-31T23:30:00Z') });
  await send(relay, 'participant_left', hall, { identity: 'night', at: secs('2026-04-01T00:30:00Z') });
  assert.equal((await usage(relay, key, '2026-03')).used_minutes, 0);
  assert.equal((await usage(relay, key, '2026-04')).used_minutes, 60);
  // 10,000 included; a week-long session takes April over by 100 minutes... and more.
  await send(relay, 'participant_joined', hall, { identity: 'marathon', at: secs('2026-04-02T00:00:00Z') });
  await send(relay, 'participant_left', hall, { identity: 'marathon', at: secs('2026-04-02T00:00:00Z') + 10040 * 60 });
  assert.deepEqual(await usage(relay, key, '2026-04'), {
    period: '2026-04', plan: 'starter', mode: 'live', included_minutes: 10000, used_minutes: 10100,
    overage_minutes: 100, overage_cost_usd: 0.2,
  });
  const bad = await api(relay.url, key, 'GET', '/v1/usage?period=2026-13');
  assert.equal(bad.status, 400);
  assert.equal(bad.json.code, 'BAD_REQUEST');

  const growth = await hallKey(relay, 'growth');
  assert.equal((await usage(relay, growth, '2026-04')).included_minutes, 30000);

  const testKey = await hallKey(relay, 'starter', true);
  const testHall = await createHall(relay, testKey);
  await send(relay, 'participant_joined', testHall, { identity: 't', at: secs('2026-04-03T00:00:00Z') });
  await send(relay, 'participant_left', testHall, { identity: 't', at: secs('2026-04-03T00:00:00Z') + 20000 * 60 });
  const tu = await usage(relay, testKey, '2026-04');
  assert.equal(tu.mode, 'test');
  assert.equal(tu.used_minutes, 20000, 'tracked');
  assert.equal(tu.overage_minutes, 0, 'never billed');
  assert.equal(tu.overage_cost_usd, 0);
});

test('a restart in the middle of a hall loses no minute', async () => {
  const dataDir = makeDataDir();
  let r = await startRelay({ dataDir, args: LK_ARGS });
  const key = await hallKey(r);
  const hall = await createHall(r, key);
  assert.equal((await join(r, key, hall, { participant_id: 'stay', display_name: 'Stayer', role: 'subscriber' })).status, 200);
  const t = secs('2026-03-10T10:00:00Z');
  await send(r, 'participant_joined', hall, { identity: 'stay', at: t });
  await send(r, 'participant_joined', hall, { identity: 'go', at: t });
  await r.kill9();  // a crash, not a clean stop

  r = await startRelay({ dataDir, args: LK_ARGS });
  try {
    const view = await api(r.url, key, 'GET', `/v1/halls/${hall}`);
    assert.equal(view.status, 200);
    assert.deepEqual(view.json.participants.map((p) => p.participant_id).sort(), ['go', 'stay'],
      'open sessions recovered from the store');
    assert.equal(await send(r, 'participant_left', hall, { identity: 'stay', at: t + 30 * 60 }), 'applied');
    assert.equal(await send(r, 'participant_joined', hall, { identity: 'go', at: t + 60 }), 'ignored',
      'still open after the restart: a duplicate join');
    assert.equal(await send(r, 'room_finished', hall, { at: t + 40 * 60 }), 'applied');
    const list = await participants(r, key, hall);
    const byId = Object.fromEntries(list.sessions.map((s) => [s.participant_id, s]));
    assert.equal(byId.stay.minutes, 30);
    assert.equal(byId.stay.display_name, 'Stayer');
    assert.equal(byId.stay.role, 'subscriber');
    assert.equal(byId.go.minutes, 40);
    assert.equal((await usage(r, key, '2026-03')).used_minutes, 70);
  } finally {
    await r.stop();
  }
});

test('without LiveKit credentials joins and webhooks answer 503, not a token', async () => {
  const r = await startRelay();
  try {
    const key = await hallKey(r);
    const hall = await createHall(r, key);
    const res = await join(r, key, hall, { participant_id: 'a', display_name: 'A', role: 'publisher' });
    assert.equal(res.status, 503);
    assert.equal(res.json.code, 'UNAVAILABLE');
    const body = webhookBody('participant_joined', hall, { identity: 'a', at: secs('2026-03-02T10:00:00Z') });
    assert.equal((await postWebhook(r, body)).status, 503);
  } finally {
    await r.stop();
  }
});
