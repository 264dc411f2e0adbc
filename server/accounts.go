package server

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"time"

	"attune/server/auth"
)

// loginTTL is how long a browser keeps the staff cookie: the auth store's
// default session lifetime. The store's expiry is the one that counts (it
// slides); the cookie only has to outlive it.
const loginTTL = 12 * time.Hour

// retryAfter is what a rate-limited caller is told to wait: the limiters'
// refill interval (server.New builds them with 6 s).
const retryAfter = 6 * time.Second

// Messages that must not tell a guesser which part was wrong.
const (
	msgBadLogin = "wrong name or password"
	msgBadCode  = "that code did not work: ask for a new one"
	msgBadSetup = "that setup link did not work: restart attune for a new one"
)

type loginRequest struct {
	Name     string `json:"name"`
	Password string `json:"password"`
	Bearer   bool   `json:"bearer"`
}

type loginReply struct {
	Name  string    `json:"name"`
	Role  auth.Role `json:"role"`
	Token string    `json:"token,omitempty"`
}

// postLogin signs a staff member in: a cookie for browsers, or a bearer
// token for programs that ask for one. Limits come before the password
// check so guessing costs the guesser, not the argon2 budget.
func (s *Server) postLogin(w http.ResponseWriter, r *http.Request, _ Caller) {
	var req loginRequest
	if e := decodeJSON(w, r, &req); e != nil {
		writeError(w, e)
		return
	}
	if !s.login.Allow("addr:"+clientAddr(r)) || !s.login.Allow("name:"+req.Name) {
		rateLimited(w, "too many sign-in attempts")
		return
	}
	token, u, err := s.d.Auth.Login(r.Context(), req.Name, req.Password, device(r))
	if err != nil {
		writeError(w, s.credentialError("sign in", err, msgBadLogin))
		return
	}
	s.d.Log.Info("signed in", "user", u.Name, "role", u.Role, "device", device(r))
	s.replyLogin(w, r, token, u, req.Bearer)
}

// replyLogin answers a successful login: the token in a cookie, or in the
// body when the client asked for a bearer token.
func (s *Server) replyLogin(w http.ResponseWriter, r *http.Request, token string, u auth.User, bearer bool) {
	rep := loginReply{Name: u.Name, Role: u.Role}
	if bearer {
		rep.Token = token
	} else {
		http.SetCookie(w, cookie(r, StaffCookie, token, int(loginTTL/time.Second)))
	}
	writeJSON(w, http.StatusOK, rep)
}

// postLogout ends the caller's login, if they have one, and clears both
// cookies so a shared browser forgets the tablet's grant too.
func (s *Server) postLogout(w http.ResponseWriter, r *http.Request, c Caller) {
	if token, _, patientCookie := credentials(r); token != "" && !patientCookie && c.Staff() {
		if err := s.d.Auth.Logout(r.Context(), token); err != nil && !errors.Is(err, auth.ErrNotFound) {
			writeError(w, s.toError("sign out", err))
			return
		}
		s.d.Log.Info("signed out", "user", c.Name)
		s.hub.signOutToken(token)
	}
	http.SetCookie(w, cookie(r, StaffCookie, "", -1))
	http.SetCookie(w, cookie(r, PatientCookie, "", -1))
	w.WriteHeader(http.StatusNoContent)
}

type meReply struct {
	Role    auth.Role  `json:"role"`
	Name    string     `json:"name"`
	Room    string     `json:"room"`
	Expires *time.Time `json:"expires"`
}

// getMe says who the caller is; pages use it to choose what to show.
func (s *Server) getMe(w http.ResponseWriter, r *http.Request, c Caller) {
	rep := meReply{Role: c.Role, Name: c.Name, Room: c.Room}
	if c.Role == auth.Patient {
		token, _, _ := credentials(r)
		g, err := s.d.Auth.Patient(r.Context(), token)
		switch {
		case errors.Is(err, auth.ErrNotFound), errors.Is(err, auth.ErrExpired):
			// The grant ended since the caller was identified.
			rep = meReply{}
		case err != nil:
			writeError(w, s.toError("look up the tablet's pairing", err))
			return
		default:
			rep.Expires = timeOrNil(g.Expires)
		}
	}
	writeJSON(w, http.StatusOK, rep)
}

