// The owner's and the account screens end to end: room settings (branding seen live by a
// member, whitelist mode, an access request approved from the dialog), API tokens
// (shown once, revoked for real), `@` completion by keyboard, and axe on these screens.
// The requester's side of access requests is in chat.test.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, axeViolations, browserSuite, composer, createUser, screenshot, uniq } from './harness.mjs';

const suite = browserSuite();
const { open } = suite;

test('the owner brands the room live for members, gates it and approves a request from the settings dialog', async () => {
  const ownerLogin = uniq('own');
  const owner = await createUser(suite.stack.relay.dataDir, ownerLogin);
  const slug = uniq('team');
  assert.equal((await api(suite.stack.relay.url, owner, 'POST', '/api/rooms', { slug, displayName: 'Team' })).status, 201);
  const memberLogin = uniq('mem');
  const member = await open(memberLogin, `/r/${slug}`);
  const page = await open(ownerLogin, `/r/${slug}`);

  await page.getByRole('button', { name: 'Room settings' }).click();
  const dialog = page.getByRole('dialog', { name: /^Settings of / });
  await dialog.getByLabel('Display name').fill('Rebranded <b>team</b>');
  await dialog.getByLabel('Description').fill('Where we ship');
  await dialog.getByRole('button', { name: 'Save branding' }).click();
  await dialog.getByRole('status').getByText('Saved.').waitFor();
  // The member's view follows the `branding` frame without a reload, as text.
  await member.locator('.topbar .brand', { hasText: 'Rebranded <b>team</b>' }).waitFor();
  await member.locator('.channel-head .description', { hasText: 'Where we ship' }).waitFor();
  assert.deepEqual(await axeViolations(page), [], 'room settings');
  await screenshot(page, 'room-settings');

  // Members only: the member is shut out and asks to come back.
  await dialog.getByRole('checkbox', { name: /Members only/ }).check();
  await member.getByRole('heading', { name: 'This room is members only' }).waitFor();
  const room = await api(suite.stack.relay.url, owner, 'GET', `/api/rooms/${slug}`);
  assert.equal(room.json.settings.whitelistOnly, true);
  await member.getByRole('button', { name: 'Request access' }).click();
  await member.getByRole('status').getByText('Request sent.').waitFor();

  // Escape closes the dialog; opened again it lists the new request.
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
  await page.getByRole('button', { name: 'Room settings' }).click();
  await dialog.getByRole('button', { name: `Approve ${memberLogin}` }).click();
  await dialog.getByRole('list', { name: 'Whitelist' }).getByText(memberLogin).waitFor();
  await member.reload();
  await composer(member).waitFor();

  // A new address: the owner's page and the member's follow it (the old one opens nothing).
  const renamed = uniq('moved');
  await dialog.getByLabel('Address (slug)').fill(renamed);
  await dialog.getByRole('button', { name: 'Save branding' }).click();
  await page.waitForURL(`**/r/${renamed}`);
  await member.waitForURL(`**/r/${renamed}`);
  await composer(member).fill('still here');
  await member.keyboard.press('Enter');
  await page.getByRole('log').locator('li.msg', { hasText: 'still here' }).waitFor();
});

test('an API token is shown once with a copy button, listed, and revoked for real', async () => {
  const page = await open(uniq('tok'), '/r/lobby');
  await page.getByRole('button', { name: /^Account/ }).click();
  const dialog = page.getByRole('dialog', { name: 'Account' });
  await dialog.getByLabel('Token name').fill('ci');
  await dialog.getByRole('button', { name: 'Create token' }).click();
  const secret = await dialog.getByLabel(/New token/).inputValue();
  assert.match(secret, /^rlt_/);
  await dialog.getByRole('button', { name: 'Copy' }).waitFor();
  assert.equal((await api(suite.stack.relay.url, secret, 'GET', '/api/me')).status, 200);
  assert.deepEqual(await axeViolations(page), [], 'account');

  // Closed and opened again: listed by name, the secret is nowhere on the page.
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
  await page.getByRole('button', { name: /^Account/ }).click();
  await dialog.getByRole('button', { name: 'Revoke ci' }).waitFor();
  assert.equal((await page.content()).includes(secret), false, 'the token is shown only once');
  await dialog.getByRole('button', { name: 'Revoke ci' }).click();
  await dialog.getByRole('button', { name: 'Revoke ci' }).waitFor({ state: 'detached' });
  assert.equal((await api(suite.stack.relay.url, secret, 'GET', '/api/me')).status, 401);
});

test('@ completes a member\'s login by keyboard; a delete is confirmed in a dialog that Escape closes', async () => {
  // Members are, among others, those who spoke: two candidates speak in the lobby.
  const other = uniq('zed');
  for (const login of [other, other + 'x']) {
    const token = await createUser(suite.stack.relay.dataDir, login);
    const sent = await api(suite.stack.relay.url, token, 'POST', '/api/rooms/lobby/messages', { content: `hi from ${login}`, channelId: null });
    assert.equal(sent.status, 201);
  }
  const page = await open(uniq('at'), '/r/lobby');
  await composer(page).pressSequentially(`ping @${other.slice(0, 5)}`);
  const list = page.getByRole('listbox', { name: 'Members' });
  await list.getByRole('option').nth(1).waitFor();
  assert.deepEqual(await list.locator('strong').allTextContents(), [`@${other}`, `@${other}x`]);
  await page.keyboard.press('ArrowDown');
  assert.equal(await list.getByRole('option', { selected: true }).locator('strong').textContent(), `@${other}x`);
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('Tab');
  await list.waitFor({ state: 'detached' });
  assert.equal(await composer(page).inputValue(), `ping @${other} `);
  // Escape closes the list without picking; Enter then sends what was typed.
  await composer(page).pressSequentially('and @zed');
  await list.waitFor();
  await page.keyboard.press('Escape');
  await list.waitFor({ state: 'detached' });
  await page.keyboard.press('Enter');
  const sent = page.getByRole('log').locator('li.msg', { hasText: `ping @${other} and @zed` });
  await sent.waitFor();

  // Delete asks in an alertdialog; Escape answers "no": the message stays, the keyboard
  // is back on Delete.
  await sent.hover();
  await sent.getByRole('button', { name: 'Delete message' }).click();
  const ask = page.getByRole('alertdialog', { name: 'Delete this message?' });
  await ask.waitFor();
  assert.deepEqual(await axeViolations(page), [], 'delete confirmation');
  await page.keyboard.press('Escape');
  await ask.waitFor({ state: 'detached' });
  assert.equal(await sent.count(), 1);
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Delete message');
  // Asked again, and answered yes this time.
  await page.keyboard.press('Enter');
  await ask.getByRole('button', { name: 'Delete' }).click();
  await sent.waitFor({ state: 'detached' });
});
