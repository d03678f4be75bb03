// The notifications view in the browser (docs/api.md, "Notifications"; docs/web.md): the
// bell's unread badge appears live when someone @mentions the user in another room, the
// view lists the mention, and clicking it opens that room and channel at the message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, browserSuite, createUser, relayCli, screenshot, uniq, FAST_SEND_ARGS } from './harness.mjs';

const suite = browserSuite({ args: FAST_SEND_ARGS });
const { open, pages } = suite;

test('a mention lights the bell live; the view lists it and clicking it jumps to the message', async () => {
  const first = pages.length;
  try {
    const relay = suite.stack.relay;
    const alice = await createUser(relay.dataDir, uniq('al'));
    const slug = uniq('room').toLowerCase();
    const made = await api(relay.url, alice, 'POST', '/api/rooms', { slug, displayName: 'Mention room' });
    assert.equal(made.status, 201, made.text);
    const ch = await api(relay.url, alice, 'POST', `/api/rooms/${slug}/channels`,
      { name: 'Plans', slug: 'plans', visibility: 'public' });
    assert.equal(ch.status, 201, ch.text);

    // Bob sits in the lobby; the mention happens in another room.
    const bobLogin = uniq('bo');
    const bob = await open(bobLogin, '/r/lobby');
    const bell = bob.getByRole('button', { name: /^Notifications/ });
    await bell.waitFor();
    assert.equal(await bell.getAttribute('aria-label'), 'Notifications');

    for (let i = 0; i < 30; i++) {
      await api(relay.url, alice, 'POST', `/api/rooms/${slug}/messages`, { content: `filler ${i}`, channelId: ch.json.id });
    }
    const posted = await api(relay.url, alice, 'POST', `/api/rooms/${slug}/messages`,
      { content: `@${bobLogin} can you look at the plan?`, channelId: ch.json.id });
    assert.equal(posted.status, 201, posted.text);
    await bob.getByRole('button', { name: 'Notifications, 1 unread' }).waitFor();
    assert.equal(await bob.getByTestId('notification-badge').textContent(), '1');

    await bell.click();
    const dialog = bob.getByRole('dialog', { name: 'Notifications' });
    await dialog.waitFor();
    const item = dialog.locator('li.notification', { hasText: 'can you look at the plan?' });
    await item.waitFor();
    assert.match(await item.textContent(), new RegExp(`mentioned you in ${slug}`));
    await screenshot(bob, 'notifications');

    await item.getByRole('button', { name: /mentioned you/ }).click();
    await bob.waitForURL(`**/r/${slug}/plans`);
    const target = bob.locator(`[data-id="${posted.json.id}"]`);
    await target.waitFor();
    await bob.locator(`[data-id="${posted.json.id}"][data-jumped="true"]`).waitFor();
    assert.ok(await target.isVisible(), 'the mentioned message is scrolled into view');
    // Opening it read it: the badge is gone, and the server agrees.
    await bob.getByRole('button', { name: 'Notifications' , exact: true }).waitFor();
    const token = (await relayCli(relay.dataDir, 'token', 'create', bobLogin)).trim();
    const unread = await api(relay.url, token, 'GET', '/api/notifications?state=unread');
    assert.deepEqual(unread.json.notifications, []);

    // Archive and save from the view; the tabs follow.
    await bell.click();
    await dialog.getByRole('tab', { name: 'All' }).click();
    const again = dialog.locator('li.notification', { hasText: 'can you look at the plan?' });
    await again.getByRole('button', { name: 'Save' }).click();
    await again.getByRole('button', { name: 'Unsave' }).waitFor();
    await again.getByRole('button', { name: 'Archive' }).click();
    await again.waitFor({ state: 'detached' });
    await dialog.getByRole('tab', { name: 'Archived' }).click();
    await dialog.locator('li.notification', { hasText: 'can you look at the plan?' }).waitFor();
    await dialog.getByRole('tab', { name: 'Saved' }).click();
    await dialog.locator('li.notification', { hasText: 'can you look at the plan?' }).waitFor();
    const listed = await api(relay.url, token, 'GET', '/api/notifications?saved=true');
    assert.equal(listed.json.notifications[0].state, 'archived');
    assert.equal(listed.json.notifications[0].saved, true);
  } catch (e) {
    for (const [i, p] of pages.slice(first).entries()) await screenshot(p, `failed-notifications-${i}`).catch(() => {});
    throw e;
  }
});
