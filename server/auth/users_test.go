package auth

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestStore_AddUser(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	s := newStore(t, c)
	if err := s.AddUser(ctx, "Anna Berg", Admin, "correct horse battery"); err != nil {
		t.Fatalf("AddUser: %v", err)
	}
	c.advance(time.Minute)
	mustAdd(t, s, "bo", Therapist)

	for _, tc := range []struct {
		name, user, password string
		role                 Role
		want                 error
		wantMsg              string
	}{
		{"duplicate", "Anna Berg", "another fine password", Therapist, ErrExists, `add user "Anna Berg": user already exists`},
		{"duplicate other case", "anna berg", "another fine password", Therapist, ErrExists, "already exists"},
		{"short password", "cy", "123456789", Therapist, ErrWeakPassword, "at least 10 characters (got 9)"},
		{"short in bytes only", "cy", "ééééé", Therapist, ErrWeakPassword, "(got 5)"},
		{"long password", "cy", strings.Repeat("x", MaxPasswordBytes+1), Therapist, ErrInvalid, "1025 bytes, at most 1024"},
		{"patient", "cy", "correct horse battery", Patient, ErrInvalid, `role "patient"`},
		{"empty name", "", "correct horse battery", Therapist, ErrInvalid, "user name: empty"},
		{"long name", strings.Repeat("n", 65), "correct horse battery", Therapist, ErrInvalid, "65 characters, at most 64"},
		{"control", "cy\n", "correct horse battery", Therapist, ErrInvalid, "space at the start or end"},
		{"control inside", "c\x07y", "correct horse battery", Therapist, ErrInvalid, "control characters"},
		{"bad utf-8", "c\xffy", "correct horse battery", Therapist, ErrInvalid, "not valid UTF-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := s.AddUser(ctx, tc.user, tc.role, tc.password)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("AddUser(%q, %q): got %v, want %v saying %q", tc.user, tc.role, err, tc.want, tc.wantMsg)
			}
		})
	}
	if err := s.AddUser(ctx, strings.Repeat("é", 64), Therapist, "correct horse battery"); err != nil {
		t.Errorf("AddUser of a 64-character name: %v", err)
	}

	users, err := s.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t0 := newClock().now()
	want := []User{{"Anna Berg", Admin, t0}, {"bo", Therapist, t0.Add(time.Minute)}, {strings.Repeat("é", 64), Therapist, t0.Add(time.Minute)}}
	if len(users) != len(want) {
		t.Fatalf("Users: got %v, want %v", users, want)
	}
	for i := range want {
		if users[i] != want[i] {
			t.Errorf("Users[%d]: got %+v, want %+v", i, users[i], want[i])
		}
	}
}

