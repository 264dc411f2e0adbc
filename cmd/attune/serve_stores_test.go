package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"attune/config"
	"attune/media"
	"attune/media/mediatest"
	"attune/media/probe"
	"attune/media/store"
	"attune/playlists"
	"attune/playlists/plfile"
	"attune/playlists/plstore"
	"attune/server"
)

// probeFunc is a media.Prober in-process (the daemon uses the sandbox).
type probeFunc func(ctx context.Context, path string) (media.Info, error)

func (f probeFunc) Probe(ctx context.Context, path string) (media.Info, error) { return f(ctx, path) }

// serveStores is a temporary library with its playlist store and adapters.
type serveStores struct {
	dir  string
	st   *store.Store
	pls  *plstore.Store
	lib  *serveLibrary
	list *servePlaylists
}

func newServeStores(tb testing.TB) *serveStores {
	tb.Helper()
	ctx := context.Background()
	root := tb.TempDir()
	st, err := store.Open(ctx, filepath.Join(root, "attune.db"))
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(func() { st.Close() })
	pls, err := plstore.Open(ctx, st.DB())
	if err != nil {
		tb.Fatalf("open playlists: %v", err)
	}
	cfg := config.Library{Dir: filepath.Join(root, "media"), MaxFileSize: 1 << 20, Workers: 2}
	ml := media.NewLibrary(st, probeFunc(probe.File), media.Config{Dir: cfg.Dir, MaxFileSize: cfg.MaxFileSize, Workers: cfg.Workers})
	return &serveStores{dir: cfg.Dir, st: st, pls: pls, lib: newServeLibrary(st, ml, pls, cfg, nil, nil),
		list: newServePlaylists(st, pls, cfg.Dir)}
}

// upload writes files (name → content) into the uploads folder as the
// server does, one folder each.
func (s *serveStores) upload(tb testing.TB, files ...[2]string) []server.Upload {
	tb.Helper()
	var ups []server.Upload
	for i, f := range files {
		dir := filepath.Join(s.lib.Incoming(), "upload-test", string(rune('a'+i)))
		if err := os.MkdirAll(dir, 0o750); err != nil {
			tb.Fatal(err)
		}
		p := filepath.Join(dir, f[0])
		if err := os.WriteFile(p, []byte(f[1]), 0o640); err != nil {
			tb.Fatal(err)
		}
		ups = append(ups, server.Upload{Name: f[0], Path: p})
	}
	return ups
}

// toneWAV is a short tagged sine as WAV bytes.
func toneWAV(title string, freq float64, seconds int) string {
	return string(mediatest.WAV(mediatest.Tone{SampleRate: 8000, Channels: 1, Samples: 8000 * seconds, Freq: freq,
		Tags: mediatest.Tags{Title: title, Artist: "Tester"}}))
}

// importTones imports three tones and returns their ids by title.
func (s *serveStores) importTones(tb testing.TB) map[string]string {
	tb.Helper()
	res, err := s.lib.Import(context.Background(), s.upload(tb,
		[2]string{"a.wav", toneWAV("Alpha", 220, 3)}, [2]string{"b.wav", toneWAV("Beta", 330, 2)},
		[2]string{"c.wav", toneWAV("Gamma", 440, 1)}))
	if err != nil {
		tb.Fatalf("Import: %v", err)
	}
	ids := map[string]string{}
	for _, r := range res {
		if r.Status != media.StatusAdded {
			tb.Fatalf("import %s: %s %s", r.Path, r.Status, r.Error)
		}
		ids[r.Title] = r.ID
	}
	return ids
}

