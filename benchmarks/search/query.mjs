// GET /api/search latency, one request at a time (what one user waits for): for each
// query WARM unmeasured requests, then REQS measured ones; one JSON line per query with
// p50/p90/p99/max in ms and the hits of the first page.
//   node query.mjs URL TOKEN REQS 'label=query' …
const [url, token, reqsText, ...specs] = process.argv.slice(2);
const REQS = Number(reqsText);
const WARM = Math.max(5, Math.floor(REQS / 10));
const pct = (xs, p) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
for (const spec of specs) {
  const at = spec.indexOf('=');
  const label = spec.slice(0, at);
  const q = spec.slice(at + 1);
  const path = `${url}/api/search?q=${encodeURIComponent(q)}`;
  const times = [];
  let hits = 0;
  for (let i = 0; i < WARM + REQS; i++) {
    const t0 = process.hrtime.bigint();
    const r = await fetch(path, { headers: { Authorization: `Bearer ${token}` } });
    const body = await r.text();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 200) throw new Error(`${q}: ${r.status} ${body}`);
    if (i >= WARM) times.push(ms);
    hits = JSON.parse(body).results.length;
  }
  times.sort((a, b) => a - b);
  const r2 = (x) => Math.round(x * 100) / 100;
  process.stdout.write(JSON.stringify({
    label, q, reqs: REQS, hits_first_page: hits,
    p50_ms: r2(pct(times, 50)), p90_ms: r2(pct(times, 90)), p99_ms: r2(pct(times, 99)),
    max_ms: r2(times[times.length - 1]),
  }) + '\n');
}
