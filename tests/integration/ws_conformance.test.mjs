// RFC 6455 conformance of every WebSocket endpoint: the chat socket, the agent relay's
// app socket and its agent socket. The groups and case numbers follow Autobahn|Testsuite
// (1 framing, 2 pings/pongs, 3 reserved bits, 4 opcodes, 5 fragmentation, 6 UTF-8
// handling, 7 close handling); group 0 is the opening handshake (RFC 6455 §4.2.1). Cases
// marked "(Relay)" are not Autobahn's but check a MUST of the RFC the same way.
//
// Raw `node:net` sockets, so every byte is ours: a masked frame encoder and an
// incremental frame reader, no WebSocket library in between. Relay's endpoints speak
// JSON, so Autobahn's "echo" becomes {"type":"ping"} answered by {"type":"pong"} (all
// three protocols have it), sent in the frame shapes under test; anything that is valid
// WebSocket but not a valid frame of the protocol gets an `error` frame and the socket
// stays open. Every close is checked twice: the close code Relay sends, and that Relay
// then closes the TCP connection.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { startRelay, createUser, uniq } from './harness.mjs';
import { addAgent, addApp } from './agent_helpers.mjs';

// How long to wait for a frame Relay must send, and for TCP to close after a close frame.
const STEP_MS = 3000;
const TCP_CLOSE_MS = 3000;

const OP = { cont: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa };
const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

// -- frames ---------------------------------------------------------------------------

const bytes = (x) => (Buffer.isBuffer(x) ? x : Buffer.from(x, 'utf8'));
const hex = (s) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/**
 * One client frame. `payload` is a string (UTF-8) or a Buffer. Masked with a random key
 * unless `mask: false`; `rsv` is the 3-bit RSV1..3 value; `lenHigh` writes the length in
 * the 8-byte form with its most significant bit set (RFC 6455 §5.2 forbids it).
 */
function frame(op, payload = '', { fin = true, rsv = 0, mask = true, lenHigh = false } = {}) {
  const data = bytes(payload);
  const n = data.length;
  const m = mask ? 0x80 : 0;
  const head = [(fin ? 0x80 : 0) | (rsv << 4) | op];
  if (lenHigh) {
    const len = Buffer.alloc(8);
    len.writeBigUInt64BE(BigInt(n) | (1n << 63n));
    head.push(m | 127, ...len);
  } else if (n <= 125) {
    head.push(m | n);
  } else if (n <= 0xffff) {
    head.push(m | 126, n >> 8, n & 0xff);
  } else {
    const len = Buffer.alloc(8);
    len.writeBigUInt64BE(BigInt(n));
    head.push(m | 127, ...len);
  }
  if (!mask) return Buffer.concat([Buffer.from(head), data]);
  const key = randomBytes(4);
  const masked = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) masked[i] = data[i] ^ key[i & 3];
  return Buffer.concat([Buffer.from(head), key, masked]);
}

const text = (s, o) => frame(OP.text, s, o);
const binary = (s, o) => frame(OP.binary, s, o);
const cont = (s, o) => frame(OP.cont, s, o);
const ping = (s = '', o) => frame(OP.ping, s, o);
const pong = (s = '', o) => frame(OP.pong, s, o);

/** A close frame: `code` null for an empty payload; `reason` a string or raw bytes. */
function close(code = 1000, reason = '', o) {
  if (code === null) return frame(OP.close, '', o);
  const c = Buffer.alloc(2);
  c.writeUInt16BE(code);
  return frame(OP.close, Buffer.concat([c, bytes(reason)]), o);
}

/** {"type":"ping"} padded with JSON white space to exactly `n` bytes. */
function pingJson(n = 15) {
  const core = '"type":"ping"';
  const room = n - core.length - 2;
  assert.ok(room >= 0, `a JSON ping needs at least ${core.length + 2} bytes`);
  const ws = ' \t\n\r'.repeat(Math.ceil(room / 4)).slice(0, room);
  const half = room >> 1;
  return `{${ws.slice(0, half)}${core}${ws.slice(half)}}`;
}

/** Incremental reader of server frames; reassembles fragmented data messages. */
class FrameReader {
  constructor() {
    this.buf = Buffer.alloc(0);
    this.partial = null;
    this.violations = [];
  }
  push(chunk) {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out = [];
    for (;;) {
      const b = this.buf;
      if (b.length < 2) break;
      const fin = (b[0] & 0x80) !== 0;
      const rsv = (b[0] >> 4) & 7;
      const op = b[0] & 0x0f;
      const masked = (b[1] & 0x80) !== 0;
      let len = b[1] & 0x7f;
      let pos = 2;
      if (len === 126) {
        if (b.length < 4) break;
        len = b.readUInt16BE(2);
        pos = 4;
      } else if (len === 127) {
        if (b.length < 10) break;
        len = Number(b.readBigUInt64BE(2));
        pos = 10;
      }
      if (masked) pos += 4;
      if (b.length < pos + len) break;
      let payload = b.subarray(pos, pos + len);
      if (masked) {
        const key = b.subarray(pos - 4, pos);
        payload = Buffer.from(payload.map((x, i) => x ^ key[i & 3]));
      }
      this.buf = b.subarray(pos + len);
      // RFC 6455 §5.1: a server MUST NOT mask; §5.2: no RSV bit without an extension.
      if (masked) this.violations.push(`masked server frame (opcode ${op})`);
      if (rsv) this.violations.push(`server frame with RSV ${rsv} (opcode ${op})`);
      if (op >= 8) {
        out.push({ op, fin, payload: Buffer.from(payload) });
      } else if (op === OP.cont) {
        if (!this.partial) this.violations.push('server continuation without a message');
        else this.partial.parts.push(Buffer.from(payload));
        if (fin && this.partial) {
          out.push({ op: this.partial.op, fin: true, payload: Buffer.concat(this.partial.parts) });
          this.partial = null;
        }
      } else if (!fin) {
        this.partial = { op, parts: [Buffer.from(payload)] };
      } else {
        out.push({ op, fin, payload: Buffer.from(payload) });
      }
    }
    return out;
  }
}

/** JSON of a data frame, or undefined. */
function json(f) {
  if (!f || (f.op !== OP.text && f.op !== OP.binary)) return undefined;
  try { return JSON.parse(f.payload.toString('utf8')); } catch { return undefined; }
}
const isJsonPong = (f) => json(f)?.type === 'pong';
const isWsPong = (payload) => (f) => f.op === OP.pong && f.payload.equals(bytes(payload));

