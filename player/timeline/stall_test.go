package timeline

import (
	"context"
	"errors"
	"math"
	"sync"
	"testing"
	"time"
)

const probeStep = 1e-6

// checkStall checks a probe item's output across a mid-item underrun: full
// level and the right track frame up to the Underrun event, a smooth
// monotonic fade of at least LowWater to exact silence, silence up to
// resume, a LateFade fade-in from resume on the frame the timeline has
// reached, and exact audio after it. start is the item's start sample and
// off its offset in samples.
func checkStall(tb testing.TB, out [][2]float64, evs []Event, start, off, resume int64) {
	tb.Helper()
	frame := func(i int64) float64 { return float64(i-start+off) * probeStep }
	ev, ok := findEvent(evs, Underrun, 0)
	if !ok || !errors.Is(ev.Err, ErrStalled) {
		tb.Fatalf("Underrun event %+v (found %v), want one with ErrStalled in %v", ev, ok, evs)
	}
	u := ev.Sample
	for i := start; i < u; i++ {
		if out[i] != [2]float64{0.5, frame(i)} {
			tb.Fatalf("sample %d before the underrun = %v, want [0.5 %v]", i, out[i], frame(i))
		}
	}
	z := u
	for z < resume && out[z][0] != 0 {
		z++
	}
	if fade := z - u; fade < Samples(LowWater, rate) {
		tb.Errorf("underrun fade %d–%d lasts %d samples, want at least LowWater (%d)", u, z, fade, Samples(LowWater, rate))
	}
	maxStep := math.Pi / 2 * 0.5 / float64(z-u)
	for i := u; i < z; i++ {
		if d := out[i-1][0] - out[i][0]; d < 0 || d > maxStep*1.0001 {
			tb.Fatalf("fade-out at %d: %v after %v: not a smooth monotonic fade (step ≤ %v)", i, out[i][0], out[i-1][0], maxStep)
		}
		if got := out[i][1] / out[i][0] * 0.5; math.Abs(got-frame(i)) > 1e-9 {
			tb.Fatalf("fade-out at %d plays track value %v, want %v", i, got, frame(i))
		}
	}
	if got := out[z-1][0]; got <= 0 || got > maxStep {
		tb.Errorf("last sample of the fade-out %v, want just above zero", got)
	}
	for i := z; i < resume; i++ {
		if out[i] != [2]float64{} {
			tb.Fatalf("sample %d while starved = %v, want exact silence until %d", i, out[i], resume)
		}
	}
	fade := Samples(LateFade, rate)
	maxStep = math.Pi / 2 * 0.5 / float64(fade)
	if got := out[resume][0]; got <= 0 || got > maxStep {
		tb.Errorf("first sample of the fade-in at %d = %v, want just above zero", resume, got)
	}
	for i := resume; i < resume+fade; i++ {
		if d := out[i][0] - out[i-1][0]; d < 0 || d > maxStep*1.0001 {
			tb.Fatalf("fade-in at %d: %v after %v: not a smooth monotonic fade", i, out[i][0], out[i-1][0])
		}
		if got := out[i][1] / out[i][0] * 0.5; math.Abs(got-frame(i)) > 1e-9 {
			tb.Fatalf("fade-in at %d plays track value %v, want %v: off the timeline", i, got, frame(i))
		}
	}
	for i := resume + fade; i < resume+fade+Samples(time.Second, rate); i++ {
		if out[i] != [2]float64{0.5, frame(i)} {
			tb.Fatalf("sample %d after resuming = %v, want [0.5 %v]", i, out[i], frame(i))
		}
	}
}

func TestSequencer_StalledPrepareFadesOutAndResumes(t *testing.T) {
	// Offline and deterministic: Prepare is withheld from 2 s to 6 s, so the
	// ring (filled to 2 s + ReadAhead) runs low at about 3.75 s.
	o := &fakeOpener{tracks: map[string]fakeTrack{"p": {sig: probe(probeStep), length: 60 * rate}}}
	tl := Timeline{Items: []Item{{Track: "p", Start: sec(1), End: sec(12), Offset: sec(0.5)}}}
	out, evs := playWith(t, tl, Config{Rate: rate, Opener: o}, 480, func(s *Sequencer) bool {
		return s.Position() < 2*rate || s.Position() >= 6*rate
	})
	checkStall(t, out, evs, rate, rate/2, 6*rate)
	if ev, ok := findEvent(evs, ItemEnded, 0); !ok || ev.Sample != 12*rate {
		t.Errorf("ItemEnded %+v (found %v), want at its End %d", ev, ok, 12*rate)
	}
	if opened, closed := o.counts(); opened != 1 || closed != 1 {
		t.Errorf("opened %d, closed %d sources, want 1 each", opened, closed)
	}
}

