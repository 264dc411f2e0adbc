package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/time/rate"

	"attune/server/auth"
)

// Per-connection command rate (docs/protocol.md).
const (
	commandRate  = 20
	commandBurst = 40
	maxCommandID = 64
)

// client is one WebSocket connection. Its reader runs on the HTTP
// handler's goroutine (serveWS); its writer (writeLoop) is started and
// waited for by the hub.
type client struct {
	conn   *websocket.Conn
	caller Caller
	token  string // the credentials it opened with: a patient's grant is re-checked, a signed-out login closes it
	origin string // scheme://host the client connected to, for pairing URLs
	send   chan []byte
	// replies carries the replies to c's own commands. The writer takes
	// them before queued pushes (once hello is out), so an ack does not
	// wait behind a queue of room states: the sender is waiting for it.
	replies chan []byte
	// recheck asks the writer to re-check a patient's grant (capacity 1).
	recheck chan struct{}
	quit    chan struct{} // closed by stop
	once    sync.Once
	why     string // the bye reason; written before quit is closed
}

// stop ends the connection, with a bye saying why when why != "". Only the
// first call counts.
func (c *client) stop(why string) {
	c.once.Do(func() {
		c.why = why
		close(c.quit)
	})
}

// recheckGrant asks the writer to re-check the patient's grant. It never
// blocks.
func (c *client) recheckGrant() {
	select {
	case c.recheck <- struct{}{}:
	default:
	}
}

// reply queues a reply to c's own command; like the hub, it never waits
// for a slow client.
func (c *client) reply(h *hub, msg []byte) {
	select {
	case c.replies <- msg:
	default:
		h.s.d.Metrics.Dropped.Inc()
		c.stop(byeSlow)
	}
}

// upgrader accepts a WebSocket handshake from an allowed origin; a request
// without Origin (not a browser) only with bearer credentials.
func (s *Server) upgrader(c Caller) *websocket.Upgrader {
	return &websocket.Upgrader{
		ReadBufferSize:  4096,
		WriteBufferSize: 4096,
		CheckOrigin: func(r *http.Request) bool {
			if r.Header.Get("Origin") == "" {
				return c.Bearer
			}
			return s.originAllowed(r)
		},
	}
}

// serveWS upgrades to the live control protocol and reads the client's
// commands until it goes away or the hub ends the connection.
func (s *Server) serveWS(w http.ResponseWriter, r *http.Request, caller Caller) {
	conn, err := s.upgrader(caller).Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade has answered the client
	}
	h := s.hub
	c := &client{
		conn: conn, caller: caller, origin: requestOrigin(r),
		send: make(chan []byte, h.queue), replies: make(chan []byte, maxReplies), recheck: make(chan struct{}, 1), quit: make(chan struct{}),
	}
	c.token, _, _ = credentials(r) // signing out closes the connections it opened
	if caller.Role == auth.Patient {
		c.recheckGrant() // learn when the grant expires
	}
	select {
	case h.register <- c:
	case <-h.done:
		bye(conn, byeShutdown)
		_ = conn.Close()
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	c.readLoop(ctx, h)
	select {
	case h.unregister <- c:
	case <-h.done: // the hub stopped it already
	}
	c.stop("")
}

// readLoop reads commands and queues their replies until the connection
// fails or is closed by the writer.
func (c *client) readLoop(ctx context.Context, h *hub) {
	c.conn.SetReadLimit(maxMessage)
	_ = c.conn.SetReadDeadline(time.Now().Add(h.pongWait))
	c.conn.SetPongHandler(func(string) error { return c.conn.SetReadDeadline(time.Now().Add(h.pongWait)) })
	lim := rate.NewLimiter(commandRate, commandBurst)
	for {
		typ, data, err := c.conn.ReadMessage()
		if err != nil {
			return
		}
		if msg := h.s.command(ctx, c, lim, typ, data); msg != nil {
			c.reply(h, msg)
		}
	}
}

// command carries out one message from c and returns the reply; nil when
// the connection is being closed instead.
func (s *Server) command(ctx context.Context, c *client, lim *rate.Limiter, typ int, data []byte) []byte {
	id := peekID(data)
	if !lim.Allow() {
		return errorReply(id, errorf(CodeRateLimited, "over %d commands a second: wait and retry", commandRate))
	}
	if typ != websocket.TextMessage {
		return errorReply(id, errorf(CodeBadRequest, "want JSON in a text message"))
	}
	var m struct {
		ID   string          `json:"id"`
		Type string          `json:"type"`
		Room string          `json:"room"`
		Args json.RawMessage `json:"args"`
	}
	if e := decodeStrict(data, &m); e != nil {
		return errorReply(id, e)
	}
	if len(m.ID) > maxCommandID {
		return errorReply("", errorf(CodeBadRequest, "id: want at most %d characters", maxCommandID))
	}
	if c.caller.Role == auth.Patient {
		if _, ok := s.grant(ctx, c); !ok {
			c.stop(byeExpired)
			return nil
		}
	}
	res, e := s.exec(ctx, c.caller, Command{ID: m.ID, Type: m.Type, Room: m.Room, Args: m.Args, origin: c.origin})
	if e != nil {
		return errorReply(m.ID, e)
	}
	return mustJSON(ackMsg{Type: "ack", ID: m.ID, Result: res})
}

