package media_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"attune/media"
	"attune/media/store"
)

// fakeProber accepts files whose content starts with "AUDIO" and rejects the
// rest, counting calls so tests can tell what a scan re-read.
type fakeProber struct{ calls atomic.Int64 }

func (p *fakeProber) Probe(ctx context.Context, path string) (media.Info, error) {
	p.calls.Add(1)
	b, err := os.ReadFile(path)
	if err != nil {
		return media.Info{}, err
	}
	if !strings.HasPrefix(string(b), "AUDIO") {
		return media.Info{}, fmt.Errorf("%w: not an audio file", media.ErrInvalid)
	}
	return media.Info{
		Stream: media.Stream{Format: media.FormatWAV, Codec: "pcm_s16le", SampleRate: 48000, Channels: 2, Samples: 48000 * 3},
		Tags:   media.Tags{Title: strings.TrimSpace(strings.TrimPrefix(string(b), "AUDIO"))},
	}, nil
}

// collect is a Reporter that keeps every result by path.
type collect struct {
	mu      sync.Mutex
	total   int
	results map[string]media.Result
}

func (c *collect) Start(n int) {
	c.total = n
	if c.results == nil {
		c.results = map[string]media.Result{}
	}
}
func (c *collect) Done(r media.Result) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.results[r.Path] = r
}

type fixture struct {
	lib    *media.Library
	st     *store.Store
	prober *fakeProber
	dir    string // managed folder
	src    string // where test files are written
	watch  string
}

func newFixture(t testing.TB, maxSize int64) *fixture {
	t.Helper()
	root := t.TempDir()
	st, err := store.Open(context.Background(), filepath.Join(root, "data", "attune.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fixture{st: st, prober: &fakeProber{}, dir: filepath.Join(root, "media"), src: filepath.Join(root, "src"), watch: filepath.Join(root, "watch")}
	for _, d := range []string{f.src, f.watch} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	f.lib = media.NewLibrary(st, f.prober, media.Config{Dir: f.dir, Watch: []string{f.watch}, MaxFileSize: maxSize, Workers: 3})
	return f
}

func write(t testing.TB, path, content string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// managedFiles lists every file under the managed folder, temporary ones included.
func managedFiles(t testing.TB, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, p)
		}
		return nil
	})
	return out
}

func TestLibrary_Add(t *testing.T) {
	f := newFixture(t, 1<<20)
	ctx := context.Background()
	good := write(t, filepath.Join(f.src, "album", "01 good.wav"), "AUDIO one")
	dup := write(t, filepath.Join(f.src, "album", "02 copy.flac"), "AUDIO one")
	other := write(t, filepath.Join(f.src, "album", "03 other.mp3"), "AUDIO two")
	bad := write(t, filepath.Join(f.src, "album", "04 bad.flac"), "this is text")
	write(t, filepath.Join(f.src, "album", "cover.jpg"), "JPEG")
	write(t, filepath.Join(f.src, "album", ".hidden.mp3"), "AUDIO hidden")
	missing := filepath.Join(f.src, "nope.mp3")

	rep := &collect{}
	sum, err := f.lib.Add(ctx, []string{filepath.Join(f.src, "album"), missing}, rep)
	if err != nil {
		t.Fatalf("Add: %v", err)
	}
	if rep.total != 5 {
		t.Errorf("Start(total) = %d, want 5 (4 audio files + 1 missing path; cover and hidden file skipped)", rep.total)
	}
	want := map[string]media.Status{good: media.StatusAdded, dup: media.StatusExists, other: media.StatusAdded, bad: media.StatusRejected, missing: media.StatusRejected}
	// good and dup have the same bytes; which one is "added" depends on which worker wins.
	if rep.results[dup].Status == media.StatusAdded {
		want[good], want[dup] = media.StatusExists, media.StatusAdded
	}
	for p, w := range want {
		if got := rep.results[p].Status; got != w {
			t.Errorf("%s: status %q, want %q (error %q)", filepath.Base(p), got, w, rep.results[p].Error)
		}
	}
	if got := rep.results[bad].Error; got != "invalid file: not an audio file" {
		t.Errorf("bad file error = %q", got)
	}
	if got := rep.results[missing].Error; got != "no such file or directory" {
		t.Errorf("missing file error = %q", got)
	}
	if sum[media.StatusAdded] != 2 || sum[media.StatusExists] != 1 || sum[media.StatusRejected] != 2 {
		t.Errorf("summary = %v", sum)
	}
	if r := rep.results[other]; r.ID == "" || len(r.ID) != media.IDLength || r.Title != "two" || r.DurationMS != 3000 {
		t.Errorf("result for other = %+v", r)
	}

	// Exactly one managed copy per distinct content, with the right bytes, and nothing temporary left.
	files := managedFiles(t, f.dir)
	if len(files) != 2 {
		t.Fatalf("managed files = %v, want 2", files)
	}
	for _, p := range files {
		b, _ := os.ReadFile(p)
		if !strings.HasPrefix(string(b), "AUDIO") {
			t.Errorf("managed copy %s holds %q", p, b)
		}
	}
	tr, err := f.st.Track(ctx, rep.results[other].ID)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Path != media.ManagedPath(f.dir, tr.ID, media.FormatWAV) {
		t.Errorf("track path = %s, want the managed copy", tr.Path)
	}

	// A second run changes nothing and reports every good file as exists.
	rep2 := &collect{}
	sum, err = f.lib.Add(ctx, []string{filepath.Join(f.src, "album")}, rep2)
	if err != nil {
		t.Fatal(err)
	}
	if sum[media.StatusExists] != 3 || sum[media.StatusAdded] != 0 || sum[media.StatusRejected] != 1 {
		t.Errorf("second run summary = %v", sum)
	}
	if n := len(managedFiles(t, f.dir)); n != 2 {
		t.Errorf("managed files after second run = %d, want 2", n)
	}
}

