// The browser client end to end: Debian's Chromium (playwright-core) against the real
// relay binary, serving web/dist as tests/browser/harness.mjs says. Each test is a thing
// a user relies on; screenshots of the main screens go to tests/browser/screenshots/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  api, axeViolations, browserSuite, composer, createUser, relayCli, screenshot, startStack, uniq, FAST_SEND_ARGS,
} from './harness.mjs';
import { startProvider } from '../integration/oauth_provider.mjs';

const suite = browserSuite({ args: FAST_SEND_ARGS });
const { open, pages } = suite;

/** A test that, when it fails, leaves a screenshot of each page it opened (failed-N-M.png). */
let failures = 0;
function uiTest(name, fn) {
  test(name, async (t) => {
    const first = pages.length;
    try {
      await fn(t);
    } catch (e) {
      failures += 1;
      for (const [i, p] of pages.slice(first).entries()) {
        await screenshot(p, `failed-${failures}-${i}`).catch(() => {});
      }
      throw e;
    }
  });
}

const log = (page) => page.getByRole('log');
const row = (page, text) => log(page).locator('li.msg', { hasText: text });

/** A token for `login` (created by the dev sign-in or here), for REST checks and setup. */
async function tokenFor(login) {
  const out = await relayCli(suite.stack.relay.dataDir, 'token', 'create', login);
  return out.trim();
}

async function history(token, slug, channelId = '__lobby') {
  const r = await api(suite.stack.relay.url, token, 'GET', `/api/rooms/${slug}/messages?channelId=${channelId}&limit=100`);
  assert.equal(r.status, 200, r.text);
  return r.json.messages;
}

uiTest('signed out, / shows the sign-in page; the dev form signs in by keyboard and lands on the deep link', async () => {
  const login = uniq('kb');
  const page = await suite.blankPage();
  await page.goto(`${suite.stack.base}/r/lobby`);
  const field = page.getByRole('textbox', { name: /Login name/ });
  await field.waitFor();
  await screenshot(page, 'sign-in');
  assert.equal(await page.getByRole('link', { name: 'Sign in with GitHub' }).count(), 0,
    'no GitHub link when OAuth is not configured');
  await page.keyboard.type(login); // the field has focus on load
  await page.keyboard.press('Enter');
  await composer(page).waitFor();
  assert.equal(new URL(page.url()).pathname, '/r/lobby');
  assert.equal(await composer(page).getAttribute('aria-label'), 'Message #general');
});

uiTest('two users chat live both ways', async () => {
  const slug = uniq('room');
  const owner = await createUser(suite.stack.relay.dataDir, uniq('own'));
  const r = await api(suite.stack.relay.url, owner, 'POST', '/api/rooms', { slug, displayName: 'Live room' });
  assert.equal(r.status, 201, r.text);
  const alice = await open(uniq('alice'), `/r/${slug}`);
  const bob = await open(uniq('bob'), `/r/${slug}`);

  await composer(alice).fill('hello from alice');
  await composer(alice).press('Enter');
  await row(bob, 'hello from alice').waitFor();

  await composer(bob).fill('hi alice, bob here');
  await composer(bob).press('Enter');
  await row(alice, 'hi alice, bob here').waitFor();
  await screenshot(alice, 'room-live');

  // Typing shows on the other side.
  await composer(alice).pressSequentially('typ');
  await bob.getByText(/is typing/).waitFor();
  assert.equal(await row(alice, 'hello from alice').count(), 1);
  assert.equal(await row(bob, 'hi alice, bob here').count(), 1);

  // Edits and deletes reach the other side live; only one's own messages offer them.
  assert.equal(await row(alice, 'hi alice, bob here').getByRole('button', { name: 'Edit message' }).count(), 0);
  await row(alice, 'hello from alice').hover();
  await row(alice, 'hello from alice').getByRole('button', { name: 'Edit message' }).click();
  await alice.getByRole('textbox', { name: 'Edit message' }).fill('hello from alice, edited');
  await alice.getByRole('button', { name: 'Save' }).click();
  await row(bob, 'hello from alice, edited').getByText('(edited)').waitFor();
  await row(alice, 'hello from alice, edited').hover();
  await row(alice, 'hello from alice, edited').getByRole('button', { name: 'Delete message' }).click();
  // Deleting asks first, in a dialog of the page (not window.confirm); Cancel is focused.
  const ask = alice.getByRole('alertdialog', { name: 'Delete this message?' });
  await ask.getByRole('button', { name: 'Delete' }).click();
  await row(bob, 'hello from alice').waitFor({ state: 'detached' });
  assert.equal(await row(alice, 'hello from alice').count(), 0);
});

