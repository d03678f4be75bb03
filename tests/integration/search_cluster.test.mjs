// Search in cluster mode (docs/api.md, "Search"): three nodes on one Postgres store of
// record, its full-text index kept by triggers in the transaction of each write. The
// query language answers as on one node; a message posted on one node is found from
// every other; edits and deletes count within a second; a private channel's and a DM's
// messages never reach an outsider on any node, and losing access hides them from the
// next search; hostile queries are 400 or searched as text, never a 500.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startRelay, relayCli, api, uniq, makeDataDir, FAST_SEND_ARGS } from './harness.mjs';
import { PG, psql, freshDatabase } from './postgres.mjs';

const REDIS = process.env.RELAY_TEST_REDIS_URL;
const skip = PG && REDIS ? false : 'RELAY_TEST_POSTGRES_URL and RELAY_TEST_REDIS_URL are not set (make test starts both)';

const nodes = [];
// postgres.mjs drops the suite's databases in an `after` registered before this file's:
// the nodes stop (and are checked for leaks) inside the test, while their database lives.
after(async () => { await Promise.all(nodes.splice(0).map((n) => n.kill9())); });

const word = () => uniq('w').toLowerCase().replace(/[^a-z0-9]/g, '');

async function until(what, probe) {
  for (let i = 0; i < 50; i++) {
    const v = await probe();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(`not within a second: ${what}`);
}

test('search on three nodes over the Postgres store of record', { skip }, async (t) => {
  const pg = await freshDatabase('search', { utf8: true });
  const opts = ['--redis-url', REDIS, '--postgres-url', pg];
  for (let i = 0; i < 3; i++) nodes.push(await startRelay({ args: [...FAST_SEND_ARGS, ...opts] }));
  const [a, b, c] = nodes;
  const cli = (...args) => relayCli(makeDataDir(), ...opts, ...args);
  const user = async (prefix = 'sc') => {
    const login = uniq(prefix);
    await cli('user', 'add', login);
    return { login, token: (await cli('token', 'create', login)).trim() };
  };
  const call = (node, who, method, path, body) => api(node.url, who?.token, method, path, body);
  const room = async (node, owner) => {
    const slug = uniq('r').toLowerCase();
    const r = await call(node, owner, 'POST', '/api/rooms', { slug, displayName: slug });
    assert.equal(r.status, 201, r.text);
    return slug;
  };
  const post = async (node, who, slug, content, channelId) => {
    const r = await call(node, who, 'POST', `/api/rooms/${slug}/messages`, { content, channelId });
    assert.equal(r.status, 201, r.text);
    return r.json;
  };
  const channel = async (node, owner, slug, visibility, inviteLogins = []) => {
    const chSlug = uniq('c').toLowerCase();
    const r = await call(node, owner, 'POST', `/api/rooms/${slug}/channels`,
      { name: `${visibility} ${chSlug}`, slug: chSlug, visibility, inviteLogins });
    assert.equal(r.status, 201, r.text);
    return r.json;
  };
  const search = (node, who, q, extra = '') => call(node, who, 'GET', `/api/search?q=${encodeURIComponent(q)}${extra}`);
  const ids = async (node, who, q, extra = '') => {
    const r = await search(node, who, q, extra);
    assert.equal(r.status, 200, `${q}: ${r.text}`);
    return r.json.results.map((x) => x.message.id);
  };

  try {
    await t.test('words, prefixes, phrases and exclusions, posted on one node and found on another', async () => {
      const alice = await user();
      const slug = await room(a, alice);
      const w = word();
      const m1 = await post(a, alice, slug, `Deploy the Café service Friday ${w}`);
      const m2 = await post(b, alice, slug, `deployment notes ${w}: see https://example.com/notes`);
      const m3 = await post(c, alice, slug, `release notes for the draft plan ${w}`);
      const m4 = await post(a, alice, slug, `Release NOTES final ${w}`);

      for (const node of nodes) {
        assert.deepEqual(await ids(node, alice, `${w} cafe`), [m1.id], 'accents and case folded');
        assert.deepEqual(await ids(node, alice, `${w} CAFÉ`), [m1.id]);
      }
      assert.deepEqual(await ids(c, alice, `FRIDAY ${w} deploy`), [m1.id], 'any order; a word is not a prefix');
      assert.deepEqual(await ids(c, alice, `${w} deploy*`), [m2.id, m1.id], 'a trailing * is a prefix; newest first');
      assert.deepEqual(await ids(b, alice, `"release notes" ${w}`), [m4.id, m3.id]);
      assert.deepEqual(await ids(b, alice, `"notes release" ${w}`), [], 'a phrase keeps its order');
      assert.deepEqual(await ids(a, alice, `notes ${w} -draft`), [m4.id, m2.id]);
      assert.deepEqual(await ids(a, alice, `notes ${w} -"draft plan" -final`), [m2.id]);
      assert.deepEqual(await ids(a, alice, `${w} nothingatall`), [], 'every word must match');
      assert.deepEqual(await ids(a, alice, `${w} example`), [m2.id], 'a link\'s words are words');
      assert.deepEqual(await ids(a, alice, `${w} example.com/no*`), [m2.id]);

      const r = await search(c, alice, `cafe ${w}`);
      const hit = r.json.results[0];
      assert.equal(hit.room, slug);
      assert.equal(hit.channel, null, 'the room-wide thread');
      assert.equal(hit.message.content, m1.content);
      assert.equal(hit.message.author.login, alice.login);
      assert.match(hit.snippet, /<mark>Café<\/mark>/);
      assert.equal(r.json.next, null);
    });

    await t.test('filters: in:, from:, before:, after:, has:link, has:attachment, is:thread', async () => {
      const alice = await user();
      const bob = await user();
      const slug = await room(a, alice);
      const other = await room(b, alice);
      const ch = await channel(a, alice, slug, 'public');
      const w = word();
      const m1 = await post(a, alice, slug, `plain ${w}`);
      const m2 = await post(b, bob, slug, `from bob ${w} https://relay.dev/x`);
      const m3 = await until('the channel on node C', async () => {
        const r = await call(c, alice, 'POST', `/api/rooms/${slug}/messages`, { content: `in a channel ${w}`, channelId: ch.id });
        return r.status === 201 && r.json;
      });
      const m4 = await post(b, alice, other, `elsewhere ${w}`);

      assert.deepEqual(await ids(c, alice, `${w} in:${slug}`), [m3.id, m2.id, m1.id]);
      assert.deepEqual(await ids(c, alice, `${w} in:${other}`), [m4.id]);
      assert.deepEqual(await ids(a, alice, `${w} in:${slug}/${ch.slug}`), [m3.id]);
      const inCh = (await search(b, alice, `${w} in:${slug}/${ch.slug}`)).json.results[0];
      assert.deepEqual(inCh.channel, { id: ch.id, slug: ch.slug, name: ch.name });
      assert.deepEqual(await ids(a, alice, `${w} in:${slug}/nosuchchannel`), []);
      assert.deepEqual(await ids(b, alice, `${w} from:@${bob.login.toUpperCase()}`), [m2.id], 'logins without case');
      assert.deepEqual(await ids(c, alice, `${w} has:link`), [m2.id]);

      const today = new Date().toISOString().slice(0, 10);
      const yesterday = new Date(Date.now() - 86400000).toISOString().slice(0, 10);
      const tomorrow = new Date(Date.now() + 86400000).toISOString().slice(0, 10);
      assert.equal((await ids(a, alice, `${w} after:${yesterday}`)).length, 4);
      assert.equal((await ids(a, alice, `${w} before:${tomorrow}`)).length, 4);
      assert.deepEqual(await ids(a, alice, `${w} after:${today}`), [], 'after: leaves the day itself out');
      assert.deepEqual(await ids(a, alice, `${w} before:${today}`), []);

      // Filters alone search too, exclusions with them.
      assert.deepEqual(await ids(b, alice, `in:${other} from:${alice.login}`), [m4.id]);
      assert.deepEqual(await ids(b, alice, `in:${slug} from:${alice.login} -channel`), [m1.id]);

      const th = await call(a, alice, 'POST', `/api/rooms/${slug}/messages/${m1.id}/thread`);
      assert.ok([200, 201].includes(th.status), th.text);
      const rep = await call(c, bob, 'POST', `/api/threads/${th.json.threadId}/replies`, { content: `a reply ${w}` });
      assert.equal(rep.status, 201, rep.text);
      assert.deepEqual(await ids(b, alice, `${w} is:thread`), [rep.json.id]);
      const hit = (await search(a, alice, `reply ${w}`)).json.results[0];
      assert.equal(hit.message.threadId, th.json.threadId);
      assert.equal(hit.room, slug);

      const form = new FormData();
      form.append('entityType', 'message');
      form.append('entityId', m3.id);
      form.append('file', new Blob([Buffer.from('hello')], { type: 'text/plain' }), 'notes.txt');
      const up = await fetch(`${b.url}/api/attachments`, { method: 'POST', headers: { Authorization: `Bearer ${alice.token}` }, body: form });
      assert.equal(up.status, 201, await up.text());
      assert.deepEqual(await ids(c, alice, `${w} has:attachment`), [m3.id]);
      assert.equal((await search(c, alice, `${w} has:attachment`)).json.results[0].message.attachments.length, 1);
    });

    await t.test('a private channel\'s and a DM\'s messages never reach an outsider on any node', async () => {
      const owner = await user();
      const member = await user();
      const outsider = await user();
      const slug = await room(a, owner);
      const priv = await channel(a, owner, slug, 'private', [member.login]);
      const w = word();
      const secret = await post(a, owner, slug, `secret plan ${w}`, priv.id);
      const th = await call(a, owner, 'POST', `/api/rooms/${slug}/messages/${secret.id}/thread`);
      const rep = await until('the thread on node B', async () => {
        const r = await call(b, member, 'POST', `/api/threads/${th.json.threadId}/replies`, { content: `secret reply ${w}` });
        return r.status === 201 && r.json;
      });
      await post(c, outsider, slug, 'hello all');
      const dm = await call(a, owner, 'POST', `/api/rooms/${slug}/dms`, { logins: [member.login] });
      assert.ok([200, 201].includes(dm.status), dm.text);
      const dmMsg = await until('the DM on node C', async () => {
        const r = await call(c, member, 'POST', `/api/rooms/${slug}/messages`, { content: `direct words ${w}`, channelId: dm.json.id });
        return r.status === 201 && r.json;
      });

      for (const node of nodes) assert.deepEqual(await ids(node, member, w), [dmMsg.id, rep.id, secret.id]);
      for (const node of nodes) {
        for (const q of [w, `${w}*`, 'secret', `in:${slug} ${w}`, `in:${slug}/${priv.slug}`, `is:thread ${w}`,
          `from:${owner.login} ${w}`, `from:${member.login}`, 'direct', `-zzz in:${slug}`]) {
          const r = await search(node, outsider, q);
          assert.equal(r.status, 200, r.text);
          assert.ok(!r.text.includes(w) && !r.text.includes('secret') && !r.text.includes('direct words'),
            `${q} leaked: ${r.text}`);
        }
      }
    });

    await t.test('losing access hides from the next search on every node', async () => {
      const owner = await user();
      const guest = await user();
      const stranger = await user();
      const slug = await room(a, owner);
      const w = word();
      const m = await post(a, owner, slug, `gated words ${w}`);
      assert.deepEqual(await ids(c, stranger, w), [m.id], 'an open room is searched by anyone');

      assert.equal((await call(b, owner, 'PUT', `/api/rooms/${slug}/whitelist-mode`, { enabled: true })).status, 200);
      const entry = await call(b, owner, 'POST', `/api/rooms/${slug}/whitelist`, { login: guest.login.toUpperCase() });
      assert.equal(entry.status, 201, entry.text);
      for (const node of nodes) {
        assert.deepEqual(await ids(node, stranger, w), [], 'gating hides it at once');
        assert.deepEqual(await ids(node, guest, w), [m.id], 'the whitelist lets in, without case');
      }
      assert.equal((await call(b, owner, 'DELETE', `/api/rooms/${slug}/whitelist/${entry.json.id}`)).status, 200);
      for (const node of nodes) assert.deepEqual(await ids(node, guest, w), [], 'removal hides it at once');

      const ch = await channel(a, owner, slug, 'public');
      const inCh = await post(a, owner, slug, `channel words ${w}`, ch.id);
      assert.deepEqual(await ids(c, owner, `channel ${w}`), [inCh.id]);
      const del = await call(a, owner, 'DELETE', `/api/rooms/${slug}/channels/${ch.id}`);
      assert.ok([200, 204].includes(del.status), del.text);
      for (const node of nodes) assert.deepEqual(await ids(node, owner, `channel ${w}`), []);
    });

    await t.test('an edit on one node is found by its new text only on the others; a delete is never found', async () => {
      const alice = await user();
      const slug = await room(a, alice);
      const w = word();
      const m = await post(a, alice, slug, `oldtext ${w}`);
      assert.deepEqual(await ids(c, alice, `oldtext ${w}`), [m.id]);
      const e = await call(b, alice, 'PATCH', `/api/rooms/${slug}/messages/${m.id}`, { content: `newtext ${w}` });
      assert.equal(e.status, 200, e.text);
      const edited = await until('the edit found on node C', async () => {
        const r = await search(c, alice, `newtext ${w}`);
        return r.json.results.length === 1 && r.json.results[0];
      });
      assert.equal(edited.message.id, m.id);
      assert.ok(edited.message.editedAt, 'the message as history shows it');
      for (const node of nodes) assert.deepEqual(await ids(node, alice, `oldtext ${w}`), []);
      assert.equal((await call(c, alice, 'DELETE', `/api/rooms/${slug}/messages/${m.id}`)).status, 200);
      await until('the delete on node A', async () => (await ids(a, alice, w)).length === 0);
      for (const node of nodes) assert.deepEqual(await ids(node, alice, w), []);
    });

    await t.test('hostile queries are 400 or text, never a 500 or a leak', async () => {
      const owner = await user();
      const outsider = await user();
      const slug = await room(a, owner);
      const priv = await channel(a, owner, slug, 'private');
      const w = word();
      await post(a, owner, slug, `hidden ${w} NEAR content`, priv.id);
      const visible = await post(b, owner, slug, `shown NEAR(x) ${w} ^caret "quoted" content:here it's a|b & !c <-> d:*`);

      const bad = async (path, pattern) => {
        const r = await call(c, outsider, 'GET', path);
        assert.equal(r.status, 400, `${path}: ${r.text}`);
        assert.match(r.json.error, pattern, `${path}: ${r.text}`);
      };
      await bad('/api/search?q=', /empty query/);
      await bad(`/api/search?q=${encodeURIComponent('say "hello')}`, /unterminated quote/);
      await bad(`/api/search?q=${'a'.repeat(10000)}`, /too long/);
      await bad('/api/search?q=%FF%FEabc', /UTF-8/);
      await bad('/api/search?q=x&cursor=abc', /cursor/);
      await bad(`/api/search?q=${w}%22`, /unterminated quote/);
      await bad(`/api/search?q=a%22b%20${w}`, /unterminated quote/);

      const hostile = ['NEAR(', '"', '""', '*', '^', '^shown', 'content:', `content:${w}`, `${w} OR hidden`,
        `${w} NOT shown`, 'hidden*', `${w}"`, `'${w}'; DROP TABLE messages; --`, `${w} ' | hidden`,
        `${w} & !`, `${w} <->`, `${w}:*`, `${w} \\' hidden`, `${w} ):* | (hidden`, `${w} !hidden`,
        `it's ${w}`, `a|b ${w}`, `${'"a" '.repeat(40)}`, `${w} ${'é'.repeat(300)}`, `${w} \u0000`];
      for (const q of hostile) {
        const r = await search(c, outsider, q);
        assert.ok([200, 400].includes(r.status), `${q}: ${r.status} ${r.text}`);
        assert.ok(!r.text.includes('hidden'), `${q} leaked ${r.text}`);
        if (r.status === 200) for (const x of r.json.results) assert.equal(x.message.id, visible.id, q);
      }
      // Syntax of FTS5 and of tsquery is searched as text.
      for (const q of [`NEAR( ${w}`, `content:here ${w}`, `"NEAR(x)" ${w}`, `it's ${w}`, `"a|b & !c" ${w}`, `d:* ${w}`])
        assert.deepEqual(await ids(a, outsider, q), [visible.id], q);
      // A NUL separates words, in a phrase and before a star too.
      for (const q of [`shown\u0000${w}`, `${w}\u0000`, `"shown\u0000NEAR" ${w}`, `shown\u0000* ${w}`])
        assert.deepEqual(await ids(a, outsider, q), [visible.id], JSON.stringify(q));
      const nul = await call(b, owner, 'POST', `/api/rooms/${slug}/messages`, { content: `x\u0000y ${w}` });
      assert.equal(nul.status, 400, nul.text);
      const snip = (await search(a, outsider, `quoted ${w}`)).json.results[0].snippet;
      assert.ok(snip.includes('&quot;<mark>quoted</mark>&quot;'), snip);
      // The index is in Postgres and nothing of the queries reached it as SQL.
      assert.equal(await psql(pg, `SELECT count(*) > 0 FROM search_docs d JOIN messages m ON m.id = d.ref_id WHERE m.id = '${visible.id}'`), 't');
    });

    await t.test('paging: limit and next.cursor, newest first or by relevance, each hit once', async () => {
      const alice = await user();
      const slug = await room(a, alice);
      const w = word();
      const posted = [];
      for (let i = 0; i < 5; i++) posted.push((await post(nodes[i % 3], alice, slug, `page ${w} ${'again '.repeat(i)}${i}`)).id);

      for (const sort of ['newest', 'relevance']) {
        const seen = [];
        let cursor = null;
        for (let pages = 0; pages < 5; pages++) {
          const r = await search(nodes[pages % 3], alice, w, `&limit=2&sort=${sort}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
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
      const r = await search(b, alice, `in:${slug}`, '&limit=3&sort=relevance');
      const r2 = await search(c, alice, `in:${slug}`, `&limit=3&sort=relevance&cursor=${r.json.next.cursor}`);
      assert.deepEqual([...r.json.results, ...r2.json.results].map((x) => x.message.id), [...posted].reverse());
      assert.equal(r2.json.next, null);
    });

    await t.test('the operator command reports and rebuilds the cluster\'s index while the nodes run', async () => {
      const alice = await user();
      const slug = await room(a, alice);
      const w = word();
      const m = await post(b, alice, slug, `rebuilt ${w}`);
      const count = async () => Number(await psql(pg, `SELECT (SELECT count(*) FROM messages) + (SELECT count(*) FROM thread_replies)`));
      const status = await cli('search-index', 'status');
      assert.match(status, new RegExp(`indexed: ${await count()} messages and replies`));
      assert.match(status, /index share of the database: \d+\.\d%/);
      // An index in doubt (here: emptied by hand) is whole again after the command.
      await psql(pg, 'DELETE FROM search_docs');
      assert.deepEqual(await ids(c, alice, w), []);
      const out = await cli('search-index', 'rebuild');
      assert.match(out, /Rebuilt the cluster's search index/);
      assert.match(out, new RegExp(`indexed: ${await count()} messages and replies`));
      assert.deepEqual(await ids(c, alice, w), [m.id]);
      // Still indexed as it is written, on every node.
      const later = await post(a, alice, slug, `rebuilt later ${w}`);
      assert.deepEqual(await ids(b, alice, w), [later.id, m.id]);
      await assert.rejects(cli('search-index', 'sometimes'), /search-index|usage|unknown/i);
    });

    await t.test('upgrading a store of record indexes the messages and replies it already holds', async () => {
      const alice = await user();
      const slug = await room(a, alice);
      const w = word();
      const m = await post(a, alice, slug, `before upgrade ${w}`);
      const th = await call(a, alice, 'POST', `/api/rooms/${slug}/messages/${m.id}/thread`);
      const rep = await call(a, alice, 'POST', `/api/threads/${th.json.threadId}/replies`, { content: `old reply ${w}` });
      assert.equal(rep.status, 201, rep.text);
      await Promise.all(nodes.splice(0).map((n) => n.stop()));
      // Back to the schema before search: no index, no triggers, no functions.
      await psql(pg, `DROP TRIGGER search_message ON messages; DROP TRIGGER search_reply ON thread_replies;
        DROP TRIGGER search_archived ON message_archive; DROP TABLE search_docs;
        ALTER TABLE message_archive DROP COLUMN words, DROP COLUMN doc;
        DROP FUNCTION relay_search_message(); DROP FUNCTION relay_search_archived();
        DROP FUNCTION relay_search_words(bytea); DROP FUNCTION relay_search_has_link(bytea);
        DROP FUNCTION relay_search_fold(text); DROP FUNCTION relay_search_rebuild();
        DELETE FROM relay_schema WHERE version >= 12;`); // 12 added search; later ones run again
      nodes.push(await startRelay({ args: [...FAST_SEND_ARGS, ...opts] }));
      assert.deepEqual(await ids(nodes[0], alice, w), [rep.json.id, m.id]);
    });
  } finally {
    await Promise.all(nodes.splice(0).map((n) => n.stop()));
  }
});
