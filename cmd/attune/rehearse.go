package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"attune/config"
	"attune/media/sandbox"
	"attune/media/store"
	"attune/player"
	"attune/player/session"
	"attune/player/synth"
	"attune/player/timeline"
	"attune/playlists"
	"attune/playlists/plstore"
)

// sessionSetup is what a session plays: a stored playlist, its profile and
// the library's facts of its tracks.
type sessionSetup struct {
	pl     playlists.Playlist
	prof   playlists.Profile
	tracks *playlistTracks
}

// loadSessionSetup loads playlist name and the profile to play it under
// (profName, else the playlist's own, else the default). A missing playlist
// or profile is a usage error.
func loadSessionSetup(ctx context.Context, e *env, cmd string, lib *store.Store, name, profName string) (sessionSetup, int) {
	pls, err := plstore.Open(ctx, lib.DB())
	if err != nil {
		fmt.Fprintf(e.stderr, "%s: %v\n", cmd, err)
		return sessionSetup{}, exitFailure
	}
	stored, err := pls.Get(ctx, name)
	if errors.Is(err, plstore.ErrNotFound) {
		fmt.Fprintf(e.stderr, "%s: %v (attune playlist list shows the stored ones)\n", cmd, err)
		return sessionSetup{}, exitUsage
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "%s: %v\n", cmd, err)
		return sessionSetup{}, exitFailure
	}
	s := sessionSetup{pl: stored.Playlist}
	if profName == "" {
		profName = s.pl.Profile
	}
	if s.prof, err = findProfile(e.cfg.Config, profName); err != nil {
		fmt.Fprintf(e.stderr, "%s: %v\n", cmd, err)
		return sessionSetup{}, exitUsage
	}
	if s.tracks, err = loadPlaylistTracks(ctx, lib, s.pl); err != nil {
		fmt.Fprintf(e.stderr, "%s: playlist %q cannot be played:\n%v\n", cmd, s.pl.Name, err)
		return sessionSetup{}, exitFailure
	}
	return s, exitOK
}

// roomLimits are the session limits of room: the patient's range and the
// engine's skip fade the session plans around.
func roomLimits(c config.Config, room config.Room) session.Limits {
	return session.Limits{PatientMinDB: room.Patient.MinDB, PatientMaxDB: room.Patient.MaxDB, SkipFade: c.Audio.SkipFade}
}

// runRenderSession renders a whole session offline: playlist o.playlist
// planned in the first room, dosed at the file's sample 0, with the
// scripted events of o.events, to the end of observation.
func runRenderSession(ctx context.Context, e *env, o renderOptions) int {
	const cmd = "attune render"
	var script []session.ScriptEvent
	if *o.events != "" {
		b, err := os.ReadFile(*o.events)
		if err != nil {
			fmt.Fprintf(e.stderr, "%s: --events: %v\n", cmd, err)
			return exitUsage
		}
		if script, err = session.ParseScript(b); err != nil {
			fmt.Fprintf(e.stderr, "%s: --events %s: %v\n", cmd, *o.events, err)
			return exitUsage
		}
	}
	room, _ := e.cfg.Config.Room("")
	warnDecoders(e)
	return withStoreAndProbers(ctx, e, func(lib *store.Store, pool *sandbox.Pool) int {
		s, code := loadSessionSetup(ctx, e, cmd, lib, *o.playlist, *o.profile)
		if code != exitOK {
			return code
		}
		// The wall clock only stamps the log; the drug clock is what counts.
		dose := time.Now().UTC()
		c, _, _, err := session.New(room.Name, s.pl, s.prof, s.tracks, roomLimits(e.cfg.Config, room), room.VolumeDB,
			session.Who{Role: "therapist", Device: "script"}, dose)
		if err != nil {
			fmt.Fprintf(e.stderr, "%s: %v\n", cmd, err)
			return exitFailure
		}
		timed, entries, err := session.Rehearse(c, dose, script)
		if err != nil {
			fmt.Fprintf(e.stderr, "%s: --events: %v\n", cmd, err)
			return exitUsage
		}
		cues, err := session.Cues(timed, 0)
		if err != nil {
			fmt.Fprintf(e.stderr, "%s: %v\n", cmd, err)
			return exitFailure
		}
		rate := e.cfg.Config.Audio.SampleRate
		b := c.Record().Boundaries
		// To the end of observation and the fade-out that ends it.
		frames := timeline.Samples(b.ObserveUntil+e.cfg.Config.Audio.PauseFade, rate)
		opener := &libraryOpener{tracks: lib, prober: pool, target: room.LoudnessTarget, ceiling: room.CeilingDB}
		res, err := renderWAV(ctx, e, renderSetup{ceilingDB: room.CeilingDB, volumeDB: room.VolumeDB,
			opener: opener, cues: cues, frames: frames}, *o.out)
		if err != nil {
			fmt.Fprintf(e.stderr, "%s: %v\n", cmd, err)
			if ctx.Err() != nil {
				return exitInterrupt
			}
			return exitFailure
		}
		rep := sessionReport(s, room.Name, b, timed, res, entries, rate)
		if *o.json {
			enc := json.NewEncoder(e.stdout)
			enc.SetIndent("", "  ")
			if err := enc.Encode(rep); err != nil {
				return exitFailure
			}
		} else {
			printSessionReport(e.stdout, rep, *o.out)
		}
		for _, it := range rep.Items {
			if it.Error != "" {
				return exitFailure
			}
		}
		return exitOK
	})
}

