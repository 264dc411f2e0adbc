package player

import (
	"math"
	"testing"
	"time"

	"attune/player/dsp"
	"attune/player/timeline"
)

const latency = 80 // the default limiter's 10 ms at testRate

func play(tl timeline.Timeline) []Cue {
	return []Cue{{At: 0, Cmd: Command{Op: OpLoad, Timeline: tl}}, {At: 0, Cmd: Command{Op: OpPlay}}}
}

func TestEngine_Render_StartFadesInFromSilence(t *testing.T) {
	o := fakeOpener{"a": {sig: sine(200, 0.5), length: at(10)}}
	out, evs := render(t, testConfig(o), sec(4), play(oneTrack(sec(10)))...)
	if len(out) != at(4) {
		t.Fatalf("rendered %d samples, want %d", len(out), at(4))
	}
	fn := firstNonZero(out, 0)
	if fn < latency {
		t.Fatalf("first sound at sample %d, want after the limiter's %d samples of latency", fn, latency)
	}
	if got := math.Max(math.Abs(out[fn][0]), math.Abs(out[fn][1])); got > 1e-3 {
		t.Errorf("first sound %v, want a fade from silence (< 1e-3)", got)
	}
	p := peaks(out[latency:], 80) // 80 samples: two periods of 200 Hz
	for i := 1; i < 200; i++ {    // the 2 s fade
		if p[i] < p[i-1]-1e-12 {
			t.Fatalf("fade-in not monotonic: block %d peak %v after %v", i, p[i], p[i-1])
		}
	}
	if got := p[len(p)-1]; math.Abs(got-0.5) > 1e-3 {
		t.Errorf("level after the fade-in: peak %v, want 0.5", got)
	}
	if _, ok := findEvent(evs, EventState, func(ev Event) bool { return ev.State == StatePlaying }); !ok {
		t.Errorf("no state event for playing in %v", evs)
	}
	if _, ok := findEvent(evs, EventItemStarted, func(ev Event) bool { return ev.Item == 0 && ev.Track == "a" }); !ok {
		t.Errorf("no item started event in %v", evs)
	}
}

func TestEngine_Render_PauseHoldsAndResumesOnTheSameSample(t *testing.T) {
	o := fakeOpener{"a": {sig: quad(2, 0.5), length: at(20)}}
	cues := append(play(oneTrack(sec(20))),
		Cue{At: sec(3), Cmd: Command{Op: OpPause}},
		Cue{At: sec(7), Cmd: Command{Op: OpResume}})
	out, evs := render(t, testConfig(o), sec(11), cues...)

	g := gains(out)
	for i := at(3) + 1; i < at(5)+latency; i++ {
		if g[i] > g[i-1]+1e-12 {
			t.Fatalf("pause fade not monotonic: sample %d at %v after %v", i, g[i], g[i-1])
		}
	}
	if g[at(4.99)] == 0 || g[at(5.01)+latency] != 0 {
		t.Errorf("pause fade: %v at 1.99 s and %v at 2.01 s, want sound then exact silence", g[at(4.99)], g[at(5.01)+latency])
	}
	for i := at(5) + latency; i < at(7); i++ {
		if out[i] != [2]float64{} {
			t.Fatalf("sample %d is %v while paused, want exact silence", i, out[i])
		}
	}
	before, after := lastNonZero(out, at(7)), firstNonZero(out, at(7))
	if after < 0 {
		t.Fatal("no sound after resume")
	}
	const period = testRate / 2
	step := math.Mod(phaseSamples(out[after], 2)-phaseSamples(out[before], 2)+period, period)
	if math.Abs(step-1) > 80 { // ±10 ms
		t.Errorf("resume continued %v samples after the last one heard, want 1 (±80)", step)
	}
	if math.Abs(step-1) > 0.01 {
		t.Logf("resume continued %v samples after the last one heard", step)
	}
	for i := after + 1; i < after+at(2); i++ {
		if g[i] < g[i-1]-1e-12 {
			t.Fatalf("resume fade-in not monotonic: sample %d at %v after %v", i, g[i], g[i-1])
		}
	}
	if g[after] > 1e-3 || math.Abs(g[after+at(2.01)]-0.5) > 1e-9 {
		t.Errorf("resume fade from %v to %v, want from silence to 0.5", g[after], g[after+at(2.01)])
	}
	var states []State
	for _, ev := range evs {
		if ev.Kind == EventState {
			states = append(states, ev.State)
		}
	}
	if want := []State{StatePlaying, StatePaused, StatePlaying}; !equal(states, want) {
		t.Errorf("state events %v, want %v", states, want)
	}
}

