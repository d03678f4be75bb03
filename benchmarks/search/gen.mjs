// Writes the benchmark's messages as tab-separated rows for sqlite3's .import, fast and
// reproducibly (a seeded PRNG): MESSAGES messages spread over the given channels and
// authors, a year of history in arrival order, words drawn from a Zipf-like vocabulary
// (a few words in most messages, a long tail in very few), some links, and a planted
// phrase. Prints what the queries should look for (as JSON) on stderr's last line.
//
//   node gen.mjs OUT.tsv MESSAGES CHANNELS.json AUTHORS.json > queries.json
//   CHANNELS.json: [[roomId, channelId], …]   AUTHORS.json: [userId, …] (most active first)
import { createWriteStream } from 'node:fs';
import { readFileSync } from 'node:fs';

const [out, nText, channelsFile, authorsFile] = process.argv.slice(2);
const N = Number(nText);
const channels = JSON.parse(readFileSync(channelsFile, 'utf8'));
const authors = JSON.parse(readFileSync(authorsFile, 'utf8'));

let seed = 0x9e3779b9;
function rand() { // mulberry32
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

// Cumulative weights 1/rank^s; sampling is a binary search.
function zipf(n, s) {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) { sum += 1 / Math.pow(i + 1, s); cdf[i] = sum; }
  return () => {
    const x = rand() * sum;
    let lo = 0, hi = n - 1;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (cdf[mid] < x) lo = mid + 1; else hi = mid; }
    return lo;
  };
}

// 30,000 distinct pronounceable words, the shortest ones the most common as in English.
const syll = ['ka', 'lo', 'mi', 'ne', 'ru', 'sa', 'ti', 'vo', 'de', 'fa', 'go', 'hu', 'ji', 'pe', 'zo',
  'bra', 'cle', 'dri', 'sto', 'tre', 'pla', 'gri', 'mon', 'ver', 'lin', 'tas', 'qui', 'ber', 'nor', 'wex'];
const vocab = [];
const seen = new Set();
for (let len = 1; vocab.length < 30000; len++) {
  const total = Math.pow(syll.length, len);
  for (let k = 0; k < total && vocab.length < 30000; k++) {
    let w = '', x = k;
    for (let j = 0; j < len; j++) { w += syll[x % syll.length]; x = Math.floor(x / syll.length); }
    if (w.length >= 3 && !seen.has(w)) { seen.add(w); vocab.push(w); }
  }
}
const word = zipf(vocab.length, 1.07);
const author = zipf(authors.length, 1.0);
const PHRASE = [vocab[200], vocab[300]];

const df = new Int32Array(vocab.length); // messages holding each word
const lastDoc = new Int32Array(vocab.length).fill(-1);
const byAuthor = new Int32Array(authors.length);
const seqs = new Map();
const stream = createWriteStream(out, { highWaterMark: 1 << 20 });
const now = Date.now();
const start = now - 365 * 86400_000;
const step = Math.floor((now - 3600_000 - start) / N);
let buf = '';
let phraseDocs = 0;
for (let i = 0; i < N; i++) {
  const [roomId, channelId] = channels[Math.floor(rand() * channels.length)];
  const a = author();
  byAuthor[a]++;
  const key = `${roomId}/${channelId}`;
  const seq = (seqs.get(key) ?? 0) + 1;
  seqs.set(key, seq);
  const len = 4 + Math.floor(-Math.log(1 - rand()) * 8); // mean 12 words
  const words = [];
  for (let j = 0; j < len; j++) {
    const r = word();
    words.push(vocab[r]);
    if (lastDoc[r] !== i) { lastDoc[r] = i; df[r]++; }
  }
  if (rand() < 0.001) { words.splice(Math.floor(rand() * words.length), 0, ...PHRASE); phraseDocs++; }
  if (rand() < 0.03) words.push(`https://example.com/${vocab[word()]}`);
  const id = `msg_bench${String(i).padStart(8, '0')}`;
  buf += `${id}\t${roomId}\t${channelId}\t${seq}\t${authors[a]}\t${words.join(' ')}\t${start + i * step}\n`;
  if (buf.length > 1 << 20) {
    if (!stream.write(buf)) await new Promise((r) => stream.once('drain', r));
    buf = '';
  }
}
stream.write(buf);
await new Promise((r) => stream.end(r));

// The rare word: the one whose messages number closest to 50.
let rare = 0;
for (let r = 0; r < vocab.length; r++) if (Math.abs(df[r] - 50) < Math.abs(df[rare] - 50)) rare = r;
const rareAuthor = authors.length - 1;
process.stdout.write(JSON.stringify({
  common: { word: vocab[0], messages: df[0] },
  rare: { word: vocab[rare], messages: df[rare] },
  phrase: { text: PHRASE.join(' '), planted: phraseDocs },
  fromTop: { index: 0, messages: byAuthor[0] },
  fromRare: { index: rareAuthor, messages: byAuthor[rareAuthor] },
  seqs: [...seqs.entries()],
}) + '\n');
