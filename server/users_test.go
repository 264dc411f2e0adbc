package server

import (
	"context"
	"net/http"
	"testing"

	"attune/server/auth"
)

func TestServer_getUsers(t *testing.T) {
	f := newMatrixFixture(t)
	resp, body := f.as(asAdmin, http.MethodGet, "/api/users", nil)
	var users []userJSON
	decodeBody(t, body, &users)
	if resp.StatusCode != http.StatusOK || len(users) != 2 ||
		users[0] != (userJSON{Name: adminName, Role: auth.Admin, Created: f.now}) || users[1].Name != therapistName {
		t.Errorf("GET /api/users: got %d %+v, want 200 [%s admin, %s therapist]", resp.StatusCode, users, adminName, therapistName)
	}
}

func TestServer_postUser(t *testing.T) {
	f := newMatrixFixture(t)
	cases := []struct {
		name string
		body any
		want int
	}{
		{"therapist", map[string]any{"name": "erin", "role": "therapist", "password": matrixPassword}, http.StatusCreated},
		{"admin", map[string]any{"name": "fay", "role": "admin", "password": matrixPassword}, http.StatusCreated},
		{"duplicate", map[string]any{"name": "erin", "role": "therapist", "password": matrixPassword}, http.StatusConflict},
		{"weak password", map[string]any{"name": "gil", "role": "therapist", "password": "short"}, http.StatusBadRequest},
		{"patient role", map[string]any{"name": "hal", "role": "patient", "password": matrixPassword}, http.StatusBadRequest},
		{"no role", map[string]any{"name": "ian", "password": matrixPassword}, http.StatusBadRequest},
		{"unknown field", map[string]any{"name": "jo", "role": "admin", "password": matrixPassword, "root": true}, http.StatusBadRequest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f.t = t
			resp, body := f.as(asAdmin, http.MethodPost, "/api/users", tc.body)
			if resp.StatusCode != tc.want {
				t.Errorf("POST /api/users: got %d %s, want %d", resp.StatusCode, body, tc.want)
			}
		})
	}
	for name, want := range map[string]bool{"erin": true, "fay": true, "gil": false, "hal": false, "ian": false, "jo": false} {
		if got := f.auth.hasUser(name); got != want {
			t.Errorf("user %s exists: got %v, want %v", name, got, want)
		}
	}
}

func TestServer_deleteUser(t *testing.T) {
	f := newMatrixFixture(t)
	del := func(k callerKind, name string) (*http.Response, []byte) {
		t.Helper()
		return f.as(k, http.MethodDelete, "/api/users/"+name, nil)
	}
	if resp, body := del(asAdmin, "nobody"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("delete an unknown user: got %d %s, want 404", resp.StatusCode, body)
	}
	dana := f.auth.mintLogin(therapistName)
	if resp, body := del(asAdmin, therapistName); resp.StatusCode != http.StatusNoContent || f.auth.hasUser(therapistName) {
		t.Errorf("delete %s: got %d %s, want 204 and the user gone", therapistName, resp.StatusCode, body)
	}
	if f.auth.loggedIn(dana) {
		t.Errorf("the deleted user's login is still alive")
	}
	if resp, body := del(asAdmin, adminName); resp.StatusCode != http.StatusConflict || !f.auth.hasUser(adminName) {
		t.Errorf("delete the last admin: got %d %s, want 409 and the admin kept", resp.StatusCode, body)
	}

	// With a second admin, an admin may delete themselves; their cookie goes.
	if err := f.auth.AddUser(context.Background(), "fay", auth.Admin, matrixPassword); err != nil {
		t.Fatal(err)
	}
	resp, body := del(asAdmin, adminName)
	if resp.StatusCode != http.StatusNoContent || f.auth.hasUser(adminName) {
		t.Fatalf("an admin deletes themselves beside another admin: got %d %s, want 204", resp.StatusCode, body)
	}
	if c := findCookie(t, resp, StaffCookie); c == nil || c.MaxAge >= 0 {
		t.Errorf("self-deletion: got cookie %v, want the login cookie cleared", c)
	}
}

func TestServer_putPassword(t *testing.T) {
	f := newMatrixFixture(t)
	if err := f.auth.AddUser(context.Background(), "erin", auth.Therapist, matrixPassword); err != nil {
		t.Fatal(err)
	}
	const pw = "a brand new passphrase"
	cases := []struct {
		name   string
		who    callerKind
		target string
		body   any
		want   int
	}{
		{"therapist, own", asTherapist, therapistName, map[string]any{"password": pw}, http.StatusNoContent},
		{"therapist, another's", asTherapist, "erin", map[string]any{"password": "mallory's password"}, http.StatusForbidden},
		{"therapist, the admin's", asTherapist, adminName, map[string]any{"password": "mallory's password"}, http.StatusForbidden},
		{"admin, another's", asAdmin, "erin", map[string]any{"password": pw}, http.StatusNoContent},
		{"weak", asAdmin, "erin", map[string]any{"password": "short"}, http.StatusBadRequest},
		{"unknown user", asAdmin, "nobody", map[string]any{"password": pw}, http.StatusNotFound},
		{"no body", asAdmin, "erin", nil, http.StatusBadRequest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f.t = t
			resp, body := f.as(tc.who, http.MethodPut, "/api/users/"+tc.target+"/password", tc.body)
			if resp.StatusCode != tc.want {
				t.Errorf("PUT password: got %d %s, want %d", resp.StatusCode, body, tc.want)
			}
		})
	}
	for name, want := range map[string]string{therapistName: pw, "erin": pw, adminName: matrixPassword} {
		if got := f.auth.password(name); got != want {
			t.Errorf("%s's password: got %q, want %q", name, got, want)
		}
	}
	// The new password signs in.
	resp, body := f.post("/api/login", map[string]any{"name": therapistName, "password": pw})
	if resp.StatusCode != http.StatusOK {
		t.Errorf("login with the new password: got %d %s, want 200", resp.StatusCode, body)
	}
}
