package server

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"attune/playlists"
)

// apiPlaylistEnv is an env with three tracks and the playlist "Arc".
func apiPlaylistEnv(tb testing.TB) *apiEnv {
	tb.Helper()
	e := newAPIEnv(tb)
	e.lib.add(apiTrack("a00000000000000000000001", "Open Sky", 6*time.Minute))
	e.lib.add(apiTrack("b00000000000000000000002", "Deep Water", 20*time.Minute))
	e.lib.add(apiTrack("c00000000000000000000003", "Return", 10*time.Minute))
	e.pls.pls["Arc"] = playlists.Playlist{Name: "Arc", Profile: "intranasal", Phases: []playlists.Phase{
		{Role: playlists.RoleSettling, Tracks: []playlists.Entry{{Track: "a00000000000000000000001", MustPlay: true}}},
		{Role: playlists.RoleJourney, Crossfade: 10 * time.Second, Fill: playlists.FillDrone,
			Tracks: []playlists.Entry{{Track: "b00000000000000000000002"}}},
		{Role: playlists.RoleReturn, LevelDB: -3, Tracks: []playlists.Entry{{Track: "c00000000000000000000003"}}},
	}}
	return e
}

func TestServer_getPlaylist(t *testing.T) {
	e := apiPlaylistEnv(t)
	st, body := e.send(t, "GET", "/api/playlists/Arc", nil)
	var got playlistJSON
	apiDecode(t, body, &got)
	if st != http.StatusOK || got.Name != "Arc" || len(got.Phases) != 3 {
		t.Fatalf("GET: got %d %s", st, body)
	}
	j := got.Phases[1]
	if j.Role != playlists.RoleJourney || j.CrossfadeMS != 10000 || j.Fill != playlists.FillDrone {
		t.Errorf("journey: got %+v, want crossfade_ms 10000, fill drone", j)
	}
	en := got.Phases[0].Entries[0]
	if en.Track != "a00000000000000000000001" || en.Title != "Open Sky" || en.Artist != "Attune Demo" ||
		en.DurationMS != 360000 || !en.MustPlay || en.Missing {
		t.Errorf("entry: got %+v", en)
	}
	if got.Phases[2].LevelDB != -3 {
		t.Errorf("return level: got %v, want -3", got.Phases[2].LevelDB)
	}
	st, body = e.send(t, "GET", "/api/playlists/Nope", nil)
	apiWantError(t, "unknown", st, body, http.StatusNotFound, CodeNotFound)

	st, body = e.send(t, "GET", "/api/playlists", nil)
	if st != http.StatusOK || !strings.Contains(string(body), `"name":"Arc"`) || !strings.Contains(string(body), `"length_ms":90000`) {
		t.Errorf("list: got %d %s, want Arc with length_ms", st, body)
	}
}

func TestServer_postPlaylist(t *testing.T) {
	e := apiPlaylistEnv(t)
	// What GET returns can be sent back as it is.
	_, body := e.send(t, "GET", "/api/playlists/Arc", nil)
	copyBody := strings.Replace(string(body), `"name":"Arc"`, `"name":"Arc copy"`, 1)
	st, b := e.send(t, "POST", "/api/playlists", copyBody)
	if st != http.StatusCreated || !strings.Contains(string(b), `"title":"Deep Water"`) {
		t.Fatalf("POST a copy: got %d %s, want 201", st, b)
	}
	if _, ok := e.pls.pls["Arc copy"]; !ok {
		t.Errorf("the copy was not stored")
	}

	st, b = e.send(t, "POST", "/api/playlists", strings.Replace(string(body), `"name":"Arc"`, `"name":"Arc"`, 1))
	apiWantError(t, "name exists", st, b, http.StatusConflict, CodeConflict)

	for _, c := range []struct{ name, body string }{
		{"malformed", `{"name": "x", `},
		{"unknown field", `{"name": "x", "colour": "red"}`},
		{"wrong type", `{"name": "x", "phases": {}}`},
		{"no name", `{"phases": [{"role": "journey"}]}`},
		{"invalid", `{"name": "x", "phases": [{"role": "peak"}]}`},
		{"no phases", `{"name": "x"}`},
		{"bad level", `{"name": "x", "phases": [{"role": "journey", "level_db": 20}]}`},
	} {
		st, b := e.send(t, "POST", "/api/playlists", c.body)
		apiWantError(t, c.name, st, b, http.StatusBadRequest, CodeBadRequest)
	}
	st, b = e.send(t, "POST", "/api/playlists", `{"name": "x", "phases": [{"role": "journey",
		"entries": [{"track": "nope1"}, {"track": "a00000000000000000000001"}, {"track": "nope2"}]}]}`)
	apiWantError(t, "unresolved", st, b, http.StatusBadRequest, CodeBadRequest)
	if !strings.Contains(string(b), "nope1") || !strings.Contains(string(b), "nope2") {
		t.Errorf("unresolved: %s does not name every missing track", b)
	}
}

