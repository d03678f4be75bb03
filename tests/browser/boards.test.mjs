// The board screen in the browser client: reached from the room's sidebar; add a card;
// move it with the keyboard (Alt+Arrow) and by drag-and-drop; the move persists across a
// reload, and a second page on the board sees each move live (card_moved).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, axeViolations, browserSuite, createUser, screenshot, uniq, FAST_SEND_ARGS } from './harness.mjs';

const suite = browserSuite({ args: FAST_SEND_ARGS });
const { open, pages } = suite;

const column = (page, name) => page.getByRole('region', { name, exact: true });
const card = (page, title) => page.locator('li.card', { hasText: title });
const inColumn = (page, name, title) => column(page, name).locator('li.card', { hasText: title });

async function openBoard(page) {
  await page.getByRole('navigation', { name: 'Rooms and channels' }).getByRole('link', { name: 'Board', exact: true }).click();
  await column(page, 'Todo').waitFor();
}

test('a board: add a card, move it by keyboard and by drag-and-drop, persisted and live on another page', async () => {
  const first = pages.length;
  try {
    const slug = uniq('board');
    const owner = await createUser(suite.stack.relay.dataDir, uniq('own'));
    assert.equal((await api(suite.stack.relay.url, owner, 'POST', '/api/rooms', { slug, displayName: 'Boards' })).status, 201);
    const alice = await open(uniq('alice'), `/r/${slug}`);
    const bob = await open(uniq('bob'), `/r/${slug}`);
    await openBoard(alice);
    await openBoard(bob);
    assert.match(alice.url(), new RegExp(`/r/${slug}/~board$`));
    for (const name of ['Todo', 'Doing', 'Done']) await column(alice, name).waitFor();

    await alice.getByRole('textbox', { name: 'Card title' }).fill('Write the docs');
    await alice.getByRole('button', { name: 'Add card' }).click();
    await inColumn(alice, 'Todo', 'Write the docs').waitFor();
    await inColumn(bob, 'Todo', 'Write the docs').waitFor();

    // The keyboard: focus the card, Alt+ArrowRight moves it one column right and it
    // keeps the focus; the move buttons do the same.
    await card(alice, 'Write the docs').focus();
    await alice.keyboard.press('Alt+ArrowRight');
    await inColumn(alice, 'Doing', 'Write the docs').waitFor();
    await inColumn(bob, 'Doing', 'Write the docs').waitFor();
    assert.equal(await alice.evaluate(() => document.activeElement?.getAttribute('data-card-id') !== null), true,
      'the moved card keeps the focus');
    await alice.getByRole('button', { name: 'Move “Write the docs” left' }).click();
    await inColumn(alice, 'Todo', 'Write the docs').waitFor();
    await inColumn(bob, 'Todo', 'Write the docs').waitFor();

    // Drag-and-drop into Done.
    await card(alice, 'Write the docs').dragTo(column(alice, 'Done'));
    await inColumn(alice, 'Done', 'Write the docs').waitFor();
    await inColumn(bob, 'Done', 'Write the docs').waitFor();

    // A second card, dropped above the first within Done.
    await alice.getByRole('textbox', { name: 'Card title' }).fill('Ship it');
    await alice.getByRole('button', { name: 'Add card' }).click();
    await inColumn(alice, 'Todo', 'Ship it').waitFor();
    await card(alice, 'Ship it').dragTo(card(alice, 'Write the docs'));
    await inColumn(alice, 'Done', 'Ship it').waitFor();
    const order = async (page) => column(page, 'Done').locator('li.card .card-title').allTextContents();
    assert.deepEqual(await order(alice), ['Ship it', 'Write the docs']);

    // Alt+ArrowUp / Alt+ArrowDown within the column.
    await card(alice, 'Write the docs').focus();
    await alice.keyboard.press('Alt+ArrowUp');
    await alice.waitForFunction(() => document.querySelector('[aria-label="Done"] li.card .card-title')?.textContent === 'Write the docs');
    await bob.waitForFunction(() => document.querySelector('[aria-label="Done"] li.card .card-title')?.textContent === 'Write the docs');
    await alice.keyboard.press('Alt+ArrowDown');
    await alice.waitForFunction(() => document.querySelector('[aria-label="Done"] li.card .card-title')?.textContent === 'Ship it');
    assert.deepEqual(await order(alice), ['Ship it', 'Write the docs']);

    // Save a card: it is starred for Alice only.
    await alice.getByRole('button', { name: 'Save “Write the docs”' }).click();
    await alice.getByRole('button', { name: 'Unsave “Write the docs”' }).waitFor();
    assert.deepEqual(await order(alice), ['Write the docs', 'Ship it'], 'saved first for the saver');

    await alice.reload();
    await inColumn(alice, 'Done', 'Write the docs').waitFor();
    await inColumn(alice, 'Done', 'Ship it').waitFor();
    assert.equal(await column(alice, 'Todo').locator('li.card').count(), 0);
    await bob.waitForFunction(() => document.querySelectorAll('[aria-label="Done"] li.card').length === 2);
    assert.deepEqual(await order(bob), ['Ship it', 'Write the docs']);
    await screenshot(alice, 'board');
    assert.deepEqual(await axeViolations(alice), []);
  } catch (e) {
    for (const [i, p] of pages.slice(first).entries()) await screenshot(p, `boards-failed-${i}`).catch(() => {});
    throw e;
  }
});