uiTest('a send shows at once as pending and is promoted in place on ack, stored once', async () => {
  const login = uniq('opt');
  const page = await open(login, '/r/lobby');
  // Hold Relay's answers to our send (its `message` echo and the `ack`) until released,
  // to see the pending state; they are then delivered in the order Relay sent them.
  let releaseAcks;
  const held = new Promise((r) => { releaseAcks = r; });
  await page.routeWebSocket(/\/api\/ws\/rooms\//, (ws) => {
    const server = ws.connectToServer();
    let queue = Promise.resolve();
    server.onMessage((data) => {
      const f = JSON.parse(data);
      const ours = f.type === 'ack' || (f.type === 'message' && f.message.author.login === login);
      queue = queue.then(async () => { if (ours) await held; ws.send(data); });
    });
  });
  await page.reload();
  await composer(page).waitFor();

  const text = `optimistic ${uniq('m')}`;
  await composer(page).fill(text);
  await composer(page).press('Enter');
  const item = row(page, text);
  await item.waitFor();
  assert.equal(await item.getAttribute('data-state'), 'sending', 'shown before Relay confirms');
  await item.evaluate((el) => { el.dataset.marker = 'same-element'; });

  releaseAcks();
  await page.locator('li.msg[data-state="sent"]', { hasText: text }).waitFor();
  assert.equal(await item.count(), 1, 'one row, never a duplicate');
  assert.equal(await item.getAttribute('data-marker'), 'same-element', 'the pending row itself was promoted');
  const stored = (await history(await tokenFor(login), 'lobby')).filter((m) => m.content === text);
  assert.equal(stored.length, 1);
  assert.equal(await item.getAttribute('data-id'), stored[0].id);
});

uiTest('a send whose ack is lost shows Retry; the retry reuses its clientMsgId and nothing is doubled', async () => {
  const login = uniq('retry');
  const page = await open(login, '/r/lobby');
  const sends = [];
  let failFirst = true;
  await page.routeWebSocket(/\/api\/ws\/rooms\//, (ws) => {
    const server = ws.connectToServer();
    ws.onMessage((data) => {
      const f = JSON.parse(data);
      if (f.type === 'send') sends.push(f);
      server.send(data);
    });
    server.onMessage((data) => {
      const f = JSON.parse(data);
      // Relay stores the first send, but the client hears only an error for it.
      if (failFirst && f.clientMsgId && sends.length === 1 && (f.type === 'ack' || f.type === 'message')) {
        if (f.type === 'ack') {
          failFirst = false;
          ws.send(JSON.stringify({ type: 'error', clientMsgId: f.clientMsgId, error: 'lost in transit', code: 'UNAVAILABLE' }));
        }
        return;
      }
      ws.send(data);
    });
  });
  await page.reload();
  await composer(page).waitFor();

  const text = `retry me ${uniq('m')}`;
  await composer(page).fill(text);
  await composer(page).press('Enter');
  await row(page, text).getByRole('button', { name: 'Retry' }).click().catch(async (e) => {
    // Seen once in CI, not here: say what the page and the socket did.
    const states = await row(page, text).evaluateAll((els) => els.map((el) => el.getAttribute('data-state')));
    throw new Error(`${e.message}\nsends through the socket: ${JSON.stringify(sends)}; rows: ${JSON.stringify(states)}`);
  });
  await page.locator('li.msg[data-state="sent"]', { hasText: text }).waitFor();
  assert.equal(sends.length, 2);
  assert.equal(sends[1].clientMsgId, sends[0].clientMsgId, 'the retry is the same message to Relay');
  assert.equal(await row(page, text).count(), 1);
  const stored = (await history(await tokenFor(login), 'lobby')).filter((m) => m.content === text);
  assert.equal(stored.length, 1, 'stored once');
});

