package server

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"attune/player/room"
	"attune/player/session"
	"attune/playlists"
	"attune/playlists/plstore"
	"attune/server/auth"
)

// fakeRoom records what the server asks of it and returns a settable State.
type fakeRoom struct {
	name   string
	stream http.Handler

	mu      sync.Mutex // protects the fields below
	st      room.State
	cmds    []session.Command
	started []string             // playlist/profile
	planned playlists.Boundaries // of the last start
	trims   map[string]float64
	err     error // returned by Do and Start when set
}

func newFakeRoom(name string) *fakeRoom {
	return &fakeRoom{name: name, trims: map[string]float64{}, st: room.State{
		Room: name, Engine: "playing", VolumeDB: -12, CeilingDB: -1, PatientMinDB: -30, PatientMaxDB: -6,
		Outputs: []room.OutputState{
			{Name: "speakers", Type: "speaker", Status: "ok"},
			{Name: "headphones", Type: "stream", TrimDB: -3, Status: "ok", Listeners: 1},
		},
		Session: &room.SessionState{ID: 3, Playlist: "Gentle arc", Profile: "intranasal", Status: "running",
			Clock: 845 * time.Second, Phase: "journey", Sounding: 0,
			Items: []room.PlanItem{{Track: "a1b2c3", Title: "Open Sky", Artist: "Attune Demo", Phase: string(playlists.RoleJourney),
				Start: 720 * time.Second, End: 1000 * time.Second}}},
	}}
}

func (r *fakeRoom) Name() string { return r.name }

func (r *fakeRoom) State() room.State {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.st
}

func (r *fakeRoom) set(f func(st *room.State)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.st.Session != nil { // State's copies share the old one
		ss := *r.st.Session
		r.st.Session = &ss
	}
	f(&r.st)
}

func (r *fakeRoom) Start(_ context.Context, pl playlists.Playlist, prof playlists.Profile, _ session.Who) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return r.err
	}
	r.started = append(r.started, pl.Name+"/"+prof.Name)
	r.planned = prof.Planned()
	return nil
}

func (r *fakeRoom) Do(_ context.Context, cmd session.Command) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return r.err
	}
	r.cmds = append(r.cmds, cmd)
	return nil
}

func (r *fakeRoom) SetTrim(_ context.Context, output string, db float64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.trims[output] = db
	return nil
}

func (r *fakeRoom) SetCeiling(_ context.Context, db float64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.st.CeilingDB = db
	return nil
}

func (r *fakeRoom) SetPatientRange(lo, hi float64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.st.PatientMinDB, r.st.PatientMaxDB = lo, hi
	return nil
}

func (r *fakeRoom) SetShowTitles(on bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.st.ShowTitles = on
}

func (r *fakeRoom) Stream() http.Handler { return r.stream }

func (r *fakeRoom) commands() []session.Command {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]session.Command(nil), r.cmds...)
}

// fakeAuth knows fixed tokens: staff logins and tablet grants.
type fakeAuth struct {
	Auth // the methods the live routes do not use panic

	mu       sync.Mutex // protects the fields below
	users    map[string]auth.User
	grants   map[string]auth.Grant
	codes    []string // room/session of each NewPairingCode
	ended    []string // room/session of each EndSession
	failEnds bool
}

func newFakeAuth() *fakeAuth {
	return &fakeAuth{
		users: map[string]auth.User{
			"admin-token": {Name: "ada", Role: auth.Admin},
			"ther-token":  {Name: "dana", Role: auth.Therapist},
		},
		grants: map[string]auth.Grant{
			"pat-a": {Room: "room-a", SessionID: 3, Expires: time.Now().Add(time.Hour)},
			"pat-b": {Room: "room-b", SessionID: 4, Expires: time.Now().Add(time.Hour)},
		},
	}
}

func (a *fakeAuth) Session(_ context.Context, token string) (auth.User, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	u, ok := a.users[token]
	if !ok {
		return auth.User{}, auth.ErrNotFound
	}
	return u, nil
}

func (a *fakeAuth) Patient(_ context.Context, token string) (auth.Grant, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	g, ok := a.grants[token]
	switch {
	case !ok:
		return auth.Grant{}, auth.ErrNotFound
	case time.Now().After(g.Expires):
		return auth.Grant{}, auth.ErrExpired
	}
	return g, nil
}

func (a *fakeAuth) NewPairingCode(_ context.Context, room string, sid int64) (string, time.Time, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.codes = append(a.codes, room+"/"+strconv.FormatInt(sid, 10))
	return "123456", time.Date(2026, 11, 29, 10, 10, 0, 0, time.UTC), nil
}

func (a *fakeAuth) EndSession(_ context.Context, room string, sid int64) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.ended = append(a.ended, room+"/"+strconv.FormatInt(sid, 10))
	if a.failEnds {
		return errors.New("disk full")
	}
	return nil
}

func (a *fakeAuth) revoke(token string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.grants, token)
}

