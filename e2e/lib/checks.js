// checks.js: layout assertions shared by the tests.
import assert from 'node:assert/strict';

/** Asserts the page does not scroll sideways at its current size. */
export async function assertNoSidewaysScroll(page, what) {
  const { scroll, inner } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));
  assert.ok(scroll <= inner, `${what}: got a page ${scroll} px wide in a ${inner} px window, want no sideways scrolling`);
}

/** Asserts every visible button and link-button is at least min px in both directions. */
export async function assertTargets(page, min, what) {
  const small = await page.evaluate((min) => {
    const out = [];
    for (const el of document.querySelectorAll('button, a.button, select, input:not([type=checkbox]):not([type=radio]):not([type=range])')) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue; // hidden
      if (r.height < min - 0.5 || r.width < min - 0.5) out.push(`${el.id || el.textContent.trim()}: ${Math.round(r.width)}×${Math.round(r.height)}`);
    }
    return out;
  }, min);
  assert.deepEqual(small, [], `${what}: got targets smaller than ${min} px: ${small.join(', ')}`);
}
