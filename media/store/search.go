package store

import (
	"context"
	"fmt"
	"strings"
	"unicode"

	"attune/media"
)

// Search returns the tracks whose title, artist, album or album artist match
// every word of query, in library order (artist, album, disc, track number,
// title). Matching ignores case and diacritics ("fur" finds "Für"), and the
// last word matches as a prefix ("elis" finds "Elise") so that results
// follow what is being typed. The query is free text: FTS5 operators and
// punctuation in it are searched for as words, never interpreted. A query
// without any letter or digit (empty, or only punctuation) lists every
// track. limit <= 0 means no limit.
func (s *Store) Search(ctx context.Context, query string, limit int) ([]media.Track, error) {
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	var (
		q    string
		args []any
	)
	if match := ftsQuery(query); match == "" {
		q = selectTracks + libraryOrder + ` LIMIT ?`
		args = []any{limit}
	} else {
		q = selectTracks + ` WHERE t.seq IN (SELECT rowid FROM tracks_fts WHERE tracks_fts MATCH ?)` +
			libraryOrder + ` LIMIT ?`
		args = []any{match, limit}
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("search library for %q: %w", query, err)
	}
	defer rows.Close()
	var tracks []media.Track
	for rows.Next() {
		t, err := scanTrack(rows)
		if err != nil {
			return nil, fmt.Errorf("search library for %q: %w", query, err)
		}
		tracks = append(tracks, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("search library for %q: %w", query, err)
	}
	return tracks, nil
}

// ftsQuery turns free text into an FTS5 query that cannot be a syntax error:
// each word becomes a quoted FTS5 string (inside which nothing is an
// operator), the last one a prefix query. Words without a letter or digit
// would tokenize to nothing and are dropped; "" means match everything.
func ftsQuery(text string) string {
	var words []string
	for _, w := range strings.Fields(text) {
		if strings.IndexFunc(w, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) }) < 0 {
			continue
		}
		words = append(words, `"`+strings.ReplaceAll(w, `"`, `""`)+`"`)
	}
	if len(words) == 0 {
		return ""
	}
	return strings.Join(words, " ") + "*"
}
