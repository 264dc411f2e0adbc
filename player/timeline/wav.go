package timeline

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
)

// WAV output: 24-bit signed PCM, stereo. 24 bits keep the quantization
// noise (−144 dBFS) far below anything audible even in the quietest fade
// tails, with no dither needed; 16 bits would put it at −96 dBFS, audible
// in long fades through headphones at high gain.
const (
	wavChannels   = 2
	wavBytes      = 3 // per sample
	wavFrameBytes = wavChannels * wavBytes
	wavHeaderSize = 44
	// A RIFF size field is 32 bits: a WAV holds at most this many frames.
	wavMaxFrames = (math.MaxUint32 - wavHeaderSize) / wavFrameBytes
	fullScale24  = 1<<23 - 1
)

// wavWriter writes a 24-bit stereo WAV. Its header is written first with the
// final sizes, which the caller knows in advance, and rewritten on close
// with the sizes actually written.
type wavWriter struct {
	w       io.WriteSeeker
	bw      *bufio.Writer
	buf     []byte
	rate    int
	frames  int64
	peak    float64 // largest |sample| before clipping
	clipped int64   // samples beyond full scale, clamped
}

func newWAVWriter(w io.WriteSeeker, rate int, frames int64) (*wavWriter, error) {
	if frames > wavMaxFrames {
		return nil, fmt.Errorf("wav: %d frames do not fit in a WAV file (at most %d, %.1f hours at %d Hz)",
			frames, int64(wavMaxFrames), float64(wavMaxFrames)/float64(rate)/3600, rate)
	}
	ww := &wavWriter{w: w, bw: bufio.NewWriterSize(w, 1<<16), rate: rate}
	if _, err := ww.bw.Write(wavHeader(rate, frames)); err != nil {
		return nil, fmt.Errorf("wav: write header: %w", err)
	}
	return ww, nil
}

func wavHeader(rate int, frames int64) []byte {
	data := uint32(frames * wavFrameBytes)
	h := make([]byte, 0, wavHeaderSize)
	h = append(h, "RIFF"...)
	h = binary.LittleEndian.AppendUint32(h, wavHeaderSize-8+data)
	h = append(h, "WAVEfmt "...)
	h = binary.LittleEndian.AppendUint32(h, 16)
	h = binary.LittleEndian.AppendUint16(h, 1) // PCM
	h = binary.LittleEndian.AppendUint16(h, wavChannels)
	h = binary.LittleEndian.AppendUint32(h, uint32(rate))
	h = binary.LittleEndian.AppendUint32(h, uint32(rate*wavFrameBytes))
	h = binary.LittleEndian.AppendUint16(h, wavFrameBytes)
	h = binary.LittleEndian.AppendUint16(h, wavBytes*8)
	h = append(h, "data"...)
	h = binary.LittleEndian.AppendUint32(h, data)
	return h
}

// write encodes frames, rounding to the nearest 24-bit step (halves away
// from zero, as math.Round)
// and clamping to full scale (counted in clipped).
func (ww *wavWriter) write(frames [][2]float64) error {
	need := len(frames) * wavFrameBytes
	if cap(ww.buf) < need {
		ww.buf = make([]byte, need)
	}
	b := ww.buf[:need]
	peak := ww.peak
	for i, f := range frames {
		for c := range wavChannels {
			x := f[c]
			peak = max(peak, x, -x)
			v := x * fullScale24
			if v >= 0 { // the conversion below truncates: this rounds halves away from zero
				v += 0.5
			} else {
				v -= 0.5
			}
			if v >= fullScale24+1 {
				v, ww.clipped = fullScale24, ww.clipped+1
			} else if v <= -fullScale24-2 {
				v, ww.clipped = -fullScale24-1, ww.clipped+1
			}
			s := int32(v)
			o := i*wavFrameBytes + c*wavBytes
			b[o], b[o+1], b[o+2] = byte(s), byte(s>>8), byte(s>>16)
		}
	}
	ww.peak = peak
	ww.frames += int64(len(frames))
	if _, err := ww.bw.Write(b); err != nil {
		return fmt.Errorf("wav: write: %w", err)
	}
	return nil
}

// close flushes and, if fewer frames were written than announced, rewrites
// the header so the file is valid as far as it goes.
func (ww *wavWriter) close(announced int64) error {
	if err := ww.bw.Flush(); err != nil {
		return fmt.Errorf("wav: flush: %w", err)
	}
	if ww.frames == announced {
		return nil
	}
	if _, err := ww.w.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("wav: rewrite header: %w", err)
	}
	if _, err := ww.w.Write(wavHeader(ww.rate, ww.frames)); err != nil {
		return fmt.Errorf("wav: rewrite header: %w", err)
	}
	if _, err := ww.w.Seek(0, io.SeekEnd); err != nil {
		return fmt.Errorf("wav: rewrite header: %w", err)
	}
	return nil
}
