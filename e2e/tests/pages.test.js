// The pages' behaviour in a real browser against a mock server (lib/mock.js):
// runs anywhere Chromium is, without building or starting attune.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { CHROMIUM, launch, laptop, ipad, shoot, watchErrors, SIZES } from '../lib/browser.js';
import { MockAttune, MOCK_URL } from '../lib/mock.js';
import { assertContrast, assertNoSidewaysScroll, assertTargets } from '../lib/checks.js';

const skip = existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM} (apt-get install chromium)`;

let browser;
let mock;
let staff;
let tablet;
let consolePage;
let tabletPage;
const errors = [];

before(async () => {
  if (skip) return;
  browser = await launch();
  mock = new MockAttune();
  staff = await laptop(browser, MOCK_URL);
  await mock.attach(staff, '');
  consolePage = await staff.newPage();
  errors.push(watchErrors(consolePage));
});

after(async () => {
  await browser?.close();
});

test('console: a visitor is sent to sign in, and comes back', { skip }, async () => {
  await consolePage.goto('/');
  await consolePage.waitForURL(/\/login\?next=%2F$/);
  await consolePage.fill('#name', 'dana');
  await consolePage.fill('#password', 'secret');
  await consolePage.click('#go');
  await consolePage.waitForURL(`${MOCK_URL}/`);
  await consolePage.locator('#conn[data-state="open"]').waitFor();
});

test('console: the timeline preview draws phases, tracks and the onset window', { skip }, async () => {
  const p = consolePage;
  await p.locator('#timeline .tl-phase').first().waitFor();
  assert.equal(await p.locator('#timeline .tl-phase').count(), 4, 'phase blocks');
  assert.ok((await p.locator('#timeline .tl-item').count()) > 10, 'track blocks');
  assert.equal(await p.locator('#timeline .tl-onset-window').count(), 1, 'onset window');
  assert.match(await p.locator('#timeline .tl-role-journey').textContent(), /journey.*drone/, 'the journey phase shows its fit');
  assert.equal(await p.locator('input[name=playlist]:checked').getAttribute('value'), 'Gentle arc');
  for (const size of SIZES) {
    await p.setViewportSize(size);
    await assertNoSidewaysScroll(p, `console before a session at ${size.width}×${size.height}`);
    await shoot(p, 'mock-console-before');
  }
  await p.setViewportSize({ width: 1280, height: 800 });
});

test('console: typing the onset re-plans with it', { skip }, async () => {
  const p = consolePage;
  await p.fill('#onset-min', '14');
  await p.locator('#onset-min').dispatchEvent('change');
  await p.waitForFunction(() => document.querySelector('.tl-onset').getAttribute('aria-valuenow') === '14');
  const last = mock.commands.filter((c) => c.type === 'plan').at(-1);
  assert.equal(last.args.onset_ms, 14 * 60000);
});

test('console: dragging the onset marker re-plans, inside the onset window', { skip }, async () => {
  const p = consolePage;
  const before = mock.commands.filter((c) => c.type === 'plan').length;
  const box = await p.locator('#timeline .tl-onset .tl-hit').boundingBox();
  const x = box.x + box.width / 2;
  const y = box.y + 20;
  await p.mouse.move(x, y);
  await p.mouse.down();
  await p.mouse.move(x - 400, y, { steps: 5 }); // far left: clamped to the window's start
  await p.mouse.up();
  await p.waitForFunction(() => document.querySelector('.tl-onset').getAttribute('aria-valuenow') === '10');
  const plans = mock.commands.filter((c) => c.type === 'plan');
  assert.ok(plans.length > before, 'the drag asked for a new plan');
  assert.equal(plans.at(-1).args.onset_ms, 10 * 60000, 'clamped to the onset window');
});

test('console: start, dose (back-dated) and onset', { skip }, async () => {
  const p = consolePage;
  await p.click('#start');
  await p.locator('#during').waitFor();
  assert.equal(mock.commands.find((c) => c.type === 'start').args.onset_ms, 10 * 60000,
    'the session starts on the onset the preview showed');
  await p.fill('#dose-ago', '5');
  await p.click('#dose');
  await p.locator('#dose-state', { hasText: 'Dose given' }).waitFor();
  assert.deepEqual(mock.commands.find((c) => c.type === 'dose').args, { back_s: 300 });
  await p.click('#onset');
  await p.locator('#phase', { hasText: 'Journey' }).waitFor();
  await p.locator('#dose-state', { hasText: 'onset marked' }).waitFor();
  await p.locator('#log li[data-kind="onset"]').waitFor();
  assert.equal(await p.locator('#timeline .tl-playhead').getAttribute('visibility'), 'visible');
});

test('console: a phase is extended by 5 minutes', { skip }, async () => {
  const p = consolePage;
  await p.selectOption('#adj-phase', 'return');
  await p.click('#extend');
  await p.locator('#log li[data-kind="extend"]').waitFor();
  assert.deepEqual(mock.commands.find((c) => c.type === 'extend').args, { phase: 'return', by_s: 300 });
});

test('console: the pairing code and its QR code', { skip }, async () => {
  const p = consolePage;
  await p.click('#pair');
  await p.locator('#pair-code', { hasText: '482913' }).waitFor();
  assert.match(await p.locator('#pair-qr').getAttribute('src'), /^data:image\/png;base64,/);
});

test('tablet: unpaired it asks calmly for a code; paired it steers the room', { skip }, async () => {
  tablet = await ipad(browser, MOCK_URL);
  await mock.attach(tablet, '');
  tabletPage = await tablet.newPage();
  errors.push(watchErrors(tabletPage));
  await tabletPage.goto('/t');
  await tabletPage.locator('#calm').waitFor();
  assert.match(await tabletPage.locator('#calm').textContent(), /ask the therapist for a new code/i);

  await tabletPage.goto('/pair?code=000000');
  await tabletPage.locator('#msg', { hasText: 'did not work' }).waitFor();
  await tabletPage.locator('#code').fill('482913');
  await tabletPage.waitForURL(`${MOCK_URL}/t`);
  await tabletPage.locator('#phase', { hasText: 'Journey' }).waitFor();
  assert.equal(await tabletPage.locator('#breath').getAttribute('data-on'), 'true');

  await tabletPage.locator('#pause').tap();
  await consolePage.locator('#pause', { hasText: 'Resume' }).waitFor({ timeout: 1000 });
  await consolePage.locator('#log li[data-kind="pause"]').waitFor({ timeout: 1000 });
  await tabletPage.locator('#pause', { hasText: 'Resume' }).waitFor();
  assert.equal(await tabletPage.locator('#breath').getAttribute('data-on'), 'false');

  await tabletPage.locator('#skip').tap();
  await consolePage.locator('#log li[data-kind="skip"]').waitFor({ timeout: 1000 });
  assert.ok(mock.commands.some((c) => c.role === 'patient' && c.type === 'skip'));
});

test('tablet: the breathing dot is still when reduced motion is asked for', { skip }, async () => {
  const anim = () => tabletPage.evaluate(() => getComputedStyle(document.getElementById('breath')).animationName);
  await tabletPage.locator('#pause').tap(); // resume: the dot breathes again
  await tabletPage.locator('#breath[data-on="true"]').waitFor();
  assert.equal(await anim(), 'breathe');
  await tabletPage.emulateMedia({ reducedMotion: 'reduce' });
  assert.equal(await anim(), 'none');
  await tabletPage.emulateMedia({ reducedMotion: 'no-preference' });
});

test('tablet: through a network blip it shows a small note, reconnects and works again', { skip }, async () => {
  mock.blip();
  await tabletPage.locator('#conn').waitFor({ state: 'visible' });
  assert.match(await tabletPage.locator('#conn').textContent(), /reconnecting/i);
  assert.equal(await tabletPage.locator('#calm').isVisible(), false, 'no "ask for a new code" view for a blip');
  mock.up();
  await tabletPage.locator('#conn').waitFor({ state: 'hidden', timeout: 15000 });
  await consolePage.locator('#conn[data-state="open"]').waitFor({ timeout: 15000 });
  await tabletPage.locator('#quiet').tap();
  await consolePage.locator('#quiet[aria-pressed="true"]').waitFor({ timeout: 1000 });
  await tabletPage.locator('#quiet').tap();
  await consolePage.locator('#quiet[aria-pressed="false"]').waitFor({ timeout: 1000 });
});

test('pages fit every size, with large enough targets', { skip }, async () => {
  const fresh = async (path) => {
    const ctx = await browser.newContext({ baseURL: MOCK_URL });
    await mock.attach(ctx, '');
    const page = await ctx.newPage();
    await page.goto(path);
    return page;
  };
  const login = await fresh('/login');
  const pair = await fresh('/pair');
  for (const size of SIZES) {
    for (const [page, name, min] of [[consolePage, 'console', 44], [tabletPage, 'tablet', 64], [login, 'login', 44], [pair, 'pair', 64]]) {
      await page.setViewportSize(size);
      await assertNoSidewaysScroll(page, `${name} at ${size.width}×${size.height}`);
      await assertTargets(page, min, `${name} at ${size.width}×${size.height}`);
      await assertContrast(page, `${name} at ${size.width}×${size.height}`);
      await shoot(page, `mock-${name}`);
    }
  }
});

test('console: ending shows the summary and the export links', { skip }, async () => {
  const p = consolePage;
  await p.click('#end');
  await p.click('#end-confirm');
  await p.locator('#after').waitFor();
  await p.locator('#summary dd', { hasText: 'Gentle arc' }).waitFor();
  assert.equal(await p.locator('#csv').getAttribute('href'), '/api/sessions/7/log?format=csv');
  assert.equal(await p.locator('#json').getAttribute('href'), '/api/sessions/7/log?format=json');
});

test('no page logged an error', { skip }, () => {
  assert.deepEqual(errors.flat(), []);
});

test('the contrast check refuses faint text and passes large text at 3:1', { skip }, async () => {
  const page = await browser.newPage();
  await page.setContent(`<body style="background:#fff">
    <p style="color:#999">faint small text</p>
    <p style="color:#767676">just enough</p>
    <p style="color:#949494;font-size:24px">large at 3:1</p>
    <button disabled style="color:#ccc">disabled</button></body>`);
  await assert.rejects(assertContrast(page, 'sample'), (err) => /faint small text/.test(err.message) &&
    !/just enough|large at 3:1|disabled/.test(err.message));
  await page.close();
});
