package server

import (
	"context"
	"net/http"
)

// TODO(ws helper): replace this file with hub.go, conn.go, commands.go, views.go.

type hub struct{}

func newHub(*Server) *hub                                                      { return &hub{} }
func (h *hub) run(ctx context.Context) error                                   { <-ctx.Done(); return nil }
func (h *hub) roomChanged(string)                                              {}
func (h *hub) log(string, LogEntry)                                            {}
func notYet(w http.ResponseWriter)                                             { writeError(w, errorf(CodeUnavailable, "not built yet")) }
func (s *Server) serveWS(w http.ResponseWriter, _ *http.Request, _ Caller)     { notYet(w) }
func (s *Server) getRooms(w http.ResponseWriter, _ *http.Request, _ Caller)    { notYet(w) }
func (s *Server) getRoom(w http.ResponseWriter, _ *http.Request, _ Caller)     { notYet(w) }
func (s *Server) patchRoom(w http.ResponseWriter, _ *http.Request, _ Caller)   { notYet(w) }
func (s *Server) postSession(w http.ResponseWriter, _ *http.Request, _ Caller) { notYet(w) }
func (s *Server) postCommand(w http.ResponseWriter, _ *http.Request, _ Caller) { notYet(w) }
func (s *Server) postPairing(w http.ResponseWriter, _ *http.Request, _ Caller) { notYet(w) }
func (s *Server) getStream(w http.ResponseWriter, _ *http.Request, _ Caller)   { notYet(w) }
