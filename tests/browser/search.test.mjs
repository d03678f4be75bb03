// Search in the browser (docs/web.md "Search"; docs/api.md "Search"): the shortcut opens
// the box, a query shows highlighted snippets grouped by channel, filters become chips
// that can be removed, a malformed query shows the server's reason, and a click lands on
// the message in its channel with the history around it loaded (it is far older than the
// newest page the channel opens with), outlined; a thread reply opens its thread. A
// private channel's message of someone else never shows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, axeViolations, browserSuite, composer, createUser, screenshot, uniq, FAST_SEND_ARGS } from './harness.mjs';

const suite = browserSuite({ args: FAST_SEND_ARGS });
const { open, pages } = suite;

// The newest page a channel view asks for (web/src/session.ts open(): limit 50).
const FIRST_PAGE = 50;

async function post(relay, token, slug, content, channelId = null) {
  const r = await api(relay.url, token, 'POST', `/api/rooms/${slug}/messages`, { content, channelId });
  assert.equal(r.status, 201, r.text);
  return r.json;
}

async function seed() {
  const relay = suite.stack.relay;
  const alice = await createUser(relay.dataDir, uniq('al'));
  const slug = uniq('room').toLowerCase();
  const made = await api(relay.url, alice, 'POST', '/api/rooms', { slug, displayName: 'Search room' });
  assert.equal(made.status, 201, made.text);
  const ch = await api(relay.url, alice, 'POST', `/api/rooms/${slug}/channels`,
    { name: 'Plans', slug: 'plans', visibility: 'public' });
  assert.equal(ch.status, 201, ch.text);
  const secret = await api(relay.url, alice, 'POST', `/api/rooms/${slug}/channels`,
    { name: 'Secret', slug: 'secret', visibility: 'private' });
  assert.equal(secret.status, 201, secret.text);
  const word = uniq('zebra').toLowerCase().replace(/[^a-z0-9]/g, '');
  let before;
  let firstId;
  for (let i = 0; i < 40; i++) {
    before = await post(relay, alice, slug, `earlier message ${i}`, ch.json.id);
    firstId ??= before.id;
  }
  const target = await post(relay, alice, slug, `The ${word} migration plan <b>is</b> ready & signed`, ch.json.id);
  const root = await post(relay, alice, slug, `thread root about ${word} budget`, ch.json.id);
  const hidden = await post(relay, alice, slug, `private ${word} migration notes`, secret.json.id);
  for (let i = 0; i < FIRST_PAGE + 40; i++) await post(relay, alice, slug, `filler message ${i}`, ch.json.id);
  const t = await api(relay.url, alice, 'POST', `/api/rooms/${slug}/messages/${root.id}/thread`);
  assert.ok([200, 201].includes(t.status), t.text);
  const reply = await api(relay.url, alice, 'POST', `/api/threads/${t.json.threadId}/replies`,
    { content: `a reply on the ${word} rollout` });
  assert.equal(reply.status, 201, reply.text);
  return { relay, alice, slug, word, firstId, before, target, root, hidden, reply: reply.json, channelId: ch.json.id };
}

