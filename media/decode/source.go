package decode

import (
	"errors"
	"fmt"
	"math"

	"github.com/gopxl/beep/v2"
)

// maxStalls is how many calls in a row a decoder may return no samples while
// saying more will come before the track fails as stuck.
const maxStalls = 8

// reopenFunc opens a fresh decoder of the same file, positioned at its start.
type reopenFunc func() (beep.StreamSeeker, error)

// source is a decoder made safe and trimmed: it yields exactly samples
// sample frames, the first being the first real sample of the file (the
// decoder's first skip frames are dropped, and whatever it emits after the
// real audio). Every call into the decoder recovers panics; a decoder that
// stalls, fails or ends early ends the source with err set.
type source struct {
	dec     beep.StreamSeeker
	reopen  reopenFunc // nil when the decoder cannot be reopened
	skip    int64      // decoder frames before the first real sample
	samples int64      // real sample frames
	preroll int64      // frames to decode before a seek target, for decoders that need their history (MP3)
	// seekLimit is the last decoder frame the decoder is asked to
	// seek to; later targets are reached by decoding from there.
	seekLimit int64

	pos     int64 // next real sample frame read returns
	pending int64 // decoder frames to drop before pos
	stalls  int
	done    bool
	err     error
	scratch [][2]float64 // where dropped frames go
}

func newSource(dec beep.StreamSeeker, reopen reopenFunc, skip, samples, preroll int64) *source {
	return &source{
		dec: dec, reopen: reopen, skip: skip, samples: samples, preroll: preroll,
		pending: skip, seekLimit: math.MaxInt64,
		scratch: make([][2]float64, 1024),
	}
}

// read fills buf with the next real sample frames and returns how many it
// wrote. Fewer than len(buf) means the source has ended: at its last sample
// (err nil) or early (err says why).
func (s *source) read(buf [][2]float64) int {
	filled := 0
	for filled < len(buf) && !s.done {
		if s.pending > 0 {
			n := s.pull(s.scratch[:min(s.pending, int64(len(s.scratch)))])
			s.pending -= int64(n)
			continue
		}
		left := s.samples - s.pos
		if left <= 0 {
			s.done = true
			break
		}
		n := s.pull(buf[filled : filled+int(min(int64(len(buf)-filled), left))])
		filled += n
		s.pos += int64(n)
	}
	return filled
}

// pull calls the decoder once, turning a panic, an error, an early end or a
// stall into s.err and s.done.
func (s *source) pull(buf [][2]float64) (n int) {
	defer func() {
		if p := recover(); p != nil {
			n = 0
			s.fail(fmt.Errorf("decoder panic: %v", p))
		}
	}()
	n, ok := s.dec.Stream(buf)
	if n < 0 || n > len(buf) {
		s.fail(fmt.Errorf("decoder returned %d samples for a buffer of %d", n, len(buf)))
		return 0
	}
	switch {
	case n > 0:
		s.stalls = 0
	case !ok:
		at := s.pos
		if err := s.dec.Err(); err != nil {
			s.fail(fmt.Errorf("decoding failed at sample %d of %d: %w", at, s.samples, err))
		} else {
			s.fail(fmt.Errorf("the audio ended at sample %d of %d (file truncated or damaged)", at, s.samples))
		}
	default:
		if s.stalls++; s.stalls >= maxStalls {
			s.fail(fmt.Errorf("decoder stuck: no samples in %d calls at sample %d", s.stalls, s.pos))
		}
	}
	return n
}

func (s *source) fail(err error) {
	if s.err == nil {
		s.err = err
	}
	s.done = true
}

// seek positions the source at real sample frame p (0 ≤ p ≤ samples). When
// the decoder's own seek fails or panics (mewkiz/flac does, seeking into a
// fixed-blocksize stream's last frame), it reopens the decoder and seeks
// earlier, or decodes from the start, dropping frames up to p.
func (s *source) seek(p int64) error {
	if p < 0 || p > s.samples {
		return fmt.Errorf("position %d out of range [0, %d]", p, s.samples)
	}
	target := p + s.skip
	from := target - s.preroll
	from = max(min(from, s.seekLimit), 0)
	err := s.rawSeek(from)
	// Earlier and earlier seeks, each on a fresh decoder; 0 needs no seek.
	for _, back := range []int64{1 << 16, 1 << 20, -1} {
		if err == nil || s.reopen == nil {
			break
		}
		if from == 0 {
			break
		}
		dec, rerr := s.safeReopen()
		if rerr != nil {
			err = fmt.Errorf("%w; reopening the file: %w", err, rerr)
			break
		}
		s.dec = dec
		if back < 0 || from <= back {
			from, err = 0, nil
			break
		}
		from -= back
		err = s.rawSeek(from)
	}
	if err != nil {
		s.fail(fmt.Errorf("seek to sample %d: %w", p, err))
		return s.err
	}
	s.pos, s.pending, s.stalls = p, target-from, 0
	s.done, s.err = false, nil
	return nil
}

func (s *source) rawSeek(at int64) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("decoder panic: %v", p)
		}
	}()
	if at > int64(s.dec.Len()) && s.dec.Len() > 0 {
		return errors.New("past the decoder's end")
	}
	return s.dec.Seek(int(at))
}

func (s *source) safeReopen() (dec beep.StreamSeeker, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("decoder panic: %v", p)
		}
	}()
	return s.reopen()
}
