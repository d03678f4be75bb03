// Black-box harness for Relay integration tests: spawns the real `relay` binary on
// loopback and talks to it with real clients (ws, eventsource, fetch).
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import WebSocket from 'ws';
import { EventSource } from 'eventsource';

const execFileP = promisify(execFile);

export const RELAY_BIN = process.env.RELAY_BIN || '/work/main/build/relay';
export const TIMEOUT = 5000;
export const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

// Every server and temp dir this process created; cleaned up even when a test crashes.
const live = new Set();
const tempDirs = new Set();
process.on('exit', () => {
  for (const proc of live) {
    try { proc.kill('SIGKILL'); } catch { /* already gone */ }
  }
  for (const dir of tempDirs) {
    try { rmSync(dir, { recursive: true, force: true }); } catch { /* best effort */ }
  }
});

let counter = 0;
/** A unique, valid login/slug fragment for this process. */
export function uniq(prefix = 'u') {
  counter += 1;
  return `${prefix}${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}${counter}`;
}

export function makeDataDir() {
  const dir = mkdtempSync(join(tmpdir(), 'relay-it-'));
  tempDirs.add(dir);
  return dir;
}

function waitExit(proc, ms) {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    proc.once('exit', () => { clearTimeout(timer); resolve(true); });
  });
}

/**
 * Starts the relay binary with `--data-dir DIR --listen 127.0.0.1:0` and waits for
 * `relay: listening on http://…` on stdout.
 */
// How long a SIGTERM may take; sanitizer builds are slower.
const STOP_MS = Number(process.env.RELAY_STOP_MS ?? 5000);

export async function startRelay({ dataDir, env = {}, args = [], startTimeoutMs = 15000 } = {}) {
  const dir = dataDir ?? makeDataDir();
  const proc = spawn(RELAY_BIN, ['--data-dir', dir, '--listen', '127.0.0.1:0', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(proc);
  let expectExit = false;
  let diedOnItsOwn = false;
  proc.once('exit', (code, signal) => {
    live.delete(proc);
    // A server that dies on its own is the finding: show why (sanitizer reports, logs),
    // and stop() fails the test with it.
    if (!expectExit) {
      diedOnItsOwn = true;
      console.error(`relay exited unexpectedly (code ${code}, signal ${signal})\n${output}`);
    }
  });
  let output = '';
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (d) => { output = (output + d).slice(-20000); });

  const url = await new Promise((resolve, reject) => {
    const rl = createInterface({ input: proc.stdout });
    const timer = setTimeout(() => {
      reject(new Error(`relay did not report listening within ${startTimeoutMs} ms\n${output}`));
    }, startTimeoutMs);
    rl.on('line', (line) => {
      output = (output + line + '\n').slice(-8000);
      const m = /relay: listening on (http:\/\/\S+)/.exec(line);
      if (m) { clearTimeout(timer); resolve(m[1].replace(/\/$/, '')); }
    });
    proc.once('error', (err) => { clearTimeout(timer); reject(err); });
    proc.once('exit', (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`relay exited early (code ${code}, signal ${sig})\n${output}`));
    });
  }).catch((err) => { expectExit = true; proc.kill('SIGKILL'); throw err; });
  proc.stdout.resume(); // keep draining so the server never blocks on a full pipe

  return {
    url,
    wsUrl: url.replace(/^http/, 'ws'),
    dataDir: dir,
    proc,
    output: () => output,
    /**
     * Graceful stop (SIGTERM). Throws unless the server exits by itself with code 0
     * within 5 s and reported no sanitizer finding (the suite runs an ASan+UBSan build).
     */
    async stop() {
      if (diedOnItsOwn) {
        throw new Error(`relay had exited on its own (code ${proc.exitCode}, signal ${proc.signalCode})\n${output}`);
      }
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      expectExit = true;
      proc.kill('SIGTERM');
      const started = Date.now();
      if (!(await waitExit(proc, STOP_MS))) {
        proc.kill('SIGKILL');
        await waitExit(proc, 5000);
        throw new Error(`relay did not shut down within ${STOP_MS} ms of SIGTERM\n${output}`);
      }
      if (process.env.RELAY_STOP_LOG) console.error(`relay stopped in ${Date.now() - started} ms`);
      if (proc.exitCode !== 0 || /Sanitizer|runtime error:/.test(output)) {
        throw new Error(`relay exited with code ${proc.exitCode} (signal ${proc.signalCode})\n${output}`);
      }
    },
    /** Crash: SIGKILL, resolves once the process is gone. */
    async kill9() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      expectExit = true;
      proc.kill('SIGKILL');
      await waitExit(proc, 5000);
    },
  };
}

