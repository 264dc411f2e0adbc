package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"attune/media"
)

// newStore opens a fresh library in a temporary directory, closed when the
// test ends.
func newStore(tb testing.TB) *Store {
	tb.Helper()
	s, err := Open(context.Background(), filepath.Join(tb.TempDir(), "attune.db"))
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return s
}

func ptr(f float64) *float64 { return &f }

// fullTrack returns a track with every field set to a distinct value.
func fullTrack(id string) media.Track {
	return media.Track{
		ID: id,
		Info: media.Info{
			Stream: media.Stream{
				Format: media.FormatMP3, Codec: "mp3", SampleRate: 44100, Channels: 2, BitDepth: 0,
				BitRate: 192000, Samples: 8_123_456_789, EncoderDelay: 576, Padding: 1152,
			},
			Tags: media.Tags{
				Title: "Für Elise", Artist: "Ludwig van Beethoven", Album: "Bagatelles", AlbumArtist: "Alfred Brendel",
				Genre: "Classical", Comment: "remastered", Year: 1810, Track: 3, TrackTotal: 12, Disc: 2, DiscTotal: 3,
				HasPicture: true,
				ReplayGain: media.ReplayGain{TrackGain: ptr(0), TrackPeak: ptr(0.988), AlbumGain: ptr(-7.25)},
			},
		},
		Curation: media.Curation{
			Instrumental: media.InstrumentalYes, Intensity: 4, Moods: []string{"calm", "warm"}, Notes: "good for return",
		},
		AddedAt: time.Date(2025, 3, 1, 10, 20, 30, 123456789, time.UTC),
	}
}

func fileOf(t media.Track, path string) media.File {
	return media.File{Path: path, TrackID: t.ID, Size: 4_321_000, ModTime: time.Date(2024, 12, 24, 18, 0, 0, 987654321, time.UTC)}
}

func mustAdd(tb testing.TB, s *Store, t media.Track, f media.File) {
	tb.Helper()
	if _, err := s.AddTrack(context.Background(), t, f); err != nil {
		tb.Fatalf("AddTrack(%s, %s): %v", t.ID, f.Path, err)
	}
}

func mustTrack(tb testing.TB, s *Store, id string) media.Track {
	tb.Helper()
	got, err := s.Track(context.Background(), id)
	if err != nil {
		tb.Fatalf("Track(%s): %v", id, err)
	}
	return got
}

func TestOpen_CreatesParentDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	path := filepath.Join(dir, "attune.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatalf("stat parent: %v", err)
	}
	if got := fi.Mode().Perm(); got != 0o700 {
		t.Errorf("parent dir mode = %o, want 700", got)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database file not created: %v", err)
	}
}

func TestOpen_PathWithURICharacters(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "my music?#%20 lib", "a?b#c%d.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open(%q): %v", path, err)
	}
	tr := fullTrack("aa11")
	mustAdd(t, s, tr, fileOf(tr, "/m/a.mp3"))
	s.Close()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database not at %q: %v", path, err)
	}
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	if tracks, _, _ := s.Counts(ctx); tracks != 1 {
		t.Errorf("after reopen: %d tracks, want 1", tracks)
	}
}

func TestOpenDB_Settings(t *testing.T) {
	ctx := context.Background()
	db, err := OpenDB(ctx, filepath.Join(t.TempDir(), "x.db"))
	if err != nil {
		t.Fatalf("OpenDB: %v", err)
	}
	defer db.Close()
	for pragma, want := range map[string]string{
		"journal_mode": "wal", "foreign_keys": "1", "busy_timeout": "10000", "synchronous": "1",
	} {
		var got string
		if err := db.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
			t.Fatalf("PRAGMA %s: %v", pragma, err)
		}
		if got != want {
			t.Errorf("PRAGMA %s = %q, want %q", pragma, got, want)
		}
	}
}

