// The admin page against a mock server (lib/admin-mock.js): its own logic
// without a daemon — who sees what, upload results, curation, delete with a
// conflict, the playlist editor's keyboard reorder and save, rooms, and the
// layout at every size.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { CHROMIUM, launch, shoot, watchErrors, SIZES } from '../lib/browser.js';
import { assertContrast, assertNoSidewaysScroll, assertTargets } from '../lib/checks.js';
import { AdminMock, ADMIN_MOCK_URL } from '../lib/admin-mock.js';
import { dropFiles, uploadResults, rowOf } from '../lib/admin.js';
import { sineWav, junk } from '../lib/wav.js';

const skip = existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM} (apt-get install chromium)`;

let browser;
before(async () => {
  if (!skip) browser = await launch();
});
after(async () => {
  await browser?.close();
});

async function open(role, mock = new AdminMock(), path = '/admin') {
  const ctx = await browser.newContext({ baseURL: ADMIN_MOCK_URL, viewport: { width: 1280, height: 800 } });
  await mock.attach(ctx, role);
  const page = await ctx.newPage();
  const errors = watchErrors(page);
  await page.goto(path);
  return { page, mock, errors, ctx };
}

test('admin page: a visitor is sent to sign in', { skip }, async () => {
  const { page, ctx } = await open('');
  await page.waitForURL(/\/login\?next=%2Fadmin/);
  await ctx.close();
});

test('admin page: a therapist curates but sees no upload, delete, users or rooms', { skip }, async () => {
  const { page, errors, ctx } = await open('therapist');
  await rowOf(page, 'Open Sky').waitFor();
  for (const id of ['#upload', '#tab-users', '#tab-rooms']) {
    assert.equal(await page.locator(id).isVisible(), false, `${id} visible to a therapist`);
  }
  await rowOf(page, 'Open Sky').locator('button.linkish').click();
  assert.equal(await page.locator('#track-delete').isVisible(), false, 'delete visible to a therapist');
  await page.click('#track-cancel');
  assert.deepEqual(errors, []);
  await ctx.close();
});

test('admin page: three dropped files get their own results, the library shows the new track', { skip }, async () => {
  const { page, mock, errors, ctx } = await open('admin');
  await page.locator('#drop').waitFor();
  const a = sineWav({ freq: 220 });
  await dropFiles(page, '#drop', [
    { name: 'tone-a.wav', mimeType: 'audio/wav', buffer: a },
    { name: 'tone-a-again.wav', mimeType: 'audio/wav', buffer: a },
    { name: 'broken.flac', mimeType: 'audio/flac', buffer: junk() },
  ]);
  const got = await uploadResults(page, 3);
  assert.deepEqual(got['broken.flac'], ['rejected', 'Rejected: not an audio file attune plays']);
  // the two copies go two at a time: whichever the server saw first is added
  const states = [got['tone-a.wav'][0], got['tone-a-again.wav'][0]].sort();
  assert.deepEqual(states, ['added', 'exists'], `got ${JSON.stringify(got)}`);
  assert.equal(mock.requests.filter((r) => r.method === 'POST' && r.path === '/api/tracks').length, 3, 'one request per file');
  assert.equal(await page.locator('#up-total').evaluate((p) => p.value === p.max), true, 'overall progress complete');
  assert.match(await page.locator('#up-total-text').textContent(), /^3 of 3 done/);
  const name = got['tone-a.wav'][0] === 'added' ? 'tone-a' : 'tone-a-again';
  await rowOf(page, name).waitFor(); // the table reloaded after the batch
  assert.equal(await rowOf(page, name).locator('td.analysis').textContent(), 'pending');
  assert.deepEqual(errors, []);
  await ctx.close();
});

test('admin page: search, filter and sort ask the server the right query', { skip }, async () => {
  const { page, mock, ctx } = await open('admin');
  await rowOf(page, 'Open Sky').waitFor();
  await page.fill('#lib-q', 'river');
  await page.waitForFunction(() => document.querySelectorAll('#lib-body tr[data-id]').length === 1);
  assert.equal(await page.locator('#lib-body tr[data-id] button.linkish').textContent(), 'Slow River');
  await page.fill('#lib-q', '');
  await page.selectOption('#lib-intensity', '2');
  await page.waitForFunction(() => document.querySelectorAll('#lib-body tr[data-id]').length === 2);
  await page.selectOption('#lib-intensity', '');
  await page.locator('th[data-sort="title"] button').click(); // title again: descending
  await page.waitForFunction(() => document.querySelector('#lib-body tr[data-id] button.linkish')?.textContent === 'Warm Field');
  assert.equal(await page.locator('th[data-sort="title"]').getAttribute('aria-sort'), 'descending');
  const last = mock.requests.filter((r) => r.path.startsWith('/api/tracks?')).pop();
  assert.match(last.path, /sort=title&order=desc/);
  await ctx.close();
});

test('admin page: curation edits are sent as a PATCH and shown', { skip }, async () => {
  const { page, mock, errors, ctx } = await open('admin');
  await rowOf(page, 'Open Sky').locator('button.linkish').click();
  await page.locator('#track-dlg[open]').waitFor();
  await page.selectOption('#track-intensity', '5');
  await page.check('input[name=instrumental][value="no"]');
  await page.fill('#track-mood', 'spacious');
  await page.press('#track-mood', 'Enter');
  await page.locator('button[aria-label="Remove mood calm"]').click();
  await page.fill('#track-notes', 'for the peak');
  await page.click('#track-save');
  await page.locator('#track-dlg[open]').waitFor({ state: 'detached' });
  const sent = mock.requests.find((r) => r.method === 'PATCH');
  assert.deepEqual(sent.body, { instrumental: 'no', intensity: 5, moods: ['spacious'], notes: 'for the peak' });
  await page.waitForFunction(() => [...document.querySelectorAll('#lib-body tr')].some((tr) => tr.textContent.includes('Open Sky') && tr.querySelector('td.intensity').textContent === '5'));
  assert.deepEqual(errors, []);
  await ctx.close();
});

test('admin page: deleting a track in a playlist shows the conflict and deletes anyway', { skip }, async () => {
  const { page, mock, ctx } = await open('admin');
  await rowOf(page, 'Slow River').locator('button.linkish').click();
  await page.click('#track-delete');
  await page.locator('#track-err', { hasText: 'used by playlist "Gentle arc"' }).waitFor();
  assert.equal(await page.locator('#track-force').isVisible(), true, 'delete anyway offered');
  await page.click('#track-force');
  await rowOf(page, 'Slow River').waitFor({ state: 'detached' });
  assert.ok(mock.requests.some((r) => r.method === 'DELETE' && r.path.endsWith('?force=true')), 'forced delete sent');
  await ctx.close();
});

test('admin page: the playlist editor reorders by keyboard, toggles must-play, adds a track and saves', { skip }, async () => {
  const { page, mock, errors, ctx } = await open('admin', new AdminMock(), '/admin#playlists');
  await page.locator('#pl-list button', { hasText: 'Gentle arc' }).click();
  await page.locator('#pl-phases li.entry').first().waitFor();
  const order = () => page.$$eval('fieldset.phase:first-of-type li.entry', (lis) => lis.map((li) => li.dataset.track));
  assert.deepEqual(await order(), ['aaaa0001', 'aaaa0002', 'aaaa0003']);
  await page.locator('button[aria-label="Move Open Sky down"]').focus();
  await page.keyboard.press('Enter');
  await page.keyboard.press('Enter'); // focus stays on the moved entry's button
  assert.deepEqual(await order(), ['aaaa0002', 'aaaa0003', 'aaaa0001']);
  await page.locator('fieldset.phase:first-of-type li.entry[data-track="aaaa0003"] input[type=checkbox]').check();
  await page.fill('#ph-1-add', 'warm');
  await page.locator('button[aria-label="Add Warm Field to journey"]').click();
  await page.fill('#ph-1-crossfade_ms', '12');
  await page.locator('#ph-1-crossfade_ms').dispatchEvent('change');
  await page.click('#pl-save');
  await page.locator('#pl-saved', { hasText: 'Saved.' }).waitFor();
  const put = mock.requests.find((r) => r.method === 'PUT');
  assert.equal(put.path, '/api/playlists/Gentle%20arc');
  const [settling, journey] = put.body.phases;
  assert.deepEqual(settling.entries.map((e) => [e.track, e.must_play]), [['aaaa0002', false], ['aaaa0003', true], ['aaaa0001', true]]);
  assert.deepEqual(journey.entries.map((e) => e.track), ['aaaa0003']);
  assert.equal(journey.crossfade_ms, 12000);
  assert.deepEqual(errors, []);
  await ctx.close();
});

test('admin page: rooms show output status and save ceiling, range and trims', { skip }, async () => {
  const { page, mock, ctx } = await open('admin', new AdminMock(), '/admin#rooms');
  await page.locator('form.room').waitFor();
  assert.equal(await page.locator('tr[data-output="stream"] .out-status').textContent(), 'failed: encoder missing');
  await page.fill('#room-0-ceiling', '-3');
  await page.fill('#room-0-trim-0', '-2');
  await page.click('form.room button[type=submit]');
  await page.waitForFunction(() => document.getElementById('room-0-ceiling')?.value === '-3');
  const sent = mock.requests.find((r) => r.method === 'PATCH');
  assert.deepEqual(sent.body, { ceiling_db: -3, patient_min_db: -30, patient_max_db: -6, trims: { speakers: -2, stream: -3 } });
  await ctx.close();
});

test('admin page: users are added and their passwords reset', { skip }, async () => {
  const { page, mock, errors, ctx } = await open('admin', new AdminMock(), '/admin#users');
  await page.locator('#users-body tr[data-user="dana"]').waitFor();
  assert.equal(await page.locator('#users-body tr[data-user="admin"] button.danger').isDisabled(), true, 'an admin cannot delete themself');
  await page.fill('#user-name', 'sam');
  await page.selectOption('#user-role', 'therapist');
  await page.fill('#user-password', 'a-long-enough-one');
  await page.click('#user-add button[type=submit]');
  await page.locator('#users-body tr[data-user="sam"]').waitFor();
  assert.deepEqual(mock.requests.find((r) => r.method === 'POST').body, { name: 'sam', role: 'therapist', password: 'a-long-enough-one' });
  page.once('dialog', (d) => d.accept('another-long-one'));
  await page.locator('button[aria-label="Reset the password of dana"]').click();
  await page.locator('#users-saved', { hasText: 'The password of dana is changed.' }).waitFor();
  assert.ok(mock.requests.some((r) => r.method === 'PUT' && r.path === '/api/users/dana/password' && r.body.password === 'another-long-one'));
  assert.deepEqual(errors, []);
  await ctx.close();
});

test('admin page: every view at 768×1024, 1024×768 and 1280×800', { skip }, async () => {
  const { page, errors, ctx } = await open('admin');
  await rowOf(page, 'Open Sky').waitFor();
  await dropFiles(page, '#drop', [{ name: 'broken.flac', mimeType: 'audio/flac', buffer: junk() }]);
  await uploadResults(page, 1);
  for (const view of ['library', 'playlists', 'users', 'rooms']) {
    await page.goto(`/admin#${view}`);
    await page.locator(`#${view}:not([hidden])`).waitFor();
    if (view === 'playlists') {
      await page.locator('#pl-list button', { hasText: 'Gentle arc' }).click();
      await page.locator('#pl-phases li.entry').first().waitFor();
    }
    if (view === 'users') await page.locator('#users-body tr').first().waitFor();
    for (const size of SIZES) {
      await page.setViewportSize(size);
      const what = `admin ${view} at ${size.width}×${size.height}`;
      await assertNoSidewaysScroll(page, what);
      await assertTargets(page, 44, what);
      await assertContrast(page, what);
      await shoot(page, `mock-admin-${view}`);
    }
  }
  assert.deepEqual(errors, []);
  await ctx.close();
});
