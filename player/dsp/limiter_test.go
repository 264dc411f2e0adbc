package dsp

import (
	"math"
	"testing"
	"time"

	"github.com/gopxl/beep/v2"
)

func newLimiter(tb testing.TB, s beep.Streamer) *Limiter {
	tb.Helper()
	l, err := NewLimiter(s, rate, DefaultLimiterConfig())
	if err != nil {
		tb.Fatalf("NewLimiter: %v", err)
	}
	return l
}

// render renders buf through a default limiter and returns the output
// without the latency, aligned with buf, and the limiter.
func render(tb testing.TB, buf [][2]float64) ([][2]float64, *Limiter) {
	tb.Helper()
	l := newLimiter(tb, slice(buf))
	out := collect(tb, l, len(buf)+l.Latency()+1, 500)
	if len(out) != len(buf)+l.Latency() {
		tb.Fatalf("got %d samples, want input %d + latency %d", len(out), len(buf), l.Latency())
	}
	for i, s := range out[:l.Latency()] {
		if s != [2]float64{} {
			tb.Fatalf("latency sample %d = %v, want silence", i, s)
		}
	}
	return out[l.Latency():], l
}

// sineBuf returns n frames of a sine at freq Hz and amplitude amp.
func sineBuf(freq, amp float64, n int) [][2]float64 {
	buf := make([][2]float64, n)
	sine(freq, amp).Stream(buf)
	return buf
}

func TestLimiter_Latency(t *testing.T) {
	l := newLimiter(t, dc(0))
	if got := l.Latency(); got != 480 {
		t.Errorf("Latency() = %d, want 480 (10 ms at 48 kHz)", got)
	}
}

func TestLimiter_BelowCeilingBitExact(t *testing.T) {
	for name, in := range map[string][][2]float64{
		"sine -3 dBFS":   sineBuf(1000, DBToGain(-3), 48000),
		"noise -1.01 dB": noise(4, 48000, DBToGain(-1.01)),
	} {
		out, l := render(t, in)
		for i := range in {
			if out[i] != in[i] {
				t.Fatalf("%s: sample %d = %v, want %v (bit-exact)", name, i, out[i], in[i])
			}
		}
		if l.Clamped() != 0 || l.Reduction() != 0 {
			t.Errorf("%s: Clamped %d Reduction %v, want 0 0", name, l.Clamped(), l.Reduction())
		}
	}
}

func TestLimiter_CeilingHolds(t *testing.T) {
	ceiling := DBToGain(DefaultLimiterConfig().CeilingDB)
	highest := 0.0
	for _, over := range []float64{0, 0.5, 3, 6, 10, 15, 20} {
		amp := DBToGain(DefaultLimiterConfig().CeilingDB + over)
		signals := map[string][][2]float64{
			"sine 50 Hz":   sineBuf(50, amp, 48000),
			"sine 1 kHz":   sineBuf(1000, amp, 48000),
			"sine 15 kHz":  sineBuf(15000, amp, 48000),
			"noise":        noise(5, 48000, amp),
			"impulses":     impulses(48000, amp, 997),
			"impulse pair": impulses(48000, amp, 241),
		}
		for name, in := range signals {
			out, l := render(t, in)
			p := peak(out)
			if p > ceiling {
				t.Errorf("+%v dB %s: peak %.12f, want ≤ ceiling %.12f", over, name, p, ceiling)
			}
			highest = max(highest, p)
			if l.Clamped() != 0 {
				t.Errorf("+%v dB %s: final clamp engaged %d times, want 0", over, name, l.Clamped())
			}
		}
	}
	t.Logf("highest output peak %.3g dB below the ceiling", -GainToDB(highest/ceiling))
}

// impulses returns n frames of silence with a single-sample impulse of
// amplitude amp every every samples, alternating in sign.
func impulses(n int, amp float64, every int) [][2]float64 {
	buf := make([][2]float64, n)
	for i := every / 2; i < n; i += every {
		buf[i] = [2]float64{amp, -amp}
		amp = -amp
	}
	return buf
}

func TestLimiter_LevelJumpNoClick(t *testing.T) {
	cfg := DefaultLimiterConfig()
	ceiling := DBToGain(cfg.CeilingDB)
	quiet, loud := DBToGain(-20), DBToGain(cfg.CeilingDB+20)
	for _, f := range []float64{50, 100, 440, 1000, 3000} {
		// −20 dBFS for 1 s, 20 dB over the ceiling for 1 s, then −20 again
		// for 5 s. The jumps happen at zero crossings (whole periods fit in
		// 1 s), so the input has no step bigger than its loud sine's own.
		in := sineBuf(f, quiet, 48000)
		loudPart := sineBuf(f, loud, 48000)
		in = append(in, loudPart...)
		in = append(in, sineBuf(f, quiet, 5*48000)...)
		out, l := render(t, in)
		if p := peak(out); p > ceiling {
			t.Errorf("%v Hz: peak %.12f, want ≤ ceiling %.12f", f, p, ceiling)
		}
		if l.Clamped() != 0 {
			t.Errorf("%v Hz: final clamp engaged %d times, want 0", f, l.Clamped())
		}
		// The music itself: the loud sine brought down so that its highest
		// sample sits on the ceiling (its true peak falls between samples).
		// After the last loud peak the gain starts to release, so the final
		// quarter wave comes out up to a few tenths of a dB louder than a
		// steady limited sine (+0.24 dB at 50 Hz, where the quarter wave is
		// 5 ms): allow 0.3 dB over the music's own step.
		own := sineStep(f, ceiling*loud/peak(loudPart))
		step, at := maxStep(out)
		if step > own*DBToGain(0.3) {
			t.Errorf("%v Hz: max step %g at sample %d, want ≤ %g (the limited sine's own)", f, step, at, own)
		}
		t.Logf("%v Hz: max step %.6f at %d, limited sine's own %.6f", f, step, at, own)
		// The release recovers fully (from −20 dB to within 1e-7 of unity
		// takes 200 ms × ln(0.9/1e-7) ≈ 3.2 s): the last 1.5 s are
		// bit-exact again.
		for i := len(in) - 3*48000/2; i < len(in); i++ {
			if out[i] != in[i] {
				t.Fatalf("%v Hz: sample %d = %v, want %v (bit-exact after release)", f, i, out[i], in[i])
			}
		}
		if l.Reduction() != 0 {
			t.Errorf("%v Hz: Reduction() = %v after recovery, want 0", f, l.Reduction())
		}
	}
}

