package timeline

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"
)

const rate = 48000

func TestSequencer_StartsOnExactSample(t *testing.T) {
	// Starts that are not whole milliseconds, and blocks of an odd size, so
	// starts fall inside blocks.
	starts := []time.Duration{0, sec(0.123456789), sec(1.5), sec(2.0000104), sec(3.99999)}
	o := &fakeOpener{tracks: map[string]fakeTrack{"dc": {sig: dc(0.5), length: 10 * rate}}}
	for _, st := range starts {
		tl := Timeline{Items: []Item{{Track: "dc", Start: st, End: st + sec(0.5)}}}
		out, evs := play(t, tl, o, rate, 1001)
		want := Samples(st, rate)
		if got := firstNonZero(out, 0); int64(got) != want {
			t.Errorf("start %v: first non-zero sample %d, want %d", st, got, want)
		}
		if got := out[len(out)-1][0]; got != 0.5 {
			t.Errorf("start %v: last sample %v, want 0.5 (no fade asked)", st, got)
		}
		if ev, ok := findEvent(evs, ItemStarted, 0); !ok || ev.Sample != want {
			t.Errorf("start %v: started event %+v, want at sample %d", st, ev, want)
		}
	}
	if opened, closed := o.counts(); opened != len(starts) || closed != opened {
		t.Errorf("opened %d, closed %d sources, want %d each", opened, closed, len(starts))
	}
}

func TestSequencer_GaplessIsSampleContiguous(t *testing.T) {
	// One ramp track played as two items: the second starts where the first
	// stops, in the track and on the timeline, so the output is one
	// unbroken ramp if and only if the boundary is sample-exact.
	const step = 1e-6
	o := &fakeOpener{tracks: map[string]fakeTrack{"ramp": {sig: ramp(step), length: 10 * rate}}}
	b := sec(2.345678)
	tl := Timeline{Items: []Item{
		{Track: "ramp", Start: sec(1), End: b, Offset: sec(0.25)},
		{Track: "ramp", Start: b, End: sec(4), Offset: sec(0.25) + b - sec(1)},
	}}
	// Blocks of one sample, of an odd size, and larger than the read-ahead.
	for _, block := range []int{1, 777, 100000} {
		out, _ := play(t, tl, o, rate, block)
		s0, off := Samples(sec(1), rate), Samples(sec(0.25), rate)
		for i := s0; i < int64(len(out)); i++ {
			want := float64(i-s0+off) * step
			if math.Abs(out[i][0]-want) > 1e-12 || math.Abs(out[i][1]+want) > 1e-12 {
				t.Fatalf("block %d: sample %d = %v, want ±%v (boundary at %d)", block, i, out[i], want, Samples(b, rate))
			}
		}
	}
}

func TestSequencer_CrossfadeIsEqualPower(t *testing.T) {
	// A plays on the left only and B on the right only, so each channel is
	// one item's gain.
	o := &fakeOpener{tracks: map[string]fakeTrack{
		"A": {sig: leftDC(1), length: 20 * rate},
		"B": {sig: rightDC(1), length: 20 * rate},
	}}
	tl := Timeline{Items: []Item{
		{Track: "A", Start: 0, End: sec(6.5)},
		{Track: "B", Start: sec(4.25), End: sec(9)},
	}}
	out, _ := play(t, tl, o, rate, 512)
	xs, xe := Samples(sec(4.25), rate), Samples(sec(6.5), rate)
	var both int64
	for i, v := range out {
		l, r := v[0], v[1]
		switch i := int64(i); {
		case i < xs:
			if l != 1 || r != 0 {
				t.Fatalf("sample %d before crossfade = %v, want [1 0]", i, v)
			}
		case i >= xe:
			if l != 0 || r != 1 {
				t.Fatalf("sample %d after crossfade = %v, want [0 1]", i, v)
			}
		default:
			if l > 0 && l < 1 && r > 0 && r < 1 {
				both++
			}
			if p := l*l + r*r; math.Abs(p-1) > 1e-12 {
				t.Fatalf("sample %d: power %v, want 1 (equal-power)", i, p)
			}
			if i > xs && (l > out[i-1][0] || r < out[i-1][1]) {
				t.Fatalf("sample %d: not monotonic: %v after %v", i, v, out[i-1])
			}
		}
	}
	if want := xe - xs; both != want {
		t.Errorf("crossfade lasted %d samples, want %d", both, want)
	}
}