function describeFrame(f) {
  if (!f) return 'TCP closed';
  const name = Object.keys(OP).find((k) => OP[k] === f.op) ?? `opcode ${f.op}`;
  if (f.op === OP.close) return `close ${JSON.stringify(parseClose(f.payload, false))}`;
  const body = f.op === OP.text ? JSON.stringify(f.payload.toString('utf8').slice(0, 200))
    : f.payload.subarray(0, 32).toString('hex');
  return `${name}(${f.payload.length}) ${body}`;
}

function parseClose(payload, strict = true) {
  if (payload.length === 0) return { code: null, reason: '' };
  // RFC 6455 §5.5.1: a close body starts with a 2-byte code; its reason is UTF-8.
  if (strict) assert.notEqual(payload.length, 1, 'Relay sent a close frame with a 1-byte body');
  const code = payload.readUInt16BE(0);
  let reason;
  try { reason = strictUtf8.decode(payload.subarray(2)); } catch {
    if (strict) assert.fail(`Relay sent a close reason that is not UTF-8: ${payload.subarray(2).toString('hex')}`);
    reason = payload.subarray(2).toString('hex');
  }
  return { code, reason };
}

// -- connections ------------------------------------------------------------------------

/** Sends an HTTP request on a fresh TCP connection; resolves with the response head. */
function httpHead(port, request) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    sock.setNoDelay(true);
    let buf = Buffer.alloc(0);
    let done = false;
    const timer = setTimeout(() => finish(new Error(`no HTTP answer within ${STEP_MS} ms`)), STEP_MS);
    function finish(err, value) {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (err) { sock.destroy(); reject(err); } else resolve(value);
    }
    sock.on('connect', () => sock.write(request));
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
      const m = /^HTTP\/(\d\.\d) (\d{3})/.exec(lines[0]);
      if (!m) return finish(new Error(`not an HTTP response: ${JSON.stringify(lines[0])}`));
      const headers = {};
      for (const line of lines.slice(1)) {
        const i = line.indexOf(':');
        const k = line.slice(0, i).trim().toLowerCase();
        headers[k] = headers[k] === undefined ? line.slice(i + 1).trim() : `${headers[k]}, ${line.slice(i + 1).trim()}`;
      }
      sock.removeAllListeners('data');
      sock.pause();
      finish(null, { status: Number(m[2]), version: m[1], headers, sock, leftover: buf.subarray(end + 4) });
    });
    sock.on('error', (err) => finish(err));
    sock.on('close', () => finish(new Error(`connection closed before an HTTP answer: ${JSON.stringify(buf.toString('latin1'))}`)));
  });
}

/** A handshake request; `headers` entries set to null are left out. */
function upgradeRequest(path, { method = 'GET', version = '1.1', headers = {}, key } = {}) {
  const all = {
    Host: '127.0.0.1',
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': key,
    'Sec-WebSocket-Version': '13',
    ...headers,
  };
  let req = `${method} ${path} HTTP/${version}\r\n`;
  for (const [k, v] of Object.entries(all)) if (v !== null && v !== undefined) req += `${k}: ${v}\r\n`;
  return `${req}\r\n`;
}

const acceptFor = (key) => createHash('sha1').update(key + WS_GUID).digest('base64');

/** An open WebSocket over a raw socket: sends bytes, reads frames in wire order. */
class Conn {
  constructor(sock, leftover, noise) {
    this.sock = sock;
    this.reader = new FrameReader();
    this.frames = [];     // every frame received, in order
    this.pos = 0;         // frames before this were consumed by next()
    this.noise = noise;   // frames the endpoint sends by itself (chat's sync)
    this.tcpEnded = false;
    this.closeSeen = false;
    this.wake = null;
    sock.setNoDelay(true);
    sock.on('data', (d) => this.feed(d));
    const ended = () => { this.tcpEnded = true; this.poke(); };
    sock.on('end', ended);
    sock.on('close', ended);
    sock.on('error', (err) => { this.error = err; }); // a reset after the close is the server's to choose
    if (leftover.length) this.feed(leftover);
    sock.resume();
  }

  feed(chunk) {
    for (const f of this.reader.push(chunk)) this.frames.push(f);
    this.poke();
  }

  poke() {
    const w = this.wake;
    this.wake = null;
    if (w) w();
  }

  /** Writes bytes (one write, or `chop`-byte writes a millisecond apart, as Autobahn's chops). */
  async send(data, { chop = 0 } = {}) {
    const buf = Array.isArray(data) ? Buffer.concat(data) : data;
    if (!chop) {
      if (!this.sock.destroyed) this.sock.write(buf);
      return;
    }
    for (let i = 0; i < buf.length && !this.sock.destroyed && !this.tcpEnded; i += chop) {
      this.sock.write(buf.subarray(i, i + chop));
      await sleep(1);
    }
  }

  /** Writes each frame on its own (Autobahn's frame-wise chops). */
  async sendFrames(frames) {
    for (const f of frames) {
      if (this.sock.destroyed || this.tcpEnded) return;
      this.sock.write(f);
      await sleep(1);
    }
  }

