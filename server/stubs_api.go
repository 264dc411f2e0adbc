package server

import "net/http"

// TODO(api helper): replace this file with the library, playlist, plan and session-record routes.

func (s *Server) getProfiles(w http.ResponseWriter, _ *http.Request, _ Caller)    { notYet(w) }
func (s *Server) postPlan(w http.ResponseWriter, _ *http.Request, _ Caller)       { notYet(w) }
func (s *Server) getTracks(w http.ResponseWriter, _ *http.Request, _ Caller)      { notYet(w) }
func (s *Server) postTracks(w http.ResponseWriter, _ *http.Request, _ Caller)     { notYet(w) }
func (s *Server) getTrack(w http.ResponseWriter, _ *http.Request, _ Caller)       { notYet(w) }
func (s *Server) patchTrack(w http.ResponseWriter, _ *http.Request, _ Caller)     { notYet(w) }
func (s *Server) deleteTrack(w http.ResponseWriter, _ *http.Request, _ Caller)    { notYet(w) }
func (s *Server) getArtwork(w http.ResponseWriter, _ *http.Request, _ Caller)     { notYet(w) }
func (s *Server) getPlaylists(w http.ResponseWriter, _ *http.Request, _ Caller)   { notYet(w) }
func (s *Server) postPlaylist(w http.ResponseWriter, _ *http.Request, _ Caller)   { notYet(w) }
func (s *Server) importPlaylist(w http.ResponseWriter, _ *http.Request, _ Caller) { notYet(w) }
func (s *Server) getPlaylist(w http.ResponseWriter, _ *http.Request, _ Caller)    { notYet(w) }
func (s *Server) putPlaylist(w http.ResponseWriter, _ *http.Request, _ Caller)    { notYet(w) }
func (s *Server) deletePlaylist(w http.ResponseWriter, _ *http.Request, _ Caller) { notYet(w) }
func (s *Server) exportPlaylist(w http.ResponseWriter, _ *http.Request, _ Caller) { notYet(w) }
func (s *Server) getSessions(w http.ResponseWriter, _ *http.Request, _ Caller)    { notYet(w) }
func (s *Server) getSession(w http.ResponseWriter, _ *http.Request, _ Caller)     { notYet(w) }
func (s *Server) getSessionLog(w http.ResponseWriter, _ *http.Request, _ Caller)  { notYet(w) }