uiTest('a dropped socket reconnects with ?resume= and shows what was missed exactly once', async () => {
  const slug = uniq('resume');
  const ownerLogin = uniq('own');
  const owner = await createUser(suite.stack.relay.dataDir, ownerLogin);
  assert.equal((await api(suite.stack.relay.url, owner, 'POST', '/api/rooms', { slug, displayName: 'Resume' })).status, 201);
  const page = await open(uniq('reader'), `/r/${slug}`);
  const urls = [];
  const sockets = [];
  await page.routeWebSocket(/\/api\/ws\/rooms\//, (ws) => {
    urls.push(ws.url());
    sockets.push(ws);
    ws.connectToServer();
  });
  await page.reload();
  await composer(page).waitFor();
  const post = (content) => api(suite.stack.relay.url, owner, 'POST', `/api/rooms/${slug}/messages`,
    { content, channelId: null, clientMsgId: uniq('c') });
  await post('before the drop');
  await row(page, 'before the drop').waitFor();

  await sockets.at(-1).close({ code: 1012, reason: 'test: network drop' });
  for (let i = 1; i <= 3; i++) assert.equal((await post(`missed ${i}`)).status, 201);
  for (let i = 1; i <= 3; i++) await row(page, `missed ${i}`).waitFor();
  await post('after the drop');
  await row(page, 'after the drop').waitFor();

  assert.ok(urls.length >= 2, 'it reconnected');
  assert.match(decodeURIComponent(urls.at(-1)), /\?resume=__lobby:\d+/);
  const ids = await log(page).locator('li.msg').evaluateAll((els) => els.map((e) => e.dataset.id));
  assert.equal(new Set(ids).size, ids.length, 'no message twice');
  assert.equal(ids.length, 5);
});

uiTest('reload keeps history and the deep link; scrolling up pages in older messages', async () => {
  const slug = uniq('hist');
  const ownerLogin = uniq('own');
  const owner = await createUser(suite.stack.relay.dataDir, ownerLogin);
  assert.equal((await api(suite.stack.relay.url, owner, 'POST', '/api/rooms', { slug, displayName: 'History' })).status, 201);
  const ch = await api(suite.stack.relay.url, owner, 'POST', `/api/rooms/${slug}/channels`,
    { name: 'plans', slug: 'plans', visibility: 'public' });
  assert.equal(ch.status, 201, ch.text);
  for (let i = 1; i <= 120; i++) {
    const r = await api(suite.stack.relay.url, owner, 'POST', `/api/rooms/${slug}/messages`,
      { content: `history ${String(i).padStart(3, '0')}`, channelId: ch.json.id });
    assert.equal(r.status, 201, r.text);
  }
  const page = await open(ownerLogin, `/r/${slug}/plans`);
  await row(page, 'history 120').waitFor();
  assert.equal(await composer(page).getAttribute('aria-label'), 'Message #plans');
  const first = await log(page).locator('li.msg').count();
  assert.ok(first < 120, `one page, not the whole channel (${first} rows)`);

  await page.reload();
  await row(page, 'history 120').waitFor();
  assert.equal(new URL(page.url()).pathname, `/r/${slug}/plans`);

  // Scroll to the top until the first message is in; each step pages in one more page.
  for (let i = 0; i < 10 && (await row(page, 'history 001').count()) === 0; i++) {
    await log(page).evaluate((el) => { el.scrollTop = 0; });
    await page.waitForTimeout(200);
  }
  await row(page, 'history 001').waitFor();
  await page.getByText(/This is the start of #plans/).waitFor();
  const ids = await log(page).locator('li.msg').evaluateAll((els) => els.map((e) => e.dataset.id));
  assert.equal(ids.length, 120);
  assert.equal(new Set(ids).size, 120);
});

uiTest('HTML in a message, a display name and room branding renders as text; nothing runs', async () => {
  const payload = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>';
  const evilLogin = uniq('evil');
  await relayCli(suite.stack.relay.dataDir, 'user', 'add', evilLogin, '--name', `<b id="xssname">Eve</b>${payload}`);
  const evilToken = await tokenFor(evilLogin);
  const slug = uniq('xss');
  const made = await api(suite.stack.relay.url, evilToken, 'POST', '/api/rooms',
    { slug, displayName: '<i id="xssroom">R</i><img src=x onerror="window.__xss=4">', accentColors: ['red;background:url(/x)'] });
  assert.equal(made.status, 201, made.text);
  const patched = await api(suite.stack.relay.url, evilToken, 'PATCH', `/api/rooms/${slug}`, { description: `desc ${payload}` });
  assert.equal(patched.status, 200, patched.text);

  const evil = await open(evilLogin, `/r/${slug}`);
  const content = `look ${payload} [x](javascript:window.__xss=3) **bold**`;
  await composer(evil).fill(content);
  await composer(evil).press('Enter');
  const reader = await open(uniq('reader'), `/r/${slug}`);
  await log(reader).locator('li.msg[data-state="sent"]', { hasText: 'look' }).waitFor();
  await screenshot(reader, 'xss-as-text');

  for (const page of [evil, reader]) {
    assert.equal(await page.evaluate(() => window.__xss), undefined, 'no script ran');
    assert.equal(await page.locator('#xssname, #xssroom, .messages img, .messages script').count(), 0, 'no element injected');
    const text = await log(page).innerText();
    assert.ok(text.includes(payload), 'the content is shown as typed');
    assert.ok(text.includes('<b id="xssname">Eve</b>'), 'the name is shown as typed');
    assert.equal(await log(page).locator('a[href^="javascript:"]').count(), 0);
    assert.equal(await log(page).locator('strong', { hasText: 'bold' }).count(), 1, 'markdown still renders');
    assert.ok((await page.locator('.topbar').innerText()).includes('<i id="xssroom">R</i><img src=x'));
    assert.ok((await page.locator('.channel-head').innerText()).includes(`desc ${payload}`));
    const accent = await page.locator('.workspace').evaluate((el) => el.style.getPropertyValue('--accent'));
    assert.equal(accent, '', 'a colour that is not one is not handed to CSS');
  }
});

uiTest('keyboard only: Enter sends, Shift+Enter is a newline; the list is a log', async () => {
  const login = uniq('keys');
  const page = await open(login, '/r/lobby');
  const box = composer(page);
  // The composer takes focus on its own: no click is needed to start typing.
  await page.waitForFunction(() => document.activeElement?.getAttribute('aria-label') === 'Message #general',
    null, { timeout: 2000 });
  await page.keyboard.type('first line');
  await page.keyboard.press('Shift+Enter');
  await page.keyboard.type('second line');
  await page.keyboard.press('Enter');
  await page.locator('li.msg[data-state="sent"]', { hasText: 'second line' }).waitFor();
  assert.equal(await box.inputValue(), '', 'the composer is cleared');
  const stored = (await history(await tokenFor(login), 'lobby')).filter((m) => m.author.login === login);
  assert.equal(stored.length, 1);
  assert.equal(stored[0].content, 'first line\nsecond line');
  assert.equal(await page.getByRole('log', { name: 'Messages in #general' }).count(), 1);

  // Edit the own message from the keyboard: back from the composer over Delete to Edit.
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('Shift+Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Edit message');
  await page.keyboard.press('Enter');
  await page.keyboard.press('Control+A');
  await page.keyboard.type('edited by keyboard');
  await page.keyboard.press('Enter');
  await row(page, 'edited by keyboard').getByText('(edited)').waitFor();
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Edit message',
    'the keyboard is back on the Edit button');

  await page.emulateMedia({ colorScheme: 'dark' });
  await screenshot(page, 'lobby-dark');

  // A phone: the sidebar is a drawer behind the Menu button, the composer still there.
  await page.setViewportSize({ width: 360, height: 740 });
  assert.ok(await composer(page).isVisible());
  assert.equal(await page.getByRole('navigation', { name: 'Rooms and channels' }).isVisible(), false);
  await screenshot(page, 'phone');
  await page.getByRole('button', { name: 'Menu' }).click();
  await page.getByRole('navigation', { name: 'Rooms and channels' }).waitFor();
  await screenshot(page, 'phone-menu');
});

