// Package session runs therapy sessions on the drug clock: a playlist's plan
// played from the dose, re-planned on every command so that pauses and skips
// never move a phase boundary, written to the store before each command is
// acknowledged so a crash loses nothing, and logged for the clinical record.
// Persistence lives in player/session/store; this package declares what it
// needs from it.
package session

import (
	"encoding/json"
	"time"

	"attune/playlists"
)

// Status is where a session is in its life.
type Status string

// Session statuses.
const (
	// StatusArrival: the session is set up and the arrival music plays;
	// the dose has not been given.
	StatusArrival Status = "arrival"
	// StatusRunning: the dose was given; the drug clock runs.
	StatusRunning Status = "running"
	// StatusEnded: observation ended, or the therapist ended the session.
	StatusEnded Status = "ended"
)

// Record is everything needed to carry a session on after a restart: what
// it plays, where the drug clock's anchors are, and the controls' state.
// Plan is the plan in force, as the session package serialises it, so that
// recovery plays exactly what was planned, not a re-computation.
type Record struct {
	ID         int64
	Room       string
	Playlist   playlists.Playlist // a snapshot: later edits of the playlist do not change a session
	Profile    playlists.Profile  // a snapshot too
	Status     Status
	Created    time.Time            // wall clock, when the session was set up
	DosedAt    time.Time            // wall clock of the dose; zero before "dose given"
	Ended      time.Time            // wall clock; zero until ended
	Boundaries playlists.Boundaries // as anchored now (onset moved, phases extended)
	Paused     bool
	PausedAt   time.Duration // drug clock of the pause, while Paused
	Quiet      bool
	VolumeDB   float64
	Plan       json.RawMessage
}

// Entry is one line of a session's log: who did what, when on the drug clock
// and the wall clock, and what was playing.
type Entry struct {
	Seq     int64     // 1, 2, … within the session
	Session int64     // Record.ID
	Wall    time.Time // when it happened
	// Clock is the drug-clock time; before the dose it is negative or
	// zero and Dosed is false.
	Clock  time.Duration
	Dosed  bool
	Role   string // admin, therapist, patient, system
	Device string // the browser or tablet, or "cli"; never a secret
	Kind   string // start, dose, onset, pause, resume, skip, extend, shorten, jump, quiet, volume, item, end, recovered, ...
	Detail string // the command's arguments or the event's facts, human-readable
	Phase  string // the phase sounding then
	Track  string // the track sounding then
}
