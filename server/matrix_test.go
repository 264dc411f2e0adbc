package server

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
)

// The role matrix (issue #6, DESIGN.md §6): every route of the route table
// × every kind of caller, each sending a request that would succeed. The
// allowed callers are written out here from the design's table, not read
// from routes.go, so a wrong access level in the table fails the test.

var (
	everyone  = allCallers
	anySigned = []callerKind{asPatientA, asPatientB, asTherapist, asAdmin}
	staffers  = []callerKind{asTherapist, asAdmin}
	admins    = []callerKind{asAdmin}
	inRoomA   = []callerKind{asPatientA, asTherapist, asAdmin}
)

// matrixReq is one route's request: a path and a body (nil, a string, or
// a value sent as JSON), with its content type when not JSON.
type matrixReq struct {
	path  string
	body  any
	ctype string
}

// matrixCase is who may call a route and how to build a valid request.
type matrixCase struct {
	allowed []callerKind
	req     func(f *matrixFixture) matrixReq
}

func matrixAt(path string) func(*matrixFixture) matrixReq {
	return func(*matrixFixture) matrixReq { return matrixReq{path: path} }
}

func matrixAtWith(path string, body any) func(*matrixFixture) matrixReq {
	return func(*matrixFixture) matrixReq { return matrixReq{path: path, body: body} }
}

// playlistBody is a playlist as the API's JSON carries it (docs/api.md).
func playlistBody(name string) map[string]any {
	phase := func(role string, ids ...string) map[string]any {
		var tr []map[string]any
		for _, id := range ids {
			tr = append(tr, map[string]any{"track": id})
		}
		return map[string]any{"role": role, "entries": tr}
	}
	return map[string]any{"name": name, "profile": "intranasal", "phases": []any{
		phase("settling", "t1"), phase("journey", "t2", "t3"), phase("return", "t1"), phase("integration", "t2"),
	}}
}

