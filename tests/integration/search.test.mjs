// Search (docs/api.md, "Search") on one node: every operator and filter of the query
// language; only what the caller may see right now (a private channel's and a DM's
// messages never reach an outsider; losing access hides them from the next search);
// edits found by their new text only, deletes never; thread replies; hostile queries
// answered 400 or searched as text, never a 500 and never a leak; keyset paging.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { startRelay, api, uniq, newUser, newRoom } from './harness.mjs';

let relay;
before(async () => { relay = await startRelay(); });
after(async () => { await relay?.stop(); });

const user = (prefix = 'se') => newUser(relay, prefix);
const call = (who, method, path, body) => api(relay.url, who?.token, method, path, body);
// A word no other test's messages hold, so each test sees only its own.
const word = () => uniq('w').toLowerCase().replace(/[^a-z0-9]/g, '');

async function post(who, slug, content, channelId) {
  const r = await call(who, 'POST', `/api/rooms/${slug}/messages`, { content, channelId });
  assert.equal(r.status, 201, r.text);
  return r.json;
}

async function channel(owner, slug, visibility, inviteLogins = []) {
  const chSlug = uniq('c').toLowerCase();
  const r = await call(owner, 'POST', `/api/rooms/${slug}/channels`,
    { name: `${visibility} ${chSlug}`, slug: chSlug, visibility, inviteLogins });
  assert.equal(r.status, 201, r.text);
  return r.json;
}

const search = (who, q, extra = '') => call(who, 'GET', `/api/search?q=${encodeURIComponent(q)}${extra}`);

async function ids(who, q, extra = '') {
  const r = await search(who, q, extra);
  assert.equal(r.status, 200, `${q}: ${r.text}`);
  return r.json.results.map((x) => x.message.id);
}

test('words, prefixes, phrases, exclusions: all must match, any order, case and accents folded', async () => {
  const alice = await user();
  const slug = await newRoom(relay, alice);
  const w = word();
  const m1 = await post(alice, slug, `Deploy the Café service Friday ${w}`);
  const m2 = await post(alice, slug, `deployment notes ${w}: see https://example.com/notes`);
  const m3 = await post(alice, slug, `release notes for the draft plan ${w}`);
  const m4 = await post(alice, slug, `Release NOTES final ${w}`);

  assert.deepEqual(await ids(alice, `${w} cafe`), [m1.id], 'accents and case folded');
  assert.deepEqual(await ids(alice, `FRIDAY ${w} deploy`), [m1.id], 'any order; a word is not a prefix');
  assert.deepEqual(await ids(alice, `${w} deploy*`), [m2.id, m1.id], 'a trailing * is a prefix; newest first');
  assert.deepEqual(await ids(alice, `"release notes" ${w}`), [m4.id, m3.id]);
  assert.deepEqual(await ids(alice, `"notes release" ${w}`), [], 'a phrase keeps its order');
  assert.deepEqual(await ids(alice, `notes ${w} -draft`), [m4.id, m2.id]);
  assert.deepEqual(await ids(alice, `notes ${w} -"draft plan" -final`), [m2.id]);
  assert.deepEqual(await ids(alice, `${w} nothingatall`), [], 'every word must match');

  const r = await search(alice, `cafe ${w}`);
  const hit = r.json.results[0];
  assert.equal(hit.room, slug);
  assert.equal(hit.channel, null, 'the room-wide thread');
  assert.equal(hit.message.content, m1.content);
  assert.equal(hit.message.author.login, alice.login);
  assert.deepEqual(hit.message.attachments, []);
  assert.match(hit.snippet, /<mark>Café<\/mark>/);
  assert.equal(r.json.next, null);
});

