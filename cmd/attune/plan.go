package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"attune/config"
	"attune/media/store"
	"attune/playlists"
	"attune/playlists/plstore"
)

type planOptions struct {
	profile, onset *string
	json           *bool
}

func (o planOptions) register(fs *flag.FlagSet) {
	fs.StringVar(o.profile, "profile", *o.profile, "the route profile (default: the playlist's own, else "+playlists.DefaultProfile+")")
	fs.StringVar(o.onset, "onset", *o.onset, "the onset as observed, on the drug clock (like 12m or 11m30s): the journey and every later boundary move with it (default: the middle of the profile's onset window)")
	fs.BoolVar(o.json, "json", *o.json, "print the plan as JSON (see docs/planner.md)")
}

func planCommand() *command {
	return &command{
		name:    "plan",
		summary: "print a playlist's timeline on the drug clock and how each phase fits",
		usage:   "PLAYLIST [--profile P] [--onset 12m] [--json]",
		flags: func(fs *flag.FlagSet) any {
			o := planOptions{profile: new(string), onset: new(string), json: new(bool)}
			o.register(fs)
			return o
		},
		run: runPlan,
	}
}

func runPlan(ctx context.Context, e *env, opts any, args []string) int {
	o := opts.(planOptions)
	const name = "attune plan"
	arg, ok := oneArg(e, name, args, o.register, "name one playlist")
	if !ok {
		return exitUsage
	}
	var onset *time.Duration
	if *o.onset != "" {
		d, err := parseOnset(*o.onset)
		if err != nil {
			fmt.Fprintf(e.stderr, "%s: --onset: %v\n", name, err)
			return exitUsage
		}
		onset = &d
	}
	return withPlaylists(ctx, e, func(lib *store.Store, pls *plstore.Store) int {
		stored, err := pls.Get(ctx, arg)
		if errors.Is(err, plstore.ErrNotFound) {
			fmt.Fprintf(e.stderr, "%s: %v (attune playlist list shows the stored ones)\n", name, err)
			return exitUsage
		}
		if err != nil {
			fmt.Fprintf(e.stderr, "%s: %v\n", name, err)
			return exitFailure
		}
		pl := stored.Playlist
		profName := *o.profile
		if profName == "" {
			profName = pl.Profile
		}
		prof, err := findProfile(e.cfg.Config, profName)
		if err != nil {
			fmt.Fprintf(e.stderr, "%s: %v\n", name, err)
			return exitUsage
		}
		b := prof.Planned()
		if onset != nil {
			if b, err = b.OnsetNow(*onset); err != nil {
				fmt.Fprintf(e.stderr, "%s: --onset %s: %v\n", name, *o.onset, err)
				return exitUsage
			}
		}
		tracks, err := loadPlaylistTracks(ctx, lib, pl)
		if err != nil {
			fmt.Fprintf(e.stderr, "%s: playlist %q cannot be planned:\n%v\n", name, pl.Name, err)
			return exitFailure
		}
		plan, err := playlists.Planner{Playlist: pl, Tracks: tracks}.Plan(b)
		if err != nil {
			fmt.Fprintf(e.stderr, "%s: %v\n", name, err)
			return exitFailure
		}
		if *o.json {
			err = writePlanJSON(e.stdout, pl, prof, b, plan, tracks)
		} else {
			err = writePlanText(e.stdout, pl, prof, b, onset != nil, plan, tracks)
		}
		if err != nil {
			fmt.Fprintf(e.stderr, "%s: %v\n", name, err)
			return exitFailure
		}
		return exitOK
	})
}

