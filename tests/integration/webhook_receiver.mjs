// A webhook receiver for the tests: a local HTTP server that records every request
// (headers, raw body, arrival time) and answers what the test tells it to.
import { createServer } from 'node:http';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

export async function startReceiver() {
  const requests = [];
  const waiters = [];
  // (request) => status; 200 unless a test says otherwise.
  let answer = () => 200;
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const r = { at: Date.now(), method: req.method, url: req.url, headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8') };
      try { r.json = JSON.parse(r.body); } catch { r.json = undefined; }
      r.status = answer(r);
      requests.push(r);
      res.writeHead(r.status, { 'Content-Type': 'text/plain' });
      res.end('ok');
      for (const w of waiters.slice()) if (w.check()) waiters.splice(waiters.indexOf(w), 1);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    answerWith(fn) { answer = fn; },
    /** Resolves with the requests matching `pred` once there are `n` of them. */
    waitFor(pred, n = 1, timeoutMs = 10000) {
      return new Promise((resolve, reject) => {
        const w = {
          check: () => {
            const got = requests.filter(pred);
            if (got.length < n) return false;
            clearTimeout(timer);
            resolve(got);
            return true;
          },
        };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          reject(new Error(`receiver: ${requests.filter(pred).length}/${n} matching requests within ${timeoutMs} ms; ` +
            `got ${requests.map((r) => r.json?.type).join(',')}`));
        }, timeoutMs);
        if (!w.check()) waiters.push(w);
      });
    },
    close() { return new Promise((resolve) => server.close(resolve)); },
  };
}

/** Checks X-Relay-Signature (`t=<unix>,v1=<hex>[,v1=<hex>]`) with Node's crypto alone. */
export function verifyRelaySignature(r, secret) {
  const header = r.headers['x-relay-signature'];
  if (!header) return false;
  const parts = header.split(',').map((p) => p.split('='));
  const t = parts.find(([k]) => k === 't')?.[1];
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const want = createHmac('sha256', key).update(`${t}.${r.body}`).digest();
  return parts.filter(([k]) => k === 'v1').some(([, hex]) => {
    const got = Buffer.from(hex, 'hex');
    return got.length === want.length && timingSafeEqual(got, want);
  });
}

/** Checks the Standard Webhooks headers with the `standardwebhooks` package. */
export function verifyStandard(r, secret) {
  try {
    new Webhook(secret).verify(r.body, {
      'webhook-id': r.headers['webhook-id'],
      'webhook-timestamp': r.headers['webhook-timestamp'],
      'webhook-signature': r.headers['webhook-signature'],
    });
    return true;
  } catch {
    return false;
  }
}
