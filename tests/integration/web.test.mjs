// Relay serves the browser client (docs/api.md, "The browser client"): every GET/HEAD
// path outside the API answers from the web root, with its content type, cache policy,
// gzip and security headers; no path (dot segments, encoded slashes, symlinks) reads a
// file outside the root; the API keeps its own 404. A temp web root stands in for
// web/dist, so the suite needs no client build.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { startRelay } from './harness.mjs';

const dir = mkdtempSync(join(tmpdir(), 'relay-web-'));
const root = join(dir, 'dist');
const INDEX = '<!doctype html><html><head><script type="module" src="/assets/x.js"></script></head><body><div id="app"></div></body></html>\n';
const JS = Array.from({ length: 300 }, (_, i) => `console.log('relay ${i}');`).join('\n');
const SECRET = 'not for the browser';

let relay;
let port;
before(async () => {
  mkdirSync(join(root, 'assets'), { recursive: true });
  mkdirSync(join(dir, 'outside'));
  writeFileSync(join(root, 'index.html'), INDEX);
  writeFileSync(join(root, 'assets', 'x.js'), JS);
  writeFileSync(join(root, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  writeFileSync(join(dir, 'outside', 'secret.txt'), SECRET);
  symlinkSync(join(dir, 'outside', 'secret.txt'), join(root, 'leak.txt'));
  symlinkSync(join(dir, 'outside'), join(root, 'assets', 'out'));
  relay = await startRelay({ args: ['--web-root', root, '--dev-login', 'on'] });
  port = Number(new URL(relay.url).port);
});
after(async () => {
  await relay?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * One request with the path sent byte for byte (fetch and URL would normalise `..`
 * away before it left the process). Resolves {status, headers, body: Buffer}.
 */
function raw(path, { method = 'GET', headers = {}, to = port } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: to, path, method, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

function assertSecurityHeaders(res, path) {
  const csp = res.headers['content-security-policy'];
  assert.ok(csp, `${path}: no CSP`);
  assert.match(csp, /(^|; )default-src 'self'(;|$)/, path);
  assert.match(csp, new RegExp(`connect-src 'self' ws://127\\.0\\.0\\.1:${port} wss://127\\.0\\.0\\.1:${port}`), path);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/, path);
  assert.equal(res.headers['x-content-type-options'], 'nosniff', path);
  assert.equal(res.headers['referrer-policy'], 'same-origin', path);
}

test('/ and every client route serve index.html, revalidated on each use', async () => {
  for (const path of ['/', '/index.html', '/r/lobby/general', '/r/lobby', '/some/deep/link?x=1']) {
    const res = await raw(path);
    assert.equal(res.status, 200, path);
    assert.equal(res.body.toString(), INDEX, path);
    assert.equal(res.headers['content-type'], 'text/html; charset=utf-8', path);
    assert.equal(res.headers['cache-control'], 'no-cache', path);
    assert.ok(res.headers.etag, path);
    assertSecurityHeaders(res, path);
  }
});

test('hashed assets: content type, immutable, gzip when asked, Vary', async () => {
  const plain = await raw('/assets/x.js');
  assert.equal(plain.status, 200);
  assert.equal(plain.headers['content-type'], 'text/javascript; charset=utf-8');
  assert.equal(plain.headers['cache-control'], 'public, max-age=31536000, immutable');
  assert.equal(plain.headers.vary, 'Accept-Encoding');
  assert.equal(plain.headers['content-encoding'], undefined);
  assert.equal(plain.body.toString(), JS);
  assertSecurityHeaders(plain, '/assets/x.js');

  const gz = await raw('/assets/x.js', { headers: { 'Accept-Encoding': 'gzip, deflate, br' } });
  assert.equal(gz.status, 200);
  assert.equal(gz.headers['content-encoding'], 'gzip');
  assert.equal(gz.headers.vary, 'Accept-Encoding');
  assert.equal(Number(gz.headers['content-length']), gz.body.length);
  assert.ok(gz.body.length < JS.length / 3, `gzip: ${gz.body.length} of ${JS.length} bytes`);
  assert.equal(gunzipSync(gz.body).toString(), JS);

  const refused = await raw('/assets/x.js', { headers: { 'Accept-Encoding': 'gzip;q=0' } });
  assert.equal(refused.headers['content-encoding'], undefined);

  const icon = await raw('/favicon.svg');
  assert.equal(icon.status, 200);
  assert.equal(icon.headers['content-type'], 'image/svg+xml');
  assert.equal(icon.headers['cache-control'], 'no-cache');
});

test('a missing file under /assets/ is 404, not the page', async () => {
  for (const path of ['/assets/index-gone123.js', '/assets/', '/assets']) {
    const res = await raw(path);
    assert.equal(res.status, 404, path);
    assert.notEqual(res.body.toString(), INDEX, path);
    assertSecurityHeaders(res, path);
  }
});

test('no path reads a file outside the root', async () => {
  for (const path of [
    '/../etc/passwd', '/%2e%2e/etc/passwd', '/%2E%2E/%2E%2E/etc/passwd',
    '/assets/..%2f..%2fetc/passwd', '/assets/..%2F..%2F..%2Foutside/secret.txt',
    '/assets/../../outside/secret.txt', '/r/..%5c..%5coutside%5csecret.txt', '/.%2e/outside/secret.txt',
    '/leak.txt', '/assets/out/secret.txt', '/%00', '/.git/config',
  ]) {
    const res = await raw(path);
    assert.ok(res.status >= 400 && res.status < 500, `${path}: ${res.status}`);
    const text = res.body.toString();
    assert.ok(!text.includes(SECRET) && !text.includes('root:'), `${path} leaked: ${text}`);
  }
});

test('HEAD answers a GET\'s headers without the body', async () => {
  const res = await raw('/assets/x.js', { method: 'HEAD' });
  assert.equal(res.status, 200);
  assert.equal(res.body.length, 0);
  assert.equal(Number(res.headers['content-length']), Buffer.byteLength(JS));
  assert.equal(res.headers['content-type'], 'text/javascript; charset=utf-8');
  const page = await raw('/r/lobby/general', { method: 'HEAD' });
  assert.equal(page.status, 200);
  assert.equal(Number(page.headers['content-length']), Buffer.byteLength(INDEX));
  // The connection is still usable after a bodiless answer: keep-alive framing holds.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  for (const method of ['HEAD', 'GET', 'HEAD', 'GET']) {
    const r = await new Promise((resolve, reject) => {
      http.request({ host: '127.0.0.1', port, path: '/', method, agent }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }));
      }).on('error', reject).end();
    });
    assert.equal(r.status, 200);
    assert.equal(r.body, method === 'GET' ? INDEX : '');
  }
  agent.destroy();
});

