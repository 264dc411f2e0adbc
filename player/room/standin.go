// Package room runs one treatment room live. STAND-IN: this file only fixes
// the API for code written in parallel; the real package replaces it.
package room

import (
	"context"
	"net/http"
	"time"

	"attune/player/session"
	"attune/playlists"
)

// State is a consistent snapshot of a room.
type State struct {
	Room                                            string
	At                                              time.Time
	Engine                                          string
	VolumeDB, CeilingDB, PatientMinDB, PatientMaxDB float64
	Quiet, ShowTitles                               bool
	Outputs                                         []OutputState
	Underruns                                       int64
	Session                                         *SessionState
}

// OutputState is one output's state.
type OutputState struct {
	Name, Type string
	TrimDB     float64
	Status     string // ok, down, off
	Underruns  int64
	Listeners  int
	Err        string
}

// SessionState is the room's session.
type SessionState struct {
	ID                int64
	Playlist, Profile string
	Status            string
	Created, DosedAt  time.Time
	Clock             time.Duration
	Paused            bool
	Phase             string
	Boundaries        playlists.Boundaries
	Phases            []PhaseSpan
	Items             []PlanItem
	Sounding          int
}

// PhaseSpan is one phase on the drug clock.
type PhaseSpan struct {
	Role       playlists.Role
	Start, End time.Duration
}

// PlanItem is one item of the plan in force.
type PlanItem struct {
	Track, Title, Artist string
	Phase                playlists.Role
	Start, End           time.Duration
	FadeIn, FadeOut      time.Duration
	Fill                 string
}

// Room is one room.
type Room struct{}

func (r *Room) Name() string { return "" }
func (r *Room) State() State { return State{} }
func (r *Room) Start(ctx context.Context, pl playlists.Playlist, prof playlists.Profile, who session.Who) error {
	return nil
}
func (r *Room) Do(ctx context.Context, cmd session.Command) error            { return nil }
func (r *Room) SetTrim(ctx context.Context, output string, db float64) error { return nil }
func (r *Room) SetCeiling(ctx context.Context, db float64) error             { return nil }
func (r *Room) SetPatientRange(min, max float64) error                       { return nil }
func (r *Room) SetShowTitles(on bool)                                        {}
func (r *Room) Stream() http.Handler                                         { return nil }
func (r *Room) Listeners() int                                               { return 0 }
