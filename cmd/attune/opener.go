package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sync"
	"time"

	"attune/media"
	"attune/media/decode"
	"attune/player/synth"
	"attune/player/timeline"
)

// trackFinder is what the opener needs of the library store.
type trackFinder interface {
	Track(ctx context.Context, id string) (media.Track, error)
	TrackByPath(ctx context.Context, path string) (media.Track, error)
}

// libraryOpener opens timeline items for playback. An item names a library
// track by id, or a file by path (relative paths are taken from base, the
// timeline file's folder); a file not in the library is probed first, in the
// sandbox, like any untrusted file.
//
// It is the one place where a track's loudness normalization is applied
// (media.NormalizationGain): every item plays at target LUFS with its true
// peak at or under ceiling dBTP, and the item's own GainDB (phase level
// offsets) is applied on top by the sequencer.
type libraryOpener struct {
	tracks trackFinder
	prober media.Prober
	base   string
	// target is the loudness in LUFS tracks are normalized to
	// (audio.loudness_target) and ceiling the true-peak ceiling in dBTP
	// their gain respects (the room's); 0 means the default
	// (media.DefaultTargetLUFS, media.DefaultCeilingDBTP), as no valid
	// target or ceiling is 0.
	target, ceiling float64

	mu sync.Mutex // guards gains: Open runs on the engine's preparer, the report reads after
	// gains holds the gain each item was opened at, for the render report.
	gains map[itemKey]media.Gain
}

// itemKey identifies an item of the timeline being played: Open is given the
// item, not its index.
type itemKey struct {
	track      string
	start, end time.Duration
}

var _ timeline.Opener = (*libraryOpener)(nil)

// Open implements timeline.Opener. A "synth:" item is a soundscape (package
// synth), made rather than opened, at its own level. A track plays at its
// normalization gain (see libraryOpener); the room's limiter holds the
// ceiling against what the gain cannot foresee.
func (o *libraryOpener) Open(ctx context.Context, item timeline.Item, rate int) (timeline.Source, error) {
	if k, ok := synth.Parse(item.Track); ok {
		return synth.New(k, rate)
	}
	tr, err := o.resolve(ctx, item.Track)
	if err != nil {
		return nil, err
	}
	src, err := decode.Open(ctx, tr.Path, tr.Info.Stream, rate)
	if err != nil {
		return nil, err
	}
	g := media.NormalizationGain(tr, cmp.Or(o.target, media.DefaultTargetLUFS), cmp.Or(o.ceiling, media.DefaultCeilingDBTP))
	o.mu.Lock()
	if o.gains == nil {
		o.gains = map[itemKey]media.Gain{}
	}
	o.gains[itemKey{item.Track, item.Start, item.End}] = g
	o.mu.Unlock()
	if g.DB == 0 {
		return src, nil
	}
	return &gainSource{Source: src, gain: math.Pow(10, g.DB/20)}, nil
}

// gainOf is the normalization gain item was opened at; false if it was not
// opened (a synth item, or one that failed).
func (o *libraryOpener) gainOf(item timeline.Item) (media.Gain, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	g, ok := o.gains[itemKey{item.Track, item.Start, item.End}]
	return g, ok
}

// renderReport is the render report with each item's normalization gain:
// `attune render --json` prints it.
type renderReport struct {
	timeline.Report
	Items []renderItemReport `json:"items"`
}

// renderItemReport is an item's report and the gain its track was opened
// at; Loudness is absent for synth items and items that were never opened.
type renderItemReport struct {
	timeline.ItemReport
	Loudness *media.Gain `json:"loudness,omitempty"`
}

// withGains adds to rep, a report of playing tl, the gain each item was
// opened at, when opener is the library's.
func withGains(opener timeline.Opener, tl timeline.Timeline, rep timeline.Report) renderReport {
	out := renderReport{Report: rep, Items: make([]renderItemReport, len(rep.Items))}
	lo, _ := opener.(*libraryOpener)
	for i, it := range rep.Items {
		out.Items[i].ItemReport = it
		if lo != nil && it.Index >= 0 && it.Index < len(tl.Items) {
			if g, ok := lo.gainOf(tl.Items[it.Index]); ok {
				out.Items[i].Loudness = &g
			}
		}
	}
	return out
}

// gainSource plays a source at a fixed gain.
type gainSource struct {
	timeline.Source
	gain float64
}

func (g *gainSource) Stream(samples [][2]float64) (int, bool) {
	n, ok := g.Source.Stream(samples)
	for i := range samples[:n] {
		samples[i][0] *= g.gain
		samples[i][1] *= g.gain
	}
	return n, ok
}

// resolve finds the file and what is known of a track reference: the
// library's track (with its loudness) for an id or a library file, else the
// probed file. The returned track's Path is the file to play.
func (o *libraryOpener) resolve(ctx context.Context, ref string) (media.Track, error) {
	if len(ref) == media.IDLength {
		t, err := o.tracks.Track(ctx, ref)
		switch {
		case err == nil && t.Path == "":
			return media.Track{}, fmt.Errorf("track %s is in the library but its file is missing", ref)
		case err == nil:
			return t, nil
		case !errors.Is(err, media.ErrNotFound):
			return media.Track{}, err
		}
	}
	path := ref
	if !filepath.IsAbs(path) {
		path = filepath.Join(o.base, path)
	}
	if _, err := os.Stat(path); err != nil {
		return media.Track{}, fmt.Errorf("track %q is neither a library id nor a file: %v", ref, describePathError(err))
	}
	if abs, err := filepath.Abs(path); err == nil {
		path = abs // the library records absolute paths
	}
	if t, err := o.tracks.TrackByPath(ctx, path); err == nil {
		t.Path = path // this copy, which the library knows holds the track
		return t, nil
	} else if !errors.Is(err, media.ErrNotFound) {
		return media.Track{}, err
	}
	info, err := o.prober.Probe(ctx, path)
	if err != nil {
		return media.Track{}, fmt.Errorf("%s: %w", path, err)
	}
	return media.Track{Path: path, Info: info}, nil
}

// describePathError drops the path from an *os.PathError.
func describePathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// warnDecoders says once, before playing, which native decoders are missing
// (the pure-Go fallbacks cost several times the CPU).
func warnDecoders(e *env) {
	if _, err := decode.NewOpener(); err != nil {
		fmt.Fprintf(e.stderr, "attune: %v (those formats decode in pure Go instead)\n", err)
	}
}
