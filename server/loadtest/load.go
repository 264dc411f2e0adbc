// Package loadtest puts a running attune daemon under the load of a busy
// clinic and measures how it holds up: WebSocket clients connected, stream
// listeners, a steady rate of control commands (cmd/attune-load is its
// command line). It talks only to loopback addresses.
package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// Config is one load run.
type Config struct {
	Addr           string // host:port of the daemon; a loopback address
	User, Password string
	Room           string // room id; "" for the first room
	// Playlist is started when the room has no session; "" for the first
	// playlist, "-" for none (the commands need no session).
	Playlist  string
	Clients   int
	Listeners int
	Rate      float64 // commands per second
	Duration  time.Duration
	Progress  io.Writer // one line now and then; nil for none
}

// Run connects the clients and listeners, sends commands at cfg.Rate for
// cfg.Duration, and reports what it measured.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := checkLoopback(cfg.Addr); err != nil {
		return nil, err
	}
	if cfg.Clients < 1 || cfg.Rate <= 0 || cfg.Duration <= 0 {
		return nil, errors.New("want at least one client, a positive rate and a positive duration")
	}
	base := "http://" + cfg.Addr
	hc := &http.Client{Timeout: 10 * time.Second}
	token, err := login(ctx, hc, base, cfg.User, cfg.Password)
	if err != nil {
		return nil, err
	}
	api := apiClient{hc: hc, base: base, token: token}
	room, err := api.prepareRoom(ctx, cfg.Room, cfg.Playlist)
	if err != nil {
		return nil, err
	}

	// Underruns are counted from before the first connection.
	start, err := api.metrics(ctx)
	if err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	rec := newRecorder()
	var wg sync.WaitGroup
	defer wg.Wait()

	// Listeners first: they must hear the whole run.
	listeners := make([]*listener, cfg.Listeners)
	for i := range listeners {
		l := &listener{}
		listeners[i] = l
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.run(runCtx, base+"/rooms/"+url.PathEscape(room)+"/stream.mp3", token)
		}()
	}
	clients := make([]*wsClient, cfg.Clients)
	for i := range clients {
		c, err := dial(runCtx, cfg.Addr, token, rec)
		if err != nil {
			cancel()
			for _, c := range clients[:i] {
				c.close()
			}
			return nil, fmt.Errorf("connect WebSocket client %d of %d: %w", i+1, cfg.Clients, err)
		}
		clients[i] = c
		wg.Add(1)
		go func() { defer wg.Done(); c.read() }()
	}
	progress(cfg.Progress, "%d clients connected, %d listeners; sending %g commands/s for %s", cfg.Clients, cfg.Listeners, cfg.Rate, cfg.Duration)
	// Memory is compared from here, with every connection open: flat
	// means the load itself leaves nothing behind.
	before, err := api.metrics(ctx)
	if err != nil {
		cancel()
		for _, c := range clients {
			c.close()
		}
		return nil, err
	}

	began := time.Now()
	sent := sendCommands(runCtx, clients[:min(len(clients), senders)], room, cfg, rec)
	// Let the last pushes arrive.
	time.Sleep(500 * time.Millisecond)
	elapsed := time.Since(began)
	after, err := api.metrics(ctx)
	cancel()
	for _, c := range clients {
		c.close()
	}
	wg.Wait()
	if err != nil {
		return nil, err
	}

	r := &Report{
		Clients: cfg.Clients, Listeners: cfg.Listeners, Rate: cfg.Rate, Duration: elapsed.Round(time.Millisecond).String(),
		Sent: sent,
	}
	r.fill(rec, clients, listeners, start, before, after, elapsed)
	return r, nil
}

// checkLoopback refuses addresses that are not this machine's.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("address %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("address %q is not a loopback address: attune-load only loads this machine's daemon", addr)
	}
	return nil
}

func progress(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, "attune-load: "+format+"\n", args...)
	}
}

