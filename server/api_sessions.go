package server

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"

	"attune/player/session"
)

// recordJSON is a session record as the API lists it (docs/api.md, RECORD).
type recordJSON struct {
	ID       int64          `json:"id"`
	Room     string         `json:"room"`
	Playlist string         `json:"playlist"`
	Profile  string         `json:"profile"`
	Status   session.Status `json:"status"`
	Created  *string        `json:"created"`
	DosedAt  *string        `json:"dosed_at"`
	Ended    *string        `json:"ended"`
}

func newRecordJSON(r session.Record) recordJSON {
	return recordJSON{ID: r.ID, Room: r.Room, Playlist: r.Playlist.Name, Profile: r.Profile.Name, Status: r.Status,
		Created: timeOrNull(r.Created), DosedAt: timeOrNull(r.DosedAt), Ended: timeOrNull(r.Ended)}
}

type playedJSON struct {
	AtMS  int64  `json:"at_ms"`
	Phase string `json:"phase"`
	Track string `json:"track"`
}

type spanJSON struct {
	FromMS int64 `json:"from_ms"`
	ToMS   int64 `json:"to_ms"`
	Open   bool  `json:"open"`
}

type changeJSON struct {
	AtMS int64   `json:"at_ms"`
	DB   float64 `json:"db"`
	Role string  `json:"role"`
}

type summaryOfJSON struct {
	Played  []playedJSON `json:"played"`
	Pauses  []spanJSON   `json:"pauses"`
	Quiet   []spanJSON   `json:"quiet"`
	Skips   []playedJSON `json:"skips"`
	Volume  []changeJSON `json:"volume"`
	OnsetMS *int64       `json:"onset_ms"`
	Failed  int          `json:"failed"`
	Ended   string       `json:"ended"`
	ClockMS int64        `json:"clock_ms"`
	Entries int          `json:"entries"`
}

func newSummaryJSON(s session.Summary) summaryOfJSON {
	played := func(ps []session.Played) []playedJSON {
		out := make([]playedJSON, 0, len(ps))
		for _, p := range ps {
			out = append(out, playedJSON{AtMS: ms(p.At), Phase: p.Phase, Track: p.Track})
		}
		return out
	}
	spans := func(ss []session.Span) []spanJSON {
		out := make([]spanJSON, 0, len(ss))
		for _, s := range ss {
			out = append(out, spanJSON{FromMS: ms(s.From), ToMS: ms(s.To), Open: s.Open})
		}
		return out
	}
	j := summaryOfJSON{Played: played(s.Played), Pauses: spans(s.Pauses), Quiet: spans(s.Quiet),
		Skips: played(s.Skips), Volume: make([]changeJSON, 0, len(s.Volume)), Failed: s.Failed, Ended: s.Ended,
		ClockMS: ms(s.Clock), Entries: s.Entries}
	for _, c := range s.Volume {
		j.Volume = append(j.Volume, changeJSON{AtMS: ms(c.At), DB: c.DB, Role: c.Role})
	}
	if s.Marked {
		on := ms(s.Onset)
		j.OnsetMS = &on
	}
	return j
}

// entryOfJSON is a log entry as the protocol's log message carries it.
type entryOfJSON struct {
	Seq     int64   `json:"seq"`
	Session int64   `json:"session"`
	Wall    *string `json:"wall"`
	ClockMS int64   `json:"clock_ms"`
	Dosed   bool    `json:"dosed"`
	Role    string  `json:"role"`
	Device  string  `json:"device"`
	Kind    string  `json:"kind"`
	Detail  string  `json:"detail"`
	Phase   string  `json:"phase"`
	Track   string  `json:"track"`
}

func (s *Server) getSessions(w http.ResponseWriter, r *http.Request, _ Caller) {
	if s.d.Sessions == nil {
		writeError(w, unavailable("session store"))
		return
	}
	limit, e := queryInt(r.URL.Query(), "limit", 50, 1, 500)
	if e != nil {
		writeError(w, e)
		return
	}
	recs, err := s.d.Sessions.List(r.Context(), limit)
	if err != nil {
		writeError(w, s.apiError("list sessions", err))
		return
	}
	out := make([]recordJSON, 0, len(recs))
	for _, rec := range recs {
		out = append(out, newRecordJSON(rec))
	}
	writeJSON(w, http.StatusOK, map[string]any{"sessions": out})
}

// sessionID reads the path's session id.
func sessionID(r *http.Request) (int64, *Error) {
	v := r.PathValue("id")
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return 0, errorf(CodeBadRequest, "session id %q: want a positive integer", v)
	}
	return id, nil
}

func (s *Server) getSession(w http.ResponseWriter, r *http.Request, _ Caller) {
	if s.d.Sessions == nil {
		writeError(w, unavailable("session store"))
		return
	}
	id, e := sessionID(r)
	if e != nil {
		writeError(w, e)
		return
	}
	rec, err := s.d.Sessions.Get(r.Context(), id)
	if err != nil {
		writeError(w, s.apiError("get session", err))
		return
	}
	es, err := s.d.Sessions.Entries(r.Context(), id)
	if err != nil {
		writeError(w, s.apiError("read the log of session "+strconv.FormatInt(id, 10), err))
		return
	}
	writeJSON(w, http.StatusOK, struct {
		recordJSON
		Boundaries boundariesJSON `json:"boundaries"`
		Summary    summaryOfJSON  `json:"summary"`
	}{newRecordJSON(rec), newBoundariesJSON(rec.Boundaries, nil), newSummaryJSON(session.Summarize(es))})
}

func (s *Server) getSessionLog(w http.ResponseWriter, r *http.Request, _ Caller) {
	if s.d.Sessions == nil {
		writeError(w, unavailable("session store"))
		return
	}
	id, e := sessionID(r)
	if e != nil {
		writeError(w, e)
		return
	}
	format, e := queryEnum(r.URL.Query(), "format", "csv", "csv", "json")
	if e != nil {
		writeError(w, e)
		return
	}
	ctx := r.Context()
	if _, err := s.d.Sessions.Get(ctx, id); err != nil {
		writeError(w, s.apiError("get session", err))
		return
	}
	es, err := s.d.Sessions.Entries(ctx, id)
	if err != nil {
		writeError(w, s.apiError("read the log of session "+strconv.FormatInt(id, 10), err))
		return
	}
	var buf bytes.Buffer
	name := "session-" + strconv.FormatInt(id, 10) + "." + format
	if format == "csv" {
		if err := session.WriteCSV(&buf, es); err != nil {
			writeError(w, s.toError("write the session log", err))
			return
		}
		attachment(w, "text/csv; charset=utf-8", name)
	} else {
		out := make([]entryOfJSON, 0, len(es))
		for _, e := range es {
			out = append(out, entryOfJSON{Seq: e.Seq, Session: e.Session, Wall: timeOrNull(e.Wall), ClockMS: ms(e.Clock),
				Dosed: e.Dosed, Role: e.Role, Device: e.Device, Kind: e.Kind, Detail: e.Detail, Phase: e.Phase, Track: e.Track})
		}
		if err := json.NewEncoder(&buf).Encode(map[string]any{"session": id, "entries": out}); err != nil {
			writeError(w, s.toError("write the session log", err))
			return
		}
		attachment(w, "application/json; charset=utf-8", name)
	}
	w.WriteHeader(http.StatusOK)
	_, _ = buf.WriteTo(w) // the client went away: nothing to do
}