func TestOpen_Twice(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "attune.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("first Open: %v", err)
	}
	tr := fullTrack("aa11")
	mustAdd(t, s, tr, fileOf(tr, "/m/a.mp3"))
	s.Close()

	s, err = Open(ctx, path)
	if err != nil {
		t.Fatalf("second Open: %v", err)
	}
	defer s.Close()
	if got := mustTrack(t, s, tr.ID); got.Info.Tags.Title != tr.Info.Tags.Title {
		t.Errorf("after reopen title = %q, want %q", got.Info.Tags.Title, tr.Info.Tags.Title)
	}
	var owners, version int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*), max(version) FROM schema_migrations`).Scan(&owners, &version); err != nil {
		t.Fatal(err)
	}
	if owners != 1 || version != 2 {
		t.Errorf("schema_migrations: %d owners at version %d, want 1 at 2", owners, version)
	}
}

func TestOpen_RefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "attune.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE schema_migrations SET version = 7 WHERE owner = ?`, Owner); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s, err = Open(ctx, path)
	if err == nil {
		s.Close()
		t.Fatal("Open of a newer database succeeded, want an error")
	}
	want := "database " + path + " has schema version 7, this attune knows up to 2: upgrade attune"
	if err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
	var tooNew *SchemaTooNewError
	if !errors.As(err, &tooNew) || tooNew.Owner != Owner || tooNew.Version != 7 || tooNew.Known != 2 {
		t.Errorf("error = %#v, want a *SchemaTooNewError for %s 7 > 2", err, Owner)
	}
}

func TestStore_TrackRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	want := fullTrack("ab12cd34")
	f := fileOf(want, "/music/Beethoven/fur-elise.mp3")
	added, err := s.AddTrack(ctx, want, f)
	if err != nil || !added {
		t.Fatalf("AddTrack = %v, %v; want true, nil", added, err)
	}
	want.Path, want.Size, want.ModTime = f.Path, f.Size, f.ModTime

	got := mustTrack(t, s, want.ID)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Track round trip:\n got %+v\nwant %+v", got, want)
	}
	rg := got.Info.Tags.ReplayGain
	if rg.TrackGain == nil || *rg.TrackGain != 0 || rg.AlbumPeak != nil {
		t.Errorf("ReplayGain = %+v, want track gain 0 dB (not nil) and no album peak", rg)
	}
	if got.ModTime.Location() != time.UTC || got.AddedAt.Location() != time.UTC {
		t.Errorf("times in %v and %v, want UTC", got.ModTime.Location(), got.AddedAt.Location())
	}
}

func TestStore_TrackRoundTrip_ZeroValues(t *testing.T) {
	s := newStore(t)
	tr := media.Track{ID: "00ff"}
	mustAdd(t, s, tr, media.File{Path: "/m/x.wav"})
	got := mustTrack(t, s, tr.ID)
	if got.AddedAt.IsZero() || time.Since(got.AddedAt) > time.Minute {
		t.Errorf("AddedAt = %v, want about now", got.AddedAt)
	}
	want := media.Track{ID: tr.ID, Path: "/m/x.wav", AddedAt: got.AddedAt,
		Curation: media.Curation{Instrumental: media.InstrumentalUnknown}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Track:\n got %+v\nwant %+v", got, want)
	}
}

func TestStore_Track_NotFound(t *testing.T) {
	s := newStore(t)
	if _, err := s.Track(context.Background(), "nope"); !errors.Is(err, media.ErrNotFound) {
		t.Errorf("Track(nope) error = %v, want media.ErrNotFound", err)
	}
}

