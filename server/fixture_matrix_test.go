package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"attune/playlists"
	"attune/server/auth"
)

// callerKind is one of the five kinds of caller the role matrix walks.
type callerKind int

const (
	asAnonymous callerKind = iota
	asPatientA             // a tablet paired to Room A
	asPatientB             // a tablet paired to Room B
	asTherapist
	asAdmin
)

func (k callerKind) String() string {
	return [...]string{"anonymous", "patient A", "patient B", "therapist", "admin"}[k]
}

var allCallers = []callerKind{asAnonymous, asPatientA, asPatientB, asTherapist, asAdmin}

// The fixture's accounts and rooms.
const (
	adminName     = "ada"
	therapistName = "dana"
	roomA         = "room-a" // RoomID("Room A")
	roomB         = "room-b"
	sessionA      = 7 // the session the fake Room A reports
)

// remoteHeader lets a test say which client address a request comes from
// (the rate limits and /metrics look at it); the fixture's server moves it
// into RemoteAddr before the real handler sees the request.
const remoteHeader = "X-Test-Remote"

// matrixFixture is a Server over fakes of every dependency, served by an
// httptest.Server, with its hub running until the test ends.
type matrixFixture struct {
	t       testing.TB
	srv     *Server
	ts      *httptest.Server
	auth    *matrixAuth
	lib     *matrixLibrary
	pls     *matrixPlaylists
	rooms   [2]*matrixRoom
	log     *lockedBuffer
	now     time.Time
	counter atomic.Int64
}

// lockedBuffer is the server's log sink; mu protects b.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// newMatrixFixture starts the fixture; tune may change the Deps before New.
func newMatrixFixture(t testing.TB, tune ...func(*Deps)) *matrixFixture {
	t.Helper()
	f := &matrixFixture{t: t, now: time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC), log: &lockedBuffer{}}
	clock := func() time.Time { return f.now }
	f.auth = newMatrixAuth(clock)
	for name, role := range map[string]auth.Role{adminName: auth.Admin, therapistName: auth.Therapist} {
		if err := f.auth.AddUser(context.Background(), name, role, matrixPassword); err != nil {
			t.Fatalf("add fake user %s: %v", name, err)
		}
	}
	f.lib = newMatrixLibrary(t.TempDir())
	f.pls = newMatrixPlaylists()
	f.rooms = [2]*matrixRoom{{name: "Room A"}, {name: "Room B"}}
	d := Deps{
		Rooms:     []Room{f.rooms[0], f.rooms[1]},
		Auth:      f.auth,
		Library:   f.lib,
		Playlists: f.pls,
		Sessions:  matrixSessions{},
		Profiles:  []playlists.Profile{matrixProfile()},
		Log:       slog.New(slog.NewTextHandler(f.log, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:       clock,
	}
	for _, fn := range tune {
		fn(&d)
	}
	srv, err := New(d)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	f.srv = srv
	h := srv.Handler()
	f.ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a := r.Header.Get(remoteHeader); a != "" {
			r.RemoteAddr = a
			r.Header.Del(remoteHeader)
		}
		h.ServeHTTP(w, r)
	}))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		f.ts.Close()
	})
	return f
}

// fresh returns a name no other request of the test has used.
func (f *matrixFixture) fresh(prefix string) string {
	return fmt.Sprintf("%s-%d", prefix, f.counter.Add(1))
}

// freshUser adds a therapist with matrixPassword and returns the name.
func (f *matrixFixture) freshUser() string {
	f.t.Helper()
	name := f.fresh("user")
	if err := f.auth.AddUser(context.Background(), name, auth.Therapist, matrixPassword); err != nil {
		f.t.Fatalf("add fake user %s: %v", name, err)
	}
	return name
}

// token mints fresh credentials for k ("" for anonymous), so a request
// that signs out never spoils the next one.
func (f *matrixFixture) token(k callerKind) string {
	switch k {
	case asPatientA:
		return f.auth.mintPatient("Room A", sessionA)
	case asPatientB:
		return f.auth.mintPatient("Room B", 8)
	case asTherapist:
		return f.auth.mintLogin(therapistName)
	case asAdmin:
		return f.auth.mintLogin(adminName)
	}
	return ""
}

// authorize gives h k's fresh credentials, as a browser (cookie and the
// server's own Origin) or as a program (a bearer token, no Origin).
func (f *matrixFixture) authorize(h http.Header, k callerKind, bearer bool) {
	tok := f.token(k)
	switch {
	case bearer && tok != "":
		h.Set("Authorization", "Bearer "+tok)
	case bearer:
	case k == asPatientA || k == asPatientB:
		h.Set("Origin", f.ts.URL)
		h.Add("Cookie", (&http.Cookie{Name: PatientCookie, Value: tok}).String())
	case tok != "":
		h.Set("Origin", f.ts.URL)
		h.Add("Cookie", (&http.Cookie{Name: StaffCookie, Value: tok}).String())
	default:
		h.Set("Origin", f.ts.URL)
	}
}

// do sends a request and returns the response with its body read.
func (f *matrixFixture) do(req *http.Request) (*http.Response, []byte) {
	f.t.Helper()
	resp, err := f.ts.Client().Do(req)
	if err != nil {
		f.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatalf("%s %s: read the body: %v", req.Method, req.URL.Path, err)
	}
	return resp, body
}

// request builds a request to the fixture's server; body may be nil, a
// string (sent as is) or a value (sent as JSON).
func (f *matrixFixture) request(method, path string, body any) *http.Request {
	f.t.Helper()
	var r io.Reader
	ctype := ""
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			f.t.Fatalf("marshal %T: %v", body, err)
		}
		r, ctype = bytes.NewReader(j), "application/json"
	}
	req, err := http.NewRequest(method, f.ts.URL+path, r)
	if err != nil {
		f.t.Fatalf("new request %s %s: %v", method, path, err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	return req
}

// errorCode is the code of an {"error": {code, message}} body, or "".
func errorCode(body []byte) string {
	var e struct {
		Error *Error `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil || e.Error == nil {
		return ""
	}
	return e.Error.Code
}