// matrixCases has one case per route of routeTable.
func matrixCases() map[string]matrixCase {
	return map[string]matrixCase{
		"GET /healthz": {everyone, matrixAt("/healthz")},
		// From another machine: only an admin may scrape (loopback is
		// checked in TestServer_metricsFromLoopback).
		"GET /metrics": {admins, matrixAt("/metrics")},

		// The pages are public; each asks GET /api/me what to show.
		"GET /{$}":              {everyone, matrixAt("/")},
		"GET /t":                {everyone, matrixAt("/t")},
		"GET /pair":             {everyone, matrixAt("/pair")},
		"GET /login":            {everyone, matrixAt("/login")},
		"GET /setup":            {everyone, matrixAt("/setup")},
		"GET /admin":            {everyone, matrixAt("/admin")},
		"GET /static/{path...}": {everyone, matrixAt("/static/app.css")},

		"POST /api/login": {everyone, func(f *matrixFixture) matrixReq {
			return matrixReq{path: "/api/login", body: map[string]any{"name": f.freshUser(), "password": matrixPassword}}
		}},
		"POST /api/logout": {everyone, matrixAt("/api/logout")},
		"GET /api/me":      {everyone, matrixAt("/api/me")},
		"GET /api/setup":   {everyone, matrixAt("/api/setup")},
		"POST /api/setup": {everyone, func(f *matrixFixture) matrixReq {
			return matrixReq{path: "/api/setup", body: map[string]any{
				"token": f.auth.newSetupToken(), "name": f.fresh("first"), "password": matrixPassword}}
		}},
		"POST /api/pair": {everyone, func(f *matrixFixture) matrixReq {
			code, _, err := f.auth.NewPairingCode(context.Background(), "Room A", sessionA)
			if err != nil {
				f.t.Fatalf("new pairing code: %v", err)
			}
			return matrixReq{path: "/api/pair", body: map[string]any{"code": code}}
		}},
		"GET /api/users": {admins, matrixAt("/api/users")},
		"POST /api/users": {admins, func(f *matrixFixture) matrixReq {
			return matrixReq{path: "/api/users", body: map[string]any{"name": f.fresh("new"), "role": "therapist", "password": matrixPassword}}
		}},
		"DELETE /api/users/{name}": {admins, func(f *matrixFixture) matrixReq {
			return matrixReq{path: "/api/users/" + f.freshUser()}
		}},
		// The therapist's own password: admins may set anyone's, a
		// therapist only their own (TestServer_putPassword covers others').
		"PUT /api/users/{name}/password": {staffers, matrixAtWith("/api/users/"+therapistName+"/password",
			map[string]any{"password": "another long password"})},

		"GET /ws":                          {anySigned, matrixAt("/ws")},
		"GET /api/rooms":                   {staffers, matrixAt("/api/rooms")},
		"GET /api/rooms/{room}":            {inRoomA, matrixAt("/api/rooms/" + roomA)},
		"PATCH /api/rooms/{room}":          {admins, matrixAtWith("/api/rooms/"+roomA, map[string]any{"ceiling_db": -3})},
		"POST /api/rooms/{room}/session":   {staffers, matrixAtWith("/api/rooms/"+roomA+"/session", map[string]any{"playlist": "Gentle", "profile": "intranasal"})},
		"POST /api/rooms/{room}/commands":  {inRoomA, matrixAtWith("/api/rooms/"+roomA+"/commands", map[string]any{"id": "m1", "type": "pause"})},
		"POST /api/rooms/{room}/pairing":   {staffers, matrixAt("/api/rooms/" + roomA + "/pairing")},
		"GET /rooms/{room}/stream.mp3":     {inRoomA, matrixAt("/rooms/" + roomA + "/stream.mp3")},
		"GET /api/profiles":                {staffers, matrixAt("/api/profiles")},
		"POST /api/plan":                   {staffers, matrixAtWith("/api/plan", map[string]any{"playlist": "Gentle"})},
		"GET /api/tracks":                  {staffers, matrixAt("/api/tracks")},
		"POST /api/tracks":                 {admins, uploadReq},
		"GET /api/tracks/{id}":             {staffers, matrixAt("/api/tracks/t1")},
		"PATCH /api/tracks/{id}":           {staffers, matrixAtWith("/api/tracks/t1", map[string]any{"intensity": 3})},
		"GET /api/tracks/{id}/artwork":     {staffers, matrixAt("/api/tracks/t1/artwork")},
		"GET /api/playlists":               {staffers, matrixAt("/api/playlists")},
		"GET /api/playlists/{name}":        {staffers, matrixAt("/api/playlists/Gentle")},
		"PUT /api/playlists/{name}":        {staffers, matrixAtWith("/api/playlists/Gentle", playlistBody("Gentle"))},
		"GET /api/playlists/{name}/export": {staffers, matrixAt("/api/playlists/Gentle/export?format=json")},
		"GET /api/sessions":                {staffers, matrixAt("/api/sessions")},
		"GET /api/sessions/{id}":           {staffers, matrixAt("/api/sessions/1")},
		"GET /api/sessions/{id}/log":       {staffers, matrixAt("/api/sessions/1/log?format=json")},
		"DELETE /api/tracks/{id}": {admins, func(f *matrixFixture) matrixReq {
			id := f.fresh("gone")
			f.lib.add(id)
			return matrixReq{path: "/api/tracks/" + id}
		}},
		"POST /api/playlists": {staffers, func(f *matrixFixture) matrixReq {
			return matrixReq{path: "/api/playlists", body: playlistBody(f.fresh("arc"))}
		}},
		"POST /api/playlists/import": {staffers, func(f *matrixFixture) matrixReq {
			return matrixReq{path: "/api/playlists/import?format=m3u&name=" + f.fresh("imported"),
				body: "#EXTM3U\nt1\nt2\n", ctype: "audio/x-mpegurl"}
		}},
		"DELETE /api/playlists/{name}": {staffers, func(f *matrixFixture) matrixReq {
			name := f.fresh("old")
			f.pls.add(name)
			return matrixReq{path: "/api/playlists/" + name}
		}},
	}
}

// uploadReq is one small file in a multipart upload.
func uploadReq(f *matrixFixture) matrixReq {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	part, err := mw.CreateFormFile("file", "tone.wav")
	if err != nil {
		f.t.Fatalf("multipart: %v", err)
	}
	_, _ = part.Write([]byte("RIFF\x24\x00\x00\x00WAVE"))
	if err := mw.Close(); err != nil {
		f.t.Fatalf("multipart: %v", err)
	}
	return matrixReq{path: "/api/tracks", body: b.String(), ctype: mw.FormDataContentType()}
}

