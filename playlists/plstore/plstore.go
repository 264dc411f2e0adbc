// Package plstore keeps playlists in the one attune database, beside the
// media library whose tracks they name.
package plstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"attune/media/store"
	"attune/playlists"
)

// Owner is the name under which the playlists' migrations are recorded.
const Owner = "playlists"

//go:embed migrations/*.sql
var migrationFiles embed.FS

// ErrNotFound: no playlist of that name.
var ErrNotFound = errors.New("no such playlist")

// Store is the playlists in an SQLite database. It is safe for concurrent
// use.
type Store struct {
	db *sql.DB
}

// Open brings the playlists' tables in db up to date and returns the store.
// db must come from store.OpenDB and hold the media library's tables (open
// the library with store.Open first): reads join the tracks table to report
// dangling entries and durations. Closing db is the caller's job.
func Open(ctx context.Context, db *sql.DB) (*Store, error) {
	migs, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("open playlists: %w", err)
	}
	if err := store.Migrate(ctx, db, Owner, migs); err != nil {
		return nil, fmt.Errorf("open playlists: %w", err)
	}
	return &Store{db: db}, nil
}

// Save stores pl under its name, replacing a playlist of the same name
// whole, in one transaction: readers see the old playlist or the new one,
// never a mix. pl must be valid (playlists.Playlist.Validate). replaced
// tells whether a playlist of that name existed.
func (s *Store) Save(ctx context.Context, pl playlists.Playlist) (replaced bool, err error) {
	if err := pl.Validate(); err != nil {
		return false, fmt.Errorf("save playlist: %w", err)
	}
	now := time.Now().UnixNano()
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM playlists WHERE name = ?`, pl.Name).Scan(&id)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			err = tx.QueryRowContext(ctx, `INSERT INTO playlists
				(name, description, author, profile, transition, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
				pl.Name, pl.Description, pl.Author, pl.Profile, int64(pl.Transition), now, now).Scan(&id)
			if err != nil {
				return fmt.Errorf("insert: %w", err)
			}
		case err != nil:
			return fmt.Errorf("look up: %w", err)
		default:
			replaced = true
			if _, err := tx.ExecContext(ctx, `UPDATE playlists SET description = ?, author = ?, profile = ?,
				transition = ?, updated_at = ? WHERE id = ?`,
				pl.Description, pl.Author, pl.Profile, int64(pl.Transition), now, id); err != nil {
				return fmt.Errorf("update: %w", err)
			}
			// The entries go with their phases (ON DELETE CASCADE).
			if _, err := tx.ExecContext(ctx, `DELETE FROM playlist_phases WHERE playlist_id = ?`, id); err != nil {
				return fmt.Errorf("clear phases: %w", err)
			}
		}
		return writePhases(ctx, tx, id, pl.Phases)
	})
	if err != nil {
		return false, fmt.Errorf("save playlist %q: %w", pl.Name, err)
	}
	return replaced, nil
}

