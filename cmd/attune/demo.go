package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"

	"attune/examples"
	"attune/media"
	"attune/media/demo"
	"attune/media/sandbox"
	"attune/media/store"
	"attune/playlists/plfile"
	"attune/playlists/plstore"
)

func libraryDemoCommand() *command {
	return &command{
		name:    "demo",
		summary: "add the synthesized demo library (ten ambient pieces) and an example playlist per profile",
		run: func(ctx context.Context, e *env, _ any, args []string) int {
			if len(args) > 0 {
				fmt.Fprintln(e.stderr, "attune library demo: takes no arguments")
				return exitUsage
			}
			return withStoreAndProbers(ctx, e, func(st *store.Store, pool *sandbox.Pool) int {
				sum, err := seedDemo(ctx, e, st, pool)
				if err != nil {
					if ctx.Err() != nil {
						return exitInterrupt
					}
					fmt.Fprintf(e.stderr, "attune library demo: %v\n", err)
					return exitFailure
				}
				fmt.Fprintf(e.stdout, "demo: %s\n", sum)
				return exitOK
			})
		},
	}
}

// demoSummary is what seedDemo did.
type demoSummary struct {
	TracksAdded, TracksPresent       int
	Curated                          int // tracks whose unset curation fields were filled in
	PlaylistsAdded, PlaylistsPresent int
}

func (s demoSummary) String() string {
	return fmt.Sprintf("%d tracks added, %d already in the library, %d curated; %d playlists imported, %d already there",
		s.TracksAdded, s.TracksPresent, s.Curated, s.PlaylistsAdded, s.PlaylistsPresent)
}

// seedDemo adds the demo library through the normal import path, as
// `library add` would: the pieces are rendered to a temporary folder,
// copied into the managed library, probed, recorded and measured. Then each
// demo track's curation fields that are unset are filled in, and each
// example playlist is imported unless a playlist of its name exists (a
// user's edits are never overwritten). It is idempotent: when every piece is
// already in the library (by artist and title), nothing is rendered, and a
// second run changes nothing. Progress goes to e's streams.
func seedDemo(ctx context.Context, e *env, st *store.Store, pool *sandbox.Pool) (demoSummary, error) {
	return seedPieces(ctx, e, st, pool, demo.Pieces())
}

// seedPieces is seedDemo with the pieces given (tests use shorter ones).
func seedPieces(ctx context.Context, e *env, st *store.Store, pool *sandbox.Pool, pieces []demo.Piece) (demoSummary, error) {
	var sum demoSummary
	var missing []demo.Piece
	for _, p := range pieces {
		_, ok, err := demoTrack(ctx, st, p)
		if err != nil {
			return sum, err
		}
		if !ok {
			missing = append(missing, p)
		}
	}
	sum.TracksPresent = len(pieces) - len(missing)
	if len(missing) > 0 {
		added, err := addDemoTracks(ctx, e, st, pool, missing)
		sum.TracksAdded = added
		if err != nil {
			return sum, err
		}
	}
	for _, p := range pieces {
		changed, err := curateDemo(ctx, st, p)
		if err != nil {
			return sum, err
		}
		if changed {
			sum.Curated++
		}
	}
	added, present, err := importExamples(ctx, st)
	sum.PlaylistsAdded, sum.PlaylistsPresent = added, present
	return sum, err
}

// demoTrack finds piece p in the library by artist and title; a track
// whose file is gone does not count.
func demoTrack(ctx context.Context, st *store.Store, p demo.Piece) (media.Track, bool, error) {
	tracks, err := st.TracksByArtistTitle(ctx, p.Artist, p.Title)
	if err != nil {
		return media.Track{}, false, fmt.Errorf("look up demo track %q: %w", p.Ref(), err)
	}
	for _, t := range tracks {
		if t.Path != "" {
			return t, true, nil
		}
	}
	return media.Track{}, false, nil
}

