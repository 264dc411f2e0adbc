package output

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sync/atomic"
	"time"
)

// WAV layout: canonical 44-byte header, 24-bit signed PCM, stereo.
const (
	wavBytes      = 3 // per sample
	wavFrameBytes = 2 * wavBytes
	wavHeaderSize = 44
	// A RIFF size field is 32 bits: a WAV holds at most this many frames
	// (about 4 h 8 min at 48 kHz).
	wavMaxFrames = (math.MaxUint32 - wavHeaderSize) / wavFrameBytes
	fullScale24  = 1<<23 - 1
	// wavHeaderEvery is how much audio is written between header rewrites.
	wavHeaderEvery = 5 * time.Second
)

// ErrWAVFull is returned by WAV.Write when the file has reached the 4 GiB a
// WAV's 32-bit size fields can describe; what was written stays valid.
var ErrWAVFull = errors.New("output: WAV file full (4 GiB)")

// WAV writes the mix to a 24-bit stereo PCM WAV file. It is not paced: the
// engine writes it as fast as it renders (the speaker or the monotonic clock
// paces a live room).
type WAV struct {
	w      io.WriteSeeker
	file   *os.File // the file CreateWAV opened, closed by Close; nil for NewWAV
	bw     *bufio.Writer
	buf    []byte  // conversion buffer, reused by every Write
	size   [4]byte // a header size field, reused likewise
	rate   int
	start  int64        // offset of the header in w
	frames atomic.Int64 // frames written
	synced int64        // frames described by the header on disk
	every  int64        // frames between header rewrites
	closed bool
	err    error // first write error; the sink is broken after it
}

// CreateWAV creates (or truncates) the file at path and returns a WAV sink
// writing to it at rate Hz; Close closes the file.
func CreateWAV(path string, rate int) (*WAV, error) {
	if rate <= 0 {
		return nil, fmt.Errorf("wav: create %s: invalid rate %d Hz", path, rate)
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("wav: %w", err)
	}
	w, err := NewWAV(f, rate)
	if err != nil {
		f.Close()
		return nil, err
	}
	w.file = f
	return w, nil
}

// NewWAV returns a WAV sink writing to w, from w's current offset, at rate
// Hz. Close finishes the file but does not close w.
func NewWAV(w io.WriteSeeker, rate int) (*WAV, error) {
	if rate <= 0 {
		return nil, fmt.Errorf("wav: invalid rate %d Hz", rate)
	}
	start, err := w.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, fmt.Errorf("wav: find the start offset: %w", err)
	}
	ww := &WAV{
		start: start,
		w:     w,
		bw:    bufio.NewWriterSize(w, 1<<16),
		buf:   make([]byte, 4096*wavFrameBytes),
		rate:  rate,
		every: int64(wavHeaderEvery.Seconds() * float64(rate)),
	}
	if _, err := ww.bw.Write(wavHeader(rate, 0)); err != nil {
		return nil, fmt.Errorf("wav: write header: %w", err)
	}
	return ww, nil
}

// wavHeader is the canonical header of a file of frames frames.
func wavHeader(rate int, frames int64) []byte {
	data := uint32(frames * wavFrameBytes)
	h := make([]byte, 0, wavHeaderSize)
	h = append(h, "RIFF"...)
	h = binary.LittleEndian.AppendUint32(h, wavHeaderSize-8+data)
	h = append(h, "WAVEfmt "...)
	h = binary.LittleEndian.AppendUint32(h, 16)
	h = binary.LittleEndian.AppendUint16(h, 1) // PCM
	h = binary.LittleEndian.AppendUint16(h, 2)
	h = binary.LittleEndian.AppendUint32(h, uint32(rate))
	h = binary.LittleEndian.AppendUint32(h, uint32(rate*wavFrameBytes))
	h = binary.LittleEndian.AppendUint16(h, wavFrameBytes)
	h = binary.LittleEndian.AppendUint16(h, wavBytes*8)
	h = append(h, "data"...)
	h = binary.LittleEndian.AppendUint32(h, data)
	return h
}

