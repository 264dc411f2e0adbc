package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"attune/media"
	"attune/playlists"
)

// playlistTracks is the planner's track lookup (playlists.Tracks) over the
// media library, loaded for one playlist: the facts of exactly its tracks,
// and what a listing calls each.
type playlistTracks struct {
	facts  playlists.TrackMap
	labels map[string]string // id → "Artist – Title", or what there is of it
}

var _ playlists.Tracks = (*playlistTracks)(nil)

// TrackInfo implements playlists.Tracks.
func (t *playlistTracks) TrackInfo(id string) (playlists.TrackInfo, bool) {
	return t.facts.TrackInfo(id)
}

// Label is what a listing calls track id: "Artist – Title", else the title,
// the artist or the id.
func (t *playlistTracks) Label(id string) string {
	if l := t.labels[id]; l != "" {
		return l
	}
	return id
}

// loadPlaylistTracks loads from the library the facts of every track pl
// plays, arrival included, one query per distinct track (a playlist holds
// hundreds at most). A track's duration is its stream's exact length. Its
// gain is 0 dB: the track's own loudness gain (ReplayGain now, the measured
// loudness later) is applied by the engine's opener (libraryOpener), so the
// planner's gain is only the phase's level and must not count it twice.
//
// A track the library does not hold, whose file is gone, or whose length is
// unknown cannot be planned: each is reported, naming the phase and the
// trackGetter is what the planner's track lookup needs of the library.
type trackGetter interface {
	Track(ctx context.Context, id string) (media.Track, error)
}

// entry, in one error.
func loadPlaylistTracks(ctx context.Context, lib trackGetter, pl playlists.Playlist) (*playlistTracks, error) {
	out := &playlistTracks{facts: playlists.TrackMap{}, labels: map[string]string{}}
	bad := map[string]error{} // id → why it cannot play, once looked up
	var errs []error
	for i, ph := range pl.Phases {
		for j, en := range ph.Tracks {
			if _, ok := out.facts[en.Track]; ok {
				continue
			}
			why, seen := bad[en.Track]
			if !seen {
				why = out.load(ctx, lib, en.Track)
				if why != nil && ctx.Err() != nil {
					return nil, why
				}
				bad[en.Track] = why
			}
			if why != nil {
				errs = append(errs, fmt.Errorf("phase %d (%s), track %d: %w", i+1, ph.Role, j+1, why))
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// load looks up one track and records its facts, or says why it cannot play.
func (t *playlistTracks) load(ctx context.Context, lib trackGetter, id string) error {
	tr, err := lib.Track(ctx, id)
	switch {
	case errors.Is(err, media.ErrNotFound):
		return fmt.Errorf("track %s is not in the library", id)
	case err != nil:
		return fmt.Errorf("track %s: %w", id, err)
	}
	label := plainLabel(tr)
	name := id
	if label != "" {
		name = fmt.Sprintf("%s (%s)", label, id)
	}
	if tr.Path == "" {
		return fmt.Errorf("track %s is in the library but its file is missing", name)
	}
	if _, err := os.Stat(tr.Path); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("track %s: its file is missing: %s", name, tr.Path)
	} else if err != nil {
		return fmt.Errorf("track %s: %w", name, err)
	}
	d := tr.Info.Stream.Duration()
	if d <= 0 {
		return fmt.Errorf("track %s: its length is unknown (scan the library again)", name)
	}
	t.facts[id] = playlists.TrackInfo{Duration: d, GainDB: 0}
	t.labels[id] = label
	return nil
}

// plainLabel is "Artist – Title", or what there is of it.
func plainLabel(t media.Track) string {
	a, ti := t.Info.Tags.Artist, t.Info.Tags.Title
	switch {
	case a != "" && ti != "":
		return a + " – " + ti
	case ti != "":
		return ti
	}
	return a
}
