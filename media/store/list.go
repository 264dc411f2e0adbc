package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"attune/media"
)

// ListQuery selects, orders and pages tracks for a listing.
type ListQuery struct {
	// Text matches, as Search does, the title, artist, album or album
	// artist; it also finds a curator's moods and notes that contain it.
	// "" lists every track.
	Text         string
	Instrumental media.Instrumental // "" for any
	Intensity    int                // 1–5; 0 for any
	// Sort is title, artist, album, duration, added, loudness or
	// intensity; "" is the library order (artist, album, disc, track).
	Sort   string
	Desc   bool
	Limit  int // <= 0: no limit
	Offset int
}

// sortKeys are the ORDER BY terms of each ListQuery.Sort; the id breaks
// ties so that pages never overlap. Tracks without a value (no loudness
// yet) come last whichever the direction.
func sortKeys(sort string, desc bool) (string, error) {
	dir := " ASC"
	if desc {
		dir = " DESC"
	}
	var keys []string
	switch sort {
	case "":
		return libraryOrder, nil
	case "title":
		keys = []string{"t.title COLLATE NOCASE" + dir, "t.artist COLLATE NOCASE"}
	case "artist":
		keys = []string{"t.artist COLLATE NOCASE" + dir, "t.album COLLATE NOCASE" + dir, "t.disc_no", "t.track_no", "t.title COLLATE NOCASE"}
	case "album":
		keys = []string{"t.album COLLATE NOCASE" + dir, "t.disc_no", "t.track_no", "t.title COLLATE NOCASE"}
	case "duration":
		keys = []string{"CAST(t.samples AS REAL) / NULLIF(t.sample_rate, 0)" + dir + " NULLS LAST"}
	case "added":
		keys = []string{"t.added_at" + dir}
	case "loudness":
		keys = []string{"l.integrated" + dir + " NULLS LAST"}
	case "intensity":
		keys = []string{"NULLIF(t.intensity, 0)" + dir + " NULLS LAST", "t.title COLLATE NOCASE"}
	default:
		return "", fmt.Errorf("sort by %q: want title, artist, album, duration, added, loudness or intensity", sort)
	}
	return " ORDER BY " + strings.Join(append(keys, "t.id"), ", "), nil
}

// List returns a page of the tracks matching q, in q's order, and how many
// match in all.
func (s *Store) List(ctx context.Context, q ListQuery) ([]media.Track, int, error) {
	order, err := sortKeys(q.Sort, q.Desc)
	if err != nil {
		return nil, 0, fmt.Errorf("list tracks: %w", err)
	}
	var (
		where []string
		args  []any
	)
	if match := ftsQuery(q.Text); match != "" {
		like := "%" + likeEscape(strings.TrimSpace(q.Text)) + "%"
		where = append(where, `(t.seq IN (SELECT rowid FROM tracks_fts WHERE tracks_fts MATCH ?)
			OR t.notes LIKE ? ESCAPE '\'
			OR EXISTS (SELECT 1 FROM track_moods m WHERE m.track_id = t.id AND m.mood LIKE ? ESCAPE '\'))`)
		args = append(args, match, like, like)
	}
	if q.Instrumental != "" {
		where = append(where, "t.instrumental = ?")
		args = append(args, string(q.Instrumental))
	}
	if q.Intensity != 0 {
		where = append(where, "t.intensity = ?")
		args = append(args, q.Intensity)
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM tracks t`+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count tracks: %w", err)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	rows, err := s.db.QueryContext(ctx, selectTracks+cond+order+` LIMIT ? OFFSET ?`, append(args, limit, max(q.Offset, 0))...)
	if err != nil {
		return nil, 0, fmt.Errorf("list tracks: %w", err)
	}
	defer rows.Close()
	var tracks []media.Track
	for rows.Next() {
		t, err := scanTrack(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("list tracks: %w", err)
		}
		tracks = append(tracks, t)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("list tracks: %w", err)
	}
	return tracks, total, nil
}

// likeEscape escapes LIKE's wildcards (and the escape character) in s.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// Delete removes the track with content id: its row, its files' rows, its
// moods and its loudness analysis. It returns the paths of the files that
// held it, for the caller to remove those it manages; the store never
// touches the disk. An unknown id is an error wrapping media.ErrNotFound.
func (s *Store) Delete(ctx context.Context, id string) (paths []string, err error) {
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT path FROM files WHERE track_id = ? ORDER BY path`, id)
		if err != nil {
			return err
		}
		for rows.Next() {
			var p string
			if err := rows.Scan(&p); err != nil {
				rows.Close()
				return err
			}
			paths = append(paths, p)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		// The files, moods and loudness rows go with it (ON DELETE CASCADE).
		res, err := tx.ExecContext(ctx, `DELETE FROM tracks WHERE id = ?`, id)
		if err != nil {
			return err
		}
		return mustAffect(res, "delete")
	})
	if err != nil {
		return nil, fmt.Errorf("delete track %s: %w", id, err)
	}
	return paths, nil
}