func TestServeLibrary_Import(t *testing.T) {
	s := newServeStores(t)
	ctx := context.Background()
	good := toneWAV("Open Sky", 440, 2)
	ups := s.upload(t, [2]string{"sky.wav", good}, [2]string{"again.wav", good}, [2]string{"broken.wav", "RIFF\x00\x00nonsense"})
	res, err := s.lib.Import(ctx, ups)
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	byPath := map[string]media.Result{}
	for _, r := range res {
		byPath[r.Path] = r
	}
	// The server pairs results with uploads by path: they must be the same.
	sky, again, broken := byPath[ups[0].Path], byPath[ups[1].Path], byPath[ups[2].Path]
	statuses := []media.Status{sky.Status, again.Status, broken.Status}
	// Two workers: either copy of the same content may win.
	if !(reflect.DeepEqual(statuses, []media.Status{"added", "exists", "rejected"}) ||
		reflect.DeepEqual(statuses, []media.Status{"exists", "added", "rejected"})) {
		t.Fatalf("statuses: got %v (%+v), want added/exists, rejected", statuses, res)
	}
	if broken.Error == "" || sky.ID == "" || sky.ID != again.ID {
		t.Errorf("results: got %+v / %+v / %+v", sky, again, broken)
	}
	tr, err := s.lib.Track(ctx, sky.ID)
	if err != nil || !strings.HasPrefix(tr.Path, s.dir) || tr.Info.Tags.Title != "Open Sky" || tr.Loudness != nil {
		t.Fatalf("track: got %+v, %v; want a copy in the library, not yet analysed", tr, err)
	}

	// The import queued the new track for analysis.
	if err := s.lib.analyzePending(ctx); err != nil {
		t.Fatalf("analyzePending: %v", err)
	}
	tr, _ = s.lib.Track(ctx, sky.ID)
	if tr.Loudness == nil || tr.Loudness.Integrated > -3 || tr.Loudness.Integrated < -30 {
		t.Errorf("loudness after analysis: got %+v, want a measured sine", tr.Loudness)
	}
	if len(s.lib.pending) != 0 {
		t.Errorf("pending after analysis: %v, want none", s.lib.pending)
	}
}

