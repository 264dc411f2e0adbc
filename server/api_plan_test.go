package server

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"attune/playlists"
)

func TestServer_getProfiles(t *testing.T) {
	e := newAPIEnv(t)
	st, b := e.send(t, "GET", "/api/profiles", nil)
	var got struct {
		Default  string        `json:"default"`
		Profiles []profileJSON `json:"profiles"`
	}
	apiDecode(t, b, &got)
	if st != http.StatusOK || got.Default != "intranasal" || len(got.Profiles) != 4 {
		t.Fatalf("profiles: got %d %s", st, b)
	}
	p := got.Profiles[0]
	want := profileJSON{Name: "intranasal", Route: "Intranasal", Onset: windowJSON{600000, 900000},
		Effect: windowJSON{1800000, 2700000}, Return: windowJSON{900000, 1200000}, ObserveUntilMS: 7200000}
	pl := p.Planned
	p.Planned = boundariesJSON{}
	if p != want {
		t.Errorf("intranasal: got %+v, want %+v", p, want)
	}
	if pl.OnsetMS != 750000 || pl.EffectEndMS != 750000+2250000 || pl.ObservationEndMS != 7200000 ||
		pl.OnsetMinMS == nil || *pl.OnsetMinMS != 600000 {
		t.Errorf("planned: got %+v", pl)
	}

	e = newAPIEnv(t, func(d *Deps) {
		d.Profiles = []playlists.Profile{{Name: "custom", Onset: playlists.Window{Min: time.Minute, Max: time.Minute},
			Effect: playlists.Window{Min: time.Hour, Max: time.Hour}, ObserveUntil: 3 * time.Hour}}
	})
	_, b = e.send(t, "GET", "/api/profiles", nil)
	if !strings.Contains(string(b), `"name":"custom","route":"custom"`) || strings.Contains(string(b), "intranasal\",\"route") {
		t.Errorf("configured profiles: got %s, want only custom", b)
	}
}

type apiPlanReply struct {
	Playlist   string         `json:"playlist"`
	Profile    string         `json:"profile"`
	Boundaries boundariesJSON `json:"boundaries"`
	Phases     []phaseFitJSON `json:"phases"`
	Items      []planItemJSON `json:"items"`
}

func TestServer_postPlan(t *testing.T) {
	e := apiPlaylistEnv(t)
	st, b := e.send(t, "POST", "/api/plan", `{"playlist": "Arc", "onset_ms": 720000}`)
	if st != http.StatusOK {
		t.Fatalf("plan: got %d %s, want 200", st, b)
	}
	var got apiPlanReply
	apiDecode(t, b, &got)
	if got.Profile != "intranasal" || got.Boundaries.OnsetMS != 720000 || got.Boundaries.EffectEndMS != 720000+2250000 ||
		got.Boundaries.ReturnEndMS != 720000+2250000+1050000 || got.Boundaries.ObservationEndMS != 7200000 {
		t.Errorf("boundaries: got %+v", got.Boundaries)
	}
	if len(got.Phases) != 3 || got.Phases[0].Role != playlists.RoleSettling || got.Phases[0].StartMS != 0 ||
		got.Phases[0].EndMS != 720000 || got.Phases[0].LengthMS != 720000 {
		t.Fatalf("phases: got %+v", got.Phases)
	}
	// Settling: one 6-minute track in 12 minutes: it falls short, silence fills the rest.
	s := got.Phases[0]
	if s.FitErrorMS >= 0 || s.FilledMS != -s.FitErrorMS || s.Fill != playlists.FillSilence || s.MusicMS != 360000 {
		t.Errorf("settling fit: got %+v, want short by the fill, music 360000", s)
	}
	j := got.Phases[1]
	if j.Fill != playlists.FillDrone || j.MusicMS <= 0 || j.MusicMS > j.LengthMS+10000 {
		t.Errorf("journey fit: got %+v", j)
	}
	var titled, drones int
	for _, it := range got.Items {
		switch {
		case it.Track == "b00000000000000000000002" && it.Title == "Deep Water" && it.Artist == "Attune Demo":
			titled++
		case it.Track == "" && it.Fill == playlists.FillDrone:
			drones++
		}
		if it.EndMS <= it.StartMS {
			t.Errorf("item %+v: ends before it starts", it)
		}
	}
	if titled == 0 || drones == 0 {
		t.Errorf("items: %d titled journey tracks, %d drones; want both (%s)", titled, drones, b)
	}
	if got.Items[0].StartMS != 0 || got.Items[0].Title != "Open Sky" {
		t.Errorf("first item: got %+v, want Open Sky at 0", got.Items[0])
	}

	// Moving the onset moves the journey.
	_, b = e.send(t, "POST", "/api/plan", `{"playlist": "Arc", "profile": "intranasal", "onset_ms": 900000, "effect_ms": 1800000}`)
	apiDecode(t, b, &got)
	if got.Phases[1].StartMS != 900000 || got.Phases[1].EndMS != 2700000 {
		t.Errorf("moved: journey %+v, want 900000–2700000", got.Phases[1])
	}
}