// addDemoTracks renders pieces into a temporary folder and imports them
// with the library's own add (copy, probe, record), then measures their
// loudness, as `library add` does. It returns how many tracks it added.
func addDemoTracks(ctx context.Context, e *env, st *store.Store, pool *sandbox.Pool, pieces []demo.Piece) (int, error) {
	tmp, err := os.MkdirTemp("", "attune-demo-*")
	if err != nil {
		return 0, fmt.Errorf("make a folder to render the demo pieces in: %w", err)
	}
	defer os.RemoveAll(tmp)
	fmt.Fprintf(e.stderr, "demo: rendering %d pieces\n", len(pieces))
	paths, err := demo.Render(ctx, tmp, pieces)
	if err != nil {
		return 0, fmt.Errorf("render the demo pieces: %w", err)
	}
	rep := &collectNew{reporter: newReporter("demo", e.stdout, e.stderr, false, e.terminal)}
	res, err := newLibrary(e, st, pool).Add(ctx, paths, rep)
	if res != nil {
		rep.finish(res)
	}
	added := len(rep.ids)
	switch {
	case err != nil:
		return added, fmt.Errorf("add the demo pieces: %w", err)
	case res[media.StatusRejected] > 0:
		return added, fmt.Errorf("add the demo pieces: %d of %d rejected", res[media.StatusRejected], len(paths))
	}
	var tracks []media.Track
	for _, id := range rep.ids {
		t, err := st.Track(ctx, id)
		if err != nil {
			return added, fmt.Errorf("read demo track %s: %w", id, err)
		}
		tracks = append(tracks, t)
	}
	out := analyze(ctx, e, st, tracks, false)
	switch {
	case out.err != nil:
		return added, fmt.Errorf("measure the demo pieces' loudness: %w", out.err)
	case out.sum.Failed > 0:
		return added, fmt.Errorf("measure the demo pieces' loudness: %d failed", out.sum.Failed)
	}
	return added, nil
}

// curateDemo fills in the curation fields of piece p's track that nobody
// has set (instrumental unknown, intensity 0, no moods), leaving any a
// curator set alone. It reports whether it changed anything.
func curateDemo(ctx context.Context, st *store.Store, p demo.Piece) (bool, error) {
	t, ok, err := demoTrack(ctx, st, p)
	if err != nil || !ok {
		return false, err
	}
	c, changed := t.Curation, false
	if c.Instrumental == "" || c.Instrumental == media.InstrumentalUnknown {
		c.Instrumental, changed = p.Instrumental, true
	}
	if c.Intensity == 0 {
		c.Intensity, changed = p.Intensity, true
	}
	if len(c.Moods) == 0 {
		c.Moods, changed = p.Moods, true
	}
	if !changed {
		return false, nil
	}
	if err := st.SetCuration(ctx, t.ID, c); err != nil {
		return false, fmt.Errorf("curate demo track %q: %w", p.Ref(), err)
	}
	return true, nil
}

// importExamples imports each example playlist whose name is not taken,
// resolving its references against the library as `playlist import` does.
// It returns how many it imported and how many were there already.
func importExamples(ctx context.Context, st *store.Store) (added, present int, err error) {
	pls, err := plstore.Open(ctx, st.DB())
	if err != nil {
		return 0, 0, fmt.Errorf("open the playlists: %w", err)
	}
	fsys := examples.FS()
	names, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return 0, 0, fmt.Errorf("list the example playlists: %w", err)
	}
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return added, present, fmt.Errorf("read example playlist %s: %w", name, err)
		}
		doc, err := plfile.Parse(data, plfile.FormatYAML, "")
		if err != nil {
			return added, present, fmt.Errorf("example playlist %s: %w", name, err)
		}
		if _, err := pls.Get(ctx, doc.Name); err == nil {
			present++
			continue
		} else if !errors.Is(err, plstore.ErrNotFound) {
			return added, present, fmt.Errorf("look up playlist %q: %w", doc.Name, err)
		}
		pl, _, err := doc.Resolve(ctx, plfile.LibraryResolver{Lib: st}, false)
		if err != nil {
			return added, present, fmt.Errorf("example playlist %s: %w", path.Base(name), err)
		}
		if _, err := pls.Save(ctx, pl); err != nil {
			return added, present, fmt.Errorf("save playlist %q: %w", pl.Name, err)
		}
		added++
	}
	return added, present, nil
}
