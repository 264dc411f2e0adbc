package server

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"attune/media"
	"attune/playlists"
	"attune/playlists/plfile"
)

// maxPlaylistFile bounds an imported playlist file.
const maxPlaylistFile = 1 << 20

// playlistJSON is a playlist as the API shows and takes it (docs/api.md,
// PLAYLIST). The entries' descriptive fields are output only: they are
// accepted and ignored on input, so a playlist read can be sent back.
type playlistJSON struct {
	Name         string      `json:"name"`
	Description  string      `json:"description"`
	Author       string      `json:"author"`
	Profile      string      `json:"profile"`
	TransitionMS int64       `json:"transition_ms"`
	Phases       []phaseJSON `json:"phases"`
}

type phaseJSON struct {
	Role        playlists.Role `json:"role"`
	CrossfadeMS int64          `json:"crossfade_ms"`
	LevelDB     float64        `json:"level_db"`
	Fill        playlists.Fill `json:"fill"`
	Entries     []entryJSON    `json:"entries"`
}

type entryJSON struct {
	Track      string `json:"track"`
	Title      string `json:"title"`
	Artist     string `json:"artist"`
	DurationMS int64  `json:"duration_ms"`
	MustPlay   bool   `json:"must_play"`
	Missing    bool   `json:"missing"`
}

// playlist converts the body to a playlist.
func (j playlistJSON) playlist() playlists.Playlist {
	pl := playlists.Playlist{Name: strings.TrimSpace(j.Name), Description: j.Description, Author: j.Author,
		Profile: j.Profile, Transition: time.Duration(j.TransitionMS) * time.Millisecond}
	for _, p := range j.Phases {
		ph := playlists.Phase{Role: p.Role, Crossfade: time.Duration(p.CrossfadeMS) * time.Millisecond,
			LevelDB: p.LevelDB, Fill: p.Fill, Tracks: make([]playlists.Entry, 0, len(p.Entries))}
		for _, e := range p.Entries {
			ph.Tracks = append(ph.Tracks, playlists.Entry{Track: strings.TrimSpace(e.Track), MustPlay: e.MustPlay})
		}
		pl.Phases = append(pl.Phases, ph)
	}
	return pl
}

// newPlaylistJSON describes pl, naming its tracks from the library when
// there is one.
func (s *Server) newPlaylistJSON(ctx context.Context, pl playlists.Playlist) (playlistJSON, error) {
	j := playlistJSON{Name: pl.Name, Description: pl.Description, Author: pl.Author, Profile: pl.Profile,
		TransitionMS: ms(pl.Transition), Phases: make([]phaseJSON, 0, len(pl.Phases))}
	known := map[string]*media.Track{}
	for _, p := range pl.Phases {
		pj := phaseJSON{Role: p.Role, CrossfadeMS: ms(p.Crossfade), LevelDB: p.LevelDB, Fill: p.Fill,
			Entries: make([]entryJSON, 0, len(p.Tracks))}
		for _, e := range p.Tracks {
			ej := entryJSON{Track: e.Track, MustPlay: e.MustPlay}
			if s.d.Library != nil {
				t, seen := known[e.Track]
				if !seen {
					tr, err := s.d.Library.Track(ctx, e.Track)
					switch {
					case err == nil:
						t = &tr
					case !errors.Is(err, media.ErrNotFound):
						return j, err
					}
					known[e.Track] = t
				}
				if t == nil {
					ej.Missing = true
				} else {
					ej.Title, ej.Artist, ej.DurationMS = t.Info.Tags.Title, t.Info.Tags.Artist, ms(t.Info.Stream.Duration())
				}
			}
			pj.Entries = append(pj.Entries, ej)
		}
		j.Phases = append(j.Phases, pj)
	}
	return j, nil
}

// writePlaylist answers with the stored playlist name.
func (s *Server) writePlaylist(w http.ResponseWriter, ctx context.Context, status int, name string) {
	pl, err := s.d.Playlists.Get(ctx, name)
	if err != nil {
		writeError(w, s.apiError("get playlist", err))
		return
	}
	j, err := s.newPlaylistJSON(ctx, pl)
	if err != nil {
		writeError(w, s.apiError("describe playlist "+name, err))
		return
	}
	writeJSON(w, status, j)
}

// summaryJSON is one line of GET /api/playlists.
type summaryJSON struct {
	PlaylistSummary
	LengthMS int64 `json:"length_ms"`
}

func (s *Server) getPlaylists(w http.ResponseWriter, r *http.Request, _ Caller) {
	if s.d.Playlists == nil {
		writeError(w, unavailable("playlist store"))
		return
	}
	list, err := s.d.Playlists.List(r.Context())
	if err != nil {
		writeError(w, s.apiError("list playlists", err))
		return
	}
	out := make([]summaryJSON, 0, len(list))
	for _, p := range list {
		out = append(out, summaryJSON{PlaylistSummary: p, LengthMS: ms(p.Length)})
	}
	writeJSON(w, http.StatusOK, map[string]any{"playlists": out})
}