test('filters: in:, from:, before:, after:, has:link, has:attachment, is:thread', async () => {
  const alice = await user();
  const bob = await user();
  const slug = await newRoom(relay, alice);
  const other = await newRoom(relay, alice);
  const ch = await channel(alice, slug, 'public');
  const w = word();
  const a = await post(alice, slug, `plain ${w}`);
  const b = await post(bob, slug, `from bob ${w} https://relay.dev/x`);
  const c = await post(alice, slug, `in a channel ${w}`, ch.id);
  const d = await post(alice, other, `elsewhere ${w}`);

  assert.deepEqual(await ids(alice, `${w} in:${slug}`), [c.id, b.id, a.id]);
  assert.deepEqual(await ids(alice, `${w} in:${other}`), [d.id]);
  assert.deepEqual(await ids(alice, `${w} in:${slug}/${ch.slug}`), [c.id]);
  const inCh = (await search(alice, `${w} in:${slug}/${ch.slug}`)).json.results[0];
  assert.deepEqual(inCh.channel, { id: ch.id, slug: ch.slug, name: ch.name });
  assert.deepEqual(await ids(alice, `${w} in:${slug}/nosuchchannel`), []);
  assert.deepEqual(await ids(alice, `${w} from:${bob.login}`), [b.id]);
  assert.deepEqual(await ids(alice, `${w} from:@${bob.login.toUpperCase()}`), [b.id], 'logins without case');
  assert.deepEqual(await ids(alice, `${w} has:link`), [b.id]);

  const today = new Date().toISOString().slice(0, 10);
  const yesterday = new Date(Date.now() - 86400000).toISOString().slice(0, 10);
  const tomorrow = new Date(Date.now() + 86400000).toISOString().slice(0, 10);
  assert.equal((await ids(alice, `${w} after:${yesterday}`)).length, 4);
  assert.equal((await ids(alice, `${w} before:${tomorrow}`)).length, 4);
  assert.deepEqual(await ids(alice, `${w} after:${today}`), [], 'after: leaves the day itself out');
  assert.deepEqual(await ids(alice, `${w} before:${today}`), []);

  // Filters alone search too, exclusions with them.
  assert.deepEqual(await ids(alice, `in:${other} from:${alice.login}`), [d.id]);
  assert.deepEqual(await ids(alice, `in:${slug} from:${alice.login} -channel`), [a.id]);

  const t = await call(alice, 'POST', `/api/rooms/${slug}/messages/${a.id}/thread`);
  assert.ok([200, 201].includes(t.status), t.text);
  const rep = await call(bob, 'POST', `/api/threads/${t.json.threadId}/replies`, { content: `a reply ${w}` });
  assert.equal(rep.status, 201, rep.text);
  assert.deepEqual(await ids(alice, `${w} is:thread`), [rep.json.id]);
  const hit = (await search(alice, `reply ${w}`)).json.results[0];
  assert.equal(hit.message.threadId, t.json.threadId);
  assert.equal(hit.room, slug);

  const form = new FormData();
  form.append('entityType', 'message');
  form.append('entityId', c.id);
  form.append('file', new Blob([Buffer.from('hello')], { type: 'text/plain' }), 'notes.txt');
  const up = await fetch(`${relay.url}/api/attachments`, { method: 'POST', headers: { Authorization: `Bearer ${alice.token}` }, body: form });
  assert.equal(up.status, 201, await up.text());
  assert.deepEqual(await ids(alice, `${w} has:attachment`), [c.id]);
  const withFile = (await search(alice, `${w} has:attachment`)).json.results[0];
  assert.equal(withFile.message.attachments.length, 1);
});

test('a private channel\'s and a DM\'s messages never reach an outsider; thread replies follow the channel', async () => {
  const owner = await user();
  const member = await user();
  const outsider = await user();
  const slug = await newRoom(relay, owner);
  const priv = await channel(owner, slug, 'private', [member.login]);
  const w = word();
  const secret = await post(owner, slug, `secret plan ${w}`, priv.id);
  const t = await call(owner, 'POST', `/api/rooms/${slug}/messages/${secret.id}/thread`);
  const rep = await call(member, 'POST', `/api/threads/${t.json.threadId}/replies`, { content: `secret reply ${w}` });
  assert.equal(rep.status, 201, rep.text);
  // Everyone posts in the room, so the outsider is in it.
  await post(outsider, slug, 'hello all');
  const dm = await call(owner, 'POST', `/api/rooms/${slug}/dms`, { logins: [member.login] });
  assert.ok([200, 201].includes(dm.status), dm.text);
  const dmMsg = await post(member, slug, `direct words ${w}`, dm.json.id);

  assert.deepEqual(await ids(member, w), [dmMsg.id, rep.json.id, secret.id]);
  assert.deepEqual(await ids(owner, `${w} is:thread`), [rep.json.id]);
  for (const q of [w, `${w}*`, `secret`, `in:${slug} ${w}`, `in:${slug}/${priv.slug}`, `is:thread ${w}`,
    `from:${owner.login} ${w}`, `from:${member.login}`, `direct`, `-zzz in:${slug}`]) {
    const r = await search(outsider, q);
    assert.equal(r.status, 200, r.text);
    assert.ok(!r.text.includes(w) && !r.text.includes('secret') && !r.text.includes('direct words'),
      `${q} leaked: ${r.text}`);
  }
});