func login(ctx context.Context, hc *http.Client, base, user, password string) (string, error) {
	body, _ := json.Marshal(map[string]any{"name": user, "password": password, "bearer": true})
	var out struct {
		Token string `json:"token"`
	}
	if err := doJSON(ctx, hc, http.MethodPost, base+"/api/login", "", body, &out); err != nil {
		return "", fmt.Errorf("sign in as %q: %w", user, err)
	}
	return out.Token, nil
}

type apiClient struct {
	hc          *http.Client
	base, token string
}

// prepareRoom picks the room and makes sure it has a session to steer.
func (a apiClient) prepareRoom(ctx context.Context, room, playlist string) (string, error) {
	var list struct {
		Rooms []struct {
			ID      string          `json:"id"`
			Session json.RawMessage `json:"session"`
		} `json:"rooms"`
	}
	if err := doJSON(ctx, a.hc, http.MethodGet, a.base+"/api/rooms", a.token, nil, &list); err != nil {
		return "", fmt.Errorf("list rooms: %w", err)
	}
	rooms := list.Rooms
	i := 0
	if room != "" {
		for i = 0; i < len(rooms) && rooms[i].ID != room; i++ {
		}
	}
	if i >= len(rooms) {
		return "", fmt.Errorf("no room %q", room)
	}
	room = rooms[i].ID
	if s := rooms[i].Session; len(s) > 0 && string(s) != "null" || playlist == "-" {
		return room, nil
	}
	if playlist == "" {
		var pl struct {
			Playlists []struct {
				Name string `json:"name"`
			} `json:"playlists"`
		}
		if err := doJSON(ctx, a.hc, http.MethodGet, a.base+"/api/playlists", a.token, nil, &pl); err != nil {
			return "", fmt.Errorf("list playlists: %w", err)
		}
		pls := pl.Playlists
		if len(pls) == 0 {
			return "", errors.New("the room has no session and there are no playlists to start one (run attune serve --demo)")
		}
		playlist = pls[0].Name
	}
	body, _ := json.Marshal(map[string]string{"playlist": playlist})
	if err := doJSON(ctx, a.hc, http.MethodPost, a.base+"/api/rooms/"+url.PathEscape(room)+"/session", a.token, body, nil); err != nil {
		return "", fmt.Errorf("start a session of %q in %s: %w", playlist, room, err)
	}
	return room, nil
}

// metrics reads the figures the report compares before and after.
func (a apiClient) metrics(ctx context.Context) (promFigures, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.base+"/metrics", nil)
	if err != nil {
		return promFigures{}, err
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	resp, err := a.hc.Do(req)
	if err != nil {
		return promFigures{}, fmt.Errorf("read /metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return promFigures{}, fmt.Errorf("read /metrics: %s", resp.Status)
	}
	return parseProm(resp.Body)
}

func doJSON(ctx context.Context, hc *http.Client, method, u, token string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		if json.Unmarshal(b, &e) == nil && e.Error.Message != "" {
			return fmt.Errorf("%s: %s", e.Error.Code, e.Error.Message)
		}
		return errors.New(resp.Status)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(b, out)
}

// senders is how many of the clients send the commands, round robin: one
// connection may send only 20 commands a second (docs/protocol.md).
const senders = 5

// sendCommands sends patient_range commands (they change the room's state,
// so every client gets a push, and nothing the room hears) at cfg.Rate
// until cfg.Duration is over; each command's min_db is unique among the
// ones in flight so a push can be matched to the command that caused it.
func sendCommands(ctx context.Context, cs []*wsClient, room string, cfg Config, rec *recorder) int {
	tick := time.NewTicker(time.Duration(float64(time.Second) / cfg.Rate))
	defer tick.Stop()
	end := time.After(cfg.Duration)
	n := 0
	for {
		select {
		case <-ctx.Done():
			return n
		case <-end:
			return n
		case <-tick.C:
		}
		v := -40 + float64(n%200)*0.05 // 200 values: 4 s at 50/s
		v = float64(int(v*100)) / 100
		id := "l" + strconv.Itoa(n)
		rec.sent(id, v, time.Now())
		msg, _ := json.Marshal(map[string]any{"id": id, "type": "patient_range", "room": room,
			"args": map[string]float64{"min_db": v, "max_db": -6}})
		if err := cs[n%len(cs)].write(msg); err != nil {
			return n
		}
		n++
	}
}

// wsClient is one WebSocket client; read runs on its own goroutine.
type wsClient struct {
	conn   *websocket.Conn
	rec    *recorder
	wmu    sync.Mutex
	pushes atomic.Int64
	closed atomic.Bool
	lost   atomic.Bool // the server closed it while the run was on
}

func dial(ctx context.Context, addr, token string, rec *recorder) (*wsClient, error) {
	h := http.Header{"Authorization": {"Bearer " + token}}
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
	conn, resp, err := d.DialContext(ctx, "ws://"+addr+"/ws", h)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("%w (%s)", err, resp.Status)
		}
		return nil, err
	}
	return &wsClient{conn: conn, rec: rec}, nil
}

