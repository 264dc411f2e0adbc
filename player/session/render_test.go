package session_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"attune/player"
	"attune/player/session"
	"attune/player/synth"
	"attune/player/timeline"
	"attune/playlists"
)

const rate = 8000

// toneOpener plays track i of the test library as a sine at its own
// frequency, so the rendered output tells which track sounds when.
type toneOpener map[string]float64

func (o toneOpener) Open(_ context.Context, it timeline.Item, r int) (timeline.Source, error) {
	if k, ok := synth.Parse(it.Track); ok {
		return synth.New(k, r)
	}
	f, ok := o[it.Track]
	if !ok {
		return nil, fmt.Errorf("no track %q", it.Track)
	}
	return &tone{f: f}, nil
}

type tone struct {
	f   float64
	pos int
}

func (t *tone) Stream(buf [][2]float64) (int, bool) {
	for i := range buf {
		v := 0.5 * math.Sin(2*math.Pi*t.f*float64(t.pos+i)/rate)
		buf[i] = [2]float64{v, v}
	}
	t.pos += len(buf)
	return len(buf), true
}
func (t *tone) Err() error       { return nil }
func (t *tone) Seek(p int) error { t.pos = p; return nil }
func (t *tone) Close() error     { return nil }

type memSink struct{ out [][2]float64 }

func (m *memSink) Write(b [][2]float64) error { m.out = append(m.out, b...); return nil }
func (m *memSink) Paced() bool                { return false }
func (m *memSink) Close() error               { return nil }

// level is the amplitude of frequency f in out around second s (Goertzel
// over a quarter second).
func level(out [][2]float64, s, f float64) float64 {
	n := rate / 4
	i0 := int(s*rate) - n/2
	if i0 < 0 || i0+n > len(out) {
		return 0
	}
	w := 2 * math.Pi * f / rate
	var s1, s2 float64
	for i := range n {
		s0 := out[i0+i][0] + 2*math.Cos(w)*s1 - s2
		s2, s1 = s1, s0
	}
	p := s1*s1 + s2*s2 - 2*math.Cos(w)*s1*s2
	return 2 * math.Sqrt(p) / float64(n)
}

// firstAudible is the first second (in steps of 0.1 s) from from on when
// the track at f sounds at a tenth of its full level or more.
func firstAudible(out [][2]float64, from, f float64) float64 {
	for s := from; s < float64(len(out))/rate; s += 0.1 {
		if level(out, s, f) > 0.05 {
			return s
		}
	}
	return -1
}

// A rehearsed session rendered through the engine: the music starts at
// the dose, the journey audibly starts within ±5 s of the marked onset, and a session paused and resumed
// in settling still enters return where the drug clock says.
func TestRehearse_rendered(t *testing.T) {
	tracks := playlists.TrackMap{}
	freqs := toneOpener{}
	phase := func(r playlists.Role, n int) playlists.Phase {
		p := playlists.Phase{Role: r, Crossfade: 2 * time.Second, Fill: playlists.FillPinkNoise}
		for i := range n {
			id := fmt.Sprintf("%s-%d", r, i+1)
			tracks[id] = playlists.TrackInfo{Duration: time.Duration(25+7*i) * time.Second}
			freqs[id] = 200 + 23*float64(len(freqs))
			p.Tracks = append(p.Tracks, playlists.Entry{Track: id})
		}
		return p
	}
	pl := playlists.Playlist{Name: "Short arc", Transition: 4 * time.Second, Phases: []playlists.Phase{
		phase(playlists.RoleSettling, 4), phase(playlists.RoleJourney, 8), phase(playlists.RoleReturn, 4), phase(playlists.RoleIntegration, 4),
	}}
	// A ten-minute route, so the test renders quickly.
	m := time.Minute
	prof := playlists.Profile{Name: "short", Onset: playlists.Window{Min: m, Max: 2 * m}, Effect: playlists.Window{Min: 3 * m, Max: 4 * m},
		Return: playlists.Window{Min: m, Max: 2 * m}, ObserveUntil: 10 * m}
	t0 := time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)
	c, _, _, err := session.New("Room 1", pl, prof, tracks, session.Limits{PatientMinDB: -30, PatientMaxDB: 0, SkipFade: 4 * time.Second}, 0, session.Who{Role: "therapist"}, t0)
	if err != nil {
		t.Fatal(err)
	}
	evs, err := session.ParseScript([]byte(`[
		{"at": "30s", "do": "pause", "role": "patient"},
		{"at": "50s", "do": "resume", "role": "patient"},
		{"at": "80s", "do": "onset"},
		{"at": "200s", "do": "skip", "role": "patient"}
	]`))
	if err != nil {
		t.Fatal(err)
	}
	timed, _, err := session.Rehearse(c, t0, evs)
	if err != nil {
		t.Fatal(err)
	}
	cues, err := session.Cues(timed, 0)
	if err != nil {
		t.Fatal(err)
	}
	sink := &memSink{}
	e, err := player.New(player.Config{Rate: rate, Opener: freqs, Sinks: []player.SinkConfig{{Name: "main", Sink: sink}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Render(context.Background(), 10*m+5*time.Second, cues); err != nil {
		t.Fatal(err)
	}
	out := sink.out
	b := c.Record().Boundaries
	if b.Onset != 80*time.Second {
		t.Fatalf("onset at %s, want the marked 80s", b.Onset)
	}
	// Any track of role r: when the first of them becomes audible.
	audible := func(r playlists.Role, from float64) float64 {
		best := -1.0
		for id, f := range freqs {
			if !strings.HasPrefix(id, string(r)+"-") {
				continue
			}
			if got := firstAudible(out, from, f); got >= 0 && (best < 0 || got < best) {
				best = got
			}
		}
		return best
	}
	// The dose starts the music (there is no arrival phase, so the engine
	// was stopped): settling fades in over the transition.
	if got := audible(playlists.RoleSettling, 0); got < 0 || got > 5 {
		t.Errorf("settling is audible at %.1f s, want from the dose on (within the 4 s transition)", got)
	}
	// The journey: planned at the onset, audible within ±5 s of it.
	if got := audible(playlists.RoleJourney, 0); math.Abs(got-80) > 5 {
		t.Errorf("the journey is audible at %.1f s, want within 5 s of the onset at 80 s", got)
	}
	// Return: on its boundary (which moved with the onset), not late by the pause.
	want := b.EffectEnd.Seconds()
	if got := audible(playlists.RoleReturn, 0); math.Abs(got-want) > 5 {
		t.Errorf("return is audible at %.1f s, want within 5 s of its boundary at %.1f s", got, want)
	}
	// Paused from 30 s to 50 s: silence in the middle of it.
	for _, s := range []float64{35, 40, 45} {
		var peak float64
		for _, v := range out[int(s*rate) : int(s*rate)+rate/10] {
			peak = max(peak, math.Abs(v[0]))
		}
		if peak > 1e-9 {
			t.Errorf("at %.0f s, while paused: peak %g, want silence", s, peak)
		}
	}
	// The end of observation: silence after 10 minutes (and its fade).
	var tail float64
	for _, v := range out[int(10*60*rate)+rate*3:] {
		tail = max(tail, math.Abs(v[0]))
	}
	if tail > 1e-9 {
		t.Errorf("after the end of observation: peak %g, want silence", tail)
	}
}
