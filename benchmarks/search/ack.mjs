// Durable sends over WebSocket: CONNS connections (one per room, round-robin over its
// channels), each keeping WINDOW sends outstanding (closed loop). Latency is send → ack
// (the ack comes after the commit); throughput is acks per second. The first WARM
// seconds are not counted. One JSON line.
//   node ack.mjs WS_URL TOKEN CHANNELS.json CONNS WINDOW SECONDS [WARM]
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';

const [wsUrl, token, channelsFile, connsText, windowText, secondsText, warmText] = process.argv.slice(2);
const CONNS = Number(connsText);
const WINDOW = Number(windowText);
const SECONDS = Number(secondsText);
const WARM = Number(warmText ?? 2);
const channels = JSON.parse(readFileSync(channelsFile, 'utf8'));
const rooms = [...new Set(channels.map((c) => c[2]))];
const words = 'the deploy window closes at noon so please review the checklist and the open incidents before then'.split(' ');

const lat = [];
let acked = 0;
let errors = 0;
let t0 = 0;
let measuring = false;
let stopping = false;
let seqNo = 0;

function runConn(i) {
  const slug = rooms[i % rooms.length];
  const mine = channels.filter((c) => c[2] === slug).map((c) => c[1]);
  const ws = new WebSocket(`${wsUrl}/api/ws/rooms/${slug}`, { headers: { Authorization: `Bearer ${token}` } });
  const sentAt = new Map();
  let n = 0;
  const sendOne = () => {
    if (stopping) return;
    const id = `a${i}-${++seqNo}`;
    const k = n++;
    const content = Array.from({ length: 12 }, (_, j) => words[(k * 7 + j * 3) % words.length]).join(' ') + ` ${id}`;
    sentAt.set(id, process.hrtime.bigint());
    ws.send(JSON.stringify({ type: 'send', clientMsgId: id, content, channelId: mine[k % mine.length] }));
  };
  return new Promise((resolve, reject) => {
    ws.on('open', () => { for (let w = 0; w < WINDOW; w++) sendOne(); resolve(ws); });
    ws.on('error', reject);
    ws.on('message', (data) => {
      const f = JSON.parse(data.toString());
      if ((f.type !== 'ack' && f.type !== 'error') || !sentAt.has(f.clientMsgId)) return;
      const ms = Number(process.hrtime.bigint() - sentAt.get(f.clientMsgId)) / 1e6;
      sentAt.delete(f.clientMsgId);
      if (f.type === 'error') errors++;
      else if (measuring) { acked++; lat.push(ms); }
      sendOne();
    });
  });
}

const socks = await Promise.all(Array.from({ length: CONNS }, (_, i) => runConn(i)));
await new Promise((r) => setTimeout(r, WARM * 1000));
measuring = true;
t0 = Date.now();
await new Promise((r) => setTimeout(r, SECONDS * 1000));
measuring = false;
const elapsed = (Date.now() - t0) / 1000;
stopping = true;
await new Promise((r) => setTimeout(r, 500));
socks.forEach((s) => s.terminate());
lat.sort((a, b) => a - b);
const pct = (p) => Math.round(lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))] * 100) / 100;
process.stdout.write(JSON.stringify({
  conns: CONNS, window: WINDOW, seconds: SECONDS, acked, errors,
  acks_per_s: Math.round(acked / elapsed), p50_ms: pct(50), p99_ms: pct(99),
}) + '\n');
