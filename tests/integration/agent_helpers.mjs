// Helpers for the agent relay suites: register agents and apps with the operator
// commands, open sockets that close with the test, and read the frames they receive.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { relayCli, createUser, uniq, openWs } from './harness.mjs';

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
 * Sends one event and waits for its `accepted`, which must come before any frame error.
 * Returns the accepted frame.
 */
export async function sendEvent(app, agentId, threadId, payload) {
  const stale = new Set(app.inbox.pending); // frames that arrived before this event was sent
  app.send({ type: 'event', agent_id: agentId, thread_id: threadId, payload });
  const f = await app.next((x) => !stale.has(x) && ((x.type === 'accepted' && x.agent_id === agentId
    && typeof x.session_key === 'string' && x.session_key.endsWith(`:${threadId}`))
    || (x.type === 'error' && x.event_id === null)));
  assert.equal(f.type, 'accepted', `event to ${agentId} on ${threadId} was refused: ${JSON.stringify(f)}`);
  assert.match(f.event_id, /^evt_/);
  assert.equal(f.status, 'accepted');
  return f;
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

export async function newUser(r) {
  const login = uniq('usr');
  return { login, token: await createUser(r.dataDir, login) };
}
