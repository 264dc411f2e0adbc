package player

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// underrunStep is what a scripted sink's device has done by the end of one
// Write: the time on the runner's clock and its underrun count.
type underrunStep struct {
	at        time.Duration
	underruns int64
}

// underrunSink is a sink whose Write plays out a script of underrun counts
// and clock times, so rate limiting is tested without waiting.
type underrunSink struct {
	steps  []underrunStep
	writes int
	count  int64 // Underruns; set by the script
	clock  time.Time
	closed bool
}

func (s *underrunSink) Write([][2]float64) error {
	if s.writes < len(s.steps) {
		st := s.steps[s.writes]
		s.count, s.clock = st.underruns, time.Unix(0, 0).Add(st.at)
	}
	s.writes++
	return nil
}
func (s *underrunSink) Paced() bool      { return true }
func (s *underrunSink) Close() error     { s.closed = true; return nil }
func (s *underrunSink) Underruns() int64 { return s.count }

var _ underrunCounter = (*underrunSink)(nil)

// runScripted feeds blocks blocks through a runner for sc until the sink has
// written them all, and returns the events it emitted. clock is the sink
// whose script drives the runner's clock.
func runScripted(t testing.TB, sc SinkConfig, clock *underrunSink, blocks int) []Event {
	t.Helper()
	var events []Event
	r := newSinkRunner(sc, 48000, 16, func(ev Event) { events = append(events, ev) })
	r.now = func() time.Time { return clock.clock }
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.run(context.Background())
	}()
	for range blocks {
		r.full <- <-r.free
	}
	close(r.full)
	<-done // events is the runner goroutine's until here
	return events
}

func underrunEvents(t testing.TB, events []Event) []SinkUnderruns {
	t.Helper()
	var got []SinkUnderruns
	for _, ev := range events {
		if ev.Kind != EventSinkUnderrun {
			continue
		}
		var u *SinkUnderruns
		if !errors.As(ev.Err, &u) {
			t.Fatalf("event %v: Err %v, want an *SinkUnderruns", ev, ev.Err)
		}
		if ev.Sink != "speaker" || u.Sink != "speaker" || ev.Item != -1 {
			t.Errorf("event %v names sink %q / %q, item %d; want speaker, -1", ev, ev.Sink, u.Sink, ev.Item)
		}
		got = append(got, *u)
	}
	return got
}

// Each increase of a sink's underrun count is reported, at most once a
// second, each event carrying the new and the total count; what is pending
// when the runner ends is reported then.
func TestSinkRunner_Underruns(t *testing.T) {
	ms := time.Millisecond
	sink := &underrunSink{steps: []underrunStep{
		{0, 0},
		{10 * ms, 1},   // the first is reported at once
		{20 * ms, 3},   // within a second of it: held back
		{500 * ms, 4},  // likewise
		{1010 * ms, 4}, // a second after the first: the held-back 3
		{1020 * ms, 4}, // no change: nothing
		{3000 * ms, 6}, // long after: at once
		{3100 * ms, 7}, // held back, then sent as the runner ends
		{3200 * ms, 7},
	}}
	events := runScripted(t, SinkConfig{Name: "speaker", Sink: sink}, sink, len(sink.steps))
	got := underrunEvents(t, events)
	want := []SinkUnderruns{
		{"speaker", 1, 1},
		{"speaker", 3, 4},
		{"speaker", 2, 6},
		{"speaker", 1, 7},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("underrun events %v, want %v", got, want)
	}
	if len(got) != len(events) {
		t.Errorf("%d events, %d of them underruns; want only underruns: %v", len(events), len(got), events)
	}
	if !sink.closed {
		t.Error("the sink was not closed")
	}
}

// A device that runs dry on every block yields one event per second of
// runner clock, not one per block.
func TestSinkRunner_UnderrunsRateLimited(t *testing.T) {
	var steps []underrunStep
	for i := range 1000 { // 10 s of 10 ms blocks, an underrun in each
		steps = append(steps, underrunStep{time.Duration(i) * 10 * time.Millisecond, int64(i + 1)})
	}
	sink := &underrunSink{steps: steps}
	got := underrunEvents(t, runScripted(t, SinkConfig{Name: "speaker", Sink: sink}, sink, len(steps)))
	// At 0 s, 1 s, … 9 s, and the rest at the end: 11 events.
	if len(got) != 11 {
		t.Fatalf("%d events for 1000 underruns over 10 s, want 11: %v", len(got), got)
	}
	var sum int64
	for _, u := range got {
		sum += u.New
	}
	if last := got[len(got)-1]; last.Total != 1000 || sum != 1000 {
		t.Errorf("last total %d, sum of new %d; want 1000 and 1000", last.Total, sum)
	}
}

// Underruns a sink counted before the runner took it over (or before the
// engine reopened it) are not reported as new.
func TestSinkRunner_UnderrunsFromAdoption(t *testing.T) {
	for _, reopened := range []bool{false, true} {
		sink := &underrunSink{count: 5, steps: []underrunStep{{0, 5}, {10 * time.Millisecond, 6}}}
		sc := SinkConfig{Name: "speaker", Sink: sink}
		if reopened { // opened on the first block
			sc = SinkConfig{Name: "speaker", Reopen: func(context.Context) (Sink, error) { return sink, nil }}
		}
		got := underrunEvents(t, runScripted(t, sc, sink, 2))
		if want := []SinkUnderruns{{"speaker", 1, 1}}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("reopened %v: events %v, want %v", reopened, got, want)
		}
	}
}

// A sink without an underrun count yields no underrun events.
func TestSinkRunner_NoUnderrunCounter(t *testing.T) {
	sink := &underrunSink{}
	var plain struct{ Sink }
	plain.Sink = sink // hides Underruns
	if events := runScripted(t, SinkConfig{Name: "speaker", Sink: plain}, sink, 3); len(events) != 0 {
		t.Errorf("events %v, want none", events)
	}
}

func TestEvent_String_OutputUnderrun(t *testing.T) {
	ev := Event{Kind: EventSinkUnderrun, Sink: "speaker", Item: -1, Err: &SinkUnderruns{Sink: "speaker", New: 2, Total: 5}}
	want := `sink_underrun at 0s sink speaker: sink "speaker": the device ran dry 2 times (5 in all) and recovered; a gap was heard`
	if got := ev.String(); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	once := (&SinkUnderruns{Sink: "speaker", New: 1, Total: 1}).Error()
	if want := `sink "speaker": the device ran dry once (1 in all) and recovered; a gap was heard`; once != want {
		t.Errorf("Error() = %q, want %q", once, want)
	}
}
