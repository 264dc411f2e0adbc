// Package server is attune's HTTP and WebSocket edge: the JSON API, the live
// control protocol (docs/protocol.md), the callers' roles, the room streams
// and the embedded browser pages. It turns the domain's errors into protocol
// errors; everything it drives sits behind the small interfaces it declares.
//
// Every route is registered with the roles that may call it (routes.go); the
// role matrix test walks that table with every kind of caller.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"attune/playlists"
	"attune/server/auth"
)

// Protocol is the WebSocket protocol's version, sent in the hello message.
const Protocol = 1

// Deps is what the server drives. Rooms and Auth are required; the other
// stores may be nil in tests, and their routes then answer 503.
type Deps struct {
	Rooms     []Room
	Auth      Auth
	Library   Library
	Playlists Playlists
	Sessions  Sessions
	Profiles  []playlists.Profile
	// Origins are the extra origins (scheme://host[:port]) allowed to send
	// state-changing requests and open the WebSocket besides the server's own.
	Origins []string
	// MaxUpload bounds one upload request's body, bytes.
	MaxUpload int64
	// PairURL is the tablet pairing page's URL as the console shows it;
	// "" derives it from the request's host.
	PairURL string
	Log     *slog.Logger
	Metrics *Metrics
	// Now is the wall clock; nil means time.Now.
	Now func() time.Time
}

// Server serves attune's HTTP API and WebSocket. Create it with New, run its
// hub with Run, and serve Handler.
type Server struct {
	d      Deps
	rooms  map[string]Room // by room id (slug)
	ids    []string        // room ids in configuration order
	mux    *http.ServeMux
	routes []route
	hub    *hub
	login  limiter // per client address and per user name
	pair   limiter // per client address
}

// limiter is the rate limiter the server uses; *auth.Limiter implements it.
type limiter interface{ Allow(key string) bool }

// New returns a server for d.
func New(d Deps) (*Server, error) {
	if len(d.Rooms) == 0 {
		return nil, errors.New("server: no rooms")
	}
	if d.Auth == nil {
		return nil, errors.New("server: no auth store")
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Metrics == nil {
		d.Metrics = NewMetrics()
	}
	if d.MaxUpload <= 0 {
		d.MaxUpload = 1 << 30
	}
	for _, o := range d.Origins {
		if err := checkOriginSyntax(o); err != nil {
			return nil, fmt.Errorf("server: origin %q: %w", o, err)
		}
	}
	s := &Server{
		d:     d,
		rooms: map[string]Room{},
		login: auth.NewLimiter(6*time.Second, 10, 4096),
		pair:  auth.NewLimiter(6*time.Second, 10, 4096),
	}
	for _, r := range d.Rooms {
		id := RoomID(r.Name())
		if _, dup := s.rooms[id]; dup {
			return nil, fmt.Errorf("server: two rooms are called %q", id)
		}
		s.rooms[id] = r
		s.ids = append(s.ids, id)
	}
	s.hub = newHub(s)
	s.mux = http.NewServeMux()
	for _, rt := range s.routeTable() {
		s.handle(rt)
	}
	return s, nil
}

// Handler returns the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.mux }

// Run runs the WebSocket hub until ctx ends, then closes every connection
// (telling each why) and returns.
func (s *Server) Run(ctx context.Context) error { return s.hub.run(ctx) }

// RoomChanged tells the server a room's state changed; the rooms call it
// (room.Config.OnChange) with their id. It never blocks.
func (s *Server) RoomChanged(roomName string) { s.hub.roomChanged(RoomID(roomName)) }

// RoomLog tells the server a session log entry was stored in a room; it is
// pushed to the staff's connections. It never blocks.
func (s *Server) RoomLog(roomName string, e LogEntry) { s.hub.log(RoomID(roomName), e) }

// room returns the room with id, or nil.
func (s *Server) room(id string) Room { return s.rooms[id] }

// roomIDs returns the rooms' ids in configuration order.
func (s *Server) roomIDs() []string { return slices.Clone(s.ids) }
