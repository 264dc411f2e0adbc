package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/dhowden/tag"

	"attune/config"
	"attune/media"
	"attune/media/store"
	"attune/playlists"
	"attune/playlists/plfile"
	"attune/playlists/plstore"
	"attune/server"
)

// This file adapts the stores to what `attune serve`'s HTTP API drives:
// server.Library over the media store and library, server.Playlists over
// the playlist store and files.

// uploadsDir is the hidden folder of the managed library that uploads are
// streamed into: the same file system as the library, skipped by scans.
const uploadsDir = ".uploads"

// serveLibrary is the music library as the server reads and changes it.
// Imports go through media.Library.Add, like `attune library add`; their
// new tracks' loudness is measured in the background by Run.
type serveLibrary struct {
	st      *store.Store
	lib     *media.Library
	pls     *plstore.Store
	cfg     config.Library
	measure media.MeasureFunc
	log     *slog.Logger

	wake    chan struct{} // capacity 1: pending has work for Run
	mu      sync.Mutex    // protects pending
	pending []string      // ids of imported tracks awaiting analysis, in import order
}

var (
	_ server.Library   = (*serveLibrary)(nil)
	_ server.Playlists = (*servePlaylists)(nil)
)

// newServeLibrary returns the server's library over st and lib (built with
// newLibrary), finding playlists' uses of tracks in pls. measure is the
// loudness measurement (measureLoudness; nil means it).
func newServeLibrary(st *store.Store, lib *media.Library, pls *plstore.Store, cfg config.Library,
	measure media.MeasureFunc, log *slog.Logger) *serveLibrary {
	if measure == nil {
		measure = measureLoudness
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &serveLibrary{st: st, lib: lib, pls: pls, cfg: cfg, measure: measure, log: log, wake: make(chan struct{}, 1)}
}

// Run measures the loudness of imported tracks as they arrive, until ctx
// ends. Tracks imported while it is not running wait for it.
func (l *serveLibrary) Run(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-l.wake:
		}
		if err := l.analyzePending(ctx); err != nil && ctx.Err() == nil {
			l.log.Error("measure the loudness of uploaded tracks", "err", err)
		}
	}
}

// analyzePending measures the tracks waiting for it.
func (l *serveLibrary) analyzePending(ctx context.Context) error {
	l.mu.Lock()
	ids := l.pending
	l.pending = nil
	l.mu.Unlock()
	var tracks []media.Track
	for _, id := range ids {
		t, err := l.st.Track(ctx, id)
		switch {
		case errors.Is(err, media.ErrNotFound):
			continue // deleted since
		case err != nil:
			return err
		}
		tracks = append(tracks, t)
	}
	if len(tracks) == 0 {
		return nil
	}
	sum, err := media.NewAnalyzer(l.st, l.measure, l.cfg.Workers).Analyze(ctx, tracks, nil)
	l.log.Info("measured the loudness of uploaded tracks", "analyzed", sum.Analyzed, "failed", sum.Failed)
	return err
}

// Incoming implements server.Library.
func (l *serveLibrary) Incoming() string { return filepath.Join(l.cfg.Dir, uploadsDir) }

// MaxFileSize is the largest file the library takes; the server stops an
// uploaded file there.
func (l *serveLibrary) MaxFileSize() int64 { return l.cfg.MaxFileSize }

// Tracks implements server.Library.
func (l *serveLibrary) Tracks(ctx context.Context, q server.TrackQuery) ([]media.Track, int, error) {
	return l.st.List(ctx, store.ListQuery{Text: q.Text, Instrumental: q.Instrumental, Intensity: q.Intensity,
		Sort: q.Sort, Desc: q.Desc, Limit: q.Limit, Offset: q.Offset})
}

// Track implements server.Library.
func (l *serveLibrary) Track(ctx context.Context, id string) (media.Track, error) {
	return l.st.Track(ctx, id)
}

// SetCuration implements server.Library.
func (l *serveLibrary) SetCuration(ctx context.Context, id string, c media.Curation) error {
	return l.st.SetCuration(ctx, id, c)
}

// Uses implements server.Library.
func (l *serveLibrary) Uses(ctx context.Context, id string) ([]string, error) {
	return l.pls.Using(ctx, id)
}

// maxArtwork bounds the picture a file may carry; bigger ones are not shown.
const maxArtwork = 16 << 20

