package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"attune/media"
	"attune/media/decode"
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

// Open implements timeline.Opener.
func (o *libraryOpener) Open(ctx context.Context, item timeline.Item, rate int) (timeline.Source, error) {
	path, stream, err := o.resolve(ctx, item.Track)
	if err != nil {
		return nil, err
	}
	return decode.Open(ctx, path, stream, rate)
}

// resolve finds the file and stream of a track reference.
func (o *libraryOpener) resolve(ctx context.Context, ref string) (string, media.Stream, error) {
	if len(ref) == media.IDLength {
		t, err := o.tracks.Track(ctx, ref)
		switch {
		case err == nil && t.Path == "":
			return "", media.Stream{}, fmt.Errorf("track %s is in the library but its file is missing", ref)
		case err == nil:
			return t.Path, t.Info.Stream, nil
		case !errors.Is(err, media.ErrNotFound):
			return "", media.Stream{}, err
		}
	}
	path := ref
	if !filepath.IsAbs(path) {
		path = filepath.Join(o.base, path)
	}
	if _, err := os.Stat(path); err != nil {
		return "", media.Stream{}, fmt.Errorf("track %q is neither a library id nor a file: %v", ref, describePathError(err))
	}
	info, err := o.prober.Probe(ctx, path)
	if err != nil {
		return "", media.Stream{}, fmt.Errorf("%s: %w", path, err)
	}
	return path, info.Stream, nil
}

// describePathError drops the path from an *os.PathError.
func describePathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
