package server

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"attune/server/auth"
)

// denyLimiter refuses the keys in deny. mu protects both fields.
type denyLimiter struct {
	mu   sync.Mutex
	deny map[string]bool
	seen []string
}

func (l *denyLimiter) Allow(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seen = append(l.seen, key)
	return !l.deny[key]
}

// post sends a same-origin JSON POST without credentials.
func (f *matrixFixture) post(path string, body any) (*http.Response, []byte) {
	f.t.Helper()
	req := f.request(http.MethodPost, path, body)
	req.Header.Set("Origin", f.ts.URL)
	return f.do(req)
}

// as sends a request with k's fresh credentials (cookie mode).
func (f *matrixFixture) as(k callerKind, method, path string, body any) (*http.Response, []byte) {
	f.t.Helper()
	req := f.request(method, path, body)
	f.authorize(req.Header, k, false)
	return f.do(req)
}

func findCookie(t testing.TB, resp *http.Response, name string) *http.Cookie {
	t.Helper()
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func decodeBody(t testing.TB, body []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("decode %q: %v", body, err)
	}
}

// me asks /api/me with the given header set.
func (f *matrixFixture) me(set func(h http.Header)) meReply {
	f.t.Helper()
	req := f.request(http.MethodGet, "/api/me", nil)
	set(req.Header)
	resp, body := f.do(req)
	if resp.StatusCode != http.StatusOK {
		f.t.Fatalf("GET /api/me: got %d %s, want 200", resp.StatusCode, body)
	}
	var me meReply
	decodeBody(f.t, body, &me)
	return me
}

func TestServer_postLogin(t *testing.T) {
	f := newMatrixFixture(t)
	resp, body := f.post("/api/login", map[string]any{"name": therapistName, "password": matrixPassword})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login: got %d %s, want 200", resp.StatusCode, body)
	}
	var rep map[string]any
	decodeBody(t, body, &rep)
	if rep["name"] != therapistName || rep["role"] != "therapist" || rep["token"] != nil {
		t.Errorf("login reply: got %v, want name %s, role therapist, no token", rep, therapistName)
	}
	c := findCookie(t, resp, StaffCookie)
	if c == nil {
		t.Fatalf("login: no %s cookie in %v", StaffCookie, resp.Header["Set-Cookie"])
	}
	if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.Secure || c.MaxAge != 12*3600 {
		t.Errorf("cookie: got HttpOnly %v SameSite %v Path %q Secure %v MaxAge %d, want true Strict / false 43200",
			c.HttpOnly, c.SameSite, c.Path, c.Secure, c.MaxAge)
	}
	me := f.me(func(h http.Header) { h.Add("Cookie", c.String()) })
	if me.Role != auth.Therapist || me.Name != therapistName {
		t.Errorf("me with the login cookie: got %+v, want therapist %s", me, therapistName)
	}
}

func TestServer_postLogin_bearer(t *testing.T) {
	f := newMatrixFixture(t)
	resp, body := f.post("/api/login", map[string]any{"name": adminName, "password": matrixPassword, "bearer": true})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login: got %d %s, want 200", resp.StatusCode, body)
	}
	if len(resp.Cookies()) != 0 {
		t.Errorf("bearer login set cookies %v, want none", resp.Header["Set-Cookie"])
	}
	var rep loginReply
	decodeBody(t, body, &rep)
	if rep.Token == "" || rep.Role != auth.Admin {
		t.Fatalf("bearer login reply: got %+v, want a token for an admin", rep)
	}
	me := f.me(func(h http.Header) { h.Set("Authorization", "Bearer "+rep.Token) })
	if me.Role != auth.Admin || me.Name != adminName {
		t.Errorf("me with the bearer token: got %+v, want admin %s", me, adminName)
	}
}