func TestServer_roleMatrix(t *testing.T) {
	f := newMatrixFixture(t)
	cases := matrixCases()
	for _, rt := range f.srv.routes {
		if _, ok := cases[rt.pattern]; !ok {
			t.Errorf("route %q has no case in the role matrix", rt.pattern)
		}
	}
	for pattern := range cases {
		if !slices.ContainsFunc(f.srv.routes, func(rt route) bool { return rt.pattern == pattern }) {
			t.Errorf("matrix case %q names no route", pattern)
		}
	}
	for _, rt := range f.srv.routes {
		mc, ok := cases[rt.pattern]
		if !ok {
			continue
		}
		method, _, _ := strings.Cut(rt.pattern, " ")
		for mode, bearer := range []bool{false, true} {
			for _, k := range allCallers {
				how := map[bool]string{false: "cookie", true: "bearer"}[bearer]
				t.Run(fmt.Sprintf("%s/%s/%s", rt.pattern, k, how), func(t *testing.T) {
					f.t = t
					mr := mc.req(f)
					// Each caller and mode has its own address, so the
					// sign-in and pairing limits never trip here.
					remote := fmt.Sprintf("192.0.2.%d:40000", 10+10*mode+int(k))
					var status int
					var body []byte
					if method == http.MethodGet && mr.path == "/ws" {
						status, body = f.dialStatus(k, bearer, remote)
					} else {
						req := f.request(method, mr.path, mr.body)
						if mr.ctype != "" {
							req.Header.Set("Content-Type", mr.ctype)
						}
						req.Header.Set(remoteHeader, remote)
						f.authorize(req.Header, k, bearer)
						resp, b := f.do(req)
						status, body = resp.StatusCode, b
					}
					checkAdmission(t, k, slices.Contains(mc.allowed, k), status, body)
				})
			}
		}
	}
}

// checkAdmission asserts an allowed caller succeeded and any other was
// refused: 401 when anonymous, 403 otherwise.
func checkAdmission(t testing.TB, k callerKind, allowed bool, status int, body []byte) {
	t.Helper()
	switch {
	case allowed && (status/100 == 2 || status == http.StatusSwitchingProtocols):
	case allowed:
		t.Errorf("%s: got %d %.200s, want success", k, status, body)
	case k == asAnonymous && status != http.StatusUnauthorized:
		t.Errorf("%s: got %d %.200s, want 401", k, status, body)
	case k != asAnonymous && status != http.StatusForbidden:
		t.Errorf("%s: got %d %.200s, want 403", k, status, body)
	}
}

// dialStatus opens /ws as k and returns the handshake's status and body.
func (f *matrixFixture) dialStatus(k callerKind, bearer bool, remote string) (int, []byte) {
	f.t.Helper()
	h := http.Header{remoteHeader: {remote}}
	f.authorize(h, k, bearer)
	conn, resp, err := websocket.DefaultDialer.Dial(f.wsURL(), h)
	if conn != nil {
		_ = conn.Close()
	}
	if resp == nil {
		f.t.Fatalf("dial /ws as %s: %v", k, err)
	}
	return resp.StatusCode, bodyOf(resp)
}

func (f *matrixFixture) wsURL() string { return "ws" + strings.TrimPrefix(f.ts.URL, "http") + "/ws" }

func TestServer_metricsFromLoopback(t *testing.T) {
	f := newMatrixFixture(t)
	resp, body := f.do(f.request(http.MethodGet, "/metrics", nil))
	if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte("attune_sessions_live")) {
		t.Errorf("anonymous GET /metrics from loopback: got %d %.80q, want 200 with the metrics", resp.StatusCode, body)
	}
}

func TestServer_crossOriginPost(t *testing.T) {
	f := newMatrixFixture(t, func(d *Deps) { d.Origins = []string{"https://console.clinic.lan"} })
	tok := f.token(asAdmin)
	post := func(origin, name string) (*http.Response, []byte) {
		req := f.request(http.MethodPost, "/api/users", map[string]any{"name": name, "role": "therapist", "password": matrixPassword})
		req.AddCookie(&http.Cookie{Name: StaffCookie, Value: tok})
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		return f.do(req)
	}
	for _, origin := range []string{"https://evil.example", "", "null"} {
		resp, body := post(origin, "mallory")
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("POST /api/users with the admin's cookie from origin %q: got %d %s, want 403", origin, resp.StatusCode, body)
		}
	}
	if f.auth.hasUser("mallory") {
		t.Errorf("a refused cross-origin POST created the user")
	}
	if resp, body := post("https://console.clinic.lan", "erin"); resp.StatusCode != http.StatusCreated {
		t.Errorf("POST /api/users from a configured origin: got %d %s, want 201", resp.StatusCode, body)
	}

	// Signing out is state-changing too: another site must not end the login.
	req := f.request(http.MethodPost, "/api/logout", nil)
	req.AddCookie(&http.Cookie{Name: StaffCookie, Value: tok})
	req.Header.Set("Origin", "https://evil.example")
	if resp, body := f.do(req); resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-origin POST /api/logout: got %d %s, want 403", resp.StatusCode, body)
	}
	if !f.auth.loggedIn(tok) {
		t.Errorf("a refused cross-origin logout ended the login")
	}
}
