// browser.js: Debian's Chromium driven by playwright-core (no downloaded
// browsers: `npx playwright install` cannot reach the internet here).
import { chromium, devices } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'artifacts');

/** The sizes every page is checked and photographed at. */
export const SIZES = [
  { width: 768, height: 1024 },
  { width: 1024, height: 768 },
  { width: 1280, height: 800 },
];

/** Starts headless Chromium. */
export function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
}

/** A laptop browser context for staff. */
export function laptop(browser, baseURL) {
  return browser.newContext({ baseURL, viewport: { width: 1280, height: 800 } });
}

/** An iPad-like context: 768×1024, touch, the iPad's user agent. */
export function ipad(browser, baseURL) {
  const d = devices['iPad (gen 7)'] || {};
  return browser.newContext({
    baseURL,
    userAgent: d.userAgent,
    viewport: { width: 768, height: 1024 },
    deviceScaleFactor: 1,
    isMobile: true,
    hasTouch: true,
  });
}

/** Saves a screenshot of page as artifacts/NAME-WxH.png. */
export async function shoot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const { width, height } = page.viewportSize();
  const file = join(ARTIFACTS, `${name}-${width}x${height}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/**
 * Collects the page's console errors and uncaught exceptions, so a test can
 * assert a page ran cleanly.
 */
export function watchErrors(page) {
  const errors = [];
  page.on('pageerror', (err) => errors.push(`uncaught: ${err.message}`));
  page.on('console', (msg) => {
    // an API answering 4xx is the page's business (a wrong pairing code is
    // expected); scripts failing, CSP refusals and the like are not
    if (msg.type() === 'error' && !/Failed to load resource: the server responded with a status of 4\d\d/.test(msg.text())) errors.push(`console: ${msg.text()}`);
  });
  return errors;
}

/**
 * Opens path on a page without a login, which sends it to /login; signs in
 * as user and waits to be back at path.
 */
export async function signIn(page, baseURL, path, user) {
  await page.goto(path);
  await page.waitForURL(/\/login/);
  await page.fill('#name', user.name);
  await page.fill('#password', user.password);
  await page.click('#go');
  await page.waitForURL(`${baseURL}${path}`);
}
