package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"attune/media"
)

// ErrInvalidCuration reports a curation that the library refuses to store:
// an unknown instrumental value or an intensity outside 0..5.
var ErrInvalidCuration = errors.New("invalid curation")

// selectTracks reads every column of a media.Track; the file columns come
// from the track's first file in path order, NULL when it has none.
const selectTracks = `SELECT t.id,
	t.format, t.codec, t.sample_rate, t.channels, t.bit_depth, t.bit_rate,
	t.samples, t.encoder_delay, t.padding,
	t.title, t.artist, t.album, t.album_artist, t.genre, t.comment,
	t.year, t.track_no, t.track_total, t.disc_no, t.disc_total, t.has_picture,
	t.rg_track_gain, t.rg_track_peak, t.rg_album_gain, t.rg_album_peak,
	t.instrumental, t.intensity, t.notes, t.added_at,
	(SELECT json_group_array(m.mood ORDER BY m.pos) FROM track_moods m WHERE m.track_id = t.id),
	f.path, f.size, f.mtime,
	l.integrated, l.lra, l.sample_peak, l.true_peak, l.silent, l.version, l.analyzed_at, l.error
FROM tracks t
LEFT JOIN files f ON f.path = (SELECT min(path) FROM files WHERE track_id = t.id)
LEFT JOIN track_loudness l ON l.track_id = t.id`

// libraryOrder is the order in which listings show tracks.
const libraryOrder = ` ORDER BY t.artist COLLATE NOCASE, t.album COLLATE NOCASE,
	t.disc_no, t.track_no, t.title COLLATE NOCASE, t.id`

// infoColumns are the tracks columns that hold a media.Info, in the order
// infoArgs returns their values.
const infoColumns = `format, codec, sample_rate, channels, bit_depth, bit_rate,
	samples, encoder_delay, padding,
	title, artist, album, album_artist, genre, comment,
	year, track_no, track_total, disc_no, disc_total, has_picture,
	rg_track_gain, rg_track_peak, rg_album_gain, rg_album_peak`

func infoArgs(i media.Info) []any {
	s, g := i.Stream, i.Tags
	return []any{
		string(s.Format), s.Codec, s.SampleRate, s.Channels, s.BitDepth, s.BitRate,
		s.Samples, s.EncoderDelay, s.Padding,
		g.Title, g.Artist, g.Album, g.AlbumArtist, g.Genre, g.Comment,
		g.Year, g.Track, g.TrackTotal, g.Disc, g.DiscTotal, g.HasPicture,
		g.ReplayGain.TrackGain, g.ReplayGain.TrackPeak, g.ReplayGain.AlbumGain, g.ReplayGain.AlbumPeak,
	}
}

type scanner interface{ Scan(dest ...any) error }

// scanTrack reads one row of selectTracks.
func scanTrack(row scanner) (media.Track, error) {
	var (
		t                    media.Track
		format, instrumental string
		added                int64
		moods, path          sql.NullString
		size, mtime          sql.NullInt64
		lc                   loudnessColumns
	)
	s, g, rg, cur := &t.Info.Stream, &t.Info.Tags, &t.Info.Tags.ReplayGain, &t.Curation
	err := row.Scan(&t.ID,
		&format, &s.Codec, &s.SampleRate, &s.Channels, &s.BitDepth, &s.BitRate,
		&s.Samples, &s.EncoderDelay, &s.Padding,
		&g.Title, &g.Artist, &g.Album, &g.AlbumArtist, &g.Genre, &g.Comment,
		&g.Year, &g.Track, &g.TrackTotal, &g.Disc, &g.DiscTotal, &g.HasPicture,
		&rg.TrackGain, &rg.TrackPeak, &rg.AlbumGain, &rg.AlbumPeak,
		&instrumental, &cur.Intensity, &cur.Notes, &added,
		&moods, &path, &size, &mtime,
		&lc.integrated, &lc.lra, &lc.samplePeak, &lc.truePeak, &lc.silent, &lc.version, &lc.analyzedAt, &lc.err)
	if err != nil {
		return media.Track{}, err
	}
	s.Format = media.Format(format)
	cur.Instrumental = media.Instrumental(instrumental)
	if moods.Valid && moods.String != "[]" {
		if err := json.Unmarshal([]byte(moods.String), &cur.Moods); err != nil {
			return media.Track{}, fmt.Errorf("track %s: decode moods: %w", t.ID, err)
		}
	}
	t.AddedAt = fromNanos(sql.NullInt64{Int64: added, Valid: true})
	t.Path, t.Size, t.ModTime = path.String, size.Int64, fromNanos(mtime)
	t.Loudness, t.LoudnessError = lc.loudness(), lc.err.String
	return t, nil
}

