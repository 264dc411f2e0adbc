package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"attune/media"
)

// TrackByPath returns the track held by the file recorded at path (an
// absolute, clean path, as the library records them), or an error wrapping
// media.ErrNotFound. The track's own Path is its first file, which may be
// another copy of the same content.
func (s *Store) TrackByPath(ctx context.Context, path string) (media.Track, error) {
	var id string
	err := s.db.QueryRowContext(ctx, `SELECT track_id FROM files WHERE path = ?`, path).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return media.Track{}, fmt.Errorf("file %s: %w", path, media.ErrNotFound)
	}
	if err != nil {
		return media.Track{}, fmt.Errorf("look up file %s: %w", path, err)
	}
	return s.Track(ctx, id)
}

// TracksByArtistTitle returns the tracks whose artist and title are the
// given ones, ignoring case, diacritics and punctuation ("beethoven", "fur
// elise" finds Beethoven's "Für Elise", not "Für Elise (Remix)"), in library
// order. None is not an error: the result is empty.
func (s *Store) TracksByArtistTitle(ctx context.Context, artist, title string) ([]media.Track, error) {
	na, nt := countWords(artist), countWords(title)
	if na == 0 || nt == 0 {
		return nil, nil
	}
	// The index finds the tracks where each name occurs as a phrase; a
	// phrase as long as the whole field is the field, word for word.
	match := `artist : ` + ftsPhrase(artist) + ` AND title : ` + ftsPhrase(title)
	rows, err := s.db.QueryContext(ctx, selectTracks+
		` WHERE t.seq IN (SELECT rowid FROM tracks_fts WHERE tracks_fts MATCH ?)`+libraryOrder, match)
	if err != nil {
		return nil, fmt.Errorf("find %q by %q: %w", title, artist, err)
	}
	defer rows.Close()
	var tracks []media.Track
	for rows.Next() {
		t, err := scanTrack(rows)
		if err != nil {
			return nil, fmt.Errorf("find %q by %q: %w", title, artist, err)
		}
		if countWords(t.Info.Tags.Artist) == na && countWords(t.Info.Tags.Title) == nt {
			tracks = append(tracks, t)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find %q by %q: %w", title, artist, err)
	}
	return tracks, nil
}

// ftsPhrase quotes text as one FTS5 string: the index's tokenizer splits
// it into the words of a phrase, and nothing in it is an operator.
func ftsPhrase(text string) string {
	return `"` + strings.ReplaceAll(text, `"`, `""`) + `"`
}

// countWords counts the words the index's tokenizer (unicode61) sees in s:
// runs of letters, digits and the marks that belong to them.
func countWords(s string) int {
	n, in := 0, false
	for _, r := range s {
		word := unicode.IsLetter(r) || unicode.IsNumber(r) || (in && unicode.IsMark(r))
		if word && !in {
			n++
		}
		in = word
	}
	return n
}
