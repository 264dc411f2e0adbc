package auth

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"attune/media/store"
)

// cheap are argon2 parameters that cost next to nothing, for tests.
var cheap = Argon2Params{Time: 1, MemoryKiB: 64, Threads: 1}

// clock is an injectable clock that moves only when told.
type clock struct {
	mu sync.Mutex // guards t
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)} }

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// tempDB is the path of a fresh database in a temporary folder.
func tempDB(t testing.TB) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "attune.db")
}

// newStore opens a store with cheap hashes and c's time on a fresh
// database.
func newStore(t testing.TB, c *clock) *Store {
	t.Helper()
	return openStore(t, tempDB(t), c)
}

func openStore(t testing.TB, path string, c *clock) *Store {
	t.Helper()
	ctx := context.Background()
	db, err := store.OpenDB(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := Open(ctx, db, Options{Now: c.now, Argon2: cheap})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

// mustAdd adds a user or fails the test.
func mustAdd(t testing.TB, s *Store, name string, role Role) {
	t.Helper()
	if err := s.AddUser(context.Background(), name, role, "correct horse "+name); err != nil {
		t.Fatalf("AddUser(%q, %s): %v", name, role, err)
	}
}

// wantErr fails the test unless errors.Is(err, want).
func wantErr(t testing.TB, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: got error %v, want %v", what, err, want)
	}
}
