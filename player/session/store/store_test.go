package store

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
	"time"

	mstore "attune/media/store"
	"attune/player/session"
	"attune/playlists"
)

func openTest(t testing.TB, path string) *Store {
	t.Helper()
	ctx := context.Background()
	db, err := mstore.OpenDB(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func record(room string) session.Record {
	prof := playlists.DefaultProfiles()[0]
	return session.Record{
		Room:       room,
		Playlist:   playlists.Playlist{Name: "Calm", Phases: []playlists.Phase{{Role: playlists.RoleJourney, Tracks: []playlists.Entry{{Track: "t1", MustPlay: true}}}}},
		Profile:    prof,
		Status:     session.StatusArrival,
		Created:    time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC),
		Boundaries: prof.Planned(),
		VolumeDB:   -12,
		Plan:       json.RawMessage(`{"items":[]}`),
	}
}

func entry(kind string, clock time.Duration) session.Entry {
	return session.Entry{Wall: time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC).Add(clock), Clock: clock, Dosed: clock > 0,
		Role: "therapist", Device: "console", Kind: kind, Detail: kind + " detail", Phase: "journey", Track: "t1"}
}

func TestStore_roundTrip(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "attune.db")
	s := openTest(t, path)
	r := record("Room 1")
	id, err := s.Create(ctx, r, entry("start", 0))
	if err != nil {
		t.Fatal(err)
	}
	r.ID = id
	r.Status = session.StatusRunning
	r.DosedAt = r.Created.Add(time.Minute)
	r.Boundaries.Onset = 11 * time.Minute
	r.Paused, r.PausedAt, r.Quiet = true, 3*time.Minute, true
	if err := s.Save(ctx, r, entry("pause", 3*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.Log(ctx, id, entry("item", 4*time.Minute)); err != nil {
		t.Fatal(err)
	}

	// A second process (or the restarted daemon) sees all of it.
	s2 := openTest(t, path)
	got, err := s2.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	gj, _ := json.Marshal(got)
	wj, _ := json.Marshal(r)
	if string(gj) != string(wj) {
		t.Errorf("record after reopening:\n got %s\nwant %s", gj, wj)
	}
	es, err := s2.Entries(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for i, e := range es {
		kinds = append(kinds, e.Kind)
		if e.Seq != int64(i+1) {
			t.Errorf("entry %d: seq %d, want %d", i, e.Seq, i+1)
		}
	}
	if want := "start pause item"; joinKinds(kinds) != want {
		t.Errorf("log kinds %q, want %q", joinKinds(kinds), want)
	}
	if e := es[1]; e.Clock != 3*time.Minute || !e.Dosed || e.Role != "therapist" || e.Track != "t1" || !e.Wall.Equal(r.Created.Add(3*time.Minute)) {
		t.Errorf("pause entry: got %+v", e)
	}
	live, err := s2.Live(ctx)
	if err != nil || len(live) != 1 || live[0].ID != id {
		t.Errorf("live: got %v, %v; want session %d", live, err, id)
	}
}

func joinKinds(k []string) string {
	s := ""
	for i, x := range k {
		if i > 0 {
			s += " "
		}
		s += x
	}
	return s
}

func TestStore_Create_roomBusy(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, filepath.Join(t.TempDir(), "attune.db"))
	id, err := s.Create(ctx, record("Room 1"), entry("start", 0))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create(ctx, record("Room 1"), entry("start", 0)); !errors.Is(err, ErrRoomBusy) {
		t.Fatalf("second live session in the room: got %v, want ErrRoomBusy", err)
	}
	if _, err := s.Create(ctx, record("Room 2"), entry("start", 0)); err != nil {
		t.Fatalf("another room: %v", err)
	}
	r, err := s.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	r.Status, r.Ended = session.StatusEnded, r.Created.Add(2*time.Hour)
	if err := s.Save(ctx, r, entry("end", 2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create(ctx, record("Room 1"), entry("start", 0)); err != nil {
		t.Fatalf("new session after the last one ended: %v", err)
	}
	list, err := s.List(ctx, 0)
	if err != nil || len(list) != 3 || list[0].ID < list[2].ID {
		t.Errorf("list: got %d sessions (%v), want 3 newest first", len(list), err)
	}
}

// A Save whose log entry cannot be written changes nothing.
func TestStore_Save_atomic(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, filepath.Join(t.TempDir(), "attune.db"))
	r := record("Room 1")
	id, err := s.Create(ctx, r, entry("start", 0))
	if err != nil {
		t.Fatal(err)
	}
	r.ID = id
	changed := r
	changed.Quiet = true
	if err := s.Save(ctx, changed, session.Entry{}); err == nil {
		t.Fatal("save with an entry without a kind: got nil error")
	}
	got, err := s.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if got.Quiet {
		t.Error("the record changed although its log entry failed")
	}
	if es, _ := s.Entries(ctx, id); len(es) != 1 {
		t.Errorf("log has %d entries, want 1", len(es))
	}
}

func TestStore_errors(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, filepath.Join(t.TempDir(), "attune.db"))
	if _, err := s.Get(ctx, 42); !errors.Is(err, ErrNotFound) {
		t.Errorf("get missing: got %v", err)
	}
	if err := s.Log(ctx, 42, entry("item", 0)); !errors.Is(err, ErrNotFound) {
		t.Errorf("log to missing: got %v", err)
	}
	r := record("Room 1")
	r.ID = 42
	if err := s.Save(ctx, r, entry("pause", 0)); !errors.Is(err, ErrNotFound) {
		t.Errorf("save missing: got %v", err)
	}
	r.Status = "paused"
	if _, err := s.Create(ctx, r, entry("start", 0)); err == nil {
		t.Error("unknown status: got nil error")
	}
	r = record("Room 1")
	r.Plan = json.RawMessage(`{`)
	if _, err := s.Create(ctx, r, entry("start", 0)); err == nil {
		t.Error("invalid plan JSON: got nil error")
	}
}