func TestSequencer_FadesAndGain(t *testing.T) {
	o := &fakeOpener{tracks: map[string]fakeTrack{"dc": {sig: dc(0.5), length: 20 * rate}}}
	tl := Timeline{Items: []Item{{Track: "dc", Start: sec(1), End: sec(5), FadeIn: sec(1), FadeOut: sec(1.5), GainDB: -6}}}
	out, _ := play(t, tl, o, rate, 1000)
	steady := 0.5 * math.Pow(10, -6.0/20)
	s, in, outStart, e := Samples(sec(1), rate), Samples(sec(2), rate), Samples(sec(3.5), rate), Samples(sec(5), rate)
	if got := out[s][0]; got <= 0 || got > steady*1e-6 {
		t.Errorf("first fade-in sample %v, want just above 0", got)
	}
	for i := s + 1; i < in; i++ {
		if out[i][0] < out[i-1][0] {
			t.Fatalf("fade-in not monotonic at %d: %v after %v", i, out[i][0], out[i-1][0])
		}
	}
	for i := in; i < outStart; i++ {
		if math.Abs(out[i][0]-steady) > 1e-15 {
			t.Fatalf("sample %d = %v, want steady %v", i, out[i][0], steady)
		}
	}
	for i := outStart + 1; i < e; i++ {
		if out[i][0] > out[i-1][0] {
			t.Fatalf("fade-out not monotonic at %d: %v after %v", i, out[i][0], out[i-1][0])
		}
	}
	if got := out[e-1][0]; got <= 0 || got > steady*1e-6 {
		t.Errorf("last fade-out sample %v, want just above 0", got)
	}
	// An S-curve fade moves by at most π/2 of the level per fade length.
	maxStep := math.Pi / 2 * steady / float64(Samples(sec(1), rate))
	for i := s; i < e; i++ {
		if d := math.Abs(out[i][0] - out[i-1][0]); d > maxStep*1.0001 {
			t.Fatalf("step %v at sample %d, want ≤ %v", d, i, maxStep)
		}
	}
}

func TestSequencer_GapsAreExactSilence(t *testing.T) {
	o := &fakeOpener{tracks: map[string]fakeTrack{"sine": {sig: sine(440, 0.8, rate), length: 20 * rate}}}
	tl := Timeline{Items: []Item{
		{Track: "sine", Start: sec(0.5), End: sec(1.5), Offset: sec(0.001)},
		{Track: "sine", Start: sec(3.25), End: sec(4), Offset: sec(0.001)},
	}}
	out, _ := play(t, tl, o, rate, 4096)
	for _, gap := range [][2]time.Duration{{0, sec(0.5)}, {sec(1.5), sec(3.25)}} {
		for i := Samples(gap[0], rate); i < Samples(gap[1], rate); i++ {
			if out[i] != [2]float64{} {
				t.Fatalf("gap %v–%v: sample %d = %v, want exact zero", gap[0], gap[1], i, out[i])
			}
		}
	}
	if got, want := firstNonZero(out, int(Samples(sec(1.5), rate))), Samples(sec(3.25), rate); int64(got) != want {
		t.Errorf("second item's first sample at %d, want %d", got, want)
	}
}

