package plfile

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"attune/media"
)

// Library is what LibraryResolver needs of the media store
// (*attune/media/store.Store has it).
type Library interface {
	Track(ctx context.Context, id string) (media.Track, error)
	TrackByPath(ctx context.Context, path string) (media.Track, error)
	TracksByArtistTitle(ctx context.Context, artist, title string) ([]media.Track, error)
}

// LibraryResolver resolves references against the media library and
// describes library tracks for export.
//
// A reference is tried as:
//  1. a track id (24 hex digits);
//  2. a file path, when it looks like one (a slash, or an audio file's
//     extension): a file the library knows by that path, else a file on
//     disk whose content is a library track (the library keeps copies, so
//     the original of an added file is found by its content);
//  3. "Artist – Title" (en dash) or "Artist - Title", ignoring case,
//     diacritics and punctuation; every split at a dash is tried, so either
//     name may contain one.
type LibraryResolver struct {
	Lib Library
	// Dir is where relative paths start: the playlist file's folder.
	Dir string
}

var (
	_ Resolver  = LibraryResolver{}
	_ Describer = LibraryResolver{}
)

// Resolve implements Resolver.
func (r LibraryResolver) Resolve(ctx context.Context, ref string) (string, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return "", fmt.Errorf("empty reference: %w", ErrNotFound)
	}
	if isID(ref) {
		t, err := r.Lib.Track(ctx, ref)
		if errors.Is(err, media.ErrNotFound) {
			return "", fmt.Errorf("track id %s: %w", ref, ErrNotFound)
		}
		if err != nil {
			return "", err
		}
		return t.ID, nil
	}
	var pathErr error
	if looksLikePath(ref) {
		id, err := r.byPath(ctx, ref)
		if err == nil || !errors.Is(err, ErrNotFound) || len(dashSplits(ref)) == 0 {
			return id, err
		}
		pathErr = err // "AC/DC – Back in Black" looks like a path too
	}
	splits := dashSplits(ref)
	if len(splits) == 0 {
		return "", fmt.Errorf("neither a track id, a file, nor \"Artist – Title\": %w", ErrNotFound)
	}
	for _, s := range splits {
		tracks, err := r.Lib.TracksByArtistTitle(ctx, s[0], s[1])
		if err != nil {
			return "", err
		}
		switch len(tracks) {
		case 0:
			continue
		case 1:
			return tracks[0].ID, nil
		}
		var ids []string
		for _, t := range tracks {
			ids = append(ids, fmt.Sprintf("%s (album %q)", t.ID, t.Info.Tags.Album))
		}
		return "", fmt.Errorf("%w: %s; use the id", ErrAmbiguous, strings.Join(ids, ", "))
	}
	if pathErr != nil {
		return "", pathErr
	}
	return "", fmt.Errorf("no track by that artist and title: %w", ErrNotFound)
}

func (r LibraryResolver) byPath(ctx context.Context, ref string) (string, error) {
	p := ref
	if u, ok := strings.CutPrefix(p, "file://"); ok {
		p = u
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(r.Dir, p)
	}
	p = filepath.Clean(p)
	t, err := r.Lib.TrackByPath(ctx, p)
	if err == nil {
		return t.ID, nil
	}
	if !errors.Is(err, media.ErrNotFound) {
		return "", err
	}
	id, err := contentID(ctx, p)
	if err != nil {
		return "", fmt.Errorf("file %s is not in the library (%v): %w", p, err, ErrNotFound)
	}
	t, err = r.Lib.Track(ctx, id)
	if errors.Is(err, media.ErrNotFound) {
		return "", fmt.Errorf("file %s is not in the library: %w", p, ErrNotFound)
	}
	if err != nil {
		return "", err
	}
	return t.ID, nil
}

// contentID computes a file's track id the way the library does (the
// first media.IDLength hex digits of its SHA-256); the command-line tests
// check the two agree on files added with `library add`.
func contentID(ctx context.Context, path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return "", pe.Err
		}
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, ctxReader{ctx, f}); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil))[:media.IDLength], nil
}

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

func isID(s string) bool {
	if len(s) != media.IDLength {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func looksLikePath(s string) bool {
	return strings.ContainsRune(s, '/') || strings.ContainsRune(s, filepath.Separator) ||
		media.IsAudioName(filepath.Base(s))
}

// dashSplits returns every [artist, title] split of s at " – " or " - ".
func dashSplits(s string) [][2]string {
	var out [][2]string
	for i := 0; i < len(s); i++ {
		for _, sep := range []string{" – ", " - "} {
			if strings.HasPrefix(s[i:], sep) {
				a, t := strings.TrimSpace(s[:i]), strings.TrimSpace(s[i+len(sep):])
				if a != "" && t != "" {
					out = append(out, [2]string{a, t})
				}
			}
		}
	}
	return out
}

// Describe implements Describer.
func (r LibraryResolver) Describe(ctx context.Context, id string) (TrackInfo, error) {
	t, err := r.Lib.Track(ctx, id)
	if errors.Is(err, media.ErrNotFound) {
		return TrackInfo{}, fmt.Errorf("track %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return TrackInfo{}, err
	}
	return TrackInfo{ID: t.ID, Artist: t.Info.Tags.Artist, Title: t.Info.Tags.Title, Path: t.Path,
		Duration: t.Info.Stream.Duration()}, nil
}

// TrackInfo is what an export writes of a track beside its reference.
type TrackInfo struct {
	ID, Artist, Title string
	Path              string // "" if the track has no file
	Duration          time.Duration
}

// Label is "Artist – Title", or what there is of it.
func (t TrackInfo) Label() string {
	switch {
	case t.Artist != "" && t.Title != "":
		return t.Artist + " – " + t.Title
	case t.Title != "":
		return t.Title
	}
	return t.Artist
}

// Describer tells an export what a track is. Its error wraps ErrNotFound
// for an id the library does not hold (a dangling entry), which exports
// write as the bare id.
type Describer interface {
	Describe(ctx context.Context, id string) (TrackInfo, error)
}