// sessionRenderJSON is attune render --playlist --json (docs/sessions.md):
// times are Go duration strings on the drug clock, whose zero is the dose
// and the file's first sample.
type sessionRenderJSON struct {
	Playlist   string             `json:"playlist"`
	Profile    string             `json:"profile"`
	Room       string             `json:"room"`
	Rate       int                `json:"rate"`
	Length     string             `json:"length"`
	PeakDBFS   float64            `json:"peak_dbfs"`
	Boundaries boundariesJSON     `json:"boundaries"`
	Phases     []phaseSpanJSON    `json:"phases"`
	Items      []renderedItemJSON `json:"items"`
	Log        []rehearsedJSON    `json:"log"`
}

type phaseSpanJSON struct {
	Role  string `json:"role"`
	Start string `json:"start"`
	End   string `json:"end"`
}

// renderedItemJSON is one item the engine started: where the plan in force
// then placed it and where it actually began sounding.
type renderedItemJSON struct {
	Track        string  `json:"track"`
	ID           string  `json:"id"`
	Phase        string  `json:"phase"`
	PlannedStart string  `json:"planned_start"`
	Started      string  `json:"started"`
	GainDB       float64 `json:"gain_db"`
	Error        string  `json:"error,omitempty"`
}

type rehearsedJSON struct {
	Clock  string `json:"drug_clock"`
	Kind   string `json:"kind"`
	Role   string `json:"role"`
	Detail string `json:"detail,omitempty"`
	Phase  string `json:"phase,omitempty"`
	Track  string `json:"track,omitempty"`
}

// loadedTimeline is a timeline a cue loaded, and the cue's time.
type loadedTimeline struct {
	at time.Duration
	tl timeline.Timeline
}

// sessionReport matches the engine's item events to the timelines the
// session loaded: an event's Item indexes the timeline loaded when it
// happened, and its Position is on the drug clock (the session loads every
// plan at the drug clock's time), so it belongs to the latest timeline
// loaded by then whose item at that index plays that track then.
func sessionReport(s sessionSetup, room string, b playlists.Boundaries, timed []session.Timed,
	res renderResult, entries []session.Entry, rate int) sessionRenderJSON {
	rep := sessionRenderJSON{Playlist: s.pl.Name, Profile: s.prof.Name, Room: room, Rate: rate,
		Length:   (time.Duration(res.win.frames) * time.Second / time.Duration(rate)).String(),
		PeakDBFS: timeline.Report{Peak: res.win.peak}.PeakDBFS(),
		Boundaries: boundariesJSON{Onset: b.Onset.String(), EffectEnd: b.EffectEnd.String(),
			ReturnEnd: b.ReturnEnd.String(), ObserveUntil: b.ObserveUntil.String()},
		Phases: []phaseSpanJSON{}, Items: []renderedItemJSON{}, Log: []rehearsedJSON{}}
	for _, ph := range s.pl.Phases {
		if from, to, ok := b.Window(ph.Role); ok {
			rep.Phases = append(rep.Phases, phaseSpanJSON{Role: string(ph.Role), Start: from.String(), End: to.String()})
		}
	}
	var loads []loadedTimeline
	for _, t := range timed {
		switch t.Op {
		case session.OpLoad, session.OpCrossfade, session.OpReplace:
			loads = append(loads, loadedTimeline{at: t.At, tl: t.Timeline})
		}
	}
	started := map[[2]int]int{} // (load, item) → its row, for a failure after the start
	for _, ev := range res.events {
		if ev.Kind != player.EventItemStarted && ev.Kind != player.EventItemFailed {
			continue
		}
		li, it, ok := itemOf(loads, ev)
		if !ok {
			continue
		}
		errText := ""
		if ev.Kind == player.EventItemFailed && ev.Err != nil {
			errText = ev.Err.Error()
		}
		if row, ok := started[[2]int{li, ev.Item}]; ok && ev.Kind == player.EventItemFailed {
			rep.Items[row].Error = errText
			continue
		}
		row := renderedItemJSON{Track: timelineLabel(it.Track, s.tracks), ID: it.Track, Phase: it.Phase,
			PlannedStart: it.Start.String(), Started: ev.Position.String(), GainDB: it.GainDB, Error: errText}
		if ev.Kind == player.EventItemFailed {
			row.Started = ""
		}
		started[[2]int{li, ev.Item}] = len(rep.Items)
		rep.Items = append(rep.Items, row)
	}
	for _, en := range entries {
		rep.Log = append(rep.Log, rehearsedJSON{Clock: en.Clock.String(), Kind: en.Kind, Role: en.Role, Detail: en.Detail,
			Phase: en.Phase, Track: timelineLabel(en.Track, s.tracks)})
	}
	return rep
}