/** Runs an operator command: `relay --data-dir DIR ...args`. */
export async function relayCli(dataDir, ...args) {
  const { stdout } = await execFileP(RELAY_BIN, ['--data-dir', dataDir, ...args], {
    timeout: 15000,
  });
  return stdout;
}

/** Creates a user and an API token for it; returns the token (`rlt_…`). */
export async function createUser(dataDir, login) {
  await relayCli(dataDir, 'user', 'add', login);
  const token = (await relayCli(dataDir, 'token', 'create', login)).trim();
  if (!/^rlt_\S+$/.test(token)) throw new Error(`token create printed ${JSON.stringify(token)}`);
  return token;
}

/** A user made with the operator commands on server `r`: {login, token}. */
export async function newUser(r, prefix = 'usr') {
  const login = uniq(prefix);
  return { login, token: await createUser(r.dataDir, login) };
}

/** A room `owner` ({token}) makes on server `r` over REST; answers its slug. */
export async function newRoom(r, owner, extra = {}) {
  const slug = uniq('r').toLowerCase();
  const made = await api(r.url, owner.token, 'POST', '/api/rooms', { slug, displayName: `Room ${slug}`, ...extra });
  if (made.status !== 201) throw new Error(`room ${slug}: ${made.status} ${made.text}`);
  return made.json.slug;
}

/**
 * One REST call. `body` may be an object (sent as JSON), a string or a Buffer (sent
 * as is). Returns {status, headers, json, text}; json is undefined if not JSON.
 */
export async function api(base, token, method, path, body, extraHeaders = {}) {
  const headers = { ...extraHeaders };
  if (token) headers.Authorization = `Bearer ${token}`;
  let payload;
  if (body !== undefined) {
    headers['Content-Type'] ??= 'application/json';
    payload = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  }
  const res = await fetch(base + path, { method, headers, body: payload });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, headers: res.headers, json, text };
}

/** Awaitable queue of received items, shared by the WebSocket and SSE wrappers. */
class Inbox {
  constructor(label) {
    this.label = label;
    this.all = [];      // everything ever received, in order
    this.pending = [];  // not yet consumed by next()
    this.waiters = [];
    this.closedWith = null; // set once the connection is gone: nothing more will arrive
  }
  /** The connection ended: whoever still waits learns it now rather than at the timeout. */
  close(why) {
    this.closedWith = why;
    for (const w of this.waiters.splice(0)) w.fail(new Error(`${this.label}: closed (${why}) before a matching item; last: ${this.tail()}`));
  }
  tail() {
    return this.all.slice(-5).map((x) => JSON.stringify(x).slice(0, 300)).join('\n');
  }
  push(item) {
    this.all.push(item);
    for (const w of this.waiters) {
      if (w.predicate(item)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(item);
        return;
      }
    }
    this.pending.push(item);
  }
  /** Resolves with the first not-yet-consumed item matching `predicate`. */
  next(predicate = () => true, timeoutMs = TIMEOUT) {
    const idx = this.pending.findIndex(predicate);
    if (idx >= 0) return Promise.resolve(this.pending.splice(idx, 1)[0]);
    if (this.closedWith) {
      return Promise.reject(new Error(`${this.label}: closed (${this.closedWith}) before a matching item; last: ${this.tail()}`));
    }
    return new Promise((resolve, reject) => {
      const w = { predicate, resolve };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error(`${this.label}: no matching item within ${timeoutMs} ms; last: ${this.tail()}`));
      }, timeoutMs);
      w.resolve = (item) => { clearTimeout(timer); resolve(item); };
      w.fail = (err) => { clearTimeout(timer); reject(err); };
      this.waiters.push(w);
    });
  }
}

function withQuery(url, query) {
  if (!query) return url;
  const qs = typeof query === 'string' ? query : new URLSearchParams(query).toString();
  return qs ? `${url}${url.includes('?') ? '&' : '?'}${qs.replace(/^\?/, '')}` : url;
}

/**
 * Opens a WebSocket (url is the full ws:// endpoint). Resolves once open; rejects
 * with err.status set when the handshake is refused.
 */
