package plfile

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"attune/playlists"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// fakeLib is a library of a few tracks that resolves ids, paths and
// labels exactly, and describes its tracks.
type fakeLib map[string]TrackInfo

func newFakeLib() fakeLib {
	l := fakeLib{}
	for i, t := range []TrackInfo{
		{Artist: "Erik Satie", Title: "Gymnopédie No. 1", Path: "/srv/music/satie/gymnopedie-1.flac", Duration: 185 * time.Second},
		{Artist: "Brian Eno", Title: "An Ending (Ascent)", Path: "/srv/music/eno/an-ending.flac", Duration: 266 * time.Second},
		{Artist: "Arvo Pärt", Title: "Spiegel im Spiegel", Path: "/srv/music/part/spiegel.flac", Duration: 600 * time.Second},
		{Artist: "Stars of the Lid", Title: "Requiem for Dying Mothers", Path: "/srv/music/stars-of-the-lid/requiem.flac", Duration: 480500 * time.Millisecond},
		{Artist: "Hildur Guðnadóttir", Title: "Bathroom Dance", Duration: 190 * time.Second}, // no file
		{Artist: "Ólafur Arnalds", Title: "Near Light", Path: "/srv/music/arnalds/near-light.mp3", Duration: 290 * time.Second},
	} {
		t.ID = fmt.Sprintf("%024x", i+1)
		l[t.ID] = t
	}
	l["0123456789abcdef01234567"] = TrackInfo{ID: "0123456789abcdef01234567"} // untagged
	return l
}

func (l fakeLib) Resolve(_ context.Context, ref string) (string, error) {
	if ref == "Twin – Song" {
		return "", fmt.Errorf("%w: two of them", ErrAmbiguous)
	}
	for id, t := range l {
		if ref == id || ref == t.Path || ref == t.Label() || ref == strings.Replace(t.Label(), " – ", " - ", 1) {
			return id, nil
		}
	}
	return "", fmt.Errorf("%q: %w", ref, ErrNotFound)
}

func (l fakeLib) Describe(_ context.Context, id string) (TrackInfo, error) {
	t, ok := l[id]
	if !ok {
		return TrackInfo{}, fmt.Errorf("%s: %w", id, ErrNotFound)
	}
	return t, nil
}

func readFile(tb testing.TB, path string) []byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(tb testing.TB, name string, got []byte) {
	tb.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			tb.Fatal(err)
		}
		return
	}
	if want := readFile(tb, path); !bytes.Equal(got, want) {
		tb.Errorf("%s differs from the golden file (run with -update if intended)\ngot:\n%s\nwant:\n%s", name, got, want)
	}
}

func load(tb testing.TB, data []byte, f Format, r Resolver) playlists.Playlist {
	tb.Helper()
	doc, err := Parse(data, f, "")
	if err != nil {
		tb.Fatalf("Parse: %v", err)
	}
	pl, missing, err := doc.Resolve(context.Background(), r, false)
	if err != nil || len(missing) > 0 {
		tb.Fatalf("Resolve: %v (unresolved %v)", err, missing)
	}
	return pl
}

func encode(tb testing.TB, pl playlists.Playlist, f Format, d Describer) []byte {
	tb.Helper()
	var b bytes.Buffer
	if err := Encode(context.Background(), &b, pl, f, d); err != nil {
		tb.Fatalf("Encode %s: %v", f, err)
	}
	return b.Bytes()
}

func TestParse_phasedYAML(t *testing.T) {
	lib := newFakeLib()
	pl := load(t, readFile(t, "testdata/phased.yaml"), FormatYAML, lib)
	id := func(i int) string { return fmt.Sprintf("%024x", i) }
	want := playlists.Playlist{
		Name: "Gentle arc", Description: "A quiet nasal-spray session.", Author: "Dr. Ana Müller",
		Profile: "intranasal", Transition: 30 * time.Second,
		Phases: []playlists.Phase{
			{Role: playlists.RoleArrival, Fill: playlists.FillLoop, Tracks: []playlists.Entry{{Track: id(1)}}},
			{Role: playlists.RoleSettling, Crossfade: 6 * time.Second, LevelDB: -2.5, Fill: playlists.FillBrownNoise,
				Tracks: []playlists.Entry{{Track: id(2)}, {Track: id(3), MustPlay: true}}},
			{Role: playlists.RoleJourney, Crossfade: 12 * time.Second,
				Tracks: []playlists.Entry{{Track: id(4), MustPlay: true}, {Track: id(5)}, {Track: "0123456789abcdef01234567"}}},
			{Role: playlists.RoleReturn, LevelDB: -3},
			{Role: playlists.RoleIntegration, Fill: playlists.FillSilence, Tracks: []playlists.Entry{{Track: id(6)}}},
		},
	}
	if !reflect.DeepEqual(pl, want) {
		t.Errorf("got  %+v\nwant %+v", pl, want)
	}
}

