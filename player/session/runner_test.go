package session_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	mstore "attune/media/store"
	"attune/player"
	"attune/player/session"
	sstore "attune/player/session/store"
	"attune/playlists"
)

type fakeEngine struct {
	mu   sync.Mutex
	acts []session.Action
	fail bool
}

func (f *fakeEngine) Act(_ context.Context, a session.Action) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.acts = append(f.acts, a)
	if f.fail {
		return errors.New("engine down")
	}
	return nil
}

func (f *fakeEngine) ops() []session.Op {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ops []session.Op
	for _, a := range f.acts {
		ops = append(ops, a.Op)
	}
	return ops
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func runner(t *testing.T, path string, eng session.Engine, clk *clock) (*session.Runner, *sstore.Store, func()) {
	t.Helper()
	return runnerWith(t, path, eng, clk, nil)
}

// runnerWith is runner with edit changing the configuration first.
func runnerWith(t *testing.T, path string, eng session.Engine, clk *clock, edit func(*session.RunnerConfig)) (*session.Runner, *sstore.Store, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	db, err := mstore.OpenDB(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := sstore.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	tracks := playlists.TrackMap{}
	for _, id := range []string{"a", "b", "c", "d", "e", "f"} {
		tracks[id] = playlists.TrackInfo{Duration: 7 * time.Minute}
	}
	load := func(context.Context, playlists.Playlist) (playlists.Tracks, error) { return tracks, nil }
	cfg := session.RunnerConfig{Room: "Room 1", Engine: eng, Store: st, Tracks: load,
		Limits: session.Limits{PatientMinDB: -30, PatientMaxDB: -6, SkipFade: 4 * time.Second}, Volume: -12, Now: clk.now}
	if edit != nil {
		edit(&cfg)
	}
	r := session.NewRunner(cfg)
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	return r, st, func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
		db.Close()
	}
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
		{Role: playlists.RoleSettling, Tracks: e("a", "b"), Fill: playlists.FillPinkNoise},
		{Role: playlists.RoleJourney, Tracks: e("c", "d", "e"), Fill: playlists.FillLoop},
		{Role: playlists.RoleIntegration, Tracks: e("f"), Fill: playlists.FillLoop},
	}}
}

// Every acknowledged command is in the store; a new runner on the same
// database (attune restarted) carries the session on where the drug clock
// is, and ends it when observation is over.
func TestRunner_storeAndRecover(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "attune.db")
	clk := &clock{t: time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)}
	eng := &fakeEngine{}
	r, st, stop := runner(t, path, eng, clk)
	therapist := session.Who{Role: "therapist", Device: "console"}
	if err := r.Start(ctx, testPlaylist(), playlists.DefaultProfiles()[0], therapist); err != nil {
		t.Fatal(err)
	}
	if err := r.Start(ctx, testPlaylist(), playlists.DefaultProfiles()[0], therapist); !errors.Is(err, session.ErrBusy) {
		t.Errorf("second start: got %v, want ErrBusy", err)
	}
	clk.add(time.Minute)
	if err := r.Do(ctx, session.Command{Kind: session.KindDose, Who: therapist}); err != nil {
		t.Fatal(err)
	}
	clk.add(20 * time.Minute)
	if err := r.Do(ctx, session.Command{Kind: session.KindVolume, Who: session.Who{Role: "patient"}, DB: -20}); err != nil {
		t.Fatal(err)
	}
	live, err := st.Live(ctx)
	if err != nil || len(live) != 1 || live[0].VolumeDB != -20 || live[0].Status != session.StatusRunning {
		t.Fatalf("stored: %+v, %v", live, err)
	}
	stop()

	// attune was killed; it comes back 40 s later.
	clk.add(40 * time.Second)
	eng2 := &fakeEngine{}
	r2, st2, stop2 := runner(t, path, eng2, clk)
	defer stop2()
	rec, plan, ok, err := r2.Snapshot(ctx)
	if err != nil || !ok || rec.ID != live[0].ID || len(plan.Items) == 0 {
		t.Fatalf("after restart: %v %v %+v", ok, err, rec)
	}
	var load *session.Action
	for i, a := range eng2.acts {
		if a.Op == session.OpLoad {
			load = &eng2.acts[i]
		}
	}
	if want := 20*time.Minute + 40*time.Second; load == nil || load.At != want {
		t.Fatalf("recovery actions %v; want a load at the drug clock's %s", eng2.ops(), want)
	}
	es, _ := st2.Entries(ctx, rec.ID)
	if last := es[len(es)-1]; last.Kind != session.KindRecovered {
		t.Errorf("last entry %+v, want recovered", last)
	}

	// Observation ends while running: the next tick ends it.
	clk.add(2 * time.Hour)
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, _, ok, _ := r2.Snapshot(ctx); !ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the session did not end after observation")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := r2.Do(ctx, session.Command{Kind: session.KindPause, Who: therapist}); !errors.Is(err, session.ErrNoSession) {
		t.Errorf("pause after the end: got %v", err)
	}
	got, _ := st2.Get(ctx, rec.ID)
	if got.Status != session.StatusEnded {
		t.Errorf("stored status %q, want ended", got.Status)
	}
}

// A command the store cannot record is not carried out.
func TestRunner_storeFailure(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "attune.db")
	clk := &clock{t: time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)}
	eng := &fakeEngine{}
	r, _, stop := runner(t, path, eng, clk)
	defer stop()
	who := session.Who{Role: "therapist"}
	if err := r.Start(ctx, testPlaylist(), playlists.DefaultProfiles()[0], who); err != nil {
		t.Fatal(err)
	}
	// Break the database under the runner: drop the log table.
	db, err := mstore.OpenDB(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `DROP TABLE session_log`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	n := len(eng.ops())
	if err := r.Do(ctx, session.Command{Kind: session.KindDose, Who: who}); err == nil {
		t.Fatal("dose with a broken store: got nil error")
	}
	if got := len(eng.ops()); got != n {
		t.Errorf("the engine got %d actions for a command that was not stored", got-n)
	}
	if rec, _, ok, _ := r.Snapshot(ctx); !ok || !rec.DosedAt.IsZero() {
		t.Errorf("after the failed dose the session says dosed at %v", rec.DosedAt)
	}
}

