package server

import (
	"encoding/csv"
	"net/http"
	"strings"
	"testing"
	"time"

	"attune/player/session"
	"attune/playlists"
)

func apiSessionEnv(tb testing.TB) *apiEnv {
	tb.Helper()
	e := newAPIEnv(tb)
	t0 := time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)
	e.ses.recs = []session.Record{
		{ID: 4, Room: "Room 1", Playlist: playlists.Playlist{Name: "Arc"}, Profile: playlists.Profile{Name: "intranasal"},
			Status: session.StatusArrival, Created: t0.Add(3 * time.Hour)},
		{ID: 3, Room: "Room 1", Playlist: playlists.Playlist{Name: "Arc"}, Profile: playlists.Profile{Name: "intranasal"},
			Status: session.StatusEnded, Created: t0, DosedAt: t0.Add(5 * time.Minute), Ended: t0.Add(2 * time.Hour),
			Boundaries: playlists.Boundaries{Onset: 12 * time.Minute, EffectEnd: 50 * time.Minute, ReturnEnd: 67 * time.Minute, ObserveUntil: 2 * time.Hour}},
	}
	m := time.Minute
	e.ses.entries[3] = []session.Entry{
		{Seq: 1, Session: 3, Wall: t0, Clock: -5 * m, Role: "therapist", Device: "browser", Kind: session.KindStart},
		{Seq: 2, Session: 3, Wall: t0.Add(5 * m), Clock: 0, Dosed: true, Role: "therapist", Kind: session.KindDose},
		{Seq: 3, Session: 3, Clock: 0, Dosed: true, Role: "system", Kind: session.KindItem, Phase: "settling", Track: "t1"},
		{Seq: 4, Session: 3, Clock: 11 * m, Dosed: true, Role: "therapist", Kind: session.KindOnset, Phase: "settling"},
		{Seq: 5, Session: 3, Clock: 20 * m, Dosed: true, Role: "patient", Device: "iPad", Kind: session.KindPause, Phase: "journey"},
		{Seq: 6, Session: 3, Clock: 21 * m, Dosed: true, Role: "patient", Device: "iPad", Kind: session.KindResume, Phase: "journey"},
		{Seq: 7, Session: 3, Clock: 120 * m, Dosed: true, Role: "therapist", Kind: session.KindEnd, Detail: "done, \"well\""},
	}
	return e
}

func TestServer_getSessions(t *testing.T) {
	e := apiSessionEnv(t)
	st, b := e.send(t, "GET", "/api/sessions?limit=1", nil)
	want := `{"sessions":[{"id":4,"room":"Room 1","playlist":"Arc","profile":"intranasal","status":"arrival",` +
		`"created":"2026-11-29T12:00:00Z","dosed_at":null,"ended":null}]}` + "\n"
	if st != http.StatusOK || string(b) != want {
		t.Errorf("list: got %d %s, want %s", st, b, want)
	}
	for _, q := range []string{"limit=0", "limit=501", "limit=ten"} {
		st, b := e.send(t, "GET", "/api/sessions?"+q, nil)
		apiWantError(t, q, st, b, http.StatusBadRequest, CodeBadRequest)
	}
}

func TestServer_getSession(t *testing.T) {
	e := apiSessionEnv(t)
	st, b := e.send(t, "GET", "/api/sessions/3", nil)
	var got struct {
		recordJSON
		Boundaries boundariesJSON `json:"boundaries"`
		Summary    summaryOfJSON  `json:"summary"`
	}
	apiDecode(t, b, &got)
	if st != http.StatusOK || got.ID != 3 || got.Ended == nil || *got.DosedAt != "2026-11-29T09:05:00Z" {
		t.Fatalf("get: got %d %s", st, b)
	}
	if got.Boundaries.OnsetMS != 720000 || got.Boundaries.OnsetMinMS != nil {
		t.Errorf("boundaries: got %+v, want onset 720000 without a window", got.Boundaries)
	}
	s := got.Summary
	if s.OnsetMS == nil || *s.OnsetMS != 660000 || len(s.Pauses) != 1 || s.Pauses[0] != (spanJSON{1200000, 1260000, false}) ||
		s.Entries != 7 || len(s.Played) != 1 || s.Played[0].Track != "t1" || s.Ended == "" {
		t.Errorf("summary: got %+v", s)
	}
	if !strings.Contains(string(b), `"quiet":[]`) || !strings.Contains(string(b), `"skips":[]`) {
		t.Errorf("empty lists must be [], not null: %s", b)
	}
	st, b = e.send(t, "GET", "/api/sessions/99", nil)
	apiWantError(t, "unknown", st, b, http.StatusNotFound, CodeNotFound)
	st, b = e.send(t, "GET", "/api/sessions/x", nil)
	apiWantError(t, "malformed id", st, b, http.StatusBadRequest, CodeBadRequest)
}

func TestServer_getSessionLog(t *testing.T) {
	e := apiSessionEnv(t)
	st, b, h := e.do(t, apiTherapistToken, "GET", "/api/sessions/3/log", nil, "")
	if st != http.StatusOK || h.Get("Content-Disposition") != "attachment; filename=session-3.csv" ||
		!strings.HasPrefix(h.Get("Content-Type"), "text/csv") {
		t.Fatalf("csv: got %d %v", st, h)
	}
	rows, err := csv.NewReader(strings.NewReader(string(b))).ReadAll()
	if err != nil {
		t.Fatalf("csv: %v", err)
	}
	if len(rows) != 8 || rows[0][0] != "seq" || rows[7][7] != `done, "well"` {
		t.Errorf("csv rows: got %q", rows)
	}

	st, b, h = e.do(t, apiTherapistToken, "GET", "/api/sessions/3/log?format=json", nil, "")
	if st != http.StatusOK || h.Get("Content-Disposition") != "attachment; filename=session-3.json" {
		t.Fatalf("json: got %d %v", st, h)
	}
	var got struct {
		Session int64         `json:"session"`
		Entries []entryOfJSON `json:"entries"`
	}
	apiDecode(t, b, &got)
	if got.Session != 3 || len(got.Entries) != 7 || got.Entries[4].Device != "iPad" || got.Entries[4].ClockMS != 1200000 ||
		got.Entries[0].ClockMS != -300000 || got.Entries[2].Wall != nil {
		t.Errorf("json entries: got %+v", got)
	}
	st, b, _ = e.do(t, apiTherapistToken, "GET", "/api/sessions/3/log?format=xml", nil, "")
	apiWantError(t, "bad format", st, b, http.StatusBadRequest, CodeBadRequest)
	st, b, _ = e.do(t, apiTherapistToken, "GET", "/api/sessions/98/log", nil, "")
	apiWantError(t, "unknown", st, b, http.StatusNotFound, CodeNotFound)
}