func TestStore_AddTrack_Twice(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	tr := fullTrack("ab12")
	mustAdd(t, s, tr, fileOf(tr, "/m/a.mp3"))

	again := tr
	again.Info.Tags.Title = "changed"
	again.Curation = media.Curation{}
	added, err := s.AddTrack(ctx, again, fileOf(tr, "/m/a.mp3"))
	if err != nil || added {
		t.Fatalf("second AddTrack = %v, %v; want false, nil", added, err)
	}
	got := mustTrack(t, s, tr.ID)
	if got.Info.Tags.Title != tr.Info.Tags.Title || !reflect.DeepEqual(got.Curation, tr.Curation) {
		t.Errorf("second AddTrack changed the track: title %q, curation %+v", got.Info.Tags.Title, got.Curation)
	}
	if tracks, files, _ := s.Counts(ctx); tracks != 1 || files != 1 {
		t.Errorf("Counts = %d tracks, %d files; want 1, 1", tracks, files)
	}
}

func TestStore_AddTrack_Invalid(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	tr := fullTrack("ab12")
	for name, f := range map[string]media.File{
		"other track": {Path: "/m/a.mp3", TrackID: "ffff"},
		"empty path":  {TrackID: tr.ID},
	} {
		if _, err := s.AddTrack(ctx, tr, f); err == nil {
			t.Errorf("AddTrack with %s: no error", name)
		}
	}
	if _, err := s.AddTrack(ctx, media.Track{}, media.File{Path: "/m/a.mp3"}); err == nil {
		t.Error("AddTrack with empty id: no error")
	}
	bad := tr
	bad.Curation.Intensity = 6
	if _, err := s.AddTrack(ctx, bad, fileOf(tr, "/m/a.mp3")); !errors.Is(err, ErrInvalidCuration) {
		t.Errorf("AddTrack with intensity 6: error %v, want ErrInvalidCuration", err)
	}
	if tracks, files, _ := s.Counts(ctx); tracks != 0 || files != 0 {
		t.Errorf("after failed adds: %d tracks, %d files; want none", tracks, files)
	}
}

func TestStore_AddTrack_RenameKeepsCuration(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	tr := fullTrack("ab12")
	mustAdd(t, s, tr, fileOf(tr, "/m/old.mp3"))
	cur := media.Curation{Instrumental: media.InstrumentalNo, Intensity: 2, Moods: []string{"dark"}, Notes: "n"}
	if err := s.SetCuration(ctx, tr.ID, cur); err != nil {
		t.Fatalf("SetCuration: %v", err)
	}

	// The scanner sees the same content under a new name, then the old
	// name gone.
	added, err := s.AddTrack(ctx, media.Track{ID: tr.ID}, fileOf(tr, "/m/new.mp3"))
	if err != nil || added {
		t.Fatalf("AddTrack(renamed) = %v, %v; want false, nil", added, err)
	}
	if err := s.RemoveFile(ctx, "/m/old.mp3"); err != nil {
		t.Fatalf("RemoveFile: %v", err)
	}
	got := mustTrack(t, s, tr.ID)
	if got.Path != "/m/new.mp3" {
		t.Errorf("Path = %q, want /m/new.mp3", got.Path)
	}
	if !reflect.DeepEqual(got.Curation, cur) {
		t.Errorf("Curation = %+v, want %+v", got.Curation, cur)
	}
}

func TestStore_Track_PathIsLowestFile(t *testing.T) {
	s := newStore(t)
	tr := fullTrack("ab12")
	mustAdd(t, s, tr, media.File{Path: "/m/z.mp3", Size: 1})
	mustAdd(t, s, tr, media.File{Path: "/m/b.mp3", Size: 2, ModTime: time.Unix(5, 6)})
	mustAdd(t, s, tr, media.File{Path: "/m/c.mp3", Size: 3})
	got := mustTrack(t, s, tr.ID)
	if got.Path != "/m/b.mp3" || got.Size != 2 || !got.ModTime.Equal(time.Unix(5, 6)) {
		t.Errorf("Path, Size, ModTime = %q, %d, %v; want /m/b.mp3, 2, %v", got.Path, got.Size, got.ModTime, time.Unix(5, 6))
	}
}

