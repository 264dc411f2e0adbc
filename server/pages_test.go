package server

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// pagesRoom and pagesAuth are just enough of a room and an account store
// for routes that never reach them.
type pagesRoom struct{ Room }

func (pagesRoom) Name() string { return "Room 1" }

type pagesAuth struct{ Auth }

func newPagesServer(tb testing.TB) http.Handler {
	tb.Helper()
	s, err := New(Deps{Rooms: []Room{pagesRoom{}}, Auth: pagesAuth{}})
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	return s.Handler()
}

func fetch(tb testing.TB, h http.Handler, path string) (*http.Response, string) {
	tb.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	res := rec.Result()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func TestServer_Pages(t *testing.T) {
	h := newPagesServer(t)
	for path, script := range map[string]string{
		"/":      "/static/console.js",
		"/t":     "/static/tablet.js",
		"/pair":  "/static/pair.js",
		"/login": "/static/login.js",
		"/setup": "/static/setup.js",
		"/admin": "/static/admin.js",
	} {
		res, body := fetch(t, h, path)
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET %s: got status %d, want 200", path, res.StatusCode)
			continue
		}
		for k, want := range map[string]string{
			"Content-Type":            "text/html; charset=utf-8",
			"Content-Security-Policy": pageCSP,
			"X-Content-Type-Options":  "nosniff",
			"Referrer-Policy":         "no-referrer",
		} {
			if got := res.Header.Get(k); got != want {
				t.Errorf("GET %s: %s: got %q, want %q", path, k, got, want)
			}
		}
		if !strings.Contains(body, script) {
			t.Errorf("GET %s: got a page without %s, want it", path, script)
		}
	}
}

func TestServer_PagesCSP(t *testing.T) {
	for _, want := range []string{"default-src 'self'", "img-src 'self' data:", "media-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(pageCSP, want) {
			t.Errorf("pageCSP: got %q, want it to contain %q", pageCSP, want)
		}
	}
}

func TestServer_Static(t *testing.T) {
	h := newPagesServer(t)
	for path, want := range map[string]string{
		"/static/app.css":     "text/css; charset=utf-8",
		"/static/ws.js":       "text/javascript; charset=utf-8",
		"/static/timeline.js": "text/javascript; charset=utf-8",
	} {
		res, body := fetch(t, h, path)
		if res.StatusCode != http.StatusOK || body == "" {
			t.Errorf("GET %s: got status %d and %d bytes, want 200 and the file", path, res.StatusCode, len(body))
		}
		if got := res.Header.Get("Content-Type"); got != want {
			t.Errorf("GET %s: Content-Type: got %q, want %q", path, got, want)
		}
		if got := res.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("GET %s: X-Content-Type-Options: got %q, want nosniff", path, got)
		}
	}
}

func TestServer_StaticNotFound(t *testing.T) {
	h := newPagesServer(t)
	for _, path := range []string{"/static/nope.js", "/static/", "/static/console.html", "/nowhere", "/t/x"} {
		res, _ := fetch(t, h, path)
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: got status %d, want 404", path, res.StatusCode)
		}
	}
}