// parseOnset reads --onset: a duration with a unit, from the dose on.
func parseOnset(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil || strings.Trim(s, "0123456789.") == "" {
		return 0, fmt.Errorf("%q is not a duration with a unit, like 12m or 11m30s", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("%s is before the dose", s)
	}
	return d, nil
}

// findProfile returns the effective profile named name ("" is the
// default), converted for the planner.
func findProfile(c config.Config, name string) (playlists.Profile, error) {
	if name == "" {
		name = playlists.DefaultProfile
	}
	p, ok := c.Profile(name)
	if !ok {
		names := make([]string, len(c.Profiles))
		for i, q := range c.Profiles {
			names[i] = q.Name
		}
		return playlists.Profile{}, fmt.Errorf("no profile %q (have %s; config profiles adds more)", name, strings.Join(names, ", "))
	}
	prof := playlists.Profile{Name: p.Name, Onset: playlists.Window(p.Onset), Effect: playlists.Window(p.Effect),
		Return: playlists.Window(p.Return), ObserveUntil: p.ObserveUntil}
	// The configuration checked it by the same rules; this keeps the two
	// honest should the planner's rules grow.
	if err := prof.Validate(); err != nil {
		return playlists.Profile{}, fmt.Errorf("profile %q from the configuration: %w", p.Name, err)
	}
	return prof, nil
}

// clock formats a drug-clock time: +12:30.0, +1:05:00.0, -0:02.5.
func clock(d time.Duration) string {
	sign := "+"
	if d < 0 {
		sign, d = "-", -d
	}
	return sign + span(d)
}

// span formats a length to the tenth of a second: 3:07.4, 1:02:00.0.
func span(d time.Duration) string {
	t := int64(d.Round(100*time.Millisecond) / (100 * time.Millisecond))
	tenths, s := t%10, t/10
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d.%d", s/3600, s/60%60, s%60, tenths)
	}
	return fmt.Sprintf("%d:%02d.%d", s/60, s%60, tenths)
}

// shortDuration is d as Go prints it without zero tails: 10m, 1h30m, 2h.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// fitText says how a phase's tracks fit its window.
func fitText(d time.Duration) string {
	d = d.Round(100 * time.Millisecond)
	switch {
	case d == 0:
		return "exact fit"
	case d > 0:
		return fmt.Sprintf("fit error +%s (the last track is cut)", d)
	}
	return fmt.Sprintf("fit error %s (the fill covers the rest)", d)
}

// itemLabel is what a listing calls an item.
func itemLabel(it playlists.Item, tracks *playlistTracks) string {
	if it.Soundscape() {
		return strings.ReplaceAll(string(it.Fill), "-", " ") + " (soundscape)"
	}
	return tracks.Label(it.Track)
}