test('If-None-Match with the ETag gets 304', async () => {
  const first = await raw('/assets/x.js');
  const again = await raw('/assets/x.js', { headers: { 'If-None-Match': first.headers.etag } });
  assert.equal(again.status, 304);
  assert.equal(again.body.length, 0);
  assert.equal(again.headers.etag, first.headers.etag);
});

test('the API keeps its own answers', async () => {
  const nope = await raw('/api/nope');
  assert.equal(nope.status, 404);
  assert.equal(JSON.parse(nope.body.toString()).error, 'no such endpoint');
  assert.equal((await raw('/api/health')).status, 200);
  assert.equal((await raw('/v1/nope')).status, 404);
  assert.match((await raw('/metrics')).headers['content-type'], /^text\/plain/);
  // Only GET and HEAD are the client's: other methods on its paths are the API's 404.
  const post = await raw('/r/lobby', { method: 'POST' });
  assert.equal(post.status, 404);
  assert.equal(JSON.parse(post.body.toString()).error, 'no such endpoint');
});

test('the dev sign-in lands in the client', async () => {
  const signIn = await raw('/auth/dev?login=webuser&next=%2Fr%2Flobby%2Fgeneral');
  assert.equal(signIn.status, 302);
  const location = signIn.headers.location;
  assert.ok(location, 'a redirect');
  const landed = await raw(new URL(location, relay.url).pathname);
  assert.equal(landed.status, 200);
  assert.equal(landed.body.toString(), INDEX);
});

test('without a built client Relay still starts and / says so', async () => {
  const bare = await startRelay({ args: ['--web-root', join(dir, 'not-built')] });
  try {
    const to = Number(new URL(bare.url).port);
    const res = await raw('/', { to });
    assert.equal(res.status, 503);
    assert.match(JSON.parse(res.body.toString()).error, /not built/);
    assert.equal((await raw('/r/lobby', { to })).status, 503);
    assert.equal((await raw('/api/health', { to })).status, 200);
  } finally {
    await bare.stop();
  }
});