func TestLimiter_NonFiniteInput(t *testing.T) {
	in := sineBuf(1000, 0.5, 4800)
	in[1000] = [2]float64{math.NaN(), math.Inf(1)}
	out, l := render(t, in)
	if out[1000] != [2]float64{} {
		t.Errorf("non-finite sample came out as %v, want zeros", out[1000])
	}
	if l.Clamped() != 2 {
		t.Errorf("Clamped() = %d, want 2", l.Clamped())
	}
	if p := peak(out); !(p <= DBToGain(-1)) {
		t.Errorf("peak %v, want ≤ ceiling", p)
	}
}

func TestLimiter_Drains(t *testing.T) {
	l := newLimiter(t, slice(noise(6, 700, 0.5)))
	buf := make([][2]float64, 512)
	// 700 samples in, 1180 out.
	for i, want := range []int{512, 512, 156} {
		if n, ok := l.Stream(buf); n != want || !ok {
			t.Errorf("Stream %d = %d, %v; want %d, true", i, n, ok, want)
		}
	}
	for range 2 {
		if n, ok := l.Stream(buf); n != 0 || ok {
			t.Errorf("Stream after drain = %d, %v; want 0, false", n, ok)
		}
	}
}

func TestLimiterConfig_Validate(t *testing.T) {
	good := DefaultLimiterConfig()
	if err := good.Validate(); err != nil {
		t.Fatalf("default config: %v", err)
	}
	bad := []LimiterConfig{
		{CeilingDB: 1, Lookahead: good.Lookahead, Release: good.Release},
		{CeilingDB: math.NaN(), Lookahead: good.Lookahead, Release: good.Release},
		{CeilingDB: -1, Lookahead: 0, Release: good.Release},
		{CeilingDB: -1, Lookahead: time.Second, Release: good.Release},
		{CeilingDB: -1, Lookahead: good.Lookahead, Release: 0},
	}
	for _, c := range bad {
		if err := c.Validate(); err == nil {
			t.Errorf("Validate(%+v) = nil, want an error", c)
		}
		if _, err := NewLimiter(dc(0), rate, c); err == nil {
			t.Errorf("NewLimiter(%+v) succeeded, want an error", c)
		}
	}
	if _, err := NewLimiter(dc(0), 0, good); err == nil {
		t.Error("NewLimiter with rate 0 succeeded, want an error")
	}
}

// The fast path for quiet music while the Limiter is idle gives exactly what
// the full path gives on every frame: the same samples, reductions and
// clamp counts, through bursts over the ceiling, their release, non-finite
// samples and samples exactly at the threshold, in any block size.
func TestLimiter_FastPathExact(t *testing.T) {
	const n = 3 * 48000
	in := noise(9, n, 0.5)
	loud := noise(10, n, DBToGain(12))
	for _, at := range []int{1000, 1490, 30000, 30700, 90000} { // bursts, some overlapping the hold window
		copy(in[at:at+200], loud[at:at+200])
	}
	in[60000] = [2]float64{math.NaN(), 0.1}
	in[60300] = [2]float64{0.2, math.Inf(-1)}
	thr := DBToGain(DefaultLimiterConfig().CeilingDB) * thresholdMargin
	in[100000] = [2]float64{thr, -thr}
	in[120000] = [2]float64{math.Nextafter(thr, 2), 0}
	for _, block := range []int{1, 7, 480, 1024} {
		fast, full := newLimiter(t, slice(in)), newLimiter(t, slice(in))
		full.perSample = true
		a, b := make([][2]float64, block), make([][2]float64, block)
		for pos := 0; ; pos += block {
			na, oka := fast.Stream(a)
			nb, okb := full.Stream(b)
			if na != nb || oka != okb {
				t.Fatalf("block %d at %d: Stream = %d, %v on the fast path, %d, %v on the full path", block, pos, na, oka, nb, okb)
			}
			for i := range na {
				if a[i] != b[i] {
					t.Fatalf("block %d: sample %d = %v on the fast path, %v on the full path", block, pos+i, a[i], b[i])
				}
			}
			if fast.Reduction() != full.Reduction() || fast.Clamped() != full.Clamped() {
				t.Fatalf("block %d at %d: Reduction %v Clamped %d on the fast path, %v %d on the full path",
					block, pos, fast.Reduction(), fast.Clamped(), full.Reduction(), full.Clamped())
			}
			if !oka {
				break
			}
		}
		if fast.Clamped() != 2 {
			t.Errorf("block %d: Clamped() = %d, want 2 (the non-finite samples)", block, fast.Clamped())
		}
	}
}