// YAML → Playlist → YAML: the export is fixed (golden), names every track
// in a comment, and reads back to the same playlist and the same text.
func TestEncode_YAMLRoundTrip(t *testing.T) {
	lib := newFakeLib()
	pl := load(t, readFile(t, "testdata/phased.yaml"), FormatYAML, lib)
	out := encode(t, pl, FormatYAML, lib)
	golden(t, "phased.export.yaml", out)
	again := load(t, out, FormatYAML, lib)
	if !reflect.DeepEqual(again, pl) {
		t.Errorf("re-read export = %+v\nwant %+v", again, pl)
	}
	if out2 := encode(t, again, FormatYAML, lib); !bytes.Equal(out2, out) {
		t.Errorf("second export differs:\n%s\nfirst:\n%s", out2, out)
	}
}

func TestEncode_JSONRoundTrip(t *testing.T) {
	lib := newFakeLib()
	pl := load(t, readFile(t, "testdata/phased.yaml"), FormatYAML, lib)
	out := encode(t, pl, FormatJSON, lib)
	golden(t, "phased.export.json", out)
	if again := load(t, out, FormatJSON, lib); !reflect.DeepEqual(again, pl) {
		t.Errorf("re-read JSON = %+v\nwant %+v", again, pl)
	}
	// Without a describer the ids alone are written, and still read back.
	if again := load(t, encode(t, pl, FormatJSON, nil), FormatJSON, lib); !reflect.DeepEqual(again, pl) {
		t.Errorf("re-read bare JSON = %+v\nwant %+v", again, pl)
	}
}

func TestEncode_M3U(t *testing.T) {
	lib := newFakeLib()
	pl := load(t, readFile(t, "testdata/phased.yaml"), FormatYAML, lib)
	out := encode(t, pl, FormatM3U, lib)
	golden(t, "phased.export.m3u8", out)

	// Importing it gives one phase holding every track in order: paths
	// where the library has a file, "Artist - Title" where it has none.
	doc, err := ParseM3U(out, playlists.RoleJourney)
	if err != nil {
		t.Fatal(err)
	}
	m3u, missing, err := doc.Resolve(context.Background(), lib, false)
	if err != nil || len(missing) > 0 {
		t.Fatalf("Resolve: %v %v", err, missing)
	}
	var want []playlists.Entry
	for _, p := range pl.Phases {
		for _, e := range p.Tracks {
			want = append(want, playlists.Entry{Track: e.Track})
		}
	}
	if m3u.Name != pl.Name || len(m3u.Phases) != 1 || m3u.Phases[0].Role != playlists.RoleJourney ||
		!reflect.DeepEqual(m3u.Phases[0].Tracks, want) {
		t.Errorf("M3U import = %+v, want one journey phase named %q with %v", m3u, pl.Name, want)
	}

	// A one-phase playlist round-trips exactly (M3U has no phase settings).
	if out2 := encode(t, m3u, FormatM3U, lib); !bytes.Contains(out2, []byte("#EXTINF:481,Stars of the Lid - Requiem for Dying Mothers\n/srv/music/stars-of-the-lid/requiem.flac\n")) {
		t.Errorf("one-phase export lacks the requiem entry:\n%s", out2)
	} else if doc2, err := ParseM3U(out2, ""); err != nil {
		t.Error(err)
	} else if again, _, err := doc2.Resolve(context.Background(), lib, false); err != nil || !reflect.DeepEqual(again, m3u) {
		t.Errorf("M3U → playlist → M3U → playlist = %+v, %v; want %+v", again, err, m3u)
	}
}

