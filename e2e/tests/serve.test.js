// The pages against a real `attune serve --demo` on loopback: a therapist
// signs in, previews the timeline, starts a session and marks dose and
// onset; an iPad pairs with the console's code, pauses and skips, and the
// console shows each within a second. Every page is photographed at tablet
// and laptop sizes into artifacts/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { CHROMIUM, launch, laptop, ipad, shoot, signIn, watchErrors, SIZES } from '../lib/browser.js';
import { startDaemon, USERS } from '../lib/daemon.js';
import { assertContrast, assertNoSidewaysScroll, assertTargets } from '../lib/checks.js';

const skip = existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM} (apt-get install chromium)`;

let daemon;
let browser;
let consolePage;
let tabletPage;
const errors = [];

before(async () => {
  if (skip) return;
  daemon = await startDaemon();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await daemon?.stop();
});

test('a therapist signs in and previews the timeline', { skip }, async () => {
  const ctx = await laptop(browser, daemon.url);
  consolePage = await ctx.newPage();
  errors.push(watchErrors(consolePage));
  await signIn(consolePage, daemon.url, '/', USERS.dana);
  await consolePage.locator('#conn[data-state="open"]').waitFor();
  await consolePage.locator('#timeline .tl-phase').first().waitFor({ timeout: 15000 });
  assert.ok((await consolePage.locator('#timeline .tl-phase').count()) >= 3, 'the preview has phase blocks');
  assert.ok((await consolePage.locator('#timeline .tl-item').count()) >= 3, 'the preview has track blocks');
  for (const size of SIZES) {
    await consolePage.setViewportSize(size);
    await shoot(consolePage, 'console-before');
  }
  await consolePage.setViewportSize({ width: 1280, height: 800 });
});

test('the therapist starts a session and marks dose and onset', { skip }, async () => {
  const p = consolePage;
  await p.click('#start');
  await p.locator('#during').waitFor({ timeout: 10000 });
  await p.click('#dose');
  await p.locator('#dose-state', { hasText: 'Dose given' }).waitFor({ timeout: 5000 });
  await p.click('#onset');
  await p.locator('#phase', { hasText: 'Journey' }).waitFor({ timeout: 5000 });
  await p.locator('#log li[data-kind="onset"]').waitFor({ timeout: 5000 });
  assert.equal(await p.locator('#during-err').textContent(), '');
});

test('a tablet pairs, pauses and skips; the console shows each within 1 s', { skip }, async () => {
  await consolePage.click('#pair');
  const codeEl = consolePage.locator('#pair-code');
  await consolePage.waitForFunction(() => /^[0-9]{6}$/.test(document.getElementById('pair-code').textContent));
  const code = await codeEl.textContent();
  assert.match(await consolePage.locator('#pair-qr').getAttribute('src'), /^data:image\/png;base64,/);

  const ctx = await ipad(browser, daemon.url);
  tabletPage = await ctx.newPage();
  errors.push(watchErrors(tabletPage));
  await tabletPage.goto('/pair');
  await tabletPage.locator('#code').fill(code);
  await tabletPage.waitForURL(`${daemon.url}/t`);
  await tabletPage.locator('#phase', { hasText: 'Journey' }).waitFor({ timeout: 5000 });

  await tabletPage.locator('#pause').tap();
  await consolePage.locator('#pause', { hasText: 'Resume' }).waitFor({ timeout: 1000 });
  await consolePage.locator('#log li[data-kind="pause"]').waitFor({ timeout: 1000 });
  await tabletPage.locator('#pause', { hasText: 'Resume' }).waitFor({ timeout: 1000 });

  await tabletPage.locator('#pause').tap(); // resume, so the skip is heard
  await consolePage.locator('#pause', { hasText: 'Pause' }).waitFor({ timeout: 1000 });
  await tabletPage.locator('#skip').tap();
  await consolePage.locator('#log li[data-kind="skip"]').waitFor({ timeout: 1000 });
});

test('every page at 768×1024, 1024×768 and 1280×800', { skip }, async () => {
  const fresh = async (path) => {
    const page = await (await browser.newContext({ baseURL: daemon.url })).newPage();
    errors.push(watchErrors(page));
    await page.goto(path);
    return page;
  };
  const pages = [
    [consolePage, 'console', 44],
    [tabletPage, 'tablet', 64],
    [await fresh('/pair'), 'pair', 64],
    [await fresh('/login'), 'login', 44],
    [await fresh('/setup'), 'setup', 44],
  ];
  const expired = await fresh('/t'); // a tablet without a pairing: the calm view
  await expired.locator('#calm').waitFor();
  pages.push([expired, 'tablet-unpaired', 64]);
  for (const size of SIZES) {
    for (const [page, name, min] of pages) {
      await page.setViewportSize(size);
      await assertNoSidewaysScroll(page, `${name} at ${size.width}×${size.height}`);
      await assertTargets(page, min, `${name} at ${size.width}×${size.height}`);
      await assertContrast(page, `${name} at ${size.width}×${size.height}`);
      await shoot(page, name);
    }
  }
});

test('ending the session shows its summary and exports', { skip }, async () => {
  const p = consolePage;
  await p.setViewportSize({ width: 1280, height: 800 });
  await p.click('#end');
  await p.click('#end-confirm');
  await p.locator('#after').waitFor({ timeout: 10000 });
  await p.locator('#summary dt').first().waitFor();
  const csv = await p.locator('#csv').getAttribute('href');
  const res = await p.request.get(csv);
  assert.equal(res.status(), 200, `GET ${csv}`);
  assert.match(await res.text(), /pause/);
  await shoot(p, 'console-after');
});

test('no page logged an error', { skip }, () => {
  assert.deepEqual(errors.flat(), []);
});
