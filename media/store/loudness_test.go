package store

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"reflect"
	"testing"
	"testing/fstest"
	"time"

	"attune/media"
)

func idsOf(tracks []media.Track) []string {
	ids := []string{}
	for _, t := range tracks {
		ids = append(ids, t.ID)
	}
	return ids
}

func TestStore_PutLoudness_RoundTripAndError(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	tr := fullTrack("aaaaaaaaaaaaaaaaaaaaaaaa")
	mustAdd(t, s, tr, fileOf(tr, "/music/a.mp3"))
	if got := mustTrack(t, s, tr.ID); got.Loudness != nil || got.LoudnessError != "" {
		t.Fatalf("new track: loudness %+v, error %q; want none", got.Loudness, got.LoudnessError)
	}

	want := media.Loudness{Integrated: -14.25, Range: 6.5, SamplePeak: -0.7, TruePeak: -0.31,
		AnalyzedAt: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC), Version: media.AnalyzerVersion}
	if err := s.PutLoudness(ctx, tr.ID, want); err != nil {
		t.Fatal(err)
	}
	got := mustTrack(t, s, tr.ID)
	if got.Loudness == nil || !reflect.DeepEqual(*got.Loudness, want) || got.LoudnessError != "" {
		t.Fatalf("loudness = %+v, error %q; want %+v", got.Loudness, got.LoudnessError, want)
	}

	// A failure keeps the previous result and is recorded beside it.
	if err := s.PutLoudnessError(ctx, tr.ID, "decode: bad frame"); err != nil {
		t.Fatal(err)
	}
	got = mustTrack(t, s, tr.ID)
	if got.Loudness == nil || !reflect.DeepEqual(*got.Loudness, want) || got.LoudnessError != "decode: bad frame" {
		t.Fatalf("after a failure: loudness = %+v, error %q; want the old result and the error", got.Loudness, got.LoudnessError)
	}
	// A later success clears the error.
	want.Integrated = -20
	if err := s.PutLoudness(ctx, tr.ID, want); err != nil {
		t.Fatal(err)
	}
	if got = mustTrack(t, s, tr.ID); got.LoudnessError != "" || got.Loudness.Integrated != -20 {
		t.Fatalf("after a success: loudness = %+v, error %q", got.Loudness, got.LoudnessError)
	}
}

func TestStore_PutLoudness_SilentIsMinusInf(t *testing.T) {
	s := newStore(t)
	tr := fullTrack("bbbbbbbbbbbbbbbbbbbbbbbb")
	mustAdd(t, s, tr, fileOf(tr, "/music/b.mp3"))
	inf := math.Inf(-1)
	if err := s.PutLoudness(context.Background(), tr.ID, media.Loudness{Integrated: inf, SamplePeak: inf, TruePeak: inf, Silent: true, Version: 1}); err != nil {
		t.Fatal(err)
	}
	l := mustTrack(t, s, tr.ID).Loudness
	if l == nil || !l.Silent || !math.IsInf(l.Integrated, -1) || !math.IsInf(l.TruePeak, -1) || l.AnalyzedAt.IsZero() {
		t.Errorf("silent track read back as %+v; want Silent, -Inf levels and a time", l)
	}
}

func TestStore_PutLoudness_UnknownTrack(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	if err := s.PutLoudness(ctx, "nope", media.Loudness{Version: 1}); !errors.Is(err, media.ErrNotFound) {
		t.Errorf("PutLoudness: err = %v, want ErrNotFound", err)
	}
	if err := s.PutLoudnessError(ctx, "nope", "x"); !errors.Is(err, media.ErrNotFound) {
		t.Errorf("PutLoudnessError: err = %v, want ErrNotFound", err)
	}
}

// The results live in the database: a reopened store still has them, and
// TracksToAnalyze picks exactly the tracks without a current result.
func TestStore_TracksToAnalyze(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "attune.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{
		"current": "c00000000000000000000000", "stale": "d00000000000000000000000", "never": "e00000000000000000000000",
		"failed": "f00000000000000000000000", "nofile": "a00000000000000000000000",
	}
	for name, id := range ids {
		tr := fullTrack(id)
		tr.Info.Tags.Title = name
		mustAdd(t, s, tr, fileOf(tr, "/music/"+name))
	}
	if err := s.RemoveFile(ctx, "/music/nofile"); err != nil {
		t.Fatal(err)
	}
	if err := s.PutLoudness(ctx, ids["current"], media.Loudness{Integrated: -18, Version: media.AnalyzerVersion}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutLoudness(ctx, ids["stale"], media.Loudness{Integrated: -18, Version: media.AnalyzerVersion - 1}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutLoudnessError(ctx, ids["failed"], "boom"); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if l := mustTrack(t, s, ids["current"]).Loudness; l == nil || l.Integrated != -18 {
		t.Errorf("after reopening: loudness %+v, want -18 LUFS", l)
	}
	todo, err := s.TracksToAnalyze(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	// Library order is by title here (same artist and album).
	if got, want := idsOf(todo), []string{ids["failed"], ids["never"], ids["stale"]}; !reflect.DeepEqual(got, want) {
		t.Errorf("TracksToAnalyze(false) = %v, want %v (failed, never, stale)", got, want)
	}
	all, err := s.TracksToAnalyze(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 4 {
		t.Errorf("TracksToAnalyze(true) = %d tracks, want the 4 with a file", len(all))
	}
}

// A library written before the loudness table existed (schema 1) opens,
// gains the table, and keeps its tracks, unanalysed.
func TestOpen_MigratesVersion1(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "attune.db")
	db, err := OpenDB(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	v1 := fstest.MapFS{}
	b, err := migrationFiles.ReadFile("migrations/0001_library.sql")
	if err != nil {
		t.Fatal(err)
	}
	v1["0001_library.sql"] = &fstest.MapFile{Data: b}
	if err := Migrate(ctx, db, Owner, v1); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO tracks (id, added_at) VALUES ('old', 1)`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open of a version 1 library: %v", err)
	}
	defer s.Close()
	if got := mustTrack(t, s, "old"); got.Loudness != nil {
		t.Errorf("old track's loudness = %+v, want none", got.Loudness)
	}
	if err := s.PutLoudness(ctx, "old", media.Loudness{Integrated: -9, Version: 1}); err != nil {
		t.Errorf("PutLoudness after the migration: %v", err)
	}
}