func TestServer_postPlan_errors(t *testing.T) {
	e := apiPlaylistEnv(t)
	e.pls.pls["Broken"] = playlists.Playlist{Name: "Broken", Phases: []playlists.Phase{
		{Role: playlists.RoleJourney, Tracks: []playlists.Entry{{Track: "gone"}}}}}
	for _, c := range []struct {
		name, body string
		status     int
		code       string
	}{
		{"malformed", `{"playlist": `, 400, CodeBadRequest},
		{"unknown field", `{"playlist": "Arc", "speed": 2}`, 400, CodeBadRequest},
		{"wrong type", `{"playlist": "Arc", "onset_ms": "12m"}`, 400, CodeBadRequest},
		{"no playlist", `{}`, 400, CodeBadRequest},
		{"onset early", `{"playlist": "Arc", "onset_ms": 599999}`, 400, CodeBadRequest},
		{"onset late", `{"playlist": "Arc", "onset_ms": 900001}`, 400, CodeBadRequest},
		{"effect", `{"playlist": "Arc", "effect_ms": 60000}`, 400, CodeBadRequest},
		{"unknown playlist", `{"playlist": "Nope"}`, 404, CodeNotFound},
		{"unknown profile", `{"playlist": "Arc", "profile": "oral"}`, 404, CodeNotFound},
		{"unplayable", `{"playlist": "Broken"}`, 400, CodeBadRequest},
	} {
		st, b := e.send(t, "POST", "/api/plan", c.body)
		apiWantError(t, c.name, st, b, c.status, c.code)
	}
	_, b := e.send(t, "POST", "/api/plan", `{"playlist": "Arc", "onset_ms": 1}`)
	if !strings.Contains(string(b), "10m0s–15m0s") {
		t.Errorf("out of window: %s does not name the window", b)
	}
}

func TestMusicIn(t *testing.T) {
	s := time.Second
	items := []playlists.Item{
		{Phase: playlists.RoleJourney, Track: "a", Start: 0, End: 10 * s},
		{Phase: playlists.RoleJourney, Track: "b", Start: 8 * s, End: 20 * s}, // 2 s crossfade
		{Phase: playlists.RoleJourney, Fill: playlists.FillDrone, Start: 20 * s, End: 30 * s},
		{Phase: playlists.RoleReturn, Track: "c", Start: 30 * s, End: 40 * s},
	}
	if got, want := musicIn(items, playlists.RoleJourney), 20*s; got != want {
		t.Errorf("musicIn(journey) = %v, want %v", got, want)
	}
}

func BenchmarkServer_postPlan(b *testing.B) {
	e := newAPIEnv(b)
	var entries []playlists.Entry
	for i := range 200 {
		id := strings.Repeat("0", 20) + string(rune('a'+i%26)) + string(rune('a'+i/26)) + "xx"
		e.lib.add(apiTrack(id, "T", time.Duration(3+i%5)*time.Minute))
		entries = append(entries, playlists.Entry{Track: id})
	}
	e.pls.pls["Big"] = playlists.Playlist{Name: "Big", Phases: []playlists.Phase{
		{Role: playlists.RoleSettling, Tracks: entries[:40]}, {Role: playlists.RoleJourney, Tracks: entries[40:120]},
		{Role: playlists.RoleReturn, Tracks: entries[120:160]}, {Role: playlists.RoleIntegration, Tracks: entries[160:]}}}
	b.ResetTimer()
	for b.Loop() {
		if st, body := e.send(b, "POST", "/api/plan", `{"playlist": "Big", "onset_ms": 700000}`); st != http.StatusOK {
			b.Fatalf("plan: %d %s", st, body)
		}
	}
}