export function openWs(url, token, query) {
  const headers = token ? { Authorization: `Bearer ${token}` } : {};
  const ws = new WebSocket(withQuery(url, query), { headers });
  const inbox = new Inbox(`ws ${url}`);
  const wrapper = {
    ws,
    inbox,
    frames: inbox.all,
    closeInfo: null,
    next: (predicate, timeoutMs) => inbox.next(predicate, timeoutMs),
    send: (obj) => ws.send(JSON.stringify(obj)),
    sendRaw: (data, { binary = false } = {}) => ws.send(data, { binary }),
    get isOpen() { return ws.readyState === WebSocket.OPEN; },
    closed: new Promise((resolve) => ws.once('close', (code, reason) => {
      wrapper.closeInfo = { code, reason: reason.toString() };
      inbox.close(`code ${code}${reason.length ? `, "${reason}"` : ''}`);
      resolve(wrapper.closeInfo);
    })),
    close() {
      if (ws.readyState === WebSocket.CLOSED) return Promise.resolve(wrapper.closeInfo);
      ws.close(1000);
      return wrapper.closed;
    },
  };
  ws.on('error', (err) => { wrapper.lastError = err; });
  ws.on('message', (data, isBinary) => {
    const text = data.toString('utf8');
    let frame;
    try { frame = JSON.parse(text); } catch { frame = { type: '__unparsable__', text, isBinary }; }
    inbox.push(frame);
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(wrapper));
    ws.once('unexpected-response', (_req, res) => {
      const err = new Error(`WebSocket handshake refused with HTTP ${res.statusCode}`);
      err.status = res.statusCode;
      res.resume();
      ws.terminate();
      reject(err);
    });
    ws.once('error', (err) => reject(err));
  });
}

/** HTTP status with which the server refuses a WebSocket handshake (101 if accepted). */
export async function wsHandshakeStatus(url, token, query) {
  try {
    const c = await openWs(url, token, query);
    await c.close();
    return 101;
  } catch (err) {
    if (err.status) return err.status;
    throw err;
  }
}

/**
 * EventSource with a Bearer token. Items are {event, data (parsed JSON or raw string),
 * lastEventId}, for `room` and `ping` events. `requests` records the headers of every
 * (re)connection; `cutAndHold()` ends the current response body as if the network
 * dropped and holds the automatic reconnect until the returned `release()` is called.
 */
export function openSse(url, token, query) {
  const inbox = new Inbox(`sse ${url}`);
  const requests = [];
  let cutCurrent = () => {};
  let gate = null;
  const es = new EventSource(withQuery(url, query), {
    fetch: async (input, init) => {
      if (gate) await gate;
      const headers = { ...init.headers, Authorization: `Bearer ${token}` };
      requests.push(headers);
      const res = await fetch(input, { ...init, headers });
      if (!res.body) return res;
      const reader = res.body.getReader();
      let wake = () => {};
      let cut = false;
      cutCurrent = () => { cut = true; wake({ done: true }); };
      const body = new ReadableStream({
        async pull(ctrl) {
          const r = await Promise.race([reader.read(), new Promise((resolve) => { wake = resolve; })]);
          if (cut || r.done) { ctrl.close(); reader.cancel().catch(() => {}); return; }
          ctrl.enqueue(r.value);
        },
        cancel() { return reader.cancel().catch(() => {}); },
      });
      return new Response(body, { status: res.status, headers: res.headers });
    },
  });
  const onEvent = (event) => (e) => {
    let data = e.data;
    try { data = JSON.parse(e.data); } catch { /* ping has empty data */ }
    inbox.push({ event, data, lastEventId: e.lastEventId });
  };
  es.addEventListener('room', onEvent('room'));
  es.addEventListener('ping', onEvent('ping'));
  const errors = [];
  es.addEventListener('error', (e) => errors.push(e));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { es.close(); reject(new Error('SSE did not open in time')); }, TIMEOUT);
    es.addEventListener('open', () => {
      clearTimeout(timer);
      resolve({
        es,
        inbox,
        requests,
        events: inbox.all,
        errors,
        next: (predicate, timeoutMs) => inbox.next(predicate, timeoutMs),
        /** Next `room` event whose JSON has the given type (and matches `pred`). */
        nextRoom: (type, pred = () => true, timeoutMs) => inbox.next(
          (x) => x.event === 'room' && x.data?.type === type && pred(x.data, x), timeoutMs),
        cutAndHold() {
          let release;
          gate = new Promise((r) => { release = () => { gate = null; r(); }; });
          cutCurrent();
          return release;
        },
        close: () => { es.close(); cutCurrent(); },
      });
    }, { once: true });
    es.addEventListener('error', (e) => {
      if (es.readyState === EventSource.CLOSED) {
        clearTimeout(timer);
        reject(new Error(`SSE failed: ${e.code ?? ''} ${e.message ?? ''}`));
      }
    });
  });
}