// gains returns each sample's amplitude on a quad signal: the gain applied
// times the signal's amplitude.
func gains(out [][2]float64) []float64 {
	g := make([]float64, len(out))
	for i, x := range out {
		g[i] = math.Hypot(x[0], x[1])
	}
	return g
}

func equal[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// rmsDB returns the RMS level in dB of each block of n samples.
func rmsDB(out [][2]float64, n int) []float64 {
	var r []float64
	for i := 0; i+n <= len(out); i += n {
		s := 0.0
		for _, x := range out[i : i+n] {
			s += x[0]*x[0] + x[1]*x[1]
		}
		r = append(r, 10*math.Log10(s/float64(2*n)))
	}
	return r
}

func TestEngine_Render_VolumeIsSlewLimitedAndNeverAboveTheCeiling(t *testing.T) {
	o := fakeOpener{"a": {sig: sine(200, 0.25), length: at(30)}}
	cues := append(play(oneTrack(sec(30))),
		Cue{At: sec(3), Cmd: Command{Op: OpSetVolume, DB: -20}},
		Cue{At: sec(8), Cmd: Command{Op: OpSetVolume, DB: 24}})
	out, _ := render(t, testConfig(o), sec(20), cues...)

	db := rmsDB(out[latency:], 80)
	base := db[250] // 2.5 s: after the fade-in, before the first change
	maxSlope := 0.0
	for i := 251; i < len(db); i++ {
		maxSlope = max(maxSlope, math.Abs(db[i]-db[i-1])/0.01)
	}
	t.Logf("steepest level change %.3f dB/s", maxSlope)
	if maxSlope > dsp.DefaultSlew*1.001 {
		t.Errorf("level changed at %.3f dB/s, want at most %v", maxSlope, dsp.DefaultSlew)
	}
	if got := db[790] - base; math.Abs(got+20) > 0.01 { // 7.9 s
		t.Errorf("level after SetVolume(-20): %.3f dB from the start, want -20", got)
	}
	ceiling := dsp.DBToGain(DefaultCeilingDB)
	peak := 0.0
	for _, x := range out {
		peak = max(peak, math.Abs(x[0]), math.Abs(x[1]))
	}
	if peak > ceiling {
		t.Errorf("peak %v, want at most the ceiling %v", peak, ceiling)
	}
	if peak < ceiling*0.99 {
		t.Errorf("peak %v at +24 dB, want the limiter to hold it near the ceiling %v", peak, ceiling)
	}
}

func TestEngine_Render_SetCeilingLowersTheOutput(t *testing.T) {
	o := fakeOpener{"a": {sig: sine(200, 0.5), length: at(10)}}
	cfg := testConfig(o)
	cfg.VolumeDB = 24
	cues := append(play(oneTrack(sec(10))), Cue{At: sec(3), Cmd: Command{Op: OpSetCeiling, DB: -6}})
	out, _ := render(t, cfg, sec(5), cues...)
	room, lower := dsp.DBToGain(DefaultCeilingDB), dsp.DBToGain(-6)
	for i, x := range out {
		lim := room
		if i >= at(3.3) {
			lim = lower
		}
		if p := max(math.Abs(x[0]), math.Abs(x[1])); p > lim {
			t.Fatalf("sample %d is %v, want at most %v", i, p, lim)
		}
	}
	if p := peaks(out[at(4):], 80)[0]; p < lower*0.99 {
		t.Errorf("peak %v after SetCeiling(-6), want about %v", p, lower)
	}
	if s, _ := maxStep(out[at(2.5):]); s > 0.5*2*math.Sin(math.Pi*200/testRate)*room/0.5 {
		t.Errorf("ceiling change made a step of %v", s)
	}
}

func TestEngine_Render_CommandErrors(t *testing.T) {
	o := fakeOpener{"a": {sig: sine(200, 0.5), length: at(10)}}
	for _, c := range []Command{
		{Op: OpSetCeiling, DB: 0},
		{Op: OpSetTrim, Sink: "main", DB: 3},
		{Op: OpSetTrim, Sink: "nope", DB: -3},
		{Op: OpPlay},
		{Op: OpSkip},
		{Op: OpLoad, Timeline: oneTrack(sec(1)), At: sec(2)},
	} {
		cfg := testConfig(o)
		cfg.Sinks = []SinkConfig{{Name: "main", Sink: &capSink{}}}
		e, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Render(t.Context(), sec(1), []Cue{{Cmd: c}}); err == nil {
			t.Errorf("%s %+v: no error", c.Op, c)
		}
	}
}

func TestEngine_Render_QuietFadesWhileThePositionRuns(t *testing.T) {
	o := fakeOpener{"a": {sig: quad(2, 0.5), length: at(20)}}
	cues := append(play(oneTrack(sec(20))),
		Cue{At: sec(3), Cmd: Command{Op: OpQuiet, On: true}},
		Cue{At: sec(8), Cmd: Command{Op: OpQuiet, On: false}})
	out, evs := render(t, testConfig(o), sec(12), cues...)
	for i := at(5) + latency; i < at(8); i++ {
		if out[i] != [2]float64{} {
			t.Fatalf("sample %d is %v while quiet, want exact silence", i, out[i])
		}
	}
	after := firstNonZero(out, at(8))
	const period = testRate / 2
	want := float64((after - latency) % period) // the track ran on in quiet
	got := phaseSamples(out[after], 2)
	if d := math.Mod(got-want+period+period/2, period) - period/2; math.Abs(d) > 1 {
		t.Errorf("after quiet the music is at %v (mod period), want %v: the position stood still", got, want)
	}
	var pos []time.Duration
	for _, ev := range evs {
		if ev.Kind == EventPosition {
			pos = append(pos, ev.Position)
		}
	}
	if len(pos) < 10 || pos[6] <= pos[5] {
		t.Errorf("position events %v, want one a second, advancing in quiet", pos)
	}
	if _, ok := findEvent(evs, EventState, func(ev Event) bool { return ev.State == StateQuiet }); !ok {
		t.Errorf("no quiet state event")
	}
}

func TestEngine_Render_SkipLandsOnTheNextItem(t *testing.T) {
	o := fakeOpener{"a": {sig: quad(2, 0.5), length: at(20)}, "b": {sig: quad(3, 0.5), length: at(20)}}
	tl := timeline.Timeline{Items: []timeline.Item{{Track: "a", End: sec(20)}, {Track: "b", Start: sec(20), End: sec(40)}}}
	cues := append(play(tl), Cue{At: sec(3), Cmd: Command{Op: OpSkip}})
	out, evs := render(t, testConfig(o), sec(8), cues...)
	// After the crossfade (skip_fade from the command) only item b sounds,
	// from its first sample on at the command's block.
	const period = testRate / 3.0
	for i := at(7) + latency; i < len(out); i++ {
		want := math.Mod(float64(i-at(3)-latency), period)
		got := phaseSamples(out[i], 3)
		if d := math.Mod(got-want+period+period/2, period) - period/2; math.Abs(d) > 0.01 {
			t.Fatalf("sample %d shows item b at %v (mod period), want %v: b starts on the skip's block", i, got, want)
		}
		if math.Abs(math.Hypot(out[i][0], out[i][1])-0.5) > 1e-9 {
			t.Fatalf("sample %d at level %v, want item b alone at 0.5", i, math.Hypot(out[i][0], out[i][1]))
		}
	}
	ev, ok := findEvent(evs, EventItemStarted, func(ev Event) bool { return ev.Item == 1 })
	if !ok || ev.Position != sec(20) || ev.Track != "b" {
		t.Errorf("item started event %v (found %v), want item 2 (b) at 20s", ev, ok)
	}
	last, _ := findEvent(evs, EventPosition, func(ev Event) bool { return ev.Position > sec(20) })
	if last.Position < sec(20) || last.Position > sec(22) {
		t.Errorf("position after the skip %v, want 20–22 s", last.Position)
	}
}

func TestEngine_Render_SeekWithinTheItem(t *testing.T) {
	o := fakeOpener{"a": {sig: quad(2, 0.5), length: at(20)}}
	cues := append(play(oneTrack(sec(20))), Cue{At: sec(3), Cmd: Command{Op: OpSeek, At: sec(10.1)}})
	out, _ := render(t, testConfig(o), sec(8), cues...)
	first := firstNonZero(out, at(5)+latency+1)
	if got := phaseSamples(out[first], 2); math.Abs(got-800) > 1 { // 10.1 s mod 0.5 s
		t.Errorf("seek landed at %v (mod period), want 800", got)
	}
}

func TestEngine_Render_NoClicks(t *testing.T) {
	// Two gapless items of whole periods: the music's own largest step is
	// that of the sine.
	o := fakeOpener{"a": {sig: sine(200, 0.5), length: at(20)}, "b": {sig: sine(200, 0.5), length: at(20)}}
	tl := timeline.Timeline{Items: []timeline.Item{{Track: "a", End: sec(20)}, {Track: "b", Start: sec(20), End: sec(40)}}}
	music := 0.0
	for i := 1; i < 40; i++ {
		music = max(music, math.Abs(sine(200, 0.5)(i)[0]-sine(200, 0.5)(i - 1)[0]))
	}
	cues := append(play(tl),
		Cue{At: sec(3), Cmd: Command{Op: OpSetVolume, DB: -6}},
		Cue{At: sec(4), Cmd: Command{Op: OpPause}},
		Cue{At: sec(6.5), Cmd: Command{Op: OpResume}},
		Cue{At: sec(9), Cmd: Command{Op: OpQuiet, On: true}},
		Cue{At: sec(11.5), Cmd: Command{Op: OpQuiet}},
		Cue{At: sec(14), Cmd: Command{Op: OpSkip}},
		Cue{At: sec(19), Cmd: Command{Op: OpSeek, At: sec(5)}},
		Cue{At: sec(24), Cmd: Command{Op: OpSetCeiling, DB: -8}},
		Cue{At: sec(26), Cmd: Command{Op: OpSetVolume, DB: 6}},
		Cue{At: sec(29), Cmd: Command{Op: OpStop}},
	)
	out, _ := render(t, testConfig(o), 0, cues...)
	got, where := maxStep(out)
	t.Logf("largest step %.5f at %.3f s; the sine's own %.5f", got, float64(where)/testRate, music)
	if got > music*1.001 {
		t.Errorf("largest step %v at sample %d, want at most the music's %v", got, where, music)
	}
	if n := len(out); n < at(31) || out[n-1] != [2]float64{} {
		t.Errorf("render of %d samples ends with %v, want to run past the stop's fade to silence", n, out[n-1])
	}
}

func TestEngine_Render_DoesNotAllocate(t *testing.T) {
	o := fakeOpener{"a": {sig: sine(200, 0.5), length: at(600)}}
	cfg := testConfig(o)
	cfg.Sinks = []SinkConfig{{Name: "main", Sink: &capSink{}}}
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	prep := &syncPreparer{ctx: t.Context()}
	e.prep = prep
	defer prep.closeAll()
	for _, c := range play(oneTrack(sec(600))) {
		if err := e.apply(c.Cmd); err != nil {
			t.Fatal(err)
		}
	}
	blk := make([][2]float64, cfg.Block)
	for range 300 { // past the fade-in
		e.render()
	}
	allocs := testing.AllocsPerRun(500, func() {
		e.render()
		e.runners[0].fill(blk, e.mix)
	})
	if allocs != 0 {
		t.Errorf("%v allocations per block, want 0", allocs)
	}
}

func BenchmarkEngine_Render(b *testing.B) {
	o := fakeOpener{"a": {sig: sine(200, 0.5), length: 48000 * 600}}
	cfg := Config{Rate: 48000, Opener: o, Sinks: []SinkConfig{{Name: "null", Sink: nullSink{}}}}
	e, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	prep := &syncPreparer{ctx: b.Context()}
	e.prep = prep
	defer prep.closeAll()
	for _, c := range play(oneTrack(600 * time.Second)) {
		if err := e.apply(c.Cmd); err != nil {
			b.Fatal(err)
		}
	}
	blk := make([][2]float64, e.cfg.Block)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		e.render()
		e.runners[0].fill(blk, e.mix)
	}
	audio := float64(b.N) * float64(e.cfg.Block) / 48000
	b.ReportMetric(audio/b.Elapsed().Seconds(), "x_realtime")
}

