package server

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"attune/player/session"
	"attune/server/auth"
)

// Connection limits of the protocol (docs/protocol.md).
const (
	queueLen   = 256              // messages waiting for one client
	maxMessage = 64 << 10         // bytes in one client message
	pingEvery  = 20 * time.Second // server pings
	pongWait   = 45 * time.Second // a client silent this long is dropped
	writeWait  = 10 * time.Second // one write's deadline
	logBacklog = 1024             // log entries waiting for the hub
)

// Reasons the server closes a connection, sent in bye.
const (
	byeShutdown  = "shutting down"
	byeSlow      = "too slow"
	byeExpired   = "token expired"
	byeSignedOut = "signed out"
)

// hub owns the set of WebSocket clients. Its one goroutine (run) registers
// and unregisters clients, renders each room change once per view kind and
// queues the same bytes to every client allowed to see it. It never waits
// for a client: a client whose queue is full is dropped.
type hub struct {
	s *Server
	// Knobs, fixed before run starts (tests shrink them).
	queue               int
	pingEvery, pongWait time.Duration

	register   chan *client
	unregister chan *client
	signOuts   chan signOut
	// dirty marks rooms changed since the last render (map fixed at
	// construction); wake tells run there is something to render.
	dirty map[string]*atomic.Bool
	wake  chan struct{}
	logs  chan logMsg
	// done is closed when run stops taking clients.
	done chan struct{}
	// wg counts the writer goroutines run started.
	wg sync.WaitGroup
	// dropped counts log entries lost because the hub was behind.
	dropped atomic.Int64

	// Owned by run's goroutine.
	clients map[*client]struct{}
	rooms   map[string]*roomCache
}

type logMsg struct {
	room  string
	entry LogEntry
}

// roomCache is a room's last rendering.
type roomCache struct {
	staff, patient json.RawMessage // the ROOM objects
	session        int64           // the live session's id, 0 for none or ended
}

func newHub(s *Server) *hub {
	h := &hub{
		s: s, queue: queueLen, pingEvery: pingEvery, pongWait: pongWait,
		register: make(chan *client), unregister: make(chan *client), signOuts: make(chan signOut),
		dirty: map[string]*atomic.Bool{}, wake: make(chan struct{}, 1),
		logs: make(chan logMsg, logBacklog), done: make(chan struct{}),
		clients: map[*client]struct{}{}, rooms: map[string]*roomCache{},
	}
	for _, id := range s.ids {
		h.dirty[id] = new(atomic.Bool)
	}
	return h
}

// roomChanged marks the room for rendering; many changes between two
// renders coalesce into one message. It never blocks.
func (h *hub) roomChanged(id string) {
	f := h.dirty[id]
	if f == nil {
		return
	}
	f.Store(true)
	select {
	case h.wake <- struct{}{}:
	default: // a wake-up is pending already
	}
}

// log queues a session log entry for the staff's clients. It never blocks:
// when the hub is that far behind the entry is dropped (the log stays in
// the store; clients can fetch it).
func (h *hub) log(id string, e LogEntry) {
	select {
	case h.logs <- logMsg{id, e}:
	default:
		if n := h.dropped.Add(1); n == 1 || n%100 == 0 {
			h.s.d.Log.Warn("websocket hub behind: session log entries not pushed", "room", id, "dropped", n)
		}
	}
}

// run serves the clients until ctx ends, then says bye to every client and
// returns once their writers have ended.
func (h *hub) run(ctx context.Context) error {
	for _, id := range h.s.ids {
		h.render(id)
	}
	for {
		select {
		case <-ctx.Done():
			close(h.done)
			for c := range h.clients {
				h.remove(c, byeShutdown)
			}
			h.wg.Wait()
			return nil
		case c := <-h.register:
			h.add(ctx, c)
		case c := <-h.unregister:
			if _, ok := h.clients[c]; ok {
				h.remove(c, "")
			}
		case <-h.wake:
			h.flush()
		case m := <-h.logs:
			h.pushLog(m)
		case so := <-h.signOuts:
			for c := range h.clients {
				if so.token != "" && c.token == so.token || so.user != "" && c.caller.Staff() && strings.EqualFold(c.caller.Name, so.user) {
					h.remove(c, byeSignedOut)
				}
			}
		}
	}
}

// signOut names connections whose credentials ended: those opened with a
// login token that was signed out, or every connection of a user whose
// logins all ended (deleted, or a new password).
type signOut struct{ token, user string }

// signOutToken closes the connections opened with token, saying bye
// "signed out": a login ended by signing out must not live on in an open
// socket.
func (h *hub) signOutToken(token string) { h.endLogins(signOut{token: token}) }

// signOutUser closes every staff connection of user.
func (h *hub) signOutUser(user string) { h.endLogins(signOut{user: user}) }

