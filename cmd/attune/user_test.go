package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"attune/media/store"
	"attune/server/auth"
)

// attuneStdin runs attune with stdin as its standard input.
func attuneStdin(t testing.TB, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestRun_user(t *testing.T) {
	isolate(t)
	t.Setenv("ATTUNE_DATA_DIR", filepath.Join(t.TempDir(), "data"))

	code, stdout, errOut := attuneStdin(t, "correct horse battery\n", "user", "add", "Anna Berg", "--role", "admin")
	if code != exitOK || stdout != "added admin \"Anna Berg\"\n" {
		t.Fatalf("user add: exit %d, %q, %q; want 0, added admin", code, stdout, errOut)
	}
	// The password is one line: no trailing newline needed.
	if code, _, errOut = attuneStdin(t, "another good one", "user", "add", "--role", "therapist", "bo"); code != exitOK {
		t.Fatalf("user add bo: exit %d, %s", code, errOut)
	}

	// The line's end is not part of the password.
	db, err := store.OpenDB(context.Background(), dbPath(os.Getenv("ATTUNE_DATA_DIR")))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	users, err := auth.Open(context.Background(), db, auth.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := users.Login(context.Background(), "Anna Berg", "correct horse battery", "test"); err != nil {
		t.Errorf("login with the password given on stdin: %v", err)
	}

	for _, tc := range []struct {
		name, stdin string
		args        []string
		code        int
		msg         string
	}{
		{"duplicate", "correct horse battery\n", []string{"user", "add", "anna berg", "--role", "therapist"}, exitFailure, "user already exists"},
		{"weak password", "short\n", []string{"user", "add", "cy", "--role", "therapist"}, exitFailure, "at least 10 characters"},
		{"no password", "", []string{"user", "add", "cy", "--role", "therapist"}, exitFailure, "no password"},
		{"no role", "correct horse battery\n", []string{"user", "add", "cy"}, exitUsage, "--role must be admin or therapist"},
		{"patient role", "correct horse battery\n", []string{"user", "add", "cy", "--role", "patient"}, exitUsage, `got "patient"`},
		{"two names", "correct horse battery\n", []string{"user", "add", "cy", "dee", "--role", "admin"}, exitUsage, "name one user"},
		{"bad name", "correct horse battery\n", []string{"user", "add", "c\ty", "--role", "admin"}, exitUsage, "control characters"},
		{"last admin", "", []string{"user", "delete", "Anna Berg"}, exitFailure, "cannot remove the last admin"},
		{"delete nobody", "", []string{"user", "delete", "nobody"}, exitFailure, "user not found"},
		{"passwd nobody", "a long new password\n", []string{"user", "passwd", "nobody"}, exitFailure, "user not found"},
		{"list with args", "", []string{"user", "list", "x"}, exitUsage, "takes no arguments"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := attuneStdin(t, tc.stdin, tc.args...)
			if code != tc.code || !strings.Contains(errOut, tc.msg) {
				t.Errorf("%s: exit %d, %q; want exit %d saying %q", strings.Join(tc.args, " "), code, errOut, tc.code, tc.msg)
			}
		})
	}

	code, stdout, errOut = attune(t, "user", "list")
	created := regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d`)
	var rows []string
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		line = created.ReplaceAllString(line, "TIME")
		rows = append(rows, strings.Join(strings.Fields(line), " "))
	}
	want := []string{"NAME ROLE CREATED", "Anna Berg admin TIME", "bo therapist TIME", "2 users"}
	if code != exitOK || strings.Join(rows, "|") != strings.Join(want, "|") {
		t.Errorf("user list: exit %d, rows %q (%s); want %q", code, rows, errOut, want)
	}
	if strings.Contains(stdout, "argon2") {
		t.Errorf("user list shows password hashes:\n%s", stdout)
	}

	if code, _, errOut = attuneStdin(t, "a long new password\n", "user", "passwd", "bo"); code != exitOK {
		t.Errorf("user passwd: exit %d, %s", code, errOut)
	}
	if code, stdout, errOut = attune(t, "user", "delete", "bo"); code != exitOK || !strings.Contains(stdout, `deleted user "bo"`) {
		t.Errorf("user delete: exit %d, %q, %s", code, stdout, errOut)
	}
	if code, stdout, _ = attune(t, "user", "list"); code != exitOK || !strings.HasSuffix(stdout, "1 users\n") {
		t.Errorf("user list after delete: exit %d, %q; want 1 user", code, stdout)
	}
}
