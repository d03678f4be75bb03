// Search across the archive on one node (docs/api.md, "Search"; docs/operations.md,
// "Archive"): messages moved from SQLite to the Postgres archive stay searchable with the
// same query language, in one result list with SQLite's hits, newest first, one cursor
// paging across the boundary. Access to archived hits is decided from SQLite's rooms,
// whitelists and memberships at query time; edits and deletes of archived messages count.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startRelay, createUser, api, uniq, FAST_SEND_ARGS } from './harness.mjs';
import { PG, psql, freshDatabase } from './postgres.mjs';

const skip = PG ? false : 'RELAY_TEST_POSTGRES_URL is not set (make test starts a Postgres)';

const servers = [];
after(async () => { await Promise.all(servers.map((s) => s.kill9())); });

async function waitFor(what, check, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('archived messages are searched with SQLite\'s: one list, newest first, one cursor, access now',
  { skip, timeout: 180000 }, async () => {
    const pg = await freshDatabase('as', { utf8: true });
    let relay = await startRelay({ args: [...FAST_SEND_ARGS, '--postgres-url', pg, '--archive-after', '2s'] });
    servers.push(relay);
    try {
      const user = async (prefix) => {
        const login = uniq(prefix);
        return { login, token: await createUser(relay.dataDir, login) };
      };
      // `relay` changes below: the calls read it when they run.
      const call = (who, method, path, body) => api(relay.url, who.token, method, path, body);
      const search = (who, q, extra = '') => call(who, 'GET', `/api/search?q=${encodeURIComponent(q)}${extra}`);
      const ids = async (who, q, extra = '') => {
        const r = await search(who, q, extra);
        assert.equal(r.status, 200, `${q}: ${r.text}`);
        return r.json.results.map((x) => x.message.id);
      };
      const post = async (who, slug, content, channelId) => {
        const r = await call(who, 'POST', `/api/rooms/${slug}/messages`, { content, channelId });
        assert.equal(r.status, 201, r.text);
        return r.json;
      };

      const alice = await user('asa');
      const bob = await user('asb');
      const stranger = await user('ass');
      const slug = uniq('r').toLowerCase();
      assert.equal((await call(alice, 'POST', '/api/rooms', { slug, displayName: slug })).status, 201);
      const ch = await call(alice, 'POST', `/api/rooms/${slug}/channels`,
        { name: 'hush', slug: 'hush', visibility: 'private', inviteLogins: [bob.login] });
      assert.equal(ch.status, 201, ch.text);
      const w = uniq('w').toLowerCase().replace(/[^a-z0-9]/g, '');

      const old = [];
      old.push(await post(alice, slug, `old Café notes ${w}`));
      old.push(await post(bob, slug, `old link ${w} https://relay.dev/x`));
      old.push(await post(alice, slug, `old release plan ${w}`));
      old.push(await post(alice, slug, `old secret ${w}`, ch.json.id));
      old.push(await post(alice, slug, `old deployment ${w}`));
      await waitFor('the old messages archived and settled', async () =>
        Number(await psql(pg, `SELECT count(*) FROM message_archive WHERE settled AND convert_from(content, 'UTF8') LIKE '%${w}%'`)) === old.length);
      // Again with a retention that keeps the messages to come in SQLite, so the
      // boundary stays where it is while the test pages across it.
      await relay.stop();
      servers.length = 0;
      relay = await startRelay({ dataDir: relay.dataDir, args: [...FAST_SEND_ARGS, '--postgres-url', pg, '--archive-after', '1h'] });
      servers.push(relay);
      const recent = [];
      recent.push(await post(alice, slug, `new deploy ${w}`));
      recent.push(await post(bob, slug, `new release plan ${w}`));
      recent.push(await post(alice, slug, `new secret ${w}`, ch.json.id));

      const all = [...old, ...recent].reverse().map((m) => m.id);
      assert.deepEqual(await ids(alice, w), all, 'one list, SQLite\'s hits then the archive\'s, newest first');
      for (const limit of [1, 2, 3]) {
        const seen = [];
        let cursor = null;
        for (let pages = 0; pages < 10; pages++) {
          const r = await search(alice, w, `&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
          assert.equal(r.status, 200, r.text);
          seen.push(...r.json.results.map((x) => x.message.id));
          if (!r.json.next) break;
          cursor = r.json.next.cursor;
        }
        assert.deepEqual(seen, all, `pages of ${limit} across the boundary`);
      }
      const ranked = [];
      let cursor = null;
      for (let pages = 0; pages < 10; pages++) {
        const r = await search(alice, `${w} old*`, `&limit=2&sort=relevance${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        assert.equal(r.status, 200, r.text);
        ranked.push(...r.json.results.map((x) => x.message.id));
        if (!r.json.next) break;
        cursor = r.json.next.cursor;
      }
      assert.deepEqual([...ranked].sort(), old.map((m) => m.id).sort(), 'relevance pages each archived hit once');

      // The query language on archived messages.
      assert.deepEqual(await ids(alice, `${w} cafe`), [old[0].id], 'accents folded');
      const hit = (await search(alice, `${w} cafe`)).json.results[0];
      assert.equal(hit.message.content, old[0].content);
      assert.equal(hit.message.author.login, alice.login, 'the author\'s profile from SQLite');
      assert.equal(hit.room, slug);
      assert.match(hit.snippet, /<mark>Café<\/mark>/);
      assert.deepEqual(await ids(alice, `${w} has:link`), [old[1].id]);
      assert.deepEqual(await ids(alice, `${w} from:${bob.login}`), [recent[1].id, old[1].id]);
      assert.deepEqual(await ids(alice, `"release plan" ${w}`), [recent[1].id, old[2].id]);
      assert.deepEqual(await ids(alice, `${w} deploy*`), [recent[0].id, old[4].id]);
      assert.deepEqual(await ids(alice, `${w} deploy* -new`), [old[4].id]);
      assert.deepEqual(await ids(alice, `in:${slug}/hush`), [recent[2].id, old[3].id]);
      assert.deepEqual(await ids(alice, `in:${slug} -secret -new`), [old[4].id, old[2].id, old[1].id, old[0].id]);
      assert.deepEqual(await ids(alice, `${w} is:thread`), [], 'replies never leave SQLite');
      const tomorrow = new Date(Date.now() + 86400000).toISOString().slice(0, 10);
      assert.equal((await ids(alice, `${w} before:${tomorrow}`)).length, all.length);

      // Access to archived hits is SQLite's, now.
      assert.deepEqual(await ids(bob, `${w} secret`), [recent[2].id, old[3].id]);
      const seen = await search(stranger, w);
      assert.ok(!seen.text.includes('secret'), seen.text);
      assert.deepEqual(seen.json.results.map((x) => x.message.id), all.filter((id) => id !== old[3].id && id !== recent[2].id));
      assert.equal((await call(alice, 'PUT', `/api/rooms/${slug}/whitelist-mode`, { enabled: true })).status, 200);
      assert.deepEqual(await ids(stranger, w), [], 'gating hides archived hits at once');
      assert.deepEqual(await ids(stranger, `in:${slug}`), []);

      // Edits and deletes of archived messages.
      const e = await call(alice, 'PATCH', `/api/rooms/${slug}/messages/${old[2].id}`, { content: `rewritten words ${w}` });
      assert.equal(e.status, 200, e.text);
      assert.deepEqual(await ids(alice, `${w} "release plan"`), [recent[1].id]);
      const edited = (await search(alice, `${w} rewritten`)).json.results;
      assert.deepEqual(edited.map((x) => x.message.id), [old[2].id]);
      assert.ok(edited[0].message.editedAt);
      assert.equal((await call(alice, 'DELETE', `/api/rooms/${slug}/messages/${old[0].id}`)).status, 200);
      assert.deepEqual(await ids(alice, `${w} cafe`), []);
      assert.ok(!(await ids(alice, w)).includes(old[0].id));
    } finally {
      await relay.stop();
      servers.length = 0;
    }
  });
