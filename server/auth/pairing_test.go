package auth

import (
	"context"
	"regexp"
	"testing"
	"time"
)

func TestStore_NewPairingCode(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	s := newStore(t, c)
	re := regexp.MustCompile(`^[0-9]{6}$`)
	seen := map[string]bool{}
	for i := range 50 {
		code, exp, err := s.NewPairingCode(ctx, "Room 1", 7)
		if err != nil {
			t.Fatal(err)
		}
		if !re.MatchString(code) {
			t.Fatalf("code %q: want 6 digits", code)
		}
		if want := c.now().Add(10 * time.Minute); !exp.Equal(want) {
			t.Fatalf("expires %v, want %v", exp, want)
		}
		if i < 49 {
			seen[code] = true
		}
	}
	// 50 draws from a million collide with probability 0.1 %; all of
	// them equal would mean no randomness at all.
	if len(seen) < 45 {
		t.Errorf("49 codes drawn, only %d distinct", len(seen))
	}
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM auth_pairing_codes`).Scan(&n); err != nil || n != 1 {
		t.Errorf("codes stored after 50 for one room: %d (%v), want 1", n, err)
	}
	_, _, err := s.NewPairingCode(ctx, "", 0)
	wantErr(t, "code for no room", err, ErrInvalid)
}

func TestNewCode_uniform(t *testing.T) {
	// Every digit position takes every value about equally often.
	const draws = 20000
	var counts [codeDigits][10]int
	for range draws {
		code, err := newCode()
		if err != nil {
			t.Fatal(err)
		}
		for i := range codeDigits {
			counts[i][code[i]-'0']++
		}
	}
	for i := range codeDigits {
		for d, n := range counts[i] {
			// expected 2000, σ ≈ 42: ±300 is over 7σ.
			if n < 1700 || n > 2300 {
				t.Errorf("digit %d is %d in %d of %d codes, want about %d", i, d, n, draws, draws/10)
			}
		}
	}
}

func TestStore_Pair(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	s := newStore(t, c)
	code, _, _ := s.NewPairingCode(ctx, "Room 1", 7)
	c.advance(time.Minute)
	token, g, err := s.Pair(ctx, code, "iPad")
	if err != nil {
		t.Fatalf("Pair: %v", err)
	}
	if g.Room != "Room 1" || g.SessionID != 7 || !g.Expires.Equal(c.now().Add(DefaultPatientMaxAge)) {
		t.Errorf("grant: got %+v, want Room 1, session 7, expiring in %v", g, DefaultPatientMaxAge)
	}
	if len(token) != 43 {
		t.Errorf("token %q: want 43 characters", token)
	}
	got, err := s.Patient(ctx, token)
	if err != nil || got != g {
		t.Errorf("Patient: got %+v, %v; want %+v", got, err, g)
	}
	_, _, err = s.Pair(ctx, code, "second tablet")
	wantErr(t, "Pair with a used code", err, ErrBadCode)
	for _, bad := range []string{"", "12345", "1234567", "12a456", "000000"} {
		_, _, err := s.Pair(ctx, bad, "")
		wantErr(t, "Pair with "+bad, err, ErrBadCode)
	}
	_, err = s.Patient(ctx, "nope")
	wantErr(t, "Patient of an unknown token", err, ErrNotFound)
}

func TestStore_PairExpiry(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	s := newStore(t, c)
	code, _, _ := s.NewPairingCode(ctx, "Room 1", 0)
	c.advance(10*time.Minute - time.Nanosecond)
	if _, _, err := s.Pair(ctx, code, ""); err != nil {
		t.Errorf("Pair just before 10 min: %v", err)
	}
	code, _, _ = s.NewPairingCode(ctx, "Room 1", 0)
	c.advance(10 * time.Minute)
	_, _, err := s.Pair(ctx, code, "")
	wantErr(t, "Pair at 10 min", err, ErrBadCode)
}

func TestStore_PairReplacedCode(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, newClock())
	old, _, _ := s.NewPairingCode(ctx, "Room 1", 3)
	other, _, _ := s.NewPairingCode(ctx, "Room 2", 4)
	code, _, _ := s.NewPairingCode(ctx, "Room 1", 3)
	if code == old {
		t.Skip("the new code drew the old one (one chance in a million)")
	}
	_, _, err := s.Pair(ctx, old, "")
	wantErr(t, "Pair with the replaced code", err, ErrBadCode)
	if _, g, err := s.Pair(ctx, code, ""); err != nil || g.Room != "Room 1" {
		t.Errorf("Pair with the new code: %+v, %v", g, err)
	}
	if _, g, err := s.Pair(ctx, other, ""); err != nil || g.Room != "Room 2" || g.SessionID != 4 {
		t.Errorf("Pair with the other room's code: %+v, %v; want Room 2, session 4", g, err)
	}
}

func TestStore_PatientExpiry(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	path := tempDB(t)
	s := openStore(t, path, c)
	pair := func(room string, session int64) string {
		t.Helper()
		code, _, err := s.NewPairingCode(ctx, room, session)
		if err != nil {
			t.Fatal(err)
		}
		token, _, err := s.Pair(ctx, code, "")
		if err != nil {
			t.Fatal(err)
		}
		return token
	}
	inSession := pair("Room 1", 7)
	otherSession := pair("Room 1", 8)
	otherRoom := pair("Room 2", 7)
	noSession := pair("Room 1", 0)
	unused, _, _ := s.NewPairingCode(ctx, "Room 1", 7)

	c.advance(2 * time.Hour)
	if err := s.EndSession(ctx, "Room 1", 7); err != nil {
		t.Fatal(err)
	}
	_, _, err := s.Pair(ctx, unused, "")
	wantErr(t, "Pair with a code of the ended session", err, ErrBadCode)

	s = openStore(t, path, c) // it holds across a restart
	c.advance(30*time.Minute - time.Nanosecond)
	g, err := s.Patient(ctx, inSession)
	if err != nil || !g.Expires.Equal(c.now().Add(time.Nanosecond)) {
		t.Errorf("Patient within the grace: %+v, %v; want expiring in 1 ns", g, err)
	}
	c.advance(time.Nanosecond)
	_, err = s.Patient(ctx, inSession)
	wantErr(t, "Patient after the grace", err, ErrExpired)
	for name, tok := range map[string]string{"other session": otherSession, "other room": otherRoom, "no session": noSession} {
		if _, err := s.Patient(ctx, tok); err != nil {
			t.Errorf("Patient of %s: %v, want untouched by ending Room 1's session 7", name, err)
		}
	}

	// Paired with no session: 12 h from pairing (now 2.5 h ago).
	c.advance(9*time.Hour + 30*time.Minute)
	_, err = s.Patient(ctx, noSession)
	wantErr(t, "Patient 12 h after pairing outside a session", err, ErrExpired)
	// Paired in a session that never ends: the 24 h bound.
	if _, err := s.Patient(ctx, otherSession); err != nil {
		t.Errorf("Patient of a running session's token after 12 h: %v", err)
	}
	c.advance(12 * time.Hour)
	_, err = s.Patient(ctx, otherSession)
	wantErr(t, "Patient of a session's token after 24 h", err, ErrExpired)

	// Ending a session later never extends a token.
	if err := s.EndSession(ctx, "Room 1", 8); err != nil {
		t.Fatal(err)
	}
	_, err = s.Patient(ctx, otherSession)
	wantErr(t, "Patient after a late EndSession", err, ErrExpired)
}
