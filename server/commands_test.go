package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"attune/player/room"
	"attune/player/session"
	"attune/server/auth"
)

var (
	therapist = Caller{Role: auth.Therapist, Name: "dana", Device: "browser"}
	admin     = Caller{Role: auth.Admin, Name: "ada", Device: "browser"}
	patientA  = Caller{Role: auth.Patient, Room: "room-a", SessionID: 3, Device: "iPad"}
)

func TestServer_exec(t *testing.T) {
	who := session.Who{Role: "therapist", Device: "browser"}
	for _, tc := range []struct {
		name   string
		c      Caller
		typ    string
		room   string
		args   string
		code   string          // the error's code; "" for success
		want   session.Command // what room-a's Do got, when it succeeded
		noRoom bool            // success without a session command
	}{
		{name: "unknown", c: therapist, typ: "fly", room: "room-a", code: CodeUnknownType},
		{name: "anonymous", c: Caller{}, typ: "pause", room: "room-a", code: CodeUnauthorized},
		{name: "ping", c: patientA, typ: "ping", noRoom: true},
		{name: "ping args", c: patientA, typ: "ping", args: `{"x":1}`, code: CodeBadRequest},
		{name: "no room", c: therapist, typ: "pause", code: CodeBadRequest},
		{name: "unknown room", c: therapist, typ: "pause", room: "room-z", code: CodeNotFound},

		{name: "dose", c: therapist, typ: "dose", room: "room-a", want: session.Command{Kind: "dose", Who: who}},
		{name: "dose back", c: therapist, typ: "dose", room: "room-a", args: `{"back_s":600}`, want: session.Command{Kind: "dose", Back: 10 * time.Minute, Who: who}},
		{name: "dose too far back", c: therapist, typ: "dose", room: "room-a", args: `{"back_s":1801}`, code: CodeBadRequest},
		{name: "dose negative", c: therapist, typ: "dose", room: "room-a", args: `{"back_s":-1}`, code: CodeBadRequest},
		{name: "dose fraction", c: therapist, typ: "dose", room: "room-a", args: `{"back_s":1.5}`, code: CodeBadRequest},
		{name: "dose by patient", c: patientA, typ: "dose", code: CodeForbidden},
		{name: "onset", c: therapist, typ: "onset", room: "room-a", want: session.Command{Kind: "onset", Who: who}},
		{name: "onset args", c: therapist, typ: "onset", room: "room-a", args: `{"now":true}`, code: CodeBadRequest},
		{name: "extend", c: therapist, typ: "extend", room: "room-a", args: `{"phase":"journey","by_s":300}`, want: session.Command{Kind: "extend", Phase: "journey", By: 5 * time.Minute, Who: who}},
		{name: "shorten", c: therapist, typ: "shorten", room: "room-a", args: `{"phase":"return","by_s":60}`, want: session.Command{Kind: "shorten", Phase: "return", By: time.Minute, Who: who}},
		{name: "extend no phase", c: therapist, typ: "extend", room: "room-a", args: `{"by_s":300}`, code: CodeBadRequest},
		{name: "extend arrival", c: therapist, typ: "extend", room: "room-a", args: `{"phase":"arrival","by_s":300}`, code: CodeBadRequest},
		{name: "extend by 0", c: therapist, typ: "extend", room: "room-a", args: `{"phase":"journey","by_s":0}`, code: CodeBadRequest},
		{name: "extend too long", c: therapist, typ: "extend", room: "room-a", args: `{"phase":"journey","by_s":7201}`, code: CodeBadRequest},
		{name: "extend by text", c: therapist, typ: "extend", room: "room-a", args: `{"phase":"journey","by_s":"5m"}`, code: CodeBadRequest},
		{name: "jump", c: therapist, typ: "jump", room: "room-a", args: `{"phase":"integration"}`, want: session.Command{Kind: "jump", Phase: "integration", Who: who}},
		{name: "jump by", c: therapist, typ: "jump", room: "room-a", args: `{"phase":"integration","by_s":3}`, code: CodeBadRequest},
		{name: "pause", c: therapist, typ: "pause", room: "room-a", want: session.Command{Kind: "pause", Who: who}},
		{name: "resume", c: therapist, typ: "resume", room: "room-a", want: session.Command{Kind: "resume", Who: who}},
		{name: "skip", c: therapist, typ: "skip", room: "room-a", want: session.Command{Kind: "skip", Who: who}},
		{name: "skip args", c: therapist, typ: "skip", room: "room-a", args: `{"to":2}`, code: CodeBadRequest},
		{name: "softer", c: therapist, typ: "softer", room: "room-a", want: session.Command{Kind: "volume", DB: -3, Relative: true, Who: who}},
		{name: "louder patient", c: patientA, typ: "louder", want: session.Command{Kind: "volume", DB: 3, Relative: true, Who: session.Who{Role: "patient", Device: "iPad"}}},
		{name: "volume", c: therapist, typ: "volume", room: "room-a", args: `{"db":-20.5}`, want: session.Command{Kind: "volume", DB: -20.5, Who: who}},
		{name: "volume missing", c: therapist, typ: "volume", room: "room-a", code: CodeBadRequest},
		{name: "volume positive", c: therapist, typ: "volume", room: "room-a", args: `{"db":1}`, code: CodeBadRequest},
		{name: "volume too low", c: therapist, typ: "volume", room: "room-a", args: `{"db":-81}`, code: CodeBadRequest},
		{name: "volume by patient", c: patientA, typ: "volume", args: `{"db":-10}`, code: CodeForbidden},
		{name: "quiet", c: patientA, typ: "quiet", args: `{"on":true}`, want: session.Command{Kind: "quiet", On: true, Who: session.Who{Role: "patient", Device: "iPad"}}},
		{name: "quiet missing", c: therapist, typ: "quiet", room: "room-a", code: CodeBadRequest},
		{name: "quiet text", c: therapist, typ: "quiet", room: "room-a", args: `{"on":"yes"}`, code: CodeBadRequest},
		{name: "patient other room", c: patientA, typ: "pause", room: "room-b", code: CodeForbidden},
		{name: "patient unknown room", c: patientA, typ: "pause", room: "room-z", code: CodeForbidden},
		{name: "end", c: therapist, typ: "end", room: "room-a", args: `{"why":"done"}`, want: session.Command{Kind: "end", Why: "done", Who: who}},
		{name: "end why too long", c: therapist, typ: "end", room: "room-a", args: `{"why":"` + strings.Repeat("x", 501) + `"}`, code: CodeBadRequest},
		{name: "end by patient", c: patientA, typ: "end", code: CodeForbidden},

		{name: "titles", c: therapist, typ: "titles", room: "room-a", args: `{"on":true}`, noRoom: true},
		{name: "titles missing", c: therapist, typ: "titles", room: "room-a", args: `{}`, code: CodeBadRequest},
		{name: "titles by patient", c: patientA, typ: "titles", args: `{"on":true}`, code: CodeForbidden},
		{name: "output volume", c: therapist, typ: "output_volume", room: "room-a", args: `{"output":"headphones","db":-6}`, noRoom: true},
		{name: "output volume unknown", c: therapist, typ: "output_volume", room: "room-a", args: `{"output":"attic","db":-6}`, code: CodeNotFound},
		{name: "output volume range", c: therapist, typ: "output_volume", room: "room-a", args: `{"output":"headphones","db":-61}`, code: CodeBadRequest},
		{name: "output volume no name", c: therapist, typ: "output_volume", room: "room-a", args: `{"db":-6}`, code: CodeBadRequest},
		{name: "patient range", c: therapist, typ: "patient_range", room: "room-a", args: `{"min_db":-40,"max_db":-10}`, noRoom: true},
		{name: "patient range inverted", c: therapist, typ: "patient_range", room: "room-a", args: `{"min_db":-10,"max_db":-40}`, code: CodeBadRequest},
		{name: "patient range half", c: therapist, typ: "patient_range", room: "room-a", args: `{"min_db":-10}`, code: CodeBadRequest},
		{name: "patient range positive", c: therapist, typ: "patient_range", room: "room-a", args: `{"min_db":-10,"max_db":3}`, code: CodeBadRequest},
		{name: "ceiling admin", c: admin, typ: "ceiling", room: "room-a", args: `{"db":-3}`, noRoom: true},
		{name: "ceiling therapist", c: therapist, typ: "ceiling", room: "room-a", args: `{"db":-3}`, code: CodeForbidden},
		{name: "ceiling 0", c: admin, typ: "ceiling", room: "room-a", args: `{"db":0}`, code: CodeBadRequest},
		{name: "ceiling too low", c: admin, typ: "ceiling", room: "room-a", args: `{"db":-61}`, code: CodeBadRequest},
		{name: "start", c: therapist, typ: "start", room: "room-a", args: `{"playlist":"Plain"}`, noRoom: true},
		{name: "start no playlist", c: therapist, typ: "start", room: "room-a", args: `{}`, code: CodeBadRequest},
		{name: "start unknown playlist", c: therapist, typ: "start", room: "room-a", args: `{"playlist":"Nope"}`, code: CodeNotFound},
		{name: "start unknown profile", c: therapist, typ: "start", room: "room-a", args: `{"playlist":"Plain","profile":"oral"}`, code: CodeNotFound},
		{name: "start by patient", c: patientA, typ: "start", args: `{"playlist":"Plain"}`, code: CodeForbidden},
		{name: "pair", c: therapist, typ: "pair", room: "room-a", noRoom: true},
		{name: "pair by patient", c: patientA, typ: "pair", code: CodeForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hs := newHarness(t, nil)
			_, e := hs.s.exec(context.Background(), tc.c, Command{Type: tc.typ, Room: tc.room, Args: json.RawMessage(tc.args)})
			cmds := hs.a.commands()
			switch {
			case tc.code != "":
				if e == nil || e.Code != tc.code {
					t.Fatalf("exec = %v, want %s", e, tc.code)
				}
				if len(cmds) != 0 {
					t.Errorf("room-a got %+v after an error, want nothing", cmds)
				}
			case e != nil:
				t.Fatalf("exec = %v, want success", e)
			case tc.noRoom:
				if len(cmds) != 0 {
					t.Errorf("room-a got %+v, want no session command", cmds)
				}
			case len(cmds) != 1 || cmds[0] != tc.want:
				t.Errorf("room-a got %+v, want %+v", cmds, tc.want)
			}
			if got := hs.b.commands(); len(got) != 0 {
				t.Errorf("room-b got %+v, want nothing", got)
			}
		})
	}
}