func (h *hub) endLogins(so signOut) {
	select {
	case h.signOuts <- so:
	case <-h.done: // shutting down: every connection is closing anyway
	}
}

// add takes c on: its hello first, so it precedes every room message.
func (h *hub) add(ctx context.Context, c *client) {
	h.clients[c] = struct{}{}
	h.s.d.Metrics.Clients.WithLabelValues(string(c.caller.Role)).Inc()
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		c.writeLoop(ctx, h)
	}()
	h.flush() // hello must not show a state older than what the others saw
	h.send(c, h.hello(c))
}

// remove forgets c and stops its writer, telling it why when why != "".
func (h *hub) remove(c *client, why string) {
	delete(h.clients, c)
	h.s.d.Metrics.Clients.WithLabelValues(string(c.caller.Role)).Dec()
	c.stop(why)
}

// send queues msg to c, dropping c when its queue is full.
func (h *hub) send(c *client, msg []byte) {
	select {
	case c.send <- msg:
	default:
		h.s.d.Metrics.Dropped.Inc()
		h.remove(c, byeSlow)
	}
}

// flush renders every room marked dirty and queues it to its clients.
func (h *hub) flush() {
	for _, id := range h.s.ids {
		if !h.dirty[id].Swap(false) {
			continue
		}
		ended := h.render(id)
		rc := h.rooms[id]
		now := h.s.d.Now()
		staff := mustJSON(roomMsg{Type: "room", ServerTime: now, Room: rc.staff})
		patient := mustJSON(roomMsg{Type: "room", ServerTime: now, Room: rc.patient})
		for c := range h.clients {
			switch {
			case c.caller.Staff():
				h.send(c, staff)
			case c.caller.Role == auth.Patient && c.caller.Room == id:
				if ended {
					c.recheckGrant()
				}
				h.send(c, patient)
			}
		}
	}
}

// render takes the room's state and renders both views. It reports that
// the session live at the last rendering is over.
func (h *hub) render(id string) (ended bool) {
	r := h.s.room(id)
	st := r.State()
	live := int64(0)
	if ss := st.Session; ss != nil && ss.Status != string(session.StatusEnded) {
		live = ss.ID
	}
	rc := h.rooms[id]
	if rc == nil {
		rc = &roomCache{}
		h.rooms[id] = rc
	}
	ended = rc.session != 0 && rc.session != live
	rc.staff = mustJSON(h.s.staffView(r.Name(), st))
	rc.patient = mustJSON(patientView(r.Name(), st))
	rc.session = live
	return ended
}

func (h *hub) pushLog(m logMsg) {
	msg := mustJSON(logOut{Type: "log", Room: m.room, Entry: logEntryView(m.entry)})
	for c := range h.clients {
		if c.caller.Staff() {
			h.send(c, msg)
		}
	}
}

// hello is c's first message: every room c may see, in c's view.
func (h *hub) hello(c *client) []byte {
	m := helloMsg{Type: "hello", Protocol: Protocol, ServerTime: h.s.d.Now(),
		You: you{Role: string(c.caller.Role), Name: c.caller.Name, Room: c.caller.Room}, Rooms: []json.RawMessage{}}
	for _, id := range h.s.ids {
		switch rc := h.rooms[id]; {
		case c.caller.Staff():
			m.Rooms = append(m.Rooms, rc.staff)
		case c.caller.Room == id:
			m.Rooms = append(m.Rooms, rc.patient)
		}
	}
	return mustJSON(m)
}

// Messages from the server.
type (
	helloMsg struct {
		Type       string            `json:"type"`
		Protocol   int               `json:"protocol"`
		ServerTime time.Time         `json:"server_time"`
		You        you               `json:"you"`
		Rooms      []json.RawMessage `json:"rooms"`
	}
	you struct {
		Role string `json:"role"`
		Name string `json:"name"`
		Room string `json:"room"`
	}
	roomMsg struct {
		Type       string          `json:"type"`
		ServerTime time.Time       `json:"server_time"`
		Room       json.RawMessage `json:"room"`
	}
	logOut struct {
		Type  string       `json:"type"`
		Room  string       `json:"room"`
		Entry roomLogEntry `json:"entry"`
	}
	ackMsg struct {
		Type   string `json:"type"`
		ID     string `json:"id,omitempty"`
		Result any    `json:"result,omitempty"`
	}
	errorMsg struct {
		Type    string `json:"type"`
		ID      string `json:"id,omitempty"`
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	byeMsg struct {
		Type   string `json:"type"`
		Reason string `json:"reason"`
	}
)

// mustJSON marshals the server's own message types, which cannot fail.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("server: marshal " + err.Error()) // a programming error in a message type
	}
	return b
}
