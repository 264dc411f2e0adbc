package store

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"attune/media"
)

func searchIDs(tb testing.TB, s *Store, query string) []string {
	tb.Helper()
	tracks, err := s.Search(context.Background(), query, 0)
	if err != nil {
		tb.Fatalf("Search(%q): %v", query, err)
	}
	var ids []string
	for _, t := range tracks {
		ids = append(ids, t.ID)
	}
	return ids
}

// addTagged adds a track with the given tags and one file named after its id.
func addTagged(tb testing.TB, s *Store, id string, tags media.Tags) {
	tb.Helper()
	mustAdd(tb, s, media.Track{ID: id, Info: media.Info{Tags: tags}}, media.File{Path: "/m/" + id})
}

func searchLibrary(tb testing.TB) *Store {
	s := newStore(tb)
	addTagged(tb, s, "elise", media.Tags{Title: "Für Elise", Artist: "Ludwig van Beethoven", Album: "Bagatelles"})
	addTagged(tb, s, "halo", media.Tags{Title: "Halo", Artist: "Beyoncé", Album: "I Am... Sasha Fierce"})
	addTagged(tb, s, "aria", media.Tags{Title: "Aria", Album: "Goldberg Variations", AlbumArtist: "Glenn Gould", Artist: "J. S. Bach"})
	addTagged(tb, s, "near", media.Tags{Title: "Near Light", Artist: "Ólafur Arnalds", Album: "Living Room Songs"})
	addTagged(tb, s, "title", media.Tags{Title: "Title: X", Artist: "AND", Album: "(Parenthesis)"})
	return s
}

func TestStore_Search(t *testing.T) {
	s := searchLibrary(t)
	tests := []struct {
		query string
		want  []string // in library order
	}{
		{"fur", []string{"elise"}},           // diacritics folded
		{"FÜR ELISE", []string{"elise"}},     // case
		{"elis", []string{"elise"}},          // prefix of the last word
		{"beyonce", []string{"halo"}},        // folded in the artist
		{"Beyoncé halo", []string{"halo"}},   // two columns, every word must match
		{"gould", []string{"aria"}},          // album artist
		{"goldberg", []string{"aria"}},       // album
		{"olafur", []string{"near"}},         // Ó
		{"fur beethoven", []string{"elise"}}, // words in any order
		{"elis beethoven", nil},              // only the last word is a prefix
		{"bach elise", nil},                  // AND, not OR
		{"zzz", nil},                         // no match
		{"", []string{"title", "halo", "aria", "elise", "near"}},
		{"   ", []string{"title", "halo", "aria", "elise", "near"}},
	}
	for _, tt := range tests {
		if got := searchIDs(t, s, tt.query); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Search(%q) = %v, want %v", tt.query, got, tt.want)
		}
	}
}

func TestStore_Search_HostileQueries(t *testing.T) {
	s := searchLibrary(t)
	// Library order, by artist: AND, Beyoncé, J. S. Bach, Ludwig..., Ólafur.
	all := []string{"title", "halo", "aria", "elise", "near"}
	tests := []struct {
		query string
		want  []string
	}{
		{`"`, all},
		{`*`, all},
		{`'`, all},
		{`(`, all},
		{`) ( " * ^ : -`, all},
		{`AND`, []string{"title"}}, // a word, not an operator
		{`and`, []string{"title"}},
		{`OR`, nil},
		{`NOT`, nil},
		{`NEAR`, []string{"near"}},
		{`NEAR(`, []string{"near"}},
		{`near/2`, nil},
		{`-x`, []string{"title"}},
		{`title:x`, []string{"title"}},
		{`title:elise`, nil},
		{`"elise`, []string{"elise"}},
		{`elise"`, []string{"elise"}},
		{`el"ise`, nil},
		{`'elise'`, []string{"elise"}},
		{`(parenthesis)`, []string{"title"}},
		{`^halo`, []string{"halo"}},
		{`halo*`, []string{"halo"}},
		{`{title artist}: halo`, nil},
		{`ℌalo 🎵`, nil},
		{`🎵`, all},
		{`日本語`, nil},
		{"\x00\t\n", all},
		{"\xff\xfe", all},
		{`x'); DROP TABLE tracks; --`, nil},
	}
	for _, tt := range tests {
		got, err := s.Search(context.Background(), tt.query, 0)
		if err != nil {
			t.Errorf("Search(%q): %v", tt.query, err)
			continue
		}
		var ids []string
		for _, tr := range got {
			ids = append(ids, tr.ID)
		}
		if !reflect.DeepEqual(ids, tt.want) {
			t.Errorf("Search(%q) = %v, want %v", tt.query, ids, tt.want)
		}
	}
	if tracks, _, _ := s.Counts(context.Background()); tracks != len(all) {
		t.Errorf("after hostile queries: %d tracks, want %d", tracks, len(all))
	}
}