// Track returns the track with the given content id, or an error wrapping
// media.ErrNotFound.
func (s *Store) Track(ctx context.Context, id string) (media.Track, error) {
	t, err := scanTrack(s.selectTrack.QueryRowContext(ctx, id))
	if errors.Is(err, sql.ErrNoRows) {
		return media.Track{}, fmt.Errorf("track %s: %w", id, media.ErrNotFound)
	}
	if err != nil {
		return media.Track{}, fmt.Errorf("read track %s: %w", id, err)
	}
	return t, nil
}

// insertTrackSQL inserts a track unless its id is known: the id, the info
// columns, then instrumental, intensity, notes and added_at.
func insertTrackSQL() string {
	return `INSERT INTO tracks (id, ` + infoColumns + `,
	instrumental, intensity, notes, added_at)
	VALUES (?` + strings.Repeat(", ?", 1+strings.Count(infoColumns, ",")+4) + `)
	ON CONFLICT (id) DO NOTHING`
}

// AddTrack records that file f holds track t, in one transaction: it inserts
// the track if its id is new (added is then true; t.Curation is stored with
// it and t.AddedAt defaults to now) and inserts or updates the file row. A
// known track keeps its info and curation: use UpdateInfo and SetCuration to
// change them. f.TrackID may be empty; otherwise it must equal t.ID.
func (s *Store) AddTrack(ctx context.Context, t media.Track, f media.File) (added bool, err error) {
	got, err := s.AddTracks(ctx, []media.TrackFile{{Track: t, File: f}})
	if err != nil {
		return false, err
	}
	return got[0], nil
}

// AddTracks is AddTrack for many tracks in one transaction: all land or none
// do. A library scan writes in batches like this, since a commit costs far
// more than a row. added[i] tells whether adds[i].Track was new.
func (s *Store) AddTracks(ctx context.Context, adds []media.TrackFile) (added []bool, err error) {
	type row struct {
		args  []any
		moods []string
		file  media.File
	}
	rows := make([]row, len(adds))
	for i, a := range adds {
		t, f := a.Track, a.File
		if t.ID == "" {
			return nil, errors.New("add track: empty id")
		}
		if f.TrackID == "" {
			f.TrackID = t.ID
		}
		if f.TrackID != t.ID {
			return nil, fmt.Errorf("add track %s: file %s belongs to track %s", t.ID, f.Path, f.TrackID)
		}
		if f.Path == "" {
			return nil, fmt.Errorf("add track %s: empty file path", t.ID)
		}
		cur, err := normalizeCuration(t.Curation)
		if err != nil {
			return nil, fmt.Errorf("add track %s: %w", t.ID, err)
		}
		if t.AddedAt.IsZero() {
			t.AddedAt = time.Now()
		}
		args := append([]any{t.ID}, infoArgs(t.Info)...)
		args = append(args, string(cur.Instrumental), cur.Intensity, cur.Notes, toNanos(t.AddedAt))
		rows[i] = row{args: args, moods: cur.Moods, file: f}
	}

	added = make([]bool, len(adds))
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		insert := tx.StmtContext(ctx, s.insertTrack)
		for i, r := range rows {
			res, err := insert.ExecContext(ctx, r.args...)
			if err != nil {
				return fmt.Errorf("insert track %s: %w", r.file.TrackID, err)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return fmt.Errorf("insert track %s: %w", r.file.TrackID, err)
			}
			if added[i] = n == 1; added[i] {
				if err := writeMoods(ctx, tx, r.file.TrackID, r.moods); err != nil {
					return err
				}
			}
			if err := upsertFile(ctx, tx, s.upsertFile, r.file); err != nil {
				return fmt.Errorf("%s: %w", r.file.Path, err)
			}
		}
		return nil
	})
	if err != nil {
		if len(adds) == 1 {
			return nil, fmt.Errorf("add track %s (%s): %w", adds[0].Track.ID, adds[0].File.Path, err)
		}
		return nil, fmt.Errorf("add %d tracks: %w", len(adds), err)
	}
	return added, nil
}

