// Package store persists attune's media library (tracks, their files,
// curation and a full-text search index) in the one embedded SQLite database,
// and runs the schema migrations of every package that keeps tables there.
//
// The SQL lives here; the domain types in package media know none of it.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"

	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" driver
)

// Owner is the name under which the library's migrations are recorded in
// schema_migrations.
const Owner = "media"

//go:embed migrations/*.sql
var migrationFiles embed.FS

// busyTimeoutMS is how long a connection waits for another writer before it
// gives up with SQLITE_BUSY.
const busyTimeoutMS = 10000

// Store is the media library in an SQLite database. It is safe for
// concurrent use.
type Store struct {
	db *sql.DB
	// Statements on the import path, prepared once: compiling them (with
	// the search index's triggers) cost more than running them.
	insertTrack, upsertFile, selectTrack *sql.Stmt
}

// Open opens (creating it and its parent directory if missing) the attune
// database at path and brings the library's tables up to date. A database
// written by a newer attune is refused with a *SchemaTooNewError.
func Open(ctx context.Context, path string) (*Store, error) {
	db, err := OpenDB(ctx, path)
	if err != nil {
		return nil, err
	}
	migs, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open library %s: %w", path, err)
	}
	if err := Migrate(ctx, db, Owner, migs); err != nil {
		db.Close()
		var tooNew *SchemaTooNewError
		if errors.As(err, &tooNew) {
			tooNew.Path = path // name the file as the user gave it
			return nil, tooNew
		}
		return nil, fmt.Errorf("open library %s: %w", path, err)
	}
	s := &Store{db: db}
	if err := s.prepare(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open library %s: %w", path, err)
	}
	return s, nil
}

func (s *Store) prepare(ctx context.Context) error {
	for _, st := range []struct {
		stmt **sql.Stmt
		sql  string
	}{
		{&s.insertTrack, insertTrackSQL()},
		{&s.upsertFile, upsertFileSQL},
		{&s.selectTrack, selectTracks + ` WHERE t.id = ?`},
	} {
		var err error
		if *st.stmt, err = s.db.PrepareContext(ctx, st.sql); err != nil {
			return fmt.Errorf("prepare: %w", err)
		}
	}
	return nil
}

// OpenDB opens the attune database at path with the settings every package
// relies on: WAL journal, foreign keys, a busy timeout, and BEGIN IMMEDIATE
// for every transaction. Without the last, two transactions that read and
// then write fail with SQLITE_BUSY at once instead of waiting for each other
// (a deferred transaction cannot upgrade its read lock while another writer
// holds the database).
//
// It creates the file and its parent directory (mode 0700) if missing, and
// runs no migrations: callers run Migrate for their own tables.
func OpenDB(ctx context.Context, path string) (*sql.DB, error) {
	if path == "" {
		return nil, errors.New("open database: empty path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return nil, fmt.Errorf("open database %s: create directory: %w", path, err)
	}
	db, err := sql.Open("sqlite", dsn(abs))
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	// Connect now so that a bad path or a file that is not a database fails
	// here, with the path in the message, rather than on first use.
	var mode string
	if err := db.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil {
		db.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	if mode != "wal" {
		db.Close()
		return nil, fmt.Errorf("open database %s: journal mode is %q, want wal", path, mode)
	}
	return db, nil
}

// dsn builds the driver's URI for an absolute path. The path is escaped, so
// names containing '?', '#' or '%' open the right file.
func dsn(abs string) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeoutMS))
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: q.Encode()}
	// url.URL writes "file:///abs"; SQLite reads the empty authority as
	// localhost, which it accepts.
	return u.String()
}

// Close closes the database.
func (s *Store) Close() error {
	for _, st := range []*sql.Stmt{s.insertTrack, s.upsertFile, s.selectTrack} {
		st.Close()
	}
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close library: %w", err)
	}
	return nil
}

// DB returns the underlying database so that other packages can keep their
// own tables in the same file (see Migrate). They must not touch the
// library's tables.
func (s *Store) DB() *sql.DB { return s.db }