  /** The next frame in wire order (noise skipped), or null once TCP has closed. */
  async next(what = 'a frame', ms = STEP_MS) {
    const deadline = Date.now() + ms;
    for (;;) {
      while (this.pos < this.frames.length) {
        const f = this.frames[this.pos++];
        if (!this.noise(f)) return f;
      }
      if (this.tcpEnded) return null;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`waited ${ms} ms for ${what}; received: ${this.history()}`);
      await new Promise((resolve) => {
        const t = setTimeout(resolve, left);
        this.wake = () => { clearTimeout(t); resolve(); };
      });
    }
  }

  history() {
    const all = this.frames.filter((f) => !this.noise(f)).map(describeFrame);
    return `[${all.join(', ')}]${this.tcpEnded ? ' then TCP closed' : ''}`;
  }

  /** Asserts the next frame matches `pred`. */
  async expect(pred, what) {
    const f = await this.next(what);
    assert.ok(f && pred(f), `expected ${what}, got ${describeFrame(f)}; received: ${this.history()}`);
    this.checkServerFrames();
    return f;
  }

  expectJsonPong() { return this.expect(isJsonPong, '{"type":"pong"}'); }

  expectWsPong(payload) {
    return this.expect(isWsPong(payload), `a pong frame with the payload ${bytes(payload).toString('hex') || '(empty)'}`);
  }

  /** Asserts the next frame is an `error` frame (with `code` when given). */
  async expectError(code) {
    const f = await this.expect((x) => json(x)?.type === 'error', `an error frame${code ? ` ${code}` : ''}`);
    if (code) assert.equal(json(f).code, code, describeFrame(f));
    return json(f);
  }

  checkServerFrames() {
    assert.deepEqual(this.reader.violations, [], 'frames Relay sent break RFC 6455');
  }

  /**
   * Waits for Relay's close frame and asserts its code is one of `codes` (null: empty
   * body), that nothing follows it, and that Relay then closes TCP. Frames before the
   * close must satisfy `allowBefore` (Autobahn's "non-strict": an answer to a message
   * sent before the bad frame may or may not arrive). With `reply`, answers the close as
   * a client does (§5.5.1) first.
   */
  async expectClose(codes, { allowBefore = () => false, reply = true } = {}) {
    const list = [].concat(codes);
    let f;
    for (;;) {
      f = await this.next(`a close frame (${list.join(' or ')})`);
      assert.ok(f, `TCP closed without a close frame (expected ${list.join(' or ')}); received: ${this.history()}`);
      if (f.op === OP.close) break;
      assert.ok(allowBefore(f), `unexpected ${describeFrame(f)} before the close frame; received: ${this.history()}`);
    }
    this.closeSeen = true;
    const { code, reason } = parseClose(f.payload);
    assert.ok(list.includes(code), `close code ${code} (${JSON.stringify(reason)}), expected ${list.join(' or ')}`);
    if (reply && !this.sock.destroyed && !this.tcpEnded) {
      this.sock.write(close(code === null || [1005, 1006, 1015].includes(code) ? 1000 : code));
    }
    await this.expectTcpClosed();
    const after = this.frames.slice(this.frames.indexOf(f) + 1);
    assert.deepEqual(after.map(describeFrame), [], 'frames after the close frame');
    this.checkServerFrames();
    return { code, reason };
  }

  async expectTcpClosed() {
    const deadline = Date.now() + TCP_CLOSE_MS;
    while (!this.tcpEnded) {
      const left = deadline - Date.now();
      assert.ok(left > 0, `Relay did not close TCP within ${TCP_CLOSE_MS} ms of its close frame`);
      await new Promise((resolve) => {
        const t = setTimeout(resolve, left);
        this.wake = () => { clearTimeout(t); resolve(); };
      });
    }
  }

  /** A normal end: close 1000, Relay answers it and closes TCP. */
  async closeNormally() {
    if (this.closeSeen || this.tcpEnded || this.sock.destroyed) return;
    await this.send(close(1000));
    await this.expectClose([1000], { reply: false });
  }

  destroy() { this.sock.destroy(); }
}

// -- the endpoints --------------------------------------------------------------------

const isSync = (f) => f.op === OP.text && json(f)?.type === 'sync';
const isJsonHeartbeat = (f) => f.op === OP.text && json(f)?.type === 'ping';

const ENDPOINTS = [
  {
    name: 'chat',
    path: '/api/ws/rooms/lobby',
    args: ['--max-connections-per-user', '100000'],
    credential: async (relay) => createUser(relay.dataDir, uniq('conf')),
    greeting: isSync,       // the first frame on every chat socket
    noise: () => false,
    notAFrame: 'BAD_REQUEST',
    overCap: 64 * 1024 + 1, // docs/api.md: inbound frames over 64 KiB
  },
  {
    name: 'app',
    path: '/v1/ws/app',
    args: [],
    credential: async (relay) => (await addApp(relay, [])).token,
    greeting: null,
    noise: isJsonHeartbeat, // {"type":"ping"} at idle time (docs/agents.md, Heartbeats)
    notAFrame: 'INVALID_EVENT',
    overCap: (1 << 20) + 1, // over the app socket's frame cap (64 KB payload + envelope)
  },
  {
    name: 'agent',
    path: '/v1/ws/agent',
    args: [],
    credential: async (relay) => (await addAgent(relay)).token,
    greeting: null,
    noise: () => false,
    notAFrame: 'INVALID_EVENT',
    overCap: (1 << 20) + 1, // over the agent socket's 1 MiB (a reply carries a whole answer)
  },
];