test('losing access hides from the next search: whitelist removal, gating a room, a deleted channel', async () => {
  const owner = await user();
  const guest = await user();
  const stranger = await user();
  const slug = await newRoom(relay, owner);
  const w = word();
  const m = await post(owner, slug, `gated words ${w}`);
  assert.deepEqual(await ids(stranger, w), [m.id], 'an open room is searched by anyone');

  assert.equal((await call(owner, 'PUT', `/api/rooms/${slug}/whitelist-mode`, { enabled: true })).status, 200);
  const entry = await call(owner, 'POST', `/api/rooms/${slug}/whitelist`, { login: guest.login.toUpperCase() });
  assert.equal(entry.status, 201, entry.text);
  assert.deepEqual(await ids(stranger, w), [], 'gating hides it at once');
  assert.deepEqual(await ids(guest, w), [m.id], 'the whitelist lets in, without case');
  assert.deepEqual(await ids(owner, w), [m.id]);
  assert.equal((await call(owner, 'DELETE', `/api/rooms/${slug}/whitelist/${entry.json.id}`)).status, 200);
  assert.deepEqual(await ids(guest, w), [], 'removal hides it at once');

  const ch = await channel(owner, slug, 'public');
  const inCh = await post(owner, slug, `channel words ${w}`, ch.id);
  assert.deepEqual(await ids(owner, `channel ${w}`), [inCh.id]);
  const del = await call(owner, 'DELETE', `/api/rooms/${slug}/channels/${ch.id}`);
  assert.ok([200, 204].includes(del.status), del.text);
  assert.deepEqual(await ids(owner, `channel ${w}`), []);
});

test('an edit is found by its new text only; a deleted message is never found', async () => {
  const alice = await user();
  const slug = await newRoom(relay, alice);
  const w = word();
  const m = await post(alice, slug, `oldtext ${w}`);
  assert.deepEqual(await ids(alice, `oldtext ${w}`), [m.id]);
  const e = await call(alice, 'PATCH', `/api/rooms/${slug}/messages/${m.id}`, { content: `newtext ${w}` });
  assert.equal(e.status, 200, e.text);
  assert.deepEqual(await ids(alice, `oldtext ${w}`), []);
  const hits = (await search(alice, `newtext ${w}`)).json.results;
  assert.deepEqual(hits.map((h) => h.message.id), [m.id]);
  assert.ok(hits[0].message.editedAt, 'the message as history shows it');
  assert.equal((await call(alice, 'DELETE', `/api/rooms/${slug}/messages/${m.id}`)).status, 200);
  assert.deepEqual(await ids(alice, w), []);
});

