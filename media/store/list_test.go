package store

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"attune/media"
)

// listLibrary holds four tracks that sort differently by every key.
func listLibrary(tb testing.TB) *Store {
	tb.Helper()
	s := newStore(tb)
	ctx := context.Background()
	day := func(d int) time.Time { return time.Date(2026, 1, d, 0, 0, 0, 0, time.UTC) }
	for _, c := range []struct {
		id, title, artist, album string
		seconds                  int64
		added                    time.Time
		cur                      media.Curation
		lufs                     float64 // 0: not analysed
	}{
		{"a", "Cedar", "Zed", "Moss", 300, day(3), media.Curation{Instrumental: media.InstrumentalYes, Intensity: 2, Moods: []string{"calm"}}, -20},
		{"b", "alder", "Young", "Fern", 100, day(1), media.Curation{Instrumental: media.InstrumentalNo, Intensity: 5, Notes: "100% lyrics_heavy"}, -14},
		{"c", "Birch", "Xavier", "Lichen", 200, day(4), media.Curation{Instrumental: media.InstrumentalYes, Moods: []string{"Warm", "open"}}, 0},
		{"d", "Dogwood", "Abel", "Moss", 400, day(2), media.Curation{Intensity: 2}, -30},
	} {
		tr := media.Track{ID: c.id, AddedAt: c.added, Curation: c.cur,
			Info: media.Info{Stream: media.Stream{SampleRate: 1000, Samples: c.seconds * 1000},
				Tags: media.Tags{Title: c.title, Artist: c.artist, Album: c.album}}}
		mustAdd(tb, s, tr, media.File{Path: "/m/" + c.id, TrackID: c.id})
		if err := s.SetCuration(ctx, c.id, c.cur); err != nil {
			tb.Fatalf("SetCuration(%s): %v", c.id, err)
		}
		if c.lufs != 0 {
			if err := s.PutLoudness(ctx, c.id, media.Loudness{Integrated: c.lufs, Version: media.AnalyzerVersion}); err != nil {
				tb.Fatalf("PutLoudness(%s): %v", c.id, err)
			}
		}
	}
	return s
}

func listIDs(tb testing.TB, s *Store, q ListQuery) ([]string, int) {
	tb.Helper()
	ts, total, err := s.List(context.Background(), q)
	if err != nil {
		tb.Fatalf("List(%+v): %v", q, err)
	}
	var ids []string
	for _, t := range ts {
		ids = append(ids, t.ID)
	}
	return ids, total
}

func TestStore_List(t *testing.T) {
	s := listLibrary(t)
	tests := []struct {
		name      string
		q         ListQuery
		want      []string
		wantTotal int
	}{
		{"library order", ListQuery{}, []string{"d", "c", "b", "a"}, 4},
		{"title, case-folded", ListQuery{Sort: "title"}, []string{"b", "c", "a", "d"}, 4},
		{"title desc", ListQuery{Sort: "title", Desc: true}, []string{"d", "a", "c", "b"}, 4},
		{"artist", ListQuery{Sort: "artist"}, []string{"d", "c", "b", "a"}, 4},
		{"album", ListQuery{Sort: "album"}, []string{"b", "c", "a", "d"}, 4},
		{"duration", ListQuery{Sort: "duration"}, []string{"b", "c", "a", "d"}, 4},
		{"duration desc", ListQuery{Sort: "duration", Desc: true}, []string{"d", "a", "c", "b"}, 4},
		{"added", ListQuery{Sort: "added"}, []string{"b", "d", "a", "c"}, 4},
		{"loudness, unanalysed last", ListQuery{Sort: "loudness"}, []string{"d", "a", "b", "c"}, 4},
		{"loudness desc, unanalysed last", ListQuery{Sort: "loudness", Desc: true}, []string{"b", "a", "d", "c"}, 4},
		{"intensity, unset last", ListQuery{Sort: "intensity"}, []string{"a", "d", "b", "c"}, 4},
		{"instrumental", ListQuery{Instrumental: media.InstrumentalYes, Sort: "title"}, []string{"c", "a"}, 2},
		{"unknown", ListQuery{Instrumental: media.InstrumentalUnknown}, []string{"d"}, 1},
		{"intensity 2", ListQuery{Intensity: 2, Sort: "title"}, []string{"a", "d"}, 2},
		{"text in tags", ListQuery{Text: "moss", Sort: "title"}, []string{"a", "d"}, 2},
		{"text prefix", ListQuery{Text: "bir"}, []string{"c"}, 1},
		{"text in moods", ListQuery{Text: "warm"}, []string{"c"}, 1},
		{"text in notes, wildcards literal", ListQuery{Text: "100% lyrics_"}, []string{"b"}, 1},
		{"wildcards match nothing else", ListQuery{Text: "_"}, []string{"d", "c", "b", "a"}, 4},
		{"page", ListQuery{Sort: "title", Limit: 2, Offset: 1}, []string{"c", "a"}, 4},
		{"page past the end", ListQuery{Sort: "title", Limit: 2, Offset: 10}, nil, 4},
		{"filters and page", ListQuery{Instrumental: media.InstrumentalYes, Sort: "title", Limit: 1}, []string{"c"}, 2},
	}
	for _, tt := range tests {
		got, total := listIDs(t, s, tt.q)
		if !reflect.DeepEqual(got, tt.want) || total != tt.wantTotal {
			t.Errorf("%s: List = %v (total %d), want %v (total %d)", tt.name, got, total, tt.want, tt.wantTotal)
		}
	}
	if _, _, err := s.List(context.Background(), ListQuery{Sort: "bpm"}); err == nil {
		t.Errorf("List(sort bpm): got no error, want one")
	}
}

func TestStore_Delete(t *testing.T) {
	s := listLibrary(t)
	ctx := context.Background()
	mustAdd(t, s, mustTrack(t, s, "a"), media.File{Path: "/w/a-copy", TrackID: "a"})
	paths, err := s.Delete(ctx, "a")
	if err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if want := []string{"/m/a", "/w/a-copy"}; !reflect.DeepEqual(paths, want) {
		t.Errorf("Delete paths = %v, want %v", paths, want)
	}
	if _, err := s.Track(ctx, "a"); !errors.Is(err, media.ErrNotFound) {
		t.Errorf("Track after Delete: got %v, want ErrNotFound", err)
	}
	var rows int
	err = s.DB().QueryRowContext(ctx, `SELECT (SELECT count(*) FROM files WHERE track_id = 'a')
		+ (SELECT count(*) FROM track_moods WHERE track_id = 'a') + (SELECT count(*) FROM track_loudness WHERE track_id = 'a')`).Scan(&rows)
	if err != nil || rows != 0 {
		t.Errorf("rows left of the deleted track: %d (%v), want 0", rows, err)
	}
	if ids := searchIDs(t, s, "cedar"); ids != nil {
		t.Errorf("search finds the deleted track: %v", ids)
	}
	if _, err := s.Delete(ctx, "a"); !errors.Is(err, media.ErrNotFound) {
		t.Errorf("Delete again: got %v, want ErrNotFound", err)
	}
}
