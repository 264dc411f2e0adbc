package player

import (
	"math"
	"testing"
	"time"

	"attune/player/timeline"
)

// The skip crossfade, measured on rendered samples. The outgoing track plays
// on the left channel only and the incoming one on the right only, so each
// deck's envelope can be read off its channel.

// xfFreq is the incoming track's cosine: its first sample is its peak, so a
// track that starts anywhere but at its sample 0 shows at once.
const xfFreq = 50.0

// lrTrack is the left channel's constant level: a sample over it is the
// outgoing deck's gain.
const lrLevel = 0.5

// rCos is sample k of track "R".
func rCos(k int) float64 { return lrLevel * math.Cos(2*math.Pi*xfFreq*float64(k)/testRate) }

// lrOpener opens "L" (a constant on the left only), "R" (rCos on the right
// only) and "C" (minus the constant, on the left only); "X" does not open.
func lrOpener() fakeOpener {
	return fakeOpener{
		"L": {sig: func(int) [2]float64 { return [2]float64{lrLevel, 0} }, length: at(100)},
		"R": {sig: func(i int) [2]float64 { return [2]float64{0, rCos(i)} }, length: at(100)},
		"C": {sig: func(int) [2]float64 { return [2]float64{-lrLevel, 0} }, length: at(100)},
	}
}

// lrTimeline plays tracks one after the other, 20 s each.
func lrTimeline(tracks ...string) timeline.Timeline {
	var tl timeline.Timeline
	for i, tr := range tracks {
		tl.Items = append(tl.Items, timeline.Item{Track: tr, Start: sec(20 * float64(i)), End: sec(20 * float64(i+1))})
	}
	return tl
}

// xfCurve is the gain of the outgoing (cos) and incoming (sin) deck k
// samples into a crossfade of n (dsp.Envelope's equal-power curve).
func xfCurve(k, n int) (out, in float64) {
	a := math.Pi / 2 * float64(min(k+1, n)) / float64(n)
	return math.Cos(a), math.Sin(a)
}

// skipAt is a cue that skips at s seconds.
func skipAt(s float64) Cue { return Cue{At: sec(s), Cmd: Command{Op: OpSkip}} }

// rGain returns the incoming deck's gain at output sample i, k samples
// into track R, and false where the cosine is too small to divide by.
func rGain(out [][2]float64, i, k int) (float64, bool) {
	c := rCos(k)
	if math.Abs(c) < lrLevel/2 {
		return 0, false
	}
	return out[i][1] / c, true
}

// firstBelow returns the first sample from from on whose left channel is
// below v, or −1.
func firstBelow(out [][2]float64, from int, v float64) int {
	for i := from; i < len(out); i++ {
		if out[i][0] < v {
			return i
		}
	}
	return -1
}

// positionsAfter returns the positions of the position events reported
// after the first one at or past from.
func positionsAfter(evs []Event, from time.Duration) []time.Duration {
	var p []time.Duration
	for _, ev := range evs {
		if ev.Kind == EventPosition && (len(p) > 0 || ev.Position >= from) {
			p = append(p, ev.Position)
		}
	}
	return p
}