// getSetup says whether the first admin still has to be created. It reads
// the users rather than asking for a setup token, which would replace the
// one the daemon logged.
func (s *Server) getSetup(w http.ResponseWriter, r *http.Request, _ Caller) {
	needed, err := s.setupNeeded(r)
	if err != nil {
		writeError(w, s.toError("list the users", err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"needed": needed})
}

func (s *Server) setupNeeded(r *http.Request) (bool, error) {
	users, err := s.d.Auth.Users(r.Context())
	if err != nil {
		return false, err
	}
	for _, u := range users {
		if u.Role == auth.Admin {
			return false, nil
		}
	}
	return true, nil
}

type setupRequest struct {
	Token    string `json:"token"`
	Name     string `json:"name"`
	Password string `json:"password"`
}

// postSetup creates the first admin with the one-time token the daemon
// logged, then signs them in.
func (s *Server) postSetup(w http.ResponseWriter, r *http.Request, _ Caller) {
	var req setupRequest
	if e := decodeJSON(w, r, &req); e != nil {
		writeError(w, e)
		return
	}
	if !s.login.Allow("addr:" + clientAddr(r)) {
		rateLimited(w, "too many setup attempts")
		return
	}
	if err := s.d.Auth.Setup(r.Context(), req.Token, req.Name, req.Password); err != nil {
		writeError(w, s.credentialError("set up the first admin", err, msgBadSetup))
		return
	}
	s.d.Log.Info("first admin created", "user", req.Name)
	token, u, err := s.d.Auth.Login(r.Context(), req.Name, req.Password, device(r))
	if err != nil {
		writeError(w, s.toError("sign in the new admin", err))
		return
	}
	s.replyLogin(w, r, token, u, false)
}

type pairRequest struct {
	Code   string `json:"code"`
	Bearer bool   `json:"bearer"`
}

type pairReply struct {
	Room    string     `json:"room"`
	Expires *time.Time `json:"expires"`
	Token   string     `json:"token,omitempty"`
}

// postPair turns a one-time pairing code into the tablet's patient token,
// bound to the code's room.
func (s *Server) postPair(w http.ResponseWriter, r *http.Request, _ Caller) {
	var req pairRequest
	if e := decodeJSON(w, r, &req); e != nil {
		writeError(w, e)
		return
	}
	if !s.pair.Allow("addr:" + clientAddr(r)) {
		rateLimited(w, "too many pairing attempts")
		return
	}
	token, g, err := s.d.Auth.Pair(r.Context(), req.Code, device(r))
	if err != nil {
		writeError(w, s.credentialError("pair the tablet", err, msgBadCode))
		return
	}
	id := RoomID(g.Room)
	s.d.Log.Info("tablet paired", "room", id, "session", g.SessionID, "device", device(r))
	rep := pairReply{Room: id, Expires: timeOrNil(g.Expires)}
	if req.Bearer {
		rep.Token = token
	} else {
		maxAge := 0 // a browser-session cookie while the grant has no end yet
		if !g.Expires.IsZero() {
			maxAge = max(1, int(math.Ceil(g.Expires.Sub(s.d.Now()).Seconds())))
		}
		http.SetCookie(w, cookie(r, PatientCookie, token, maxAge))
	}
	writeJSON(w, http.StatusOK, rep)
}

// credentialError maps a rejected credential (password, setup token,
// pairing code) to one 401 that does not say which part was wrong.
func (s *Server) credentialError(what string, err error, msg string) *Error {
	switch {
	case errors.Is(err, auth.ErrBadLogin), errors.Is(err, auth.ErrBadCode),
		errors.Is(err, auth.ErrNotFound), errors.Is(err, auth.ErrExpired):
		return errorf(CodeUnauthorized, "%s", msg)
	}
	return s.toError(what, err)
}

// cookie is a credential cookie: HttpOnly, SameSite=Strict, Secure over
// TLS. maxAge < 0 deletes it; 0 leaves it to the browser session.
func cookie(r *http.Request, name, value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name:     name,
		Value:    value,
		Path:     "/",
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   r.TLS != nil,
		SameSite: http.SameSiteStrictMode,
	}
}

func rateLimited(w http.ResponseWriter, msg string) {
	w.Header().Set("Retry-After", strconv.Itoa(int(retryAfter/time.Second)))
	writeError(w, errorf(CodeRateLimited, "%s: wait a few seconds", msg))
}

func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