test('bad requests answer 400 naming the problem; hostile queries are 400 or text, never 500 or a leak', async () => {
  const owner = await user();
  const outsider = await user();
  const slug = await newRoom(relay, owner);
  const priv = await channel(owner, slug, 'private');
  const w = word();
  await post(owner, slug, `hidden ${w} NEAR content`, priv.id);
  const visible = await post(owner, slug, `shown NEAR(x) ${w} ^caret "quoted" content:here`);

  const bad = async (path, pattern) => {
    const r = await call(outsider, 'GET', path);
    assert.equal(r.status, 400, `${path}: ${r.text}`);
    assert.match(r.json.error, pattern, `${path}: ${r.text}`);
  };
  await bad('/api/search', /q is required/);
  await bad('/api/search?q=', /empty query/);
  await bad('/api/search?q=%20%20', /empty query/);
  await bad(`/api/search?q=${encodeURIComponent('say "hello')}`, /unterminated quote/);
  await bad('/api/search?q=before:2026-13-01', /before: needs a date/);
  await bad('/api/search?q=has:pdf', /has: takes link or attachment/);
  await bad('/api/search?q=-only', /besides its -exclusions/);
  await bad(`/api/search?q=${'a'.repeat(10000)}`, /too long/);
  await bad('/api/search?q=%FF%FEabc', /UTF-8/);
  await bad('/api/search?q=x&limit=0', /limit/);
  await bad('/api/search?q=x&limit=101', /limit/);
  await bad('/api/search?q=x&sort=oldest', /sort/);
  await bad('/api/search?q=x&cursor=abc', /cursor/);
  assert.equal((await api(relay.url, null, 'GET', '/api/search?q=x')).status, 401);

  const hostile = ['NEAR(', 'NEAR(a b', '"', '""', '*', '^', '^shown', 'content:', `content:${w}`,
    `${w} OR hidden`, `${w} AND NOT x`, `${w} NOT shown`, 'hidden*', `{content}: ${w}`, `${w}"`,
    `rowid:1`, `search_fts:${w}`, `"${w}" NEAR("hidden")`, `${w} -"`, ')(', `'${w}'; DROP TABLE messages; --`,
    `${'NEAR( '.repeat(150)}`, `${'"a" '.repeat(40)}`];
  for (const q of hostile) {
    const r = await search(outsider, q);
    assert.ok([200, 400].includes(r.status), `${q}: ${r.status} ${r.text}`);
    assert.ok(!r.text.includes('hidden'), `${q} leaked ${r.text}`);
    if (r.status === 200) for (const x of r.json.results) assert.equal(x.message.id, visible.id, q);
  }
  // Syntax is searched as text.
  assert.deepEqual(await ids(outsider, `NEAR( ${w}`), [visible.id]);
  assert.deepEqual(await ids(outsider, `content:here ${w}`), [visible.id]);
  assert.deepEqual(await ids(outsider, `"NEAR(x)" ${w}`), [visible.id]);
  const snip = (await search(outsider, `quoted ${w}`)).json.results[0].snippet;
  assert.ok(snip.includes('&quot;<mark>quoted</mark>&quot;'), snip);
  assert.ok(!/<(?!\/?mark>)/.test(snip), `only <mark> tags: ${snip}`);
});

test('a NUL in a query separates words (search, tool call); content with a NUL is refused', async () => {
  const alice = await user();
  const slug = await newRoom(relay, alice);
  const w = word();
  const m = await post(alice, slug, `alpha beta ${w} deployment`);
  // FTS5 reads its MATCH text as a C string: a NUL inside a word once ended it there.
  assert.deepEqual(await ids(alice, `alpha\u0000${w}`), [m.id]);
  assert.deepEqual(await ids(alice, `${w}\u0000`), [m.id]);
  assert.deepEqual(await ids(alice, `"alpha\u0000beta" ${w}`), [m.id], 'a phrase\'s words around a NUL');
  assert.deepEqual(await ids(alice, `deploy\u0000* ${w}`), [], 'the star stands alone: deploy is a whole word');
  assert.deepEqual(await ids(alice, `alpha\u0000nothere ${w}`), [], 'both words must match');
  const t = await call(alice, 'POST', '/api/tools/call',
    { name: 'search_messages', arguments: { q: `beta\u0000${w}` } });
  assert.equal(t.status, 200, t.text);
  assert.equal(t.json.status, 200, t.text);
  assert.deepEqual(t.json.result.results.map((r) => r.message.id), [m.id]);

  // Content with a NUL is refused wherever content is written, and nothing is stored.
  const nul = `before\u0000after ${w}`;
  const refused = [
    await call(alice, 'POST', `/api/rooms/${slug}/messages`, { content: nul }),
    await call(alice, 'PATCH', `/api/rooms/${slug}/messages/${m.id}`, { content: nul }),
  ];
  const th = await call(alice, 'POST', `/api/rooms/${slug}/messages/${m.id}/thread`);
  assert.ok([200, 201].includes(th.status), th.text);
  refused.push(await call(alice, 'POST', `/api/threads/${th.json.threadId}/replies`, { content: nul }));
  for (const r of refused) {
    assert.equal(r.status, 400, r.text);
    assert.equal(r.json.code, 'BAD_REQUEST', r.text);
    assert.match(r.json.error, /NUL/, r.text);
  }
  assert.deepEqual(await ids(alice, `after ${w}`), []);
  assert.deepEqual(await ids(alice, `deployment ${w}`), [m.id], 'the refused edit changed nothing');
});

