package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// SchemaTooNewError reports a database whose schema, for one owner, was
// written by a newer attune than this one: opening it could corrupt data that
// this build does not understand, so it is refused.
type SchemaTooNewError struct {
	Path    string // the database file
	Owner   string // the package whose tables are too new
	Version int    // the version found in the database
	Known   int    // the newest version this build knows
}

func (e *SchemaTooNewError) Error() string {
	return fmt.Sprintf("database %s has schema version %d, this attune knows up to %d: upgrade attune",
		e.Path, e.Version, e.Known)
}

// migration is one versioned SQL script.
type migration struct {
	version int
	name    string
	sql     string
}

// Migrate brings owner's tables in db up to date with the scripts in fsys.
//
// Each package owns its tables in the one attune database and keeps its own
// scripts, named NNNN_description.sql (0001_library.sql, 0002_...), numbered
// from 1 without gaps. Applied versions are recorded per owner in the
// schema_migrations table. Each script runs in its own transaction together
// with its version bump, so a failed script leaves the previous version
// intact. A database holding a higher version than the newest script is
// refused with a *SchemaTooNewError before anything is changed.
//
// db should come from OpenDB: the migration transactions rely on
// BEGIN IMMEDIATE so that two processes opening the database at once apply
// each script exactly once.
func Migrate(ctx context.Context, db *sql.DB, owner string, fsys fs.FS) error {
	if owner == "" {
		return errors.New("migrate: empty owner")
	}
	migs, err := loadMigrations(fsys)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", owner, err)
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		owner   TEXT PRIMARY KEY,
		version INTEGER NOT NULL
	) STRICT`); err != nil {
		return fmt.Errorf("migrate %s: create schema_migrations: %w", owner, err)
	}
	known := len(migs)

	// Refuse a newer database before touching it.
	have, err := schemaVersion(ctx, db, owner)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", owner, err)
	}
	if have > known {
		return tooNew(ctx, db, owner, have, known)
	}
	for _, m := range migs[have:] {
		if err := apply(ctx, db, owner, m, known); err != nil {
			return err
		}
	}
	return nil
}

// apply runs one migration in its own transaction, unless another process
// applied it first.
func apply(ctx context.Context, db *sql.DB, owner string, m migration, known int) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate %s to version %d: begin: %w", owner, m.version, err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit

	// Re-read inside the (immediate) transaction: another process may have
	// migrated between our first look and now.
	have, err := schemaVersion(ctx, tx, owner)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", owner, err)
	}
	switch {
	case have > known:
		return tooNew(ctx, db, owner, have, known)
	case have >= m.version:
		return nil
	case have != m.version-1:
		return fmt.Errorf("migrate %s: database at version %d, cannot apply %s", owner, have, m.name)
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return fmt.Errorf("migrate %s: apply %s: %w", owner, m.name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (owner, version) VALUES (?, ?)
		ON CONFLICT (owner) DO UPDATE SET version = excluded.version`, owner, m.version); err != nil {
		return fmt.Errorf("migrate %s: record version %d: %w", owner, m.version, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate %s: commit %s: %w", owner, m.name, err)
	}
	return nil
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// schemaVersion returns owner's applied version, 0 if none.
func schemaVersion(ctx context.Context, q querier, owner string) (int, error) {
	var v int
	err := q.QueryRowContext(ctx, `SELECT version FROM schema_migrations WHERE owner = ?`, owner).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}

func tooNew(ctx context.Context, db *sql.DB, owner string, have, known int) error {
	return &SchemaTooNewError{Path: dbPath(ctx, db), Owner: owner, Version: have, Known: known}
}

// dbPath names the main database file for error messages.
func dbPath(ctx context.Context, db *sql.DB) string {
	var seq int
	var name, file string
	if err := db.QueryRowContext(ctx, `PRAGMA database_list`).Scan(&seq, &name, &file); err != nil || file == "" {
		return "(unknown path)"
	}
	return file
}

// loadMigrations reads the *.sql files at the root of fsys, sorted by
// version, and checks that they are numbered 1, 2, 3... without gaps.
func loadMigrations(fsys fs.FS) ([]migration, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var migs []migration
	for _, e := range entries {
		if e.IsDir() || path.Ext(e.Name()) != ".sql" {
			continue
		}
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v < 1 {
			return nil, fmt.Errorf("migration %s: name must be NNNN_description.sql", e.Name())
		}
		b, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, fmt.Errorf("read migration: %w", err)
		}
		migs = append(migs, migration{version: v, name: e.Name(), sql: string(b)})
	}
	sort.Slice(migs, func(i, j int) bool { return migs[i].version < migs[j].version })
	for i, m := range migs {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: expected version %d (versions start at 1, without gaps or repeats)", m.name, i+1)
		}
	}
	if len(migs) == 0 {
		return nil, errors.New("no migrations (*.sql) found")
	}
	return migs, nil
}