func TestSequencer_FailingSourceFadesOut(t *testing.T) {
	failErr := errors.New("corrupt frame")
	failAt := 3 * rate // track frame where the source breaks
	for _, tc := range []struct {
		name string
		tr   fakeTrack
		want error
	}{
		{"err", fakeTrack{failAt: failAt, failErr: failErr}, failErr},
		{"panic", fakeTrack{panicAt: failAt}, ErrPanic},
		{"stuck", fakeTrack{stuckAt: failAt}, ErrNoProgress},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := tc.tr
			bad.sig, bad.length = dc(0.5), 20*rate
			o := &fakeOpener{tracks: map[string]fakeTrack{"bad": bad, "next": {sig: dc(0.25), length: 20 * rate}}}
			tl := Timeline{Items: []Item{
				{Track: "bad", Start: sec(1), End: sec(10)},
				{Track: "next", Start: sec(10), End: sec(12)},
			}}
			out, evs := play(t, tl, o, rate, 1024)
			ev, ok := findEvent(evs, SourceFailed, 0)
			if !ok {
				t.Fatalf("no SourceFailed event in %v", evs)
			}
			if !errors.Is(ev.Err, tc.want) {
				t.Errorf("event error %v, want %v", ev.Err, tc.want)
			}
			broke := Samples(sec(1), rate) + int64(failAt) // where the audio ran out
			fadeEnd := ev.Sample + Samples(FailFade, rate)
			if fadeEnd > broke || fadeEnd < broke-int64(rate/4)-1024 {
				t.Errorf("fade %d–%d, want it to end at most a quarter second and a block before the break at %d", ev.Sample, fadeEnd, broke)
			}
			if out[ev.Sample-1][0] != 0.5 {
				t.Errorf("sample before the fade = %v, want full level 0.5", out[ev.Sample-1][0])
			}
			maxStep := math.Pi / 2 * 0.5 / float64(rate)
			for i := ev.Sample; i < fadeEnd; i++ {
				if out[i][0] > out[i-1][0] || out[i-1][0]-out[i][0] > maxStep*1.0001 {
					t.Fatalf("fade at %d: %v after %v: not a smooth monotonic fade", i, out[i][0], out[i-1][0])
				}
			}
			if out[fadeEnd-1][0] <= 0 {
				t.Errorf("fade reached zero early, at %d: want exactly %v long", fadeEnd-1, FailFade)
			}
			next := Samples(sec(10), rate)
			for i := fadeEnd; i < next; i++ {
				if out[i] != [2]float64{} {
					t.Fatalf("sample %d after the failure fade = %v, want silence", i, out[i])
				}
			}
			if got := firstNonZero(out, int(fadeEnd)); int64(got) != next || out[got][0] != 0.25 {
				t.Errorf("next item starts at %d (%v), want at %d with 0.25", got, out[got], next)
			}
			if opened, closed := o.counts(); closed != opened {
				t.Errorf("opened %d sources, closed %d", opened, closed)
			}
		})
	}
}

func TestSequencer_OpenFailureLeavesSilenceAndMovesOn(t *testing.T) {
	openErr := errors.New("file removed")
	o := &fakeOpener{tracks: map[string]fakeTrack{
		"gone": {openErr: openErr},
		"ok":   {sig: dc(0.5), length: 20 * rate},
	}}
	tl := Timeline{Items: []Item{
		{Track: "gone", Start: 0, End: sec(3)},
		{Track: "ok", Start: sec(3), End: sec(4)},
	}}
	out, evs := play(t, tl, o, rate, 512)
	ev, ok := findEvent(evs, OpenFailed, 0)
	if !ok || !errors.Is(ev.Err, openErr) || ev.Sample != 0 {
		t.Errorf("OpenFailed event %+v (found %v), want at sample 0 wrapping %v", ev, ok, openErr)
	}
	if got, want := firstNonZero(out, 0), Samples(sec(3), rate); int64(got) != want {
		t.Errorf("first sound at %d, want the next item at %d", got, want)
	}
}

func TestSequencer_EndedEarlyLeavesSilence(t *testing.T) {
	o := &fakeOpener{tracks: map[string]fakeTrack{"short": {sig: dc(0.5), length: 2 * rate}}}
	tl := Timeline{Items: []Item{{Track: "short", Start: sec(1), End: sec(5)}}}
	out, evs := play(t, tl, o, rate, 1000)
	want := Samples(sec(1), rate) + 2*rate
	ev, ok := findEvent(evs, EndedEarly, 0)
	if !ok || ev.Sample != want {
		t.Errorf("EndedEarly event %+v (found %v), want at sample %d", ev, ok, want)
	}
	if out[want-1][0] != 0.5 || firstNonZero(out, int(want)) != -1 {
		t.Errorf("want full level up to %d and silence after", want)
	}
	if _, ok := findEvent(evs, ItemEnded, 0); ok {
		t.Errorf("ItemEnded reported for an item that ended early")
	}
}

