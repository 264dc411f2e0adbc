package server

import (
	"math"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"attune/media"
	"attune/player/room"
)

func TestServer_getTracks(t *testing.T) {
	e := newAPIEnv(t)
	a := apiTrack("a00000000000000000000001", "Open Sky", 3*time.Minute)
	a.Loudness = &media.Loudness{Integrated: -21.5, TruePeak: -3, Range: 6, Version: media.AnalyzerVersion}
	b := apiTrack("b00000000000000000000002", "Deep Water", 4*time.Minute)
	b.Curation = media.Curation{Instrumental: media.InstrumentalNo, Intensity: 4, Moods: []string{"dark"}}
	b.Loudness = &media.Loudness{Integrated: math.Inf(-1), TruePeak: math.Inf(-1), Silent: true}
	c := apiTrack("c00000000000000000000003", "Open Road", time.Minute)
	c.LoudnessError = "decode failed"
	for _, tr := range []media.Track{a, b, c} {
		e.lib.add(tr)
	}

	st, body := e.send(t, "GET", "/api/tracks?q=open&sort=title&order=asc&limit=1", nil)
	var got struct {
		Tracks []trackJSON `json:"tracks"`
		Total  int         `json:"total"`
	}
	apiDecode(t, body, &got)
	if st != http.StatusOK || got.Total != 2 || len(got.Tracks) != 1 || got.Tracks[0].ID != c.ID {
		t.Fatalf("GET q=open asc limit 1: got %d %+v, want 200, total 2, [%s]", st, got, c.ID)
	}
	if s := got.Tracks[0].Analysis; s.State != "failed" || s.Error != "decode failed" || got.Tracks[0].Loudness != nil {
		t.Errorf("failed analysis: got %+v loudness %v, want failed, decode failed, null", s, got.Tracks[0].Loudness)
	}

	st, body = e.send(t, "GET", "/api/tracks?instrumental=no&intensity=4", nil)
	got.Tracks = nil
	apiDecode(t, body, &got)
	if st != http.StatusOK || len(got.Tracks) != 1 || got.Tracks[0].ID != b.ID {
		t.Fatalf("GET instrumental=no: got %d %+v, want [%s]", st, got, b.ID)
	}
	l := got.Tracks[0].Loudness
	if l == nil || l.IntegratedLUFS != nil || l.TruePeakDBTP != nil || !l.Silent || l.Current {
		t.Errorf("silent loudness: got %+v, want nulls, silent, not current", l)
	}
	if !strings.Contains(string(body), `"moods":["dark"]`) {
		t.Errorf("moods: body %s lacks them", body)
	}

	// The whole TRACK, field names included.
	st, body = e.send(t, "GET", "/api/tracks/"+a.ID, nil)
	want := `{"id":"a00000000000000000000001","title":"Open Sky","artist":"Attune Demo","album":"","duration_ms":180000,` +
		`"format":"flac","sample_rate":48000,"channels":2,"bit_depth":24,"added":"2026-11-01T09:00:00Z",` +
		`"path":"/music/a00000000000000000000001.flac","has_artwork":false,` +
		`"curation":{"instrumental":"yes","intensity":2,"moods":[],"notes":""},` +
		`"loudness":{"integrated_lufs":-21.5,"true_peak_dbtp":-3,"lra":6,"silent":false,"current":true},` +
		`"analysis":{"state":"done","error":""}}` + "\n"
	if st != http.StatusOK || string(body) != want {
		t.Errorf("GET track: got %d\n%s\nwant\n%s", st, body, want)
	}
}

func TestServer_getTracks_errors(t *testing.T) {
	e := newAPIEnv(t)
	for _, q := range []string{"instrumental=maybe", "intensity=6", "intensity=x", "sort=bpm", "order=up",
		"limit=501", "limit=0", "offset=-1"} {
		st, body := e.send(t, "GET", "/api/tracks?"+q, nil)
		apiWantError(t, q, st, body, http.StatusBadRequest, CodeBadRequest)
	}
	st, body := e.send(t, "GET", "/api/tracks/nope", nil)
	apiWantError(t, "GET unknown track", st, body, http.StatusNotFound, CodeNotFound)
	st, body, _ = e.do(t, "", "GET", "/api/tracks", nil, "")
	apiWantError(t, "anonymous", st, body, http.StatusUnauthorized, CodeUnauthorized)
}

func TestServer_getArtwork(t *testing.T) {
	e := newAPIEnv(t)
	e.lib.add(apiTrack("a00000000000000000000001", "Open Sky", time.Minute))
	png := []byte("\x89PNG\r\n\x1a\nfake")
	e.lib.art["a00000000000000000000001"] = png
	st, body, h := e.do(t, apiTherapistToken, "GET", "/api/tracks/a00000000000000000000001/artwork", nil, "")
	if st != http.StatusOK || string(body) != string(png) || h.Get("Content-Type") != "image/png" ||
		!strings.Contains(h.Get("Cache-Control"), "max-age") {
		t.Errorf("artwork: got %d %q %q %q, want 200, the bytes, image/png, cacheable", st, body,
			h.Get("Content-Type"), h.Get("Cache-Control"))
	}
	e.lib.add(apiTrack("b00000000000000000000002", "No Art", time.Minute))
	st, body, _ = e.do(t, apiTherapistToken, "GET", "/api/tracks/b00000000000000000000002/artwork", nil, "")
	apiWantError(t, "no artwork", st, body, http.StatusNotFound, CodeNotFound)
}