func TestServer_execSettings(t *testing.T) {
	hs := newHarness(t, nil)
	ctx := context.Background()
	run := func(c Caller, typ, args string) any {
		t.Helper()
		res, e := hs.s.exec(ctx, c, Command{Type: typ, Room: "room-a", Args: json.RawMessage(args), origin: "http://attune.lan:8480"})
		if e != nil {
			t.Fatalf("%s %s: %v", typ, args, e)
		}
		return res
	}
	run(therapist, "output_volume", `{"output":"headphones","db":-6}`)
	run(therapist, "patient_range", `{"min_db":-40,"max_db":-10}`)
	run(therapist, "titles", `{"on":true}`)
	run(admin, "ceiling", `{"db":-3}`)
	st := hs.a.State()
	if hs.a.trims["headphones"] != -6 || st.PatientMinDB != -40 || st.PatientMaxDB != -10 || !st.ShowTitles || st.CeilingDB != -3 {
		t.Errorf("room-a: trims %v, state %+v; want headphones -6, range -40…-10, titles, ceiling -3", hs.a.trims, st)
	}

	run(therapist, "start", `{"playlist":"Gentle arc"}`)
	run(therapist, "start", `{"playlist":"Plain"}`)
	run(therapist, "start", `{"playlist":"Plain","profile":"sublingual"}`)
	want := []string{"Gentle arc/intramuscular", "Plain/intranasal", "Plain/sublingual"}
	if got := strings.Join(hs.a.started, ","); got != strings.Join(want, ",") {
		t.Errorf("starts = %s, want %s (the playlist's profile, else the default)", got, strings.Join(want, ","))
	}
	// The onset and effect the preview showed carry into the session.
	run(therapist, "start", `{"playlist":"Plain","onset_ms":660000,"effect_ms":2400000}`)
	if b := hs.a.planned; b.Onset != 11*time.Minute || b.EffectEnd != 51*time.Minute {
		t.Errorf("start with onset_ms 660000, effect_ms 2400000: planned %+v, want onset 11m, effect end 51m", b)
	}
	if _, e := hs.s.exec(ctx, therapist, Command{Type: "start", Room: "room-a", Args: json.RawMessage(`{"playlist":"Plain","onset_ms":60000}`)}); e == nil || e.Code != CodeBadRequest {
		t.Errorf("start with the onset outside the window: got %v, want bad_request", e)
	}

	pr, ok := run(therapist, "pair", "").(*PairResult)
	if !ok || pr.Code != "123456" || pr.URL != "http://attune.lan:8480/pair" || !strings.HasPrefix(pr.QR, "data:image/png;base64,") {
		t.Errorf("pair = %+v, want code 123456, url http://attune.lan:8480/pair and a PNG data URL", pr)
	}
	if got := strings.Join(hs.auth.codes, ","); got != "room-a/3" {
		t.Errorf("pairing codes for %s, want room-a/3", got)
	}

	hs.auth.failEnds = true // the end stands even when the tablets' grants cannot be ended
	run(therapist, "end", "")
	if got := strings.Join(hs.auth.ended, ","); got != "room-a/3" {
		t.Errorf("EndSession for %s, want room-a/3", got)
	}

	hs.a.err = session.ErrNoSession
	if _, e := hs.s.exec(ctx, therapist, Command{Type: "pause", Room: "room-a"}); e == nil || e.Code != CodeConflict || !strings.Contains(e.Message, `pause in "Room A"`) {
		t.Errorf("pause without a session = %v, want conflict naming the command and room", e)
	}
	hs.a.err = errors.New("engine on fire")
	if _, e := hs.s.exec(ctx, therapist, Command{Type: "pause", Room: "room-a"}); e == nil || e.Code != CodeInternal || strings.Contains(e.Message, "fire") {
		t.Errorf("pause failing inside = %v, want internal without the detail", e)
	}
}