func TestServer_postLogin_wrong(t *testing.T) {
	f := newMatrixFixture(t)
	var msgs []string
	for _, body := range []map[string]any{
		{"name": therapistName, "password": "not the password"},
		{"name": "nobody", "password": matrixPassword},
	} {
		resp, b := f.post("/api/login", body)
		if resp.StatusCode != http.StatusUnauthorized || errorCode(b) != CodeUnauthorized {
			t.Errorf("login %v: got %d %s, want 401 unauthorized", body["name"], resp.StatusCode, b)
		}
		if len(resp.Cookies()) != 0 {
			t.Errorf("failed login set cookies %v", resp.Header["Set-Cookie"])
		}
		msgs = append(msgs, string(b))
	}
	if msgs[0] != msgs[1] || !strings.Contains(msgs[0], msgBadLogin) {
		t.Errorf("wrong password and unknown user: got %q and %q, want the same %q", msgs[0], msgs[1], msgBadLogin)
	}
	if resp, b := f.post("/api/login", `{"name": "dana", "password": 5}`); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("login with a number for a password: got %d %s, want 400", resp.StatusCode, b)
	}
}

func TestServer_postLogin_rateLimited(t *testing.T) {
	for _, key := range []string{"addr:127.0.0.1", "name:" + therapistName} {
		t.Run(key, func(t *testing.T) {
			f := newMatrixFixture(t)
			lim := &denyLimiter{deny: map[string]bool{key: true}}
			f.srv.login = lim
			// The right password: a limited caller is refused before it is checked.
			resp, body := f.post("/api/login", map[string]any{"name": therapistName, "password": matrixPassword})
			if resp.StatusCode != http.StatusTooManyRequests || errorCode(body) != CodeRateLimited {
				t.Errorf("limited login: got %d %s, want 429 rate_limited", resp.StatusCode, body)
			}
			if got := resp.Header.Get("Retry-After"); got != "6" {
				t.Errorf("Retry-After: got %q, want 6", got)
			}
			if len(resp.Cookies()) != 0 {
				t.Errorf("a limited login set cookies %v", resp.Header["Set-Cookie"])
			}
		})
	}
}

func TestServer_postLogin_secureOverTLS(t *testing.T) {
	f := newMatrixFixture(t)
	r := httptest.NewRequest(http.MethodPost, "https://attune.clinic.lan/api/login",
		strings.NewReader(`{"name": "dana", "password": "`+matrixPassword+`"}`))
	r.Header.Set("Origin", "https://attune.clinic.lan")
	w := httptest.NewRecorder()
	f.srv.Handler().ServeHTTP(w, r)
	resp := w.Result()
	c := findCookie(t, resp, StaffCookie)
	if resp.StatusCode != http.StatusOK || c == nil || !c.Secure {
		t.Errorf("login over TLS: got %d with cookie %v, want 200 and a Secure cookie", resp.StatusCode, c)
	}
}

func TestServer_postLogout(t *testing.T) {
	f := newMatrixFixture(t)
	tok := f.auth.mintLogin(therapistName)
	req := f.request(http.MethodPost, "/api/logout", nil)
	req.Header.Set("Origin", f.ts.URL)
	req.AddCookie(&http.Cookie{Name: StaffCookie, Value: tok})
	resp, body := f.do(req)
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("logout: got %d %s, want 204", resp.StatusCode, body)
	}
	if f.auth.loggedIn(tok) {
		t.Errorf("logout left the login alive")
	}
	for _, name := range []string{StaffCookie, PatientCookie} {
		if c := findCookie(t, resp, name); c == nil || c.MaxAge >= 0 || c.Value != "" {
			t.Errorf("logout: cookie %s got %v, want cleared (Max-Age<0)", name, c)
		}
	}

	bt := f.auth.mintLogin(adminName)
	req = f.request(http.MethodPost, "/api/logout", nil)
	req.Header.Set("Authorization", "Bearer "+bt)
	if resp, body := f.do(req); resp.StatusCode != http.StatusNoContent || f.auth.loggedIn(bt) {
		t.Errorf("bearer logout: got %d %s, logged in %v; want 204 and the token ended", resp.StatusCode, body, f.auth.loggedIn(bt))
	}
	if resp, body := f.post("/api/logout", nil); resp.StatusCode != http.StatusNoContent {
		t.Errorf("anonymous logout: got %d %s, want 204", resp.StatusCode, body)
	}
}

