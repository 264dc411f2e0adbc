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

/**
 * Asserts WCAG 2.x AA contrast for every visible piece of text: 4.5:1, or
 * 3:1 for large text (24 px, or 18.66 px bold). The background is the
 * nearest ancestor's opaque background colour (pages here paint no text on
 * images); disabled controls are exempt, as WCAG exempts them.
 */
export async function assertContrast(page, what) {
  const bad = await page.evaluate(() => {
    const parse = (c) => {
      const m = c.match(/rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*([\d.]+))?\)/);
      return m ? [Number(m[1]), Number(m[2]), Number(m[3]), m[4] === undefined ? 1 : Number(m[4])] : null;
    };
    const lum = ([r, g, b]) => {
      const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const background = (el) => {
      // Composite translucent backgrounds over the ones below them.
      const layers = [];
      for (let e = el; e; e = e.parentElement) {
        const c = parse(getComputedStyle(e).backgroundColor);
        if (c && c[3] > 0) {
          layers.push(c);
          if (c[3] >= 1) break;
        }
      }
      let out = [255, 255, 255];
      for (const [r, g, b, a] of layers.reverse()) out = [r * a + out[0] * (1 - a), g * a + out[1] * (1 - a), b * a + out[2] * (1 - a)];
      return out;
    };
    const out = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const seen = new Set();
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (!el || seen.has(el) || !n.textContent.trim()) continue;
      seen.add(el);
      const r = el.getBoundingClientRect();
      const s = getComputedStyle(el);
      if (r.width === 0 || r.height === 0 || s.visibility === 'hidden' || Number(s.opacity) === 0) continue;
      if (el.closest('[disabled], [aria-disabled="true"], svg')) continue;
      const fg = parse(s.color);
      if (!fg) continue;
      const bg = background(el);
      const a = fg[3];
      const fgc = [fg[0] * a + bg[0] * (1 - a), fg[1] * a + bg[1] * (1 - a), fg[2] * a + bg[2] * (1 - a)];
      const [l1, l2] = [lum(fgc), lum(bg)].sort((x, y) => y - x);
      const ratio = (l1 + 0.05) / (l2 + 0.05);
      const size = parseFloat(s.fontSize);
      const large = size >= 24 || (size >= 18.66 && Number(s.fontWeight) >= 700);
      if (ratio < (large ? 3 : 4.5)) out.push(`"${n.textContent.trim().slice(0, 30)}" ${ratio.toFixed(2)}:1 (${s.color} on rgb(${bg.map(Math.round).join(',')}))`);
    }
    return out;
  });
  assert.deepEqual(bad, [], `${what}: text below WCAG AA contrast: ${bad.join('; ')}`);
}
