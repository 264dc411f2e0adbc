package room_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"attune/player/room"
)

// The room's stream serves listeners, and State counts them.
func TestRoom_Stream(t *testing.T) {
	f := newFixture(t, t.TempDir(), func(c *room.Config) {
		c.Rate = 48000
		c.Outputs = append(c.Outputs, room.Output{Name: "stream", Type: room.TypeStream, Bitrate: 128, Optional: true})
	})
	st := f.room.State()
	if o := st.Outputs[2]; o.Status == room.StatusOff {
		if strings.Contains(o.Err, "libmp3lame") {
			t.Skipf("skipping: no MP3 encoder on this machine: %s", o.Err)
		}
		t.Fatalf("stream output: %+v", o)
	}
	h := f.room.Stream()
	if h == nil {
		t.Fatal("Stream() is nil for a room with a stream output")
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if _, err := io.ReadFull(resp.Body, make([]byte, 1024)); err != nil {
		t.Fatalf("read the stream: %v", err)
	}
	got := f.waitState(t, "one listener", func(s room.State) bool { return s.Outputs[2].Listeners == 1 })
	if n := f.room.Listeners(); n != 1 {
		t.Errorf("Listeners() = %d, want 1", n)
	}
	if got.Outputs[0].Listeners != 0 {
		t.Errorf("the speaker has %d listeners", got.Outputs[0].Listeners)
	}
	cancel()
	f.waitState(t, "no listener", func(s room.State) bool { return s.Outputs[2].Listeners == 0 })
}

// State's JSON names are snake_case, for the server to pass through.
func TestState_JSON(t *testing.T) {
	f := newFixture(t, t.TempDir(), nil)
	b, err := json.Marshal(f.room.State())
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"room":"Room 1"`, `"volume_db":-12`, `"patient_min_db":-30`, `"show_titles":false`,
		`"outputs":[{"name":"speaker","type":"speaker","trim_db":0,"status":"ok"`, `"session":null`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("State as JSON lacks %s:\n%s", key, b)
		}
	}
}
