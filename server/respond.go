package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"attune/player/session"
	"attune/server/auth"
)

// Error codes of the protocol and the HTTP API (docs/protocol.md).
const (
	CodeBadRequest   = "bad_request"  // malformed JSON, wrong argument types or values
	CodeUnknownType  = "unknown_type" // a WebSocket command type the server does not know
	CodeUnauthorized = "unauthorized" // no valid credentials
	CodeForbidden    = "forbidden"    // the caller's role may not do this
	CodeNotFound     = "not_found"    // no such room, track, playlist, session, user
	CodeConflict     = "conflict"     // the state does not allow it (a session runs, the dose was given, in use)
	CodeRateLimited  = "rate_limited" // too many requests or commands
	CodeTooLarge     = "too_large"    // the body or upload is over its limit
	CodeUnavailable  = "unavailable"  // the feature is not configured (no stream, no library)
	CodeInternal     = "internal"     // the server failed; the log says why
)

// Error is a protocol error: a code for programs and a message for people.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	status  int
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// errorf makes an *Error.
func errorf(code string, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), status: statusOf(code)}
}

func statusOf(code string) int {
	switch code {
	case CodeBadRequest, CodeUnknownType:
		return http.StatusBadRequest
	case CodeUnauthorized:
		return http.StatusUnauthorized
	case CodeForbidden:
		return http.StatusForbidden
	case CodeNotFound:
		return http.StatusNotFound
	case CodeConflict:
		return http.StatusConflict
	case CodeRateLimited:
		return http.StatusTooManyRequests
	case CodeTooLarge:
		return http.StatusRequestEntityTooLarge
	case CodeUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// toError turns a domain error into a protocol error. Errors the server
// does not recognise are internal: logged in full, reported without detail.
func (s *Server) toError(what string, err error) *Error {
	var pe *Error
	switch {
	case errors.As(err, &pe):
		return pe
	case errors.Is(err, session.ErrBadArgs):
		return errorf(CodeBadRequest, "%s", err)
	case errors.Is(err, session.ErrForbidden):
		return errorf(CodeForbidden, "%s", err)
	case errors.Is(err, session.ErrNoSession), errors.Is(err, session.ErrBusy),
		errors.Is(err, session.ErrEnded), errors.Is(err, session.ErrNotDosed), errors.Is(err, session.ErrDosed):
		return errorf(CodeConflict, "%s", err)
	case errors.Is(err, auth.ErrNotFound):
		return errorf(CodeNotFound, "%s", err)
	case errors.Is(err, auth.ErrExists), errors.Is(err, auth.ErrLastAdmin):
		return errorf(CodeConflict, "%s", err)
	case errors.Is(err, auth.ErrBadCode), errors.Is(err, auth.ErrBadLogin):
		return errorf(CodeUnauthorized, "%s", err)
	case errors.Is(err, auth.ErrWeakPassword), errors.Is(err, auth.ErrInvalid):
		return errorf(CodeBadRequest, "%s", err)
	}
	s.d.Log.Error(what, "err", err)
	return errorf(CodeInternal, "%s failed; the server log says why", what)
}

// writeJSON writes v with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the client went away: nothing to do
}

// writeError writes e as {"error": {code, message}}.
func writeError(w http.ResponseWriter, e *Error) {
	st := e.status
	if st == 0 {
		st = statusOf(e.Code)
	}
	writeJSON(w, st, map[string]*Error{"error": e})
}

// maxJSONBody bounds JSON request bodies.
const maxJSONBody = 1 << 20

// decodeJSON reads r's body into v strictly: one JSON value, known fields
// only, at most maxJSONBody bytes.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) *Error {
	body := http.MaxBytesReader(w, r.Body, maxJSONBody)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errorf(CodeBadRequest, "the body must be one JSON value")
	}
	return nil
}

// jsonError explains a JSON decoding error in one line.
func jsonError(err error) *Error {
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
		big *http.MaxBytesError
	)
	switch {
	case errors.As(err, &big):
		return errorf(CodeTooLarge, "the body is over %d bytes", big.Limit)
	case errors.As(err, &syn):
		return errorf(CodeBadRequest, "malformed JSON at byte %d: %v", syn.Offset, err)
	case errors.As(err, &typ):
		return errorf(CodeBadRequest, "%s: want %s, got JSON %s", typ.Field, typ.Type, typ.Value)
	case errors.Is(err, io.EOF):
		return errorf(CodeBadRequest, "the body is empty: want a JSON object")
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		return errorf(CodeBadRequest, "%s", strings.TrimPrefix(err.Error(), "json: "))
	}
	return errorf(CodeBadRequest, "malformed JSON: %v", err)
}