uiTest('private channels and DMs show for their members only, live as they are created', async () => {
  const slug = uniq('priv');
  const ownerLogin = uniq('own');
  const memberLogin = uniq('mem');
  const owner = await createUser(suite.stack.relay.dataDir, ownerLogin);
  await createUser(suite.stack.relay.dataDir, memberLogin);
  assert.equal((await api(suite.stack.relay.url, owner, 'POST', '/api/rooms', { slug, displayName: 'Private' })).status, 201);
  const secret = await api(suite.stack.relay.url, owner, 'POST', `/api/rooms/${slug}/channels`,
    { name: 'secret plans', slug: 'secret', visibility: 'private', inviteLogins: [memberLogin] });
  assert.equal(secret.status, 201, secret.text);
  assert.equal((await api(suite.stack.relay.url, owner, 'POST', `/api/rooms/${slug}/dms`, { logins: [memberLogin] })).status, 201);

  const member = await open(memberLogin, `/r/${slug}`);
  const outsider = await open(uniq('out'), `/r/${slug}`);
  const nav = (page) => page.getByRole('navigation', { name: 'Rooms and channels' });
  await nav(member).getByRole('link', { name: /secret plans/ }).waitFor();
  await nav(member).getByRole('link', { name: ownerLogin }).waitFor(); // the DM, by the other's name
  assert.equal(await nav(outsider).getByRole('link', { name: /secret plans/ }).count(), 0);
  assert.equal(await nav(outsider).getByRole('link', { name: ownerLogin }).count(), 0);

  const later = await api(suite.stack.relay.url, owner, 'POST', `/api/rooms/${slug}/channels`,
    { name: 'later', slug: 'later', visibility: 'private', inviteLogins: [memberLogin] });
  assert.equal(later.status, 201, later.text);
  await nav(member).getByRole('link', { name: /later/ }).waitFor();
  // A message in a channel the member is not looking at counts as unread there.
  assert.equal((await api(suite.stack.relay.url, owner, 'POST', `/api/rooms/${slug}/messages`,
    { content: 'psst', channelId: secret.json.id })).status, 201);
  await nav(member).getByRole('link', { name: /secret plans/ }).getByLabel('1 unread').waitFor();
  await screenshot(member, 'sidebar-private-and-dm');

  await nav(member).getByRole('link', { name: /secret plans/ }).click();
  await composer(member).waitFor();
  assert.equal(await composer(member).getAttribute('aria-label'), 'Message #secret plans');
  assert.equal(new URL(member.url()).pathname, `/r/${slug}/secret`);
  await row(member, 'psst').waitFor();
  assert.equal(await nav(member).getByLabel('1 unread').count(), 0, 'read once opened');

  await outsider.goto(`${suite.stack.base}/r/${slug}/secret`);
  await outsider.getByRole('alert').getByText('No such channel').waitFor();
  assert.equal(await nav(outsider).getByRole('link', { name: /later/ }).count(), 0, 'not even live');
});