func TestServer_getMe(t *testing.T) {
	f := newMatrixFixture(t)
	if me := f.me(func(http.Header) {}); me != (meReply{}) {
		t.Errorf("anonymous me: got %+v, want all empty", me)
	}
	me := f.me(func(h http.Header) { f.authorize(h, asPatientB, false) })
	if me.Role != auth.Patient || me.Room != roomB || me.Name != "" || me.Expires == nil || !me.Expires.Equal(f.now.Add(time.Hour)) {
		t.Errorf("patient me: got %+v, want patient of %s expiring %v", me, roomB, f.now.Add(time.Hour))
	}
	if me := f.me(func(h http.Header) { f.authorize(h, asAdmin, true) }); me.Role != auth.Admin || me.Name != adminName || me.Expires != nil {
		t.Errorf("admin me: got %+v, want admin %s without expiry", me, adminName)
	}
}

func TestServer_setup(t *testing.T) {
	f := newMatrixFixture(t)
	needed := func() bool {
		t.Helper()
		resp, body := f.do(f.request(http.MethodGet, "/api/setup", nil))
		var rep struct{ Needed *bool }
		decodeBody(t, body, &rep)
		if resp.StatusCode != http.StatusOK || rep.Needed == nil {
			t.Fatalf("GET /api/setup: got %d %s, want 200 {needed}", resp.StatusCode, body)
		}
		return *rep.Needed
	}
	if needed() {
		t.Errorf("setup needed with an admin: got true, want false")
	}
	if err := f.auth.DeleteUser(t.Context(), therapistName); err != nil {
		t.Fatal(err)
	}
	f.auth.mu.Lock()
	delete(f.auth.users, adminName) // no admin yet, as on a first start
	f.auth.mu.Unlock()
	if !needed() {
		t.Errorf("setup needed without an admin: got false, want true")
	}

	tok := f.auth.newSetupToken()
	resp, body := f.post("/api/setup", map[string]any{"token": "guess", "name": "root", "password": matrixPassword})
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(body), msgBadSetup) {
		t.Errorf("setup with a wrong token: got %d %s, want 401 %q", resp.StatusCode, body, msgBadSetup)
	}
	resp, body = f.post("/api/setup", map[string]any{"token": tok, "name": "root", "password": "short"})
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("setup with a weak password: got %d %s, want 400", resp.StatusCode, body)
	}
	tok = f.auth.newSetupToken()
	resp, body = f.post("/api/setup", map[string]any{"token": tok, "name": "root", "password": matrixPassword})
	c := findCookie(t, resp, StaffCookie)
	if resp.StatusCode != http.StatusOK || c == nil {
		t.Fatalf("setup: got %d %s cookie %v, want 200 with a login cookie", resp.StatusCode, body, c)
	}
	if me := f.me(func(h http.Header) { h.Add("Cookie", c.String()) }); me.Role != auth.Admin || me.Name != "root" {
		t.Errorf("me after setup: got %+v, want admin root", me)
	}
	if needed() {
		t.Errorf("setup still needed after it was done")
	}
	resp, body = f.post("/api/setup", map[string]any{"token": tok, "name": "again", "password": matrixPassword})
	if resp.StatusCode != http.StatusUnauthorized || f.auth.hasUser("again") {
		t.Errorf("setup token used twice: got %d %s, want 401 and no user", resp.StatusCode, body)
	}
}