func TestSequencer_NotReadyStartsLate(t *testing.T) {
	o := &fakeOpener{tracks: map[string]fakeTrack{"dc": {sig: dc(0.5), length: 20 * rate}}}
	tl := Timeline{Items: []Item{{Track: "dc", Start: sec(1), End: sec(5)}}}
	// Withhold Prepare until 2 s: the item is not ready at 1 s.
	out, evs := playWith(t, tl, Config{Rate: rate, Opener: o}, 1000, func(s *Sequencer) bool {
		return s.Position() >= 2*rate
	})
	start := Samples(sec(1), rate)
	if ev, ok := findEvent(evs, Underrun, 0); !ok || ev.Sample != start || !errors.Is(ev.Err, ErrNotReady) {
		t.Errorf("Underrun event %+v (found %v), want at sample %d", ev, ok, start)
	}
	ev, ok := findEvent(evs, ItemStarted, 0)
	if !ok || ev.Sample != 2*rate {
		t.Fatalf("ItemStarted %+v (found %v), want at sample %d", ev, ok, 2*rate)
	}
	if got := firstNonZero(out, 0); int64(got) != ev.Sample {
		t.Errorf("first sound at %d, want %d", got, ev.Sample)
	}
	fade := Samples(LateFade, rate)
	for i := ev.Sample + 1; i < ev.Sample+fade; i++ {
		if out[i][0] < out[i-1][0] || out[i][0] >= 0.5 {
			t.Fatalf("late fade-in at %d: %v after %v, want rising below 0.5", i, out[i][0], out[i-1][0])
		}
	}
	if got := out[ev.Sample+fade][0]; got != 0.5 {
		t.Errorf("level after the late fade-in = %v, want 0.5", got)
	}
	if got, want := int64(len(out)), Samples(sec(5), rate); got != want {
		t.Errorf("stream length %d, want the planned end %d", got, want)
	}
}

func TestSequencer_NeverReadyIsMissed(t *testing.T) {
	o := &fakeOpener{tracks: map[string]fakeTrack{"dc": {sig: dc(0.5), length: 20 * rate}}}
	tl := Timeline{Items: []Item{
		{Track: "dc", Start: sec(1), End: sec(2)},
		{Track: "dc", Start: sec(2.5), End: sec(3)},
	}}
	out, evs := playWith(t, tl, Config{Rate: rate, Opener: o}, 1000, func(s *Sequencer) bool {
		return s.Position() >= Samples(sec(2.2), rate)
	})
	if _, ok := findEvent(evs, Missed, 0); !ok {
		t.Errorf("no Missed event for item 1 in %v", evs)
	}
	if got, want := firstNonZero(out, 0), Samples(sec(2.5), rate); int64(got) != want {
		t.Errorf("first sound at %d, want item 2's start %d", got, want)
	}
}

func TestSequencer_PrerollOpensAhead(t *testing.T) {
	var seq *Sequencer
	lead := map[string]int64{}
	o := &fakeOpener{tracks: map[string]fakeTrack{
		"a": {sig: dc(0.1), length: 100 * rate}, "b": {sig: dc(0.1), length: 100 * rate},
	}}
	o.onOpen = func(it Item) { lead[it.Track] = Samples(it.Start, rate) - seq.Position() }
	tl := Timeline{Items: []Item{{Track: "a", Start: sec(0), End: sec(30)}, {Track: "b", Start: sec(30), End: sec(40)}}}
	s, err := NewSequencer(tl, Config{Rate: rate, Opener: o, Preroll: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	seq = s
	buf := make([][2]float64, 2400)
	for {
		if err := s.Prepare(context.Background()); err != nil {
			t.Fatal(err)
		}
		if _, ok := s.Stream(buf); !ok {
			break
		}
	}
	if got := lead["b"]; got > 3*rate || got < 3*rate-2400 {
		t.Errorf("b opened %d samples before its start, want within a block of the 3 s preroll (%d)", got, 3*rate)
	}
	if _, err := NewSequencer(tl, Config{Rate: rate, Opener: o, Preroll: time.Second}); err == nil {
		t.Errorf("NewSequencer accepted a 1 s preroll, want an error below %v", MinPreroll)
	}
}

func TestSequencer_StreamDoesNotAllocate(t *testing.T) {
	o := &fakeOpener{tracks: map[string]fakeTrack{"s": {sig: sine(440, 0.5, rate), length: 3600 * rate}}}
	tl := Timeline{Items: []Item{
		{Track: "s", Start: 0, End: sec(30), FadeIn: sec(2)},
		{Track: "s", Start: sec(20), End: sec(60), FadeOut: sec(5)},
	}}
	s, err := NewSequencer(tl, Config{Rate: rate, Opener: o, Preroll: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Prepare(context.Background()); err != nil { // opens both: the preroll covers everything
		t.Fatal(err)
	}
	buf := make([][2]float64, 512)
	// 1000 blocks of 512 (10.7 s) cover the fade-in and the steady state;
	// the next 2000 the crossfade at 20–30 s.
	if a := testing.AllocsPerRun(1000, func() { s.Stream(buf) }); a != 0 {
		t.Errorf("Stream allocated %v times per call, want 0", a)
	}
	if a := testing.AllocsPerRun(2000, func() { s.Stream(buf) }); a != 0 {
		t.Errorf("Stream allocated %v times per call through a crossfade, want 0", a)
	}
}