// What the engine reports of the session's music lands in its log: an item
// that began sounding, with its phase, and a track that failed.
func TestRunner_Observe(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)}
	r, st, stop := runner(t, filepath.Join(t.TempDir(), "attune.db"), &fakeEngine{}, clk)
	defer stop()
	// Before any session, events are ignored.
	if err := r.Observe(ctx, player.Event{Kind: player.EventItemStarted, Track: "a"}); err != nil {
		t.Fatalf("observe without a session: %v", err)
	}
	who := session.Who{Role: "therapist"}
	if err := r.Start(ctx, testPlaylist(), playlists.DefaultProfiles()[0], who); err != nil {
		t.Fatal(err)
	}
	if err := r.Do(ctx, session.Command{Kind: session.KindDose, Who: who}); err != nil {
		t.Fatal(err)
	}
	_, plan, _, err := r.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var journey playlists.Item
	for _, it := range plan.Items {
		if it.Phase == playlists.RoleJourney {
			journey = it
			break
		}
	}
	clk.add(journey.Start)
	for _, ev := range []player.Event{
		{Kind: player.EventPosition, Position: journey.Start},
		{Kind: player.EventItemStarted, Track: journey.Track, Position: journey.Start},
		{Kind: player.EventItemFailed, Track: journey.Track, Position: journey.Start, Err: errors.New("decode: bad frame")},
	} {
		if err := r.Observe(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	rec, _, _, _ := r.Snapshot(ctx)
	es, err := st.Entries(ctx, rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range es[2:] {
		got = append(got, fmt.Sprintf("%s %s %s %s %s", e.Kind, session.Clock(e.Clock), e.Phase, e.Track, e.Detail))
	}
	at := session.Clock(journey.Start)
	want := []string{
		fmt.Sprintf("item %s journey %s ", at, journey.Track),
		fmt.Sprintf("failed %s journey %s decode: bad frame", at, journey.Track),
	}
	if !slices.Equal(got, want) {
		t.Errorf("log after the dose:\n got %q\nwant %q", got, want)
	}
	if s := session.Summarize(es); len(s.Played) != 1 || s.Failed != 1 {
		t.Errorf("summary: %d played, %d failed; want 1 and 1", len(s.Played), s.Failed)
	}
}

// OnChange is called after each change of the session, and only then;
// SetLimits changes the patient's range from the next command on; a
// playlist whose tracks cannot be loaded starts nothing.
func TestRunner_OnChangeAndLimits(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)}
	var changes atomic.Int64
	r, _, stop := runnerWith(t, filepath.Join(t.TempDir(), "attune.db"), &fakeEngine{}, clk, func(c *session.RunnerConfig) {
		c.OnChange = func() { changes.Add(1) }
		load := c.Tracks
		c.Tracks = func(ctx context.Context, pl playlists.Playlist) (playlists.Tracks, error) {
			if pl.Name == "gone" {
				return nil, errors.New("track a: not in the library")
			}
			return load(ctx, pl)
		}
	})
	defer stop()
	who := session.Who{Role: "therapist"}
	patient := session.Who{Role: session.RolePatient}
	gone := testPlaylist()
	gone.Name = "gone"
	if err := r.Start(ctx, gone, playlists.DefaultProfiles()[0], who); err == nil {
		t.Fatal("start with tracks that cannot be loaded: got nil error")
	}
	if _, _, ok, _ := r.Snapshot(ctx); ok || changes.Load() != 0 {
		t.Fatalf("after a failed start: session %v, %d changes; want none", ok, changes.Load())
	}
	step := func(what string, err error, want int64) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if got := changes.Load(); got != want {
			t.Errorf("after %s: %d changes, want %d", what, got, want)
		}
	}
	step("start", r.Start(ctx, testPlaylist(), playlists.DefaultProfiles()[0], who), 1)
	step("dose", r.Do(ctx, session.Command{Kind: session.KindDose, Who: who}), 2)
	if err := r.Do(ctx, session.Command{Kind: session.KindDose, Who: who}); !errors.Is(err, session.ErrDosed) {
		t.Errorf("second dose: got %v, want ErrDosed", err)
	}
	step("a refused dose", nil, 2)
	r.SetLimits(session.Limits{PatientMinDB: -40, PatientMaxDB: -20, SkipFade: 4 * time.Second})
	step("patient volume", r.Do(ctx, session.Command{Kind: session.KindVolume, Who: patient, DB: -3}), 3)
	if rec, _, _, _ := r.Snapshot(ctx); rec.VolumeDB != -20 {
		t.Errorf("patient asks -3 dB under the range -40…-20: got %v dB, want -20", rec.VolumeDB)
	}
	step("patient softer", r.Do(ctx, session.Command{Kind: session.KindVolume, Who: patient, DB: -3, Relative: true}), 4)
	if rec, _, _, _ := r.Snapshot(ctx); rec.VolumeDB != -23 {
		t.Errorf("patient steps -3 dB from -20: got %v dB, want -23", rec.VolumeDB)
	}
	step("observed item", r.Observe(ctx, player.Event{Kind: player.EventItemStarted, Track: "a"}), 5)
	step("end", r.Do(ctx, session.Command{Kind: session.KindEnd, Who: who}), 6)
}