/**
 * Raw SSE over fetch, for headers, Last-Event-ID and ping checks. Returns
 * {status, headers, next(pred, ms), close()} where items are {event, id, data}.
 */
export async function openRawSse(url, token, headers = {}) {
  const ac = new AbortController();
  const h = { Accept: 'text/event-stream', ...headers };
  if (token) h.Authorization = `Bearer ${token}`;
  const res = await fetch(url, { headers: h, signal: ac.signal });
  const inbox = new Inbox(`raw sse ${url}`);
  let markEnded;
  const endedP = new Promise((resolve) => { markEnded = resolve; });
  const result = {
    status: res.status,
    headers: res.headers,
    events: inbox.all,
    next: (predicate, timeoutMs) => inbox.next(predicate, timeoutMs),
    close: () => ac.abort(),
    /** Resolves when the server ends the stream; rejects after `ms`. */
    ended: (ms = TIMEOUT) => Promise.race([endedP, new Promise((_, reject) => {
      setTimeout(() => reject(new Error(`raw sse ${url}: stream still open after ${ms} ms`)), ms);
    })]),
  };
  if (res.status !== 200) { result.body = await res.text(); return result; }
  (async () => {
    const decoder = new TextDecoder();
    let buf = '';
    let ev = { event: 'message', id: undefined, data: [] };
    try {
      for await (const chunk of res.body) {
        buf += decoder.decode(chunk, { stream: true });
        let nl;
        while ((nl = buf.search(/\r\n|\r|\n/)) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + (buf.startsWith('\r\n', nl) ? 2 : 1));
          if (line === '') {
            if (ev.data.length || ev.event !== 'message' || ev.id !== undefined) {
              const raw = ev.data.join('\n');
              let data = raw;
              try { data = JSON.parse(raw); } catch { /* ping: empty */ }
              inbox.push({ event: ev.event, id: ev.id, data, raw });
            }
            ev = { event: 'message', id: undefined, data: [] };
            continue;
          }
          if (line.startsWith(':')) continue;
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          let value = colon < 0 ? '' : line.slice(colon + 1);
          if (value.startsWith(' ')) value = value.slice(1);
          if (field === 'event') ev.event = value;
          else if (field === 'id') ev.id = value;
          else if (field === 'data') ev.data.push(value);
        }
      }
    } catch { /* aborted */ }
    markEnded();
  })();
  return result;
}

/** Pages through GET /messages with the keyset cursor; returns all messages (newest first). */
export async function fetchAllMessages(base, token, slug, { channelId, limit = 100 } = {}) {
  const out = [];
  let cursor = null;
  for (let guard = 0; guard < 10000; guard++) {
    const q = new URLSearchParams({ limit: String(limit) });
    if (channelId !== undefined) q.set('channelId', channelId ?? '__lobby');
    if (cursor) { q.set('beforeCreatedAt', cursor.beforeCreatedAt); q.set('beforeId', cursor.beforeId); }
    const r = await api(base, token, 'GET', `/api/rooms/${slug}/messages?${q}`);
    if (r.status !== 200) throw new Error(`GET messages -> ${r.status} ${r.text}`);
    out.push(...r.json.messages);
    cursor = r.json.next;
    if (!cursor) return out;
  }
  throw new Error('pagination did not terminate');
}

/**
 * Creates a room owned by the token's user (`POST /api/rooms`) and returns the room
 * object. Only a room's owner may create channels in it; the lobby has no owner.
 */
export async function createRoom(relay, token, slug = uniq('room'), extra = {}) {
  const r = await api(relay.url, token, 'POST', '/api/rooms', { slug, displayName: `Room ${slug}`, ...extra });
  if (r.status !== 201) throw new Error(`POST /api/rooms (${slug}) -> ${r.status} ${r.text}`);
  return r.json;
}

/** Send limits high enough for tests that legitimately send many messages quickly. */
export const FAST_SEND_ARGS = [
  '--send-rate', '100000', '--send-burst', '100000',
  '--user-send-rate', '100000', '--user-send-burst', '100000',
];