// Autobahn 6.5-6.23: the sequences of Markus Kuhn's UTF-8 decoder stress test, numbered
// as Autobahn numbers them, each [valid, bytes].
function utf8Sequences() {
  const b = (...xs) => Buffer.from(xs);
  const range = (lo, hi, sep) => Buffer.from(Array.from({ length: hi - lo }, (_, i) => (sep === undefined
    ? [lo + i] : [lo + i, sep])).flat());
  const kosme = hex('ce ba e1 bd b9 cf 83 ce bc ce b5');
  const groups = [];
  groups.push(['some valid UTF-8 sequences', [
    [true, Buffer.from('hello$world')], [true, hex('68656c6c6f c2a2 776f726c64')],
    [true, hex('68656c6c6f e282ac 776f726c64')], [true, hex('68656c6c6f f0a4ada2 776f726c64')],
    [true, kosme]]]);
  const prefixes = [];
  for (let i = 1; i <= kosme.length; i++) {
    const p = kosme.subarray(0, i);
    prefixes.push([[2, 5, 7, 9, 11].includes(i), p]);
  }
  groups.push(['all prefixes of κόσμε', prefixes]);
  groups.push(['first possible sequence of each length', [
    [true, b(0x00)], [true, hex('c280')], [true, hex('e0a080')], [true, hex('f0908080')]]]);
  groups.push(['first possible sequence of length 5/6 (no code point)', [
    [false, hex('f888808080')], [false, hex('fc8480808080')]]]);
  groups.push(['last possible sequence of each length', [
    [true, b(0x7f)], [true, hex('dfbf')], [true, hex('efbfbf')], [true, hex('f48fbfbf')]]]);
  groups.push(['last possible sequence of length 4/5/6 (past U+10FFFF)', [
    [false, hex('f7bfbfbf')], [false, hex('fbbfbfbfbf')], [false, hex('fdbfbfbfbfbf')]]]);
  groups.push(['other boundary conditions', [
    [true, hex('ed9fbf')], [true, hex('ee8080')], [true, hex('efbfbd')], [true, hex('f48fbfbf')],
    [false, hex('f4908080')]]]);
  groups.push(['unexpected continuation bytes', [
    [false, hex('80')], [false, hex('bf')], [false, hex('80bf')], [false, hex('80bf80')],
    [false, hex('80bf80bf')], [false, hex('80bf80bf80')], [false, hex('80bf80bf80bf')],
    [false, range(0x80, 0xbf)]]]);
  groups.push(['lonely start bytes', [[0xc0, 0xdf], [0xe0, 0xef], [0xf0, 0xf7], [0xf8, 0xfb], [0xfc, 0xfd]]
    .map(([lo, hi]) => [false, range(lo, hi, 0x20)])]);
  const missing = ['c0', 'e080', 'f08080', 'f8808080', 'fc80808080', 'df', 'efbf', 'f7bfbf', 'fbbfbfbf', 'fdbfbfbfbf']
    .map(hex);
  groups.push(['sequences with the last continuation byte missing', missing.map((x) => [false, x])]);
  groups.push(['concatenated incomplete sequences', [[false, Buffer.concat(missing)]]]);
  groups.push(['impossible bytes', [[false, hex('fe')], [false, hex('ff')], [false, hex('fefeffff')]]]);
  groups.push(['overlong ASCII', ['c0af', 'e080af', 'f08080af', 'f8808080af', 'fc80808080af']
    .map((x) => [false, hex(x)])]);
  groups.push(['maximum overlong sequences', ['c1bf', 'e09fbf', 'f08fbfbf', 'f887bfbfbf', 'fc83bfbfbfbf']
    .map((x) => [false, hex(x)])]);
  groups.push(['overlong NUL', ['c080', 'e08080', 'f0808080', 'f880808080', 'fc8080808080']
    .map((x) => [false, hex(x)])]);
  groups.push(['single UTF-16 surrogates', ['eda080', 'edadbf', 'edae80', 'edafbf', 'edb080', 'edbe80', 'edbfbf']
    .map((x) => [false, hex(x)])]);
  groups.push(['paired UTF-16 surrogates', ['eda080edb080', 'eda080edbfbf', 'edadbfedb080', 'edadbfedbfbf',
    'edae80edb080', 'edae80edbfbf', 'edafbfedb080', 'edafbfedbfbf'].map((x) => [false, hex(x)])]);
  const nonchars = [[true, hex('efbfbe')], [true, hex('efbfbf')]];
  for (const z1 of [0xf0, 0xf1, 0xf2, 0xf3, 0xf4]) {
    for (const z2 of [0x8f, 0x9f, 0xaf, 0xbf]) {
      if (z1 === 0xf4 && z2 !== 0x8f) continue; // past U+10FFFF
      for (const z3 of [0xbe, 0xbf]) {
        if (z1 === 0xf0 && z2 === 0x8f) continue; // overlong
        nonchars.push([true, b(z1, z2, 0xbf, z3)]);
      }
    }
  }
  groups.push(['non-characters (valid UTF-8)', nonchars]);
  groups.push(['Unicode specials', ['efbfb9', 'efbfba', 'efbfbb', 'efbfbc', 'efbfbd', 'efbfbe', 'efbfbf']
    .map((x) => [true, hex(x)])]);
  // The table must agree with a strict decoder, or a case would test the wrong thing.
  for (const [, seqs] of groups) {
    for (const [valid, seq] of seqs) {
      let ok = true;
      try { strictUtf8.decode(seq); } catch { ok = false; }
      assert.equal(ok, valid, `UTF-8 table: ${seq.toString('hex')}`);
    }
  }
  return groups.map(([title, seqs], i) => ({ section: 5 + i, title, seqs }));
}

const VALID_CLOSE_CODES = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999];
const INVALID_CLOSE_CODES = [0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999];

// -- the suite --------------------------------------------------------------------------

