package server

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"attune/media"
)

// Curation limits: enough for any real tagging, small enough that a list
// page stays light.
const (
	maxMoods    = 16
	maxMoodLen  = 40
	maxNotesLen = 2000
	maxTracks   = 500 // per page of GET /api/tracks
)

// trackJSON is a track as the API shows it (docs/api.md, TRACK).
type trackJSON struct {
	ID         string        `json:"id"`
	Title      string        `json:"title"`
	Artist     string        `json:"artist"`
	Album      string        `json:"album"`
	DurationMS int64         `json:"duration_ms"`
	Format     media.Format  `json:"format"`
	SampleRate int           `json:"sample_rate"`
	Channels   int           `json:"channels"`
	BitDepth   int           `json:"bit_depth,omitempty"`
	Added      *string       `json:"added"`
	Path       string        `json:"path"`
	HasArtwork bool          `json:"has_artwork"`
	Curation   curationJSON  `json:"curation"`
	Loudness   *loudnessJSON `json:"loudness"`
	Analysis   analysisJSON  `json:"analysis"`
}

type curationJSON struct {
	Instrumental media.Instrumental `json:"instrumental"`
	Intensity    int                `json:"intensity"`
	Moods        []string           `json:"moods"`
	Notes        string             `json:"notes"`
}

type loudnessJSON struct {
	IntegratedLUFS *float64 `json:"integrated_lufs"`
	TruePeakDBTP   *float64 `json:"true_peak_dbtp"`
	LRA            float64  `json:"lra"`
	Silent         bool     `json:"silent"`
	Current        bool     `json:"current"`
}

type analysisJSON struct {
	State string `json:"state"` // done, pending, failed
	Error string `json:"error"`
}

func newTrackJSON(t media.Track) trackJSON {
	s, g, c := t.Info.Stream, t.Info.Tags, t.Curation
	j := trackJSON{
		ID: t.ID, Title: g.Title, Artist: g.Artist, Album: g.Album,
		DurationMS: ms(s.Duration()), Format: s.Format, SampleRate: s.SampleRate, Channels: s.Channels,
		BitDepth: s.BitDepth, Added: timeOrNull(t.AddedAt), Path: t.Path, HasArtwork: g.HasPicture,
		Curation: curationJSON{Instrumental: c.Instrumental, Intensity: c.Intensity, Moods: c.Moods, Notes: c.Notes},
		Analysis: analysisJSON{State: "pending"},
	}
	if j.Curation.Instrumental == "" {
		j.Curation.Instrumental = media.InstrumentalUnknown
	}
	if j.Curation.Moods == nil {
		j.Curation.Moods = []string{}
	}
	if l := t.Loudness; l != nil {
		j.Loudness = &loudnessJSON{IntegratedLUFS: finiteOrNull(l.Integrated), TruePeakDBTP: finiteOrNull(l.TruePeak),
			LRA: l.Range, Silent: l.Silent, Current: l.Current()}
		j.Analysis.State = "done"
	}
	if t.LoudnessError != "" {
		j.Analysis = analysisJSON{State: "failed", Error: t.LoudnessError}
	}
	return j
}

func (s *Server) getTracks(w http.ResponseWriter, r *http.Request, _ Caller) {
	if s.d.Library == nil {
		writeError(w, unavailable("library"))
		return
	}
	q, e := trackQuery(r)
	if e != nil {
		writeError(w, e)
		return
	}
	ts, total, err := s.d.Library.Tracks(r.Context(), q)
	if err != nil {
		writeError(w, s.apiError("list tracks", err))
		return
	}
	out := make([]trackJSON, 0, len(ts))
	for _, t := range ts {
		out = append(out, newTrackJSON(t))
	}
	writeJSON(w, http.StatusOK, map[string]any{"tracks": out, "total": total})
}

// trackQuery reads GET /api/tracks's query.
func trackQuery(r *http.Request) (TrackQuery, *Error) {
	v := r.URL.Query()
	q := TrackQuery{Text: strings.TrimSpace(v.Get("q"))}
	ins, e := queryEnum(v, "instrumental", "", "yes", "no", "unknown")
	if e != nil {
		return q, e
	}
	q.Instrumental = media.Instrumental(ins)
	if q.Intensity, e = queryInt(v, "intensity", 0, 1, 5); e != nil {
		return q, e
	}
	if q.Sort, e = queryEnum(v, "sort", "title", "title", "artist", "album", "duration", "added", "loudness", "intensity"); e != nil {
		return q, e
	}
	order, e := queryEnum(v, "order", "asc", "asc", "desc")
	if e != nil {
		return q, e
	}
	q.Desc = order == "desc"
	if q.Limit, e = queryInt(v, "limit", 100, 1, maxTracks); e != nil {
		return q, e
	}
	if q.Offset, e = queryInt(v, "offset", 0, 0, 1<<31-1); e != nil {
		return q, e
	}
	return q, nil
}

func (s *Server) getTrack(w http.ResponseWriter, r *http.Request, _ Caller) {
	if s.d.Library == nil {
		writeError(w, unavailable("library"))
		return
	}
	t, err := s.d.Library.Track(r.Context(), r.PathValue("id"))
	if err != nil {
		writeError(w, s.apiError("get track", err))
		return
	}
	writeJSON(w, http.StatusOK, newTrackJSON(t))
}

