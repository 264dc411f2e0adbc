// The pages' pure helpers, in node without a browser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoff } from '../../server/web/static/ws.js';
import { fmtClock, phaseFit } from '../../server/web/static/timeline.js';
import { safeNext } from '../../server/web/static/api.js';

test('backoff: doubles from 0.5 s and stops at 10 s', () => {
  const mid = () => 0.5; // no jitter
  const got = [0, 1, 2, 3, 4, 5, 6, 10].map((n) => backoff(n, 500, 10000, mid));
  assert.deepEqual(got, [500, 1000, 2000, 4000, 8000, 10000, 10000, 10000]);
});

test('backoff: jitter stays within ±25 % and under the cap', () => {
  assert.equal(backoff(0, 500, 10000, () => 0), 375);
  assert.equal(backoff(0, 500, 10000, () => 1), 625);
  assert.equal(backoff(9, 500, 10000, () => 1), 10000);
  assert.equal(backoff(9, 500, 10000, () => 0), 7500);
});

test('fmtClock: minutes and seconds, hours when needed, negative before the dose', () => {
  assert.equal(fmtClock(0), '0:00');
  assert.equal(fmtClock(750000), '12:30');
  assert.equal(fmtClock(7265000), '2:01:05');
  assert.equal(fmtClock(-90000), '−1:30');
});

test('phaseFit: from the plan preview, and from the items alone', () => {
  assert.equal(phaseFit({ role: 'journey', fit_error_ms: 400 }, []), 'fits');
  assert.equal(phaseFit({ role: 'journey', fit_error_ms: 12000 }, []), '0:12 cut');
  assert.equal(phaseFit({ role: 'journey', fit_error_ms: -65000, fill: 'drone', filled_ms: 65000 }, []), '1:05 drone');
  const ph = { role: 'return', start_ms: 0, end_ms: 600000 };
  assert.equal(phaseFit(ph, [{ phase: 'return', start_ms: 0, end_ms: 535000 }]), '1:05 short');
  assert.equal(phaseFit(ph, [{ phase: 'return', start_ms: 0, end_ms: 600000 }]), 'fits');
  assert.equal(phaseFit(ph, []), 'no tracks');
});

test('safeNext: only paths on this site', () => {
  assert.equal(safeNext('/t'), '/t');
  assert.equal(safeNext('/?room=a'), '/?room=a');
  for (const bad of ['//evil.example/', 'https://evil.example/', '/\\evil.example', 'javascript:alert(1)', null]) {
    assert.equal(safeNext(bad), '/', String(bad));
  }
});