uiTest('signing out ends the session and shows the sign-in page, also after a reload', async () => {
  const page = await open(uniq('bye'), '/r/lobby');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('textbox', { name: /Login name/ }).waitFor();
  await page.reload();
  await page.getByRole('textbox', { name: /Login name/ }).waitFor();
  assert.equal(await page.evaluate(async () => (await fetch('/api/me')).status), 401);
});

uiTest('a members-only room offers a request for access instead of an error; once approved it opens', async () => {
  const slug = uniq('gated');
  const owner = await createUser(suite.stack.relay.dataDir, uniq('own'));
  assert.equal((await api(suite.stack.relay.url, owner, 'POST', '/api/rooms', { slug, displayName: 'Gated' })).status, 201);
  const login = uniq('asker');
  const page = await open(login, `/r/${slug}`);
  // Gating the room closes the asker's socket (1008): the page finds out why and says so.
  assert.equal((await api(suite.stack.relay.url, owner, 'PUT', `/api/rooms/${slug}/whitelist-mode`, { enabled: true })).status, 200);
  await page.getByRole('heading', { name: 'This room is members only' }).waitFor();
  await page.reload();
  await page.getByRole('heading', { name: 'This room is members only' }).waitFor();
  await page.getByRole('textbox', { name: /note for the owner/ }).fill('I build the backend');
  await page.getByRole('button', { name: 'Request access' }).click();
  await page.getByRole('status').getByText('Request sent.').waitFor();
  await screenshot(page, 'request-access');

  const pending = await api(suite.stack.relay.url, owner, 'GET', `/api/rooms/${slug}/access-requests`);
  const mine = pending.json.requests.find((r) => r.user.login === login);
  assert.ok(mine, 'the owner sees the request');
  assert.equal(mine.note, 'I build the backend');
  assert.equal((await api(suite.stack.relay.url, owner, 'POST', `/api/rooms/${slug}/access-requests/${mine.id}/approve`)).status, 200);
  await page.reload();
  await composer(page).waitFor();
});

uiTest('sends around a Relay restart are shown pending, re-sent on reconnect and stored exactly once', async () => {
  const login = uniq('restart');
  const page = await open(login, '/r/lobby');
  // One send goes out as Relay stops (it may or may not be acked first), one while it is down.
  await composer(page).fill('sent as it stops');
  await composer(page).press('Enter');
  await suite.stack.stopRelay();
  await page.getByRole('status').getByText('Reconnecting…').waitFor();
  await composer(page).fill('sent while it is down');
  await composer(page).press('Enter');
  assert.equal(await row(page, 'sent while it is down').getAttribute('data-state'), 'sending');
  await screenshot(page, 'reconnecting');

  await suite.stack.restartRelay();
  for (const text of ['sent as it stops', 'sent while it is down']) {
    await page.locator('li.msg[data-state="sent"]', { hasText: text }).waitFor({ timeout: 20000 });
    assert.equal(await row(page, text).count(), 1, `${text}: one row`);
  }
  const stored = (await history(await tokenFor(login), 'lobby')).filter((m) => m.author.login === login);
  assert.deepEqual(stored.map((m) => m.content).sort(), ['sent as it stops', 'sent while it is down']);
});

