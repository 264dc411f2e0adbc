// The admin page against a real `attune serve --demo` on loopback: an admin
// signs in, opens /admin, drops three files at once (two small WAVs written
// here and a .flac of random bytes) and sees each one's result; sending one
// again finds it already there; an intensity edit survives a reload. /admin
// is photographed at tablet and laptop sizes into artifacts/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { CHROMIUM, launch, laptop, shoot, signIn, watchErrors, SIZES } from '../lib/browser.js';
import { startDaemon, USERS } from '../lib/daemon.js';
import { assertContrast, assertNoSidewaysScroll, assertTargets } from '../lib/checks.js';
import { dropFiles, uploadResults } from '../lib/admin.js';
import { sineWav, junk } from '../lib/wav.js';

const skip = existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM} (apt-get install chromium)`;

let daemon;
let browser;
let page;
const errors = [];
const toneA = sineWav({ freq: 220, seconds: 4 });
const toneB = sineWav({ freq: 330, seconds: 5 });

before(async () => {
  if (skip) return;
  daemon = await startDaemon();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await daemon?.stop();
});

test('an admin signs in and opens /admin', { skip }, async () => {
  const ctx = await laptop(browser, daemon.url);
  page = await ctx.newPage();
  errors.push(watchErrors(page));
  await signIn(page, daemon.url, '/admin', USERS.admin);
  await page.locator('#upload').waitFor();
  await page.locator('#lib-body tr[data-id]').first().waitFor({ timeout: 30000 }); // the demo library
});

test('an admin uploads three files (one broken) and sees the right result for each', { skip }, async () => {
  await dropFiles(page, '#drop', [
    { name: 'e2e-tone-a.wav', mimeType: 'audio/wav', buffer: toneA },
    { name: 'e2e-tone-b.wav', mimeType: 'audio/wav', buffer: toneB },
    { name: 'e2e-broken.flac', mimeType: 'audio/flac', buffer: junk(8192) },
  ]);
  const got = await uploadResults(page, 3);
  assert.deepEqual(got['e2e-tone-a.wav'], ['added', 'Added'], `got ${JSON.stringify(got)}`);
  assert.deepEqual(got['e2e-tone-b.wav'], ['added', 'Added'], `got ${JSON.stringify(got)}`);
  const [state, text] = got['e2e-broken.flac'];
  assert.equal(state, 'rejected', `got ${JSON.stringify(got)}`);
  assert.match(text, /^Rejected: \S/, 'the rejection carries the server\'s reason');
  assert.match(await page.locator('#up-total-text').textContent(), /^3 of 3 done/);

  // the same bytes again, under another name: already there
  await dropFiles(page, '#drop', [{ name: 'e2e-tone-a-copy.wav', mimeType: 'audio/wav', buffer: toneA }]);
  const again = await uploadResults(page, 4);
  assert.deepEqual(again['e2e-tone-a-copy.wav'], ['exists', 'Already in the library'], `got ${JSON.stringify(again)}`);
});

test('an admin edits a track\'s intensity and sees it saved after a reload', { skip }, async () => {
  await page.fill('#lib-q', 'e2e-tone-b');
  const row = page.locator('#lib-body tr[data-id]');
  await page.waitForFunction(() => document.querySelectorAll('#lib-body tr[data-id]').length === 1, null, { timeout: 10000 });
  const id = await row.getAttribute('data-id');
  await row.locator('button.linkish').click();
  await page.locator('#track-dlg[open]').waitFor();
  await page.selectOption('#track-intensity', '4');
  await page.click('#track-save');
  await page.locator('#track-dlg[open]').waitFor({ state: 'detached' });

  await page.reload();
  await page.fill('#lib-q', 'e2e-tone-b');
  const saved = page.locator(`#lib-body tr[data-id="${id}"]`);
  await saved.waitFor();
  assert.equal(await saved.locator('td.intensity').textContent(), '4');
  await saved.locator('button.linkish').click();
  assert.equal(await page.locator('#track-intensity').inputValue(), '4');
  await page.click('#track-cancel');
});

test('/admin at 768×1024, 1024×768 and 1280×800', { skip }, async () => {
  await page.fill('#lib-q', '');
  await page.locator('#lib-body tr[data-id]').nth(1).waitFor();
  for (const size of SIZES) {
    await page.setViewportSize(size);
    const what = `admin at ${size.width}×${size.height}`;
    await assertNoSidewaysScroll(page, what);
    await assertTargets(page, 44, what);
    await assertContrast(page, what);
    await shoot(page, 'admin');
  }
});

test('the admin page logged no error', { skip }, () => {
  assert.deepEqual(errors.flat(), []);
});
