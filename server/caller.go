package server

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"attune/server/auth"
)

// Cookie names: a staff member's login and a paired tablet's token.
const (
	StaffCookie   = "attune_session"
	PatientCookie = "attune_patient"
)

// Caller is who sent a request, as far as the server could tell.
type Caller struct {
	Role auth.Role // "" for anonymous
	Name string    // the user's name; "" for patients and anonymous
	// Room is a patient's one room (its id); SessionID the session it was
	// paired in (0: none).
	Room      string
	SessionID int64
	// Bearer is true when the credentials came in an Authorization header
	// rather than a cookie: no ambient authority, so no Origin check.
	Bearer bool
	// Device names the client for the session log; never a secret.
	Device string
}

// Anonymous reports a caller without valid credentials.
func (c Caller) Anonymous() bool { return c.Role == "" }

// Staff reports an admin or therapist.
func (c Caller) Staff() bool { return c.Role == auth.Admin || c.Role == auth.Therapist }

// credentials returns the request's token and where it came from: an
// Authorization: Bearer header, or the staff or patient cookie.
func credentials(r *http.Request) (token string, bearer, patientCookie bool) {
	if h := r.Header.Get("Authorization"); h != "" {
		if t, ok := strings.CutPrefix(h, "Bearer "); ok {
			return strings.TrimSpace(t), true, false
		}
		return "", true, false
	}
	if c, err := r.Cookie(StaffCookie); err == nil && c.Value != "" {
		return c.Value, false, false
	}
	if c, err := r.Cookie(PatientCookie); err == nil && c.Value != "" {
		return c.Value, false, true
	}
	return "", false, false
}

// identify works out who sent r. A token that is unknown or expired makes
// the caller anonymous; only a store failure is an error.
func (s *Server) identify(ctx context.Context, r *http.Request) (Caller, error) {
	token, bearer, patientCookie := credentials(r)
	c := Caller{Bearer: bearer, Device: device(r)}
	if token == "" {
		return c, nil
	}
	if !patientCookie {
		u, err := s.d.Auth.Session(ctx, token)
		switch {
		case err == nil:
			c.Role, c.Name = u.Role, u.Name
			return c, nil
		case !errors.Is(err, auth.ErrNotFound) && !errors.Is(err, auth.ErrExpired):
			return c, err
		}
	}
	g, err := s.d.Auth.Patient(ctx, token)
	switch {
	case err == nil:
		c.Role, c.Room, c.SessionID = auth.Patient, RoomID(g.Room), g.SessionID
	case !errors.Is(err, auth.ErrNotFound) && !errors.Is(err, auth.ErrExpired):
		return c, err
	}
	return c, nil
}

// device is a short, secret-free description of the client for the log.
func device(r *http.Request) string {
	ua := r.UserAgent()
	switch {
	case strings.Contains(ua, "iPad"):
		return "iPad"
	case strings.Contains(ua, "Android"):
		return "Android"
	case strings.Contains(ua, "Mobile"):
		return "phone"
	case strings.Contains(ua, "Mozilla"):
		return "browser"
	case ua == "":
		return "client"
	}
	if len(ua) > 32 {
		ua = ua[:32]
	}
	return ua
}

// originAllowed reports whether a browser request's Origin is the server's
// own (same scheme and host as the request) or a configured one. Requests
// without an Origin are not browser cross-site requests only when they
// carry bearer credentials; the caller decides that.
func (s *Server) originAllowed(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return false
	}
	u, err := url.Parse(o)
	if err != nil || u.Host == "" {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	return slices.ContainsFunc(s.d.Origins, func(a string) bool { return strings.EqualFold(a, o) })
}

// checkOriginSyntax checks a configured origin: scheme://host[:port].
func checkOriginSyntax(o string) error {
	u, err := url.Parse(o)
	if err != nil {
		return err
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return errors.New("want scheme://host[:port], like https://attune.clinic.lan")
	}
	return nil
}

// clientAddr is the request's remote IP, for rate limits.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// loopback reports a request from this machine.
func loopback(r *http.Request) bool {
	ip := net.ParseIP(clientAddr(r))
	return ip != nil && ip.IsLoopback()
}
