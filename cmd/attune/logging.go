package main

import (
	"context"
	"io"
	"log/slog"
	"strings"
)

// redacted replaces the value of an attribute named like a secret.
const redacted = "[redacted]"

// newLogger returns attune's logger writing to w: text for people when w is
// a terminal, JSON lines otherwise (the journal, a log collector), at level
// and above. Attributes named like secrets are redacted (see isSecretKey),
// so that a password, token, pairing code or cookie never reaches the log,
// even when a caller logs one by mistake.
func newLogger(w io.Writer, isTerminal bool, level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	if isTerminal {
		h = slog.NewTextHandler(w, opts)
	} else {
		h = slog.NewJSONHandler(w, opts)
	}
	return slog.New(redactHandler{next: h})
}

// redactHandler replaces the value of every attribute whose key names a
// secret with "[redacted]", at any depth of groups, before next sees it.
type redactHandler struct {
	next slog.Handler
	// all redacts every attribute: the handler is inside a group named like
	// a secret (logger.WithGroup("cookie")).
	all bool
}

var _ slog.Handler = redactHandler{}

// Enabled implements slog.Handler.
func (h redactHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

// Handle implements slog.Handler: it hands next a copy of r with its
// attributes redacted (r itself is not to be changed).
func (h redactHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.redact(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

// WithAttrs implements slog.Handler.
func (h redactHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	red := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		red[i] = h.redact(a)
	}
	return redactHandler{next: h.next.WithAttrs(red), all: h.all}
}

// WithGroup implements slog.Handler.
func (h redactHandler) WithGroup(name string) slog.Handler {
	return redactHandler{next: h.next.WithGroup(name), all: h.all || isSecretKey(name)}
}

// redact returns a with its value replaced if its key names a secret, and
// with the attributes of a group value redacted likewise. A LogValuer is
// resolved first: its value might be a group holding a secret.
func (h redactHandler) redact(a slog.Attr) slog.Attr {
	a.Value = a.Value.Resolve()
	if a.Key != "" && (h.all || isSecretKey(a.Key)) {
		return slog.String(a.Key, redacted)
	}
	if a.Value.Kind() != slog.KindGroup {
		return a
	}
	group := a.Value.Group()
	red := make([]slog.Attr, len(group))
	for i, g := range group {
		red[i] = h.redact(g)
	}
	return slog.Attr{Key: a.Key, Value: slog.GroupValue(red...)}
}

// secretWords are the words that make an attribute key a secret's.
func secretWords() []string {
	return []string{"password", "passwd", "token", "code", "cookie", "secret", "authorization"}
}

// isSecretKey reports whether an attribute key names a secret: it is, or
// ends with, one of secretWords, or its plural, in any case ("password",
// "patient_token", "pairingCode", "Set-Cookie", "secrets"). Ending with a
// word rather than containing it keeps "tokens_issued" or "codec" readable;
// it also hides a "status_code", so HTTP logs name that "status".
func isSecretKey(key string) bool {
	k := strings.ToLower(key)
	k = strings.TrimSuffix(k, "s")
	for _, w := range secretWords() {
		if strings.HasSuffix(k, w) {
			return true
		}
	}
	return false
}