func (c *wsClient) write(msg []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return c.conn.WriteMessage(websocket.TextMessage, msg)
}

func (c *wsClient) close() {
	c.closed.Store(true)
	c.conn.Close()
}

// read records acks and room pushes until the connection ends. Room
// messages are tens of kilobytes and come fifty times a second to every
// client: decoding them in full would make the load tool, on the same
// cores, the bottleneck it measures, so it looks only for the one figure.
func (c *wsClient) read() {
	roomPrefix := []byte(`{"type":"room"`)
	var buf bytes.Buffer // reused: the tool's own garbage would load the cores it measures
	for {
		_, r, err := c.conn.NextReader()
		if err == nil {
			buf.Reset()
			_, err = buf.ReadFrom(r)
		}
		if err != nil {
			if !c.closed.Load() {
				c.lost.Store(true)
			}
			return
		}
		b := buf.Bytes()
		now := time.Now()
		if bytes.HasPrefix(b, roomPrefix) {
			c.pushes.Add(1)
			if v, ok := numberAfter(b, `"patient_min_db":`); ok {
				c.rec.pushed(v, now)
			}
			continue
		}
		var m struct {
			Type string `json:"type"`
			ID   string `json:"id"`
		}
		if json.Unmarshal(b, &m) != nil {
			continue
		}
		switch m.Type {
		case "ack":
			c.rec.acked(m.ID, now)
		case "error":
			c.rec.failed(m.ID)
		}
	}
}

// numberAfter parses the JSON number that follows key in b.
func numberAfter(b []byte, key string) (float64, bool) {
	i := bytes.Index(b, []byte(key))
	if i < 0 {
		return 0, false
	}
	b = b[i+len(key):]
	j := bytes.IndexAny(b, ",}")
	if j < 0 {
		return 0, false
	}
	v, err := strconv.ParseFloat(string(bytes.TrimSpace(b[:j])), 64)
	return v, err == nil
}

// listener reads a room's stream for the whole run.
type listener struct {
	bytes   atomic.Int64
	gaps    atomic.Int64 // reads that waited over a second for data
	failed  atomic.Value // error
	maxWait atomic.Int64 // ns
}

func (l *listener) run(ctx context.Context, u, token string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		l.failed.Store(err)
		return
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		l.failed.Store(err)
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		l.failed.Store(errors.New(resp.Status))
		return
	}
	buf := make([]byte, 16<<10)
	last := time.Now()
	for {
		n, err := resp.Body.Read(buf)
		now := time.Now()
		if n > 0 {
			if w := now.Sub(last); w > time.Second {
				l.gaps.Add(1)
			}
			if w := int64(now.Sub(last)); w > l.maxWait.Load() {
				l.maxWait.Store(w)
			}
			last = now
			l.bytes.Add(int64(n))
		}
		if err != nil {
			if ctx.Err() == nil {
				l.failed.Store(err)
			}
			return
		}
	}
}
