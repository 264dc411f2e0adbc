package server

import (
	"net/http"
	"strings"

	"attune/server/auth"
)

// access says who may call a route.
type access uint8

const (
	anyone     access = iota // no credentials needed (the handler may still check some)
	signedIn                 // any valid credentials: staff or a paired tablet
	staff                    // admin or therapist
	adminOnly                // admin
	roomMember               // staff, or the patient paired to the path's {room}
	metrics                  // admin, or any caller on this machine (Prometheus scraping)
)

func (a access) String() string {
	return [...]string{"anyone", "signed in", "staff", "admin", "room member", "metrics"}[a]
}

// route is one entry of the route table.
type route struct {
	pattern string // net/http pattern: "GET /api/tracks/{id}"
	access  access
	h       func(w http.ResponseWriter, r *http.Request, c Caller)
}

// routeTable lists every route with who may call it. The role matrix test
// walks this table; keep docs/api.md in step with it.
func (s *Server) routeTable() []route {
	return []route{
		// operations
		{"GET /healthz", anyone, s.healthz},
		{"GET /metrics", metrics, s.metrics},

		// browser pages (public: each page checks GET /api/me itself)
		{"GET /{$}", anyone, s.page("console.html")},
		{"GET /t", anyone, s.page("tablet.html")},
		{"GET /pair", anyone, s.page("pair.html")},
		{"GET /login", anyone, s.page("login.html")},
		{"GET /setup", anyone, s.page("setup.html")},
		{"GET /admin", anyone, s.page("admin.html")},
		{"GET /static/{path...}", anyone, s.getStatic},

		// accounts and pairing
		{"POST /api/login", anyone, s.postLogin},
		{"POST /api/logout", anyone, s.postLogout},
		{"GET /api/me", anyone, s.getMe},
		{"GET /api/setup", anyone, s.getSetup},
		{"POST /api/setup", anyone, s.postSetup},
		{"POST /api/pair", anyone, s.postPair},
		{"GET /api/users", adminOnly, s.getUsers},
		{"POST /api/users", adminOnly, s.postUser},
		{"DELETE /api/users/{name}", adminOnly, s.deleteUser},
		{"PUT /api/users/{name}/password", staff, s.putPassword}, // admins any, therapists their own

		// live control
		{"GET /ws", signedIn, s.serveWS},
		{"GET /api/rooms", staff, s.getRooms},
		{"GET /api/rooms/{room}", roomMember, s.getRoom},
		{"PATCH /api/rooms/{room}", adminOnly, s.patchRoom},
		{"POST /api/rooms/{room}/session", staff, s.postSession},
		{"POST /api/rooms/{room}/commands", roomMember, s.postCommand},
		{"POST /api/rooms/{room}/pairing", staff, s.postPairing},
		{"GET /rooms/{room}/stream.mp3", roomMember, s.getStream},
		{"GET /api/profiles", staff, s.getProfiles},
		{"POST /api/plan", staff, s.postPlan},

		// library
		{"GET /api/tracks", staff, s.getTracks},
		{"POST /api/tracks", adminOnly, s.postTracks},
		{"GET /api/tracks/{id}", staff, s.getTrack},
		{"PATCH /api/tracks/{id}", staff, s.patchTrack},
		{"DELETE /api/tracks/{id}", adminOnly, s.deleteTrack},
		{"GET /api/tracks/{id}/artwork", staff, s.getArtwork},

		// playlists
		{"GET /api/playlists", staff, s.getPlaylists},
		{"POST /api/playlists", staff, s.postPlaylist},
		{"POST /api/playlists/import", staff, s.importPlaylist},
		{"GET /api/playlists/{name}", staff, s.getPlaylist},
		{"PUT /api/playlists/{name}", staff, s.putPlaylist},
		{"DELETE /api/playlists/{name}", staff, s.deletePlaylist},
		{"GET /api/playlists/{name}/export", staff, s.exportPlaylist},

		// session records
		{"GET /api/sessions", staff, s.getSessions},
		{"GET /api/sessions/{id}", staff, s.getSession},
		{"GET /api/sessions/{id}/log", staff, s.getSessionLog},
	}
}

// handle registers rt behind the checks every route shares: who the caller
// is, whether the route's access admits them, and, for state-changing
// requests authenticated by a cookie, that they come from an allowed
// origin (browsers send cookies cross-site; a bearer token is not ambient).
func (s *Server) handle(rt route) {
	s.routes = append(s.routes, rt)
	s.mux.HandleFunc(rt.pattern, func(w http.ResponseWriter, r *http.Request) {
		c, err := s.identify(r.Context(), r)
		if err != nil {
			writeError(w, s.toError("identify the caller", err))
			return
		}
		if e := s.admit(rt.access, r, c); e != nil {
			writeError(w, e)
			return
		}
		if s.crossSite(r, c) {
			writeError(w, errorf(CodeForbidden, "cross-origin request refused: origin %q is not allowed", r.Header.Get("Origin")))
			return
		}
		rt.h(w, r, c)
	})
}

// admit checks a caller against a route's access.
func (s *Server) admit(a access, r *http.Request, c Caller) *Error {
	switch a {
	case anyone:
		return nil
	case metrics:
		if c.Role == auth.Admin || loopback(r) {
			return nil
		}
	}
	if c.Anonymous() {
		return errorf(CodeUnauthorized, "sign in first")
	}
	switch a {
	case signedIn:
		return nil
	case staff:
		if c.Staff() {
			return nil
		}
	case adminOnly:
		if c.Role == auth.Admin {
			return nil
		}
	case roomMember:
		id := r.PathValue("room")
		if s.room(id) == nil {
			return errorf(CodeNotFound, "no room %q", id)
		}
		if c.Staff() || c.Role == auth.Patient && c.Room == id {
			return nil
		}
	}
	return errorf(CodeForbidden, "a %s may not do this", roleName(c.Role))
}

func roleName(r auth.Role) string {
	if r == "" {
		return "visitor"
	}
	return string(r)
}

// crossSite reports a state-changing request a browser may have sent from
// another site: one without bearer credentials whose Origin is not allowed.
// A missing Origin is accepted only from callers without a cookie (curl,
// the CLI); browsers always send Origin with such requests.
func (s *Server) crossSite(r *http.Request, c Caller) bool {
	if !stateChanging(r.Method) || c.Bearer {
		return false
	}
	if r.Header.Get("Origin") == "" {
		return !c.Anonymous() || hasCookie(r)
	}
	return !s.originAllowed(r)
}

func hasCookie(r *http.Request) bool {
	for _, n := range []string{StaffCookie, PatientCookie} {
		if c, err := r.Cookie(n); err == nil && c.Value != "" {
			return true
		}
	}
	return false
}

func stateChanging(method string) bool {
	switch strings.ToUpper(method) {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return true
}