// itemOf finds the timeline item an engine event is about, and the index of
// the load that brought it.
func itemOf(loads []loadedTimeline, ev player.Event) (int, timeline.Item, bool) {
	const slack = time.Second // a cue applies on the next block; a swap is placed ahead
	for i := len(loads) - 1; i >= 0; i-- {
		l := loads[i]
		if l.at > ev.Position+slack || ev.Item < 0 || ev.Item >= len(l.tl.Items) {
			continue
		}
		if it := l.tl.Items[ev.Item]; it.Track == ev.Track && it.Start <= ev.Position+slack && ev.Position < it.End {
			return i, it, true
		}
	}
	return 0, timeline.Item{}, false
}

// timelineLabel is what a report calls a timeline track: "Artist – Title",
// or the soundscape's name.
func timelineLabel(track string, tracks *playlistTracks) string {
	if track == "" {
		return ""
	}
	if k, ok := synth.Parse(track); ok {
		return strings.ReplaceAll(string(k), "-", " ") + " (soundscape)"
	}
	return tracks.Label(track)
}

// printSessionReport prints a rendered session's summary for a person.
func printSessionReport(w io.Writer, rep sessionRenderJSON, out string) {
	d := func(s string) time.Duration { v, _ := time.ParseDuration(s); return v }
	fmt.Fprintf(w, "%s — profile %s, room %q: %s of audio at %d Hz in %s, peak %.1f dBFS\n",
		rep.Playlist, rep.Profile, rep.Room, span(d(rep.Length)), rep.Rate, out, rep.PeakDBFS)
	b := rep.Boundaries
	fmt.Fprintf(w, "onset %s, effect ends %s, return ends %s, observation ends %s\n",
		clock(d(b.Onset)), clock(d(b.EffectEnd)), clock(d(b.ReturnEnd)), clock(d(b.ObserveUntil)))
	for _, ph := range rep.Phases {
		n := 0
		for _, it := range rep.Items {
			if it.Phase == ph.Role {
				n++
			}
		}
		fmt.Fprintf(w, "  %-12s %s – %s  %d items started\n", ph.Role, clock(d(ph.Start)), clock(d(ph.End)), n)
	}
	failed := 0
	for _, it := range rep.Items {
		if it.Error != "" {
			failed++
			fmt.Fprintf(w, "failed: %s (%s): %s\n", it.Track, it.Phase, it.Error)
		}
	}
	var events []string
	for _, en := range rep.Log {
		switch en.Kind {
		case session.KindDose, session.KindEnd:
		default:
			events = append(events, clock(d(en.Clock))+" "+en.Kind)
		}
	}
	fmt.Fprintf(w, "%d items started, %d failed; %d scripted events", len(rep.Items), failed, len(events))
	if len(events) > 0 {
		fmt.Fprintf(w, ": %s", strings.Join(events, ", "))
	}
	fmt.Fprintln(w)
}