// fakePlaylists holds playlists by name.
type fakePlaylists struct {
	Playlists // the methods the live routes do not use panic
	pls       map[string]playlists.Playlist
}

func (p fakePlaylists) Get(_ context.Context, name string) (playlists.Playlist, error) {
	pl, ok := p.pls[name]
	if !ok {
		return playlists.Playlist{}, plstore.ErrNotFound
	}
	return pl, nil
}

// harness is a running server with two fake rooms (room-a, room-b) behind
// an httptest server.
type harness struct {
	s      *Server
	ts     *httptest.Server
	a, b   *fakeRoom
	auth   *fakeAuth
	cancel context.CancelFunc
	done   chan error
}

// newHarness starts a server; tune adjusts the hub's knobs before it runs.
func newHarness(t testing.TB, tune func(h *hub)) *harness {
	t.Helper()
	hs := &harness{a: newFakeRoom("Room A"), b: newFakeRoom("Room B"), auth: newFakeAuth(), done: make(chan error, 1)}
	hs.b.set(func(st *room.State) { st.Session.ID = 4 })
	s, err := New(Deps{
		Rooms: []Room{hs.a, hs.b}, Auth: hs.auth, Origins: []string{"https://console.clinic.lan"},
		Playlists: fakePlaylists{pls: map[string]playlists.Playlist{
			"Gentle arc": {Name: "Gentle arc", Profile: "intramuscular"},
			"Plain":      {Name: "Plain"},
		}},
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	hs.s = s
	if tune != nil {
		tune(s.hub)
	}
	ctx, cancel := context.WithCancel(context.Background())
	hs.cancel = cancel
	go func() { hs.done <- s.Run(ctx) }()
	hs.ts = httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		hs.stop(t)
		hs.ts.Close()
	})
	return hs
}

// stop ends the hub and waits for Run.
func (hs *harness) stop(t testing.TB) {
	t.Helper()
	if hs.cancel == nil {
		return
	}
	hs.cancel()
	hs.cancel = nil
	if err := <-hs.done; err != nil {
		t.Errorf("Run = %v, want nil", err)
	}
}

func (hs *harness) wsURL() string { return "ws" + strings.TrimPrefix(hs.ts.URL, "http") + "/ws" }

// dial connects with token as a cookie (or a bearer header when bearer),
// sending origin when it is not "".
func (hs *harness) dial(t testing.TB, token string, bearer bool, origin string) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	h := http.Header{}
	switch {
	case bearer:
		h.Set("Authorization", "Bearer "+token)
	case strings.HasPrefix(token, "pat-"):
		h.Set("Cookie", PatientCookie+"="+token)
	case token != "":
		h.Set("Cookie", StaffCookie+"="+token)
	}
	if origin != "" {
		h.Set("Origin", origin)
	}
	c, resp, err := websocket.DefaultDialer.Dial(hs.wsURL(), h)
	if err == nil {
		t.Cleanup(func() { c.Close() })
	}
	return c, resp, err
}

// connect dials with a cookie from the server's own origin and reads hello.
func (hs *harness) connect(t testing.TB, token string) (*websocket.Conn, map[string]any) {
	t.Helper()
	c, _, err := hs.dial(t, token, false, hs.ts.URL)
	if err != nil {
		t.Fatalf("dial as %s: %v", token, err)
	}
	hello := readMsg(t, c)
	if hello["type"] != "hello" {
		t.Fatalf("first message %v, want hello", hello)
	}
	return c, hello
}

// readMsg reads one JSON message; the deadline only turns a hang into a
// failure.
func readMsg(t testing.TB, c *websocket.Conn) map[string]any {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	var m map[string]any
	if err := c.ReadJSON(&m); err != nil {
		t.Fatalf("read: %v", err)
	}
	return m
}

// readType reads messages until one of type typ.
func readType(t testing.TB, c *websocket.Conn, typ string) map[string]any {
	t.Helper()
	for {
		if m := readMsg(t, c); m["type"] == typ {
			return m
		}
	}
}

func send(t testing.TB, c *websocket.Conn, v any) {
	t.Helper()
	var err error
	if s, ok := v.(string); ok {
		err = c.WriteMessage(websocket.TextMessage, []byte(s))
	} else {
		err = c.WriteJSON(v)
	}
	if err != nil {
		t.Fatalf("send: %v", err)
	}
}

// counter reads a Prometheus counter's value.
func counter(t testing.TB, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatalf("read counter: %v", err)
	}
	return m.GetCounter().GetValue()
}

func gauge(t testing.TB, g prometheus.Gauge) float64 {
	t.Helper()
	var m dto.Metric
	if err := g.Write(&m); err != nil {
		t.Fatalf("read gauge: %v", err)
	}
	return m.GetGauge().GetValue()
}

func (r *fakeRoom) trimOf(output string) (db float64, n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.trims[output], len(r.trims)
}

func (a *fakeAuth) Logout(context.Context, string) error { return nil }