func TestSequencer_StarvedUntilEndStaysSilent(t *testing.T) {
	// Prepare never comes back: the item fades out and ends silent on time,
	// and the next item (opened by the final Prepare calls) plays.
	o := &fakeOpener{tracks: map[string]fakeTrack{"p": {sig: probe(probeStep), length: 60 * rate}}}
	tl := Timeline{Items: []Item{
		{Track: "p", Start: 0, End: sec(8)},
		{Track: "p", Start: sec(8), End: sec(9)},
	}}
	out, evs := playWith(t, tl, Config{Rate: rate, Opener: o}, 480, func(s *Sequencer) bool {
		return s.Position() < rate || s.Position() >= sec2(7.5)
	})
	ev, ok := findEvent(evs, Underrun, 0)
	if !ok {
		t.Fatalf("no Underrun in %v", evs)
	}
	if z := firstZeroRun(out, int(ev.Sample)); z < 0 || firstNonZero(out, z) != 8*rate {
		t.Errorf("after the fade from %d: silence from %d, next sound at %d, want the next item's start %d", ev.Sample, z, firstNonZero(out, max(z, 0)), 8*rate)
	}
	if ev, ok := findEvent(evs, ItemEnded, 0); !ok || ev.Sample != 8*rate {
		t.Errorf("ItemEnded %+v (found %v), want at %d", ev, ok, 8*rate)
	}
}

func countEvents(evs []Event, k EventKind) int {
	n := 0
	for _, ev := range evs {
		if ev.Kind == k {
			n++
		}
	}
	return n
}

// sec2 is a timeline sample count at rate for s seconds.
func sec2(s float64) int64 { return Samples(sec(s), rate) }

// firstZeroRun returns where out[from:] first becomes exact silence for
// the rest of a 100-sample run, or -1.
func firstZeroRun(out [][2]float64, from int) int {
	for i := from; i+100 <= len(out); i++ {
		if firstNonZero(out[i:i+100], 0) == -1 {
			return i
		}
	}
	return -1
}

// lockstep runs Prepare on a goroutine of its own, kicked before each
// Stream of the test goroutine, which waits for it after the Stream: the
// two overlap, and Prepare always keeps up. While stalled, Stream goes on
// without waiting.
type lockstep struct {
	s          *Sequencer
	kick, done chan struct{}
	cancel     context.CancelFunc
	wg         sync.WaitGroup
}

func startLockstep(s *Sequencer) *lockstep {
	ctx, cancel := context.WithCancel(context.Background())
	l := &lockstep{s: s, kick: make(chan struct{}, 1), done: make(chan struct{}, 1), cancel: cancel}
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		for {
			select {
			case <-ctx.Done():
				return
			case <-l.kick:
			}
			_ = s.Prepare(ctx) // only ctx's error, which ends the loop
			select {
			case l.done <- struct{}{}:
			case <-ctx.Done():
				return
			}
		}
	}()
	return l
}

func (l *lockstep) stop() {
	l.cancel()
	l.wg.Wait()
}

