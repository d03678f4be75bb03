// The owner's and the account screens end to end: room settings (branding seen live by a
// member, the room's avatar as an image and a hostile one as initials, whitelist mode, an
// access request approved from the dialog), API tokens
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

test('a room avatar from the settings shows as an image to members live; a hostile one shows initials and runs nothing', async () => {
  const ownerLogin = uniq('own');
  const owner = await createUser(suite.stack.relay.dataDir, ownerLogin);
  const slug = uniq('face');
  assert.equal((await api(suite.stack.relay.url, owner, 'POST', '/api/rooms', { slug, displayName: 'Faces' })).status, 201);
  const member = await open(uniq('mem'), `/r/${slug}`);
  const page = await open(ownerLogin, `/r/${slug}`);
  const dialogs = [];
  for (const p of [member, page]) p.on('dialog', (d) => { dialogs.push(d.message()); void d.dismiss(); });
  const face = member.locator('.topbar .avatar');
  const initials = async () => {
    await member.locator('.topbar span.avatar').waitFor();
    assert.equal(await face.innerText(), 'F');
  };
  await initials();

  // The field checks Relay's rule as the owner types: nothing is sent.
  await page.getByRole('button', { name: 'Room settings' }).click();
  const dialog = page.getByRole('dialog', { name: /^Settings of / });
  await dialog.getByLabel('Avatar').fill('//evil.example/a.png');
  await dialog.getByRole('button', { name: 'Save branding' }).click();
  await dialog.getByText('A path on this server (starting with one /) or an http:// or https:// URL.').waitFor();
  assert.equal(await dialog.getByRole('status').count(), 0, 'not saved');

  // A same-origin path (Relay's own /relay.png, from web/public): the member's page shows
  // it as a loaded image on the `branding` frame, without a reload; so does the sidebar.
  await dialog.getByLabel('Avatar').fill('/relay.png');
  await dialog.getByRole('button', { name: 'Save branding' }).click();
  await dialog.getByRole('status').getByText('Saved.').waitFor();
  const loaded = (selector) => member.waitForFunction((sel) => {
    const img = document.querySelector(sel);
    return img instanceof HTMLImageElement && img.complete && img.naturalWidth > 0;
  }, selector);
  await loaded('.topbar img.avatar');
  assert.equal(await member.locator('.topbar img.avatar').getAttribute('src'), `${suite.stack.base}/relay.png`);
  await loaded(`.sidebar a[href="/r/${slug}"] img.avatar`);
  await screenshot(member, 'room-avatar');

  // Relay refuses what is not an http(s) URL or a path of its own; the room keeps its avatar.
  const patch = (avatarUrl) => api(suite.stack.relay.url, owner, 'PATCH', `/api/rooms/${slug}`, { avatarUrl });
  for (const bad of ['javascript:alert(1)', 'data:text/html,<script>alert(1)</script>', '//evil.example/a.png',
    '/\\evil.example/a.png', '/a.png" onerror="alert(1)']) {
    const r = await patch(bad);
    assert.equal(r.status, 400, `${bad}: ${r.text}`);
  }
  assert.equal((await api(suite.stack.relay.url, owner, 'GET', `/api/rooms/${slug}`)).json.avatarUrl, '/relay.png');

  // An http(s) URL on a host the CSP does not allow, with markup in it: initials, no
  // request (a CSP refusal would fail the suite), nothing injected or run.
  const hostile = 'https://evil.example/a.png?"><img/id=xssface/src=x/onerror=window.__xss=1>';
  assert.equal((await patch(hostile)).status, 200);
  await initials();
  // A path of this server that is no image (Relay answers index.html): initials once it fails.
  assert.equal((await patch('/relay.png')).status, 200);
  await loaded('.topbar img.avatar');
  assert.equal((await patch('/no-such-face.png')).status, 200);
  await initials();
  for (const p of [member, page]) {
    assert.equal(await p.evaluate(() => window.__xss), undefined, 'no script ran');
    assert.equal(await p.locator('#xssface').count(), 0, 'no element injected');
  }
  assert.deepEqual(dialogs, [], 'no dialog opened');
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
  // Asked again, and answered yes this time: Enter on that button (pressed through its
  // locator, so a re-render under CI's load cannot leave the keypress on <body>).
  await sent.getByRole('button', { name: 'Delete message' }).press('Enter');
  await ask.getByRole('button', { name: 'Delete' }).click();
  await sent.waitFor({ state: 'detached' });
});
