package server

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"attune/player/room"
	"attune/player/session"
	"attune/playlists"
)

func keys(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func TestServeWS_HelloPerRole(t *testing.T) {
	hs := newHarness(t, nil)

	_, hello := hs.connect(t, "ther-token")
	rooms := hello["rooms"].([]any)
	if len(rooms) != 2 {
		t.Fatalf("therapist hello has %d rooms, want 2", len(rooms))
	}
	a := rooms[0].(map[string]any)
	if a["id"] != "room-a" || a["outputs"] == nil || a["session"] == nil {
		t.Errorf("therapist's room-a = %v, want the staff view with outputs and session", a)
	}
	if you := hello["you"].(map[string]any); you["role"] != "therapist" || you["name"] != "dana" {
		t.Errorf("you = %v, want therapist dana", you)
	}
	if hello["protocol"] != float64(Protocol) {
		t.Errorf("protocol = %v, want %d", hello["protocol"], Protocol)
	}

	_, hello = hs.connect(t, "pat-b")
	rooms = hello["rooms"].([]any)
	if len(rooms) != 1 {
		t.Fatalf("patient hello has %d rooms, want 1", len(rooms))
	}
	b := rooms[0].(map[string]any)
	want := []string{"can_louder", "can_softer", "id", "name", "paused", "phase", "playing", "quiet", "title", "volume_db"}
	if got := keys(b); !slices.Equal(got, want) {
		t.Errorf("patient view fields = %v, want %v", got, want)
	}
	if b["id"] != "room-b" || b["title"] != "" {
		t.Errorf("patient room = %v, want room-b without a title", b)
	}
	if you := hello["you"].(map[string]any); you["role"] != "patient" || you["room"] != "room-b" {
		t.Errorf("you = %v, want the patient of room-b", you)
	}
}

func TestServeWS_CommandReachesEveryClient(t *testing.T) {
	hs := newHarness(t, nil)
	ther, _ := hs.connect(t, "ther-token")
	admin, _ := hs.connect(t, "admin-token")
	patA, _ := hs.connect(t, "pat-a")
	patB, _ := hs.connect(t, "pat-b")

	send(t, ther, `{"id":"c1","type":"pause","room":"room-a"}`)
	var ack, seen map[string]any
	for ack == nil || seen == nil {
		switch m := readMsg(t, ther); m["type"] {
		case "ack":
			ack = m
		case "room":
			seen = m
		default:
			t.Fatalf("sender got %v, want ack and room", m)
		}
	}
	if ack["id"] != "c1" {
		t.Errorf("ack id = %v, want c1", ack["id"])
	}
	if got := seen["room"].(map[string]any)["id"]; got != "room-a" {
		t.Errorf("sender's room message is for %v, want room-a", got)
	}
	if m := readType(t, admin, "room"); m["room"].(map[string]any)["id"] != "room-a" {
		t.Errorf("admin got %v, want room-a's change", m)
	}
	m := readType(t, patA, "room")
	if r := m["room"].(map[string]any); r["id"] != "room-a" || r["outputs"] != nil {
		t.Errorf("patient of room-a got %v, want room-a in the patient view", r)
	}
	// The patient of room-b must not see room-a: its next message is room-b's.
	hs.s.RoomChanged("Room B")
	if r := readType(t, patB, "room")["room"].(map[string]any); r["id"] != "room-b" {
		t.Errorf("patient of room-b got a room message for %v, want only room-b", r["id"])
	}
	cmds := hs.a.commands()
	if len(cmds) != 1 || cmds[0].Kind != session.KindPause || cmds[0].Who.Role != "therapist" {
		t.Errorf("room-a got %+v, want one pause by a therapist", cmds)
	}
}

func TestServeWS_BadMessagesKeepConnection(t *testing.T) {
	hs := newHarness(t, nil)
	c, _ := hs.connect(t, "ther-token")
	for _, tc := range []struct {
		name, msg, id, code string
	}{
		{"malformed JSON", `{"id":"m1","type":`, "", CodeBadRequest},
		{"malformed after id", `{"id":"m2","type":"pause",}`, "", CodeBadRequest},
		{"unknown type", `{"id":"m3","type":"explode","room":"room-a"}`, "m3", CodeUnknownType},
		{"wrong arg type", `{"id":"m4","type":"volume","room":"room-a","args":{"db":"loud"}}`, "m4", CodeBadRequest},
		{"unknown arg field", `{"id":"m5","type":"volume","room":"room-a","args":{"db":-10,"gain":3}}`, "m5", CodeBadRequest},
		{"unknown field", `{"id":"m6","type":"ping","colour":"red"}`, "m6", CodeBadRequest},
		{"id not a string", `{"id":7,"type":"ping"}`, "", CodeBadRequest},
		{"args not an object", `{"id":"m8","type":"pause","room":"room-a","args":[1]}`, "m8", CodeBadRequest},
		{"no such room", `{"id":"m9","type":"pause","room":"room-z"}`, "m9", CodeNotFound},
		{"no room", `{"id":"m10","type":"pause"}`, "m10", CodeBadRequest},
	} {
		send(t, c, tc.msg)
		m := readType(t, c, "error")
		if m["code"] != tc.code || (m["id"] != nil && m["id"] != tc.id) || (tc.id != "" && m["id"] != tc.id) {
			t.Errorf("%s: got %v, want error %s with id %q", tc.name, m, tc.code, tc.id)
		}
	}
	if err := c.WriteMessage(websocket.BinaryMessage, []byte(`{"type":"ping"}`)); err != nil {
		t.Fatal(err)
	}
	if m := readType(t, c, "error"); m["code"] != CodeBadRequest {
		t.Errorf("binary message: got %v, want bad_request", m)
	}
	send(t, c, `{"id":"p1","type":"ping"}`)
	if m := readType(t, c, "ack"); m["id"] != "p1" {
		t.Errorf("ping after errors: got %v, want ack p1", m)
	}
	if got := len(hs.a.commands()); got != 0 {
		t.Errorf("room-a got %d commands, want none", got)
	}
}

func TestServeWS_RateLimit(t *testing.T) {
	hs := newHarness(t, nil)
	c, _ := hs.connect(t, "ther-token")
	const n = 100
	for i := range n {
		send(t, c, map[string]any{"id": "p" + strconv.Itoa(i), "type": "ping"})
	}
	acks, limited := 0, 0
	for i := 0; i < n; {
		switch m := readMsg(t, c); m["type"] {
		case "ack":
			if i < commandBurst && m["id"] != "p"+strconv.Itoa(i) {
				t.Errorf("reply %d = %v, want ack of p%d", i, m, i)
			}
			acks++
			i++
		case "error":
			if m["code"] != CodeRateLimited {
				t.Errorf("reply %d = %v, want rate_limited", i, m)
			}
			limited++
			i++
		}
	}
	if acks < commandBurst || limited == 0 {
		t.Errorf("%d pings: %d acks, %d rate_limited; want at least %d acks and some refused", n, acks, limited, commandBurst)
	}
}

func TestServeWS_Origin(t *testing.T) {
	hs := newHarness(t, nil)
	for _, tc := range []struct {
		name, token string
		bearer      bool
		origin      string
		want        int
	}{
		{"same origin cookie", "ther-token", false, hs.ts.URL, http.StatusSwitchingProtocols},
		{"configured origin", "ther-token", false, "https://console.clinic.lan", http.StatusSwitchingProtocols},
		{"cross origin cookie", "ther-token", false, "https://evil.example", http.StatusForbidden},
		{"cross origin bearer", "ther-token", true, "https://evil.example", http.StatusForbidden},
		{"no origin cookie", "ther-token", false, "", http.StatusForbidden},
		{"no origin patient cookie", "pat-a", false, "", http.StatusForbidden},
		{"no origin bearer", "ther-token", true, "", http.StatusSwitchingProtocols},
		{"anonymous", "", false, hs.ts.URL, http.StatusUnauthorized},
		{"unknown token", "nope", false, hs.ts.URL, http.StatusUnauthorized},
	} {
		_, resp, err := hs.dial(t, tc.token, tc.bearer, tc.origin)
		if resp == nil {
			t.Fatalf("%s: dial: %v", tc.name, err)
		}
		if resp.StatusCode != tc.want {
			t.Errorf("%s: status %d, want %d", tc.name, resp.StatusCode, tc.want)
		}
	}
}

// bigSession makes room messages large, so a client that does not read
// fills its socket buffers and then its queue.
func bigSession(st *room.State) {
	items := make([]room.PlanItem, 20)
	for i := range items {
		items[i] = room.PlanItem{Track: strings.Repeat("t", 12), Title: strings.Repeat("Title ", 1000), Artist: "Attune Demo",
			Phase: string(playlists.RoleJourney), Start: time.Duration(i) * time.Minute, End: time.Duration(i+1) * time.Minute}
	}
	st.Session.Items = items
}

func TestHub_SlowClientDropped(t *testing.T) {
	hs := newHarness(t, func(h *hub) { h.queue = 4 })
	hs.a.set(bigSession)
	slow, _, err := websocket.DefaultDialer.Dial(hs.wsURL(), http.Header{"Cookie": {StaffCookie + "=ther-token"}, "Origin": {hs.ts.URL}})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer slow.Close()
	fast, _ := hs.connect(t, "admin-token")

	dropped := false
	for i := 0; i < 2000 && !dropped; i++ {
		hs.s.RoomChanged("Room A")
		// Once fast has it, the hub has queued this change to everyone.
		_ = fast.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, msg, err := fast.ReadMessage(); err != nil || !strings.HasPrefix(string(msg), `{"type":"room"`) {
			t.Fatalf("fast client: %.40s, %v; want a room message", msg, err)
		}
		dropped = counter(t, hs.s.d.Metrics.Dropped) == 1
	}
	if !dropped {
		t.Fatal("the client that never reads was not dropped")
	}
	// RoomChanged never blocks, however often it is called.
	for range 10000 {
		hs.s.RoomChanged("Room A")
	}
	hs.s.RoomChanged("Room B")
	if r := readType(t, fast, "room")["room"].(map[string]any); r["id"] != "room-a" && r["id"] != "room-b" {
		t.Errorf("fast client got %v after the drop, want room changes", r["id"])
	}
	// The slow client reads at last: what was queued, then bye, then close.
	var last []byte
	for {
		_ = slow.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, msg, err := slow.ReadMessage()
		if err != nil {
			break
		}
		last = msg
	}
	if want := `{"type":"bye","reason":"too slow"}`; string(last) != want {
		t.Errorf("last message = %.80s, want %s", last, want)
	}
	_, _, err = slow.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.ClosePolicyViolation {
		t.Errorf("after bye: %v, want close %d", err, websocket.ClosePolicyViolation)
	}
}

func TestServer_RunShutdownSaysBye(t *testing.T) {
	hs := newHarness(t, nil)
	var conns []*websocket.Conn
	for _, tok := range []string{"ther-token", "admin-token", "pat-a"} {
		c, _ := hs.connect(t, tok)
		conns = append(conns, c)
	}
	hs.stop(t)
	for i, c := range conns {
		if m := readType(t, c, "bye"); m["reason"] != byeShutdown {
			t.Errorf("client %d: bye = %v, want %q", i, m, byeShutdown)
		}
		_, _, err := c.ReadMessage()
		var ce *websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway {
			t.Errorf("client %d after bye: %v, want close %d", i, err, websocket.CloseGoingAway)
		}
	}
	if got := gauge(t, hs.s.d.Metrics.Clients.WithLabelValues("therapist")); got != 0 {
		t.Errorf("therapist clients after shutdown = %v, want 0", got)
	}
}

func TestServeWS_PatientLimits(t *testing.T) {
	hs := newHarness(t, nil)
	c, _ := hs.connect(t, "pat-a")
	for _, tc := range []struct{ msg, code string }{
		{`{"id":"x1","type":"volume","room":"room-a","args":{"db":-3}}`, CodeForbidden},
		{`{"id":"x2","type":"end"}`, CodeForbidden},
		{`{"id":"x3","type":"pause","room":"room-b"}`, CodeForbidden},
		{`{"id":"x4","type":"pause","room":"room-z"}`, CodeForbidden},
		{`{"id":"x5","type":"ceiling","args":{"db":-3}}`, CodeForbidden},
	} {
		send(t, c, tc.msg)
		if m := readType(t, c, "error"); m["code"] != tc.code {
			t.Errorf("%s: got %v, want %s", tc.msg, m, tc.code)
		}
	}
	send(t, c, `{"id":"ok1","type":"louder"}`)
	if m := readType(t, c, "ack"); m["id"] != "ok1" {
		t.Errorf("louder: got %v, want ack", m)
	}
	cmds := hs.a.commands()
	want := session.Command{Kind: session.KindVolume, DB: 3, Relative: true, Who: session.Who{Role: "patient", Device: "Go-http-client/1.1"}}
	if len(cmds) != 1 || cmds[0] != want {
		t.Errorf("room-a got %+v, want only %+v", cmds, want)
	}
	if got := hs.b.commands(); len(got) != 0 {
		t.Errorf("room-b got %+v, want nothing", got)
	}
}

func TestServeWS_PatientTokenExpires(t *testing.T) {
	hs := newHarness(t, nil)
	c, _ := hs.connect(t, "pat-a")
	hs.auth.revoke("pat-a")
	send(t, c, `{"id":"e1","type":"pause"}`)
	if m := readType(t, c, "bye"); m["reason"] != byeExpired {
		t.Errorf("command after the grant expired: %v, want bye %q", m, byeExpired)
	}
	if got := hs.a.commands(); len(got) != 0 {
		t.Errorf("room-a got %+v from an expired token, want nothing", got)
	}

	// When the room's session ends, the hub re-checks its tablets' grants.
	p, _ := hs.connect(t, "pat-b")
	hs.auth.revoke("pat-b")
	hs.b.set(func(st *room.State) { st.Session = nil })
	hs.s.RoomChanged("Room B")
	if m := readType(t, p, "bye"); m["reason"] != byeExpired {
		t.Errorf("after the session ended: %v, want bye %q", m, byeExpired)
	}
}

func TestServer_RoomLogToStaffOnly(t *testing.T) {
	hs := newHarness(t, nil)
	ther, _ := hs.connect(t, "ther-token")
	pat, _ := hs.connect(t, "pat-a")
	hs.s.RoomLog("Room A", LogEntry{Seq: 7, Session: 3, Clock: 845 * time.Second, Dosed: true, Role: "patient", Kind: "skip"})
	m := readType(t, ther, "log")
	e := m["entry"].(map[string]any)
	if m["room"] != "room-a" || e["seq"] != float64(7) || e["clock_ms"] != float64(845000) || e["kind"] != "skip" {
		t.Errorf("log message = %v, want room-a seq 7 at 845000 ms", m)
	}
	hs.s.RoomChanged("Room A")
	if m := readMsg(t, pat); m["type"] != "room" {
		t.Errorf("patient got %v, want the room change and no log", m)
	}
}

// Signing out, and deleting a user, close the WebSockets their logins
// opened: an ended login does not live on in an open connection.
func TestServeWS_SignOutClosesConnections(t *testing.T) {
	hs := newHarness(t, nil)
	mine, _ := hs.connect(t, "ther-token")
	other, _ := hs.connect(t, "admin-token")

	req, _ := http.NewRequest(http.MethodPost, hs.ts.URL+"/api/logout", nil)
	req.Header.Set("Authorization", "Bearer ther-token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("logout: %s, want 204", resp.Status)
	}
	if m := readType(t, mine, "bye"); m["reason"] != byeSignedOut {
		t.Errorf("the signed-out login's connection: %v, want bye %q", m, byeSignedOut)
	}
	send(t, other, `{"id":"p1","type":"ping"}`)
	if m := readType(t, other, "ack"); m["id"] != "p1" {
		t.Errorf("another login's connection: %v, want it open (ack p1)", m)
	}

	// Deleting the user closes all of the user's connections.
	hs.s.hub.signOutUser("ada")
	if m := readType(t, other, "bye"); m["reason"] != byeSignedOut {
		t.Errorf("after the user's logins ended: %v, want bye %q", m, byeSignedOut)
	}
}
