package plstore

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"attune/media"
	"attune/media/store"
	"attune/playlists"
)

// newStores opens a fresh database with the library and the playlists.
func newStores(tb testing.TB) (*store.Store, *Store) {
	tb.Helper()
	ctx := context.Background()
	lib, err := store.Open(ctx, filepath.Join(tb.TempDir(), "attune.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { lib.Close() })
	pls, err := Open(ctx, lib.DB())
	if err != nil {
		tb.Fatal(err)
	}
	return lib, pls
}

// addTrack adds a track of the given length (at 1000 Hz).
func addTrack(tb testing.TB, lib *store.Store, id string, length time.Duration) {
	tb.Helper()
	info := media.Info{Stream: media.Stream{SampleRate: 1000, Samples: length.Milliseconds()}}
	if _, err := lib.AddTrack(context.Background(), media.Track{ID: id, Info: info}, media.File{Path: "/m/" + id}); err != nil {
		tb.Fatal(err)
	}
}

func arc(name string, ids ...string) playlists.Playlist {
	pl := playlists.Playlist{Name: name, Description: "d", Author: "Dr. A", Profile: "intramuscular", Transition: 25 * time.Second,
		Phases: []playlists.Phase{
			{Role: playlists.RoleSettling, Crossfade: 5 * time.Second, LevelDB: -1.5, Fill: playlists.FillPinkNoise},
			{Role: playlists.RoleJourney},
			{Role: playlists.RoleIntegration, Fill: playlists.FillLoop},
		}}
	for i, id := range ids {
		p := &pl.Phases[i%2]
		p.Tracks = append(p.Tracks, playlists.Entry{Track: id, MustPlay: i == 1})
	}
	return pl
}

func TestStore_SaveGet(t *testing.T) {
	lib, pls := newStores(t)
	ctx := context.Background()
	for _, id := range []string{"t1", "t2", "t3"} {
		addTrack(t, lib, id, time.Minute)
	}
	want := arc("Morning", "t1", "t2", "t3")
	replaced, err := pls.Save(ctx, want)
	if err != nil || replaced {
		t.Fatalf("Save = %v, %v; want created", replaced, err)
	}
	got, err := pls.Get(ctx, "Morning")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Playlist, want) {
		t.Errorf("Get = %+v\nwant %+v", got.Playlist, want)
	}
	if len(got.Dangling) != 0 || got.Created.IsZero() || got.Updated.Before(got.Created) {
		t.Errorf("Get: dangling %v, created %v, updated %v", got.Dangling, got.Created, got.Updated)
	}
	if _, err := pls.Get(ctx, "morning"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get(other case) = %v; want ErrNotFound (names are exact)", err)
	}
}

func TestStore_Save_invalid(t *testing.T) {
	_, pls := newStores(t)
	bad := arc("Bad")
	bad.Phases[0].Role = "jorney"
	if _, err := pls.Save(context.Background(), bad); !errors.Is(err, playlists.ErrInvalid) {
		t.Errorf("Save(invalid) = %v; want ErrInvalid", err)
	}
	if list, _ := pls.List(context.Background()); len(list) != 0 {
		t.Errorf("List after a refused save = %v", list)
	}
}

func TestStore_Save_replace(t *testing.T) {
	lib, pls := newStores(t)
	ctx := context.Background()
	for _, id := range []string{"t1", "t2", "t3", "t4"} {
		addTrack(t, lib, id, time.Minute)
	}
	if _, err := pls.Save(ctx, arc("Arc", "t1", "t2", "t3")); err != nil {
		t.Fatal(err)
	}
	first, _ := pls.Get(ctx, "Arc")
	next := arc("Arc", "t4")
	next.Phases = next.Phases[1:] // fewer phases: none of the old may linger
	next.Author = "Dr. B"
	replaced, err := pls.Save(ctx, next)
	if err != nil || !replaced {
		t.Fatalf("Save = %v, %v; want replaced", replaced, err)
	}
	got, _ := pls.Get(ctx, "Arc")
	if !reflect.DeepEqual(got.Playlist, next) || !got.Created.Equal(first.Created) {
		t.Errorf("after replace = %+v (created %v)\nwant %+v (created %v)", got.Playlist, got.Created, next, first.Created)
	}

	// A replacement that fails midway (here a trigger refuses its second
	// entry) leaves the old playlist whole.
	if _, err := lib.DB().ExecContext(ctx, `CREATE TRIGGER refuse BEFORE INSERT ON playlist_entries
		WHEN NEW.track_id = 'boom' BEGIN SELECT RAISE(ABORT, 'refused by test'); END`); err != nil {
		t.Fatal(err)
	}
	failing := arc("Arc", "t1", "t2", "boom")
	if _, err := pls.Save(ctx, failing); err == nil || !strings.Contains(err.Error(), "refused by test") {
		t.Fatalf("Save(failing) = %v; want the trigger's refusal", err)
	}
	if got, _ := pls.Get(ctx, "Arc"); !reflect.DeepEqual(got.Playlist, next) {
		t.Errorf("after a failed replace = %+v\nwant the previous %+v", got.Playlist, next)
	}
}

// Readers racing a writer that keeps replacing a playlist see one version
// or the other, whole.
func TestStore_Save_atomicForReaders(t *testing.T) {
	lib, pls := newStores(t)
	ctx := context.Background()
	for _, id := range []string{"a", "b"} {
		addTrack(t, lib, id, time.Minute)
	}
	va, vb := arc("Race", "a", "a", "a", "a"), arc("Race", "b", "b")
	if _, err := pls.Save(ctx, va); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range 40 {
			v := va
			if i%2 == 0 {
				v = vb
			}
			if _, err := pls.Save(ctx, v); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for range 40 {
		got, err := pls.Get(ctx, "Race")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.Playlist, va) && !reflect.DeepEqual(got.Playlist, vb) {
			t.Fatalf("read a mix: %+v", got.Playlist)
		}
	}
	wg.Wait()
}

func TestStore_ListDelete(t *testing.T) {
	lib, pls := newStores(t)
	ctx := context.Background()
	addTrack(t, lib, "t1", 90*time.Second)
	addTrack(t, lib, "t2", 30*time.Second)
	addTrack(t, lib, "gone", time.Hour)
	for _, pl := range []playlists.Playlist{arc("b evening", "t1", "t2", "t1", "gone"), arc("A morning")} {
		if _, err := pls.Save(ctx, pl); err != nil {
			t.Fatal(err)
		}
	}
	// A track deleted from the library stays in the playlist, reported.
	if _, err := lib.DB().ExecContext(ctx, `DELETE FROM tracks WHERE id = 'gone'`); err != nil {
		t.Fatal(err)
	}
	list, err := pls.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 {
		t.Fatalf("List = %+v, want 2", list)
	}
	if a := list[0]; a.Name != "A morning" || a.Phases != 3 || a.Tracks != 0 || a.Duration != 0 || a.Author != "Dr. A" || a.Profile != "intramuscular" {
		t.Errorf("List[0] = %+v", a)
	}
	if b := list[1]; b.Name != "b evening" || b.Phases != 3 || b.Tracks != 4 || b.Duration != 210*time.Second || b.Dangling != 1 {
		t.Errorf("List[1] = %+v; want 4 tracks, 3m30s, 1 dangling", b)
	}
	got, err := pls.Get(ctx, "b evening")
	if err != nil {
		t.Fatal(err)
	}
	want := []Dangling{{Phase: 2, Role: playlists.RoleJourney, Index: 2, Track: "gone"}}
	if !reflect.DeepEqual(got.Dangling, want) || len(got.Phases[1].Tracks) != 2 {
		t.Errorf("Dangling = %v, want %v (and the entry kept)", got.Dangling, want)
	}
	if s := got.Dangling[0].String(); s != "phase 2 (journey), track 2: gone is not in the library" {
		t.Errorf("Dangling.String() = %q", s)
	}

	if err := pls.Delete(ctx, "b evening"); err != nil {
		t.Fatal(err)
	}
	if err := pls.Delete(ctx, "b evening"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second Delete = %v; want ErrNotFound", err)
	}
	var n int
	lib.DB().QueryRowContext(ctx, `SELECT (SELECT count(*) FROM playlist_phases) + (SELECT count(*) FROM playlist_entries)`).Scan(&n)
	if n != 3 { // the 3 empty phases of "A morning"
		t.Errorf("%d phase and entry rows left, want 3", n)
	}
}

func TestOpen_reopen(t *testing.T) {
	// Opening twice (two processes, or a restart) migrates once.
	lib, pls := newStores(t)
	if _, err := pls.Save(context.Background(), arc("Kept")); err != nil {
		t.Fatal(err)
	}
	again, err := Open(context.Background(), lib.DB())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := again.Get(context.Background(), "Kept"); err != nil {
		t.Errorf("Get after reopen: %v", err)
	}
}
