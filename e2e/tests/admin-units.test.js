// The admin page's pure helpers, in node without a browser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { duration, db, bytes, move, analysis } from '../../server/web/static/admin-util.js';

test('duration: minutes and seconds, hours when needed, a dash for nonsense', () => {
  assert.equal(duration(312000), '5:12');
  assert.equal(duration(4000000), '1:06:40');
  assert.equal(duration(0), '0:00');
  assert.equal(duration(-1), '–');
  assert.equal(duration(undefined), '–');
});

test('db: one decimal with a real minus sign; a dash for silence', () => {
  assert.equal(db(-21.34, 'LUFS'), '−21.3 LUFS');
  assert.equal(db(0.5, 'dBTP'), '0.5 dBTP');
  assert.equal(db(null, 'LUFS'), '–');
});

test('bytes: binary units', () => {
  assert.equal(bytes(512), '512 B');
  assert.equal(bytes(1536), '1.5 KiB');
  assert.equal(bytes(3 * 1024 * 1024), '3.0 MiB');
});

test('move: moves one item, leaves the list alone out of range', () => {
  const l = ['a', 'b', 'c', 'd'];
  assert.deepEqual(move(l, 0, 2), ['b', 'c', 'a', 'd']);
  assert.deepEqual(move(l, 3, 0), ['d', 'a', 'b', 'c']);
  assert.deepEqual(move(l, 0, 4), l);
  assert.deepEqual(l, ['a', 'b', 'c', 'd'], 'the input is not changed');
});

test('analysis: the words for each state', () => {
  assert.equal(analysis({ state: 'done', error: '' }), 'measured');
  assert.equal(analysis({ state: 'pending', error: '' }), 'pending');
  assert.equal(analysis({ state: 'failed', error: 'decode: bad frame' }), 'failed: decode: bad frame');
  assert.equal(analysis(null), 'not yet');
});