func TestEngine_Render_SkipCrossfades(t *testing.T) {
	cues := append(play(lrTimeline("L", "R")), skipAt(3))
	out, evs := render(t, testConfig(lrOpener()), sec(9), cues...)
	n := at(4) // DefaultSkipFade

	s := firstBelow(out, at(2.5), lrLevel)
	t.Logf("crossfade starts at output sample %d; the command's block starts at %d (+%d latency)", s, at(3), latency)
	if s < at(3)+latency || s >= at(3)+latency+80 {
		t.Fatalf("crossfade starts at output sample %d, want within the block of the command (%d…%d)", s, at(3)+latency, at(3)+latency+79)
	}
	end := s
	for end < len(out) && out[end][0] != 0 {
		end++
	}
	t.Logf("outgoing deck fades over %d samples (%.4f s), want %d", end-s, float64(end-s)/testRate, n)
	if d := end - s - n; d < -testRate/1000 || d > testRate/1000 {
		t.Errorf("outgoing fade lasts %d samples, want %d ±1 ms", end-s, n)
	}
	worstDB := 0.0
	for k := range n {
		wantOut, wantIn := xfCurve(k, n)
		gOut := out[s+k][0] / lrLevel
		if math.Abs(gOut-wantOut) > 1e-9 {
			t.Fatalf("outgoing gain %v at %d samples into the crossfade, want cos: %v", gOut, k, wantOut)
		}
		gIn, ok := rGain(out, s+k, k)
		if !ok {
			continue
		}
		if math.Abs(gIn-wantIn) > 1e-9 {
			t.Fatalf("incoming gain %v at %d samples into the crossfade (track sample %d), want sin: %v", gIn, k, k, wantIn)
		}
		worstDB = max(worstDB, math.Abs(10*math.Log10(gOut*gOut+gIn*gIn)))
	}
	t.Logf("power sum of the decks within ±%.2g dB of constant", worstDB)
	if worstDB > 0.1 {
		t.Errorf("power sum strays %.3f dB from constant, want within ±0.1 dB", worstDB)
	}
	for i := s + n; i < len(out); i++ {
		if out[i][0] != 0 {
			t.Fatalf("outgoing deck at sample %d after its fade: %v, want exact silence", i, out[i][0])
		}
		if d := out[i][1] - rCos(i-s); math.Abs(d) > 1e-9 {
			t.Fatalf("incoming at output sample %d is %v, want track sample %d at full level (%v)", i, out[i][1], i-s, rCos(i-s))
		}
	}
	own := lrLevel * 2 * math.Pi * xfFreq / testRate // the cosine's largest step
	slope := lrLevel * math.Pi / 2 / float64(n)      // the fades' steepest
	if got, where := maxStep(out[at(2.5):]); got > own+2*slope {
		t.Errorf("largest step %v at sample %d, want at most the music's own %v plus the fades' %v", got, at(2.5)+where, own, 2*slope)
	}
	if ev, ok := findEvent(evs, EventItemStarted, func(ev Event) bool { return ev.Item == 1 }); !ok || ev.Position != sec(20) {
		t.Errorf("item started event %v (found %v), want item 2 at 20s", ev, ok)
	}
	if p := positionsAfter(evs, sec(20)); len(p) < 5 || p[0] > sec(21) || p[4] != p[0]+sec(4) {
		t.Errorf("positions after the skip %v, want the incoming item's, from 20–21 s, a second a second", p)
	}
}