// UpdateInfo replaces the stream parameters and tags of a known track (after
// a re-probe); the search index follows. Curation is untouched.
func (s *Store) UpdateInfo(ctx context.Context, id string, info media.Info) error {
	// "format, codec, ..." becomes "format = ?, codec = ?, ...".
	sets := strings.ReplaceAll(strings.Join(strings.Fields(infoColumns), " "), ",", " = ?,") + " = ?"
	args := append(infoArgs(info), id)
	res, err := s.db.ExecContext(ctx, `UPDATE tracks SET `+sets+` WHERE id = ?`, args...)
	if err != nil {
		return fmt.Errorf("update info of track %s: %w", id, err)
	}
	return mustAffect(res, fmt.Sprintf("update info of track %s", id))
}

// SetCuration replaces a track's curation. Moods are trimmed, empty ones
// dropped and duplicates (ignoring case) kept once, in the order given; an
// empty Instrumental means unknown. An intensity outside 0..5 or an unknown
// instrumental value is refused with ErrInvalidCuration.
func (s *Store) SetCuration(ctx context.Context, id string, c media.Curation) error {
	cur, err := normalizeCuration(c)
	if err != nil {
		return fmt.Errorf("set curation of track %s: %w", id, err)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE tracks SET instrumental = ?, intensity = ?, notes = ? WHERE id = ?`,
			string(cur.Instrumental), cur.Intensity, cur.Notes, id)
		if err != nil {
			return err
		}
		if err := mustAffect(res, "update"); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM track_moods WHERE track_id = ?`, id); err != nil {
			return fmt.Errorf("clear moods: %w", err)
		}
		return writeMoods(ctx, tx, id, cur.Moods)
	})
	if err != nil {
		return fmt.Errorf("set curation of track %s: %w", id, err)
	}
	return nil
}

// Counts returns how many tracks and files the library holds.
func (s *Store) Counts(ctx context.Context) (tracks, files int, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM tracks), (SELECT count(*) FROM files)`).
		Scan(&tracks, &files)
	if err != nil {
		return 0, 0, fmt.Errorf("count library: %w", err)
	}
	return tracks, files, nil
}

func writeMoods(ctx context.Context, tx *sql.Tx, id string, moods []string) error {
	for i, m := range moods {
		if _, err := tx.ExecContext(ctx, `INSERT INTO track_moods (track_id, pos, mood) VALUES (?, ?, ?)`,
			id, i, m); err != nil {
			return fmt.Errorf("insert mood %q: %w", m, err)
		}
	}
	return nil
}

// normalizeCuration validates c and returns it in the form the store keeps.
func normalizeCuration(c media.Curation) (media.Curation, error) {
	switch c.Instrumental {
	case "":
		c.Instrumental = media.InstrumentalUnknown
	case media.InstrumentalUnknown, media.InstrumentalYes, media.InstrumentalNo:
	default:
		return c, fmt.Errorf("%w: instrumental %q, want %q, %q or %q", ErrInvalidCuration, c.Instrumental,
			media.InstrumentalUnknown, media.InstrumentalYes, media.InstrumentalNo)
	}
	if c.Intensity < 0 || c.Intensity > 5 {
		return c, fmt.Errorf("%w: intensity %d, want 1 to 5 or 0 for unset", ErrInvalidCuration, c.Intensity)
	}
	var moods []string
	seen := make(map[string]bool, len(c.Moods))
	for _, m := range c.Moods {
		m = strings.TrimSpace(m)
		key := strings.ToLower(m)
		if m == "" || seen[key] {
			continue
		}
		seen[key] = true
		moods = append(moods, m)
	}
	c.Moods = moods
	return c, nil
}

// inTx runs fn in a transaction (BEGIN IMMEDIATE, see OpenDB) and commits
// it if fn returns nil.
func (s *Store) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback() //nolint:errcheck // the first error is the one to report
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// mustAffect turns an update or delete that matched no row into
// media.ErrNotFound.
func mustAffect(res sql.Result, what string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", what, media.ErrNotFound)
	}
	return nil
}

// toNanos stores a time as UTC nanoseconds since the epoch; the zero time is
// NULL.
func toNanos(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixNano()
}

func fromNanos(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.Unix(0, n.Int64).UTC()
}
