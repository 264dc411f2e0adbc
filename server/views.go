package server

import (
	"time"

	"attune/player/room"
	"attune/playlists"
)

// The JSON views of a room (docs/protocol.md, ROOM). Times on the drug clock
// are integer milliseconds; ids are RoomID slugs.

// staffRoom is the staff view: everything about the room.
type staffRoom struct {
	ID           string       `json:"id"`
	Name         string       `json:"name"`
	Engine       string       `json:"engine"`
	VolumeDB     float64      `json:"volume_db"`
	CeilingDB    float64      `json:"ceiling_db"`
	PatientMinDB float64      `json:"patient_min_db"`
	PatientMaxDB float64      `json:"patient_max_db"`
	Quiet        bool         `json:"quiet"`
	ShowTitles   bool         `json:"show_titles"`
	Underruns    int64        `json:"underruns"`
	Listeners    int          `json:"listeners"`
	Outputs      []roomOutput `json:"outputs"`
	Session      *roomSession `json:"session"`
}

type roomOutput struct {
	Name      string  `json:"name"`
	Type      string  `json:"type"`
	TrimDB    float64 `json:"trim_db"`
	Status    string  `json:"status"`
	Underruns int64   `json:"underruns"`
	Listeners int     `json:"listeners"`
	Error     string  `json:"error"`
}

type roomSession struct {
	ID         int64          `json:"id"`
	Playlist   string         `json:"playlist"`
	Profile    string         `json:"profile"`
	Status     string         `json:"status"`
	Created    time.Time      `json:"created"`
	DosedAt    *time.Time     `json:"dosed_at"`
	ClockMS    int64          `json:"clock_ms"`
	Paused     bool           `json:"paused"`
	Phase      string         `json:"phase"`
	Boundaries roomBoundaries `json:"boundaries"`
	Phases     []roomPhase    `json:"phases"`
	Items      []roomItem     `json:"items"`
	Sounding   int            `json:"sounding"`
}

type roomBoundaries struct {
	OnsetMS          int64 `json:"onset_ms"`
	EffectEndMS      int64 `json:"effect_end_ms"`
	ReturnEndMS      int64 `json:"return_end_ms"`
	ObservationEndMS int64 `json:"observation_end_ms"`
	// The profile's onset window, when the profile is known.
	OnsetMinMS int64 `json:"onset_min_ms,omitempty"`
	OnsetMaxMS int64 `json:"onset_max_ms,omitempty"`
}

type roomPhase struct {
	Role    playlists.Role `json:"role"`
	StartMS int64          `json:"start_ms"`
	EndMS   int64          `json:"end_ms"`
}

type roomItem struct {
	Track     string         `json:"track"`
	Title     string         `json:"title"`
	Artist    string         `json:"artist"`
	Phase     playlists.Role `json:"phase"`
	StartMS   int64          `json:"start_ms"`
	EndMS     int64          `json:"end_ms"`
	FadeInMS  int64          `json:"fade_in_ms"`
	FadeOutMS int64          `json:"fade_out_ms"`
	Fill      string         `json:"fill"`
}

// patientRoom is the tablet's view: nothing about the playlist, the log,
// the outputs or other rooms, and the title only when the therapist allows.
type patientRoom struct {
	ID        string  `json:"id"`
	Name      string  `json:"name"`
	Playing   bool    `json:"playing"`
	Paused    bool    `json:"paused"`
	Quiet     bool    `json:"quiet"`
	Phase     string  `json:"phase"`
	VolumeDB  float64 `json:"volume_db"`
	CanSofter bool    `json:"can_softer"`
	CanLouder bool    `json:"can_louder"`
	Title     string  `json:"title"`
}

func clockMS(d time.Duration) int64 { return d.Milliseconds() }

// staffView renders st for staff; name is the room's configured name.
func (s *Server) staffView(name string, st room.State) staffRoom {
	v := staffRoom{
		ID: RoomID(name), Name: name, Engine: st.Engine,
		VolumeDB: st.VolumeDB, CeilingDB: st.CeilingDB, PatientMinDB: st.PatientMinDB, PatientMaxDB: st.PatientMaxDB,
		Quiet: st.Quiet, ShowTitles: st.ShowTitles, Underruns: st.Underruns,
		Outputs: make([]roomOutput, 0, len(st.Outputs)),
	}
	for _, o := range st.Outputs {
		v.Listeners += o.Listeners
		v.Outputs = append(v.Outputs, roomOutput{Name: o.Name, Type: o.Type, TrimDB: o.TrimDB, Status: o.Status,
			Underruns: o.Underruns, Listeners: o.Listeners, Error: o.Err})
	}
	if ss := st.Session; ss != nil {
		v.Session = s.sessionJSON(ss)
	}
	return v
}