func TestStore_RemoveFile_KeepsTrack(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	tr := fullTrack("ab12")
	mustAdd(t, s, tr, fileOf(tr, "/m/a.mp3"))
	if err := s.RemoveFile(ctx, "/m/a.mp3"); err != nil {
		t.Fatalf("RemoveFile: %v", err)
	}
	got := mustTrack(t, s, tr.ID)
	if got.Path != "" || got.Size != 0 || !got.ModTime.IsZero() {
		t.Errorf("track without files: Path %q, Size %d, ModTime %v; want empty", got.Path, got.Size, got.ModTime)
	}
	if !reflect.DeepEqual(got.Curation, tr.Curation) {
		t.Errorf("Curation = %+v, want %+v", got.Curation, tr.Curation)
	}
	if tracks, files, _ := s.Counts(ctx); tracks != 1 || files != 0 {
		t.Errorf("Counts = %d, %d; want 1 track, 0 files", tracks, files)
	}
	if err := s.RemoveFile(ctx, "/m/a.mp3"); !errors.Is(err, media.ErrNotFound) {
		t.Errorf("RemoveFile of unknown path: %v, want media.ErrNotFound", err)
	}
	// The file comes back: the curation is still there.
	if added, err := s.AddTrack(ctx, media.Track{ID: tr.ID}, fileOf(tr, "/m/back.mp3")); err != nil || added {
		t.Fatalf("AddTrack(returned file) = %v, %v; want false, nil", added, err)
	}
	if got := mustTrack(t, s, tr.ID); got.Path != "/m/back.mp3" || !reflect.DeepEqual(got.Curation, tr.Curation) {
		t.Errorf("returned file: Path %q, curation %+v", got.Path, got.Curation)
	}
}