func TestServer_putPlaylist(t *testing.T) {
	e := apiPlaylistEnv(t)
	body := `{"phases": [{"role": "journey", "entries": [{"track": "b00000000000000000000002"}]}]}`
	st, b := e.send(t, "PUT", "/api/playlists/"+url.PathEscape("Arc"), body)
	if st != http.StatusOK || len(e.pls.pls["Arc"].Phases) != 1 {
		t.Fatalf("PUT: got %d %s, want 200 and one phase", st, b)
	}
	st, b = e.send(t, "PUT", "/api/playlists/"+url.PathEscape("New one"), body)
	if st != http.StatusOK || e.pls.pls["New one"].Name != "New one" {
		t.Errorf("PUT new: got %d %s", st, b)
	}
	st, b = e.send(t, "PUT", "/api/playlists/Arc", `{"name": "Other", "phases": [{"role": "journey"}]}`)
	apiWantError(t, "name differs", st, b, http.StatusBadRequest, CodeBadRequest)
	st, b = e.send(t, "PUT", "/api/playlists/Arc", `{"phases": "none"}`)
	apiWantError(t, "wrong type", st, b, http.StatusBadRequest, CodeBadRequest)
}

func TestServer_deletePlaylist(t *testing.T) {
	e := apiPlaylistEnv(t)
	if st, b := e.send(t, "DELETE", "/api/playlists/Arc", nil); st != http.StatusNoContent {
		t.Fatalf("DELETE: got %d %s, want 204", st, b)
	}
	st, b := e.send(t, "DELETE", "/api/playlists/Arc", nil)
	apiWantError(t, "again", st, b, http.StatusNotFound, CodeNotFound)
}

func TestServer_importPlaylist(t *testing.T) {
	e := apiPlaylistEnv(t)
	yml := "name: Imported\nphases:\n  - role: journey\n    tracks:\n      - a00000000000000000000001\n      - b00000000000000000000002\n"
	st, b := e.send(t, "POST", "/api/playlists/import?format=yaml", yml)
	if st != http.StatusCreated || !strings.Contains(string(b), `"name":"Imported"`) {
		t.Fatalf("import yaml: got %d %s, want 201", st, b)
	}
	m3u := "#EXTM3U\nb00000000000000000000002\nc00000000000000000000003\n"
	st, b = e.send(t, "POST", "/api/playlists/import?format=m3u&name=From+M3U", m3u)
	if st != http.StatusCreated || len(e.pls.pls["From M3U"].Phases) != 1 {
		t.Fatalf("import m3u: got %d %s, want 201", st, b)
	}

	bad := "name: Bad\nphases:\n  - role: journey\n    tracks:\n      - nope-one\n      - a00000000000000000000001\n      - nope-two\n"
	st, b = e.send(t, "POST", "/api/playlists/import?format=yaml", bad)
	apiWantError(t, "unresolved", st, b, http.StatusBadRequest, CodeBadRequest)
	for _, want := range []string{"nope-one", "line 5", "nope-two", "line 7"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("unresolved: %s lacks %q", b, want)
		}
	}
	for _, c := range []struct{ name, query, body string }{
		{"no format", "", yml},
		{"bad format", "?format=xml", yml},
		{"m3u without name", "?format=m3u", m3u},
		{"syntax", "?format=json", `{"name": `},
		{"unknown field", "?format=yaml", "name: X\ncolour: red\nphases: []\n"},
	} {
		st, b := e.send(t, "POST", "/api/playlists/import"+c.query, c.body)
		apiWantError(t, c.name, st, b, http.StatusBadRequest, CodeBadRequest)
	}
	st, b = e.send(t, "POST", "/api/playlists/import?format=yaml", "# "+strings.Repeat("x", 1<<20)+"\n")
	apiWantError(t, "too large", st, b, http.StatusRequestEntityTooLarge, CodeTooLarge)
}

func TestServer_exportPlaylist(t *testing.T) {
	e := apiPlaylistEnv(t)
	for _, c := range []struct{ query, file, has string }{
		{"", "Arc.yaml", "role: journey"},
		{"?format=json", "Arc.json", `"role": "journey"`},
		{"?format=m3u", "Arc.m3u", "#EXTM3U"},
	} {
		st, b, h := e.do(t, apiTherapistToken, "GET", "/api/playlists/Arc/export"+c.query, nil, "")
		if st != http.StatusOK || !strings.Contains(string(b), c.has) ||
			h.Get("Content-Disposition") != `attachment; filename=`+c.file {
			t.Errorf("export %q: got %d %q %q, want 200, %q, attachment %s", c.query, st, b, h.Get("Content-Disposition"), c.has, c.file)
		}
	}
	st, b, _ := e.do(t, apiTherapistToken, "GET", "/api/playlists/Arc/export?format=pdf", nil, "")
	apiWantError(t, "bad format", st, b, http.StatusBadRequest, CodeBadRequest)
	st, b, _ = e.do(t, apiTherapistToken, "GET", "/api/playlists/Nope/export", nil, "")
	apiWantError(t, "unknown", st, b, http.StatusNotFound, CodeNotFound)
}
