package auth

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
)

func TestHashPassword_roundTrip(t *testing.T) {
	phc := hashPassword(cheap, "correct horse battery")
	ok, p, err := verifyPassword(phc, "correct horse battery")
	if err != nil || !ok {
		t.Fatalf("verify right password: ok=%v err=%v, want true, nil", ok, err)
	}
	if p != cheap {
		t.Errorf("parameters read back: got %+v, want %+v", p, cheap)
	}
	ok, _, err = verifyPassword(phc, "correct horse batterY")
	if err != nil || ok {
		t.Errorf("verify wrong password: ok=%v err=%v, want false, nil", ok, err)
	}
	if again := hashPassword(cheap, "correct horse battery"); again == phc {
		t.Errorf("two hashes of one password are equal (%s): the salt is not random", phc)
	}
}

func TestHashPassword_defaultsPHC(t *testing.T) {
	o := withDefaults(Options{})
	if o.Argon2 != (Argon2Params{Time: 3, MemoryKiB: 65536, Threads: 1}) {
		t.Fatalf("default argon2 parameters: got %+v, want t=3 m=65536 p=1", o.Argon2)
	}
	phc := hashPassword(o.Argon2, "correct horse battery")
	re := regexp.MustCompile(`^\$argon2id\$v=19\$m=65536,t=3,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)
	if !re.MatchString(phc) {
		t.Errorf("default hash: got %q, want the form %s", phc, re)
	}
	if ok, _, err := verifyPassword(phc, "correct horse battery"); !ok || err != nil {
		t.Errorf("verify default hash: ok=%v err=%v", ok, err)
	}
}

func TestParsePHC_tampered(t *testing.T) {
	good := hashPassword(cheap, "correct horse battery")
	parts := strings.Split(good, "$")
	with := func(i int, v string) string {
		p := append([]string(nil), parts...)
		p[i] = v
		return strings.Join(p, "$")
	}
	for _, tc := range []struct {
		name, phc, wantMsg string
	}{
		{"empty", "", "5 '$'-separated fields"},
		{"bcrypt", "$2y$10$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ012", "5 '$'-separated fields"},
		{"argon2i", with(1, "argon2i"), `algorithm "argon2i"`},
		{"version", with(2, "v=16"), `version field "v=16"`},
		{"unknown param", with(3, "m=64,t=1,p=1,x=2"), `unknown parameter "x=2"`},
		{"missing param", with(3, "m=64,t=1"), "lack one of m, t, p"},
		{"repeated param", with(3, "m=64,t=1,t=2"), `parameter "t" repeated`},
		{"not a number", with(3, "m=lots,t=1,p=1"), `"m=lots" is not a number`},
		{"huge memory", with(3, "m=4194304,t=1,p=1"), "argon2 memory 4194304 KiB"},
		{"zero time", with(3, "m=64,t=0,p=1"), "argon2 time 0"},
		{"salt", with(4, "!!!"), "salt is not unpadded base64"},
		{"hash padded", with(5, parts[5]+"="), "hash is not unpadded base64"},
		{"hash short", with(5, "AAAA"), "hash is not unpadded base64 of at least 16 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ok, _, err := verifyPassword(tc.phc, "correct horse battery")
			if ok || !errors.Is(err, errBadHash) || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("verify %q: got ok=%v err=%v, want errBadHash saying %q", tc.phc, ok, err, tc.wantMsg)
			}
		})
	}
	// A well-formed hash whose bytes or parameters were changed is simply
	// a wrong password.
	flipped := []byte(parts[5])
	if flipped[0] = 'A'; parts[5][0] == 'A' {
		flipped[0] = 'B'
	}
	for _, phc := range []string{with(5, string(flipped)), with(3, fmt.Sprintf("m=%d,t=%d,p=1", cheap.MemoryKiB, cheap.Time+1))} {
		if ok, _, err := verifyPassword(phc, "correct horse battery"); ok || err != nil {
			t.Errorf("verify altered %q: ok=%v err=%v, want false, nil", phc, ok, err)
		}
	}
}

func TestStore_LoginCorruptHash(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, newClock())
	mustAdd(t, s, "anna", Admin)
	if _, err := s.db.ExecContext(ctx, `UPDATE auth_users SET password = 'plaintext!' WHERE name = 'anna'`); err != nil {
		t.Fatal(err)
	}
	_, _, err := s.Login(ctx, "anna", "correct horse anna", "")
	if !errors.Is(err, errBadHash) || errors.Is(err, ErrBadLogin) || strings.Contains(err.Error(), "plaintext!") {
		t.Errorf("login with a corrupt stored hash: got %v, want errBadHash (not ErrBadLogin), without the stored value", err)
	}
}