func (s *Server) sessionJSON(ss *room.SessionState) *roomSession {
	b := ss.Boundaries
	v := &roomSession{
		ID: ss.ID, Playlist: ss.Playlist, Profile: ss.Profile, Status: ss.Status, Created: ss.Created,
		ClockMS: clockMS(ss.Clock), Paused: ss.Paused, Phase: ss.Phase, Sounding: ss.Sounding,
		Boundaries: roomBoundaries{OnsetMS: clockMS(b.Onset), EffectEndMS: clockMS(b.EffectEnd), ReturnEndMS: clockMS(b.ReturnEnd),
			ObservationEndMS: clockMS(b.ObserveUntil)},
		Phases: make([]roomPhase, 0, len(ss.Phases)),
		Items:  make([]roomItem, 0, len(ss.Items)),
	}
	if !ss.DosedAt.IsZero() {
		t := ss.DosedAt
		v.DosedAt = &t
	}
	if p, ok := s.liveProfile(ss.Profile); ok {
		v.Boundaries.OnsetMinMS, v.Boundaries.OnsetMaxMS = clockMS(p.Onset.Min), clockMS(p.Onset.Max)
	}
	for _, p := range ss.Phases {
		v.Phases = append(v.Phases, roomPhase{Role: playlists.Role(p.Role), StartMS: clockMS(p.Start), EndMS: clockMS(p.End)})
	}
	for _, it := range ss.Items {
		v.Items = append(v.Items, roomItem{Track: it.Track, Title: it.Title, Artist: it.Artist, Phase: playlists.Role(it.Phase),
			StartMS: clockMS(it.Start), EndMS: clockMS(it.End), FadeInMS: clockMS(it.FadeIn), FadeOutMS: clockMS(it.FadeOut), Fill: it.Fill})
	}
	return v
}

// patientView renders st for the room's tablet.
func patientView(name string, st room.State) patientRoom {
	v := patientRoom{
		ID: RoomID(name), Name: name, Playing: st.Engine == "playing", Quiet: st.Quiet, VolumeDB: st.VolumeDB,
		CanSofter: st.VolumeDB > st.PatientMinDB, CanLouder: st.VolumeDB < st.PatientMaxDB,
	}
	if ss := st.Session; ss != nil {
		v.Paused, v.Phase = ss.Paused, ss.Phase
		if st.ShowTitles && ss.Sounding >= 0 && ss.Sounding < len(ss.Items) {
			v.Title = ss.Items[ss.Sounding].Title
		}
	}
	return v
}

// liveProfile returns the configured profile called name (the built-in ones
// when none are configured).
func (s *Server) liveProfile(name string) (playlists.Profile, bool) {
	ps := s.d.Profiles
	if len(ps) == 0 {
		ps = playlists.DefaultProfiles()
	}
	for _, p := range ps {
		if p.Name == name {
			return p, true
		}
	}
	return playlists.Profile{}, false
}

// roomLogEntry is a session log entry as the protocol's log message has it.
type roomLogEntry struct {
	Seq     int64     `json:"seq"`
	Session int64     `json:"session"`
	Wall    time.Time `json:"wall"`
	ClockMS int64     `json:"clock_ms"`
	Dosed   bool      `json:"dosed"`
	Role    string    `json:"role"`
	Device  string    `json:"device"`
	Kind    string    `json:"kind"`
	Detail  string    `json:"detail"`
	Phase   string    `json:"phase"`
	Track   string    `json:"track"`
}

func logEntryView(e LogEntry) roomLogEntry {
	return roomLogEntry{Seq: e.Seq, Session: e.Session, Wall: e.Wall, ClockMS: clockMS(e.Clock), Dosed: e.Dosed,
		Role: e.Role, Device: e.Device, Kind: e.Kind, Detail: e.Detail, Phase: e.Phase, Track: e.Track}
}
