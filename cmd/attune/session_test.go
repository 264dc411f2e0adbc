package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	mstore "attune/media/store"
	"attune/player/session"
	sstore "attune/player/session/store"
	"attune/playlists"
)

// seedSession writes an ended session with a short log into the data dir's
// database, as the live session would.
func seedSession(t *testing.T, dataDir string) int64 {
	t.Helper()
	ctx := context.Background()
	db, err := mstore.OpenDB(ctx, dbPath(dataDir))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st, err := sstore.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	prof := playlists.DefaultProfiles()[0]
	t0 := time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)
	r := session.Record{Room: "Room 1", Playlist: playlists.Playlist{Name: "Calm arc"}, Profile: prof,
		Status: session.StatusRunning, Created: t0, DosedAt: t0, Boundaries: prof.Planned()}
	at := func(kind string, d time.Duration, role, detail, phase, track string) session.Entry {
		return session.Entry{Wall: t0.Add(d), Clock: d, Dosed: true, Role: role, Device: "console", Kind: kind,
			Detail: detail, Phase: phase, Track: track}
	}
	id, err := st.Create(ctx, r, at(session.KindDose, 0, "therapist", "", "", ""))
	if err != nil {
		t.Fatal(err)
	}
	r.ID = id
	m := time.Minute
	for _, e := range []session.Entry{
		at(session.KindItem, 0, "system", "", "settling", "Aurora – Dawn"),
		at(session.KindPause, 3*m, "patient", "", "settling", "Aurora – Dawn"),
		at(session.KindResume, 5*m, "patient", "", "settling", "Aurora – Dawn"),
		at(session.KindVolume, 6*m, "patient", session.VolumeDetail(-18), "settling", "Aurora – Dawn"),
		at(session.KindOnset, 11*m, "therapist", "", "journey", ""),
		at(session.KindItem, 11*m, "system", "", "journey", "Deep, \"Field\""),
	} {
		if err := st.Log(ctx, id, e); err != nil {
			t.Fatal(err)
		}
	}
	r.Status, r.Ended = session.StatusEnded, t0.Add(120*m)
	if err := st.Save(ctx, r, at(session.KindEnd, 120*m, "system", "observation ended", "integration", "")); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestRun_session(t *testing.T) {
	isolate(t)
	dataDir := filepath.Join(t.TempDir(), "data")
	t.Setenv("ATTUNE_DATA_DIR", dataDir)
	if code, out, stderr := attune(t, "session", "list"); code != exitOK || !strings.Contains(out, "0 sessions") {
		t.Fatalf("empty list: exit %d, out %q, stderr %q", code, out, stderr)
	}
	id := seedSession(t, dataDir)

	code, out, stderr := attune(t, "session", "list")
	if code != exitOK || !strings.Contains(out, "Calm arc") || !strings.Contains(out, "ended") || !strings.Contains(out, "2:00:00") {
		t.Errorf("list: exit %d, stderr %q, out:\n%s", code, stderr, out)
	}

	code, out, _ = attune(t, "session", "log", "1")
	for _, want := range []string{"+03:00.0", "pause", "volume -18.0 dB", "onset marked at +11:00.0", "1 pauses (2:00)", "journey:", "end observation ended"} {
		if code != exitOK || !strings.Contains(out, want) {
			t.Errorf("log: exit %d, output lacks %q:\n%s", code, want, out)
		}
	}

	code, out, _ = attune(t, "session", "log", "--csv", "1")
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if code != exitOK || err != nil || len(rows) != 9 || rows[7][9] != `Deep, "Field"` {
		t.Errorf("csv: exit %d, %v, %d rows: %q", code, err, len(rows), rows)
	}

	code, out, _ = attune(t, "session", "log", "--json", "1")
	var v sessionView
	if err := json.Unmarshal([]byte(out), &v); err != nil || code != exitOK {
		t.Fatalf("json: exit %d, %v:\n%s", code, err, out)
	}
	if v.ID != id || len(v.Entries) != 8 || len(v.Summary.Pauses) != 1 || v.Summary.Pauses[0].To != "+05:00.0" ||
		len(v.Summary.Played) != 2 || v.Summary.Ended != "observation ended" || len(v.Summary.Volume) != 1 || v.Summary.Volume[0].DB != -18 {
		t.Errorf("json export: got %+v", v)
	}

	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"session", "log", "7"}, exitUsage, "no such session"},
		{[]string{"session", "log", "x"}, exitUsage, `"x" is not a session ID`},
		{[]string{"session", "log"}, exitUsage, "want one session ID"},
		{[]string{"session", "log", "--csv", "--json", "1"}, exitUsage, "at most one of"},
	} {
		code, _, stderr := attune(t, tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, stderr, tc.code, tc.want)
		}
	}
}