func TestLibrary_Add_tooLarge(t *testing.T) {
	f := newFixture(t, 16)
	p := write(t, filepath.Join(f.src, "big.wav"), "AUDIO "+strings.Repeat("x", 40))
	rep := &collect{}
	if _, err := f.lib.Add(context.Background(), []string{p}, rep); err != nil {
		t.Fatal(err)
	}
	if got, want := rep.results[p].Error, "file too large: 46 B, the limit is 16 B (library.max_file_size)"; got != want {
		t.Errorf("error = %q, want %q", got, want)
	}
	if f.prober.calls.Load() != 0 {
		t.Errorf("an oversize file was probed")
	}
	if files := managedFiles(t, f.dir); len(files) != 0 {
		t.Errorf("oversize file left %v", files)
	}
}

func TestLibrary_Add_canceled(t *testing.T) {
	f := newFixture(t, 0)
	var paths []string
	for i := range 20 {
		paths = append(paths, write(t, filepath.Join(f.src, fmt.Sprintf("%02d.wav", i)), fmt.Sprintf("AUDIO %d", i)))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := f.lib.Add(ctx, paths, &collect{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Add on a canceled context: err = %v, want context.Canceled", err)
	}
	tracks, files, err := f.st.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if tracks != 0 || files != 0 {
		t.Errorf("canceled add left %d tracks, %d files", tracks, files)
	}
	if left := managedFiles(t, f.dir); len(left) != 0 {
		t.Errorf("canceled add left %v", left)
	}
}

// failingStore makes AddTracks fail, as a full disk or a locked database would.
type failingStore struct{ *store.Store }

func (failingStore) AddTracks(context.Context, []media.TrackFile) ([]bool, error) {
	return nil, errors.New("disk I/O error")
}

func TestLibrary_Add_storeFails(t *testing.T) {
	f := newFixture(t, 0)
	lib := media.NewLibrary(failingStore{f.st}, f.prober, media.Config{Dir: f.dir, Workers: 1})
	p := write(t, filepath.Join(f.src, "a.wav"), "AUDIO a")
	_, err := lib.Add(context.Background(), []string{p}, &collect{})
	if err == nil || !strings.Contains(err.Error(), "disk I/O error") {
		t.Fatalf("err = %v, want the store's error", err)
	}
	if left := managedFiles(t, f.dir); len(left) != 0 {
		t.Errorf("a copy without a row was left behind: %v", left)
	}
}

func TestLibrary_Scan(t *testing.T) {
	f := newFixture(t, 0)
	ctx := context.Background()
	a := write(t, filepath.Join(f.watch, "a.flac"), "AUDIO a")
	b := write(t, filepath.Join(f.watch, "sub", "b.mp3"), "AUDIO b")
	junk := write(t, filepath.Join(f.watch, "junk.ogg"), "garbage")

	rep := &collect{}
	sum, err := f.lib.Scan(ctx, rep)
	if err != nil {
		t.Fatal(err)
	}
	if sum[media.StatusAdded] != 2 || sum[media.StatusRejected] != 1 {
		t.Fatalf("first scan summary = %v", sum)
	}
	if rep.results[junk].Error != "invalid file: not an audio file" {
		t.Errorf("junk error = %q", rep.results[junk].Error)
	}
	if _, err := os.Stat(f.dir); err == nil && len(managedFiles(t, f.dir)) > 0 {
		t.Errorf("scan copied watched files into the managed folder")
	}
	idA := rep.results[a].ID
	if err := f.st.SetCuration(ctx, idA, media.Curation{Instrumental: media.InstrumentalYes, Intensity: 2, Moods: []string{"calm"}, Notes: "good for onset"}); err != nil {
		t.Fatal(err)
	}

	// Unchanged: nothing is read again.
	calls := f.prober.calls.Load()
	rep = &collect{}
	sum, err = f.lib.Scan(ctx, rep)
	if err != nil {
		t.Fatal(err)
	}
	// The junk file is probed again (rejections are not remembered); the good ones are not.
	if got := f.prober.calls.Load() - calls; got != 1 {
		t.Errorf("unchanged rescan probed %d files, want 1 (only the rejected one)", got)
	}
	if sum[media.StatusExists] != 2 || sum[media.StatusAdded] != 0 {
		t.Errorf("unchanged rescan summary = %v", sum)
	}

	// Rename a, change b, remove junk.
	renamed := filepath.Join(f.watch, "renamed", "a-moved.flac")
	if err := os.MkdirAll(filepath.Dir(renamed), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(a, renamed); err != nil {
		t.Fatal(err)
	}
	write(t, b, "AUDIO b, remastered")
	later := time.Now().Add(2 * time.Second)
	if err := os.Chtimes(b, later, later); err != nil {
		t.Fatal(err)
	}
	os.Remove(junk)

	rep = &collect{}
	sum, err = f.lib.Scan(ctx, rep)
	if err != nil {
		t.Fatal(err)
	}
	if sum[media.StatusExists] != 1 || sum[media.StatusUpdated] != 1 || sum[media.StatusRemoved] != 1 {
		t.Errorf("scan after rename, change and removal: %v, want 1 exists, 1 updated, 1 removed (the junk was never in the library)", sum)
	}
	if got := rep.results[renamed]; got.Status != media.StatusExists || got.ID != idA {
		t.Errorf("renamed file: %+v, want exists with id %s", got, idA)
	}
	if got := rep.results[a]; got.Status != media.StatusRemoved {
		t.Errorf("old name: status %q, want removed", got.Status)
	}
	if got := rep.results[b]; got.Status != media.StatusUpdated || got.Title != "b, remastered" {
		t.Errorf("changed file: %+v, want updated with the new title", got)
	}
	tr, err := f.st.Track(ctx, idA)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Path != renamed || tr.Curation.Intensity != 2 || tr.Curation.Notes != "good for onset" {
		t.Errorf("renamed track = path %s, curation %+v; want the new path and the curation kept", tr.Path, tr.Curation)
	}

	// Remove the file: the track stays, missing, with its curation.
	os.Remove(renamed)
	if _, err := f.lib.Scan(ctx, &collect{}); err != nil {
		t.Fatal(err)
	}
	tr, err = f.st.Track(ctx, idA)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Path != "" || tr.Curation.Instrumental != media.InstrumentalYes {
		t.Errorf("removed track = path %q, curation %+v; want missing with curation kept", tr.Path, tr.Curation)
	}

	// It comes back under yet another name: same track, curation intact.
	back := write(t, filepath.Join(f.watch, "back.flac"), "AUDIO a")
	rep = &collect{}
	if _, err := f.lib.Scan(ctx, rep); err != nil {
		t.Fatal(err)
	}
	if got := rep.results[back]; got.ID != idA || got.Status != media.StatusExists {
		t.Errorf("returning file = %+v, want exists as %s", got, idA)
	}
}

// cancelAfter cancels the run once it has seen n results, as Ctrl-C would
// in the middle of an import.
type cancelAfter struct {
	collect
	n      int
	cancel context.CancelFunc
}

func (c *cancelAfter) Done(r media.Result) {
	c.collect.Done(r)
	if len(c.results) >= c.n {
		c.cancel()
	}
}

func TestLibrary_Add_interrupted(t *testing.T) {
	f := newFixture(t, 0)
	var paths []string
	for i := range 60 {
		paths = append(paths, write(t, filepath.Join(f.src, fmt.Sprintf("%02d.wav", i)), fmt.Sprintf("AUDIO %d %s", i, strings.Repeat("x", 1<<16))))
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rep := &cancelAfter{n: 5, cancel: cancel}
	rep.Start(0)
	_, err := f.lib.Add(ctx, paths, rep)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	// Every file is wholly in the library or not at all: each managed file
	// has its row and each row its file, and no temporary file is left.
	files, err := f.st.Files(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	onDisk := managedFiles(t, f.dir)
	if len(files) != len(onDisk) || len(files) >= len(paths) {
		t.Fatalf("after interrupt: %d rows, %d managed files (%v); want equal and fewer than %d", len(files), len(onDisk), onDisk, len(paths))
	}
	for _, fl := range files {
		if _, err := os.Stat(fl.Path); err != nil {
			t.Errorf("row without file: %v", err)
		}
	}
	t.Logf("interrupted after %d of %d files", len(files), len(paths))
}

// A copy left half-written by a killed import is swept by the next one; a
// fresh one (another import in progress) is left alone.
func TestLibrary_Add_sweepsStaleCopies(t *testing.T) {
	f := newFixture(t, 0)
	stale := write(t, filepath.Join(f.dir, ".incoming", "abc-1.part"), "half a file")
	fresh := write(t, filepath.Join(f.dir, ".incoming", "def-2.part"), "being written")
	old := time.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	if _, err := f.lib.Add(context.Background(), []string{write(t, filepath.Join(f.src, "a.wav"), "AUDIO a")}, &collect{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale temporary copy still there (err %v)", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("a fresh temporary copy was removed: %v", err)
	}
}
