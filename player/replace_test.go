package player

import (
	"math"
	"strings"
	"testing"

	"attune/player/timeline"
)

// A replace swaps timelines on the sample without a trace: the output is
// the old timeline's, sample for sample, until the new one differs.
func TestEngine_Replace_seamless(t *testing.T) {
	o := fakeOpener{"q": {sig: quad(50, 0.5), length: at(100)}}
	a := timeline.Timeline{Items: []timeline.Item{{Track: "q", End: sec(30)}}}
	b := timeline.Timeline{Items: []timeline.Item{{Track: "q", End: sec(12), FadeOut: sec(2)}}}
	start := []Cue{{Cmd: Command{Op: OpLoad, Timeline: a}}, {Cmd: Command{Op: OpPlay}}}
	ref, _ := render(t, testConfig(o), sec(14), start...)
	out, evs := render(t, testConfig(o), sec(14), append(start, Cue{At: sec(6), Cmd: Command{Op: OpReplace, Timeline: b, At: sec(8)}})...)
	for i := range at(9.9) {
		if d := math.Max(math.Abs(out[i][0]-ref[i][0]), math.Abs(out[i][1]-ref[i][1])); d > 1e-12 {
			t.Fatalf("sample %d (%.3f s): differs from the old timeline's by %g; want identical until the new one's fade", i, float64(i)/testRate, d)
		}
	}
	// Then the new timeline's own fade-out, to silence at 12 s.
	if p := peaks(out[at(10.5):at(11)], at(0.5)); p[0] >= 0.5 || p[0] < 0.05 {
		t.Errorf("during the new timeline's fade-out: peak %.3f, want between 0.05 and 0.5", p[0])
	}
	if i := lastNonZero(out, len(out)); i > at(12.1) {
		t.Errorf("music until %.3f s, want silence from the new timeline's end at 12 s", float64(i)/testRate)
	}
	for _, ev := range evs {
		if ev.Kind == EventItemFailed || ev.Kind == EventUnderrun {
			t.Errorf("event %v", ev)
		}
	}
}

// A replace too close to the music is refused: the engine could not swap on
// the sample.
func TestEngine_Replace_tooClose(t *testing.T) {
	o := fakeOpener{"q": {sig: quad(50, 0.5), length: at(100)}}
	tl := timeline.Timeline{Items: []timeline.Item{{Track: "q", End: sec(30)}}}
	e, err := New(testConfig(o))
	if err != nil {
		t.Fatal(err)
	}
	err = e.Render(t.Context(), sec(5), []Cue{{Cmd: Command{Op: OpLoad, Timeline: tl}}, {Cmd: Command{Op: OpPlay}},
		{At: sec(3), Cmd: Command{Op: OpReplace, Timeline: tl, At: sec(3.1)}}})
	if err == nil || !strings.Contains(err.Error(), "ahead of the music") {
		t.Errorf("replace 0.1 s ahead: got %v", err)
	}
}

// A crossfade into another timeline: the old one fades out on cos and the
// new one in on sin over the given fade, the new one from its position at
// the command's time.
func TestEngine_Crossfade_otherTimeline(t *testing.T) {
	o := lrOpener()
	a := timeline.Timeline{Items: []timeline.Item{{Track: "L", End: sec(60)}}}
	b := timeline.Timeline{Items: []timeline.Item{{Track: "R", End: sec(60)}}}
	out, _ := render(t, testConfig(o), sec(10),
		Cue{Cmd: Command{Op: OpLoad, Timeline: a}}, Cue{Cmd: Command{Op: OpPlay}},
		Cue{At: sec(5), Cmd: Command{Op: OpCrossfade, Timeline: b, At: sec(5), Fade: sec(2)}})
	s := firstBelow(out, at(3), lrLevel*(1-1e-9))
	if s < 0 || s < at(5) || s > at(5)+160 {
		t.Fatalf("the old timeline starts fading at %d, want within a block or two of %d", s, at(5))
	}
	n := at(2)
	for _, k := range []int{n / 4, n / 2, 3 * n / 4} {
		wantOut, wantIn := xfCurve(k, n)
		if got := out[s+k][0] / lrLevel; math.Abs(got-wantOut) > 1e-3 {
			t.Errorf("%d samples in: old timeline's gain %.4f, want %.4f", k, got, wantOut)
		}
		// The new track plays from its sample 5 s at the fade's start.
		for j := k; j < k+40; j++ {
			if g, ok := rGain(out, s+j, at(5)+j); ok {
				if math.Abs(g-wantIn) > 0.02 {
					t.Errorf("%d samples in: new timeline's gain %.4f, want %.4f (is it at the right place in its track?)", j, g, wantIn)
				}
				break
			}
		}
	}
	if i := lastNonZeroLeft(out); i > s+n {
		t.Errorf("the old timeline sounds until %d, want silence from %d", i, s+n)
	}
}

func lastNonZeroLeft(out [][2]float64) int {
	for i := len(out) - 1; i >= 0; i-- {
		if out[i][0] != 0 {
			return i
		}
	}
	return -1
}

// Paused, a crossfade loads silently and resume fades the new timeline in
// from where it was placed.
func TestEngine_Crossfade_whilePaused(t *testing.T) {
	o := lrOpener()
	a := timeline.Timeline{Items: []timeline.Item{{Track: "L", End: sec(60)}}}
	b := timeline.Timeline{Items: []timeline.Item{{Track: "R", End: sec(60)}}}
	out, _ := render(t, testConfig(o), sec(12),
		Cue{Cmd: Command{Op: OpLoad, Timeline: a}}, Cue{Cmd: Command{Op: OpPlay}},
		Cue{At: sec(3), Cmd: Command{Op: OpPause}},
		Cue{At: sec(6), Cmd: Command{Op: OpCrossfade, Timeline: b, At: sec(20), Fade: sec(2)}},
		Cue{At: sec(7), Cmd: Command{Op: OpResume}})
	for i := at(5.2); i < at(7); i++ {
		if out[i] != [2]float64{} {
			t.Fatalf("sample %d while paused: %v, want silence", i, out[i])
		}
	}
	if i := lastNonZeroLeft(out); i > at(5.2) {
		t.Errorf("the old timeline sounds at %.2f s after the pause", float64(i)/testRate)
	}
	if p := peaks(out[at(10):at(11)], at(1)); math.Abs(p[0]-lrLevel) > 1e-6 {
		t.Errorf("after the resume fade: peak %.4f, want the new timeline at %.2f", p[0], lrLevel)
	}
}
