package server

import (
	"net/http"
	"sort"
	"time"

	"attune/playlists"
)

// windowJSON is a profile window in milliseconds.
type windowJSON struct {
	MinMS int64 `json:"min_ms"`
	MaxMS int64 `json:"max_ms"`
}

func newWindowJSON(w playlists.Window) windowJSON { return windowJSON{ms(w.Min), ms(w.Max)} }

// boundariesJSON is SESSION.boundaries of docs/protocol.md.
type boundariesJSON struct {
	OnsetMS          int64  `json:"onset_ms"`
	EffectEndMS      int64  `json:"effect_end_ms"`
	ReturnEndMS      int64  `json:"return_end_ms"`
	ObservationEndMS int64  `json:"observation_end_ms"`
	OnsetMinMS       *int64 `json:"onset_min_ms,omitempty"`
	OnsetMaxMS       *int64 `json:"onset_max_ms,omitempty"`
}

func newBoundariesJSON(b playlists.Boundaries, onset *playlists.Window) boundariesJSON {
	j := boundariesJSON{OnsetMS: ms(b.Onset), EffectEndMS: ms(b.EffectEnd), ReturnEndMS: ms(b.ReturnEnd),
		ObservationEndMS: ms(b.ObserveUntil)}
	if onset != nil {
		lo, hi := ms(onset.Min), ms(onset.Max)
		j.OnsetMinMS, j.OnsetMaxMS = &lo, &hi
	}
	return j
}

type profileJSON struct {
	Name           string         `json:"name"`
	Route          string         `json:"route"`
	Onset          windowJSON     `json:"onset"`
	Effect         windowJSON     `json:"effect"`
	Return         windowJSON     `json:"return"`
	ObserveUntilMS int64          `json:"observe_until_ms"`
	Planned        boundariesJSON `json:"planned"`
}

// routeName is the route of a built-in profile for people; a configured
// profile of another name shows its name.
func routeName(profile string) string {
	switch profile {
	case "intranasal":
		return "Intranasal"
	case "intramuscular":
		return "Intramuscular"
	case "intravenous":
		return "Intravenous"
	case "sublingual":
		return "Sublingual / lozenge"
	}
	return profile
}

// profiles are the profiles in effect: the configured ones, else the
// defaults.
func (s *Server) profiles() []playlists.Profile {
	if len(s.d.Profiles) > 0 {
		return s.d.Profiles
	}
	return playlists.DefaultProfiles()
}

func (s *Server) getProfiles(w http.ResponseWriter, _ *http.Request, _ Caller) {
	ps := s.profiles()
	out := make([]profileJSON, 0, len(ps))
	for _, p := range ps {
		out = append(out, profileJSON{Name: p.Name, Route: routeName(p.Name), Onset: newWindowJSON(p.Onset),
			Effect: newWindowJSON(p.Effect), Return: newWindowJSON(p.Return), ObserveUntilMS: ms(p.ObserveUntil),
			Planned: newBoundariesJSON(p.Planned(), &p.Onset)})
	}
	writeJSON(w, http.StatusOK, map[string]any{"default": playlists.DefaultProfile, "profiles": out})
}

// planRequest is POST /api/plan's body.
type planRequest struct {
	Playlist string `json:"playlist"`
	Profile  string `json:"profile"`
	OnsetMS  *int64 `json:"onset_ms"`
	EffectMS *int64 `json:"effect_ms"`
}

type phaseFitJSON struct {
	Role       playlists.Role `json:"role"`
	StartMS    int64          `json:"start_ms"`
	EndMS      int64          `json:"end_ms"`
	LengthMS   int64          `json:"length_ms"`
	MusicMS    int64          `json:"music_ms"`
	FitErrorMS int64          `json:"fit_error_ms"`
	Fill       playlists.Fill `json:"fill"`
	FilledMS   int64          `json:"filled_ms"`
	Missed     []string       `json:"missed"`
}

// trackNamer is implemented by planning track lookups that also know what
// each track is called, saving a library query per item.
type trackNamer interface {
	TrackNames(id string) (title, artist string, ok bool)
}

