// Attachments in the browser client (docs/api.md "Attachments"): a file picked with the
// Attach button goes up with its message and an image comes back as a preview in the
// message, for the sender, live for a reader in the room, and from history. Other
// files are download links. The image is made here with the vips CLI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, browserSuite, composer, createUser, screenshot, uniq } from './harness.mjs';

const suite = browserSuite();
const { open } = suite;

const row = (page, text) => page.getByRole('log').locator('li.msg', { hasText: text });

test('an image attached with the button is sent with the message and previewed; a text file is a download link', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'relay-att-web-'));
  try {
    const png = join(dir, 'sunset.png');
    execFileSync('vips', ['xyz', png, '900', '600']);
    const slug = uniq('room');
    const owner = await createUser(suite.stack.relay.dataDir, uniq('own'));
    const made = await api(suite.stack.relay.url, owner, 'POST', '/api/rooms', { slug, displayName: 'Files' });
    assert.equal(made.status, 201, made.text);
    const alice = await open(uniq('alice'), `/r/${slug}`);
    const bob = await open(uniq('bob'), `/r/${slug}`);
    await composer(alice).waitFor();
    await composer(bob).waitFor();

    // The button opens the file chooser; the picked file is listed before sending.
    const [chooser] = await Promise.all([
      alice.waitForEvent('filechooser'),
      alice.getByRole('button', { name: 'Attach files' }).click(),
    ]);
    await chooser.setFiles(png);
    await alice.getByRole('list', { name: 'Files to send' }).getByText('sunset.png').waitFor();
    await composer(alice).fill('the view from here');
    await composer(alice).press('Enter');

    const img = row(alice, 'the view from here').locator('.attachments img');
    await img.waitFor({ timeout: 20_000 });
    assert.match(await img.getAttribute('src'), /^\/api\/attachments\/att_/);
    assert.equal(await img.getAttribute('alt'), 'sunset.png');
    await alice.waitForFunction((el) => el.complete && el.naturalWidth > 0, await img.elementHandle());
    assert.equal(await img.evaluate((el) => el.naturalWidth), 900, 'the WebP keeps the size that fits');
    await screenshot(alice, 'attachment-preview');

    // A reader in the room gets it live (attachment_added), and from history after a reload.
    for (const again of [false, true]) {
      if (again) await bob.reload();
      const bobImg = row(bob, 'the view from here').locator('.attachments img');
      await bobImg.waitFor({ timeout: 20_000 });
      await bob.waitForFunction((el) => el.complete && el.naturalWidth > 0, await bobImg.elementHandle());
    }

    // A text file, sent without text: the message names it, and it is a download link.
    const notes = join(dir, 'notes.txt');
    execFileSync('sh', ['-c', `printf 'plain notes\\n' > '${notes}'`]);
    await alice.locator('input[type=file]').setInputFiles(notes);
    await alice.getByRole('button', { name: 'Send' }).click();
    const link = row(alice, 'notes.txt').getByRole('link', { name: /notes\.txt/ });
    await link.waitFor({ timeout: 20_000 });
    assert.equal(await link.getAttribute('download'), 'notes.txt');
    const href = await link.getAttribute('href');
    const got = await alice.evaluate(async (u) => {
      const r = await fetch(u);
      return { status: r.status, disposition: r.headers.get('content-disposition'), text: await r.text() };
    }, href);
    assert.equal(got.status, 200);
    assert.match(got.disposition, /^attachment; filename="notes.txt"/);
    assert.equal(got.text, 'plain notes\n');
    assert.ok(readFileSync(png).length > 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