func TestParseM3U_foreign(t *testing.T) {
	lib := newFakeLib()
	// Written elsewhere: CRLF, a BOM, Latin-1 would be caught below, paths
	// that are not ours (the #EXTINF title finds the track), a file URL.
	data := "\xef\xbb\xbf#EXTM3U\r\n#EXTINF:185,Erik Satie - Gymnopédie No. 1\r\nC:\\Music\\satie.flac\r\n\r\n" +
		"# a comment\r\nfile:///srv/music/part/spiegel.flac\r\n#EXTINF:10,Nobody - Nothing\r\n/elsewhere/x.mp3\r\n"
	doc, err := ParseM3U([]byte(data), playlists.RoleSettling)
	if err != nil {
		t.Fatal(err)
	}
	if doc.Name != "" {
		t.Errorf("name = %q, want none (no #PLAYLIST)", doc.Name)
	}
	doc.Name = "foreign"
	pl, missing, err := doc.Resolve(context.Background(), lib, true)
	if err != nil {
		t.Fatal(err)
	}
	want := []playlists.Entry{{Track: fmt.Sprintf("%024x", 1)}, {Track: fmt.Sprintf("%024x", 3)}}
	if pl.Phases[0].Role != playlists.RoleSettling || !reflect.DeepEqual(pl.Phases[0].Tracks, want) {
		t.Errorf("tracks = %+v, want %v in a settling phase", pl.Phases, want)
	}
	if len(missing) != 1 || missing[0].Pos.Line != 8 || missing[0].Ref != "/elsewhere/x.mp3" ||
		!strings.Contains(missing[0].Err.Error(), `also tried "Nobody - Nothing"`) {
		t.Errorf("unresolved = %v, want /elsewhere/x.mp3 on line 8, having tried its #EXTINF title", missing)
	}

	// Latin-1: "é" is one byte 0xE9.
	doc, err = ParseM3U([]byte("#EXTM3U\n#EXTINF:1,Erik Satie - Gymnop\xe9die No. 1\nnowhere.wav\n"), "")
	if err != nil {
		t.Fatal(err)
	}
	if got := doc.Phases[0].Tracks[0].Alt; got != "Erik Satie - Gymnopédie No. 1" {
		t.Errorf("Latin-1 title = %q", got)
	}
	if _, err := ParseM3U(nil, "jurney"); err == nil || !strings.Contains(err.Error(), `did you mean "journey"?`) {
		t.Errorf("role typo: %v", err)
	}
}

func TestDocument_Resolve_unresolved(t *testing.T) {
	lib := newFakeLib()
	data := []byte(`name: Gaps
phases:
  - role: settling
    tracks:
      - Erik Satie – Gymnopédie No. 1
      - Nobody – Nothing
  - role: journey
    tracks:
      - Arvo Pärt – Spiegel im Spiegel
      - ref: Twin – Song
        must_play: true
      - /no/such/file.flac
`)
	doc, err := Parse(data, FormatYAML, "")
	if err != nil {
		t.Fatal(err)
	}
	_, missing, err := doc.Resolve(context.Background(), lib, false)
	var ue *UnresolvedError
	if !errors.As(err, &ue) || len(ue.Refs) != 3 || len(missing) != 3 {
		t.Fatalf("Resolve = %v; want an UnresolvedError listing 3", err)
	}
	for _, want := range []string{
		`3 track reference(s) did not resolve`,
		`phase 1 (settling), track 2, line 6: "Nobody – Nothing": "Nobody – Nothing": no such track in the library`,
		`phase 2 (journey), track 2 (must play), line 10: "Twin – Song": more than one track matches: two of them`,
		`phase 2 (journey), track 3, line 12: "/no/such/file.flac"`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if !errors.Is(ue.Refs[1].Err, ErrAmbiguous) || !errors.Is(ue.Refs[0].Err, ErrNotFound) {
		t.Errorf("kinds: %v, %v", ue.Refs[0].Err, ue.Refs[1].Err)
	}

	// Partial: the rest is imported and what was left out is returned.
	pl, missing, err := doc.Resolve(context.Background(), lib, true)
	if err != nil {
		t.Fatalf("partial Resolve: %v", err)
	}
	if got := len(pl.Phases[0].Tracks) + len(pl.Phases[1].Tracks); got != 2 || len(missing) != 3 {
		t.Errorf("partial: %d tracks kept, %d reported; want 2 and 3", got, len(missing))
	}
}

type failingResolver struct{}

func (failingResolver) Resolve(context.Context, string) (string, error) {
	return "", errors.New("database is locked")
}

func TestDocument_Resolve_failure(t *testing.T) {
	doc, err := Parse([]byte("name: x\nphases: [{role: journey, tracks: [a]}]\n"), FormatYAML, "")
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = doc.Resolve(context.Background(), failingResolver{}, true)
	if err == nil || !strings.Contains(err.Error(), "database is locked") || errors.Is(err, ErrNotFound) {
		t.Errorf("Resolve with a failing resolver = %v; want the failure, even when partial", err)
	}
}

func TestDocument_Resolve_invalid(t *testing.T) {
	// What the schema accepts but a playlist cannot be is caught by
	// Validate: roles out of order, a crossfade in minutes.
	doc, err := Parse([]byte("name: x\nphases:\n- role: journey\n  crossfade: 10m\n- role: settling\n"), FormatYAML, "")
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = doc.Resolve(context.Background(), newFakeLib(), false)
	if !errors.Is(err, playlists.ErrInvalid) || !strings.Contains(err.Error(), "crossfade 10m0s") ||
		!strings.Contains(err.Error(), "comes after journey") {
		t.Errorf("Resolve = %v", err)
	}
}
