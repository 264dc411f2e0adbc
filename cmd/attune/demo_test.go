package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"attune/config"
	"attune/media"
	"attune/media/demo"
	"attune/media/sandbox"
	"attune/media/store"
	"attune/playlists/plstore"
)

// demoEnv is an env over a fresh data folder, as dispatch makes it, with
// temporary files kept in a folder the test can look into.
func demoEnv(t *testing.T) (*env, *bytes.Buffer, string) {
	t.Helper()
	isolate(t)
	t.Setenv("ATTUNE_DATA_DIR", filepath.Join(t.TempDir(), "data"))
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	loaded, err := config.Load(config.SystemOptions())
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	return &env{stdin: strings.NewReader(""), stdout: &out, stderr: &out, cfg: loaded}, &out, tmp
}

// demoState is what seeding leaves in the library, for comparing runs.
type demoState struct {
	Tracks    []string // id, artist, title, curation, loudness measured
	Playlists []string // name, phases, tracks, dangling
}

func readDemoState(t *testing.T, ctx context.Context, st *store.Store) demoState {
	t.Helper()
	var s demoState
	tracks, err := st.Search(ctx, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range tracks {
		s.Tracks = append(s.Tracks, fmt.Sprintf("%s %s – %s %s %d %q measured=%v",
			tr.ID, tr.Info.Tags.Artist, tr.Info.Tags.Title, tr.Curation.Instrumental, tr.Curation.Intensity,
			tr.Curation.Moods, tr.Loudness != nil))
	}
	pls, err := plstore.Open(ctx, st.DB())
	if err != nil {
		t.Fatal(err)
	}
	list, err := pls.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range list {
		s.Playlists = append(s.Playlists, fmt.Sprintf("%s: %d phases, %d tracks, %d dangling, updated %s",
			p.Name, p.Phases, p.Tracks, p.Dangling, p.Updated))
	}
	return s
}

// TestSeedDemo_idempotent seeds a fresh library with the demo pieces (10 s
// each, to keep the test quick; the pieces' own lengths are tested in
// media/demo) and the example playlists, twice.
func TestSeedDemo_idempotent(t *testing.T) {
	e, out, tmp := demoEnv(t)
	ctx := context.Background()
	pieces := demo.Pieces()
	for i := range pieces {
		pieces[i].Length = 10 * time.Second
	}
	withStoreAndProbers(ctx, e, func(st *store.Store, pool *sandbox.Pool) int {
		sum, err := seedPieces(ctx, e, st, pool, pieces)
		if err != nil {
			t.Fatalf("first seed: %v\n%s", err, out)
		}
		if want := (demoSummary{TracksAdded: 10, Curated: 10, PlaylistsAdded: 4}); sum != want {
			t.Errorf("first seed: got %+v, want %+v", sum, want)
		}
		if left, _ := os.ReadDir(tmp); len(left) != 0 {
			t.Errorf("got %d entries left in the temporary folder, want none", len(left))
		}

		// Every piece is in the library, copied into the managed folder,
		// measured and curated.
		libDir := e.cfg.Config.Library.Dir
		for _, p := range pieces {
			tr, ok, err := demoTrack(ctx, st, p)
			if err != nil || !ok {
				t.Fatalf("%s: got found=%v, %v; want it in the library", p.Ref(), ok, err)
			}
			if !strings.HasPrefix(tr.Path, libDir+string(filepath.Separator)) || tr.Info.Stream.Format != p.Format {
				t.Errorf("%s: got %s file %s, want a %s file in %s", p.Ref(), tr.Info.Stream.Format, tr.Path, p.Format, libDir)
			}
			if tr.Loudness == nil || tr.Loudness.Silent {
				t.Errorf("%s: got loudness %+v, want a measurement", p.Ref(), tr.Loudness)
			}
			want := media.Curation{Instrumental: media.InstrumentalYes, Intensity: p.Intensity, Moods: p.Moods}
			if !reflect.DeepEqual(tr.Curation, want) {
				t.Errorf("%s: got curation %+v, want %+v", p.Ref(), tr.Curation, want)
			}
		}
		first := readDemoState(t, ctx, st)
		if len(first.Tracks) != 10 || len(first.Playlists) != 4 {
			t.Fatalf("got %d tracks and %d playlists, want 10 and 4:\n%s", len(first.Tracks), len(first.Playlists), strings.Join(append(first.Tracks, first.Playlists...), "\n"))
		}
		for _, p := range first.Playlists {
			if !strings.Contains(p, " 0 dangling") {
				t.Errorf("got playlist %s, want every reference resolved", p)
			}
		}

		// Run again: nothing rendered, nothing added, nothing changed.
		out.Reset()
		sum, err = seedPieces(ctx, e, st, pool, pieces)
		if err != nil {
			t.Fatalf("second seed: %v\n%s", err, out)
		}
		if want := (demoSummary{TracksPresent: 10, PlaylistsPresent: 4}); sum != want {
			t.Errorf("second seed: got %+v, want %+v", sum, want)
		}
		if strings.Contains(out.String(), "rendering") {
			t.Errorf("second seed rendered pieces again:\n%s", out)
		}
		if second := readDemoState(t, ctx, st); !reflect.DeepEqual(second, first) {
			t.Errorf("second seed changed the library:\ngot  %q\nwant %q", second, first)
		}
		return exitOK
	})
}

// TestSeedDemo_keepsEdits checks that seeding again leaves what a user
// changed alone and restores only what is missing.
func TestSeedDemo_keepsEdits(t *testing.T) {
	e, out, _ := demoEnv(t)
	ctx := context.Background()
	pieces := demo.Pieces()[:0]
	for _, p := range demo.Pieces() {
		p.Length = 5 * time.Second
		pieces = append(pieces, p)
	}
	withStoreAndProbers(ctx, e, func(st *store.Store, pool *sandbox.Pool) int {
		if _, err := seedPieces(ctx, e, st, pool, pieces); err != nil {
			t.Fatalf("first seed: %v\n%s", err, out)
		}
		// A curator's judgement of one piece, and one playlist deleted.
		tr, _, err := demoTrack(ctx, st, pieces[0])
		if err != nil {
			t.Fatal(err)
		}
		edited := media.Curation{Instrumental: media.InstrumentalYes, Intensity: 5, Moods: []string{"stormy"}, Notes: "too busy"}
		if err := st.SetCuration(ctx, tr.ID, edited); err != nil {
			t.Fatal(err)
		}
		pls, err := plstore.Open(ctx, st.DB())
		if err != nil {
			t.Fatal(err)
		}
		if err := pls.Delete(ctx, "Intravenous – infusion"); err != nil {
			t.Fatal(err)
		}
		sum, err := seedPieces(ctx, e, st, pool, pieces)
		if err != nil {
			t.Fatalf("second seed: %v\n%s", err, out)
		}
		if want := (demoSummary{TracksPresent: 10, PlaylistsAdded: 1, PlaylistsPresent: 3}); sum != want {
			t.Errorf("second seed: got %+v, want %+v", sum, want)
		}
		tr, err = st.Track(ctx, tr.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(tr.Curation, edited) {
			t.Errorf("got curation %+v after seeding again, want the curator's %+v", tr.Curation, edited)
		}
		if _, err := pls.Get(ctx, "Intravenous – infusion"); err != nil {
			t.Errorf("got %v for the deleted example playlist, want it imported again", err)
		}
		return exitOK
	})
}

func TestRun_libraryDemoUsage(t *testing.T) {
	isolate(t)
	t.Setenv("ATTUNE_DATA_DIR", filepath.Join(t.TempDir(), "data"))
	if code, _, errOut := attune(t, "library", "demo", "extra"); code != exitUsage || !strings.Contains(errOut, "takes no arguments") {
		t.Errorf("got exit %d, %q; want %d and a usage message", code, errOut, exitUsage)
	}
	if code, stdout, _ := attune(t, "library", "--help"); code != exitOK || !strings.Contains(stdout, "demo") {
		t.Errorf("library --help: got exit %d, %q; want the demo command listed", code, stdout)
	}
}
