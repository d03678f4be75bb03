#!/usr/bin/env node
// A tiny agent for Relay's agent relay (docs/agents.md): it connects out to Relay and
// answers every event by streaming the payload's `text` (or, without one, the payload as
// JSON) back word by word, then a final `reply`.
//
//   RELAY_URL=ws://127.0.0.1:8080 RELAY_AGENT_TOKEN=rla_… node examples/echo-agent.mjs
//
// Optional: ECHO_TOKEN_DELAY_MS (pause before each token, default 50) and ECHO_MODEL
// (reported as metadata.model, default "echo"). The socket is reopened with exponential
// backoff (0.5 s doubling up to 30 s, reset once connected) whenever it closes; a socket
// replaced by a newer connection with the same token (4001) waits at least 2 s, so two
// copies of this agent do not take turns too fast. `cancel` stops the event's stream.
import WebSocket from 'ws';

const base = (process.env.RELAY_URL || 'ws://127.0.0.1:8080').replace(/\/+$/, '').replace(/^http/, 'ws');
const token = process.env.RELAY_AGENT_TOKEN;
const delayMs = Number(process.env.ECHO_TOKEN_DELAY_MS ?? 50);
const model = process.env.ECHO_MODEL || 'echo';
const url = `${base}/v1/ws/agent`;

const MIN_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 30_000;
const REPLACED_BACKOFF_MS = 2_000;

if (!token) {
  console.error('echo-agent: set RELAY_AGENT_TOKEN to the rla_… token printed by `relay agent add`');
  process.exit(2);
}

const log = (msg) => console.error(`echo-agent: ${msg}`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The text to echo: payload.text when it is a string, else the payload as JSON. */
function textOf(payload) {
  return typeof payload?.text === 'string' ? payload.text : JSON.stringify(payload ?? null);
}

/** Words with their trailing whitespace (leading whitespace joins the first word): joined, they are `text`. */
function words(text) {
  return text.match(/\s*\S+\s*/g) ?? (text ? [text] : []);
}

let backoff = MIN_BACKOFF_MS;
let stopping = false;
let current = null;

function connect() {
  const ws = new WebSocket(url, { headers: { Authorization: `Bearer ${token}` } });
  current = ws;
  const jobs = new Map(); // event_id -> { cancelled }
  const send = (frame) => {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(frame));
  };

  async function serve(ev) {
    const job = { cancelled: false };
    jobs.set(ev.event_id, job);
    const started = Date.now();
    const parts = words(textOf(ev.payload));
    try {
      for (const part of parts) {
        if (delayMs > 0) await sleep(delayMs);
        if (job.cancelled || ws.readyState !== WebSocket.OPEN) return;
        send({ type: 'token', event_id: ev.event_id, token: part });
      }
      if (job.cancelled) return;
      send({
        type: 'reply',
        event_id: ev.event_id,
        content: parts.join(''),
        done: true,
        metadata: { tokens_used: parts.length, model, latency_ms: Date.now() - started },
      });
    } finally {
      jobs.delete(ev.event_id);
    }
  }

  ws.on('open', () => {
    backoff = MIN_BACKOFF_MS;
    log(`connected to ${url}`);
  });
  ws.on('message', (data, isBinary) => {
    if (isBinary) return;
    let frame;
    try { frame = JSON.parse(data.toString('utf8')); } catch { return; }
    switch (frame?.type) {
      case 'event':
        serve(frame).catch((err) => log(`event ${frame.event_id} failed: ${err.message}`));
        break;
      case 'cancel': {
        const job = jobs.get(frame.event_id);
        if (job) job.cancelled = true;
        break;
      }
      case 'ping':
        send({ type: 'pong' });
        break;
      default:
        break; // pong and anything newer
    }
  });
  ws.on('error', (err) => log(`socket error: ${err.message}`));
  ws.on('close', (code, reason) => {
    for (const job of jobs.values()) job.cancelled = true;
    if (stopping) return;
    let wait = backoff;
    if (code === 4001) wait = Math.max(wait, REPLACED_BACKOFF_MS);
    backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    log(`socket closed (${code}${reason?.length ? ` ${reason}` : ''}); reconnecting in ${wait} ms`);
    setTimeout(connect, wait);
  });
}

function stop() {
  stopping = true;
  if (current && current.readyState <= WebSocket.OPEN) {
    current.close(1000);
    setTimeout(() => process.exit(0), 1000).unref();
    current.once('close', () => process.exit(0));
  } else {
    process.exit(0);
  }
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

connect();