func TestServer_postPair(t *testing.T) {
	f := newMatrixFixture(t)
	code, _, err := f.auth.NewPairingCode(t.Context(), "Room A", sessionA)
	if err != nil {
		t.Fatal(err)
	}
	resp, body := f.post("/api/pair", map[string]any{"code": code})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("pair: got %d %s, want 200", resp.StatusCode, body)
	}
	var rep map[string]any
	decodeBody(t, body, &rep)
	if rep["room"] != roomA || rep["expires"] != f.now.Add(time.Hour).Format(time.RFC3339) || rep["token"] != nil {
		t.Errorf("pair reply: got %v, want room %s, expires in an hour, no token", rep, roomA)
	}
	c := findCookie(t, resp, PatientCookie)
	if c == nil || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.MaxAge != 3600 {
		t.Fatalf("patient cookie: got %+v, want HttpOnly, Strict, Path /, Max-Age 3600 (the grant's)", c)
	}
	if me := f.me(func(h http.Header) { h.Add("Cookie", c.String()) }); me.Role != auth.Patient || me.Room != roomA {
		t.Errorf("me with the patient cookie: got %+v, want patient of %s", me, roomA)
	}

	var msgs []string
	for _, bad := range []string{code, "000000"} { // used, and wrong
		resp, body := f.post("/api/pair", map[string]any{"code": bad})
		if resp.StatusCode != http.StatusUnauthorized || len(resp.Cookies()) != 0 {
			t.Errorf("pair with %s: got %d %s cookies %v, want 401 without cookies", bad, resp.StatusCode, body, resp.Cookies())
		}
		msgs = append(msgs, string(body))
	}
	if msgs[0] != msgs[1] || !strings.Contains(msgs[0], msgBadCode) {
		t.Errorf("used and wrong code: got %q and %q, want the same %q", msgs[0], msgs[1], msgBadCode)
	}

	code, _, _ = f.auth.NewPairingCode(t.Context(), "Room B", 8)
	resp, body = f.post("/api/pair", map[string]any{"code": code, "bearer": true})
	var brep pairReply
	decodeBody(t, body, &brep)
	if resp.StatusCode != http.StatusOK || brep.Token == "" || brep.Room != roomB || len(resp.Cookies()) != 0 {
		t.Fatalf("bearer pair: got %d %s cookies %v, want 200 with a token for %s and no cookie", resp.StatusCode, body, resp.Cookies(), roomB)
	}
	if me := f.me(func(h http.Header) { h.Set("Authorization", "Bearer "+brep.Token) }); me.Role != auth.Patient || me.Room != roomB {
		t.Errorf("me with the tablet's bearer token: got %+v, want patient of %s", me, roomB)
	}
}

func TestServer_postPair_rateLimited(t *testing.T) {
	f := newMatrixFixture(t)
	lim := &denyLimiter{deny: map[string]bool{"addr:127.0.0.1": true}}
	f.srv.pair = lim
	code, _, _ := f.auth.NewPairingCode(t.Context(), "Room A", sessionA)
	resp, body := f.post("/api/pair", map[string]any{"code": code})
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "6" {
		t.Errorf("limited pair: got %d %s Retry-After %q, want 429 with Retry-After 6", resp.StatusCode, body, resp.Header.Get("Retry-After"))
	}
	// The code was not spent by the refused attempt.
	f.srv.pair = &denyLimiter{}
	if resp, body := f.post("/api/pair", map[string]any{"code": code}); resp.StatusCode != http.StatusOK {
		t.Errorf("pair after the limit lifted: got %d %s, want 200", resp.StatusCode, body)
	}
}

// TestServer_noSecretsLogged signs in, pairs and sets up, then checks
// the server's log holds none of the passwords, codes or tokens.
func TestServer_noSecretsLogged(t *testing.T) {
	f := newMatrixFixture(t)
	var secrets []string
	_, body := f.post("/api/login", map[string]any{"name": adminName, "password": matrixPassword, "bearer": true})
	var lr loginReply
	decodeBody(t, body, &lr)
	secrets = append(secrets, matrixPassword, lr.Token)
	_, _ = f.post("/api/login", map[string]any{"name": adminName, "password": "a wrong password"})
	secrets = append(secrets, "a wrong password")
	code, _, _ := f.auth.NewPairingCode(t.Context(), "Room A", sessionA)
	_, body = f.post("/api/pair", map[string]any{"code": code, "bearer": true})
	var pr pairReply
	decodeBody(t, body, &pr)
	secrets = append(secrets, code, pr.Token)
	tok := f.auth.newSetupToken()
	_, _ = f.post("/api/setup", map[string]any{"token": tok, "name": "root", "password": "root's long password"})
	secrets = append(secrets, tok, "root's long password")

	log := f.log.String()
	if !strings.Contains(log, "signed in") || !strings.Contains(log, "tablet paired") {
		t.Fatalf("the log lacks the sign-in and pairing lines: %q", log)
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(log, s) {
			t.Errorf("the log holds the secret %q:\n%s", s, log)
		}
	}
}