func TestStore_Search_Order(t *testing.T) {
	s := newStore(t)
	// Added in scrambled order; listed by artist, album, disc, track, title.
	addTagged(t, s, "6", media.Tags{Artist: "b", Album: "a", Disc: 1, Track: 1, Title: "x"})
	addTagged(t, s, "4", media.Tags{Artist: "a", Album: "b", Disc: 2, Track: 1, Title: "x"})
	addTagged(t, s, "3", media.Tags{Artist: "a", Album: "b", Disc: 1, Track: 2, Title: "x"})
	addTagged(t, s, "2", media.Tags{Artist: "a", Album: "b", Disc: 1, Track: 1, Title: "y"})
	addTagged(t, s, "1", media.Tags{Artist: "a", Album: "b", Disc: 1, Track: 1, Title: "x"})
	addTagged(t, s, "0", media.Tags{Artist: "A", Album: "a", Disc: 9, Track: 9, Title: "x"})
	want := []string{"0", "1", "2", "3", "4", "6"}
	if got := searchIDs(t, s, ""); !reflect.DeepEqual(got, want) {
		t.Errorf("Search(\"\") = %v, want %v", got, want)
	}
	if got := searchIDs(t, s, "x"); !reflect.DeepEqual(got, []string{"0", "1", "3", "4", "6"}) {
		t.Errorf("Search(x) = %v, want [0 1 3 4 6]", got)
	}
}

func TestStore_Search_Limit(t *testing.T) {
	s := newStore(t)
	for i := range 10 {
		addTagged(t, s, fmt.Sprintf("t%02d", i), media.Tags{Artist: "Arvo Pärt", Track: i})
	}
	for _, tt := range []struct {
		query       string
		limit, want int
	}{
		{"", 3, 3}, {"part", 4, 4}, {"part", 0, 10}, {"", -1, 10}, {"part", 20, 10},
	} {
		got, err := s.Search(context.Background(), tt.query, tt.limit)
		if err != nil {
			t.Fatalf("Search(%q, %d): %v", tt.query, tt.limit, err)
		}
		if len(got) != tt.want {
			t.Errorf("Search(%q, %d) returned %d tracks, want %d", tt.query, tt.limit, len(got), tt.want)
		}
	}
}

func TestStore_Search_ReturnsFullTracks(t *testing.T) {
	s := newStore(t)
	want := fullTrack("ab12")
	f := fileOf(want, "/m/a.mp3")
	mustAdd(t, s, want, f)
	want.Path, want.Size, want.ModTime = f.Path, f.Size, f.ModTime
	got, err := s.Search(context.Background(), "elise", 0)
	if err != nil {
		t.Fatalf("Search: %v", err)
	}
	if len(got) != 1 || !reflect.DeepEqual(got[0], want) {
		t.Errorf("Search = %+v, want [%+v]", got, want)
	}
}

func TestFtsQuery(t *testing.T) {
	for in, want := range map[string]string{
		"":              "",
		"  ":            "",
		"*":             "",
		"elis":          `"elis"*`,
		"fur elis":      `"fur" "elis"*`,
		`a"b`:           `"a""b"*`,
		"title:x AND y": `"title:x" "AND" "y"*`,
		"-- x":          `"x"*`,
	} {
		if got := ftsQuery(in); got != want {
			t.Errorf("ftsQuery(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestStore_SearchIndexInSync checks the FTS triggers against the tracks
// table after inserts, updates and deletes.
func TestStore_SearchIndexInSync(t *testing.T) {
	ctx := context.Background()
	s := searchLibrary(t)
	if err := s.UpdateInfo(ctx, "halo", media.Info{Tags: media.Tags{Title: "Crazy in Love", Artist: "Beyoncé"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM tracks WHERE id = 'elise'`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO tracks_fts (tracks_fts, rank) VALUES ('integrity-check', 1)`); err != nil {
		t.Errorf("FTS index out of sync with tracks: %v", err)
	}
	for query, want := range map[string][]string{"elise": nil, "halo": nil, "crazy lov": {"halo"}} {
		if got := searchIDs(t, s, query); !reflect.DeepEqual(got, want) {
			t.Errorf("Search(%q) = %v, want %v", query, got, want)
		}
	}
}
