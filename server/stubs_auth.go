package server

import "net/http"

// TODO(auth routes): replace this file with accounts.go (login, logout, me, setup, pairing, users).

func (s *Server) postLogin(w http.ResponseWriter, _ *http.Request, _ Caller)   { notYet(w) }
func (s *Server) postLogout(w http.ResponseWriter, _ *http.Request, _ Caller)  { notYet(w) }
func (s *Server) getMe(w http.ResponseWriter, _ *http.Request, _ Caller)       { notYet(w) }
func (s *Server) getSetup(w http.ResponseWriter, _ *http.Request, _ Caller)    { notYet(w) }
func (s *Server) postSetup(w http.ResponseWriter, _ *http.Request, _ Caller)   { notYet(w) }
func (s *Server) postPair(w http.ResponseWriter, _ *http.Request, _ Caller)    { notYet(w) }
func (s *Server) getUsers(w http.ResponseWriter, _ *http.Request, _ Caller)    { notYet(w) }
func (s *Server) postUser(w http.ResponseWriter, _ *http.Request, _ Caller)    { notYet(w) }
func (s *Server) deleteUser(w http.ResponseWriter, _ *http.Request, _ Caller)  { notYet(w) }
func (s *Server) putPassword(w http.ResponseWriter, _ *http.Request, _ Caller) { notYet(w) }
