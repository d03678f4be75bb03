// Incoming webhooks in the browser client: the owner creates one for a channel in the
// room settings, sees its URL once (with a copy button), the test posts to that URL as an
// outside system would, and the message shows in the channel under the hook's name with
// the bot tag; revoking it from the list makes the URL answer 404.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, axeViolations, browserSuite, createUser, screenshot, uniq } from './harness.mjs';

const suite = browserSuite();
const { open } = suite;

test('the owner creates a webhook, posts to its URL and sees the message; revoking it stops the URL', async () => {
  const ownerLogin = uniq('own');
  const owner = await createUser(suite.stack.relay.dataDir, ownerLogin);
  const slug = uniq('hooks');
  const base = suite.stack.relay.url;
  assert.equal((await api(base, owner, 'POST', '/api/rooms', { slug, displayName: 'Hooks' })).status, 201);
  const ch = await api(base, owner, 'POST', `/api/rooms/${slug}/channels`, { name: 'alerts', slug: 'alerts', visibility: 'public' });
  assert.equal(ch.status, 201, ch.text);
  const page = await open(ownerLogin, `/r/${slug}/alerts`);

  await page.getByRole('button', { name: 'Room settings' }).click();
  const dialog = page.getByRole('dialog', { name: /^Settings of / });
  const section = dialog.getByRole('region', { name: 'Incoming webhooks' });
  await section.getByText('No incoming webhooks.').waitFor();
  await section.getByLabel('Channel').selectOption({ label: '#alerts' });
  await section.getByLabel(/^Name/).fill('Uptime');
  await section.getByRole('button', { name: 'Create webhook' }).click();
  const urlField = section.getByLabel('URL of “Uptime”');
  await urlField.waitFor();
  const url = await urlField.inputValue();
  assert.match(url, /\/hooks\/[A-Za-z0-9_-]{32,}$/);
  await section.getByRole('button', { name: 'Copy' }).waitFor();
  await section.getByRole('list', { name: 'Incoming webhooks' }).getByText('Uptime').waitFor();
  assert.deepEqual(await axeViolations(page), [], 'incoming webhooks settings');
  await screenshot(page, 'incoming-webhooks');

  // An outside system posts in Slack's format.
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ text: 'Site is **down**', username: 'Uptime robot' }),
  });
  assert.equal(res.status, 200, await res.text());

  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
  const row = page.getByRole('log').locator('li.msg', { hasText: 'Site is down' });
  await row.waitFor();
  await row.locator('.author', { hasText: 'Uptime robot' }).waitFor();
  await row.locator('.tag', { hasText: 'bot' }).waitFor();
  await row.locator('strong', { hasText: 'down' }).waitFor();

  // Revoked from the list: the URL is dead, and the list is empty again.
  await page.getByRole('button', { name: 'Room settings' }).click();
  await section.getByRole('button', { name: 'Revoke Uptime' }).click();
  await section.getByText('No incoming webhooks.').waitFor();
  const after = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"text":"x"}' });
  assert.equal(after.status, 404);
});
