// Threads in the browser client: "Reply in thread" opens a panel beside the channel with
// the root; a reply posted there shows in the panel, and the root's reply count updates
// live in another user's page, whose open panel gets the reply too (thread_updated).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, browserSuite, composer, createUser, screenshot, uniq, FAST_SEND_ARGS } from './harness.mjs';

const suite = browserSuite({ args: FAST_SEND_ARGS });
const { open, pages } = suite;

let failures = 0;
function uiTest(name, fn) {
  test(name, async (t) => {
    const first = pages.length;
    try {
      await fn(t);
    } catch (e) {
      failures += 1;
      for (const [i, p] of pages.slice(first).entries()) {
        await screenshot(p, `threads-failed-${failures}-${i}`).catch(() => {});
      }
      throw e;
    }
  });
}

const row = (page, text) => page.getByRole('log').locator('li.msg', { hasText: text });
const panel = (page) => page.getByRole('complementary', { name: 'Thread' });
const replyBox = (page) => panel(page).getByRole('textbox', { name: 'Reply in thread' });

uiTest('a thread: open it from a message, reply in the panel, the count and replies update live on another page', async () => {
  const slug = uniq('thread');
  const owner = await createUser(suite.stack.relay.dataDir, uniq('own'));
  assert.equal((await api(suite.stack.relay.url, owner, 'POST', '/api/rooms', { slug, displayName: 'Threads' })).status, 201);
  const alice = await open(uniq('alice'), `/r/${slug}`);
  const bob = await open(uniq('bob'), `/r/${slug}`);
  await composer(alice).fill('start a thread here');
  await composer(alice).press('Enter');
  await row(bob, 'start a thread here').waitFor();
  await row(alice, 'start a thread here').and(alice.locator('[data-state="sent"]')).waitFor();

  // Bob opens the thread: the panel shows the root and no replies yet.
  await row(bob, 'start a thread here').hover();
  await row(bob, 'start a thread here').getByRole('button', { name: 'Reply in thread' }).click();
  await panel(bob).waitFor();
  await panel(bob).getByRole('list', { name: 'Original message' }).getByText('start a thread here').waitFor();
  await panel(bob).getByText('0 replies').waitFor();

  // Alice opens it too, from her own page, before anyone replies.
  await row(alice, 'start a thread here').hover();
  await row(alice, 'start a thread here').getByRole('button', { name: 'Reply in thread' }).click();
  await panel(alice).getByText('0 replies').waitFor();

  // Bob replies: his panel shows it; Alice's page gets the count under the root and the
  // reply in her open panel, live.
  await replyBox(bob).fill('first reply from bob');
  await replyBox(bob).press('Enter');
  await panel(bob).getByRole('list', { name: 'Replies' }).getByText('first reply from bob').waitFor();
  await row(alice, 'start a thread here').getByRole('button', { name: /^1 reply/ }).waitFor();
  await panel(alice).getByRole('list', { name: 'Replies' }).getByText('first reply from bob').waitFor();
  await row(bob, 'start a thread here').getByRole('button', { name: /^1 reply/ }).waitFor();

  await replyBox(alice).fill('and one from alice');
  await replyBox(alice).press('Enter');
  await row(bob, 'start a thread here').getByRole('button', { name: /^2 replies/ }).waitFor();
  await panel(bob).getByRole('list', { name: 'Replies' }).getByText('and one from alice').waitFor();
  await screenshot(bob, 'thread-panel');

  // Replies are not channel messages: the channel's log has only the root.
  assert.equal(await row(bob, 'first reply from bob').count(), 0);
  assert.equal(await row(alice, 'and one from alice').count(), 0);

  // Closing the panel and reopening it from the count shows both replies; a reload keeps
  // the count.
  await panel(alice).getByRole('button', { name: 'Close thread' }).click();
  await panel(alice).waitFor({ state: 'detached' });
  await alice.reload();
  await row(alice, 'start a thread here').getByRole('button', { name: /^2 replies/ }).click();
  const replies = panel(alice).getByRole('list', { name: 'Replies' }).locator('li');
  await replies.nth(1).waitFor();
  assert.deepEqual((await replies.allInnerTexts()).map((t) => t.split('\n').pop()),
    ['first reply from bob', 'and one from alice']);
});