// Paced reports false: a file takes the mix as fast as it comes.
func (w *WAV) Paced() bool { return false }

// Frames is the number of frames written so far; it may be called from any
// goroutine.
func (w *WAV) Frames() int64 { return w.frames.Load() }

// Write encodes block as 24-bit PCM (clamping to ±1, rounding to nearest)
// into a reused buffer and writes it through a 64 KiB buffer; every 5 s of
// audio it rewrites the header's sizes. A block that would take the file past
// 4 GiB is cut at the limit and ErrWAVFull returned. After a write error the
// sink is broken and returns that error.
func (w *WAV) Write(block [][2]float64) error {
	if w.closed {
		return fmt.Errorf("wav: write: %w", ErrClosed)
	}
	if w.err != nil {
		return w.err
	}
	var full bool
	if room := wavMaxFrames - w.frames.Load(); int64(len(block)) > room {
		block, full = block[:room], true
	}
	for len(block) > 0 {
		n := min(len(block), len(w.buf)/wavFrameBytes)
		toS24(w.buf[:n*wavFrameBytes], block[:n])
		if _, err := w.bw.Write(w.buf[:n*wavFrameBytes]); err != nil {
			w.err = fmt.Errorf("wav: write: %w", err)
			return w.err
		}
		w.frames.Add(int64(n))
		block = block[n:]
	}
	if w.frames.Load()-w.synced >= w.every {
		if err := w.sync(); err != nil {
			w.err = err
			return err
		}
	}
	if full {
		return fmt.Errorf("wav: write: %w", ErrWAVFull)
	}
	return nil
}

// sync flushes the buffer and rewrites the header with the sizes written so
// far, leaving the offset at the end of the data.
func (w *WAV) sync() error {
	if err := w.bw.Flush(); err != nil {
		return fmt.Errorf("wav: flush: %w", err)
	}
	frames := w.frames.Load()
	if w.synced == frames {
		return nil
	}
	data := uint32(frames * wavFrameBytes)
	for _, p := range [...]struct {
		off int64
		v   uint32
	}{{4, wavHeaderSize - 8 + data}, {40, data}} {
		binary.LittleEndian.PutUint32(w.size[:], p.v)
		if _, err := w.w.Seek(w.start+p.off, io.SeekStart); err != nil {
			return fmt.Errorf("wav: rewrite header: %w", err)
		}
		if _, err := w.w.Write(w.size[:]); err != nil {
			return fmt.Errorf("wav: rewrite header: %w", err)
		}
	}
	if _, err := w.w.Seek(w.start+wavHeaderSize+int64(data), io.SeekStart); err != nil {
		return fmt.Errorf("wav: rewrite header: %w", err)
	}
	w.synced = frames
	return nil
}

// Close flushes, rewrites the header with the final sizes and, if CreateWAV
// opened the file, closes it. It is idempotent.
func (w *WAV) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	var err error
	if w.err == nil {
		err = w.sync()
	}
	if w.file != nil {
		if cerr := w.file.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("wav: close: %w", cerr))
		}
	}
	return err
}

// toS24 converts frames to interleaved little-endian 24-bit samples in dst
// (len(dst) == 6*len(src)), clamping to ±1 and rounding to the nearest step.
func toS24(dst []byte, src [][2]float64) {
	_ = dst[wavFrameBytes*len(src)-1]
	for i, f := range src {
		for c := range 2 {
			x := f[c]
			if x != x { // NaN
				x = 0
			}
			v := max(-1, min(1, x)) * fullScale24
			if v >= 0 {
				v += 0.5
			} else {
				v -= 0.5
			}
			s := int32(v)
			o := i*wavFrameBytes + c*wavBytes
			dst[o], dst[o+1], dst[o+2] = byte(s), byte(s>>8), byte(s>>16)
		}
	}
}