// writePlanText prints the plan for people: the boundaries, then per phase
// its window and fit, and per item its start, length, track and fades.
func writePlanText(w io.Writer, pl playlists.Playlist, prof playlists.Profile, b playlists.Boundaries, moved bool,
	plan playlists.Plan, tracks *playlistTracks) error {
	win := func(w playlists.Window) string { return shortDuration(w.Min) + "–" + shortDuration(w.Max) }
	fmt.Fprintf(w, "%s — profile %s (onset %s, effect %s, return %s, observe until %s)\n", pl.Name, prof.Name,
		win(prof.Onset), win(prof.Effect), win(prof.Return), shortDuration(prof.ObserveUntil))
	how := "planned at the middle of each window"
	if moved {
		how = "the onset as given, later boundaries moved with it"
	}
	fmt.Fprintf(w, "onset %s, effect ends %s, return ends %s, observation ends %s (%s)\n",
		clock(b.Onset), clock(b.EffectEnd), clock(b.ReturnEnd), clock(b.ObserveUntil), how)
	if ph, ok := pl.Phase(playlists.RoleArrival); ok {
		fmt.Fprintf(w, "\narrival — before the dose: %d tracks loop until \"dose given\" (not on the drug clock)\n", len(ph.Tracks))
	}
	for _, pp := range plan.Phases {
		fmt.Fprintf(w, "\n%s %s – %s, %s\n", pp.Role, clock(pp.Start), clock(pp.End), fitText(pp.FitError))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, it := range plan.Items {
			if it.Phase != pp.Role {
				continue
			}
			fades := fmt.Sprintf("fade in %s, out %s", it.FadeIn, it.FadeOut)
			if it.Offset > 0 {
				fades += fmt.Sprintf(", from %s into the track", span(it.Offset))
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", clock(it.Start), span(it.End-it.Start), itemLabel(it, tracks), fades)
		}
		if err := tw.Flush(); err != nil {
			return fmt.Errorf("write the plan: %w", err)
		}
		if len(pp.Missed) > 0 {
			names := make([]string, len(pp.Missed))
			for i, id := range pp.Missed {
				names[i] = tracks.Label(id)
			}
			fmt.Fprintf(w, "  missed must-play: %s\n", strings.Join(names, "; "))
		}
	}
	return nil
}

// planJSON is attune plan --json (docs/planner.md, "attune plan"). Every
// time is a Go duration string on the drug clock.
type planJSON struct {
	Playlist   string          `json:"playlist"`
	Profile    string          `json:"profile"`
	Boundaries boundariesJSON  `json:"boundaries"`
	Phases     []phasePlanJSON `json:"phases"`
	Items      []itemJSON      `json:"items"`
}

type boundariesJSON struct {
	Onset        string `json:"onset"`
	EffectEnd    string `json:"effect_end"`
	ReturnEnd    string `json:"return_end"`
	ObserveUntil string `json:"observe_until"`
}

type phasePlanJSON struct {
	Role     string       `json:"role"`
	Start    string       `json:"start"`
	End      string       `json:"end"`
	FitError string       `json:"fit_error"`
	Missed   []missedJSON `json:"missed"`
}

type missedJSON struct {
	Track string `json:"track"`
	Label string `json:"label"`
}

type itemJSON struct {
	Phase    string  `json:"phase"`
	Entry    int     `json:"entry"`
	Track    string  `json:"track,omitempty"`
	Fill     string  `json:"fill,omitempty"`
	Label    string  `json:"label"`
	Start    string  `json:"start"`
	End      string  `json:"end"`
	Duration string  `json:"duration"`
	Offset   string  `json:"offset"`
	FadeIn   string  `json:"fade_in"`
	FadeOut  string  `json:"fade_out"`
	GainDB   float64 `json:"gain_db"`
}

func writePlanJSON(w io.Writer, pl playlists.Playlist, prof playlists.Profile, b playlists.Boundaries,
	plan playlists.Plan, tracks *playlistTracks) error {
	out := planJSON{
		Playlist: pl.Name, Profile: prof.Name,
		Boundaries: boundariesJSON{Onset: b.Onset.String(), EffectEnd: b.EffectEnd.String(),
			ReturnEnd: b.ReturnEnd.String(), ObserveUntil: b.ObserveUntil.String()},
		Phases: []phasePlanJSON{},
		Items:  []itemJSON{},
	}
	for _, pp := range plan.Phases {
		p := phasePlanJSON{Role: string(pp.Role), Start: pp.Start.String(), End: pp.End.String(),
			FitError: pp.FitError.String(), Missed: []missedJSON{}}
		for _, id := range pp.Missed {
			p.Missed = append(p.Missed, missedJSON{Track: id, Label: tracks.Label(id)})
		}
		out.Phases = append(out.Phases, p)
	}
	for _, it := range plan.Items {
		ij := itemJSON{Phase: string(it.Phase), Entry: it.Entry, Track: it.Track, Label: itemLabel(it, tracks),
			Start: it.Start.String(), End: it.End.String(), Duration: (it.End - it.Start).String(),
			Offset: it.Offset.String(), FadeIn: it.FadeIn.String(), FadeOut: it.FadeOut.String(), GainDB: it.GainDB}
		if it.Soundscape() {
			ij.Fill = string(it.Fill)
		}
		out.Items = append(out.Items, ij)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("write the plan: %w", err)
	}
	return nil
}