func (s *Server) postPlan(w http.ResponseWriter, r *http.Request, _ Caller) {
	if s.d.Playlists == nil {
		writeError(w, unavailable("playlist store"))
		return
	}
	var req planRequest
	if e := decodeJSON(w, r, &req); e != nil {
		writeError(w, e)
		return
	}
	if req.Playlist == "" {
		writeError(w, errorf(CodeBadRequest, "playlist: name the playlist to plan"))
		return
	}
	ctx := r.Context()
	pl, err := s.d.Playlists.Get(ctx, req.Playlist)
	if err != nil {
		writeError(w, s.apiError("get playlist", err))
		return
	}
	name := req.Profile
	if name == "" {
		name = pl.Profile
	}
	prof, err := playlists.FindProfile(s.profiles(), name)
	if err != nil {
		writeError(w, errorf(CodeNotFound, "%v", err))
		return
	}
	b, e := previewBoundaries(prof, req)
	if e != nil {
		writeError(w, e)
		return
	}
	tracks, err := s.d.Playlists.Tracks(ctx, pl)
	if err != nil {
		writeError(w, s.apiError("load the tracks of playlist "+pl.Name, err))
		return
	}
	plan, err := playlists.Planner{Playlist: pl, Tracks: tracks}.Plan(b)
	if err != nil {
		writeError(w, errorf(CodeBadRequest, "%v", err))
		return
	}
	items := make([]roomItem, 0, len(plan.Items))
	namer, _ := tracks.(trackNamer)
	for _, it := range plan.Items {
		ij := roomItem{Track: it.Track, Phase: it.Phase, StartMS: ms(it.Start), EndMS: ms(it.End),
			FadeInMS: ms(it.FadeIn), FadeOutMS: ms(it.FadeOut)}
		if it.Soundscape() {
			ij.Fill = string(it.Fill)
		} else if namer != nil {
			ij.Title, ij.Artist, _ = namer.TrackNames(it.Track)
		} else if s.d.Library != nil {
			if t, err := s.d.Library.Track(ctx, it.Track); err == nil {
				ij.Title, ij.Artist = t.Info.Tags.Title, t.Info.Tags.Artist
			}
		}
		items = append(items, ij)
	}
	phases := make([]phaseFitJSON, 0, len(plan.Phases))
	for _, pp := range plan.Phases {
		ph, _ := pl.Phase(pp.Role)
		missed := pp.Missed
		if missed == nil {
			missed = []string{}
		}
		phases = append(phases, phaseFitJSON{Role: pp.Role, StartMS: ms(pp.Start), EndMS: ms(pp.End),
			LengthMS: ms(pp.End - pp.Start), MusicMS: ms(musicIn(plan.Items, pp.Role)), FitErrorMS: ms(pp.FitError),
			Fill: ph.FillOrDefault(), FilledMS: ms(max(0, -pp.FitError)), Missed: missed})
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"playlist":   pl.Name,
		"profile":    prof.Name,
		"boundaries": newBoundariesJSON(b, &prof.Onset),
		"phases":     phases,
		"items":      items,
	})
}

// previewBoundaries places the boundaries for a preview: each at the middle
// of its window unless the request moves the onset or the effect's length
// within theirs.
func previewBoundaries(p playlists.Profile, req planRequest) (playlists.Boundaries, *Error) {
	p, e := plannedProfile(p, req.OnsetMS, req.EffectMS)
	if e != nil {
		return playlists.Boundaries{}, e
	}
	return p.Planned(), nil
}

// plannedProfile is p with the onset and the effect's length the therapist
// chose (onset_ms, effect_ms; nil keeps the window's middle), each checked
// against its window. The preview and the session's start share it, so a
// session starts on the timeline its preview showed.
func plannedProfile(p playlists.Profile, onsetMS, effectMS *int64) (playlists.Profile, *Error) {
	within := func(field string, v *int64, w playlists.Window) (time.Duration, *Error) {
		if v == nil {
			return 0, nil
		}
		d := time.Duration(*v) * time.Millisecond
		if !w.Contains(d) || d == 0 {
			return 0, errorf(CodeBadRequest, "%s %d: outside the %s profile's window %s (%d–%d ms)",
				field, *v, p.Name, w, ms(w.Min), ms(w.Max))
		}
		return d, nil
	}
	onset, e := within("onset_ms", onsetMS, p.Onset)
	if e != nil {
		return p, e
	}
	effect, e := within("effect_ms", effectMS, p.Effect)
	if e != nil {
		return p, e
	}
	p.PlannedOnset, p.PlannedEffect = onset, effect
	return p, nil
}

// musicIn is how much of phase r's time its tracks sound: the union of its
// track items' spans (crossfades counted once).
func musicIn(items []playlists.Item, r playlists.Role) time.Duration {
	var spans [][2]time.Duration
	for _, it := range items {
		if it.Phase == r && !it.Soundscape() {
			spans = append(spans, [2]time.Duration{it.Start, it.End})
		}
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i][0] < spans[j][0] })
	var total, end time.Duration
	for _, sp := range spans {
		start := max(sp[0], end)
		if sp[1] > start {
			total += sp[1] - start
			end = sp[1]
		}
	}
	return total
}
