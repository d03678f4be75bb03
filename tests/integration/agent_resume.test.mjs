// `resume` (docs/agents.md): an app that lost its socket, or fears it did, asks for an
// event's tokens after the last seq it saw on a new socket. Relay replays them, then the
// event goes on live there, or its terminal frame follows if it already ended.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startRelay } from './harness.mjs';
import {
  addAgent, addApp, connectAgent, connectApp, sendEvent, framesFor, terminalsFor, terminalOf,
  settle,
} from './agent_helpers.mjs';

const GRACE_S = 2;
const REPLAY_S = 3;
let relay; // the contract's default: an app's socket closing cancels its events at once
let graceful; // --agent-resume-grace-seconds 2 --agent-replay-seconds 3
let brief; // --agent-replay-seconds 0: a session retires as soon as its last event ends

before(async () => {
  [relay, graceful, brief] = await Promise.all([
    startRelay(),
    startRelay({
      args: ['--agent-resume-grace-seconds', String(GRACE_S), '--agent-replay-seconds', String(REPLAY_S)],
    }),
    startRelay({ args: ['--agent-replay-seconds', '0'] }),
  ]);
});
after(async () => { await Promise.all([relay?.stop(), graceful?.stop(), brief?.stop()]); });

async function setup(t, r) {
  const agent = await addAgent(r);
  const app = await addApp(r, [agent.id]);
  const ag = await connectAgent(t, r, agent);
  const ap = await connectApp(t, r, app);
  return { agent, app, ag, ap };
}

/** Sends an event and waits until the agent has it. */
async function startEvent(ap, ag, agentId, thread) {
  const acc = await sendEvent(ap, agentId, thread, { q: thread });
  await ag.next((f) => f.type === 'event' && f.event_id === acc.event_id);
  return acc.event_id;
}

async function stream(ag, ap, id, tokens) {
  for (const token of tokens) ag.send({ type: 'token', event_id: id, token });
  const last = tokens.length;
  await ap.next((f) => f.type === 'token' && f.event_id === id && f.seq >= last);
}

const tokensOf = (c, id) => framesFor(c, id).filter((f) => f.type === 'token').map((f) => [f.seq, f.token]);

test('resume on a second socket replays the tokens after after_seq, then the event streams there', async (t) => {
  const { agent, app, ag, ap } = await setup(t, relay);
  const id = await startEvent(ap, ag, agent.id, 'r-live');
  await stream(ag, ap, id, ['a', 'b', 'c']);

  // The first socket still looks open to Relay (a half-open connection): the app has
  // given up on it and resumes elsewhere.
  const ap2 = await connectApp(t, relay, app);
  ap2.send({ type: 'resume', event_id: id, after_seq: 1 });
  await ap2.next((f) => f.type === 'token' && f.event_id === id && f.seq === 3);
  ag.send({ type: 'token', event_id: id, token: 'd' });
  ag.send({ type: 'reply', event_id: id, content: 'abcd', done: true });
  const reply = await terminalOf(ap2, id);
  assert.equal(reply.type, 'reply', JSON.stringify(reply));
  assert.equal(reply.reply, 'abcd');
  assert.equal(reply.metadata.tokens_used, 4);
  assert.deepEqual(tokensOf(ap2, id), [[2, 'b'], [3, 'c'], [4, 'd']]);
  assert.ok(framesFor(ap2, id).every((f) => f.agent_id === agent.id));

  // The old socket got nothing after the move, and closing it cancels nothing.
  await settle(ap, ap2);
  assert.deepEqual(tokensOf(ap, id), [[1, 'a'], [2, 'b'], [3, 'c']]);
  assert.equal(terminalsFor(ap, id).length, 0);
  await ap.close();
  await settle(ag);
  assert.equal(ag.frames.filter((f) => f.type === 'cancel').length, 0, 'the moved event was not cancelled');

  // The new socket owns it now: a cancel from there is answered as for an ended event.
  ap2.send({ type: 'cancel', event_id: id });
  const err = await ap2.next((f) => f.type === 'error' && f.event_id === null);
  assert.equal(err.code, 'INVALID_EVENT');
  assert.equal(terminalsFor(ap2, id).length, 1, 'still exactly one terminal frame');
});

test('resume of an ended event replays exactly what the app saw, terminal frame included', async (t) => {
  const { agent, app, ag, ap } = await setup(t, relay);
  const id = await startEvent(ap, ag, agent.id, 'r-ended');
  await stream(ag, ap, id, ['one ', 'two ', '', 'three']);
  ag.send({ type: 'reply', event_id: id, content: 'one two three', done: true, metadata: { model: 'm1' } });
  const original = await terminalOf(ap, id);

  const ap2 = await connectApp(t, relay, app);
  ap2.send({ type: 'resume', event_id: id, after_seq: 0 });
  const replayed = await terminalOf(ap2, id);
  assert.deepEqual(replayed, original);
  assert.deepEqual(tokensOf(ap2, id), tokensOf(ap, id));
  assert.equal(tokensOf(ap2, id).length, 4);

  // after_seq at or past the last token: only the terminal frame.
  ap2.send({ type: 'resume', event_id: id, after_seq: 4 });
  await sleep(50);
  ap2.send({ type: 'resume', event_id: id, after_seq: 99 });
  await settle(ap2);
  assert.equal(tokensOf(ap2, id).length, 4, 'no token replayed twice');
  assert.equal(terminalsFor(ap2, id).length, 3);
});

