package store

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"testing/fstest"
)

func newDB(tb testing.TB) *sql.DB {
	tb.Helper()
	db, err := OpenDB(context.Background(), filepath.Join(tb.TempDir(), "attune.db"))
	if err != nil {
		tb.Fatalf("OpenDB: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func version(tb testing.TB, db *sql.DB, owner string) int {
	tb.Helper()
	v, err := schemaVersion(context.Background(), db, owner)
	if err != nil {
		tb.Fatalf("schemaVersion(%s): %v", owner, err)
	}
	return v
}

func tableExists(tb testing.TB, db *sql.DB, name string) bool {
	tb.Helper()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?`, name).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n == 1
}

func TestMigrate_OwnersAreIndependent(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	v1 := fstest.MapFS{
		"0001_rooms.sql": {Data: []byte(`CREATE TABLE rooms (id INTEGER PRIMARY KEY, name TEXT);`)},
		"README.md":      {Data: []byte(`not a migration`)},
	}
	if err := Migrate(ctx, db, "player", v1); err != nil {
		t.Fatalf("Migrate(player v1): %v", err)
	}
	v2 := fstest.MapFS{
		"0001_rooms.sql":   v1["0001_rooms.sql"],
		"0002_outputs.sql": {Data: []byte(`CREATE TABLE outputs (room INTEGER REFERENCES rooms (id)); INSERT INTO rooms (name) VALUES ('a');`)},
	}
	for range 2 { // the second run finds nothing to do
		if err := Migrate(ctx, db, "player", v2); err != nil {
			t.Fatalf("Migrate(player v2): %v", err)
		}
	}
	if got := version(t, db, "player"); got != 2 {
		t.Errorf("player version = %d, want 2", got)
	}
	var rooms int
	if err := db.QueryRow(`SELECT count(*) FROM rooms`).Scan(&rooms); err != nil || rooms != 1 {
		t.Errorf("rooms = %d (%v), want 1: migration 2 ran once", rooms, err)
	}
	other := fstest.MapFS{"0001_lists.sql": {Data: []byte(`CREATE TABLE lists (id INTEGER PRIMARY KEY);`)}}
	if err := Migrate(ctx, db, "playlists", other); err != nil {
		t.Fatalf("Migrate(playlists): %v", err)
	}
	if got := version(t, db, "playlists"); got != 1 || !tableExists(t, db, "lists") {
		t.Errorf("playlists version = %d (table lists exists: %v), want 1 and a table", got, tableExists(t, db, "lists"))
	}
	if got := version(t, db, "player"); got != 2 {
		t.Errorf("player version after playlists migrated = %d, want 2", got)
	}
}

func TestMigrate_FailedScriptRollsBack(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	migs := fstest.MapFS{
		"0001_a.sql": {Data: []byte(`CREATE TABLE a (x INTEGER);`)},
		"0002_b.sql": {Data: []byte(`CREATE TABLE b (x INTEGER); INSERT INTO nowhere VALUES (1);`)},
	}
	if err := Migrate(ctx, db, "x", migs); err == nil {
		t.Fatal("Migrate with a broken script: no error")
	}
	if got := version(t, db, "x"); got != 1 {
		t.Errorf("version = %d, want 1 (the good script kept, the broken one undone)", got)
	}
	if !tableExists(t, db, "a") || tableExists(t, db, "b") {
		t.Errorf("tables a, b exist = %v, %v; want true, false", tableExists(t, db, "a"), tableExists(t, db, "b"))
	}
}

func TestMigrate_RefusesNewer(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	migs := fstest.MapFS{"0001_a.sql": {Data: []byte(`CREATE TABLE a (x INTEGER);`)}}
	newer := fstest.MapFS{
		"0001_a.sql": migs["0001_a.sql"],
		"0002_b.sql": {Data: []byte(`CREATE TABLE b (x INTEGER);`)},
		"0003_c.sql": {Data: []byte(`CREATE TABLE c (x INTEGER);`)},
	}
	if err := Migrate(ctx, db, "x", newer); err != nil {
		t.Fatalf("Migrate(newer): %v", err)
	}
	err := Migrate(ctx, db, "x", migs)
	var tooNew *SchemaTooNewError
	if !errors.As(err, &tooNew) || tooNew.Version != 3 || tooNew.Known != 1 || tooNew.Owner != "x" {
		t.Fatalf("Migrate(older) error = %v, want *SchemaTooNewError 3 > 1 for x", err)
	}
	if tooNew.Path == "" || filepath.Base(tooNew.Path) != "attune.db" {
		t.Errorf("SchemaTooNewError.Path = %q, want the database file", tooNew.Path)
	}
}

func TestMigrate_BadNames(t *testing.T) {
	ok := []byte(`SELECT 1;`)
	for name, fsys := range map[string]fstest.MapFS{
		"gap":       {"0001_a.sql": {Data: ok}, "0003_c.sql": {Data: ok}},
		"repeat":    {"0001_a.sql": {Data: ok}, "0001_b.sql": {Data: ok}},
		"zero":      {"0000_a.sql": {Data: ok}},
		"no number": {"init.sql": {Data: ok}},
		"empty":     {},
	} {
		if err := Migrate(context.Background(), newDB(t), "x", fsys); err == nil {
			t.Errorf("Migrate with %s: no error", name)
		}
	}
	if err := Migrate(context.Background(), newDB(t), "", fstest.MapFS{"0001_a.sql": {Data: ok}}); err == nil {
		t.Error("Migrate with empty owner: no error")
	}
}