func TestStore_Files(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	a, b := fullTrack("aa"), fullTrack("bb")
	mt := time.Date(2023, 1, 2, 3, 4, 5, 6, time.FixedZone("CET", 3600))
	want := []media.File{
		{Path: "/m/1.flac", TrackID: "aa", Size: 10, ModTime: mt.UTC()},
		{Path: "/m/2.flac", TrackID: "bb", Size: 20, ModTime: mt.Add(time.Nanosecond).UTC()},
		{Path: "/m/3.flac", TrackID: "aa", Size: 30},
	}
	mustAdd(t, s, a, media.File{Path: "/m/3.flac", Size: 30})
	mustAdd(t, s, b, media.File{Path: "/m/2.flac", Size: 20, ModTime: mt.Add(time.Nanosecond)})
	mustAdd(t, s, a, media.File{Path: "/m/1.flac", Size: 10, ModTime: mt})
	got, err := s.Files(ctx)
	if err != nil {
		t.Fatalf("Files: %v", err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Files:\n got %+v\nwant %+v", got, want)
	}
}

func TestStore_PutFile(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	a, b := fullTrack("aa"), fullTrack("bb")
	mustAdd(t, s, a, fileOf(a, "/m/a.mp3"))
	mustAdd(t, s, b, fileOf(b, "/m/b.mp3"))

	// The file at /m/a.mp3 was replaced by other content.
	f := media.File{Path: "/m/a.mp3", TrackID: "bb", Size: 99, ModTime: time.Unix(100, 1).UTC()}
	if err := s.PutFile(ctx, f); err != nil {
		t.Fatalf("PutFile: %v", err)
	}
	files, err := s.Files(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 || !reflect.DeepEqual(files[0], f) {
		t.Errorf("Files = %+v, want first %+v", files, f)
	}
	if got := mustTrack(t, s, "aa"); got.Path != "" {
		t.Errorf("track aa Path = %q, want empty", got.Path)
	}

	err = s.PutFile(ctx, media.File{Path: "/m/c.mp3", TrackID: "nope"})
	if !errors.Is(err, media.ErrNotFound) {
		t.Errorf("PutFile for unknown track: %v, want media.ErrNotFound", err)
	}
}

func TestStore_UpdateInfo(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	tr := fullTrack("ab12")
	mustAdd(t, s, tr, fileOf(tr, "/m/a.mp3"))

	info := tr.Info
	info.Stream.Samples = 42
	info.Tags.Title = "Mondscheinsonate"
	info.Tags.ReplayGain = media.ReplayGain{AlbumPeak: ptr(1)}
	info.Tags.HasPicture = false
	if err := s.UpdateInfo(ctx, tr.ID, info); err != nil {
		t.Fatalf("UpdateInfo: %v", err)
	}
	got := mustTrack(t, s, tr.ID)
	if !reflect.DeepEqual(got.Info, info) {
		t.Errorf("Info:\n got %+v\nwant %+v", got.Info, info)
	}
	if !reflect.DeepEqual(got.Curation, tr.Curation) {
		t.Errorf("UpdateInfo changed curation to %+v", got.Curation)
	}
	if ids := searchIDs(t, s, "elise"); len(ids) != 0 {
		t.Errorf("search for the old title found %v, want nothing", ids)
	}
	if ids := searchIDs(t, s, "mondschein"); !reflect.DeepEqual(ids, []string{tr.ID}) {
		t.Errorf("search for the new title found %v, want [%s]", ids, tr.ID)
	}
	if err := s.UpdateInfo(ctx, "nope", info); !errors.Is(err, media.ErrNotFound) {
		t.Errorf("UpdateInfo(nope): %v, want media.ErrNotFound", err)
	}
}

func TestStore_SetCuration(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	tr := fullTrack("ab12")
	mustAdd(t, s, tr, fileOf(tr, "/m/a.mp3"))

	in := media.Curation{Intensity: 5, Moods: []string{" warm ", "", "Calm", "calm", "warm", "vast"}, Notes: "x"}
	want := media.Curation{Instrumental: media.InstrumentalUnknown, Intensity: 5, Moods: []string{"warm", "Calm", "vast"}, Notes: "x"}
	if err := s.SetCuration(ctx, tr.ID, in); err != nil {
		t.Fatalf("SetCuration: %v", err)
	}
	if got := mustTrack(t, s, tr.ID).Curation; !reflect.DeepEqual(got, want) {
		t.Errorf("Curation = %+v, want %+v", got, want)
	}

	for _, bad := range []media.Curation{
		{Intensity: -1}, {Intensity: 6}, {Instrumental: "maybe"}, {Instrumental: "Yes"},
	} {
		if err := s.SetCuration(ctx, tr.ID, bad); !errors.Is(err, ErrInvalidCuration) {
			t.Errorf("SetCuration(%+v): %v, want ErrInvalidCuration", bad, err)
		}
	}
	if got := mustTrack(t, s, tr.ID).Curation; !reflect.DeepEqual(got, want) {
		t.Errorf("after refused updates Curation = %+v, want %+v", got, want)
	}
	if err := s.SetCuration(ctx, tr.ID, media.Curation{}); err != nil {
		t.Fatalf("SetCuration(zero): %v", err)
	}
	if got := mustTrack(t, s, tr.ID).Curation; got.Moods != nil || got.Intensity != 0 || got.Notes != "" {
		t.Errorf("after clearing Curation = %+v, want cleared", got)
	}
	if err := s.SetCuration(ctx, "nope", want); !errors.Is(err, media.ErrNotFound) {
		t.Errorf("SetCuration(nope): %v, want media.ErrNotFound", err)
	}
}

func TestOpen_NotADatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "attune.db")
	if err := os.WriteFile(path, []byte("this is not an SQLite database, just some text that is long enough"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Open(context.Background(), path)
	if err == nil {
		s.Close()
		t.Fatal("Open of a text file succeeded, want an error")
	}
	if !strings.Contains(err.Error(), path) {
		t.Errorf("error %q does not name the file %s", err, path)
	}
}
