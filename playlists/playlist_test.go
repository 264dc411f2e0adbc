package playlists

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestPlaylist_Validate(t *testing.T) {
	good := Playlist{Name: "Calm arc", Phases: []Phase{
		{Role: RoleSettling, Tracks: []Entry{{Track: "a"}}},
		{Role: RoleJourney, Tracks: []Entry{{Track: "b", MustPlay: true}}, Fill: FillPinkNoise, LevelDB: -3},
		{Role: RoleIntegration, Fill: FillSilence},
	}}
	if err := good.Validate(); err != nil {
		t.Fatalf("valid playlist: got %v", err)
	}
	tests := []struct {
		name string
		edit func(*Playlist)
		want string
	}{
		{"no name", func(p *Playlist) { p.Name = " " }, "no name"},
		{"no phases", func(p *Playlist) { p.Phases = nil }, "no phases"},
		{"unknown role", func(p *Playlist) { p.Phases[0].Role = "peak" }, `unknown role "peak"`},
		{"twice", func(p *Playlist) { p.Phases[1].Role = RoleSettling }, "appears twice"},
		{"order", func(p *Playlist) { p.Phases[0], p.Phases[1] = p.Phases[1], p.Phases[0] }, "comes after journey"},
		{"crossfade", func(p *Playlist) { p.Phases[0].Crossfade = 5 * time.Minute }, "crossfade 5m0s"},
		{"level", func(p *Playlist) { p.Phases[1].LevelDB = 12 }, "level 12 dB"},
		{"fill", func(p *Playlist) { p.Phases[2].Fill = "white-noise" }, `unknown fill "white-noise"`},
		{"track id", func(p *Playlist) { p.Phases[0].Tracks[0].Track = "" }, "track 1 has no id"},
		{"transition", func(p *Playlist) { p.Transition = -time.Second }, "transition -1s"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := good
			p.Phases = append([]Phase(nil), good.Phases...)
			for i := range p.Phases {
				p.Phases[i].Tracks = append([]Entry(nil), good.Phases[i].Tracks...)
			}
			tc.edit(&p)
			err := p.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, ErrInvalid) {
				t.Errorf("got %v, want an ErrInvalid containing %q", err, tc.want)
			}
		})
	}
}

func TestDefaultProfiles_valid(t *testing.T) {
	ps := DefaultProfiles()
	if ps[0].Name != DefaultProfile {
		t.Errorf("first profile %q, want the default %q", ps[0].Name, DefaultProfile)
	}
	for _, p := range ps {
		if err := p.Validate(); err != nil {
			t.Errorf("%s: %v", p.Name, err)
		}
	}
}

func TestProfile_Planned(t *testing.T) {
	p, err := FindProfile(DefaultProfiles(), "")
	if err != nil {
		t.Fatal(err)
	}
	b := p.Planned()
	m := time.Minute
	want := Boundaries{Onset: 12*m + 30*time.Second, EffectEnd: 50 * m, ReturnEnd: 67*m + 30*time.Second, ObserveUntil: 120 * m}
	if b != want {
		t.Errorf("intranasal planned: got %+v, want %+v", b, want)
	}
	if s, e, ok := b.Window(RoleJourney); !ok || s != want.Onset || e != want.EffectEnd {
		t.Errorf("journey window: got %s–%s %v", s, e, ok)
	}
	if _, _, ok := b.Window(RoleArrival); ok {
		t.Error("arrival has a window on the drug clock; want none")
	}
}

// The therapist's chosen onset and effect length move the plan within the
// windows; outside them the profile is invalid.
func TestProfile_Planned_chosen(t *testing.T) {
	p, _ := FindProfile(DefaultProfiles(), "intranasal")
	m := time.Minute
	p.PlannedOnset, p.PlannedEffect = 11*m, 40*m
	want := Boundaries{Onset: 11 * m, EffectEnd: 51 * m, ReturnEnd: 68*m + 30*time.Second, ObserveUntil: 120 * m}
	if b := p.Planned(); b != want {
		t.Errorf("planned with onset 11m, effect 40m: got %+v, want %+v", b, want)
	}
	if err := p.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	p.PlannedOnset = 20 * m
	if err := p.Validate(); !errors.Is(err, ErrInvalid) {
		t.Errorf("Validate with the onset outside its window: got %v, want ErrInvalid", err)
	}
}

func TestProfile_Validate(t *testing.T) {
	p := DefaultProfiles()[0]
	p.ObserveUntil = 60 * time.Minute
	if err := p.Validate(); err == nil || !strings.Contains(err.Error(), "observe until 1h0m0s") {
		t.Errorf("short observation: got %v", err)
	}
	p = DefaultProfiles()[0]
	p.Onset = Window{15 * time.Minute, 10 * time.Minute}
	if err := p.Validate(); err == nil || !strings.Contains(err.Error(), "onset window") {
		t.Errorf("reversed window: got %v", err)
	}
	if _, err := FindProfile(DefaultProfiles(), "oral"); err == nil || !strings.Contains(err.Error(), "have intranasal") {
		t.Errorf("unknown profile: got %v", err)
	}
}
