// wav.js: small audio files for upload tests, written byte by byte so the
// tests need no encoder.

/**
 * A 16-bit PCM mono WAV of a sine at freq Hz: a RIFF header, a fmt chunk and
 * a data chunk. Different frequencies give different files (and tracks).
 */
export function sineWav({ freq = 440, seconds = 3, rate = 44100, gain = 0.25 } = {}) {
  const frames = Math.round(seconds * rate);
  const data = frames * 2;
  const b = Buffer.alloc(44 + data);
  b.write('RIFF', 0, 'ascii');
  b.writeUInt32LE(36 + data, 4);
  b.write('WAVE', 8, 'ascii');
  b.write('fmt ', 12, 'ascii');
  b.writeUInt32LE(16, 16); // fmt chunk size
  b.writeUInt16LE(1, 20); // PCM
  b.writeUInt16LE(1, 22); // mono
  b.writeUInt32LE(rate, 24);
  b.writeUInt32LE(rate * 2, 28); // bytes per second
  b.writeUInt16LE(2, 32); // block align
  b.writeUInt16LE(16, 34); // bits per sample
  b.write('data', 36, 'ascii');
  b.writeUInt32LE(data, 40);
  for (let i = 0; i < frames; i++) {
    b.writeInt16LE(Math.round(Math.sin((2 * Math.PI * freq * i) / rate) * gain * 32767), 44 + i * 2);
  }
  return b;
}

/** Bytes that are no audio file at all, whatever their name says. */
export function junk(n = 4096, seed = 7) {
  const b = Buffer.alloc(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0; // a fixed generator: the same junk every run
    b[i] = x >>> 24;
  }
  return b;
}