func TestStore_LoginUnknownAndWrongAlike(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, newClock())
	mustAdd(t, s, "anna", Admin)
	_, _, errWrong := s.Login(ctx, "anna", "wrong password!", "")
	_, _, errUnknown := s.Login(ctx, "nobody", "wrong password!", "")
	wantErr(t, "wrong password", errWrong, ErrBadLogin)
	wantErr(t, "unknown user", errUnknown, ErrBadLogin)
	if errWrong.Error() != errUnknown.Error() {
		t.Errorf("messages differ: wrong password %q, unknown user %q; want the same", errWrong, errUnknown)
	}

	token, u, err := s.Login(ctx, "ANNA", "correct horse anna", "Firefox on the desk")
	if err != nil || u.Name != "anna" || u.Role != Admin {
		t.Fatalf("Login in other case: got %+v, %v; want anna, admin", u, err)
	}
	if len(token) != 43 || strings.ContainsAny(token, "+/=") {
		t.Errorf("token %q: want 43 characters of unpadded base64url (256 bits)", token)
	}
	var stored int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM auth_logins WHERE token_hash = ? OR CAST(token_hash AS TEXT) = ?`,
		token, token).Scan(&stored); err != nil || stored != 0 {
		t.Errorf("the token itself is in the database (%d rows, %v): want only its hash", stored, err)
	}
}

func TestStore_LoginUnknownSpendsHash(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, newClock())
	mustAdd(t, s, "anna", Admin)
	// With 8 MiB hashes, a login that derives one allocates 8 MiB; one
	// that skips it, next to nothing.
	s.opts.Argon2 = Argon2Params{Time: 1, MemoryKiB: 8 << 10, Threads: 1}
	allocated := func(name string) uint64 {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, _, err := s.Login(ctx, name, "wrong password!", "")
		runtime.ReadMemStats(&after)
		wantErr(t, "login as "+name, err, ErrBadLogin)
		return after.TotalAlloc - before.TotalAlloc
	}
	if got := allocated("nobody"); got < 8<<20 {
		t.Errorf("unknown user's login allocated %d bytes, want ≥ 8 MiB: it must derive a hash like a wrong password does", got)
	}
}

func TestStore_SessionSliding(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	s := newStore(t, c)
	mustAdd(t, s, "bo", Therapist)
	token, _, err := s.Login(ctx, "bo", "correct horse bo", "")
	if err != nil {
		t.Fatal(err)
	}
	// Used every 11 hours, it lives on past the 12-hour TTL.
	for i := range 3 {
		c.advance(11 * time.Hour)
		u, err := s.Session(ctx, token)
		if err != nil || u.Name != "bo" || u.Role != Therapist {
			t.Fatalf("Session after %d×11h: got %+v, %v; want bo, therapist", i+1, u, err)
		}
	}
	// It expires SessionTTL after the last use, to the nanosecond.
	c.advance(12*time.Hour - time.Nanosecond)
	if _, err := s.Session(ctx, token); err != nil {
		t.Fatalf("Session 1 ns before expiry: %v", err)
	}
	c.advance(12 * time.Hour)
	_, err = s.Session(ctx, token)
	wantErr(t, "Session 12h after last use", err, ErrExpired)

	// An extension of less than a minute is not written.
	token, _, _ = s.Login(ctx, "bo", "correct horse bo", "")
	c.advance(30 * time.Second)
	if _, err := s.Session(ctx, token); err != nil {
		t.Fatalf("Session 30 s after login: %v", err)
	}
	c.advance(12*time.Hour - 30*time.Second)
	_, err = s.Session(ctx, token)
	wantErr(t, "Session 12h after login, used only 30 s after it", err, ErrExpired)

	_, err = s.Session(ctx, "not a token")
	wantErr(t, "Session of an unknown token", err, ErrNotFound)
}

func TestStore_SessionSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	path := tempDB(t)
	s := openStore(t, path, c)
	mustAdd(t, s, "bo", Therapist)
	token, _, err := s.Login(ctx, "bo", "correct horse bo", "")
	if err != nil {
		t.Fatal(err)
	}
	s2 := openStore(t, path, c)
	if u, err := s2.Session(ctx, token); err != nil || u.Name != "bo" {
		t.Errorf("Session after reopening: got %+v, %v; want bo", u, err)
	}
}

func TestStore_Logout(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, newClock())
	mustAdd(t, s, "bo", Therapist)
	t1, _, _ := s.Login(ctx, "bo", "correct horse bo", "laptop")
	t2, _, _ := s.Login(ctx, "bo", "correct horse bo", "desktop")
	if err := s.Logout(ctx, t1); err != nil {
		t.Fatalf("Logout: %v", err)
	}
	_, err := s.Session(ctx, t1)
	wantErr(t, "Session after logout", err, ErrNotFound)
	wantErr(t, "second Logout", s.Logout(ctx, t1), ErrNotFound)
	if _, err := s.Session(ctx, t2); err != nil {
		t.Errorf("the other browser's session: %v, want still valid", err)
	}
}

func TestStore_SetPassword(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, newClock())
	mustAdd(t, s, "bo", Therapist)
	token, _, _ := s.Login(ctx, "bo", "correct horse bo", "")
	wantErr(t, "weak", s.SetPassword(ctx, "bo", "short"), ErrWeakPassword)
	wantErr(t, "unknown user", s.SetPassword(ctx, "nobody", "a new long password"), ErrNotFound)
	if err := s.SetPassword(ctx, "bo", "a new long password"); err != nil {
		t.Fatalf("SetPassword: %v", err)
	}
	_, err := s.Session(ctx, token)
	wantErr(t, "session opened before the change", err, ErrNotFound)
	_, _, err = s.Login(ctx, "bo", "correct horse bo", "")
	wantErr(t, "old password", err, ErrBadLogin)
	if _, _, err := s.Login(ctx, "bo", "a new long password", ""); err != nil {
		t.Errorf("new password: %v", err)
	}
}

func TestStore_LoginRehashes(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	path := tempDB(t)
	mustAdd(t, openStore(t, path, c), "bo", Therapist)

	s := openStore(t, path, c)
	s.opts.Argon2 = Argon2Params{Time: 2, MemoryKiB: 128, Threads: 1}
	if _, _, err := s.Login(ctx, "bo", "correct horse bo", ""); err != nil {
		t.Fatal(err)
	}
	var phc string
	if err := s.db.QueryRowContext(ctx, `SELECT password FROM auth_users WHERE name = 'bo'`).Scan(&phc); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(phc, "$m=128,t=2,p=1$") {
		t.Errorf("hash after login with new parameters: %q, want m=128,t=2,p=1", phc)
	}
	if _, _, err := s.Login(ctx, "bo", "correct horse bo", ""); err != nil {
		t.Errorf("login after rehash: %v", err)
	}
}

func TestStore_DeleteUser(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, newClock())
	mustAdd(t, s, "anna", Admin)
	mustAdd(t, s, "bo", Therapist)
	wantErr(t, "delete the only admin", s.DeleteUser(ctx, "anna"), ErrLastAdmin)
	wantErr(t, "delete nobody", s.DeleteUser(ctx, "nobody"), ErrNotFound)

	mustAdd(t, s, "cy", Admin)
	token, _, _ := s.Login(ctx, "anna", "correct horse anna", "")
	if err := s.DeleteUser(ctx, "Anna"); err != nil {
		t.Fatalf("delete one of two admins: %v", err)
	}
	_, err := s.Session(ctx, token)
	wantErr(t, "deleted user's session", err, ErrNotFound)
	wantErr(t, "delete the last admin left", s.DeleteUser(ctx, "cy"), ErrLastAdmin)
	if err := s.DeleteUser(ctx, "bo"); err != nil {
		t.Errorf("delete a therapist: %v", err)
	}
	users, _ := s.Users(ctx)
	if len(users) != 1 || users[0].Name != "cy" {
		t.Errorf("Users after deletes: got %+v, want just cy", users)
	}
}

func TestStore_Setup(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, newClock())
	if ok, err := s.HasAdmin(ctx); ok || err != nil {
		t.Fatalf("HasAdmin of an empty store: %v, %v", ok, err)
	}
	first, ok, err := s.SetupToken(ctx)
	if err != nil || !ok || len(first) != 43 {
		t.Fatalf("SetupToken: %q, %v, %v", first, ok, err)
	}
	token, _, _ := s.SetupToken(ctx)
	wantErr(t, "Setup with the voided first token", s.Setup(ctx, first, "anna", "correct horse battery"), ErrBadCode)
	wantErr(t, "Setup with a wrong token", s.Setup(ctx, "guess", "anna", "correct horse battery"), ErrBadCode)
	wantErr(t, "Setup with a weak password", s.Setup(ctx, token, "anna", "short"), ErrWeakPassword)
	if err := s.Setup(ctx, token, "anna", "correct horse battery"); err != nil {
		t.Fatalf("Setup: %v (a refused password must leave the token valid)", err)
	}
	if ok, err := s.HasAdmin(ctx); !ok || err != nil {
		t.Errorf("HasAdmin after Setup: %v, %v", ok, err)
	}
	if _, _, err := s.Login(ctx, "anna", "correct horse battery", ""); err != nil {
		t.Errorf("login as the first admin: %v", err)
	}
	wantErr(t, "Setup again with the used token", s.Setup(ctx, token, "eve", "correct horse battery"), ErrBadCode)
	if tok, ok, err := s.SetupToken(ctx); tok != "" || ok || err != nil {
		t.Errorf("SetupToken with an admin: %q, %v, %v; want \"\", false, nil", tok, ok, err)
	}
}

func TestStore_SetupVoidedByAddUser(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, newClock())
	token, _, _ := s.SetupToken(ctx)
	mustAdd(t, s, "bo", Therapist)
	mustAdd(t, s, "anna", Admin)
	mustAdd(t, s, "cy", Admin)
	if err := s.DeleteUser(ctx, "anna"); err != nil {
		t.Fatal(err)
	}
	err := s.Setup(ctx, token, "eve", "correct horse battery")
	wantErr(t, "Setup after an admin was added", err, ErrBadCode)
	if err != nil && !strings.Contains(err.Error(), `set up first admin "eve"`) {
		t.Errorf("message %q: want it to say what failed", err)
	}
}
