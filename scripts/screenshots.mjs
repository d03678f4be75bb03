#!/usr/bin/env node
// The README's screenshots (docs/img/): a channel with a conversation and the owner's room
// settings, light theme, 1280x800, taken from the real client served by Relay with the
// browser suite's harness. Needs web/dist, the root's and web/'s npm packages and a relay
// binary; pngquant and optipng (if installed) shrink the PNGs.
//
//   scripts/web.sh && RELAY_BIN=build/relay node scripts/screenshots.mjs
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
process.env.RELAY_BIN ??= join(ROOT, 'build', 'relay');
const { startStack, launchBrowser, composer } = await import('../tests/browser/harness.mjs');
const { api, relayCli } = await import('../tests/integration/harness.mjs');
const OUT = join(ROOT, 'docs', 'img');

const stack = await startStack();
const browser = await launchBrowser();
try {
  const dir = stack.relay.dataDir;
  const people = { maya: 'Maya Okafor', theo: 'Theo Lindqvist', ines: 'Inès Duarte' };
  const token = {};
  for (const [login, name] of Object.entries(people)) {
    await relayCli(dir, 'user', 'add', login, '--name', name);
    token[login] = (await relayCli(dir, 'token', 'create', login)).trim();
  }
  const url = stack.relay.url;
  const must = async (r, status) => { if (r.status !== status) throw new Error(`${r.status} ${r.text}`); return r.json; };
  await must(await api(url, token.maya, 'POST', '/api/rooms',
    { slug: 'platform', displayName: 'Platform team', description: 'Builds, deploys and the on-call rota' }), 201);
  const channel = async (name) => must(await api(url, token.maya, 'POST', '/api/rooms/platform/channels',
    { name, slug: name, visibility: 'public' }), 201);
  const deploys = await channel('deploys');
  await channel('incidents');
  await channel('random');
  const say = async (login, content) => must(await api(url, token[login], 'POST', '/api/rooms/platform/messages',
    { content, channelId: deploys.id }), 201);
  await say('theo', 'Release **2.4.0** is tagged. Changelog: https://example.com/releases/2.4.0');
  await say('theo', 'Staging is green, rolling out to the first region now.');
  await say('ines', 'Nice! Is the `--resume-page-bytes` default in this one?');
  await say('theo', 'Yes, 256 KiB. Clients far behind get the rest as they read.');
  await say('maya', 'Canary numbers after 10 minutes:\n```\np50 ack  0.8 ms\np99 ack  4.1 ms\nerrors   0\n```');
  await say('ines', 'Looks good to me, go ahead with the other regions.');

  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
  const page = await context.newPage();
  await page.goto(`${stack.base}/auth/dev?login=maya&next=${encodeURIComponent('/r/platform/deploys')}`);
  await composer(page).waitFor();
  await page.getByRole('log').locator('li.msg', { hasText: 'go ahead with the other regions' }).waitFor();
  await composer(page).fill('Rolling out to eu-west and us-east next.');
  await page.screenshot({ path: join(OUT, 'channel.png') });

  await page.getByRole('button', { name: 'Room settings' }).click();
  const dialog = page.getByRole('dialog', { name: /^Settings of / });
  await dialog.getByLabel('Display name').waitFor();
  await page.screenshot({ path: join(OUT, 'room-settings.png') });
  await context.close();
} finally {
  await browser.close();
  await stack.stop();
}

// Palette PNGs (pngquant, then optipng: Debian packages of those names), when present.
for (const name of ['channel.png', 'room-settings.png']) {
  const file = join(OUT, name);
  try {
    execFileSync('pngquant', ['--force', '--skip-if-larger', '--strip', '--quality', '70-95', '--output', file, file]);
    execFileSync('optipng', ['-quiet', '-o5', file]);
  } catch (e) {
    console.error(`${e.message.split('\n')[0]} (left as it is)`);
  }
  console.log(file);
}
