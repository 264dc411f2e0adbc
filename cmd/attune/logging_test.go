package main

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

func TestNewLogger_JSONWhenNotTerminal(t *testing.T) {
	var buf bytes.Buffer
	newLogger(&buf, false, slog.LevelInfo).Info("listening", "addr", "127.0.0.1:8480")
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("output %q is not one JSON object: %v", buf.String(), err)
	}
	for k, want := range map[string]any{"level": "INFO", "msg": "listening", "addr": "127.0.0.1:8480"} {
		if rec[k] != want {
			t.Errorf("%s = %v, want %v (output %s)", k, rec[k], want, buf.String())
		}
	}
}

func TestNewLogger_TextOnTerminal(t *testing.T) {
	var buf bytes.Buffer
	newLogger(&buf, true, slog.LevelInfo).Warn("no sound card", "room", "Room 1")
	got := buf.String()
	for _, want := range []string{"level=WARN", `msg="no sound card"`, `room="Room 1"`} {
		if !strings.Contains(got, want) {
			t.Errorf("output %q lacks %q", got, want)
		}
	}
	if strings.HasPrefix(got, "{") {
		t.Errorf("output %q is JSON, want text", got)
	}
}

func TestNewLogger_Level(t *testing.T) {
	for _, tc := range []struct {
		level      slog.Level
		wantDebug  bool
		wantInfo   bool
		wantErrors bool
	}{
		{slog.LevelDebug, true, true, true},
		{slog.LevelInfo, false, true, true},
		{slog.LevelError, false, false, true},
	} {
		var buf bytes.Buffer
		l := newLogger(&buf, false, tc.level)
		l.Debug("d")
		l.Info("i")
		l.Error("e")
		out := buf.String()
		for msg, want := range map[string]bool{`"msg":"d"`: tc.wantDebug, `"msg":"i"`: tc.wantInfo, `"msg":"e"`: tc.wantErrors} {
			if got := strings.Contains(out, msg); got != want {
				t.Errorf("level %v: logged %s = %v, want %v", tc.level, msg, got, want)
			}
		}
	}
}

// userValue is a LogValuer whose value holds a secret.
type userValue struct{ name, password string }

func (u userValue) LogValue() slog.Value {
	return slog.GroupValue(slog.String("name", u.name), slog.String("password", u.password))
}

func TestNewLogger_Redacts(t *testing.T) {
	for _, text := range []bool{false, true} {
		var buf bytes.Buffer
		l := newLogger(&buf, text, slog.LevelDebug)
		l.Info("login", "user", "ana", "password", "hunter2-pw")
		l.Info("paired", "room", "Oak", "code", "482913", "patient_token", "tok-patient-1")
		l.Info("request", slog.Group("req", slog.String("path", "/pair"), slog.String("Cookie", "sid=cookie-1")))
		l.With("Authorization", "Bearer bearer-1").Info("with attrs")
		l.WithGroup("secret").Info("in a secret group", "value", "group-secret-1")
		l.Info("valuer", "user", userValue{"ben", "valuer-pw-1"})
		l.Info("camel", "pairingCode", "123456", "sessionTokens", "tok-2", "api_SECRET", "s3")
		out := buf.String()
		for _, secret := range []string{"hunter2-pw", "482913", "tok-patient-1", "sid=cookie-1", "bearer-1",
			"group-secret-1", "valuer-pw-1", "123456", "tok-2", "s3"} {
			if strings.Contains(out, secret) {
				t.Errorf("text=%v: output holds secret %q:\n%s", text, secret, out)
			}
		}
		// Everything else is logged as it is, and each secret's key stays.
		for _, kept := range []string{"ana", "Oak", "/pair", "ben", "login", "password", "patient_token", "pairingCode"} {
			if !strings.Contains(out, kept) {
				t.Errorf("text=%v: output lacks %q:\n%s", text, kept, out)
			}
		}
		if n := strings.Count(out, redacted); n != 10 {
			t.Errorf("text=%v: %d values redacted, want 10:\n%s", text, n, out)
		}
	}
}

func TestIsSecretKey(t *testing.T) {
	for key, want := range map[string]bool{
		"password": true, "Password": true, "passwords": true, "token": true, "patient_token": true,
		"code": true, "pairing-code": true, "cookie": true, "Set-Cookie": true, "secret": true,
		"client_secret": true, "authorization": true, "passwd": true, "status_code": true,
		"user": false, "room": false, "tokens_issued": false, "codec": false, "addr": false,
		"status": false, "path": false, "": false,
	} {
		if got := isSecretKey(key); got != want {
			t.Errorf("isSecretKey(%q) = %v, want %v", key, got, want)
		}
	}
}