uiTest('axe-core finds no serious or critical violation on the main screens, light and dark', async () => {
  const signin = await suite.blankPage();
  await signin.goto(`${suite.stack.base}/`);
  await signin.getByRole('textbox', { name: /Login name/ }).waitFor();
  const found = { 'sign-in': await axeViolations(signin) };

  const slug = uniq('axe');
  const ownerLogin = uniq('own');
  const owner = await createUser(suite.stack.relay.dataDir, ownerLogin);
  assert.equal((await api(suite.stack.relay.url, owner, 'POST', '/api/rooms', { slug, displayName: 'Axe' })).status, 201);
  const ch = await api(suite.stack.relay.url, owner, 'POST', `/api/rooms/${slug}/channels`, { name: 'team', slug: 'team', visibility: 'private' });
  assert.equal(ch.status, 201, ch.text);
  for (const content of ['plain words', '**bold** and `code` and https://example.com', '```\ncode block\n```']) {
    await api(suite.stack.relay.url, owner, 'POST', `/api/rooms/${slug}/messages`, { content, channelId: null });
  }
  await api(suite.stack.relay.url, owner, 'POST', `/api/rooms/${slug}/messages`, { content: 'unread', channelId: ch.json.id });
  const page = await open(ownerLogin, `/r/${slug}`);
  await row(page, 'plain words').waitFor();
  await composer(page).fill('a draft');
  found.room = await axeViolations(page);
  await page.emulateMedia({ colorScheme: 'dark' });
  found['room, dark'] = await axeViolations(page);
  await page.setViewportSize({ width: 360, height: 740 });
  await page.getByRole('button', { name: 'Menu' }).click();
  found['phone menu, dark'] = await axeViolations(page);

  const gated = uniq('gate');
  assert.equal((await api(suite.stack.relay.url, owner, 'POST', '/api/rooms', { slug: gated, displayName: 'G' })).status, 201);
  assert.equal((await api(suite.stack.relay.url, owner, 'PUT', `/api/rooms/${gated}/whitelist-mode`, { enabled: true })).status, 200);
  const outsider = await open(uniq('out'), '/r/lobby');
  await outsider.goto(`${suite.stack.base}/r/${gated}`);
  await outsider.getByRole('button', { name: 'Request access' }).waitFor();
  found['request access'] = await axeViolations(outsider);

  assert.deepEqual(found, { 'sign-in': [], room: [], 'room, dark': [], 'phone menu, dark': [], 'request access': [] });
});

