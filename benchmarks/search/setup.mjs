// Makes the benchmark's rooms and public channels over REST on a running server and
// prints [[roomId, channelId, roomSlug], …] as JSON.
//   node setup.mjs URL TOKEN ROOMS CHANNELS_PER_ROOM
const [url, token, rooms, perRoom] = process.argv.slice(2);
async function post(path, body) {
  const r = await fetch(url + path, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await r.text();
  if (r.status !== 201) throw new Error(`${path}: ${r.status} ${text}`);
  return JSON.parse(text);
}
const out = [];
for (let i = 0; i < Number(rooms); i++) {
  const slug = `bench-${i}`;
  const room = await post('/api/rooms', { slug, displayName: `Bench ${i}` });
  for (let j = 0; j < Number(perRoom); j++) {
    const ch = await post(`/api/rooms/${slug}/channels`,
      { name: `topic ${j}`, slug: `topic-${j}`, visibility: 'public' });
    out.push([room.id, ch.id, slug]);
  }
}
process.stdout.write(JSON.stringify(out) + '\n');
