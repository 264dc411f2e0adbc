package decode

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gopxl/beep/v2"

	"attune/media"
	"attune/media/mediatest"
)

// sine is an exact (unquantized) sine decoder, for measuring the resampler
// alone.
type sine struct {
	freq, amp float64
	rate      int
	n, pos    int
}

func (s *sine) Stream(buf [][2]float64) (int, bool) {
	n := min(len(buf), s.n-s.pos)
	for i := range n {
		v := s.amp * math.Sin(2*math.Pi*s.freq*float64(s.pos+i)/float64(s.rate))
		buf[i] = [2]float64{v, v}
	}
	s.pos += n
	return n, n > 0
}
func (s *sine) Err() error       { return nil }
func (s *sine) Len() int         { return s.n }
func (s *sine) Position() int    { return s.pos }
func (s *sine) Seek(p int) error { s.pos = p; return nil }

// frames is a cheap seekable decoder over fixed frames, so tests and
// benchmarks measure the resampler rather than a decoder.
type frames struct {
	buf [][2]float64
	pos int
}

func (f *frames) Stream(buf [][2]float64) (int, bool) {
	n := copy(buf, f.buf[f.pos:])
	f.pos += n
	return n, n > 0
}
func (f *frames) Err() error       { return nil }
func (f *frames) Len() int         { return len(f.buf) }
func (f *frames) Position() int    { return f.pos }
func (f *frames) Seek(p int) error { f.pos = p; return nil }

// noiseFrames is n frames of white noise at half scale, from a fixed seed.
func noiseFrames(n int) [][2]float64 {
	r := rand.New(rand.NewPCG(1, 2))
	buf := make([][2]float64, n)
	for i := range buf {
		buf[i] = [2]float64{r.Float64() - 0.5, r.Float64() - 0.5}
	}
	return buf
}

func resampleSine(tb testing.TB, freq float64, from, to, q, n int) [][2]float64 {
	tb.Helper()
	src := newSource(&sine{freq: freq, amp: 0.5, rate: from, n: n}, nil, 0, int64(n), 0)
	rs := newResampler(src, from, to, q)
	out := make([][2]float64, rs.outLen(int64(n))+10)
	got := rs.stream(out)
	if want := int(rs.outLen(int64(n))); got != want {
		tb.Fatalf("resampled %d frames to %d, want %d", n, got, want)
	}
	return out[:got]
}

// A 10 kHz tone resampled 44.1 → 48 kHz stays far above the resampling error
// at Quality, and lands on the right frequency and phase (the reference is
// the ideal 10 kHz sine at 48 kHz).
func TestResampler_SNR(t *testing.T) {
	const n = 44100
	snrAt := map[int]float64{}
	for _, q := range []int{1, 4, 6, 7, Quality, 16} {
		got := resampleSine(t, 10000, 44100, 48000, q, n)
		snrAt[q] = snr(got, 0.5, 10000, 48000, 100, len(got)-100)
		t.Logf("quality %2d: SNR %.1f dB at 10 kHz, 44.1 → 48 kHz", q, snrAt[q])
	}
	if snrAt[Quality] < 60 {
		t.Errorf("SNR at Quality %d = %.1f dB, want > 60", Quality, snrAt[Quality])
	}
	if snrAt[1] > 30 || snrAt[16] < 120 {
		t.Errorf("SNR at quality 1 and 16 = %.1f, %.1f dB; want about 20 and 140 (the issue's measurement)", snrAt[1], snrAt[16])
	}
	// Downsampling and a low tone.
	got := resampleSine(t, 1000, 96000, 48000, Quality, 96000)
	if s := snr(got, 0.5, 1000, 48000, 100, len(got)-100); s < 100 {
		t.Errorf("SNR of 1 kHz 96 → 48 kHz = %.1f dB, want > 100", s)
	}
}

// The resampler evaluates the same polynomial as beep.Resample, away from
// the edges (where beep shortens its window).
func TestResampler_matchesBeep(t *testing.T) {
	const n = 20000
	for _, rates := range [][2]int{{44100, 48000}, {22050, 48000}, {96000, 48000}, {32000, 44100}} {
		got := resampleSine(t, 3000, rates[0], rates[1], Quality, n)
		want := make([][2]float64, len(got))
		m, _ := beep.Resample(Quality, beep.SampleRate(rates[0]), beep.SampleRate(rates[1]),
			&sine{freq: 3000, amp: 0.5, rate: rates[0], n: n}).Stream(want)
		edge := 2 * Quality * rates[1] / rates[0]
		if d := maxDiff(got[edge+10:m-edge-10], want[edge+10:m-edge-10]); d > 1e-9 {
			t.Errorf("%d → %d Hz: differs from beep.Resample by %g", rates[0], rates[1], d)
		}
	}
}

