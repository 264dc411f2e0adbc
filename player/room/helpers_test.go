package room_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	mstore "attune/media/store"
	"attune/player"
	"attune/player/room"
	"attune/player/session"
	sstore "attune/player/session/store"
	"attune/player/synth"
	"attune/player/timeline"
	"attune/playlists"
)

const testRate = 8000

// testTracks are the library of the tests: a to f, 7 minutes each.
func testTracks() playlists.TrackMap {
	tracks := playlists.TrackMap{}
	for _, id := range []string{"a", "b", "c", "d", "e", "f", "g"} {
		tracks[id] = playlists.TrackInfo{Duration: 7 * time.Minute}
	}
	return tracks
}

func testPlaylist() playlists.Playlist {
	e := func(ids ...string) []playlists.Entry {
		var out []playlists.Entry
		for _, id := range ids {
			out = append(out, playlists.Entry{Track: id})
		}
		return out
	}
	return playlists.Playlist{Name: "Arc", Phases: []playlists.Phase{
		{Role: playlists.RoleArrival, Tracks: e("g"), Fill: playlists.FillLoop},
		{Role: playlists.RoleSettling, Tracks: e("a", "b"), Fill: playlists.FillPinkNoise},
		{Role: playlists.RoleJourney, Tracks: e("c", "d", "e"), Fill: playlists.FillLoop},
		{Role: playlists.RoleIntegration, Tracks: e("f"), Fill: playlists.FillLoop},
	}}
}

// sineOpener opens every library track as a -20 dBFS sine of its length,
// and soundscapes as package synth makes them.
type sineOpener struct{ tracks playlists.TrackMap }

func (o sineOpener) Open(_ context.Context, it timeline.Item, rate int) (timeline.Source, error) {
	if k, ok := synth.Parse(it.Track); ok {
		return synth.New(k, rate)
	}
	ti, ok := o.tracks[it.Track]
	if !ok {
		return nil, fmt.Errorf("no track %q", it.Track)
	}
	return &sine{rate: rate, n: int(ti.Duration.Seconds() * float64(rate))}, nil
}

type sine struct{ rate, pos, n int }

func (s *sine) Stream(buf [][2]float64) (int, bool) {
	i := 0
	for ; i < len(buf) && s.pos < s.n; i++ {
		v := 0.1 * math.Sin(2*math.Pi*440*float64(s.pos)/float64(s.rate))
		buf[i] = [2]float64{v, v}
		s.pos++
	}
	return i, i > 0
}
func (s *sine) Err() error { return nil }
func (s *sine) Seek(p int) error {
	if p < 0 || p > s.n {
		return fmt.Errorf("seek %d outside 0…%d", p, s.n)
	}
	s.pos = p
	return nil
}
func (s *sine) Close() error { return nil }

// capSink is a speaker that keeps the peak of what it was given.
type capSink struct {
	mu     sync.Mutex // protects the fields below: the engine writes, the test reads
	frames int
	peak   float64
	closed int
}

func (c *capSink) Write(b [][2]float64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.frames += len(b)
	for _, x := range b {
		c.peak = max(c.peak, math.Abs(x[0]), math.Abs(x[1]))
	}
	return nil
}
func (c *capSink) Paced() bool { return false }
func (c *capSink) Close() error {
	c.mu.Lock()
	c.closed++
	c.mu.Unlock()
	return nil
}

// take returns the peak since the last take and how many frames came.
func (c *capSink) take() (peak float64, frames int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	peak, frames = c.peak, c.frames
	c.peak, c.frames = 0, 0
	return peak, frames
}

func (c *capSink) closes() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// openStore opens a session store in path, closed when the test ends.
func openStore(tb testing.TB, path string) *sstore.Store {
	tb.Helper()
	ctx := context.Background()
	db, err := mstore.OpenDB(ctx, path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	st, err := sstore.Open(ctx, db)
	if err != nil {
		tb.Fatal(err)
	}
	return st
}

// fixture is a room under test with what it reported.
type fixture struct {
	room    *room.Room
	clk     *clock
	speaker *capSink
	store   *sstore.Store

	mu      sync.Mutex // protects states and entries
	states  chan room.State
	entries []session.Entry

	stop func() error // cancels Run and waits for it
	// goroutines is how many ran before the room was built.
	goroutines int
}

// speakers maps an ALSA device name to what opening it gives.
type speakers map[string]*capSink

func (s speakers) open(dev string, rate int) (player.Sink, error) {
	if c, ok := s[dev]; ok {
		return c, nil
	}
	return nil, errors.New("no such ALSA device")
}

// newFixture runs a room with a fake speaker "hw:0" (and the outputs in
// edit's config), a session store in dir and a fake wall clock.
func newFixture(tb testing.TB, dir string, edit func(*room.Config)) *fixture {
	tb.Helper()
	f := &fixture{clk: &clock{t: time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)}, speaker: &capSink{},
		states: make(chan room.State, 1000), store: openStore(tb, filepath.Join(dir, "attune.db"))}
	tracks := testTracks()
	cfg := room.Config{
		Name: "Room 1", Rate: testRate, PauseFade: 200 * time.Millisecond, SkipFade: 400 * time.Millisecond,
		VolumeDB: -12, PatientMinDB: -30, PatientMaxDB: -6,
		Outputs: []room.Output{{Name: "speaker", Type: room.TypeSpeaker, Device: "hw:0"}, {Name: "null", Type: room.TypeNull}},
		Opener:  sineOpener{tracks}, Store: f.store,
		Tracks:      func(context.Context, playlists.Playlist) (playlists.Tracks, error) { return tracks, nil },
		Titles:      func(id string) (string, string) { return "Title " + id, "Artist " + id },
		OpenSpeaker: speakers{"hw:0": f.speaker}.open,
		OnChange: func(s room.State) {
			select {
			case f.states <- s:
			default:
			}
		},
		OnEntry: func(e session.Entry) { f.mu.Lock(); f.entries = append(f.entries, e); f.mu.Unlock() },
		Now:     f.clk.now,
	}
	if edit != nil {
		edit(&cfg)
	}
	f.goroutines = runtime.NumGoroutine()
	r, err := room.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	f.room = r
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	stopped := false
	var runErr error
	f.stop = func() error {
		if !stopped {
			stopped = true
			cancel()
			select {
			case runErr = <-done:
			case <-time.After(20 * time.Second):
				tb.Fatal("Run did not return 20 s after its context ended")
			}
		}
		return runErr
	}
	tb.Cleanup(func() {
		if err := f.stop(); err != nil {
			tb.Error(err)
		}
	})
	return f
}

// waitState waits for an OnChange state for which ok holds, failing the
// test (after a generous deadline: a hang, not a speed check) if none
// comes.
func (f *fixture) waitState(tb testing.TB, what string, ok func(room.State) bool) room.State {
	tb.Helper()
	deadline := time.After(10 * time.Second)
	var last room.State
	for {
		select {
		case s := <-f.states:
			if ok(s) {
				return s
			}
			last = s
		case <-deadline:
			tb.Fatalf("no state with %s; the last one: %+v (session %+v)", what, last, last.Session)
		}
	}
}

// kinds returns the kinds of the log entries OnEntry got, leaving out
// the engine's (item, failed), whose timing is the engine's.
func (f *fixture) kinds() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ks []string
	for _, e := range f.entries {
		if e.Kind != session.KindItem && e.Kind != session.KindFailed {
			ks = append(ks, e.Kind)
		}
	}
	return ks
}
