// Outbound webhooks in the room settings dialog: the owner adds one (its secret shown
// once), sees it listed with its last delivery, opens its deliveries after an event
// reached a local receiver, switches it off and deletes it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, browserSuite, createUser, uniq } from './harness.mjs';
import { startReceiver, verifyStandard } from '../integration/webhook_receiver.mjs';

const suite = browserSuite({ args: ['--webhook-allowed-hosts', '127.0.0.1'] });
const { open } = suite;

test('the owner adds a webhook, copies its secret once and sees its deliveries', async () => {
  const receiver = await startReceiver();
  try {
    const ownerLogin = uniq('hk');
    const owner = await createUser(suite.stack.relay.dataDir, ownerLogin);
    const slug = uniq('hooks');
    assert.equal((await api(suite.stack.relay.url, owner, 'POST', '/api/rooms', { slug, displayName: 'Hooks' })).status, 201);
    const page = await open(ownerLogin, `/r/${slug}`);
    await page.getByRole('button', { name: 'Room settings' }).click();
    const dialog = page.getByRole('dialog', { name: /^Settings of / });
    const url = `${receiver.url}/browser`;
    await dialog.getByLabel('Payload URL').fill(url);
    await dialog.getByLabel('What it is for').fill('CI');
    await dialog.getByRole('button', { name: 'Add webhook' }).click();
    const secret = await dialog.getByLabel('Signing secret').textContent();
    assert.match(secret, /^whsec_/);
    const list = dialog.getByRole('list', { name: 'Webhooks' });
    await list.getByText(url).waitFor();

    // An event reaches the receiver, signed with the secret the dialog showed.
    assert.equal((await api(suite.stack.relay.url, owner, 'POST', `/api/rooms/${slug}/messages`, { content: 'hook me' })).status, 201);
    const [got] = await receiver.waitFor((r) => r.url === '/browser');
    assert.ok(verifyStandard(got, secret));
    await dialog.getByRole('button', { name: `Deliveries of ${url}` }).click();
    await dialog.getByRole('table', { name: 'Recent deliveries' }).getByText('message.created').waitFor();

    // Closing the dialog hides the secret for good; the list never shows it.
    await dialog.getByRole('button', { name: 'Done' }).click();
    assert.equal(await dialog.getByLabel('Signing secret').count(), 0);
    await dialog.getByRole('button', { name: `Disable ${url}` }).click();
    await dialog.getByRole('button', { name: `Enable ${url}` }).waitFor();
    await dialog.getByRole('button', { name: `Delete ${url}` }).click();
    await list.getByText(url).waitFor({ state: 'detached' });
  } finally {
    await receiver.close();
  }
});