func TestEngine_Render_SkipWhilePausedSwitchesSilently(t *testing.T) {
	cues := append(play(lrTimeline("L", "R")),
		Cue{At: sec(3), Cmd: Command{Op: OpPause}}, skipAt(6), Cue{At: sec(8), Cmd: Command{Op: OpResume}})
	out, evs := render(t, testConfig(lrOpener()), sec(12), cues...)
	for i := at(5) + latency; i < at(8)+latency; i++ {
		if out[i] != [2]float64{} {
			t.Fatalf("sample %d is %v while paused, want exact silence", i, out[i])
		}
	}
	r := firstNonZero(out, at(5)+latency)
	if r != at(8)+latency {
		t.Fatalf("sound resumes at sample %d, want %d", r, at(8)+latency)
	}
	n := at(2) // the pause fade
	for k := 0; r+k < len(out); k++ {
		if out[r+k][0] != 0 {
			t.Fatalf("left channel %v at %d samples after resume, want the skipped item gone", out[r+k][0], k)
		}
		g, ok := rGain(out, r+k, k)
		if !ok {
			continue
		}
		_, want := xfCurve(k, n)
		if math.Abs(g-want) > 1e-9 {
			t.Fatalf("gain %v at %d samples after resume (track sample %d), want the resume fade-in's %v", g, k, k, want)
		}
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

func TestEngine_Render_PauseMidCrossfadeResumesIt(t *testing.T) {
	cues := append(play(lrTimeline("L", "R")), skipAt(3),
		Cue{At: sec(4), Cmd: Command{Op: OpPause}}, Cue{At: sec(8), Cmd: Command{Op: OpResume}})
	out, _ := render(t, testConfig(lrOpener()), sec(12), cues...)
	n, s := at(4), at(3)+latency
	held := at(3) // deck samples pulled before the pause held: 1 s, then the 2 s pause fade
	r := firstNonZero(out, at(6)+latency)
	if r != at(8)+latency {
		t.Fatalf("sound resumes at sample %d, want %d", r, at(8)+latency)
	}
	for i := s + held; i < r; i++ {
		if out[i] != [2]float64{} {
			t.Fatalf("sample %d is %v while paused, want exact silence", i, out[i])
		}
	}
	// Where the master envelope leaves both decks audible, the ratio of the
	// channels is the crossfade's tan at deck sample k.
	checked := 0
	for i := s; i < len(out); i++ {
		k := i - s
		if i >= s+held {
			if i < r {
				continue
			}
			k = held + i - r
		}
		if k >= n {
			if out[i][0] != 0 {
				t.Fatalf("outgoing deck %v at sample %d, deck sample %d: want silence after the crossfade", out[i][0], i, k)
			}
			continue
		}
		c := rCos(k)
		if math.Abs(out[i][0]) < 1e-4 || math.Abs(c) < lrLevel/2 {
			continue
		}
		gOut, gIn := xfCurve(k, n)
		want := gIn / gOut * c / lrLevel
		if got := out[i][1] / out[i][0]; math.Abs(got-want) > 1e-6*math.Abs(want)+1e-9 {
			t.Fatalf("channel ratio %v at sample %d, want %v: deck sample %d of the crossfade", got, i, want, k)
		}
		checked++
	}
	if checked < n/2 {
		t.Errorf("checked %d samples of the crossfade, want most of its %d", checked, n)
	}
}

func TestEngine_Render_SkipDuringACrossfade(t *testing.T) {
	cues := append(play(lrTimeline("L", "R", "C")), skipAt(3), skipAt(4))
	out, evs := render(t, testConfig(lrOpener()), sec(11), cues...)
	n, s, s2 := at(4), at(3)+latency, at(4)+latency
	turn := at(skipTurnFade.Seconds())
	// L turns down from where it is, quickly, on the curve; then C (the
	// left channel's negative) crossfades in.
	for i := s2; i < s2+turn; i++ {
		if out[i][0] > out[i-1][0] || out[i][0] < 0 {
			t.Fatalf("outgoing L at sample %d: %v after %v, want a fade down to silence", i, out[i][0], out[i-1][0])
		}
	}
	c0 := -1
	for i := s2; i < len(out); i++ {
		if out[i][0] < 0 {
			c0 = i
			break
		}
	}
	t.Logf("second skip: L silent %d samples after the command, C starts at %d (%d after)", lastNonZero(out, s2+turn+1)-s2+1, c0, c0-s2)
	if c0 < 0 || c0 > s2+turn+80 {
		t.Fatalf("C starts at sample %d, want within a block after L's %d-sample turn (by %d)", c0, turn, s2+turn+80)
	}
	// R rose on sin since the first skip, and turns around from its gain.
	var gTurn float64
	for k := 0; s+k < c0; k++ {
		g, ok := rGain(out, s+k, k)
		if !ok {
			continue
		}
		if _, want := xfCurve(k, n); math.Abs(g-want) > 1e-9 {
			t.Fatalf("R's gain %v at %d samples after the first skip, want sin %v", g, k, want)
		}
	}
	_, gTurn = xfCurve(c0-1-s, n)
	for k := 0; c0+k < len(out); k++ {
		i := c0 + k
		if k >= n {
			if out[i][1] != 0 {
				t.Fatalf("R %v at sample %d, after its fade-out, want silence", out[i][1], i)
			}
			if out[i][0] != -lrLevel {
				t.Fatalf("C %v at sample %d, want full level", out[i][0], i)
			}
			continue
		}
		gOut, gIn := xfCurve(k, n)
		if got := -out[i][0] / lrLevel; math.Abs(got-gIn) > 1e-9 {
			t.Fatalf("C's gain %v at %d samples into its crossfade, want sin %v", got, k, gIn)
		}
		if g, ok := rGain(out, i, i-s); ok && math.Abs(g-gTurn*gOut) > 1e-9 {
			t.Fatalf("R's gain %v at %d samples into C's crossfade, want %v·cos = %v", g, k, gTurn, gTurn*gOut)
		}
	}
	own := lrLevel * 2 * math.Pi * xfFreq / testRate
	slope := lrLevel * math.Pi / 2 / float64(turn)
	if got, where := maxStep(out[at(2.5):]); got > own+slope {
		t.Errorf("largest step %v at sample %d, want at most the music's own %v plus the quickest fade's %v", got, at(2.5)+where, own, slope)
	}
	if ev, ok := findEvent(evs, EventItemStarted, func(ev Event) bool { return ev.Item == 2 }); !ok || ev.Position != sec(40) {
		t.Errorf("item started event %v (found %v), want item 3 at 40s", ev, ok)
	}
	if p := positionsAfter(evs, sec(40)); len(p) < 4 || p[0] > sec(41) {
		t.Errorf("positions after the second skip %v, want C's, from 40–41 s", p)
	}
}

func TestEngine_Render_SkipPassesOverAnItemThatFailsToOpen(t *testing.T) {
	cues := append(play(lrTimeline("L", "X", "R")), skipAt(3))
	out, evs := render(t, testConfig(lrOpener()), sec(9), cues...)
	n, s := at(4), at(3)+latency
	if got := firstBelow(out, at(2.5), lrLevel); got != s {
		t.Fatalf("crossfade starts at sample %d, want %d", got, s)
	}
	for k := range n {
		wantOut, wantIn := xfCurve(k, n)
		if g := out[s+k][0] / lrLevel; math.Abs(g-wantOut) > 1e-9 {
			t.Fatalf("outgoing gain %v at %d samples into the crossfade, want %v", g, k, wantOut)
		}
		if g, ok := rGain(out, s+k, k); ok && math.Abs(g-wantIn) > 1e-9 {
			t.Fatalf("incoming gain %v at %d samples into the crossfade, want %v", g, k, wantIn)
		}
	}
	if ev, ok := findEvent(evs, EventItemFailed, func(ev Event) bool { return ev.Item == 1 }); !ok || ev.ItemEvent != timeline.OpenFailed || ev.Position != sec(20) {
		t.Errorf("item failed event %v (found %v), want item 2 open-failed at 20s", ev, ok)
	}
	if ev, ok := findEvent(evs, EventItemStarted, func(ev Event) bool { return ev.Item == 2 }); !ok || ev.Position != sec(40) {
		t.Errorf("item started event %v (found %v), want item 3 at 40s", ev, ok)
	}
}

func TestEngine_Render_SkipToNothingThatOpensKeepsPlaying(t *testing.T) {
	cues := append(play(lrTimeline("L", "X")), skipAt(3))
	out, evs := render(t, testConfig(lrOpener()), sec(9), cues...)
	for i := at(2.5); i < len(out); i++ {
		if out[i] != [2]float64{lrLevel, 0} {
			t.Fatalf("sample %d is %v, want the current item playing on untouched", i, out[i])
		}
	}
	if ev, ok := findEvent(evs, EventItemFailed, func(ev Event) bool { return ev.Item == 1 }); !ok || ev.ItemEvent != timeline.OpenFailed {
		t.Errorf("item failed event %v (found %v), want item 2 open-failed", ev, ok)
	}
	if p := positionsAfter(evs, sec(5)); len(p) < 3 || p[0] > sec(6) {
		t.Errorf("positions %v, want the current item's running on", p)
	}
}

func TestEngine_Render_SkipNearTheItemsEndShortensTheFadeOut(t *testing.T) {
	tl := timeline.Timeline{Items: []timeline.Item{{Track: "L", End: sec(4.5)}, {Track: "R", Start: sec(4.5), End: sec(30)}}}
	out, evs := render(t, testConfig(lrOpener()), sec(9), append(play(tl), skipAt(3))...)
	n, d, s := at(4), at(1.5), at(3)+latency
	for k := 0; s+k < len(out); k++ {
		wantOut, _ := xfCurve(k, d)
		if k >= d {
			wantOut = 0
		}
		if g := out[s+k][0] / lrLevel; math.Abs(g-wantOut) > 1e-9 {
			t.Fatalf("outgoing gain %v at %d samples into the crossfade, want a cos over the %d samples left of its item: %v", g, k, d, wantOut)
		}
		_, wantIn := xfCurve(k, n)
		if g, ok := rGain(out, s+k, k); ok && math.Abs(g-wantIn) > 1e-9 {
			t.Fatalf("incoming gain %v at %d samples into the crossfade, want %v", g, k, wantIn)
		}
	}
	ended, ok := findEvent(evs, EventItemEnded, func(ev Event) bool { return ev.Item == 0 })
	if !ok || ended.Position != sec(4.5) {
		t.Errorf("item ended event %v (found %v), want item 1 at 4.5s from the outgoing deck", ended, ok)
	}
	if ev, ok := findEvent(evs, EventItemStarted, func(ev Event) bool { return ev.Item == 1 }); !ok || ev.Position != sec(4.5) {
		t.Errorf("item started event %v (found %v), want item 2 at 4.5s", ev, ok)
	}
}

func TestEngine_Render_TimelineEndsDuringACrossfade(t *testing.T) {
	tl := timeline.Timeline{Items: []timeline.Item{{Track: "L", End: sec(20)}, {Track: "R", Start: sec(20), End: sec(21)}}}
	out, evs := render(t, testConfig(lrOpener()), 0, append(play(tl), skipAt(3))...)
	n, s := at(4), at(3)+latency
	if len(out) < s+n {
		t.Fatalf("render ended at sample %d, before the outgoing fade's end at %d", len(out), s+n)
	}
	for k := range n {
		if want, _ := xfCurve(k, n); math.Abs(out[s+k][0]/lrLevel-want) > 1e-9 {
			t.Fatalf("outgoing gain %v at %d samples into the crossfade, want %v: it must fade to its end when the incoming item ends", out[s+k][0]/lrLevel, k, want)
		}
	}
	for i := s + n; i < len(out); i++ {
		if out[i] != [2]float64{} {
			t.Fatalf("sample %d is %v after both decks ended, want silence", i, out[i])
		}
	}
	last := evs[len(evs)-1]
	if last.Kind != EventState || last.State != StateStopped {
		t.Errorf("last event %v, want state stopped", last)
	}
	if _, ok := findEvent(evs, EventItemEnded, func(ev Event) bool { return ev.Item == 1 && ev.Position == sec(21) }); !ok {
		t.Errorf("no item ended event for item 2 at 21s")
	}
}

func TestEngine_Render_QuietDuringACrossfade(t *testing.T) {
	cues := append(play(lrTimeline("L", "R")), skipAt(3),
		Cue{At: sec(3.5), Cmd: Command{Op: OpQuiet, On: true}}, Cue{At: sec(8.5), Cmd: Command{Op: OpQuiet}})
	out, _ := render(t, testConfig(lrOpener()), sec(12), cues...)
	s := at(3) + latency
	for i := at(5.5) + latency; i < at(8.5)+latency; i++ {
		if out[i] != [2]float64{} {
			t.Fatalf("sample %d is %v while quiet, want exact silence", i, out[i])
		}
	}
	// The crossfade ran on in quiet: back from it, only R, where its clock is.
	for i := at(8.5) + latency; i < len(out); i++ {
		if out[i][0] != 0 {
			t.Fatalf("outgoing %v at sample %d after quiet, want it gone", out[i][0], i)
		}
		if i >= at(10.5)+latency && math.Abs(out[i][1]-rCos(i-s)) > 1e-9 {
			t.Fatalf("sample %d is %v, want R's sample %d at full level, %v", i, out[i][1], i-s, rCos(i-s))
		}
	}
}

func TestEngine_Render_StopAndSeekDuringACrossfade(t *testing.T) {
	n, s := at(4), at(3)+latency
	t.Run("stop", func(t *testing.T) {
		cues := append(play(lrTimeline("L", "R")), skipAt(3), Cue{At: sec(4), Cmd: Command{Op: OpStop}})
		out, _ := render(t, testConfig(lrOpener()), 0, cues...)
		for i := s; i < at(6)+latency; i++ { // the crossfade runs on under the stop's fade
			k := i - s
			gOut, gIn := xfCurve(k, n)
			if c := rCos(k); math.Abs(out[i][0]) > 1e-4 && math.Abs(c) > lrLevel/2 {
				if got, want := out[i][1]/out[i][0], gIn/gOut*c/lrLevel; math.Abs(got-want) > 1e-6*math.Abs(want) {
					t.Fatalf("channel ratio %v at sample %d, want the crossfade's %v", got, i, want)
				}
			}
		}
		for i := at(6) + latency; i < len(out); i++ {
			if out[i] != [2]float64{} {
				t.Fatalf("sample %d is %v after the stop's fade, want silence", i, out[i])
			}
		}
	})
	t.Run("seek", func(t *testing.T) {
		cues := append(play(lrTimeline("L", "R")), skipAt(3), Cue{At: sec(4), Cmd: Command{Op: OpSeek, At: sec(5)}})
		out, _ := render(t, testConfig(lrOpener()), sec(11), cues...)
		sw := at(6) + latency // the pause fade's end
		for i := sw; i < len(out); i++ {
			if out[i][0] != 0 {
				t.Fatalf("outgoing %v at sample %d after the seek, want it gone", out[i][0], i)
			}
			if i >= sw+at(2) && math.Abs(out[i][1]-rCos(at(5)+i-sw)) > 1e-9 {
				t.Fatalf("sample %d is %v, want R's sample %d (5 s in), %v", i, out[i][1], at(5)+i-sw, rCos(at(5)+i-sw))
			}
		}
	})
}

func TestEngine_Render_CrossfadeDoesNotAllocate(t *testing.T) {
	cfg := testConfig(lrOpener())
	cfg.Sinks = []SinkConfig{{Name: "main", Sink: &capSink{}}}
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	prep := &syncPreparer{ctx: t.Context()}
	e.prep = prep
	defer prep.closeAll()
	for _, c := range append(play(lrTimeline("L", "R")), skipAt(0)) {
		if c.Cmd.Op == OpSkip {
			for range 300 { // past the fade-in
				e.render()
			}
		}
		if err := e.apply(c.Cmd); err != nil {
			t.Fatal(err)
		}
		e.advance()
	}
	if e.out == nil {
		t.Fatal("no crossfade running after the skip")
	}
	blk := make([][2]float64, cfg.Block)
	allocs := testing.AllocsPerRun(200, func() { // 2 s of the 4 s crossfade
		e.render()
		e.runners[0].fill(blk, e.mix)
	})
	if allocs != 0 {
		t.Errorf("%v allocations per block during a crossfade, want 0", allocs)
	}
	if e.out == nil {
		t.Errorf("crossfade over before the measurement ended")
	}
}

func TestEngine_Render_SkipTooCloseToTheNextItemLetsItCome(t *testing.T) {
	// 50 ms before R starts there is no room to fade L out first: the skip
	// is dropped and the timeline's own gapless transition brings R.
	cues := append(play(lrTimeline("L", "R")), skipAt(19.95))
	out, evs := render(t, testConfig(lrOpener()), sec(22), cues...)
	for i := at(18) + latency; i < len(out); i++ {
		want := [2]float64{lrLevel, 0}
		if i >= at(20)+latency {
			want = [2]float64{0, rCos(i - at(20) - latency)}
		}
		if math.Abs(out[i][0]-want[0]) > 1e-12 || math.Abs(out[i][1]-want[1]) > 1e-12 {
			t.Fatalf("sample %d is %v, want %v: L untouched to its end, then R", i, out[i], want)
		}
	}
	if ev, ok := findEvent(evs, EventItemStarted, func(ev Event) bool { return ev.Item == 1 }); !ok || ev.Position != sec(20) {
		t.Errorf("item started event %v (found %v), want item 2 at 20s", ev, ok)
	}
}