test('every unbalanced quote is 400, wherever it stands', async () => {
  const alice = await user();
  const w = word();
  for (const q of [`${w}"`, `"${w}`, `a"b ${w}`, `"a" "${w}`, `-"${w}`, `"a b" c"`]) {
    const r = await search(alice, q);
    assert.equal(r.status, 400, `${q}: ${r.text}`);
    assert.match(r.json.error, /unterminated quote/, q);
  }
  assert.equal((await search(alice, `"a b" ${w}`)).status, 200);
});

test('a snippet next to a long token or CJK text keeps about 160 characters of context', async () => {
  const alice = await user();
  const slug = await newRoom(relay, alice);
  const w = word();
  const url = `https://example.com/${'u'.repeat(300)}`;
  await post(alice, slug, `${url} dingo ${w} ${url}`);
  await post(alice, slug, `${'日本語'.repeat(100)} dingo ${w} ${'日本語'.repeat(100)}`);
  const hits = (await search(alice, `dingo ${w}`)).json.results;
  assert.equal(hits.length, 2);
  for (const h of hits) {
    const text = h.snippet.replace(/<\/?mark>/g, '');
    assert.ok(text.length >= 150 && text.length <= 165, `${text.length}: ${h.snippet}`);
    assert.match(h.snippet, /<mark>dingo<\/mark> <mark>w/);
  }
});

test('paging: limit and next.cursor, newest first or by relevance, each hit once', async () => {
  const alice = await user();
  const slug = await newRoom(relay, alice);
  const w = word();
  const posted = [];
  for (let i = 0; i < 5; i++) posted.push((await post(alice, slug, `page ${w} ${'again '.repeat(i)}${i}`)).id);

  for (const sort of ['newest', 'relevance']) {
    const seen = [];
    let cursor = null;
    for (let pages = 0; pages < 5; pages++) {
      const r = await search(alice, w, `&limit=2&sort=${sort}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      assert.equal(r.status, 200, r.text);
      assert.ok(r.json.results.length <= 2);
      seen.push(...r.json.results.map((x) => x.message.id));
      if (!r.json.next) break;
      cursor = r.json.next.cursor;
    }
    assert.equal(seen.length, 5, sort);
    assert.equal(new Set(seen).size, 5, sort);
    if (sort === 'newest') assert.deepEqual(seen, [...posted].reverse());
  }
  // Filters alone have nothing to rank: relevance pages them newest first.
  const seen = [];
  let r = await search(alice, `in:${slug}`, '&limit=3&sort=relevance');
  seen.push(...r.json.results.map((x) => x.message.id));
  r = await search(alice, `in:${slug}`, `&limit=3&sort=relevance&cursor=${r.json.next.cursor}`);
  seen.push(...r.json.results.map((x) => x.message.id));
  assert.deepEqual(seen, [...posted].reverse());
  assert.equal(r.json.next, null);
  const all = await search(alice, w, '&limit=5');
  assert.equal(all.json.next, null, 'no next after the last page');
});

test('upgrading a database indexes the messages and replies it already holds', async () => {
  const first = await startRelay();
  let second;
  try {
    const alice = await newUser(first, 'sb');
    const slug = await newRoom(first, alice);
    const w = word();
    const call1 = (method, path, body) => api(first.url, alice.token, method, path, body);
    const m = (await call1('POST', `/api/rooms/${slug}/messages`, { content: `before upgrade ${w}` })).json;
    const t = (await call1('POST', `/api/rooms/${slug}/messages/${m.id}/thread`)).json;
    const rep = (await call1('POST', `/api/threads/${t.threadId}/replies`, { content: `old reply ${w}` })).json;
    await first.stop();
    // Back to the schema before search: no index, no triggers.
    execFileSync('sqlite3', [join(first.dataDir, 'relay.db'), `DROP TABLE search_fts; DROP TABLE search_docs;
      DROP TRIGGER search_message_added; DROP TRIGGER search_message_edited; DROP TRIGGER search_message_deleted;
      DROP TRIGGER search_reply_added; DROP TRIGGER search_reply_edited; DROP TRIGGER search_reply_deleted;
      PRAGMA user_version = 14;`]);
    second = await startRelay({ dataDir: first.dataDir });
    const r = await api(second.url, alice.token, 'GET', `/api/search?q=${w}`);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.results.map((x) => x.message.id), [rep.id, m.id]);
  } finally {
    await second?.stop();
  }
});
