// The AI assistant in the room settings dialog (docs/web.md): the owner enables the
// built-in relay-bot for the room under the suggested login, the dialog then says it is
// enabled and the bots list shows it bound to relay-bot, and a mention in the room is
// answered in the page by the model (the local chat-completions stand-in), in the channel
// or, mentioned in a thread, in the thread's panel.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { api, browserSuite, createUser, uniq } from './harness.mjs';
import { startChatCompletions } from '../integration/chat_completions_standin.mjs';

const standin = await startChatCompletions();
after(() => standin.close());
const suite = browserSuite({ args: ['--ai-url', standin.url, '--ai-model', 'stand-in'] });
const { open } = suite;

test('the owner enables the AI assistant for a room and it answers a mention', async () => {
  const ownerLogin = uniq('ai');
  const owner = await createUser(suite.stack.relay.dataDir, ownerLogin);
  const slug = uniq('bot').toLowerCase();
  assert.equal((await api(suite.stack.relay.url, owner, 'POST', '/api/rooms', { slug, displayName: 'Bot room' })).status, 201);
  const page = await open(ownerLogin, `/r/${slug}`);
  await page.getByRole('button', { name: 'Room settings' }).click();
  const dialog = page.getByRole('dialog', { name: /^Settings of / });
  const form = dialog.getByRole('form', { name: 'Enable the AI assistant' });
  const login = await form.getByLabel('Its login').inputValue();
  assert.equal(login, `ai-${slug}`);
  await form.getByLabel('Its name').fill('Helper');
  await form.getByRole('button', { name: 'Enable AI assistant' }).click();
  await dialog.getByRole('status').getByText(`@${login}`).first().waitFor();
  assert.equal(await form.count(), 0, 'no form once it is enabled');
  await dialog.getByRole('list', { name: 'Bots' }).getByText('→ agent relay-bot').waitFor();
  const bots = (await api(suite.stack.relay.url, owner, 'GET', `/api/rooms/${slug}/bots`)).json.bots;
  assert.deepEqual(bots.map((b) => [b.login, b.name, b.agentId]), [[login, 'Helper', 'relay-bot']]);

  // Enabled means answering: a mention gets the model's reply in the page.
  await dialog.getByRole('button', { name: 'Close' }).click();
  assert.equal((await api(suite.stack.relay.url, owner, 'POST', `/api/rooms/${slug}/messages`,
    { content: `@${login} hi` })).status, 201);
  const log = page.getByRole('log');
  await log.getByText('Hello there').waitFor({ timeout: 15000 });

  // Mentioned in a thread, it answers in the thread's panel, not in the channel.
  const mention = (await api(suite.stack.relay.url, owner, 'GET', `/api/rooms/${slug}/messages`)).json.messages
    .find((m) => m.content === `@${login} hi`);
  const thread = await api(suite.stack.relay.url, owner, 'POST', `/api/rooms/${slug}/messages/${mention.id}/thread`);
  assert.ok(thread.status === 200 || thread.status === 201, thread.text);
  const row = log.locator('li.msg', { hasText: `@${login} hi` });
  await row.hover();
  await row.getByRole('button', { name: 'Reply in thread' }).click();
  const panel = page.getByRole('complementary', { name: 'Thread' });
  await panel.getByRole('list', { name: 'Original message' }).waitFor();
  assert.equal((await api(suite.stack.relay.url, owner, 'POST', `/api/threads/${thread.json.threadId}/replies`,
    { content: `@${login} and here?` })).status, 201);
  await panel.getByRole('list', { name: 'Replies' }).getByText('Hello there').waitFor({ timeout: 15000 });
  assert.equal(await log.getByText('Hello there').count(), 1, 'the thread\'s answer is not in the channel');

  // Opened again, the dialog shows it enabled.
  await page.getByRole('button', { name: 'Room settings' }).click();
  await dialog.getByRole('status').getByText(`@${login}`).first().waitFor();
});