type nullSink struct{}

func (nullSink) Write([][2]float64) error { return nil }
func (nullSink) Paced() bool              { return false }
func (nullSink) Close() error             { return nil }

func TestEngine_Render_EndOfTimelineStops(t *testing.T) {
	o := fakeOpener{"a": {sig: sine(200, 0.5), length: at(3)}}
	tl := oneTrack(sec(3))
	tl.Items[0].FadeOut = sec(1)
	out, evs := render(t, testConfig(o), 0, play(tl)...)
	if n := len(out); n < at(3)+latency || n > at(3.2) {
		t.Errorf("rendered %d samples, want the 3 s timeline and its tail", n)
	}
	if _, ok := findEvent(evs, EventItemEnded, func(ev Event) bool { return ev.Item == 0 && ev.Position == sec(3) }); !ok {
		t.Errorf("no item ended event at 3s in %v", evs)
	}
	last := evs[len(evs)-1]
	if last.Kind != EventState || last.State != StateStopped {
		t.Errorf("last event %v, want state stopped", last)
	}
}

func TestCut_KeepsWhatSoundsFromThePosition(t *testing.T) {
	tl := timeline.Timeline{Items: []timeline.Item{
		{Track: "a", End: sec(10), FadeOut: sec(2)},
		{Track: "b", Start: sec(8), End: sec(20), FadeIn: sec(2), FadeOut: sec(3)},
	}}
	for _, c := range []struct {
		at    time.Duration
		want  []timeline.Item
		index []int
	}{
		{sec(5), []timeline.Item{
			{Track: "a", End: sec(5), Offset: sec(5), FadeOut: sec(2)},
			{Track: "b", Start: sec(3), End: sec(15), FadeIn: sec(2), FadeOut: sec(3)},
		}, []int{0, 1}},
		{sec(9), []timeline.Item{{Track: "b", End: sec(11), Offset: sec(1), FadeOut: sec(3)}}, []int{1}},
		{sec(19), []timeline.Item{{Track: "b", End: sec(1), Offset: sec(11), FadeOut: sec(1)}}, []int{1}},
		{sec(20), nil, nil},
	} {
		got, index := cut(tl, c.at, false)
		if !equal(got.Items, c.want) || !equal(index, c.index) {
			t.Errorf("cut at %s = %+v %v, want %+v %v", c.at, got.Items, index, c.want, c.index)
		}
		if len(got.Items) > 0 {
			if err := got.Validate(); err != nil {
				t.Errorf("cut at %s: %v", c.at, err)
			}
		}
	}
}