func (s *Server) getPlaylist(w http.ResponseWriter, r *http.Request, _ Caller) {
	if s.d.Playlists == nil {
		writeError(w, unavailable("playlist store"))
		return
	}
	s.writePlaylist(w, r.Context(), http.StatusOK, r.PathValue("name"))
}

func (s *Server) postPlaylist(w http.ResponseWriter, r *http.Request, _ Caller) {
	if s.d.Playlists == nil {
		writeError(w, unavailable("playlist store"))
		return
	}
	var j playlistJSON
	if e := decodeJSON(w, r, &j); e != nil {
		writeError(w, e)
		return
	}
	pl := j.playlist()
	if pl.Name == "" {
		writeError(w, errorf(CodeBadRequest, "name: a playlist needs a name"))
		return
	}
	ctx := r.Context()
	switch _, err := s.d.Playlists.Get(ctx, pl.Name); {
	case err == nil:
		writeError(w, errorf(CodeConflict, "a playlist called %q exists: change it with PUT, or choose another name", pl.Name))
		return
	case s.apiError("get playlist", err).Code != CodeNotFound:
		writeError(w, s.apiError("get playlist", err))
		return
	}
	if err := s.d.Playlists.Save(ctx, pl); err != nil {
		writeError(w, s.apiError("save playlist", err))
		return
	}
	s.writePlaylist(w, ctx, http.StatusCreated, pl.Name)
}

func (s *Server) putPlaylist(w http.ResponseWriter, r *http.Request, _ Caller) {
	if s.d.Playlists == nil {
		writeError(w, unavailable("playlist store"))
		return
	}
	var j playlistJSON
	if e := decodeJSON(w, r, &j); e != nil {
		writeError(w, e)
		return
	}
	name := r.PathValue("name")
	pl := j.playlist()
	if pl.Name != "" && pl.Name != name {
		writeError(w, errorf(CodeBadRequest, "name %q differs from the path's %q: leave it out, or send the same", pl.Name, name))
		return
	}
	pl.Name = name
	if err := s.d.Playlists.Save(r.Context(), pl); err != nil {
		writeError(w, s.apiError("save playlist", err))
		return
	}
	s.writePlaylist(w, r.Context(), http.StatusOK, name)
}

func (s *Server) deletePlaylist(w http.ResponseWriter, r *http.Request, _ Caller) {
	if s.d.Playlists == nil {
		writeError(w, unavailable("playlist store"))
		return
	}
	if err := s.d.Playlists.Delete(r.Context(), r.PathValue("name")); err != nil {
		writeError(w, s.apiError("delete playlist", err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) importPlaylist(w http.ResponseWriter, r *http.Request, _ Caller) {
	if s.d.Playlists == nil {
		writeError(w, unavailable("playlist store"))
		return
	}
	q := r.URL.Query()
	if q.Get("format") == "" {
		writeError(w, errorf(CodeBadRequest, "query format: want yaml, json or m3u"))
		return
	}
	f, err := plfile.ParseFormat(q.Get("format"))
	if err != nil {
		writeError(w, errorf(CodeBadRequest, "query format: %v", err))
		return
	}
	name := strings.TrimSpace(q.Get("name"))
	if f == plfile.FormatM3U && name == "" {
		writeError(w, errorf(CodeBadRequest, "query name: an M3U playlist has no name of its own; give one"))
		return
	}
	// Read it whole first: the limit is then a clean 413, not a parse
	// error half-way through.
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, maxPlaylistFile)); err != nil {
		writeError(w, uploadReadError(r.Context(), err))
		return
	}
	pl, err := s.d.Playlists.Import(r.Context(), string(f), name, &buf)
	if err != nil {
		writeError(w, s.apiError("import playlist", err))
		return
	}
	s.writePlaylist(w, r.Context(), http.StatusCreated, pl.Name)
}

func (s *Server) exportPlaylist(w http.ResponseWriter, r *http.Request, _ Caller) {
	if s.d.Playlists == nil {
		writeError(w, unavailable("playlist store"))
		return
	}
	format := r.URL.Query().Get("format")
	if format == "" {
		format = string(plfile.FormatYAML)
	}
	f, err := plfile.ParseFormat(format)
	if err != nil {
		writeError(w, errorf(CodeBadRequest, "query format: %v", err))
		return
	}
	name := r.PathValue("name")
	// Into a buffer, so that a failure is still an error reply.
	var buf bytes.Buffer
	if err := s.d.Playlists.Export(r.Context(), name, string(f), &buf); err != nil {
		writeError(w, s.apiError("export playlist", err))
		return
	}
	types := map[plfile.Format]string{
		plfile.FormatYAML: "application/yaml; charset=utf-8",
		plfile.FormatJSON: "application/json; charset=utf-8",
		plfile.FormatM3U:  "audio/x-mpegurl; charset=utf-8",
	}
	attachment(w, types[f], name+"."+string(f))
	w.WriteHeader(http.StatusOK)
	_, _ = buf.WriteTo(w) // the client went away: nothing to do
}
