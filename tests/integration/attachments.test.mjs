// Attachments (docs/api.md "Attachments"): multipart uploads bound to a message, images
// re-encoded to WebP under 70 KB, other files served as downloads with nosniff, access
// following the message's channel, and the limits (a pixel bomb 413 by its header, a
// corrupt image 422, a file over --attachment-max-bytes 413). Images are made here with
// the vips CLI (libvips-tools).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync, crc32 } from 'node:zlib';
import { startRelay, api, uniq, newUser, newRoom, openWs, openSse } from './harness.mjs';

const execFileP = promisify(execFile);
const CAP = 300_000;
const WEBP_MAX = 71_680;

let relay;
let work;
before(async () => {
  relay = await startRelay({ args: ['--attachment-max-bytes', String(CAP)] });
  work = mkdtempSync(join(tmpdir(), 'relay-att-'));
});
after(async () => {
  await relay?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

const call = (who, method, path, body) => api(relay.url, who?.token, method, path, body);

/** A picture made by the vips CLI: `op` args, saved as `name` (the suffix picks the format). */
async function vipsImage(name, ...args) {
  const file = join(work, name);
  await execFileP('vips', [...args.slice(0, 1), file, ...args.slice(1)]);
  return readFileSync(file);
}

async function upload(who, { bytes, filename = 'f.bin', type = 'application/octet-stream', entityType = 'message', entityId }) {
  const form = new FormData();
  if (entityType !== null) form.append('entityType', entityType);
  if (entityId !== null) form.append('entityId', entityId);
  if (bytes) form.append('file', new Blob([bytes], { type }), filename);
  const headers = who?.token ? { Authorization: `Bearer ${who.token}` } : {};
  const res = await fetch(`${relay.url}/api/attachments`, { method: 'POST', headers, body: form });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, json, text };
}

async function fetchAttachment(who, id) {
  const headers = who?.token ? { Authorization: `Bearer ${who.token}` } : {};
  const res = await fetch(`${relay.url}/api/attachments/${id}`, { headers });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

async function post(who, slug, content, channelId) {
  const r = await call(who, 'POST', `/api/rooms/${slug}/messages`, { content, ...(channelId ? { channelId } : {}) });
  assert.equal(r.status, 201, r.text);
  return r.json;
}

// A PNG whose header says 30,000 × 30,000 (a real bomb's IHDR) with a token IDAT: the
// server must refuse it from the header alone.
function pngBombHeader() {
  const chunk = (type, data) => {
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(td) >>> 0);
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(30000, 0); ihdr.writeUInt32BE(30000, 4);
  ihdr[8] = 8; // 8-bit gray
  const idat = deflateSync(Buffer.alloc(30001 * 64));
  return Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', Buffer.alloc(0))]);
}

test('a PNG sent as text/plain is detected, re-encoded to WebP under 70 KB and served inline with nosniff', async () => {
  const owner = await newUser(relay, 'ao');
  const slug = await newRoom(relay, owner);
  const msg = await post(owner, slug, 'look at this');
  const png = await vipsImage('pic.png', 'xyz', '1200', '800');
  assert.equal(png.subarray(1, 4).toString(), 'PNG');

  const up = await upload(owner, { bytes: png, filename: '../../etc/pic.png', type: 'text/plain', entityId: msg.id });
  assert.equal(up.status, 201, up.text);
  assert.match(up.json.id, /^att_/);
  assert.equal(up.json.contentType, 'image/webp');
  assert.equal(up.json.entityType, 'message');
  assert.equal(up.json.entityId, msg.id);
  assert.equal(up.json.name, 'pic.png', 'the path is dropped');
  assert.equal(up.json.url, `/api/attachments/${up.json.id}`);
  assert.deepEqual([up.json.width, up.json.height], [1200, 800]);
  assert.ok(up.json.size > 0 && up.json.size <= WEBP_MAX, String(up.json.size));
  assert.ok(!Number.isNaN(Date.parse(up.json.createdAt)));

  const got = await fetchAttachment(owner, up.json.id);
  assert.equal(got.status, 200);
  assert.equal(got.headers.get('content-type'), 'image/webp');
  assert.equal(got.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(got.body.length, up.json.size);
  assert.equal(got.body.subarray(0, 4).toString(), 'RIFF');
  assert.equal(got.body.subarray(8, 12).toString(), 'WEBP');
  // Content-addressed under the data directory, by the sha256 of the stored bytes.
  const sha = createHash('sha256').update(got.body).digest('hex');
  assert.ok(existsSync(join(relay.dataDir, 'attachments', sha.slice(0, 2), sha)), 'stored by its sha256');
});

test('a 12-megapixel JPEG becomes a WebP under 70 KB with its aspect ratio; ten at once (2 decoding + 8 waiting) all land', async () => {
  const relayBig = await startRelay({}); // the default 25 MB cap
  try {
    const jpeg = await vipsImage('big.jpg', 'gaussnoise', '4000', '3000');
    const u = await newUser(relayBig, 'aj');
    const s = await newRoom(relayBig, u);
    const m = (await api(relayBig.url, u.token, 'POST', `/api/rooms/${s}/messages`, { content: 'p' })).json;
    const form = new FormData();
    form.append('entityType', 'message');
    form.append('entityId', m.id);
    form.append('file', new Blob([jpeg], { type: 'image/jpeg' }), 'IMG_0001.JPG');
    const res = await fetch(`${relayBig.url}/api/attachments`, { method: 'POST', headers: { Authorization: `Bearer ${u.token}` }, body: form });
    const json = await res.json();
    assert.equal(res.status, 201, JSON.stringify(json));
    assert.equal(json.contentType, 'image/webp');
    assert.ok(json.size <= WEBP_MAX, String(json.size));
    assert.ok(Math.abs(json.width / json.height - 4 / 3) < 0.01, `${json.width}x${json.height}`);

    // Ten at once, two decoding and the eight that may wait for them: every one is
    // accepted, however long the last waited for its turn.
    const ten = await Promise.all(Array.from({ length: 10 }, async () => {
      const f = new FormData();
      f.append('entityType', 'message');
      f.append('entityId', m.id);
      f.append('file', new Blob([jpeg], { type: 'image/jpeg' }), 'IMG_0002.JPG');
      const r = await fetch(`${relayBig.url}/api/attachments`, { method: 'POST', headers: { Authorization: `Bearer ${u.token}` }, body: f });
      return { status: r.status, text: await r.text() };
    }));
    for (const r of ten) assert.equal(r.status, 201, r.text);
  } finally {
    await relayBig.stop();
  }
});

test('a new attachment reaches the sockets and streams that see its channel, and no others', async () => {
  const owner = await newUser(relay, 'aw');
  const member = await newUser(relay, 'awm');
  const outsider = await newUser(relay, 'awo');
  const slug = await newRoom(relay, owner);
  const ch = await call(owner, 'POST', `/api/rooms/${slug}/channels`,
    { name: 'secret', slug: uniq('c').toLowerCase(), visibility: 'private', inviteLogins: [member.login] });
  assert.equal(ch.status, 201, ch.text);
  const msg = await post(owner, slug, 'live file', ch.json.id);
  const memberWs = await openWs(`${relay.wsUrl}/api/ws/rooms/${slug}`, member.token);
  await memberWs.next((f) => f.type === 'sync');
  const memberSse = await openSse(`${relay.url}/api/rooms/${slug}/stream`, member.token);
  const outsiderWs = await openWs(`${relay.wsUrl}/api/ws/rooms/${slug}`, outsider.token);
  await outsiderWs.next((f) => f.type === 'sync');

  const up = await upload(owner, { bytes: Buffer.from('live\n'), filename: 'live.txt', entityId: msg.id });
  assert.equal(up.status, 201, up.text);
  const f = await memberWs.next((x) => x.type === 'attachment_added');
  assert.equal(f.channelId, ch.json.id);
  assert.equal(f.messageId, msg.id);
  assert.deepEqual(f.attachment, { id: up.json.id, contentType: up.json.contentType, size: up.json.size,
    width: null, height: null, name: 'live.txt', url: up.json.url });
  const s = await memberSse.nextRoom('attachment_added', (d) => d.messageId === msg.id);
  assert.equal(s.data.attachment.id, up.json.id);
  // The outsider's socket got nothing of it (a later frame of their own arrives first).
  const other = await post(owner, slug, 'public after');
  await outsiderWs.next((x) => x.type === 'message' && x.message.id === other.id);
  assert.ok(!outsiderWs.frames.some((x) => x.type === 'attachment_added'), 'nothing for the outsider');
  memberSse.close();
  await memberWs.close();
  await outsiderWs.close();
});

test('other files are stored as they are and served as downloads with a safe name', async () => {
  const owner = await newUser(relay, 'at');
  const slug = await newRoom(relay, owner);
  const msg = await post(owner, slug, 'notes attached');
  const text = Buffer.from('<script>alert(1)</script>\nplain notes, ünïcödé\n');
  const up = await upload(owner, { bytes: text, filename: '../../.my notes.html', type: 'text/html', entityId: msg.id });
  assert.equal(up.status, 201, up.text);
  assert.equal(up.json.contentType, 'text/plain; charset=utf-8', 'the bytes decide, not the part header');
  assert.equal(up.json.size, text.length);
  assert.equal(up.json.width, null);
  assert.equal(up.json.name, 'my notes.html');
  const got = await fetchAttachment(owner, up.json.id);
  assert.equal(got.status, 200);
  assert.deepEqual(got.body, text);
  assert.equal(got.headers.get('content-type'), 'text/plain; charset=utf-8');
  assert.equal(got.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(got.headers.get('content-disposition'),
    'attachment; filename="my notes.html"; filename*=UTF-8\'\'my%20notes.html');

  // Backslashes are path separators too; a long name keeps its extension.
  const win = await upload(owner, { bytes: Buffer.from('x'), filename: '..\\..\\..\\windows\\x.txt', entityId: msg.id });
  assert.equal(win.status, 201, win.text);
  assert.equal(win.json.name, 'x.txt');
  const long = await upload(owner, { bytes: Buffer.from('y'), filename: `${'é'.repeat(200)}.txt`, entityId: msg.id });
  assert.equal(long.status, 201, long.text);
  assert.equal(long.json.name, `${'é'.repeat(58)}.txt`, 'the stem cut to 120 bytes on a character boundary');

  const bin = Buffer.from([0, 1, 2, 3, 255, 254]);
  const up2 = await upload(owner, { bytes: bin, filename: 'data.bin', entityId: msg.id });
  assert.equal(up2.status, 201, up2.text);
  assert.equal(up2.json.contentType, 'application/octet-stream');
  assert.deepEqual((await fetchAttachment(owner, up2.json.id)).body, bin);
});

test('access follows the message: a private channel\'s attachment is 404 to outsiders', async () => {
  const owner = await newUser(relay, 'ap');
  const member = await newUser(relay, 'am');
  const outsider = await newUser(relay, 'ax');
  const slug = await newRoom(relay, owner);
  const ch = await call(owner, 'POST', `/api/rooms/${slug}/channels`,
    { name: 'secret', slug: uniq('c').toLowerCase(), visibility: 'private', inviteLogins: [member.login] });
  assert.equal(ch.status, 201, ch.text);
  const msg = await post(owner, slug, 'private file', ch.json.id);
  const up = await upload(owner, { bytes: Buffer.from('top secret\n'), filename: 's.txt', entityId: msg.id });
  assert.equal(up.status, 201, up.text);

  assert.equal((await fetchAttachment(member, up.json.id)).status, 200);
  const hidden = await fetchAttachment(outsider, up.json.id);
  assert.equal(hidden.status, 404);
  assert.ok(!hidden.body.toString().includes('top secret'));
  assert.equal((await fetchAttachment(null, up.json.id)).status, 401);
  assert.equal((await fetchAttachment(owner, 'att_nope')).status, 404);

  // Binding to a message one cannot see is 404 too; to someone else's visible message, 403.
  const bind = await upload(outsider, { bytes: Buffer.from('x'), entityId: msg.id });
  assert.equal(bind.status, 404, bind.text);
  const others = await upload(member, { bytes: Buffer.from('x'), entityId: msg.id });
  assert.equal(others.status, 403, others.text);
  // A deleted message takes its attachments' access with it.
  assert.equal((await call(owner, 'DELETE', `/api/rooms/${slug}/messages/${msg.id}`)).status, 200);
  assert.equal((await fetchAttachment(owner, up.json.id)).status, 404);
});

test('limits: the cap is 413, a pixel bomb 413 by its header, a corrupt image 422', async () => {
  const owner = await newUser(relay, 'al');
  const slug = await newRoom(relay, owner);
  const msg = await post(owner, slug, 'limits');

  const big = await upload(owner, { bytes: Buffer.alloc(CAP + 1, 'a'), filename: 'big.txt', entityId: msg.id });
  assert.equal(big.status, 413, big.text);
  assert.equal(big.json.code, 'PAYLOAD_TOO_LARGE');
  // Far over the cap: refused by the declared length before the body is read.
  const huge = await upload(owner, { bytes: Buffer.alloc(CAP * 4, 'a'), filename: 'huge.txt', entityId: msg.id });
  assert.equal(huge.status, 413, huge.text);
  const fits = await upload(owner, { bytes: Buffer.alloc(CAP, 'a'), filename: 'fits.txt', entityId: msg.id });
  assert.equal(fits.status, 201, fits.text);

  const bomb = await upload(owner, { bytes: pngBombHeader(), filename: 'bomb.png', type: 'image/png', entityId: msg.id });
  assert.equal(bomb.status, 413, bomb.text);
  assert.match(bomb.json.error, /30000 x 30000/);

  const png = await vipsImage('c.png', 'xyz', '400', '300');
  const corrupt = await upload(owner, { bytes: png.subarray(0, Math.floor(png.length / 2)), filename: 'c.png', entityId: msg.id });
  assert.equal(corrupt.status, 422, corrupt.text);
  assert.equal(corrupt.json.code, 'INVALID_IMAGE');
  // The server is fine afterwards.
  assert.equal((await call(owner, 'GET', '/api/health')).status, 200);
});

test('bad uploads are 400 with a reason and store nothing', async () => {
  const owner = await newUser(relay, 'ab');
  const slug = await newRoom(relay, owner);
  const msg = await post(owner, slug, 'bad');
  const cases = [
    [{ bytes: null, entityId: msg.id }, 400, /file/],
    [{ bytes: Buffer.from('x'), entityType: 'room', entityId: msg.id }, 400, /entityType/],
    [{ bytes: Buffer.from('x'), entityType: null, entityId: msg.id }, 400, /entityType/],
    [{ bytes: Buffer.from('x'), entityId: 'msg_unknown' }, 404, /message/],
  ];
  for (const [args, status, why] of cases) {
    const r = await upload(owner, args);
    assert.equal(r.status, status, r.text);
    assert.match(r.json.error, why);
  }
  const notMultipart = await call(owner, 'POST', '/api/attachments', { entityType: 'message' });
  assert.equal(notMultipart.status, 400);
  assert.match(notMultipart.json.error, /multipart/);
  const broken = await api(relay.url, owner.token, 'POST', '/api/attachments', '--x\r\nno end',
    { 'Content-Type': 'multipart/form-data; boundary=x' });
  assert.equal(broken.status, 400);
  assert.equal((await upload(null, { bytes: Buffer.from('x'), entityId: msg.id })).status, 401);
});
