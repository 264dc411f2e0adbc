package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"testing"
	"time"

	"attune/media"
)

// TestStore_ConcurrentReadThenWrite runs transactions that read and then
// write from 16 goroutines. With deferred transactions SQLite fails most of
// them with SQLITE_BUSY at once (the reader cannot upgrade its lock while
// another writer holds it); OpenDB's _txlock=immediate makes them queue.
func TestStore_ConcurrentReadThenWrite(t *testing.T) {
	const goroutines, perGoroutine = 16, 50
	ctx := context.Background()
	s := newStore(t)
	mustAdd(t, s, media.Track{ID: "counter"}, media.File{Path: "/m/counter"})

	var wg sync.WaitGroup
	errs := make(chan error, goroutines*perGoroutine)
	for g := range goroutines {
		wg.Go(func() {
			for i := range perGoroutine {
				errs <- s.inTx(ctx, func(tx *sql.Tx) error {
					// Read, then write what was read plus one: a lost
					// update would show in the final count.
					var year int
					if err := tx.QueryRowContext(ctx, `SELECT year FROM tracks WHERE id = 'counter'`).Scan(&year); err != nil {
						return fmt.Errorf("read: %w", err)
					}
					if _, err := tx.ExecContext(ctx, `UPDATE tracks SET year = ? WHERE id = 'counter'`, year+1); err != nil {
						return fmt.Errorf("write: %w", err)
					}
					return upsertFile(ctx, tx, nil, media.File{
						Path: fmt.Sprintf("/m/%d/%d", g, i), TrackID: "counter", ModTime: time.Now(),
					})
				})
			}
		})
	}
	wg.Wait()
	close(errs)
	var failed int
	for err := range errs {
		if err != nil {
			if failed < 5 {
				t.Errorf("transaction: %v", err)
			}
			failed++
		}
	}
	if failed > 0 {
		t.Fatalf("%d of %d transactions failed, want 0", failed, goroutines*perGoroutine)
	}
	if got, want := mustTrack(t, s, "counter").Info.Tags.Year, goroutines*perGoroutine; got != want {
		t.Errorf("counter = %d, want %d (lost updates)", got, want)
	}
	if _, files, _ := s.Counts(ctx); files != goroutines*perGoroutine+1 {
		t.Errorf("files = %d, want %d", files, goroutines*perGoroutine+1)
	}
}

// TestStore_ConcurrentAPI exercises the public methods from several
// goroutines at once: every call must succeed.
func TestStore_ConcurrentAPI(t *testing.T) {
	const goroutines, perGoroutine = 8, 25
	ctx := context.Background()
	s := newStore(t)
	var wg sync.WaitGroup
	errs := make(chan error, goroutines*perGoroutine*4)
	for g := range goroutines {
		wg.Go(func() {
			for i := range perGoroutine {
				id := fmt.Sprintf("g%di%d", g, i)
				tr := media.Track{ID: id, Info: media.Info{Tags: media.Tags{Title: "Song " + id}}}
				_, err := s.AddTrack(ctx, tr, media.File{Path: "/m/" + id})
				errs <- err
				errs <- s.SetCuration(ctx, id, media.Curation{Intensity: i % 6, Moods: []string{"calm"}})
				_, err = s.Search(ctx, "song", 10)
				errs <- err
				_, err = s.Files(ctx)
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent call: %v", err)
		}
	}
	if tracks, files, _ := s.Counts(ctx); tracks != goroutines*perGoroutine || files != tracks {
		t.Errorf("Counts = %d, %d; want %d each", tracks, files, goroutines*perGoroutine)
	}
}

// seedFiles adds n files spread over n/2 tracks in one transaction.
func seedFiles(tb testing.TB, s *Store, n int) {
	tb.Helper()
	ctx := context.Background()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		addTrack, err := tx.PrepareContext(ctx, `INSERT INTO tracks (id, title, added_at) VALUES (?, ?, ?)`)
		if err != nil {
			return err
		}
		defer addTrack.Close()
		addFile, err := tx.PrepareContext(ctx, `INSERT INTO files (path, track_id, size, mtime) VALUES (?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer addFile.Close()
		for i := range n {
			id := fmt.Sprintf("%016x", i/2)
			if i%2 == 0 {
				if _, err := addTrack.ExecContext(ctx, id, "Track "+id, time.Now().UnixNano()); err != nil {
					return err
				}
			}
			path := fmt.Sprintf("/music/artist %03d/album/%05d.flac", i%300, i)
			if _, err := addFile.ExecContext(ctx, path, id, int64(i)*1000, int64(1_700_000_000_000_000_000+i)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("seed %d files: %v", n, err)
	}
}

func BenchmarkStore_Files(b *testing.B) {
	s := newStore(b)
	seedFiles(b, s, 10_000)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		files, err := s.Files(ctx)
		if err != nil || len(files) != 10_000 {
			b.Fatalf("Files = %d files, %v", len(files), err)
		}
	}
}

func BenchmarkStore_Search(b *testing.B) {
	s := newStore(b)
	seedFiles(b, s, 10_000)
	ctx := context.Background()
	for b.Loop() {
		if _, err := s.Search(ctx, "track 00000000000001", 50); err != nil {
			b.Fatal(err)
		}
	}
}
