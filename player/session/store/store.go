// Package store keeps sessions and their logs in attune's one SQLite
// database, in tables owned by the session package. Every write is one
// transaction: a session's record and the log entry that explains the change
// land together or not at all.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"time"

	mstore "attune/media/store"
	"attune/player/session"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Owner is the name under which the sessions' migrations are recorded.
const Owner = "sessions"

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Errors callers tell apart.
var (
	ErrNotFound = errors.New("no such session")
	// ErrRoomBusy: the room already has a session that has not ended.
	ErrRoomBusy = errors.New("the room already has a session")
)

// Store is the sessions' persistence. It is safe for concurrent use.
type Store struct {
	db *sql.DB
}

// Open brings the sessions' tables in db up to date. db comes from
// media/store.OpenDB (the one attune database); Store does not close it.
func Open(ctx context.Context, db *sql.DB) (*Store, error) {
	migs, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("open sessions: %w", err)
	}
	if err := mstore.Migrate(ctx, db, Owner, migs); err != nil {
		return nil, fmt.Errorf("open sessions: %w", err)
	}
	return &Store{db: db}, nil
}

// Create stores a new session and its first log entry, and returns its id.
// It fails with ErrRoomBusy while the room has a session that has not ended.
func (s *Store) Create(ctx context.Context, r session.Record, first session.Entry) (int64, error) {
	row, err := toRow(r)
	if err != nil {
		return 0, fmt.Errorf("create session in %q: %w", r.Room, err)
	}
	var id int64
	err = s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO sessions
			(room, playlist, profile, status, created_ns, dosed_ns, ended_ns, boundaries,
			 paused, paused_at_ns, quiet, volume_db, plan)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, row.args()...)
		if err != nil {
			var se *sqlite.Error
			if errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE {
				return ErrRoomBusy // sessions_live_room
			}
			return err
		}
		if id, err = res.LastInsertId(); err != nil {
			return err
		}
		return appendEntry(ctx, tx, id, first)
	})
	if err != nil {
		return 0, fmt.Errorf("create session in %q: %w", r.Room, err)
	}
	return id, nil
}

// Save replaces session r.ID's record and appends e to its log, together.
func (s *Store) Save(ctx context.Context, r session.Record, e session.Entry) error {
	row, err := toRow(r)
	if err != nil {
		return fmt.Errorf("save session %d: %w", r.ID, err)
	}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE sessions SET
			room = ?, playlist = ?, profile = ?, status = ?, created_ns = ?, dosed_ns = ?, ended_ns = ?,
			boundaries = ?, paused = ?, paused_at_ns = ?, quiet = ?, volume_db = ?, plan = ?
			WHERE id = ?`, append(row.args(), r.ID)...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return ErrNotFound
		}
		return appendEntry(ctx, tx, r.ID, e)
	})
	if err != nil {
		return fmt.Errorf("save session %d: %w", r.ID, err)
	}
	return nil
}

// Log appends e to session id's log without changing its record: for what
// happens rather than what is decided (an item started, a track failed).
func (s *Store) Log(ctx context.Context, id int64, e session.Entry) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM sessions WHERE id = ?`, id).Scan(&one); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return ErrNotFound
			}
			return err
		}
		return appendEntry(ctx, tx, id, e)
	})
	if err != nil {
		return fmt.Errorf("log to session %d: %w", id, err)
	}
	return nil
}

// Get returns session id.
func (s *Store) Get(ctx context.Context, id int64) (session.Record, error) {
	rs, err := s.query(ctx, `WHERE id = ?`, id)
	if err != nil {
		return session.Record{}, fmt.Errorf("get session %d: %w", id, err)
	}
	if len(rs) == 0 {
		return session.Record{}, fmt.Errorf("get session %d: %w", id, ErrNotFound)
	}
	return rs[0], nil
}

// Live returns the sessions that have not ended, oldest first: what a
// restarted daemon must carry on.
func (s *Store) Live(ctx context.Context) ([]session.Record, error) {
	rs, err := s.query(ctx, `WHERE status != 'ended' ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("live sessions: %w", err)
	}
	return rs, nil
}

// List returns the newest sessions first, at most limit (0: all).
func (s *Store) List(ctx context.Context, limit int) ([]session.Record, error) {
	q := `ORDER BY id DESC`
	if limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", limit)
	}
	rs, err := s.query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	return rs, nil
}

// Entries returns session id's log in order.
func (s *Store) Entries(ctx context.Context, id int64) ([]session.Entry, error) {
	if _, err := s.Get(ctx, id); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT seq, wall_ns, clock_ns, dosed, role, device, kind, detail, phase, track
		FROM session_log WHERE session_id = ? ORDER BY seq`, id)
	if err != nil {
		return nil, fmt.Errorf("log of session %d: %w", id, err)
	}
	defer rows.Close()
	var out []session.Entry
	for rows.Next() {
		e := session.Entry{Session: id}
		var wall, clock int64
		if err := rows.Scan(&e.Seq, &wall, &clock, &e.Dosed, &e.Role, &e.Device, &e.Kind, &e.Detail, &e.Phase, &e.Track); err != nil {
			return nil, fmt.Errorf("log of session %d: %w", id, err)
		}
		e.Wall, e.Clock = time.Unix(0, wall).UTC(), time.Duration(clock)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("log of session %d: %w", id, err)
	}
	return out, nil
}

func (s *Store) tx(ctx context.Context, f func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := f(tx); err != nil {
		_ = tx.Rollback() // the error from f is the one to report
		return err
	}
	return tx.Commit()
}

func appendEntry(ctx context.Context, tx *sql.Tx, id int64, e session.Entry) error {
	if e.Kind == "" {
		return errors.New("log entry without a kind")
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO session_log
		(session_id, seq, wall_ns, clock_ns, dosed, role, device, kind, detail, phase, track)
		VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM session_log WHERE session_id = ?), ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id, id, e.Wall.UnixNano(), int64(e.Clock), e.Dosed, e.Role, e.Device, e.Kind, e.Detail, e.Phase, e.Track)
	return err
}

// LastSeq returns the sequence number of session id's newest log entry (0
// when it has none): a caller that hands entries on as they are stored
// numbers them as the log does.
func (s *Store) LastSeq(ctx context.Context, id int64) (int64, error) {
	var n int64
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM session_log WHERE session_id = ?`, id).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("session %d: last log entry: %w", id, err)
	}
	return n, nil
}