uiTest("an agent's answer streams in word by word, then stays as the bot's message", async () => {
  const agentId = uniq('echo');
  const agentToken = (await relayCli(suite.stack.relay.dataDir, 'agent', 'add', agentId, '--name', 'Echo')).trim();
  const agent = spawn(process.execPath, [fileURLToPath(new URL('../../examples/echo-agent.mjs', import.meta.url))], {
    env: { ...process.env, RELAY_URL: suite.stack.relay.wsUrl, RELAY_AGENT_TOKEN: agentToken, ECHO_TOKEN_DELAY_MS: '120' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  try {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the echo agent did not connect')), 10000);
      agent.stderr.on('data', (d) => { if (/connected to/.test(String(d))) { clearTimeout(timer); resolve(); } });
    });
    const slug = uniq('ai');
    const ownerLogin = uniq('own');
    const owner = await createUser(suite.stack.relay.dataDir, ownerLogin);
    assert.equal((await api(suite.stack.relay.url, owner, 'POST', '/api/rooms', { slug, displayName: 'AI' })).status, 201);
    const bot = await api(suite.stack.relay.url, owner, 'POST', `/api/rooms/${slug}/bots`, { login: uniq('helper'), name: 'Helper', agentId });
    assert.equal(bot.status, 201, bot.text);

    const page = await open(ownerLogin, `/r/${slug}`);
    await composer(page).fill(`@${bot.json.login} please echo these several words back`);
    await composer(page).press('Enter');
    const streaming = log(page).locator('li.streaming');
    await streaming.waitFor();
    const seen = new Set();
    while ((await streaming.count()) > 0 && seen.size < 3) {
      seen.add(await streaming.innerText().catch(() => ''));
      await page.waitForTimeout(60);
    }
    assert.ok(seen.size >= 3, `the answer grew in steps (${seen.size} distinct states seen)`);
    await screenshot(page, 'agent-streaming');
    await log(page).locator('li.msg.bot[data-id]', { hasText: 'several' }).waitFor({ timeout: 20000 });
    await streaming.waitFor({ state: 'detached' });
  } finally {
    agent.kill('SIGTERM');
  }
});

uiTest('with OAuth configured, Sign in with GitHub completes the web flow onto the deep link, with the profile\'s avatar', async () => {
  const user = { id: 777, login: uniq('gh'), name: 'Octo <b>Cat</b>', avatar_url: '', email: null };
  const provider = await startProvider({ clientId: 'cid-web', clientSecret: 'secret-web', user });
  const oauth = await startStack({
    args: ['--oauth-client-id', 'cid-web', '--oauth-client-secret', 'secret-web',
      '--oauth-authorize-url', provider.authorizeUrl, '--oauth-token-url', provider.tokenUrl,
      '--oauth-user-url', provider.userUrl],
  });
  // The profile's avatar: an image of Relay's own origin here, since the test reaches no
  // GitHub (an avatars.githubusercontent.com one is allowed by the default avatar_hosts).
  user.avatar_url = `${oauth.base}/relay.png`;
  try {
    const page = await suite.blankPage();
    await page.goto(`${oauth.base}/r/lobby`);
    await page.getByRole('link', { name: 'Sign in with GitHub' }).click();
    await composer(page).waitFor();
    assert.equal(new URL(page.url()).pathname, '/r/lobby', 'back where the user was going');
    assert.equal(await page.locator('.topbar .me').innerText(), 'Octo <b>Cat</b>');
    assert.ok(provider.requests.some((r) => r.path.startsWith('/user')), 'Relay fetched the profile');
    await composer(page).fill('hello with a face');
    await composer(page).press('Enter');
    const img = log(page).locator('li.msg[data-state="sent"]', { hasText: 'hello with a face' }).locator('img.avatar');
    await img.waitFor();
    assert.equal(await img.getAttribute('src'), user.avatar_url);
    await page.waitForFunction((el) => el.complete && el.naturalWidth > 0, await img.elementHandle());
  } finally {
    await oauth.stop();
    await provider.close();
  }
});

uiTest('a user creates a room from the sidebar and, as its owner, a private channel in it', async () => {
  const page = await open(uniq('maker'), '/r/lobby');
  assert.equal(await page.getByRole('button', { name: '+ New channel' }).count(), 0, 'nobody owns the lobby');
  const name = `Design ${uniq('t')}`;
  await page.getByRole('button', { name: '+ New room' }).click();
  await page.keyboard.type(name); // the field has focus
  await page.keyboard.press('Enter');
  await page.locator('.topbar .brand', { hasText: name }).waitFor();
  const slug = name.toLowerCase().replace(/[^a-z0-9_-]+/g, '-');
  assert.equal(new URL(page.url()).pathname, `/r/${slug}`);

  await page.getByRole('button', { name: '+ New channel' }).click();
  await page.keyboard.type('Road map');
  await page.getByRole('checkbox', { name: 'Private' }).check();
  await page.getByRole('button', { name: 'Create' }).click();
  await page.waitForURL(`**/r/${slug}/road-map`);
  assert.equal(await composer(page).getAttribute('aria-label'), 'Message #Road map');
  await composer(page).fill('first in the road map');
  await composer(page).press('Enter');
  await page.locator('li.msg[data-state="sent"]', { hasText: 'first in the road map' }).waitFor();

  const other = await open(uniq('other'), `/r/${slug}`);
  await other.getByRole('link', { name: 'general' }).waitFor();
  assert.equal(await other.getByRole('link', { name: /Road map/ }).count(), 0, 'private: not for the others');
});

uiTest('a DM starts from the member list and shows up live, with its unread count, for the other person', async () => {
  const slug = uniq('dm');
  const ownerLogin = uniq('own');
  const bobLogin = uniq('bob');
  const owner = await createUser(suite.stack.relay.dataDir, ownerLogin);
  assert.equal((await api(suite.stack.relay.url, owner, 'POST', '/api/rooms', { slug, displayName: 'DMs' })).status, 201);
  const ownerPage = await open(ownerLogin, `/r/${slug}`);
  const bob = await open(bobLogin, `/r/${slug}`);

  await bob.getByText('People').click();
  await bob.getByRole('button', { name: `Message ${ownerLogin}` }).click();
  await bob.waitForURL(new RegExp(`/r/${slug}/dm-`));
  assert.equal(await composer(bob).getAttribute('aria-label'), `Message @${ownerLogin}`);
  await composer(bob).fill('hello in private');
  await composer(bob).press('Enter');
  await bob.locator('li.msg[data-state="sent"]', { hasText: 'hello in private' }).waitFor();

  const dmLink = ownerPage.getByRole('navigation', { name: 'Rooms and channels' }).getByRole('link', { name: new RegExp(bobLogin) });
  await dmLink.getByLabel('1 unread').waitFor();
  await dmLink.click();
  await row(ownerPage, 'hello in private').waitFor();
});

uiTest('online dots: the member list and the DM show who is online, and go hollow when they leave', async () => {
  const slug = uniq('here');
  const ownerLogin = uniq('own');
  const bobLogin = uniq('bob');
  const owner = await createUser(suite.stack.relay.dataDir, ownerLogin);
  await createUser(suite.stack.relay.dataDir, bobLogin);
  assert.equal((await api(suite.stack.relay.url, owner, 'POST', '/api/rooms', { slug, displayName: 'Here' })).status, 201);
  assert.equal((await api(suite.stack.relay.url, owner, 'POST', `/api/rooms/${slug}/dms`, { logins: [bobLogin] })).status, 201);
  const ownerPage = await open(ownerLogin, `/r/${slug}`);
  const bob = await open(bobLogin, `/r/${slug}`);
  await composer(bob).waitFor();

  await ownerPage.getByText('People').click();
  const member = ownerPage.locator('.people li', { has: ownerPage.getByRole('button', { name: `Message ${bobLogin}` }) });
  await member.getByRole('img', { name: 'online' }).waitFor();
  const dmLink = ownerPage.getByRole('navigation', { name: 'Rooms and channels' }).getByRole('link', { name: new RegExp(bobLogin) });
  await dmLink.getByRole('img', { name: 'online' }).waitFor();
  await screenshot(ownerPage, 'presence');

  await bob.context().close();
  await member.getByRole('img', { name: 'offline' }).waitFor();
  await dmLink.getByRole('img', { name: 'offline' }).waitFor();
});

uiTest('reactions: the picker puts one on, the other side sees it live with who reacted, a click takes ours off', async () => {
  const slug = uniq('react');
  const aliceLogin = uniq('alice');
  const bobLogin = uniq('bob');
  const owner = await createUser(suite.stack.relay.dataDir, uniq('own'));
  assert.equal((await api(suite.stack.relay.url, owner, 'POST', '/api/rooms', { slug, displayName: 'Reactions' })).status, 201);
  const alice = await open(aliceLogin, `/r/${slug}`);
  const bob = await open(bobLogin, `/r/${slug}`);
  await composer(alice).fill('react to this');
  await composer(alice).press('Enter');
  await row(bob, 'react to this').waitFor();

  await row(bob, 'react to this').hover();
  await row(bob, 'react to this').getByRole('button', { name: 'Add reaction' }).click();
  await row(bob, 'react to this').getByRole('button', { name: 'React with 🎉' }).click();
  const onBob = row(bob, 'react to this').locator('button.reaction', { hasText: '🎉' });
  await onBob.and(bob.locator('[aria-pressed="true"]')).waitFor();
  // Alice's page: live, not pressed (not hers), who reacted in the title.
  const onAlice = row(alice, 'react to this').locator('button.reaction', { hasText: '🎉' });
  await onAlice.waitFor();
  assert.equal(await onAlice.getAttribute('aria-pressed'), 'false');
  assert.equal(await onAlice.getAttribute('title'), bobLogin);
  assert.match(await onAlice.innerText(), /🎉\s*1/);

  // Alice adds hers by clicking it: 2, pressed for her; then Bob takes his off.
  await onAlice.click();
  await row(bob, 'react to this').locator('button.reaction', { hasText: '2' }).waitFor();
  assert.equal(await onAlice.getAttribute('aria-pressed'), 'true');
  await onBob.click();
  await row(alice, 'react to this').locator('button.reaction[title="' + aliceLogin + '"]', { hasText: '1' }).waitFor();
  await screenshot(alice, 'reactions');
  // Stored: a reload shows the same.
  await alice.reload();
  const again = row(alice, 'react to this').locator('button.reaction', { hasText: '🎉' });
  await again.waitFor();
  assert.equal(await again.getAttribute('title'), aliceLogin);
});