// Through Open, a 16-bit 10 kHz WAV and FLAC at 44.1 kHz play at 48 kHz as
// the ideal 10 kHz sine from frame 0 (right frequency, no offset), far above
// the error.
func TestOpen_resampledTone(t *testing.T) {
	tone := mediatest.Tone{SampleRate: 44100, Samples: 44100, Freq: 10000, Amp: 0.5}
	for _, format := range []media.Format{media.FormatWAV, media.FormatFLAC} {
		tr, _ := openTrack(t, toneFile(t, format, tone), 48000)
		got := collect(t, tr, 1000, 1<<20)
		if s := snr(got, 0.5, 10000, 48000, 100, len(got)-100); s < 60 {
			t.Errorf("%s: SNR %.1f dB, want > 60", format, s)
		}
		if s := snr(got, 0.5, 10010, 48000, 100, len(got)-100); s > 20 {
			t.Errorf("%s: SNR against 10.01 kHz is %.1f dB: the test cannot tell frequencies apart", format, s)
		}
	}
}

// resampleFrames resamples in from → to at Quality, with or without the
// precomputed weights, reading in chunks of chunk frames after a seek to
// output frame p.
func resampleFrames(tb testing.TB, in [][2]float64, from, to int, table bool, p int64, chunk int) [][2]float64 {
	tb.Helper()
	src := newSource(&frames{buf: in}, nil, 0, int64(len(in)), 0)
	rs := newResampler(src, from, to, Quality)
	if table != (rs.table != nil) {
		if table {
			tb.Fatalf("%d → %d Hz: no weight table, want one", from, to)
		}
		rs.table = nil
	}
	at := max(rs.start(p), 0)
	if err := src.seek(at); err != nil {
		tb.Fatalf("source seek to %d: %v", at, err)
	}
	rs.reset(p, at)
	var out [][2]float64
	buf := make([][2]float64, chunk)
	for {
		n := rs.stream(buf)
		out = append(out, buf[:n]...)
		if n < len(buf) {
			return out
		}
	}
}

// The precomputed weights give exactly the samples the weights computed per
// frame give, for every rate that occurs.
func TestResampler_tableMatchesPerFrame(t *testing.T) {
	in := noiseFrames(20000)
	for _, rates := range [][2]int{
		{44100, 48000}, {22050, 48000}, {32000, 48000}, {88200, 48000}, {96000, 48000}, {192000, 48000},
		{11025, 48000}, {48000, 44100}, {32000, 44100}, {8000, 44100},
	} {
		want := resampleFrames(t, in, rates[0], rates[1], false, 0, 1000)
		got := resampleFrames(t, in, rates[0], rates[1], true, 0, 1000)
		if len(got) != len(want) {
			t.Fatalf("%d → %d Hz: %d frames with the table, %d without", rates[0], rates[1], len(got), len(want))
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("%d → %d Hz: frame %d = %v with the table, %v without", rates[0], rates[1], i, got[i], want[i])
			}
		}
	}
}

// A seek to output frame p, at any phase, streams exactly what a continuous
// run streams from p, with and without a table (47999 Hz has 48000 phases:
// no table).
func TestResampler_seekExact(t *testing.T) {
	in := noiseFrames(10000)
	for _, rates := range [][2]int{{44100, 48000}, {96000, 48000}, {48000, 44100}, {47999, 48000}} {
		want := resampleFrames(t, in, rates[0], rates[1], false, 0, 4096)
		for _, p := range []int64{1, 7, 159, 160, 161, 1234, int64(len(want)) - 3, int64(len(want))} {
			got := resampleFrames(t, in, rates[0], rates[1], rates[0] != 47999, p, 333)
			if len(got) != len(want)-int(p) {
				t.Fatalf("%d → %d Hz, seek to %d: %d frames, want %d", rates[0], rates[1], p, len(got), len(want)-int(p))
			}
			for i := range got {
				if got[i] != want[int(p)+i] {
					t.Fatalf("%d → %d Hz, seek to %d: frame %d = %v, want %v", rates[0], rates[1], p, int(p)+i, got[i], want[int(p)+i])
				}
			}
		}
	}
}
