package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"attune/media"
	"attune/media/decode"
	"attune/player/synth"
	"attune/player/timeline"
)

// trackFinder is what the opener needs of the library store.
type trackFinder interface {
	Track(ctx context.Context, id string) (media.Track, error)
}

// libraryOpener opens timeline items for playback. An item names a library
// track by id, or a file by path (relative paths are taken from base, the
// timeline file's folder); a file not in the library is probed first, in the
// sandbox, like any untrusted file.
type libraryOpener struct {
	tracks trackFinder
	prober media.Prober
	base   string
}

var _ timeline.Opener = (*libraryOpener)(nil)

// Open implements timeline.Opener. A "synth:" item is a soundscape (package
// synth), made rather than opened. The track plays at its ReplayGain track
// gain when it has one (the loudness analysis will replace this with the
// measured loudness), else at 0 dB; the room's limiter holds the ceiling.
func (o *libraryOpener) Open(ctx context.Context, item timeline.Item, rate int) (timeline.Source, error) {
	if k, ok := synth.Parse(item.Track); ok {
		return synth.New(k, rate)
	}
	path, info, err := o.resolve(ctx, item.Track)
	if err != nil {
		return nil, err
	}
	t, err := decode.Open(ctx, path, info.Stream, rate)
	if err != nil {
		return nil, err
	}
	if g := info.Tags.ReplayGain.TrackGain; g != nil && *g != 0 {
		return &gainSource{Source: t, gain: math.Pow(10, *g/20)}, nil
	}
	return t, nil
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

// resolve finds the file and what is known of a track reference.
func (o *libraryOpener) resolve(ctx context.Context, ref string) (string, media.Info, error) {
	if len(ref) == media.IDLength {
		t, err := o.tracks.Track(ctx, ref)
		switch {
		case err == nil && t.Path == "":
			return "", media.Info{}, fmt.Errorf("track %s is in the library but its file is missing", ref)
		case err == nil:
			return t.Path, t.Info, nil
		case !errors.Is(err, media.ErrNotFound):
			return "", media.Info{}, err
		}
	}
	path := ref
	if !filepath.IsAbs(path) {
		path = filepath.Join(o.base, path)
	}
	if _, err := os.Stat(path); err != nil {
		return "", media.Info{}, fmt.Errorf("track %q is neither a library id nor a file: %v", ref, describePathError(err))
	}
	info, err := o.prober.Probe(ctx, path)
	if err != nil {
		return "", media.Info{}, fmt.Errorf("%s: %w", path, err)
	}
	return path, info, nil
}

// describePathError drops the path from an *os.PathError.
func describePathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
