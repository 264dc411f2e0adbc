package media_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"attune/media"
	"attune/media/store"
)

// addTracks puts n tracks with files /music/N.wav into st.
func addTracks(tb testing.TB, st *store.Store, n int) []media.Track {
	tb.Helper()
	var tracks []media.Track
	for i := range n {
		id := fmt.Sprintf("%024d", i+1)
		tr := media.Track{ID: id, Path: fmt.Sprintf("/music/%d.wav", i+1)}
		tr.Info.Stream = media.Stream{Format: media.FormatWAV, SampleRate: 48000, Channels: 2, Samples: 48000}
		if _, err := st.AddTrack(context.Background(), tr, media.File{Path: tr.Path, TrackID: id, Size: 1}); err != nil {
			tb.Fatal(err)
		}
		tracks = append(tracks, tr)
	}
	return tracks
}

func openStore(tb testing.TB) *store.Store {
	tb.Helper()
	st, err := store.Open(context.Background(), tb.TempDir()+"/attune.db")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}

// drain collects events until the channel is closed.
func drain(events <-chan media.AnalysisEvent, into *[]media.AnalysisEvent, done chan<- struct{}) {
	for ev := range events {
		*into = append(*into, ev)
	}
	close(done)
}

func TestAnalyzer_Analyze(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	tracks := addTracks(t, st, 7)
	// Track 3 had a result, and now fails: it keeps the result.
	if err := st.PutLoudness(ctx, tracks[2].ID, media.Loudness{Integrated: -30, Version: media.AnalyzerVersion}); err != nil {
		t.Fatal(err)
	}
	var inflight, most atomic.Int64
	measure := func(ctx context.Context, path string, s media.Stream) (media.Loudness, error) {
		n := inflight.Add(1)
		defer inflight.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		switch path {
		case "/music/3.wav":
			return media.Loudness{}, errors.New("decode: bad frame")
		case "/music/5.wav":
			panic("decoder bug")
		}
		return media.Loudness{Integrated: -10 - float64(len(path)), TruePeak: -1, Range: 3}, nil
	}
	a := media.NewAnalyzer(st, measure, 3)
	events := make(chan media.AnalysisEvent)
	var got []media.AnalysisEvent
	done := make(chan struct{})
	go drain(events, &got, done)
	sum, err := a.Analyze(ctx, tracks, events)
	close(events)
	<-done
	if err != nil {
		t.Fatalf("Analyze: %v", err)
	}
	if sum.Analyzed != 5 || sum.Failed != 2 {
		t.Errorf("summary %+v, want 5 analysed, 2 failed", sum)
	}
	if m := most.Load(); m > 3 {
		t.Errorf("%d files measured at once, want at most 3 workers", m)
	}
	if len(got) != 7 {
		t.Fatalf("%d events, want 7", len(got))
	}
	for i, ev := range got {
		if ev.Done != i+1 || ev.Total != 7 || ev.Path == "" || ev.TrackID == "" {
			t.Errorf("event %d = %+v, want done %d of 7 with its file", i, ev, i+1)
		}
		if (ev.Error == "") == (ev.Loudness == nil) {
			t.Errorf("event %d = %+v: want a result or an error", i, ev)
		}
	}

	for i, tr := range tracks {
		stored, err := st.Track(ctx, tr.ID)
		if err != nil {
			t.Fatal(err)
		}
		l := stored.Loudness
		switch i {
		case 2:
			if l == nil || l.Integrated != -30 || stored.LoudnessError != "decode: bad frame" {
				t.Errorf("failed track: loudness %+v, error %q; want the old -30 LUFS and the error", l, stored.LoudnessError)
			}
		case 4:
			if l != nil || stored.LoudnessError == "" {
				t.Errorf("panicking track: loudness %+v, error %q; want an error only", l, stored.LoudnessError)
			}
		default:
			if l == nil || l.Integrated != -10-float64(len(tr.Path)) || l.Version != media.AnalyzerVersion ||
				l.AnalyzedAt.IsZero() || stored.LoudnessError != "" {
				t.Errorf("track %d: loudness %+v, error %q", i+1, l, stored.LoudnessError)
			}
		}
	}
	todo, err := st.TracksToAnalyze(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(todo) != 1 || todo[0].ID != tracks[4].ID {
		t.Errorf("left to analyse: %d tracks, want the one that never succeeded", len(todo))
	}
}

// Cancelling stops the run: the workers stop, Analyze returns the context's
// error, and nothing is recorded as the files' failure.
func TestAnalyzer_Analyze_Cancel(t *testing.T) {
	st := openStore(t)
	tracks := addTracks(t, st, 5)
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{}, 5)
	measure := func(ctx context.Context, path string, s media.Stream) (media.Loudness, error) {
		started <- struct{}{}
		<-ctx.Done()
		return media.Loudness{}, fmt.Errorf("measure %s: %w", path, ctx.Err())
	}
	errc := make(chan error)
	go func() {
		_, err := media.NewAnalyzer(st, measure, 2).Analyze(ctx, tracks, nil)
		errc <- err
	}()
	<-started
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("Analyze after cancel: %v, want context.Canceled", err)
	}
	for _, tr := range tracks {
		if got, _ := st.Track(context.Background(), tr.ID); got.LoudnessError != "" || got.Loudness != nil {
			t.Errorf("%s: loudness %+v, error %q; want nothing recorded", tr.Path, got.Loudness, got.LoudnessError)
		}
	}
}

// brokenLoudnessStore refuses every write.
type brokenLoudnessStore struct{}

func (brokenLoudnessStore) PutLoudness(context.Context, string, media.Loudness) error {
	return errors.New("disk full")
}
func (brokenLoudnessStore) PutLoudnessError(context.Context, string, string) error {
	return errors.New("disk full")
}

func TestAnalyzer_Analyze_StoreFails(t *testing.T) {
	tracks := make([]media.Track, 4)
	for i := range tracks {
		tracks[i] = media.Track{ID: fmt.Sprint(i), Path: fmt.Sprint("/m/", i)}
	}
	measure := func(context.Context, string, media.Stream) (media.Loudness, error) {
		return media.Loudness{Integrated: -18}, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a hang fails rather than blocks
	defer cancel()
	_, err := media.NewAnalyzer(brokenLoudnessStore{}, measure, 2).Analyze(ctx, tracks, nil)
	if err == nil || ctx.Err() != nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("Analyze with a failing store: %v, want the store's error", err)
	}
}
