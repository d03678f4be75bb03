#!/usr/bin/env node
// Checks by hand (not a test: it prints what it sees) that the message list keeps the
// reader's place while the oldest rows are trimmed in a batch (web/src/timeline.ts), that
// a reader at the bottom stays there, and that scrolling up pages in again afterwards.
//
//   RELAY_BIN=build-bench/relay node benchmarks/web/scroll-check.mjs
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
process.env.RELAY_BIN ??= join(ROOT, 'build-bench', 'relay');
const { startStack, launchBrowser, signedInPage, watchErrors } = await import('../../tests/browser/harness.mjs');
const { createUser, uniq, FAST_SEND_ARGS } = await import('../../tests/integration/harness.mjs');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const stack = await startStack({ args: FAST_SEND_ARGS });
const browser = await launchBrowser();
let failed = false;
const check = (what, ok, detail) => { console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`, detail ?? ''); if (!ok) failed = true; };
try {
  const token = await createUser(stack.relay.dataDir, uniq('ann'));
  const ws = new WebSocket(`${stack.base.replace(/^http/, 'ws')}/api/ws/rooms/lobby`, { headers: { Authorization: `Bearer ${token}` } });
  await new Promise((r, j) => { ws.once('open', r); ws.once('error', j); });
  let n = 0;
  const send = async (count, rate = 200) => {
    for (let i = 0; i < count; i++) {
      ws.send(JSON.stringify({ type: 'send', clientMsgId: `c${n}`, content: `message number ${n}${n % 7 === 0 ? '\nwith a second line' : ''}`, channelId: null }));
      n += 1;
      await sleep(1000 / rate);
    }
    await sleep(500);
  };
  await send(60);
  const page = watchErrors(await signedInPage(browser, stack.base, uniq('reader')));
  await page.locator('.messages li.msg', { hasText: `message number ${n - 1}` }).waitFor();
  const rows = () => page.evaluate(() => document.querySelectorAll('.messages li.msg').length);
  // `at`: the row to measure (by its text); by default the first row in view.
  const state = (at) => page.evaluate((at) => {
    const box = document.querySelector('.messages');
    const top = box.getBoundingClientRect().top;
    const first = [...box.querySelectorAll('li.msg')].find((li) => at ? li.querySelector('.content')?.textContent === at
      : li.getBoundingClientRect().bottom > top);
    return {
      rows: box.querySelectorAll('li.msg').length, scrollTop: box.scrollTop,
      fromBottom: box.scrollHeight - box.scrollTop - box.clientHeight,
      first: first?.querySelector('.content')?.textContent, offset: first ? first.getBoundingClientRect().top - top : null,
    };
  }, at);

  // 1. At the bottom, through a trim: the newest row stays in view.
  await send(660);
  let s = await state();
  console.log('after 720 at the bottom', s);
  check('bottom: at most 700 rows held', s.rows <= 700 && s.rows >= 600, s.rows);
  check('bottom: still at the bottom after the trim', s.fromBottom < 5, s.fromBottom);

  // 2. Scrolled up into the middle, through a trim: the row in view stays where it was.
  await send(700 - s.rows - 5); // 5 short of the next trim
  await page.evaluate(() => { const b = document.querySelector('.messages'); b.scrollTop = b.scrollHeight / 2; });
  await sleep(300);
  const before = await state();
  for (let i = 0; i < 20; i++) { await send(1); if (process.env.TRACE) console.log(await state()); } // trims 100 oldest rows above the reader
  const after = await state(before.first);
  console.log('reader in the middle: before', before, 'after', after);
  check('middle: a trim happened', after.rows < before.rows, `${before.rows} -> ${after.rows}`);
  check('middle: the row in view has not moved', after.first === before.first && Math.abs(after.offset - before.offset) < 2,
    `${before.first}@${before.offset} -> ${after.first}@${after.offset}`);

  // 3. Scrolling up to the top pages in the older rows again, keeping the place.
  const held = await rows();
  await page.evaluate(() => { document.querySelector('.messages').scrollTop = 0; });
  await page.waitForFunction((h) => document.querySelectorAll('.messages li.msg').length > h, held, { timeout: 10000 });
  await sleep(500);
  const paged = await state();
  console.log('scrolled to the top', paged);
  check('top: an older page came in', paged.rows > held, `${held} -> ${paged.rows}`);
  check('top: the view did not jump to the new top', paged.scrollTop > 200, paged.scrollTop);
  check('no page errors', page.errors.length === 0, page.errors.map((e) => e.message).join('; '));
  ws.close();
} finally {
  await browser.close();
  await stack.stop?.();
}
process.exit(failed ? 1 : 0);