// Artwork implements server.Library: the picture embedded in the track's
// file (ID3, MP4, FLAC and Vorbis comment pictures).
func (l *serveLibrary) Artwork(ctx context.Context, id string) ([]byte, string, error) {
	t, err := l.st.Track(ctx, id)
	if err != nil {
		return nil, "", err
	}
	if !t.Info.Tags.HasPicture || t.Path == "" {
		return nil, "", fmt.Errorf("artwork of track %s: it has none: %w", id, media.ErrNotFound)
	}
	f, err := os.Open(t.Path)
	if err != nil {
		return nil, "", fmt.Errorf("artwork of track %s: %w", id, err)
	}
	defer f.Close()
	m, err := tag.ReadFrom(f)
	if err != nil {
		// The probe saw a picture in a container dhowden/tag does not read
		// (a WAV's id3 chunk): there is no artwork to show, not a failure.
		return nil, "", fmt.Errorf("artwork of track %s: read its tags: %v: %w", id, err, media.ErrNotFound)
	}
	p := m.Picture()
	if p == nil || len(p.Data) == 0 || len(p.Data) > maxArtwork {
		return nil, "", fmt.Errorf("artwork of track %s: no usable picture: %w", id, media.ErrNotFound)
	}
	return p.Data, p.MIMEType, nil
}

// Delete implements server.Library: the track's rows, and its copy in the
// managed folder (files in watched folders are never touched).
func (l *serveLibrary) Delete(ctx context.Context, id string) error {
	paths, err := l.st.Delete(ctx, id)
	if err != nil {
		return err
	}
	dir, err := filepath.Abs(l.cfg.Dir)
	if err != nil {
		return fmt.Errorf("delete track %s: %w", id, err)
	}
	var errs []error
	for _, p := range paths {
		if rel, err := filepath.Rel(dir, p); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			continue
		}
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("delete track %s: the rows are gone but not its file: %w", id, errors.Join(errs...))
	}
	return nil
}

// Import implements server.Library through media.Library.Add, as `attune
// library add` does, and queues the new tracks for loudness analysis.
func (l *serveLibrary) Import(ctx context.Context, files []server.Upload) ([]media.Result, error) {
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i] = f.Path
	}
	rep := &resultCollector{}
	if _, err := l.lib.Add(ctx, paths, rep); err != nil {
		return nil, fmt.Errorf("import %d uploaded files: %w", len(files), err)
	}
	var added []string
	for _, r := range rep.results {
		if r.Status == media.StatusAdded {
			added = append(added, r.ID)
		}
	}
	if len(added) > 0 {
		l.mu.Lock()
		l.pending = append(l.pending, added...)
		l.mu.Unlock()
		select {
		case l.wake <- struct{}{}:
		default: // Run is already due to look
		}
	}
	return rep.results, nil
}

// resultCollector is a media.Reporter that keeps every result.
type resultCollector struct {
	mu      sync.Mutex // protects results: workers report concurrently
	results []media.Result
}

func (c *resultCollector) Start(int) {}

func (c *resultCollector) Done(r media.Result) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.results = append(c.results, r)
}

// servePlaylists is the playlists as the server reads and changes them.
type servePlaylists struct {
	st  *store.Store
	pls *plstore.Store
	dir string // where relative paths in imported files start: the library
}

// newServePlaylists returns the server's playlists over pls, resolving
// track references against the library st (managed folder dir).
func newServePlaylists(st *store.Store, pls *plstore.Store, dir string) *servePlaylists {
	return &servePlaylists{st: st, pls: pls, dir: dir}
}

func (p *servePlaylists) resolver() plfile.LibraryResolver {
	return plfile.LibraryResolver{Lib: p.st, Dir: p.dir}
}

// List implements server.Playlists.
func (p *servePlaylists) List(ctx context.Context) ([]server.PlaylistSummary, error) {
	list, err := p.pls.List(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]server.PlaylistSummary, 0, len(list))
	for _, s := range list {
		out = append(out, server.PlaylistSummary{Name: s.Name, Profile: s.Profile, Phases: s.Phases, Tracks: s.Tracks,
			Length: s.Duration, Dangling: s.Dangling})
	}
	return out, nil
}

// Get implements server.Playlists.
func (p *servePlaylists) Get(ctx context.Context, name string) (playlists.Playlist, error) {
	s, err := p.pls.Get(ctx, name)
	return s.Playlist, err
}