func TestServer_patchTrack(t *testing.T) {
	e := newAPIEnv(t)
	id := "a00000000000000000000001"
	tr := apiTrack(id, "Open Sky", time.Minute)
	tr.Curation = media.Curation{Instrumental: media.InstrumentalYes, Intensity: 2, Moods: []string{"calm"}, Notes: "keep"}
	e.lib.add(tr)

	st, body := e.send(t, "PATCH", "/api/tracks/"+id, `{"intensity": 4, "moods": [" warm ", "open"]}`)
	var got trackJSON
	apiDecode(t, body, &got)
	want := curationJSON{Instrumental: media.InstrumentalYes, Intensity: 4, Moods: []string{"warm", "open"}, Notes: "keep"}
	if st != http.StatusOK || !reflect.DeepEqual(got.Curation, want) {
		t.Errorf("PATCH: got %d %+v, want 200 %+v", st, got.Curation, want)
	}
	stored, _ := e.lib.Track(t.Context(), id)
	if stored.Curation.Intensity != 4 || stored.Curation.Notes != "keep" {
		t.Errorf("stored curation: got %+v, want intensity 4, notes kept", stored.Curation)
	}

	long := `"` + strings.Repeat("x", 41) + `"`
	for _, c := range []struct{ name, body string }{
		{"malformed", `{"intensity": `},
		{"unknown field", `{"title": "x"}`},
		{"wrong type", `{"intensity": "high"}`},
		{"intensity", `{"intensity": 6}`},
		{"negative intensity", `{"intensity": -1}`},
		{"instrumental", `{"instrumental": "maybe"}`},
		{"too many moods", `{"moods": [` + strings.Repeat(`"m",`, 16) + `"m"]}`},
		{"long mood", `{"moods": [` + long + `]}`},
		{"empty mood", `{"moods": ["  "]}`},
		{"notes", `{"notes": "` + strings.Repeat("n", 2001) + `"}`},
		{"two values", `{} {}`},
	} {
		st, body := e.send(t, "PATCH", "/api/tracks/"+id, c.body)
		apiWantError(t, c.name, st, body, http.StatusBadRequest, CodeBadRequest)
	}
	stored, _ = e.lib.Track(t.Context(), id)
	if stored.Curation.Intensity != 4 {
		t.Errorf("after refused patches: intensity %d, want 4 (unchanged)", stored.Curation.Intensity)
	}
	st, body = e.send(t, "PATCH", "/api/tracks/nope", `{"intensity": 1}`)
	apiWantError(t, "unknown track", st, body, http.StatusNotFound, CodeNotFound)
}

func TestServer_deleteTrack(t *testing.T) {
	e := newAPIEnv(t)
	id := "a00000000000000000000001"
	e.lib.add(apiTrack(id, "Open Sky", time.Minute))
	e.lib.uses[id] = []string{"Gentle arc"}
	e.room.setState(room.State{Room: "Room 1", Session: &room.SessionState{ID: 1, Status: "running",
		Items: []room.PlanItem{{Track: "other"}, {Track: id}}}})

	st, body, _ := e.do(t, apiTherapistToken, "DELETE", "/api/tracks/"+id, nil, "")
	apiWantError(t, "therapist", st, body, http.StatusForbidden, CodeForbidden)

	st, body, _ = e.do(t, apiAdminToken, "DELETE", "/api/tracks/"+id, nil, "")
	apiWantError(t, "in use", st, body, http.StatusConflict, CodeConflict)
	for _, name := range []string{`\"Gentle arc\"`, `\"Room 1\"`} {
		if !strings.Contains(string(body), name) {
			t.Errorf("conflict %s does not name %s", body, name)
		}
	}
	// Only the session uses it now.
	e.lib.uses[id] = nil
	st, body, _ = e.do(t, apiAdminToken, "DELETE", "/api/tracks/"+id, nil, "")
	apiWantError(t, "in use by the session", st, body, http.StatusConflict, CodeConflict)
	if _, err := e.lib.Track(t.Context(), id); err != nil {
		t.Fatalf("refused delete removed the track: %v", err)
	}

	st, body, _ = e.do(t, apiAdminToken, "DELETE", "/api/tracks/"+id+"?force=maybe", nil, "")
	apiWantError(t, "bad force", st, body, http.StatusBadRequest, CodeBadRequest)
	st, _, _ = e.do(t, apiAdminToken, "DELETE", "/api/tracks/"+id+"?force=true", nil, "")
	if st != http.StatusNoContent || len(e.lib.deleted) != 1 {
		t.Errorf("forced delete: got %d, deleted %v, want 204 and the track gone", st, e.lib.deleted)
	}
	st, body, _ = e.do(t, apiAdminToken, "DELETE", "/api/tracks/"+id, nil, "")
	apiWantError(t, "gone", st, body, http.StatusNotFound, CodeNotFound)

	// An ended session does not hold a track.
	id2 := "b00000000000000000000002"
	e.lib.add(apiTrack(id2, "Deep", time.Minute))
	e.room.setState(room.State{Session: &room.SessionState{Status: "ended", Items: []room.PlanItem{{Track: id2}}}})
	if st, body, _ = e.do(t, apiAdminToken, "DELETE", "/api/tracks/"+id2, nil, ""); st != http.StatusNoContent {
		t.Errorf("delete after the session ended: got %d %s, want 204", st, body)
	}
}

func TestServer_library_unavailable(t *testing.T) {
	e := newAPIEnv(t, func(d *Deps) { d.Library, d.Playlists, d.Sessions = nil, nil, nil })
	for _, p := range []string{"/api/tracks", "/api/tracks/x", "/api/playlists", "/api/sessions"} {
		st, body := e.send(t, "GET", p, nil)
		apiWantError(t, p, st, body, http.StatusServiceUnavailable, CodeUnavailable)
	}
}