test('resume is refused for unknown events, other apps\' events and bad frames; nothing changes', async (t) => {
  const { agent, ag, ap } = await setup(t, relay);
  const id = await startEvent(ap, ag, agent.id, 'r-mine');
  await stream(ag, ap, id, ['x']);

  const other = await addApp(relay, [agent.id]);
  const stranger = await connectApp(t, relay, other);
  stranger.send({ type: 'resume', event_id: id, after_seq: 0 });
  const refused = await stranger.next((f) => f.type === 'error');
  assert.equal(refused.code, 'INVALID_EVENT', JSON.stringify(refused));
  assert.equal(refused.event_id, id);
  assert.equal(tokensOf(stranger, id).length, 0, 'another app sees none of its tokens');

  for (const bad of [{ event_id: id }, { event_id: id, after_seq: -1 }, { event_id: id, after_seq: '1' },
    { after_seq: 0 }]) {
    stranger.send({ type: 'resume', ...bad });
    const e = await stranger.next((f) => f.type === 'error');
    assert.equal(e.code, 'INVALID_EVENT', JSON.stringify(bad));
    assert.ok(stranger.isOpen);
  }

  // The event is untouched and still streams to its own socket.
  ag.send({ type: 'token', event_id: id, token: 'y' });
  ag.send({ type: 'reply', event_id: id, content: 'xy', done: true });
  assert.equal((await terminalOf(ap, id)).type, 'reply');
  assert.deepEqual(tokensOf(ap, id), [[1, 'x'], [2, 'y']]);
});

test('by default a closed app socket cancels its events at once; a resume learns CANCELLED', async (t) => {
  const { agent, app, ag, ap } = await setup(t, relay);
  const id = await startEvent(ap, ag, agent.id, 'r-gone');
  await stream(ag, ap, id, ['p', 'q']);
  await ap.close();
  await ag.next((f) => f.type === 'cancel' && f.event_id === id, 2000);

  const ap2 = await connectApp(t, relay, app);
  ap2.send({ type: 'resume', event_id: id, after_seq: 1 });
  const end = await terminalOf(ap2, id);
  assert.equal(end.type, 'error');
  assert.equal(end.code, 'CANCELLED');
  assert.deepEqual(tokensOf(ap2, id), [[2, 'q']]);
});

test(`with a ${GRACE_S} s grace an event outlives its app's socket and a resume picks it up live`, async (t) => {
  const { agent, app, ag, ap } = await setup(t, graceful);
  const id = await startEvent(ap, ag, agent.id, 'g-kept');
  await stream(ag, ap, id, ['1', '2']);
  await ap.close();
  // The agent keeps streaming into the gap; Relay keeps the tokens.
  ag.send({ type: 'token', event_id: id, token: '3' });
  await sleep(300);
  const ap2 = await connectApp(t, graceful, app);
  ap2.send({ type: 'resume', event_id: id, after_seq: 2 });
  await ap2.next((f) => f.type === 'token' && f.event_id === id && f.seq === 3);
  ag.send({ type: 'token', event_id: id, token: '4' });
  ag.send({ type: 'reply', event_id: id, content: '1234', done: true });
  assert.equal((await terminalOf(ap2, id)).type, 'reply');
  assert.deepEqual(tokensOf(ap2, id), [[3, '3'], [4, '4']]);
  await sleep(GRACE_S * 1000 + 300);
  assert.equal(ag.frames.filter((f) => f.type === 'cancel').length, 0, 'a resumed event is not cancelled');
});

test(`an orphaned event is cancelled at the agent after the grace; its outcome is kept ${REPLAY_S} s`, async (t) => {
  const { agent, app, ag, ap } = await setup(t, graceful);
  const id = await startEvent(ap, ag, agent.id, 'g-lost');
  await stream(ag, ap, id, ['only']);
  const closed = Date.now();
  await ap.close();
  await ag.next((f) => f.type === 'cancel' && f.event_id === id, GRACE_S * 1000 + 3000);
  assert.ok(Date.now() - closed >= GRACE_S * 1000 - 100, 'not cancelled before the grace ran out');
  ag.send({ type: 'token', event_id: id, token: 'late' }); // dropped

  const ap2 = await connectApp(t, graceful, app);
  ap2.send({ type: 'resume', event_id: id, after_seq: 0 });
  const end = await terminalOf(ap2, id);
  assert.equal(end.code, 'CANCELLED', JSON.stringify(end));
  assert.deepEqual(tokensOf(ap2, id), [[1, 'only']]);

  // Past the replay window the event is gone.
  await sleep(REPLAY_S * 1000 + 500);
  ap2.send({ type: 'resume', event_id: id, after_seq: 0 });
  const gone = await ap2.next((f) => f.type === 'error' && f.code === 'INVALID_EVENT');
  assert.equal(gone.event_id, id);
});

test('sessions come and go: a thread keeps its order across many short events', async (t) => {
  const { agent, ag, ap } = await setup(t, brief);
  // Each event ends before the next starts; whatever session bookkeeping happens in
  // between, every event is delivered and answered in order.
  const seen = [];
  for (let i = 0; i < 20; i += 1) {
    const id = await startEvent(ap, ag, agent.id, 'short');
    seen.push(id);
    if (i % 2) await sleep(20); // let the session retire between some of the events
    ag.send({ type: 'reply', event_id: id, content: String(i), done: true });
    assert.equal((await terminalOf(ap, id)).reply, String(i));
  }
  assert.deepEqual(ag.frames.filter((f) => f.type === 'event').map((f) => f.event_id), seen);
});