func errorReply(id string, e *Error) []byte {
	return mustJSON(errorMsg{Type: "error", ID: id, Code: e.Code, Message: e.Message})
}

// peekID reads a message's id leniently, so that even a message that is
// otherwise wrong gets its error with the id.
func peekID(data []byte) string {
	var m struct {
		ID any `json:"id"`
	}
	_ = json.Unmarshal(data, &m) // best effort: the strict decode reports errors
	if id, ok := m.ID.(string); ok && len(id) <= maxCommandID {
		return id
	}
	return ""
}

// decodeStrict decodes one JSON value with known fields only.
func decodeStrict(data []byte, v any) *Error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errorf(CodeBadRequest, "want one JSON value")
	}
	return nil
}

// grant re-reads a patient's grant; ok is false when it is gone or expired
// or no longer for the room the client was paired to. A store failure
// keeps the connection (it is logged).
func (s *Server) grant(ctx context.Context, c *client) (auth.Grant, bool) {
	g, err := s.d.Auth.Patient(ctx, c.token)
	switch {
	case errors.Is(err, auth.ErrNotFound), errors.Is(err, auth.ErrExpired):
		return g, false
	case err != nil:
		s.d.Log.Error("re-check a tablet's pairing", "room", c.caller.Room, "err", err)
		return auth.Grant{}, true
	}
	return g, RoomID(g.Room) == c.caller.Room
}

// writeLoop writes c's queue, pings, and closes the connection with a bye
// when c is stopped. It also ends a patient's connection when its grant
// expires.
func (c *client) writeLoop(ctx context.Context, h *hub) {
	defer c.conn.Close()
	ping := time.NewTicker(h.pingEvery)
	defer ping.Stop()
	expiry := time.NewTimer(time.Hour)
	expiry.Stop()
	defer expiry.Stop()
	greeted := false // the first message of send, hello, has been written
	for {
		select {
		case <-c.quit:
			if c.why != "" {
				bye(c.conn, c.why)
			}
			return
		default:
		}
		replies := c.replies
		if !greeted {
			replies = nil // hello goes first
		} else {
			select {
			case msg := <-replies:
				c.write(msg)
				continue
			default:
			}
		}
		select {
		case <-c.quit: // handled above
		case msg := <-replies:
			c.write(msg)
		case msg := <-c.send:
			c.write(msg)
			greeted = true
		case <-ping.C:
			if err := c.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeWait)); err != nil {
				c.stop("")
			}
		case <-c.recheck:
			g, ok := h.s.grant(ctx, c)
			switch left := g.Expires.Sub(h.s.d.Now()); {
			case !ok, !g.Expires.IsZero() && left <= 0:
				c.stop(byeExpired)
			case !g.Expires.IsZero():
				expiry.Reset(left)
			}
		case <-expiry.C:
			c.recheckGrant() // the store has the last word: the grant may have been renewed
		}
	}
}

// write writes one message; a failure ends the connection.
func (c *client) write(msg []byte) {
	_ = c.conn.SetWriteDeadline(time.Now().Add(writeWait))
	if err := c.conn.WriteMessage(websocket.TextMessage, msg); err != nil {
		c.stop("")
	}
}

// maxReplies bounds the replies waiting for a client, as the hub's queue
// bounds its pushes: a client that sends and never reads fills it (every
// command is answered, refusals too) and is dropped.
const maxReplies = 256

// bye tells the client why the server closes the connection, then closes
// it with a close frame: 1001 when the server goes away, 1008 otherwise.
func bye(conn *websocket.Conn, why string) {
	code := websocket.ClosePolicyViolation
	if why == byeShutdown {
		code = websocket.CloseGoingAway
	}
	_ = conn.SetWriteDeadline(time.Now().Add(writeWait))
	if err := conn.WriteMessage(websocket.TextMessage, mustJSON(byeMsg{Type: "bye", Reason: why})); err != nil {
		return
	}
	_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, why), time.Now().Add(writeWait))
}

// requestOrigin is the origin the request was sent to.
func requestOrigin(r *http.Request) string {
	if r.TLS != nil {
		return "https://" + r.Host
	}
	return "http://" + r.Host
}