func TestServeLibrary_Run(t *testing.T) {
	s := newServeStores(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.lib.Run(ctx) }()
	ids := s.importTones(t)
	// Run measures in the background; wait for it by polling the store
	// (bounded by the test's own deadline, not a timed assertion).
	for {
		tr, err := s.lib.Track(context.Background(), ids["Alpha"])
		if err != nil {
			t.Fatal(err)
		}
		if tr.Loudness != nil {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: got %v, want nil after cancel", err)
	}
}

func TestServeLibrary_Tracks(t *testing.T) {
	s := newServeStores(t)
	ctx := context.Background()
	ids := s.importTones(t)
	if err := s.lib.SetCuration(ctx, ids["Beta"], media.Curation{Instrumental: media.InstrumentalYes, Intensity: 3}); err != nil {
		t.Fatal(err)
	}
	ts, total, err := s.lib.Tracks(ctx, server.TrackQuery{Sort: "duration", Desc: true, Limit: 2})
	if err != nil || total != 3 || len(ts) != 2 || ts[0].ID != ids["Alpha"] || ts[1].ID != ids["Beta"] {
		t.Errorf("by duration desc: got %d tracks of %d, %v", len(ts), total, err)
	}
	ts, total, _ = s.lib.Tracks(ctx, server.TrackQuery{Instrumental: media.InstrumentalYes, Intensity: 3, Sort: "title", Limit: 10})
	if total != 1 || ts[0].ID != ids["Beta"] {
		t.Errorf("curated filter: got %d (%v)", total, ts)
	}
	ts, _, _ = s.lib.Tracks(ctx, server.TrackQuery{Text: "gam", Sort: "title", Limit: 10})
	if len(ts) != 1 || ts[0].ID != ids["Gamma"] {
		t.Errorf("search gam: got %v", ts)
	}
}

func TestServeLibrary_Delete(t *testing.T) {
	s := newServeStores(t)
	ctx := context.Background()
	ids := s.importTones(t)
	a := ids["Alpha"]
	tr, _ := s.lib.Track(ctx, a)
	// A second file of the same content outside the managed folder (a
	// watched folder) is never touched.
	outside := filepath.Join(t.TempDir(), "watched.wav")
	data, _ := os.ReadFile(tr.Path)
	if err := os.WriteFile(outside, data, 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := s.st.AddTrack(ctx, tr, media.File{Path: outside, TrackID: a, Size: int64(len(data))}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.list.pls.Save(ctx, playlists.Playlist{Name: "Uses A", Phases: []playlists.Phase{
		{Role: playlists.RoleJourney, Tracks: []playlists.Entry{{Track: a}}}}}); err != nil {
		t.Fatal(err)
	}
	if uses, err := s.lib.Uses(ctx, a); err != nil || !reflect.DeepEqual(uses, []string{"Uses A"}) {
		t.Errorf("Uses: got %v, %v; want [Uses A]", uses, err)
	}
	if err := s.lib.Delete(ctx, a); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := os.Stat(tr.Path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the managed copy %s: got %v, want it removed", tr.Path, err)
	}
	if _, err := os.Stat(outside); err != nil {
		t.Errorf("the watched file: %v, want it kept", err)
	}
	if _, err := s.lib.Track(ctx, a); !errors.Is(err, media.ErrNotFound) {
		t.Errorf("Track after Delete: %v, want ErrNotFound", err)
	}
	if err := s.lib.Delete(ctx, a); !errors.Is(err, media.ErrNotFound) {
		t.Errorf("Delete again: %v, want ErrNotFound", err)
	}
}

// id3WithPicture is an ID3v2.3 tag holding one APIC frame.
func id3WithPicture(mime string, pic []byte) []byte {
	var frame bytes.Buffer
	frame.WriteByte(0) // ISO-8859-1
	frame.WriteString(mime + "\x00")
	frame.WriteByte(3)        // front cover
	frame.WriteString("\x00") // no description
	frame.Write(pic)
	var tag bytes.Buffer
	tag.WriteString("APIC")
	_ = binary.Write(&tag, binary.BigEndian, uint32(frame.Len()))
	tag.Write([]byte{0, 0})
	tag.Write(frame.Bytes())
	n := tag.Len()
	head := []byte{'I', 'D', '3', 3, 0, 0, byte(n >> 21 & 0x7f), byte(n >> 14 & 0x7f), byte(n >> 7 & 0x7f), byte(n & 0x7f)}
	return append(head, tag.Bytes()...)
}

func TestServeLibrary_Artwork(t *testing.T) {
	s := newServeStores(t)
	ctx := context.Background()
	ids := s.importTones(t)
	if _, _, err := s.lib.Artwork(ctx, ids["Alpha"]); !errors.Is(err, media.ErrNotFound) {
		t.Errorf("Artwork of a WAV without a picture: got %v, want ErrNotFound", err)
	}
	pic := []byte("\x89PNG\r\n\x1a\n-picture-")
	path := filepath.Join(t.TempDir(), "art.mp3")
	if err := os.WriteFile(path, append(id3WithPicture("image/png", pic), make([]byte, 64)...), 0o640); err != nil {
		t.Fatal(err)
	}
	tr := media.Track{ID: "0123456789abcdef01234567", Info: media.Info{Tags: media.Tags{HasPicture: true}}}
	if _, err := s.st.AddTrack(ctx, tr, media.File{Path: path, TrackID: tr.ID}); err != nil {
		t.Fatal(err)
	}
	got, typ, err := s.lib.Artwork(ctx, tr.ID)
	if err != nil || !bytes.Equal(got, pic) || typ != "image/png" {
		t.Errorf("Artwork: got %q %q %v, want the picture as image/png", got, typ, err)
	}
	// A picture the probe saw in a container the tag reader does not read.
	wav, _ := s.lib.Track(ctx, ids["Alpha"])
	odd := media.Track{ID: "76543210fedcba9876543210", Info: media.Info{Tags: media.Tags{HasPicture: true}}}
	if _, err := s.st.AddTrack(ctx, odd, media.File{Path: wav.Path, TrackID: odd.ID}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.lib.Artwork(ctx, odd.ID); !errors.Is(err, media.ErrNotFound) {
		t.Errorf("Artwork from an unreadable tag: got %v, want ErrNotFound", err)
	}
	if _, _, err := s.lib.Artwork(ctx, "nope"); !errors.Is(err, media.ErrNotFound) {
		t.Errorf("Artwork of an unknown track: got %v, want ErrNotFound", err)
	}
}

func TestServePlaylists(t *testing.T) {
	s := newServeStores(t)
	ctx := context.Background()
	ids := s.importTones(t)
	pl := playlists.Playlist{Name: "Arc", Profile: "intranasal", Phases: []playlists.Phase{
		{Role: playlists.RoleSettling, Tracks: []playlists.Entry{{Track: ids["Alpha"]}}},
		{Role: playlists.RoleJourney, Tracks: []playlists.Entry{{Track: "Tester – Beta", MustPlay: true}, {Track: "nope"}, {Track: "Nobody - Nothing"}}},
	}}
	err := s.list.Save(ctx, pl)
	var ue *plfile.UnresolvedError
	if !errors.As(err, &ue) || len(ue.Refs) != 2 || ue.Refs[0].Ref != "nope" || ue.Refs[1].Index != 3 {
		t.Fatalf("Save with unresolved entries: got %v, want both listed", err)
	}
	if _, err := s.list.Get(ctx, "Arc"); !errors.Is(err, plstore.ErrNotFound) {
		t.Errorf("a refused Save stored the playlist: %v", err)
	}
	pl.Phases[1].Tracks = pl.Phases[1].Tracks[:1]
	if err := s.list.Save(ctx, pl); err != nil {
		t.Fatalf("Save: %v", err)
	}
	got, err := s.list.Get(ctx, "Arc")
	if err != nil || got.Phases[1].Tracks[0].Track != ids["Beta"] || !got.Phases[1].Tracks[0].MustPlay {
		t.Errorf("Get: got %+v, %v; want the reference resolved to Beta's id", got, err)
	}
	if err := s.list.Save(ctx, playlists.Playlist{Name: "Bad"}); !errors.Is(err, playlists.ErrInvalid) {
		t.Errorf("Save invalid: got %v, want ErrInvalid", err)
	}

	sums, err := s.list.List(ctx)
	if err != nil || len(sums) != 1 || sums[0].Tracks != 2 || sums[0].Length != 5*time.Second || sums[0].Phases != 2 {
		t.Errorf("List: got %+v, %v", sums, err)
	}

	var out bytes.Buffer
	if err := s.list.Export(ctx, "Arc", "m3u", &out); err != nil || !strings.Contains(out.String(), "Tester - Beta") &&
		!strings.Contains(out.String(), "Tester – Beta") {
		t.Errorf("Export m3u: got %q, %v", out.String(), err)
	}
	if err := s.list.Export(ctx, "Arc", "pdf", &out); !errors.Is(err, plfile.ErrFormat) {
		t.Errorf("Export pdf: got %v, want ErrFormat", err)
	}
	out.Reset()
	if err := s.list.Export(ctx, "Arc", "yaml", &out); err != nil {
		t.Fatalf("Export yaml: %v", err)
	}
	// What was exported imports again, under another name.
	imp, err := s.list.Import(ctx, "yaml", "Arc again", &out)
	if err != nil || imp.Name != "Arc again" || !reflect.DeepEqual(imp.Phases, got.Phases) {
		t.Errorf("Import of the export: got %+v, %v; want the same phases", imp, err)
	}
	bad := "name: Bad\nphases:\n  - role: journey\n    tracks:\n      - Nobody – Nothing\n"
	if _, err := s.list.Import(ctx, "yaml", "", strings.NewReader(bad)); !errors.As(err, &ue) || ue.Refs[0].Pos.Line != 5 {
		t.Errorf("Import unresolved: got %v, want the reference on line 5", err)
	}
	if _, err := s.list.Import(ctx, "m3u", "", strings.NewReader("#EXTM3U\n")); !errors.Is(err, playlists.ErrInvalid) {
		t.Errorf("Import an M3U without a name: got %v, want ErrInvalid", err)
	}

	tracks, err := s.list.Tracks(ctx, got)
	if err != nil {
		t.Fatalf("Tracks: %v", err)
	}
	if ti, ok := tracks.TrackInfo(ids["Alpha"]); !ok || ti.Duration != 3*time.Second {
		t.Errorf("TrackInfo(Alpha): got %+v %v, want 3s", ti, ok)
	}
	namer, ok := tracks.(interface {
		TrackNames(string) (string, string, bool)
	})
	if !ok {
		t.Fatalf("Tracks does not name its tracks")
	}
	if title, artist, ok := namer.TrackNames(ids["Beta"]); title != "Beta" || artist != "Tester" || !ok {
		t.Errorf("TrackNames(Beta) = %q %q %v", title, artist, ok)
	}
	if err := s.lib.Delete(ctx, ids["Beta"]); err != nil {
		t.Fatal(err)
	}
	if _, err := s.list.Tracks(ctx, got); !errors.Is(err, playlists.ErrInvalid) {
		t.Errorf("Tracks with a deleted track: got %v, want ErrInvalid", err)
	}
}