func (s *Server) getArtwork(w http.ResponseWriter, r *http.Request, _ Caller) {
	if s.d.Library == nil {
		writeError(w, unavailable("library"))
		return
	}
	id := r.PathValue("id")
	pic, typ, err := s.d.Library.Artwork(r.Context(), id)
	if err != nil {
		writeError(w, s.apiError("artwork of track "+id, err))
		return
	}
	if len(pic) == 0 {
		writeError(w, errorf(CodeNotFound, "track %s has no artwork", id))
		return
	}
	if typ == "" {
		typ = http.DetectContentType(pic)
	}
	w.Header().Set("Content-Type", typ)
	// A track id names its content, so its picture never changes.
	w.Header().Set("Cache-Control", "private, max-age=86400")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(pic))
}

// curationPatch is PATCH /api/tracks/{id}'s body: absent fields keep their
// value.
type curationPatch struct {
	Instrumental *string   `json:"instrumental"`
	Intensity    *int      `json:"intensity"`
	Moods        *[]string `json:"moods"`
	Notes        *string   `json:"notes"`
}

// apply validates p and applies it to c.
func (p curationPatch) apply(c media.Curation) (media.Curation, *Error) {
	if p.Instrumental != nil {
		switch v := media.Instrumental(*p.Instrumental); v {
		case media.InstrumentalYes, media.InstrumentalNo, media.InstrumentalUnknown:
			c.Instrumental = v
		default:
			return c, errorf(CodeBadRequest, "instrumental %q: want yes, no or unknown", *p.Instrumental)
		}
	}
	if p.Intensity != nil {
		if *p.Intensity < 0 || *p.Intensity > 5 {
			return c, errorf(CodeBadRequest, "intensity %d: want 1 to 5, or 0 to clear it", *p.Intensity)
		}
		c.Intensity = *p.Intensity
	}
	if p.Moods != nil {
		moods := *p.Moods
		if len(moods) > maxMoods {
			return c, errorf(CodeBadRequest, "moods: %d given, at most %d", len(moods), maxMoods)
		}
		c.Moods = make([]string, 0, len(moods))
		for i, m := range moods {
			m = strings.TrimSpace(m)
			if n := utf8.RuneCountInString(m); n == 0 || n > maxMoodLen {
				return c, errorf(CodeBadRequest, "moods[%d] %q: want 1 to %d characters", i, m, maxMoodLen)
			}
			c.Moods = append(c.Moods, m)
		}
	}
	if p.Notes != nil {
		if n := utf8.RuneCountInString(*p.Notes); n > maxNotesLen {
			return c, errorf(CodeBadRequest, "notes: %d characters, at most %d", n, maxNotesLen)
		}
		c.Notes = *p.Notes
	}
	return c, nil
}

func (s *Server) patchTrack(w http.ResponseWriter, r *http.Request, _ Caller) {
	if s.d.Library == nil {
		writeError(w, unavailable("library"))
		return
	}
	var p curationPatch
	if e := decodeJSON(w, r, &p); e != nil {
		writeError(w, e)
		return
	}
	ctx, id := r.Context(), r.PathValue("id")
	t, err := s.d.Library.Track(ctx, id)
	if err != nil {
		writeError(w, s.apiError("get track", err))
		return
	}
	c, e := p.apply(t.Curation)
	if e != nil {
		writeError(w, e)
		return
	}
	if err := s.d.Library.SetCuration(ctx, id, c); err != nil {
		writeError(w, s.apiError("curate track "+id, err))
		return
	}
	if t, err = s.d.Library.Track(ctx, id); err != nil {
		writeError(w, s.apiError("get track", err))
		return
	}
	writeJSON(w, http.StatusOK, newTrackJSON(t))
}

func (s *Server) deleteTrack(w http.ResponseWriter, r *http.Request, _ Caller) {
	if s.d.Library == nil {
		writeError(w, unavailable("library"))
		return
	}
	force, e := queryBool(r.URL.Query(), "force")
	if e != nil {
		writeError(w, e)
		return
	}
	ctx, id := r.Context(), r.PathValue("id")
	if _, err := s.d.Library.Track(ctx, id); err != nil {
		writeError(w, s.apiError("get track", err))
		return
	}
	if !force {
		if e := s.trackInUse(ctx, id); e != nil {
			writeError(w, e)
			return
		}
	}
	if err := s.d.Library.Delete(ctx, id); err != nil {
		writeError(w, s.apiError("delete track "+id, err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// trackInUse is a conflict naming the playlists that hold track id and the
// rooms whose live session plans it; nil when nothing uses it.
func (s *Server) trackInUse(ctx context.Context, id string) *Error {
	pls, err := s.d.Library.Uses(ctx, id)
	if err != nil {
		return s.apiError("find the playlists of track "+id, err)
	}
	var rooms []string
	for _, rid := range s.roomIDs() {
		st := s.room(rid).State()
		if st.Session == nil || st.Session.Status == "ended" {
			continue
		}
		for _, it := range st.Session.Items {
			if it.Track == id {
				rooms = append(rooms, s.room(rid).Name())
				break
			}
		}
	}
	if len(pls) == 0 && len(rooms) == 0 {
		return nil
	}
	var why []string
	if len(pls) > 0 {
		why = append(why, "playlists "+quoteAll(pls))
	}
	if len(rooms) > 0 {
		why = append(why, "the session running in "+quoteAll(rooms))
	}
	return errorf(CodeConflict, "track %s is used by %s; remove it there first, or delete with force=true", id, strings.Join(why, " and "))
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = `"` + s + `"`
	}
	return strings.Join(q, ", ")
}
