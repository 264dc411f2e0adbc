package server

import (
	"errors"
	"fmt"
	"math"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"attune/media"
	sessstore "attune/player/session/store"
	"attune/playlists"
	"attune/playlists/plfile"
	"attune/playlists/plstore"
)

// This file holds what the library, playlist, plan and session-record
// routes share: their error mapping, query parsing and JSON helpers.

// apiError turns the stores' errors into protocol errors: the domain's
// "not found", "invalid" and "unresolved" errors are the caller's business,
// everything else goes to toError (and is internal unless it knows it).
func (s *Server) apiError(what string, err error) *Error {
	var unres *plfile.UnresolvedError
	switch {
	case errors.As(err, &unres):
		return errorf(CodeBadRequest, "%s", unresolvedMessage(unres))
	case errors.Is(err, playlists.ErrInvalid), errors.Is(err, plfile.ErrFormat):
		// Before "not found": an invalid playlist may be one naming a
		// track the library lacks.
		return errorf(CodeBadRequest, "%s: %v", what, err)
	case errors.Is(err, media.ErrNotFound), errors.Is(err, plstore.ErrNotFound),
		errors.Is(err, sessstore.ErrNotFound):
		return errorf(CodeNotFound, "%s: %v", what, err)
	}
	return s.toError(what, err)
}

// unresolvedMessage lists every unresolved reference with its line, one per
// line, as attune playlist import prints them.
func unresolvedMessage(e *plfile.UnresolvedError) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d track reference(s) did not resolve:", len(e.Refs))
	for _, u := range e.Refs {
		b.WriteString("\n")
		b.WriteString(u.String())
	}
	return b.String()
}

// unavailable is the error of a route whose store is not configured.
func unavailable(what string) *Error {
	return errorf(CodeUnavailable, "no %s is configured", what)
}

// queryInt reads an integer query parameter within [lo, hi]; def when absent.
func queryInt(q url.Values, name string, def, lo, hi int) (int, *Error) {
	v := q.Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, errorf(CodeBadRequest, "query %s=%q: want an integer from %d to %d", name, v, lo, hi)
	}
	return n, nil
}

// queryEnum reads a query parameter that must be one of values; def when
// absent.
func queryEnum(q url.Values, name, def string, values ...string) (string, *Error) {
	v := q.Get(name)
	if v == "" {
		return def, nil
	}
	for _, x := range values {
		if v == x {
			return v, nil
		}
	}
	return "", errorf(CodeBadRequest, "query %s=%q: want one of %s", name, v, strings.Join(values, ", "))
}

// queryBool reads a boolean query parameter; false when absent.
func queryBool(q url.Values, name string) (bool, *Error) {
	v := q.Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, errorf(CodeBadRequest, "query %s=%q: want true or false", name, v)
	}
	return b, nil
}

// ms is a duration in whole milliseconds, as the API sends durations.
func ms(d time.Duration) int64 { return d.Milliseconds() }

// timeOrNull is t in RFC 3339, or nil (JSON null) for the zero time.
func timeOrNull(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}

// finiteOrNull is v, or nil (JSON null) when v is infinite or NaN, which
// JSON cannot carry (a silent track's loudness is −Inf).
func finiteOrNull(v float64) *float64 {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return nil
	}
	return &v
}

// attachment sets the headers of a download named filename.
func attachment(w http.ResponseWriter, contentType, filename string) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": filename}))
	w.Header().Set("Cache-Control", "no-store")
}
