// Helpers for the agent relay suites: register agents and apps with the operator
// commands, open sockets that close with the test, and read the frames they receive.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { relayCli, uniq, openWs } from './harness.mjs';

export const AGENT_WS = '/v1/ws/agent';
export const APP_WS = '/v1/ws/app';

/** `relay agent add`: returns {id, token, name, description}. */
export async function addAgent(r, { id = uniq('ag'), name, description } = {}) {
  name ??= `Agent ${id}`;
  description ??= `test agent ${id}`;
  const out = await relayCli(r.dataDir, 'agent', 'add', id, '--name', name, '--description', description);
  const token = out.trim();
  assert.match(token, /^rla_\S+$/, `agent add printed ${JSON.stringify(out)}`);
  return { id, token, name, description };
}

/** `relay app add`: returns {id, token}. */
export async function addApp(r, allow = [], id = uniq('app')) {
  const args = ['app', 'add', id, '--name', `App ${id}`];
  if (allow.length) args.push('--allow', allow.join(','));
  const out = await relayCli(r.dataDir, ...args);
  const token = out.trim();
  assert.ok(token.startsWith(`rlk_${id}_`), `app add printed ${JSON.stringify(out)}`);
  return { id, token };
}

export function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms); }),
  ]).finally(() => clearTimeout(timer));
}

/** ping → pong on a socket: proves it is open and that Relay processed everything sent before. */
export async function roundTrip(c, ms) {
  c.send({ type: 'ping' });
  await c.next((f) => f.type === 'pong', ms);
}

/** Opens a socket that the test closes when it ends; waits for one ping/pong. */
export async function connect(t, r, path, token) {
  const c = await openWs(r.wsUrl + path, token);
  t.after(() => c.close());
  await roundTrip(c);
  return c;
}
export const connectAgent = (t, r, agent) => connect(t, r, AGENT_WS, agent.token);
export const connectApp = (t, r, app) => connect(t, r, APP_WS, app.token);

/** Calls fn(frame) for every JSON frame the socket receives from now on. */
export function onFrame(c, fn) {
  const handler = (data, isBinary) => {
    if (isBinary) return;
    let f;
    try { f = JSON.parse(data.toString('utf8')); } catch { return; }
    fn(f);
  };
  c.ws.on('message', handler);
  return () => c.ws.off('message', handler);
}

/** Makes an agent socket answer every event with its payload as JSON: one token, then reply. */
export function autoEcho(c, { delayMs = () => 0, model = 'echo' } = {}) {
  return onFrame(c, (f) => {
    if (f.type !== 'event') return;
    const go = () => {
      const text = JSON.stringify(f.payload);
      c.send({ type: 'token', event_id: f.event_id, token: text });
      c.send({ type: 'reply', event_id: f.event_id, content: text, done: true, metadata: { tokens_used: 1, model } });
    };
    const d = delayMs();
    if (d > 0) setTimeout(go, d); else go();
  });
}

export const sessionKey = (agentId, appId, threadId) => `relay:${agentId}:${appId}:${threadId}`;

/**
 * Sends one event and returns Relay's answer to it: `accepted`, or the refusal (an
 * `error` with event_id null; Relay answers events in the order they were sent).
 */
export async function sendAny(app, agentId, threadId, payload) {
  const stale = new Set(app.inbox.pending); // frames that arrived before this event was sent
  app.send({ type: 'event', agent_id: agentId, thread_id: threadId, payload });
  return app.next((x) => !stale.has(x) && ((x.type === 'accepted' && x.agent_id === agentId
    && typeof x.session_key === 'string' && x.session_key.endsWith(`:${threadId}`))
    || (x.type === 'error' && x.event_id === null)));
}

/** Sends one event and expects its `accepted`. Returns the accepted frame. */
export async function sendEvent(app, agentId, threadId, payload) {
  const f = await sendAny(app, agentId, threadId, payload);
  assert.equal(f.type, 'accepted', `event to ${agentId} on ${threadId} was refused: ${JSON.stringify(f)}`);
  assert.match(f.event_id, /^evt_/);
  assert.equal(f.status, 'accepted');
  return f;
}

/**
 * Sends a frame (an object, or raw text) and returns every frame the app got for it:
 * those between the send and the `pong` of a ping sent right behind it. Relay answers
 * an app's frames in the order they came, so this is the whole answer.
 */
export async function answersTo(app, frame) {
  const from = app.frames.length;
  if (typeof frame === 'string' || Buffer.isBuffer(frame)) app.sendRaw(frame); else app.send(frame);
  app.send({ type: 'ping' });
  const pong = await app.next((x) => x.type === 'pong' && app.frames.indexOf(x) >= from);
  return app.frames.slice(from, app.frames.indexOf(pong)).filter((x) => x.type !== 'ping');
}

/**
 * The contract's answer to an event Relay refuses: one `error` and nothing else, with
 * event_id null and the agent_id the frame named (null when it named none).
 */
export function assertRefusal(answers, code, agentId, label = code) {
  assert.equal(answers.length, 1, `${label}: ${JSON.stringify(answers).slice(0, 500)}`);
  const [e] = answers;
  assert.deepEqual(Object.keys(e), ['type', 'event_id', 'agent_id', 'error', 'code'], label);
  assert.deepEqual({ ...e, error: typeof e.error },
    { type: 'error', event_id: null, agent_id: agentId, error: 'string', code }, label);
  return e;
}

/** Sends an event Relay must refuse with `code`, and checks that the refusal is all it got. */
export async function expectRefused(app, agentId, threadId, payload, code) {
  const answers = await answersTo(app, { type: 'event', agent_id: agentId, thread_id: threadId, payload });
  return assertRefusal(answers, code, agentId);
}

export const framesFor = (c, eventId) => c.frames.filter((f) => f.event_id === eventId);
export const terminalsFor = (c, eventId) => framesFor(c, eventId).filter((f) => f.type === 'reply' || f.type === 'error');
export const terminalOf = (c, eventId, ms) => c.next((f) => f.event_id === eventId && (f.type === 'reply' || f.type === 'error'), ms);

/** Waits ~300 ms, then a ping/pong barrier on every given socket. */
export async function settle(...conns) {
  await sleep(300);
  for (const c of conns) if (c.isOpen) await roundTrip(c);
}

/** The `agents` answer to `discover`. */
export async function discover(app) {
  app.send({ type: 'discover' });
  const f = await app.next((x) => x.type === 'agents');
  assert.ok(Array.isArray(f.agents), JSON.stringify(f));
  return f.agents;
}

export async function waitOnline(app, agentId, ms = 10000) {
  const end = Date.now() + ms;
  for (;;) {
    const entry = (await discover(app)).find((a) => a.agent_id === agentId);
    if (entry?.status === 'online') return;
    if (Date.now() > end) throw new Error(`agent ${agentId} not online within ${ms} ms: ${JSON.stringify(entry)}`);
    await sleep(100);
  }
}

export { newUser } from './harness.mjs';