// Save implements server.Playlists: every entry must name a library track
// (by id, path or "Artist – Title", as in a playlist file), else nothing is
// stored and every unresolved entry is reported.
func (p *servePlaylists) Save(ctx context.Context, pl playlists.Playlist) error {
	if err := pl.Validate(); err != nil {
		return err
	}
	var refs []plfile.Unresolved
	for i := range pl.Phases {
		ph := &pl.Phases[i]
		for j := range ph.Tracks {
			e := &ph.Tracks[j]
			id, err := p.resolver().Resolve(ctx, e.Track)
			switch {
			case errors.Is(err, plfile.ErrNotFound), errors.Is(err, plfile.ErrAmbiguous):
				refs = append(refs, plfile.Unresolved{Phase: i + 1, Role: ph.Role, Index: j + 1, Ref: e.Track,
					MustPlay: e.MustPlay, Err: err})
			case err != nil:
				return fmt.Errorf("save playlist %q: %w", pl.Name, err)
			default:
				e.Track = id
			}
		}
	}
	if len(refs) > 0 {
		return &plfile.UnresolvedError{Refs: refs}
	}
	_, err := p.pls.Save(ctx, pl)
	return err
}

// Delete implements server.Playlists.
func (p *servePlaylists) Delete(ctx context.Context, name string) error {
	return p.pls.Delete(ctx, name)
}

// Import implements server.Playlists as `attune playlist import --replace`
// does: the file is parsed strictly, every reference must resolve, and a
// playlist of the same name is replaced.
func (p *servePlaylists) Import(ctx context.Context, format, name string, r io.Reader) (playlists.Playlist, error) {
	f, err := plfile.ParseFormat(format)
	if err != nil {
		return playlists.Playlist{}, fmt.Errorf("%w: %w", plfile.ErrFormat, err)
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return playlists.Playlist{}, fmt.Errorf("read the playlist file: %w", err)
	}
	doc, err := plfile.Parse(data, f, "")
	if err != nil {
		return playlists.Playlist{}, err
	}
	if name != "" {
		doc.Name = name
	}
	if strings.TrimSpace(doc.Name) == "" {
		return playlists.Playlist{}, fmt.Errorf("%w: the file names no playlist; give it a name", playlists.ErrInvalid)
	}
	pl, _, err := doc.Resolve(ctx, p.resolver(), false)
	if err != nil {
		return playlists.Playlist{}, err
	}
	if _, err := p.pls.Save(ctx, pl); err != nil {
		return playlists.Playlist{}, err
	}
	return pl, nil
}

// Export implements server.Playlists as `attune playlist export` does.
func (p *servePlaylists) Export(ctx context.Context, name, format string, w io.Writer) error {
	f, err := plfile.ParseFormat(format)
	if err != nil {
		return fmt.Errorf("%w: %w", plfile.ErrFormat, err)
	}
	s, err := p.pls.Get(ctx, name)
	if err != nil {
		return err
	}
	return plfile.Encode(ctx, w, s.Playlist, f, p.resolver())
}

// Tracks implements server.Playlists: the planner's facts of pl's tracks
// (loadPlaylistTracks), which also know each track's title and artist. A
// track that cannot play makes the playlist invalid for planning.
func (p *servePlaylists) Tracks(ctx context.Context, pl playlists.Playlist) (playlists.Tracks, error) {
	rec := &recordingGetter{lib: p.st, seen: map[string]media.Track{}}
	pt, err := loadPlaylistTracks(ctx, rec, pl)
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %w", playlists.ErrInvalid, err)
	}
	return namedTracks{playlistTracks: pt, seen: rec.seen}, nil
}

// recordingGetter is a trackGetter that keeps what it read.
type recordingGetter struct {
	lib  trackGetter
	seen map[string]media.Track
}

func (g *recordingGetter) Track(ctx context.Context, id string) (media.Track, error) {
	t, err := g.lib.Track(ctx, id)
	if err == nil {
		g.seen[id] = t
	}
	return t, err
}

// namedTracks is a playlist's planning facts with its tracks' names.
type namedTracks struct {
	*playlistTracks
	seen map[string]media.Track
}

// TrackNames tells the plan preview what a track is called.
func (n namedTracks) TrackNames(id string) (title, artist string, ok bool) {
	t, ok := n.seen[id]
	return t.Info.Tags.Title, t.Info.Tags.Artist, ok
}