func writePhases(ctx context.Context, tx *sql.Tx, id int64, phases []playlists.Phase) error {
	phase, err := tx.PrepareContext(ctx, `INSERT INTO playlist_phases
		(playlist_id, pos, role, crossfade, level_db, fill) VALUES (?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer phase.Close()
	entry, err := tx.PrepareContext(ctx, `INSERT INTO playlist_entries
		(playlist_id, phase_pos, pos, track_id, must_play) VALUES (?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer entry.Close()
	for i, p := range phases {
		if _, err := phase.ExecContext(ctx, id, i, string(p.Role), int64(p.Crossfade), p.LevelDB, string(p.Fill)); err != nil {
			return fmt.Errorf("phase %d (%s): %w", i+1, p.Role, err)
		}
		for j, e := range p.Tracks {
			if _, err := entry.ExecContext(ctx, id, i, j, e.Track, e.MustPlay); err != nil {
				return fmt.Errorf("phase %d (%s), track %d: %w", i+1, p.Role, j+1, err)
			}
		}
	}
	return nil
}

// Stored is a playlist as the store holds it.
type Stored struct {
	playlists.Playlist
	// Dangling lists the entries whose track is no longer in the library
	// (deleted since the playlist was saved), in playlist order. They stay
	// in the playlist, so that nothing is lost silently; the planner
	// cannot play them.
	Dangling []Dangling
	Created  time.Time
	Updated  time.Time
}

// Dangling is an entry whose track the library does not hold.
type Dangling struct {
	Phase int // 1-based
	Role  playlists.Role
	Index int // 1-based, within the phase
	Track string
}

func (d Dangling) String() string {
	return fmt.Sprintf("phase %d (%s), track %d: %s is not in the library", d.Phase, d.Role, d.Index, d.Track)
}

// Get returns the playlist named name, or an error wrapping ErrNotFound.
func (s *Store) Get(ctx context.Context, name string) (Stored, error) {
	var out Stored
	// One read transaction, so that a concurrent Save is seen whole or not
	// at all.
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var (
			id               int64
			transition       int64
			created, updated int64
		)
		pl := &out.Playlist
		err := tx.QueryRowContext(ctx, `SELECT id, name, description, author, profile, transition, created_at, updated_at
			FROM playlists WHERE name = ?`, name).
			Scan(&id, &pl.Name, &pl.Description, &pl.Author, &pl.Profile, &transition, &created, &updated)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		pl.Transition = time.Duration(transition)
		out.Created, out.Updated = time.Unix(0, created).UTC(), time.Unix(0, updated).UTC()

		rows, err := tx.QueryContext(ctx, `SELECT role, crossfade, level_db, fill FROM playlist_phases
			WHERE playlist_id = ? ORDER BY pos`, id)
		if err != nil {
			return err
		}
		for rows.Next() {
			var p playlists.Phase
			var role, fill string
			var xf int64
			if err := rows.Scan(&role, &xf, &p.LevelDB, &fill); err != nil {
				rows.Close()
				return err
			}
			p.Role, p.Crossfade, p.Fill = playlists.Role(role), time.Duration(xf), playlists.Fill(fill)
			pl.Phases = append(pl.Phases, p)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}

		rows, err = tx.QueryContext(ctx, `SELECT e.phase_pos, e.track_id, e.must_play, t.id IS NULL
			FROM playlist_entries e LEFT JOIN tracks t ON t.id = e.track_id
			WHERE e.playlist_id = ? ORDER BY e.phase_pos, e.pos`, id)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				phase    int
				e        playlists.Entry
				dangling bool
			)
			if err := rows.Scan(&phase, &e.Track, &e.MustPlay, &dangling); err != nil {
				return err
			}
			if phase < 0 || phase >= len(pl.Phases) {
				return fmt.Errorf("entry of phase %d, which does not exist", phase+1)
			}
			p := &pl.Phases[phase]
			p.Tracks = append(p.Tracks, e)
			if dangling {
				out.Dangling = append(out.Dangling, Dangling{Phase: phase + 1, Role: p.Role, Index: len(p.Tracks), Track: e.Track})
			}
		}
		return rows.Err()
	})
	if err != nil {
		return Stored{}, fmt.Errorf("get playlist %q: %w", name, err)
	}
	return out, nil
}

// Summary describes a stored playlist for listings.
type Summary struct {
	Name    string
	Author  string
	Profile string
	Phases  int
	Tracks  int
	// Duration is the total length of the tracks the library holds (each
	// once per entry, without crossfades).
	Duration time.Duration
	Dangling int // entries whose track is not in the library
	Updated  time.Time
}

// List returns every playlist, by name.
func (s *Store) List(ctx context.Context) ([]Summary, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT p.name, p.author, p.profile, p.updated_at,
		(SELECT count(*) FROM playlist_phases WHERE playlist_id = p.id),
		count(e.track_id),
		coalesce(sum(CASE WHEN t.sample_rate > 0 THEN t.samples * 1000000000 / t.sample_rate END), 0),
		count(e.track_id) - count(t.id)
		FROM playlists p
		LEFT JOIN playlist_entries e ON e.playlist_id = p.id
		LEFT JOIN tracks t ON t.id = e.track_id
		GROUP BY p.id ORDER BY p.name COLLATE NOCASE, p.name`)
	if err != nil {
		return nil, fmt.Errorf("list playlists: %w", err)
	}
	defer rows.Close()
	var out []Summary
	for rows.Next() {
		var (
			sum     Summary
			updated int64
			dur     int64
		)
		if err := rows.Scan(&sum.Name, &sum.Author, &sum.Profile, &updated, &sum.Phases, &sum.Tracks, &dur, &sum.Dangling); err != nil {
			return nil, fmt.Errorf("list playlists: %w", err)
		}
		sum.Duration, sum.Updated = time.Duration(dur), time.Unix(0, updated).UTC()
		out = append(out, sum)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list playlists: %w", err)
	}
	return out, nil
}

// Delete removes the playlist named name, or returns an error wrapping
// ErrNotFound.
func (s *Store) Delete(ctx context.Context, name string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM playlists WHERE name = ?`, name)
	if err != nil {
		return fmt.Errorf("delete playlist %q: %w", name, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("delete playlist %q: %w", name, err)
	}
	if n == 0 {
		return fmt.Errorf("delete playlist %q: %w", name, ErrNotFound)
	}
	return nil
}

// inTx runs fn in a transaction and commits it if fn returns nil.
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

// Using returns the names of the playlists that name track id, by name.
func (s *Store) Using(ctx context.Context, id string) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT p.name FROM playlists p
		JOIN playlist_entries e ON e.playlist_id = p.id
		WHERE e.track_id = ? ORDER BY p.name COLLATE NOCASE, p.name`, id)
	if err != nil {
		return nil, fmt.Errorf("find the playlists of track %s: %w", id, err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("find the playlists of track %s: %w", id, err)
		}
		names = append(names, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find the playlists of track %s: %w", id, err)
	}
	return names, nil
}
