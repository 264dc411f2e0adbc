package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"attune/media"
)

// Files returns every known file, ordered by path. A scan compares them with
// what is on disk (ModTime to the nanosecond, in UTC).
func (s *Store) Files(ctx context.Context) ([]media.File, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT path, track_id, size, mtime FROM files ORDER BY path`)
	if err != nil {
		return nil, fmt.Errorf("list files: %w", err)
	}
	defer rows.Close()
	var files []media.File
	for rows.Next() {
		var f media.File
		var mtime sql.NullInt64
		if err := rows.Scan(&f.Path, &f.TrackID, &f.Size, &mtime); err != nil {
			return nil, fmt.Errorf("list files: %w", err)
		}
		f.ModTime = fromNanos(mtime)
		files = append(files, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list files: %w", err)
	}
	return files, nil
}

// PutFile inserts or updates the file at f.Path. Its track must already be
// in the library; otherwise the error wraps media.ErrNotFound.
func (s *Store) PutFile(ctx context.Context, f media.File) error {
	if f.Path == "" {
		return errors.New("put file: empty path")
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM tracks WHERE id = ?`, f.TrackID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("track %s: %w", f.TrackID, media.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("look up track %s: %w", f.TrackID, err)
		}
		return upsertFile(ctx, tx, s.upsertFile, f)
	})
	if err != nil {
		return fmt.Errorf("put file %s: %w", f.Path, err)
	}
	return nil
}

// RemoveFile forgets the file at path. Its track stays in the library, with
// its curation, even when it has no file left. A path that is not known
// gives an error wrapping media.ErrNotFound.
func (s *Store) RemoveFile(ctx context.Context, path string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM files WHERE path = ?`, path)
	if err != nil {
		return fmt.Errorf("remove file %s: %w", path, err)
	}
	return mustAffect(res, fmt.Sprintf("remove file %s", path))
}

const upsertFileSQL = `INSERT INTO files (path, track_id, size, mtime) VALUES (?, ?, ?, ?)
	ON CONFLICT (path) DO UPDATE SET
		track_id = excluded.track_id, size = excluded.size, mtime = excluded.mtime`

func upsertFile(ctx context.Context, tx *sql.Tx, stmt *sql.Stmt, f media.File) error {
	var err error
	if stmt != nil {
		_, err = tx.StmtContext(ctx, stmt).ExecContext(ctx, f.Path, f.TrackID, f.Size, toNanos(f.ModTime))
	} else {
		_, err = tx.ExecContext(ctx, upsertFileSQL, f.Path, f.TrackID, f.Size, toNanos(f.ModTime))
	}
	if err != nil {
		return fmt.Errorf("upsert file: %w", err)
	}
	return nil
}