test('search: shortcut, highlighted snippets, chips, errors, and a click lands on an old message', async () => {
  const first = pages.length;
  try {
    const s = await seed();
    const bob = await open(uniq('bo'), `/r/${s.slug}/plans`);
    // The target is older than the newest page the channel opened with.
    await bob.locator('[data-id]').first().waitFor();
    assert.equal(await bob.locator(`[data-id="${s.target.id}"]`).count(), 0, 'the target is not loaded yet');

    // "/" while typing in the composer is a character, not the shortcut.
    await composer(bob).click();
    await bob.keyboard.type('/');
    assert.equal(await composer(bob).inputValue(), '/');
    assert.equal(await bob.getByRole('dialog', { name: 'Search messages' }).count(), 0);
    await composer(bob).fill('');
    await bob.locator('.messages').focus();

    // "/" elsewhere opens it; Escape closes it; Ctrl+K opens it again.
    await bob.keyboard.press('/');
    const dialog = bob.getByRole('dialog', { name: 'Search messages' });
    await dialog.waitFor();
    const box = dialog.getByRole('combobox', { name: 'Search messages' });
    assert.ok(await box.evaluate((el) => el === document.activeElement), 'the box has the focus');
    await bob.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await bob.keyboard.press('Control+k');
    await dialog.waitFor();

    await box.fill(`${s.word} migration`);
    const results = dialog.getByRole('listbox', { name: 'Search results' });
    const hit = results.locator(`[data-message="${s.target.id}"]`);
    await hit.waitFor();
    // Only the public channel's message: the private channel bob is not in never shows.
    assert.equal(await results.getByRole('option').count(), 1);
    assert.equal(await results.locator(`[data-message="${s.hidden.id}"]`).count(), 0);
    // The snippet's match is a <mark>; the content's own HTML is text, not elements.
    assert.deepEqual(await hit.locator('mark').allTextContents(), [s.word, 'migration']);
    assert.equal(await hit.locator('.snippet b').count(), 0);
    assert.match(await hit.locator('.snippet').textContent(), /plan <b>is<\/b> ready & signed/);
    assert.equal(await results.getByRole('group', { name: `${s.slug} › #Plans` }).count(), 1);
    await screenshot(bob, 'search');

    // A filter typed in the query is a chip; removing the chip takes it out and searches again.
    await box.fill(`${s.word} is:thread`);
    const chip = dialog.getByRole('list', { name: 'Filters' }).locator('[data-filter="is:thread"]');
    await chip.waitFor();
    await results.locator(`[data-message="${s.reply.id}"]`).waitFor();
    assert.equal(await results.getByRole('option').count(), 1, 'is:thread keeps the reply only');
    await dialog.getByRole('button', { name: 'Remove filter is:thread' }).click();
    assert.equal(await box.inputValue(), s.word);
    await chip.waitFor({ state: 'detached' });
    await results.locator(`[data-message="${s.target.id}"]`).waitFor();
    assert.equal(await results.getByRole('option').count(), 3, 'target, root and reply');
    assert.equal(await results.locator(`[data-message="${s.hidden.id}"]`).count(), 0);

    // Load more: the next page under the first.
    await box.fill(`filler message in:${s.slug}`);
    await results.getByRole('option').nth(19).waitFor();
    assert.equal(await results.getByRole('option').count(), 20);
    await dialog.getByRole('button', { name: 'Load more' }).click();
    await results.getByRole('option').nth(39).waitFor();
    assert.equal(await results.getByRole('option').count(), 40);
    await box.fill(s.word);
    await results.locator(`[data-message="${s.target.id}"]`).waitFor();

    // Sort by relevance still finds them; a malformed query shows the server's reason.
    await dialog.getByRole('radio', { name: 'Relevance' }).click();
    assert.equal(await dialog.getByRole('radio', { name: 'Relevance' }).getAttribute('aria-checked'), 'true');
    await results.locator(`[data-message="${s.target.id}"]`).waitFor();
    await box.fill(`${s.word} from:`);
    await dialog.getByRole('alert').filter({ hasText: /from: needs a login/ }).waitFor();
    await box.fill(`nothingmatches${s.word}`);
    await dialog.getByText(/No messages match/).waitFor();
    assert.deepEqual(await axeViolations(bob), []);

    // Keyboard: the arrow keys move through the results, Enter opens one.
    await dialog.getByRole('radio', { name: 'Newest' }).click();
    await box.fill(`${s.word} migration`);
    await hit.waitFor();
    await box.focus();
    await bob.keyboard.press('ArrowDown'); // one result: stays on it
    assert.equal(await hit.getAttribute('aria-selected'), 'true');
    assert.equal(await box.getAttribute('aria-activedescendant'), await hit.getAttribute('id'));
    await bob.keyboard.press('Enter');
    await dialog.waitFor({ state: 'detached' });

    const target = bob.locator(`[data-id="${s.target.id}"]`);
    const log = bob.locator('.messages');
    await bob.locator(`[data-id="${s.target.id}"][data-jumped="true"]`).waitFor();
    assert.ok(await target.isVisible(), 'the message is in view');
    assert.ok(await target.evaluate((el) => {
      const box = el.closest('.messages').getBoundingClientRect();
      const r = el.getBoundingClientRect();
      return r.top >= box.top && r.bottom <= box.bottom;
    }), 'the message is inside the visible part of the history');
    // The history around it is there: the messages just before and after it.
    const ids = await bob.locator('.messages [data-id]').evaluateAll((els) => els.map((e) => e.dataset.id));
    const at = ids.indexOf(s.target.id);
    assert.equal(ids[at - 1], s.before.id, 'the message before it is loaded');
    assert.equal(ids[at + 1], s.root.id, 'the message after it is loaded');
    assert.ok(ids.length < 70 && !ids.includes(s.firstId), `not the whole channel: from a little above it (${ids.length}, ${at}, ${ids.indexOf(s.firstId)})`);
    await screenshot(bob, 'search-jump');
    // Scrolling up pages in the older ones, as in any channel.
    await bob.getByText('earlier message 0', { exact: true }).waitFor({ state: 'detached' });
    await log.evaluate((el) => { el.scrollTop = 0; });
    await bob.getByText('earlier message 0', { exact: true }).waitFor();
    await bob.getByText('This is the start of #Plans.').waitFor();
    // The outline goes after a few seconds.
    await bob.locator(`[data-id="${s.target.id}"][data-jumped="true"]`).waitFor({ state: 'detached', timeout: 8000 });

    // Scrolling down pages in the newer messages up to the newest one.
    await target.scrollIntoViewIfNeeded();
    const newest = (await api(s.relay.url, s.alice, 'GET', `/api/rooms/${s.slug}/messages?channelId=${s.channelId}&limit=1`)).json.messages[0];
    for (let i = 0; i < 20 && (await bob.locator(`[data-id="${newest.id}"]`).count()) === 0; i++) {
      await log.evaluate((el) => { el.scrollTop = el.scrollHeight; });
      await bob.waitForTimeout(200);
    }
    await bob.locator(`[data-id="${newest.id}"]`).waitFor();
    // …and a message sent now arrives live again.
    const live = await post(s.relay, s.alice, s.slug, `live after the jump ${s.word}`, s.channelId);
    await bob.locator(`[data-id="${live.id}"]`).waitFor();

    // A thread reply opens its thread beside the channel, on the reply.
    await bob.keyboard.press('Control+k');
    await dialog.waitFor();
    await box.fill(`${s.word} rollout`);
    await results.locator(`[data-message="${s.reply.id}"]`).click();
    await dialog.waitFor({ state: 'detached' });
    const panel = bob.getByRole('complementary', { name: 'Thread' });
    await panel.waitFor();
    await bob.locator(`[data-id="${s.reply.id}"][data-jumped="true"]`).waitFor();
    await bob.locator(`[data-id="${s.root.id}"]`).first().waitFor();

    // On a phone the button opens it too, and nothing is wider than the screen.
    await panel.getByRole('button', { name: 'Close thread' }).click();
    await bob.setViewportSize({ width: 360, height: 740 });
    assert.ok(await bob.evaluate(() => document.documentElement.scrollWidth <= 360), 'the top bar fits');
    await bob.getByRole('button', { name: 'Search' }).click();
    await dialog.waitFor();
    await box.fill(`${s.word} migration`);
    await hit.waitFor();
    assert.ok(await bob.evaluate(() => document.documentElement.scrollWidth <= 360), 'no sideways scrolling');
    await screenshot(bob, 'search-phone');
  } catch (e) {
    for (const [i, p] of pages.slice(first).entries()) await screenshot(p, `failed-search-${i}`).catch(() => {});
    throw e;
  }
});
