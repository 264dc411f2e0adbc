package server

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// The WebSocket half of the role matrix: every command type of
// docs/protocol.md's table × the five callers, over a real connection.

// wsCommand is one command type with valid arguments and who may send it.
type wsCommand struct {
	typ     string
	args    map[string]any
	allowed []callerKind
}

// wsCommands follows the protocol's command table. Patients send their
// commands to Room A, so patient B is refused them.
func wsCommands() []wsCommand {
	return []wsCommand{
		{"start", map[string]any{"playlist": "Gentle", "profile": "intranasal"}, staffers},
		{"dose", map[string]any{"back_s": 0}, staffers},
		{"onset", nil, staffers},
		{"extend", map[string]any{"phase": "journey", "by_s": 60}, staffers},
		{"shorten", map[string]any{"phase": "journey", "by_s": 60}, staffers},
		{"jump", map[string]any{"phase": "return"}, staffers},
		{"pause", nil, inRoomA},
		{"resume", nil, inRoomA},
		{"skip", nil, inRoomA},
		{"softer", nil, inRoomA},
		{"louder", nil, inRoomA},
		{"volume", map[string]any{"db": -20}, staffers},
		{"quiet", map[string]any{"on": true}, inRoomA},
		{"output_volume", map[string]any{"output": "speakers", "db": -6}, staffers},
		{"patient_range", map[string]any{"min_db": -30, "max_db": -6}, staffers},
		{"titles", map[string]any{"on": true}, staffers},
		{"ceiling", map[string]any{"db": -3}, admins},
		{"pair", nil, staffers},
		{"end", map[string]any{"why": "matrix"}, staffers},
		{"ping", nil, anySigned},
	}
}

// wsReply is the part of a server message the matrix reads.
type wsReply struct {
	Type    string `json:"type"`
	ID      string `json:"id"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

func TestServer_wsRoleMatrix(t *testing.T) {
	f := newMatrixFixture(t)
	for mode, bearer := range []bool{false, true} {
		how := map[bool]string{false: "cookie", true: "bearer"}[bearer]
		for _, k := range allCallers {
			t.Run(fmt.Sprintf("%s/%s", k, how), func(t *testing.T) {
				f.t = t
				h := http.Header{remoteHeader: {fmt.Sprintf("192.0.2.%d:40000", 50+10*mode+int(k))}}
				f.authorize(h, k, bearer)
				conn, resp, err := websocket.DefaultDialer.Dial(f.wsURL(), h)
				if k == asAnonymous {
					if conn != nil {
						_ = conn.Close()
						t.Fatalf("anonymous upgrade succeeded, want 401")
					}
					if resp == nil || resp.StatusCode != http.StatusUnauthorized {
						t.Fatalf("anonymous upgrade: got %v (%v), want 401", respStatus(resp), err)
					}
					return
				}
				if err != nil {
					t.Fatalf("upgrade as %s: %v (status %v)", k, err, respStatus(resp))
				}
				defer conn.Close()
				for i, cmd := range wsCommands() {
					id := fmt.Sprintf("c%d", i)
					msg := map[string]any{"id": id, "type": cmd.typ, "room": roomA}
					if cmd.typ == "ping" {
						delete(msg, "room") // not a room's command
					}
					if cmd.args != nil {
						msg["args"] = cmd.args
					}
					if err := conn.WriteJSON(msg); err != nil {
						t.Fatalf("send %s: %v", cmd.typ, err)
					}
					rep := readReply(t, conn, id)
					switch allowed := slices.Contains(cmd.allowed, k); {
					case allowed && rep.Type != "ack":
						t.Errorf("%s as %s: got %s %s %q, want ack", cmd.typ, k, rep.Type, rep.Code, rep.Message)
					case !allowed && (rep.Type != "error" || rep.Code != CodeForbidden):
						t.Errorf("%s as %s: got %s %s %q, want error forbidden", cmd.typ, k, rep.Type, rep.Code, rep.Message)
					}
				}
				if k == asPatientA || k == asPatientB {
					// A patient may leave the room out: it means its own.
					if err := conn.WriteJSON(map[string]any{"id": "own", "type": "skip"}); err != nil {
						t.Fatalf("send skip: %v", err)
					}
					if rep := readReply(t, conn, "own"); rep.Type != "ack" {
						t.Errorf("skip without a room as %s: got %s %s %q, want ack", k, rep.Type, rep.Code, rep.Message)
					}
				}
			})
		}
	}
}

// readReply reads messages until the ack or error carrying id; room, log
// and hello messages in between are skipped.
func readReply(t testing.TB, conn *websocket.Conn, id string) wsReply {
	t.Helper()
	// A guard against a hang, not a timing assertion.
	if err := conn.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatalf("set read deadline: %v", err)
	}
	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			t.Fatalf("read the reply to %s: %v", id, err)
		}
		var r wsReply
		if err := json.Unmarshal(data, &r); err != nil {
			t.Fatalf("server sent malformed JSON %q: %v", data, err)
		}
		if (r.Type == "ack" || r.Type == "error") && r.ID == id {
			return r
		}
	}
}

func TestServer_wsCrossOrigin(t *testing.T) {
	f := newMatrixFixture(t, func(d *Deps) { d.Origins = []string{"https://console.clinic.lan"} })
	cases := []struct {
		name, origin string
		want         int
	}{
		{"another site", "https://evil.example", http.StatusForbidden},
		{"no Origin with a cookie", "", http.StatusForbidden},
		{"a configured origin", "https://console.clinic.lan", http.StatusSwitchingProtocols},
		{"the server's own origin", "self", http.StatusSwitchingProtocols},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			h.Add("Cookie", (&http.Cookie{Name: StaffCookie, Value: f.token(asTherapist)}).String())
			switch tc.origin {
			case "self":
				h.Set("Origin", f.ts.URL)
			case "":
			default:
				h.Set("Origin", tc.origin)
			}
			conn, resp, err := websocket.DefaultDialer.Dial(f.wsURL(), h)
			if conn != nil {
				_ = conn.Close()
			}
			if resp == nil {
				t.Fatalf("dial: %v", err)
			}
			body := bodyOf(resp)
			if resp.StatusCode != tc.want {
				t.Errorf("upgrade from %q: got %d %s, want %d", tc.origin, resp.StatusCode, body, tc.want)
			}
		})
	}
}

func respStatus(resp *http.Response) any {
	if resp == nil {
		return "no response"
	}
	return resp.StatusCode
}

func bodyOf(resp *http.Response) []byte {
	b, _ := io.ReadAll(resp.Body) // a short read only shortens the failure message
	return b
}