// do sends an HTTP request as token from the server's own origin.
func (hs *harness) do(t testing.TB, method, path, token, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, hs.ts.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Origin", hs.ts.URL)
	switch {
	case strings.HasPrefix(token, "pat-"):
		req.Header.Set("Cookie", PatientCookie+"="+token)
	case token != "":
		req.Header.Set("Cookie", StaffCookie+"="+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(b, &m) // a stream is not JSON
	return resp.StatusCode, m
}

func TestServer_liveRoutes(t *testing.T) {
	hs := newHarness(t, nil)
	if code, m := hs.do(t, "GET", "/api/rooms", "ther-token", ""); code != 200 || len(m["rooms"].([]any)) != 2 {
		t.Errorf("GET /api/rooms = %d %v, want 2 rooms", code, m)
	}
	if code, m := hs.do(t, "GET", "/api/rooms/room-a", "pat-a", ""); code != 200 || m["can_louder"] != true || m["outputs"] != nil {
		t.Errorf("GET /api/rooms/room-a as its patient = %d %v, want the patient view", code, m)
	}
	if code, m := hs.do(t, "GET", "/api/rooms/room-a", "admin-token", ""); code != 200 || m["session"].(map[string]any)["clock_ms"] != float64(845000) {
		t.Errorf("GET /api/rooms/room-a as admin = %d %v, want the staff view", code, m)
	}
	if code, _ := hs.do(t, "GET", "/api/rooms/room-b", "pat-a", ""); code != http.StatusForbidden {
		t.Errorf("GET another room as a patient = %d, want 403", code)
	}

	// PATCH validates everything before changing anything.
	if code, _ := hs.do(t, "PATCH", "/api/rooms/room-a", "admin-token", `{"ceiling_db":-4,"trims":{"attic":-3}}`); code != http.StatusNotFound {
		t.Errorf("PATCH with an unknown output = %d, want 404", code)
	}
	if code, _ := hs.do(t, "PATCH", "/api/rooms/room-a", "admin-token", `{"ceiling_db":-4,"patient_min_db":-2}`); code != http.StatusBadRequest {
		t.Errorf("PATCH with min above max = %d, want 400", code)
	}
	if _, n := hs.a.trimOf(""); hs.a.State().CeilingDB != -1 || n != 0 {
		t.Errorf("after refused PATCHes: ceiling %v, %d trims; want unchanged", hs.a.State().CeilingDB, n)
	}
	code, m := hs.do(t, "PATCH", "/api/rooms/room-a", "admin-token", `{"ceiling_db":-4,"patient_max_db":-8,"trims":{"speakers":-2}}`)
	if trim, _ := hs.a.trimOf("speakers"); code != 200 || m["ceiling_db"] != float64(-4) || m["patient_max_db"] != float64(-8) || m["patient_min_db"] != float64(-30) || trim != -2 {
		t.Errorf("PATCH = %d %v, speakers %v; want ceiling -4, range -30…-8, speakers -2", code, m, trim)
	}
	if code, _ := hs.do(t, "PATCH", "/api/rooms/room-a", "ther-token", `{"ceiling_db":-4}`); code != http.StatusForbidden {
		t.Errorf("PATCH as therapist = %d, want 403", code)
	}

	if code, m := hs.do(t, "POST", "/api/rooms/room-a/session", "ther-token", `{"playlist":"Plain"}`); code != 200 || m["ok"] != true {
		t.Errorf("POST session = %d %v, want ok", code, m)
	}
	if code, m := hs.do(t, "POST", "/api/rooms/room-a/session", "ther-token", `{"playlist":"Plain","colour":1}`); code != 400 {
		t.Errorf("POST session with an unknown field = %d %v, want 400", code, m)
	}
	if code, m := hs.do(t, "POST", "/api/rooms/room-a/commands", "pat-a", `{"id":"h1","type":"skip"}`); code != 200 || m["ok"] != true || m["id"] != "h1" {
		t.Errorf("POST skip as the patient = %d %v, want ok", code, m)
	}
	if code, _ := hs.do(t, "POST", "/api/rooms/room-a/commands", "pat-a", `{"type":"volume","args":{"db":-1}}`); code != http.StatusForbidden {
		t.Errorf("POST volume as the patient = %d, want 403", code)
	}
	if code, _ := hs.do(t, "POST", "/api/rooms/room-a/commands", "ther-token", `{"type":"pause","room":"room-b"}`); code != http.StatusBadRequest {
		t.Errorf("POST with another room in the body = %d, want 400", code)
	}
	if got := hs.a.commands(); len(got) != 1 || got[0].Kind != session.KindSkip {
		t.Errorf("room-a got %+v, want one skip", got)
	}
	code, m = hs.do(t, "POST", "/api/rooms/room-b/pairing", "ther-token", "")
	if res, _ := m["result"].(map[string]any); code != 200 || res["code"] != "123456" || !strings.HasPrefix(res["qr"].(string), "data:image/png") {
		t.Errorf("POST pairing = %d %v, want a code and a QR", code, m)
	}
	if code, _ := hs.do(t, "POST", "/api/rooms/room-z/pairing", "ther-token", ""); code != http.StatusNotFound {
		t.Errorf("POST pairing for no room = %d, want 404", code)
	}
}

func TestServer_getStream(t *testing.T) {
	hs := newHarness(t, nil)
	if code, _ := hs.do(t, "GET", "/rooms/room-a/stream.mp3", "pat-a", ""); code != http.StatusServiceUnavailable {
		t.Errorf("stream of a room without one = %d, want 503", code)
	}
	var during float64
	hs.b.stream = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		during = gauge(t, hs.s.d.Metrics.Listeners.WithLabelValues("room-b"))
		_, _ = w.Write([]byte("ID3"))
	})
	if code, _ := hs.do(t, "GET", "/rooms/room-b/stream.mp3", "pat-b", ""); code != 200 {
		t.Errorf("stream = %d, want 200", code)
	}
	if after := gauge(t, hs.s.d.Metrics.Listeners.WithLabelValues("room-b")); during != 1 || after != 0 {
		t.Errorf("listeners during/after = %v/%v, want 1/0", during, after)
	}
}

func TestServeWS_SessionCommandsUpdateViews(t *testing.T) {
	hs := newHarness(t, nil)
	ther, _ := hs.connect(t, "ther-token")
	pat, _ := hs.connect(t, "pat-a")
	hs.a.set(func(st *room.State) { st.ShowTitles, st.VolumeDB = true, -6 })
	send(t, ther, `{"id":"t1","type":"titles","room":"room-a","args":{"on":true}}`)
	r := readType(t, pat, "room")["room"].(map[string]any)
	if r["title"] != "Open Sky" || r["can_louder"] != false || r["can_softer"] != true {
		t.Errorf("patient view = %v, want the title and no louder at the top of the range", r)
	}
	_ = ther.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
}