func TestSequencer_BlockedSourceNeverBlocksStream(t *testing.T) {
	// The source blocks 6 s into the track (5.5 s on the timeline). Prepare, on its goroutine, gets
	// stuck in it; Stream, here, must keep returning, fade out to exact
	// silence and resume on the timeline once the source is released.
	g := newGate(6 * rate)
	o := &fakeOpener{tracks: map[string]fakeTrack{
		"p":    {sig: probe(probeStep), length: 60 * rate, gate: g},
		"next": {sig: dc(0.25), length: 60 * rate},
	}}
	tl := Timeline{Items: []Item{
		{Track: "p", Start: sec(0.5), End: sec(14), Offset: sec(1)},
		{Track: "next", Start: sec(14), End: sec(15)},
	}}
	ch := make(chan Event, 1024)
	s, err := NewSequencer(tl, Config{Rate: rate, Opener: o, Events: ch})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Prepare(context.Background()); err != nil {
		t.Fatal(err)
	}
	l := startLockstep(s)
	var out [][2]float64
	buf := make([][2]float64, 480)
	stalled, released := false, false
	var resume, stalledCalls int64
	for {
		if !stalled {
			l.kick <- struct{}{}
		}
		n, ok := s.Stream(buf)
		if !ok {
			break
		}
		out = append(out, buf[:n]...)
		switch {
		case released:
			<-l.done
		case !stalled:
			select {
			case <-l.done:
			case <-g.stuck:
				stalled = true
			}
		case !released && int64(len(out)) >= 10*rate:
			// Still starved after 5 s or more of timeline: let the source go
			// and wait for the stuck Prepare to finish its work.
			close(g.release)
			released, stalled = true, false
			<-l.done
			resume = s.Position()
		default:
			stalledCalls++
		}
	}
	l.stop()
	_ = s.Prepare(context.Background()) // closes what finished last
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	close(ch)
	var evs []Event
	for ev := range ch {
		evs = append(evs, ev)
	}
	if !released {
		t.Fatalf("Prepare never got stuck in the source (events %v)", evs)
	}
	if min := int64(4 * rate / 480); stalledCalls < min {
		t.Errorf("Stream returned %d times while Prepare was stuck, want at least %d", stalledCalls, min)
	}
	if n := countEvents(evs, Underrun); n != 1 {
		t.Errorf("%d underruns, want 1: %v", n, evs)
	}
	if got, want := int64(len(out)), 15*int64(rate); got != want {
		t.Fatalf("streamed %d samples, want %d", got, want)
	}
	checkStall(t, out, evs, rate/2, rate, resume)
	if ev, _ := findEvent(evs, Underrun, 0); ev.Sample+Samples(LowWater, rate) > rate/2+5*rate {
		t.Errorf("fade-out from %d does not end before the source blocked, at %d", ev.Sample, rate/2+5*rate)
	}
	if got := firstNonZero(out, 14*rate); got != 14*rate || out[got][0] != 0.25 {
		t.Errorf("next item starts at %d (%v), want at %d with 0.25", got, out[got], 14*rate)
	}
	if opened, closed := o.counts(); opened != 2 || closed != 2 {
		t.Errorf("opened %d, closed %d sources, want 2 each", opened, closed)
	}
}

func TestSequencer_ConcurrentPrepare(t *testing.T) {
	// The live shape: Prepare on its own goroutine, overlapping every Stream.
	// Run under -race. Crossfades, gapless joins, a gap and a failing source:
	// the audio must equal the synchronous render sample for sample.
	o := &fakeOpener{tracks: map[string]fakeTrack{
		"s":   {sig: sine(440, 0.5, rate), length: 3600 * rate},
		"bad": {sig: sine(330, 0.5, rate), length: 3600 * rate, failAt: 7 * rate, failErr: errors.New("corrupt frame")},
	}}
	var items []Item
	at := time.Duration(0)
	for i := range 10 {
		it := Item{Track: "s", Start: at, End: at + sec(3.5), Offset: sec(float64(i))}
		switch i % 3 {
		case 0:
			at += sec(3) // crossfade
		case 1:
			at += sec(3.5) // gapless
		case 2:
			at += sec(4) // gap
		}
		items = append(items, it)
	}
	items[4].Track, items[4].End = "bad", items[4].Start+sec(5)
	tl := Timeline{Items: items}
	want, wantEvs := play(t, tl, o, rate, 512)
	if _, ok := findEvent(wantEvs, SourceFailed, 4); !ok {
		t.Fatalf("the failing item did not fail: %v", wantEvs)
	}

	ch := make(chan Event, 1024)
	s, err := NewSequencer(tl, Config{Rate: rate, Opener: o, Events: ch})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Prepare(context.Background()); err != nil { // as the engine does before it starts playing
		t.Fatal(err)
	}
	l := startLockstep(s)
	var got [][2]float64
	buf := make([][2]float64, 512)
	for {
		l.kick <- struct{}{}
		n, ok := s.Stream(buf)
		<-l.done
		if !ok {
			break
		}
		got = append(got, buf[:n]...)
	}
	l.stop()
	_ = s.Prepare(context.Background())
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	close(ch)
	for ev := range ch {
		if ev.Kind == Underrun || ev.Kind == Missed {
			t.Errorf("unexpected event %v", ev)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("got %d samples, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("sample %d = %v, want %v", i, got[i], want[i])
		}
	}
	if opened, closed := o.counts(); closed != opened {
		t.Errorf("opened %d, closed %d", opened, closed)
	}
}