for (const ep of ENDPOINTS) {
  describe(`${ep.name} socket ${ep.path}`, () => {
    let relay;
    let token;
    let port;

    before(async () => {
      relay = await startRelay({ args: ep.args });
      port = Number(new URL(relay.url).port);
      token = await ep.credential(relay);
    });
    after(async () => { await relay?.stop(); });

    const handshake = (opts = {}) => {
      const key = opts.key ?? randomBytes(16).toString('base64');
      const headers = { Authorization: `Bearer ${token}`, ...opts.headers };
      return httpHead(port, upgradeRequest(ep.path, { ...opts, key, headers })).then((r) => ({ ...r, key }));
    };

    /** Opens a socket and checks the 101 (RFC 6455 §4.2.2). */
    async function open(opts) {
      const r = await handshake(opts);
      if (r.status !== 101) {
        r.sock.destroy();
        assert.fail(`handshake answered ${r.status}, expected 101`);
      }
      const c = new Conn(r.sock, r.leftover, ep.noise);
      c.response = r;
      if (ep.greeting) {
        const g = await c.next('the greeting');
        assert.ok(g && ep.greeting(g), `first frame ${describeFrame(g)}`);
      }
      return c;
    }

    /** A test body on a fresh socket, ended with a normal close unless it closed already. */
    const session = (fn) => async () => {
      const c = await open();
      try {
        await fn(c);
        await c.closeNormally();
      } finally {
        c.destroy();
      }
    };

    /** Sends `data`, expects Relay to fail the connection with `code` and close TCP. */
    const failsWith = (code, data, { chop, frames, answered = 0 } = {}) => session(async (c) => {
      let pongs = 0;
      const allowBefore = (f) => isJsonPong(f) && ++pongs <= answered;
      if (frames) await c.sendFrames(data);
      else await c.send(data, { chop });
      await c.expectClose([code], { allowBefore });
    });

    // ------------------------------------------------------------------------------------
    describe('0 handshake', () => {
      async function refused(opts, allowed = [400]) {
        const r = await handshake(opts);
        r.sock.destroy();
        assert.notEqual(r.status, 101, 'the upgrade was accepted');
        assert.ok(allowed.includes(r.status), `status ${r.status}, expected ${allowed.join(' or ')}`);
        return r;
      }

      test('0.1 a valid upgrade gets 101 with Sec-WebSocket-Accept and no extension or subprotocol', async () => {
        const c = await open({
          headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate; client_max_window_bits', 'Sec-WebSocket-Protocol': 'chat' },
        });
        try {
          const { headers, key } = c.response;
          assert.equal(headers['sec-websocket-accept'], acceptFor(key));
          assert.equal(headers.upgrade?.toLowerCase(), 'websocket');
          assert.ok(/(^|,)\s*upgrade\s*(,|$)/i.test(headers.connection ?? ''), `Connection: ${headers.connection}`);
          // §9.1 / §4.2.2: nothing was negotiated, so RSV bits stay reserved (group 3).
          assert.equal(headers['sec-websocket-extensions'], undefined);
          assert.equal(headers['sec-websocket-protocol'], undefined);
          await c.send(text(pingJson()));
          await c.expectJsonPong();
          await c.closeNormally();
        } finally { c.destroy(); }
      });

      test('0.2 an upgrade without a Connection header is refused (400)', () => refused({ headers: { Connection: null } }));
      test('0.3 an upgrade whose Connection lacks the Upgrade token is refused (400)', () =>
        refused({ headers: { Connection: 'keep-alive' } }));

      test('0.4 Connection: keep-alive, Upgrade (a token list) is accepted', async () => {
        const c = await open({ headers: { Connection: 'keep-alive, Upgrade' } });
        try { await c.closeNormally(); } finally { c.destroy(); }
      });

      test('0.5 header names and values in any case are accepted (connection: UPGRADE, upgrade: WebSocket)', async () => {
        const c = await open({ headers: { Connection: null, connection: 'UPGRADE', Upgrade: null, upgrade: 'WebSocket' } });
        try { await c.closeNormally(); } finally { c.destroy(); }
      });

      test('0.6 Connection: Upgrade without an Upgrade header is refused', () =>
        refused({ headers: { Upgrade: null } }, [400, 426]));

      test('0.7 Sec-WebSocket-Version 8 is refused (400/426) naming version 13', async () => {
        const r = await refused({ headers: { 'Sec-WebSocket-Version': '8' } }, [400, 426]);
        assert.equal(r.headers['sec-websocket-version'], '13');
      });

      test('0.8 a missing Sec-WebSocket-Version is refused (400/426) naming version 13', async () => {
        const r = await refused({ headers: { 'Sec-WebSocket-Version': null } }, [400, 426]);
        assert.equal(r.headers['sec-websocket-version'], '13');
      });

      test('0.9 a missing Sec-WebSocket-Key is refused (400)', () => refused({ headers: { 'Sec-WebSocket-Key': null } }));

      test('0.10 a Sec-WebSocket-Key that is not 16 bytes in base64 is refused (400)', async () => {
        await refused({ key: Buffer.from('short key').toString('base64') });
        await refused({ key: 'not base64 at all!' });
      });

      test('0.11 a POST upgrade is refused', () => refused({ method: 'POST' }, [400, 404, 405]));

      test('0.12 an HTTP/1.0 upgrade is refused', () => refused({ version: '1.0' }, [400, 426, 505]));

      test('0.13 an upgrade without Host is refused (400)', () => refused({ headers: { Host: null } }));
    });

    // ------------------------------------------------------------------------------------
    describe('1 framing', () => {
      const lengths = [[2, 125], [3, 126], [4, 127], [5, 128], [6, 65535], [7, 65536]];
      for (const [kind, make, n] of [['text', text, 1], ['binary', binary, 2]]) {
        test(`1.${n}.1 an empty ${kind} message is answered with an error frame; the socket stays open`, session(async (c) => {
          await c.send(make(''));
          await c.expectError(ep.notAFrame);
          await c.send(make(pingJson()));
          await c.expectJsonPong();
        }));
        for (const [k, len] of lengths) {
          test(`1.${n}.${k} a ${len}-byte ${kind} message is answered`, session(async (c) => {
            await c.send(make(pingJson(len)));
            await c.expectJsonPong();
          }));
        }
        test(`1.${n}.8 a 65536-byte ${kind} message written in 997-byte chops is answered`, session(async (c) => {
          await c.send(make(pingJson(65536)), { chop: 997 });
          await c.expectJsonPong();
        }));
      }

      test('1.R1 (Relay, §5.1) an unmasked client frame fails the connection (1002)',
        failsWith(1002, [text(pingJson(), { mask: false }), ping('after')]));
      test('1.R2 (Relay, §5.2) a 64-bit length with its most significant bit set fails the connection (1002)',
        failsWith(1002, text('', { lenHigh: true })));
      test(`1.R3 (Relay) a ${ep.overCap}-byte message (over the cap) gets PAYLOAD_TOO_LARGE; the socket stays open`, session(async (c) => {
        await c.send(text(pingJson(ep.overCap)));
        await c.expectError('PAYLOAD_TOO_LARGE');
        await c.send(text(pingJson()));
        await c.expectJsonPong();
      }));
      test('1.R4 (Relay) a message over the cap in 16 fragments gets PAYLOAD_TOO_LARGE; the socket stays open', session(async (c) => {
        const body = Buffer.from(pingJson(ep.overCap));
        const step = Math.ceil(body.length / 16);
        const parts = [];
        for (let i = 0; i < body.length; i += step) {
          const last = i + step >= body.length;
          parts.push(frame(i === 0 ? OP.text : OP.cont, body.subarray(i, i + step), { fin: last }));
        }
        await c.send(parts);
        await c.expectError('PAYLOAD_TOO_LARGE');
        await c.send(binary(pingJson()));
        await c.expectJsonPong();
      }));
    });

    // ------------------------------------------------------------------------------------
    describe('2 pings/pongs', () => {
      test('2.1 a ping without payload gets an empty pong', session(async (c) => {
        await c.send(ping());
        await c.expectWsPong('');
      }));
      test('2.2 a ping with a small text payload gets a pong with the same payload', session(async (c) => {
        await c.send(ping('Hello, world!'));
        await c.expectWsPong('Hello, world!');
      }));
      test('2.3 a ping with a small binary payload gets a pong with the same payload', session(async (c) => {
        const p = hex('00 ff fe fd fc fb 00 ff');
        await c.send(ping(p));
        await c.expectWsPong(p);
      }));
      test('2.4 a ping with a 125-byte payload gets a pong with the same payload', session(async (c) => {
        const p = Buffer.alloc(125, 0xfe);
        await c.send(ping(p));
        await c.expectWsPong(p);
      }));
      test('2.5 a ping with a 126-byte payload fails the connection (1002)',
        failsWith(1002, [ping(Buffer.alloc(126, 0xfe)), ping('after')]));
      test('2.6 a 125-byte ping written in 1-byte chops gets its pong', session(async (c) => {
        const p = Buffer.alloc(125, 0xfe);
        await c.send(ping(p), { chop: 1 });
        await c.expectWsPong(p);
      }));
      test('2.7 an unsolicited pong without payload is ignored', session(async (c) => {
        await c.send([pong(), ping('barrier')]);
        await c.expectWsPong('barrier');
      }));
      test('2.8 an unsolicited pong with payload is ignored', session(async (c) => {
        await c.send([pong('unsolicited pong payload'), ping('barrier')]);
        await c.expectWsPong('barrier');
      }));
      test('2.9 an unsolicited pong then a ping: only the ping is answered', session(async (c) => {
        await c.send([pong('unsolicited pong payload'), ping('ping payload')]);
        await c.expectWsPong('ping payload');
        await c.send(text(pingJson()));
        await c.expectJsonPong();
      }));
      test('2.10 ten pings in a row get ten pongs in order', session(async (c) => {
        await c.send(Array.from({ length: 10 }, (_, i) => ping(`payload-${i}`)));
        for (let i = 0; i < 10; i++) await c.expectWsPong(`payload-${i}`);
      }));
      test('2.11 ten pings in 1-byte chops get ten pongs in order', session(async (c) => {
        await c.send(Array.from({ length: 10 }, (_, i) => ping(`payload-${i}`)), { chop: 1 });
        for (let i = 0; i < 10; i++) await c.expectWsPong(`payload-${i}`);
      }));
    });

    // ------------------------------------------------------------------------------------
    describe('3 reserved bits', () => {
      // Autobahn's shape: a good message, the bad frame, then a ping that must go unanswered.
      const good = () => text(pingJson());
      test('3.1 a text frame with RSV = 1 fails the connection (1002)',
        failsWith(1002, text(pingJson(), { rsv: 1 })));
      test('3.2 good message, text with RSV = 2, ping: the ping is not answered (1002)',
        failsWith(1002, [good(), text(pingJson(), { rsv: 2 }), ping()], { answered: 1 }));
      test('3.3 the same with RSV = 3, written frame by frame (1002)',
        failsWith(1002, [good(), text(pingJson(), { rsv: 3 }), ping()], { frames: true, answered: 1 }));
      test('3.4 the same with RSV = 4, written in 1-byte chops (1002)',
        failsWith(1002, [good(), text(pingJson(), { rsv: 4 }), ping()], { chop: 1, answered: 1 }));
      test('3.5 a binary frame with RSV = 5 fails the connection (1002)',
        failsWith(1002, [binary(pingJson(), { rsv: 5 }), ping()]));
      test('3.6 a ping with RSV = 6 fails the connection (1002), no pong',
        failsWith(1002, [ping('rsv ping', { rsv: 6 }), ping()]));
      test('3.7 a close with RSV = 7 fails the connection (1002)',
        failsWith(1002, [close(1000, '', { rsv: 7 }), ping()]));
    });

    // ------------------------------------------------------------------------------------
    describe('4 opcodes', () => {
      const cases = [
        ['4.1.1', 3, '', false, {}], ['4.1.2', 4, 'reserved payload', false, {}],
        ['4.1.3', 5, '', true, {}], ['4.1.4', 6, 'reserved payload', true, {}],
        ['4.1.5', 7, 'reserved payload', true, { chop: 1 }],
        ['4.2.1', 11, '', false, {}], ['4.2.2', 12, 'reserved payload', false, {}],
        ['4.2.3', 13, '', true, {}], ['4.2.4', 14, 'reserved payload', true, {}],
        ['4.2.5', 15, 'reserved payload', true, { chop: 1 }],
      ];
      for (const [id, op, payload, withEcho, how] of cases) {
        const kind = op < 8 ? 'non-control' : 'control';
        const shape = withEcho ? 'after a good message, then a ping' : 'alone';
        test(`${id} reserved ${kind} opcode ${op}${payload ? ' with payload' : ''} (${shape}${how.chop ? ', 1-byte chops' : ''}) fails the connection (1002)`,
          failsWith(1002, [...(withEcho ? [text(pingJson())] : []), frame(op, payload), ping()],
            { ...how, answered: withEcho ? 1 : 0 }));
      }
    });

    // ------------------------------------------------------------------------------------
    describe('5 fragmentation', () => {
      const [head, tail] = ['{"type":', '"ping"}'];
      test('5.1 a ping in 2 fragments fails the connection (1002)',
        failsWith(1002, [ping('fragment1', { fin: false }), cont('fragment2')]));
      test('5.2 a pong in 2 fragments fails the connection (1002)',
        failsWith(1002, [pong('fragment1', { fin: false }), cont('fragment2')]));
      test('5.3 a text message in 2 fragments is answered', session(async (c) => {
        await c.send([text(head, { fin: false }), cont(tail)]);
        await c.expectJsonPong();
      }));
      test('5.4 the same, written frame by frame', session(async (c) => {
        await c.sendFrames([text(head, { fin: false }), cont(tail)]);
        await c.expectJsonPong();
      }));
      test('5.5 the same, written in 1-byte chops', session(async (c) => {
        await c.send([text(head, { fin: false }), cont(tail)], { chop: 1 });
        await c.expectJsonPong();
      }));
      const withPing = () => [text(head, { fin: false }), ping('between'), cont(tail)];
      test('5.6 a text message in 2 fragments with a ping between: pong first, then the answer', session(async (c) => {
        await c.send(withPing());
        await c.expectWsPong('between');
        await c.expectJsonPong();
      }));
      test('5.7 the same, written frame by frame', session(async (c) => {
        await c.sendFrames(withPing());
        await c.expectWsPong('between');
        await c.expectJsonPong();
      }));
      test('5.8 the same, written in 1-byte chops', session(async (c) => {
        await c.send(withPing(), { chop: 1 });
        await c.expectWsPong('between');
        await c.expectJsonPong();
      }));
      const orphanFin = () => [cont('fragment1'), text(pingJson()), ping()];
      test('5.9 a final continuation with nothing to continue, then a message, fails the connection (1002)',
        failsWith(1002, orphanFin()));
      test('5.10 the same, written frame by frame (1002)', failsWith(1002, orphanFin(), { frames: true }));
      test('5.11 the same, written in 1-byte chops (1002)', failsWith(1002, orphanFin(), { chop: 1 }));
      const orphan = () => [cont('fragment1', { fin: false }), text(pingJson()), ping()];
      test('5.12 a non-final continuation with nothing to continue, then a message, fails the connection (1002)',
        failsWith(1002, orphan()));
      test('5.13 the same, written frame by frame (1002)', failsWith(1002, orphan(), { frames: true }));
      test('5.14 the same, written in 1-byte chops (1002)', failsWith(1002, orphan(), { chop: 1 }));
      test('5.15 a message in 2 fragments, then a continuation with nothing to continue (1002)',
        failsWith(1002, [text(head, { fin: false }), cont(tail), cont('fragment3', { fin: false }), text(pingJson())],
          { answered: 1 }));
      test('5.16 twice: an orphan non-final continuation, then a message in 2 fragments (1002)',
        failsWith(1002, [0, 1].flatMap(() => [cont('x', { fin: false }), text(head, { fin: false }), cont(tail)])));
      test('5.17 twice: an orphan final continuation, then a message in 2 fragments (1002)',
        failsWith(1002, [0, 1].flatMap(() => [cont('x'), text(head, { fin: false }), cont(tail)])));
      test('5.18 a message whose second fragment is another text frame fails the connection (1002)',
        failsWith(1002, [text(head, { fin: false }), text(tail), ping()]));
      test('5.18b (Relay) a binary frame while a text message is unfinished fails the connection (1002)',
        failsWith(1002, [text(head, { fin: false }), binary(tail), ping()]));
      test('5.18c (Relay) a text frame while a binary message is unfinished fails the connection (1002)',
        failsWith(1002, [binary(head, { fin: false }), text(tail), ping()]));
      test('5.18d (Relay) a close in 2 fragments fails the connection (1002)',
        failsWith(1002, [frame(OP.close, hex('03e8'), { fin: false }), cont('')]));

      const five = ['{', '"type"', ':', '"ping"', '}'];
      test('5.19 a message in 5 fragments with pings between, sent with pauses: pongs in place, then the answer', session(async (c) => {
        await c.send([text(five[0], { fin: false }), cont(five[1], { fin: false }), ping('pongme 1!')]);
        await c.expectWsPong('pongme 1!');
        await sleep(100);
        await c.send([cont(five[2], { fin: false }), cont(five[3], { fin: false }), ping('pongme 2!')]);
        await c.expectWsPong('pongme 2!');
        await sleep(100);
        await c.send(cont(five[4]));
        await c.expectJsonPong();
      }));
      test('5.20 the same, written frame by frame', session(async (c) => {
        await c.sendFrames([text(five[0], { fin: false }), cont(five[1], { fin: false }), ping('pongme 1!')]);
        await c.expectWsPong('pongme 1!');
        await sleep(100);
        await c.sendFrames([cont(five[2], { fin: false }), cont(five[3], { fin: false }), ping('pongme 2!')]);
        await c.expectWsPong('pongme 2!');
        await sleep(100);
        await c.sendFrames([cont(five[4])]);
        await c.expectJsonPong();
      }));
      for (const [kind, op] of [['text', OP.text], ['binary', OP.binary]]) {
        test(`5.R1 (Relay) a 65536-byte ${kind} message in 64 fragments with a ping after each is answered in place`, session(async (c) => {
          const body = Buffer.from(pingJson(65536));
          const parts = [];
          for (let i = 0; i < 64; i++) {
            parts.push(frame(i === 0 ? op : OP.cont, body.subarray(i * 1024, (i + 1) * 1024), { fin: i === 63 }));
            if (i < 63) parts.push(ping(`p${i}`));
          }
          await c.send(parts);
          for (let i = 0; i < 63; i++) await c.expectWsPong(`p${i}`);
          await c.expectJsonPong();
        }));
      }
      test('5.R2 (Relay) empty fragments around a message are fine', session(async (c) => {
        await c.send([text('', { fin: false }), cont('', { fin: false }), cont(pingJson(), { fin: false }), cont('')]);
        await c.expectJsonPong();
      }));
    });

    // ------------------------------------------------------------------------------------
    describe('6 UTF-8 handling', () => {
      // A valid payload that Relay can parse: the UTF-8 sits in an ignored string field.
      const pingWith = (s) => Buffer.concat([Buffer.from('{"type":"ping","x":"'), bytes(s), Buffer.from('"}')]);
      const kosme = hex('ce ba e1 bd b9 cf 83 ce bc ce b5');

      test('6.1.1 an empty text message is valid UTF-8: error frame, the socket stays open', session(async (c) => {
        await c.send(text(''));
        await c.expectError();
        await c.send(text(pingJson()));
        await c.expectJsonPong();
      }));
      test('6.1.2 a text message of 3 empty fragments: error frame, the socket stays open', session(async (c) => {
        await c.send([text('', { fin: false }), cont('', { fin: false }), cont('')]);
        await c.expectError();
        await c.send(text(pingJson()));
        await c.expectJsonPong();
      }));
      test('6.1.3 fragments empty, non-empty, empty are one message', session(async (c) => {
        await c.send([text('', { fin: false }), cont(pingJson(), { fin: false }), cont('')]);
        await c.expectJsonPong();
      }));

      const hello = 'Hello-µ@ßöäüàá-UTF-8!!';
      test('6.2.1 valid UTF-8 in one fragment is accepted', session(async (c) => {
        await c.send(text(pingWith(hello)));
        await c.expectJsonPong();
      }));
      test('6.2.2 valid UTF-8 in 2 fragments split at a code point boundary is accepted', session(async (c) => {
        const p = pingWith(hello);
        const cut = p.indexOf(Buffer.from('äüàá'));
        await c.send([text(p.subarray(0, cut), { fin: false }), cont(p.subarray(cut))]);
        await c.expectJsonPong();
      }));
      test('6.2.3 valid UTF-8 written in 1-byte chops is accepted', session(async (c) => {
        await c.send(text(pingWith(hello)), { chop: 1 });
        await c.expectJsonPong();
      }));
      test('6.2.4 κόσμε written in 1-byte chops is accepted', session(async (c) => {
        await c.send(text(pingWith(kosme)), { chop: 1 });
        await c.expectJsonPong();
      }));
      for (const cut of [1, 2, 3]) {
        test(`6.2.R${cut} (Relay) U+1F600 split across fragments after its byte ${cut} is accepted`, session(async (c) => {
          const p = pingWith(hex('f09f9880'));
          const at = p.indexOf(0xf0) + cut;
          await c.send([text(p.subarray(0, at), { fin: false }), cont(p.subarray(at))]);
          await c.expectJsonPong();
        }));
      }
      test('6.2.R4 (Relay) U+1F600 with each byte in its own fragment is accepted', session(async (c) => {
        const p = pingWith(hex('f09f9880'));
        const at = p.indexOf(0xf0);
        const pieces = [p.subarray(0, at + 1), p.subarray(at + 1, at + 2), p.subarray(at + 2, at + 3), p.subarray(at + 3)];
        await c.send(pieces.map((x, i) => frame(i ? OP.cont : OP.text, x, { fin: i === 3 })));
        await c.expectJsonPong();
      }));

      const bad = Buffer.concat([kosme, hex('eda080'), Buffer.from('edited')]);
      test('6.3.1 invalid UTF-8 (a surrogate) in one fragment fails the connection (1007)',
        failsWith(1007, [text(pingWith(bad)), ping()]));
      test('6.3.2 the same, written in 1-byte chops (1007)', failsWith(1007, text(pingWith(bad)), { chop: 1 }));
      const frag = (parts) => parts.map((x, i) => frame(i ? OP.cont : OP.text, x, { fin: i === parts.length - 1 }));
      const over = hex('f4908080'); // U+110000
      test('6.4.1 3 fragments, the middle one past U+10FFFF, fails the connection (1007)',
        failsWith(1007, frag([Buffer.concat([Buffer.from('{"type":"ping","x":"'), kosme]), over, Buffer.from('edited"}')])));
      test('6.4.2 the same with the invalid sequence split across fragments (1007)',
        failsWith(1007, frag([Buffer.concat([Buffer.from('{"type":"ping","x":"'), kosme, over.subarray(0, 1)]),
          over.subarray(1), Buffer.from('edited"}')])));
      test('6.4.3 the same, fragments written frame by frame (1007)',
        failsWith(1007, frag([Buffer.concat([Buffer.from('{"type":"ping","x":"'), kosme]), over, Buffer.from('edited"}')]),
          { frames: true }));
      test('6.4.4 the same, written in 1-byte chops (1007)',
        failsWith(1007, frag([Buffer.concat([Buffer.from('{"type":"ping","x":"'), kosme]), over, Buffer.from('edited"}')]),
          { chop: 1 }));
      test('6.4.R1 (Relay) a truncated sequence at the very end of a message fails the connection (1007)',
        failsWith(1007, text(Buffer.concat([Buffer.from(pingJson()), hex('f09f98')]))));
      test('6.4.R2 (Relay) a truncated sequence at the end of a fragmented message fails the connection (1007)',
        failsWith(1007, frag([Buffer.from(pingJson()), hex('f09f98')])));
      test('6.4.R3 (Relay) invalid UTF-8 in a message between valid ones: the earlier one is answered, nothing after (1007)',
        failsWith(1007, [text(pingJson()), text(pingWith(hex('c0af'))), text(pingJson()), ping()], { answered: 1 }));

      // 6.5-6.23: Autobahn sends each sequence as the whole message. A valid one is not
      // JSON, so Relay answers with an error frame and the socket stays open.
      for (const { section, title, seqs } of utf8Sequences()) {
        seqs.forEach(([valid, seq], i) => {
          const id = `6.${section}.${i + 1}`;
          const shown = seq.length > 12 ? `${seq.subarray(0, 12).toString('hex')}… (${seq.length} bytes)` : seq.toString('hex');
          if (valid) {
            test(`${id} ${title}: ${shown} is valid UTF-8, answered with an error frame`, session(async (c) => {
              await c.send(text(seq));
              await c.expectError();
            }));
          } else {
            test(`${id} ${title}: ${shown} fails the connection (1007)`, failsWith(1007, text(seq)));
          }
        });
      }
    });

    // ------------------------------------------------------------------------------------
    describe('7 close handling', () => {
      /** Sends `data` (ending with or containing our close) and expects Relay's close. */
      const answers = (codes, data, allowBefore) => session(async (c) => {
        await c.send(data);
        await c.expectClose(codes, { reply: false, allowBefore });
      });

      test('7.1.1 a message, its answer, then close: a clean close with 1000', session(async (c) => {
        await c.send(text(pingJson()));
        await c.expectJsonPong();
        await c.send(close(1000));
        await c.expectClose([1000], { reply: false });
      }));
      test('7.1.2 two close frames: one close answers both', answers([1000], [close(1000), close(1000)]));
      test('7.1.3 a ping after the close is not answered', answers([1000], [close(1000), ping('after close')]));
      test('7.1.4 a message after the close is not answered', answers([1000], [close(1000), text(pingJson())]));
      test('7.1.5 a close between the fragments of a message: the message is dropped',
        answers([1000], [text('{"type":', { fin: false }), close(1000), cont('"ping"}')]));
      test('7.1.6 a 60 KiB message, close, ping: a clean close and no pong', session(async (c) => {
        await c.send([text(pingJson(60 * 1024)), close(1000), ping('after close')]);
        let pongs = 0;
        await c.expectClose([1000], { reply: false, allowBefore: (f) => isJsonPong(f) && ++pongs <= 1 });
      }));

      test('7.3.1 an empty close is answered with 1000 or an empty close', answers([1000, null], close(null)));
      test('7.3.2 a close with a 1-byte payload fails the connection (1002)', answers([1002], frame(OP.close, hex('03'))));
      test('7.3.3 close 1000 without reason is answered with 1000', answers([1000], close(1000)));
      test('7.3.4 close 1000 with a reason is answered with 1000', answers([1000], close(1000, 'Hello World!')));
      test('7.3.5 close 1000 with a 123-byte reason (125-byte payload) is answered with 1000',
        answers([1000], close(1000, '*'.repeat(123))));
      test('7.3.6 a close with a 126-byte payload fails the connection (1002)',
        answers([1002], close(1000, '*'.repeat(124))));
      test('7.5.1 a close reason that is not UTF-8 fails the connection (1002)',
        answers([1002], close(1000, hex('cebae1bdb9cf83cebcceb5eda080656469746564'))));

      // RFC 6455 §5.5.1: the answer "typically echos" the code. Autobahn 7.7 would also
      // take 1000; Relay echoes, and this holds it to that.
      VALID_CLOSE_CODES.forEach((code, i) => {
        test(`7.7.${i + 1} close code ${code} is valid: echoed`, answers([code], close(code)));
      });
      // 1012-1014 are registered with IANA (Relay sends 1012 itself); Autobahn no longer
      // lists them as invalid (its 7.9 once did).
      for (const code of [1012, 1013, 1014]) {
        test(`7.7.R (Relay) close code ${code} (IANA-registered) is valid: echoed`, answers([code], close(code)));
      }
      INVALID_CLOSE_CODES.forEach((code, i) => {
        test(`7.9.${i + 1} close code ${code} fails the connection (1002)`, answers([1002], close(code)));
      });
      test('7.9.R (Relay, §7.4.1) close code 1015 may not be sent: fails the connection (1002)', answers([1002], close(1015)));
      test('7.13.1 close code 5000 fails the connection (1002)', answers([1002], close(5000)));
      test('7.13.2 close code 65535 fails the connection (1002)', answers([1002], close(65535)));
    });
  });
}
