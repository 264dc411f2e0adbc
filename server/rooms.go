package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"

	"attune/server/auth"
)

// The HTTP side of live control: rooms, their settings, sessions, commands,
// pairing and the streams. Commands go through exec, like the WebSocket's.

// getRooms answers the staff view of every room.
func (s *Server) getRooms(w http.ResponseWriter, _ *http.Request, _ Caller) {
	rooms := make([]staffRoom, 0, len(s.ids))
	for _, id := range s.roomIDs() {
		r := s.room(id)
		rooms = append(rooms, s.staffView(r.Name(), r.State()))
	}
	writeJSON(w, http.StatusOK, map[string]any{"rooms": rooms})
}

// getRoom answers one room in the caller's view.
func (s *Server) getRoom(w http.ResponseWriter, r *http.Request, c Caller) {
	rm := s.room(r.PathValue("room"))
	if c.Role == auth.Patient {
		writeJSON(w, http.StatusOK, patientView(rm.Name(), rm.State()))
		return
	}
	writeJSON(w, http.StatusOK, s.staffView(rm.Name(), rm.State()))
}

// roomPatch is PATCH /api/rooms/{room}'s body; absent fields stay.
type roomPatch struct {
	CeilingDB    *float64           `json:"ceiling_db"`
	PatientMinDB *float64           `json:"patient_min_db"`
	PatientMaxDB *float64           `json:"patient_max_db"`
	Trims        map[string]float64 `json:"trims"`
}

// patchRoom changes a room's settings (admin). Everything is validated
// before anything changes.
func (s *Server) patchRoom(w http.ResponseWriter, r *http.Request, _ Caller) {
	id := r.PathValue("room")
	rm := s.room(id)
	if rm == nil {
		writeError(w, errorf(CodeNotFound, "no room %q", id))
		return
	}
	var p roomPatch
	if e := decodeJSON(w, r, &p); e != nil {
		writeError(w, e)
		return
	}
	st := rm.State()
	if p.CeilingDB != nil && (*p.CeilingDB < -60 || *p.CeilingDB >= 0) {
		writeError(w, errorf(CodeBadRequest, "ceiling_db: want -60 up to below 0 dB"))
		return
	}
	lo, hi := st.PatientMinDB, st.PatientMaxDB
	if p.PatientMinDB != nil {
		lo = *p.PatientMinDB
	}
	if p.PatientMaxDB != nil {
		hi = *p.PatientMaxDB
	}
	if e := checkRange(&lo, &hi); e != nil {
		writeError(w, e)
		return
	}
	outs := make([]string, 0, len(p.Trims))
	for name, db := range p.Trims {
		if db < -60 || db > 0 {
			writeError(w, errorf(CodeBadRequest, "trims[%q]: want -60…0 dB", name))
			return
		}
		if e := s.checkOutput(rm, name); e != nil {
			writeError(w, e)
			return
		}
		outs = append(outs, name)
	}
	slices.Sort(outs)
	what := fmt.Sprintf("change %q", rm.Name())
	if p.CeilingDB != nil {
		if err := rm.SetCeiling(r.Context(), *p.CeilingDB); err != nil {
			writeError(w, s.commandError(what, err))
			return
		}
	}
	if p.PatientMinDB != nil || p.PatientMaxDB != nil {
		if err := rm.SetPatientRange(lo, hi); err != nil {
			writeError(w, s.commandError(what, err))
			return
		}
	}
	for _, name := range outs {
		if err := rm.SetTrim(r.Context(), name, p.Trims[name]); err != nil {
			writeError(w, s.commandError(what, err))
			return
		}
	}
	s.hub.roomChanged(id)
	writeJSON(w, http.StatusOK, s.staffView(rm.Name(), rm.State()))
}

// postSession starts a session: {playlist, profile}, as the start command.
func (s *Server) postSession(w http.ResponseWriter, r *http.Request, c Caller) {
	var args json.RawMessage
	if e := decodeJSON(w, r, &args); e != nil {
		writeError(w, e)
		return
	}
	s.runCommand(w, r, c, Command{Type: "start", Args: args})
}

// postCommand carries out one command: {id?, type, args}.
func (s *Server) postCommand(w http.ResponseWriter, r *http.Request, c Caller) {
	var cmd Command
	if e := decodeJSON(w, r, &cmd); e != nil {
		writeError(w, e)
		return
	}
	if cmd.Room != "" && cmd.Room != r.PathValue("room") {
		writeError(w, errorf(CodeBadRequest, "room: %q in the body, %q in the path", cmd.Room, r.PathValue("room")))
		return
	}
	s.runCommand(w, r, c, cmd)
}

// postPairing makes a tablet pairing code, as the pair command.
func (s *Server) postPairing(w http.ResponseWriter, r *http.Request, c Caller) {
	s.runCommand(w, r, c, Command{Type: "pair"})
}

// runCommand runs cmd on the path's room and answers {"ok": true,
// "result": …} or the error.
func (s *Server) runCommand(w http.ResponseWriter, r *http.Request, c Caller, cmd Command) {
	cmd.Room, cmd.origin = r.PathValue("room"), requestOrigin(r)
	res, e := s.exec(r.Context(), c, cmd)
	if e != nil {
		writeError(w, e)
		return
	}
	writeJSON(w, http.StatusOK, commandReply{OK: true, ID: cmd.ID, Result: res})
}

type commandReply struct {
	OK     bool   `json:"ok"`
	ID     string `json:"id,omitempty"`
	Result any    `json:"result,omitempty"`
}

// getStream serves the room's MP3 stream, counting its listeners.
func (s *Server) getStream(w http.ResponseWriter, r *http.Request, _ Caller) {
	id := r.PathValue("room")
	h := s.room(id).Stream()
	if h == nil {
		writeError(w, errorf(CodeUnavailable, "%q has no stream output", s.room(id).Name()))
		return
	}
	g := s.d.Metrics.Listeners.WithLabelValues(id)
	g.Inc()
	defer g.Dec()
	h.ServeHTTP(w, r)
}
