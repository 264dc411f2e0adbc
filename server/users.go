package server

import (
	"net/http"
	"time"

	"attune/server/auth"
)

type userJSON struct {
	Name    string    `json:"name"`
	Role    auth.Role `json:"role"`
	Created time.Time `json:"created"`
}

// getUsers lists the staff accounts (admin only, by the route table).
func (s *Server) getUsers(w http.ResponseWriter, r *http.Request, _ Caller) {
	users, err := s.d.Auth.Users(r.Context())
	if err != nil {
		writeError(w, s.toError("list the users", err))
		return
	}
	out := make([]userJSON, 0, len(users))
	for _, u := range users {
		out = append(out, userJSON{Name: u.Name, Role: u.Role, Created: u.Created})
	}
	writeJSON(w, http.StatusOK, out)
}

type newUserRequest struct {
	Name     string    `json:"name"`
	Role     auth.Role `json:"role"`
	Password string    `json:"password"`
}

// postUser adds a staff account. Patients are never accounts: tablets pair.
func (s *Server) postUser(w http.ResponseWriter, r *http.Request, c Caller) {
	var req newUserRequest
	if e := decodeJSON(w, r, &req); e != nil {
		writeError(w, e)
		return
	}
	if req.Role != auth.Admin && req.Role != auth.Therapist {
		writeError(w, errorf(CodeBadRequest, "role %q: want admin or therapist", req.Role))
		return
	}
	if err := s.d.Auth.AddUser(r.Context(), req.Name, req.Role, req.Password); err != nil {
		writeError(w, s.toError("add the user", err))
		return
	}
	s.d.Log.Info("user added", "user", req.Name, "role", req.Role, "by", c.Name)
	writeJSON(w, http.StatusCreated, userJSON{Name: req.Name, Role: req.Role, Created: s.d.Now().UTC()})
}

// deleteUser removes a staff account and ends its logins. The store
// refuses the last admin (409), which also keeps an admin from locking
// everyone out by deleting themselves.
func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request, c Caller) {
	name := r.PathValue("name")
	if err := s.d.Auth.DeleteUser(r.Context(), name); err != nil {
		writeError(w, s.toError("delete the user", err))
		return
	}
	s.d.Log.Info("user deleted", "user", name, "by", c.Name)
	s.hub.signOutUser(name)
	if name == c.Name && !c.Bearer {
		http.SetCookie(w, cookie(r, StaffCookie, "", -1))
	}
	w.WriteHeader(http.StatusNoContent)
}

type passwordRequest struct {
	Password string `json:"password"`
}

// putPassword sets a user's password: admins anyone's, therapists only
// their own.
func (s *Server) putPassword(w http.ResponseWriter, r *http.Request, c Caller) {
	name := r.PathValue("name")
	if c.Role != auth.Admin && name != c.Name {
		writeError(w, errorf(CodeForbidden, "a %s may change only their own password", roleName(c.Role)))
		return
	}
	var req passwordRequest
	if e := decodeJSON(w, r, &req); e != nil {
		writeError(w, e)
		return
	}
	if err := s.d.Auth.SetPassword(r.Context(), name, req.Password); err != nil {
		writeError(w, s.toError("set the password", err))
		return
	}
	s.d.Log.Info("password changed", "user", name, "by", c.Name)
	s.hub.signOutUser(name) // the new password ended the user's logins
	w.WriteHeader(http.StatusNoContent)
}
