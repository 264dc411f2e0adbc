package plfile

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"attune/playlists"
)

// Resolver finds the library track a reference names. Its errors wrap
// ErrNotFound or ErrAmbiguous when the reference names no track or several;
// any other error is a failure to look (the database), which stops an
// import.
type Resolver interface {
	Resolve(ctx context.Context, ref string) (id string, err error)
}

// Errors a Resolver returns for references it cannot pin to one track.
var (
	ErrNotFound  = errors.New("no such track in the library")
	ErrAmbiguous = errors.New("more than one track matches")
)

// Unresolved is a track reference that did not resolve, and where it is.
type Unresolved struct {
	Phase    int // 1-based
	Role     playlists.Role
	Index    int // 1-based, within the phase
	Ref      string
	MustPlay bool
	Pos      Pos
	Err      error // wraps ErrNotFound or ErrAmbiguous
}

func (u Unresolved) String() string {
	must := ""
	if u.MustPlay {
		must = " (must play)"
	}
	return fmt.Sprintf("phase %d (%s), track %d%s, %s: %q: %v", u.Phase, u.Role, u.Index, must, u.Pos, u.Ref, u.Err)
}

// UnresolvedError lists every reference of a file that did not resolve.
type UnresolvedError struct {
	Refs []Unresolved
}

func (e *UnresolvedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d track reference(s) did not resolve:", len(e.Refs))
	for _, u := range e.Refs {
		b.WriteString("\n  ")
		b.WriteString(u.String())
	}
	return b.String()
}

// Resolve turns the document into a playlist, resolving every track
// reference through r, and validates it.
//
// A reference that names no track, or several, is never dropped silently:
// by default Resolve fails with an *UnresolvedError listing every such
// reference with its phase, position and reason. With partial, it returns
// the playlist without them and the list of what was left out, for the
// caller to report.
func (d Document) Resolve(ctx context.Context, r Resolver, partial bool) (playlists.Playlist, []Unresolved, error) {
	pl := playlists.Playlist{
		Name: d.Name, Description: d.Description, Author: d.Author, Profile: d.Profile,
		Transition: d.Transition,
	}
	var missing []Unresolved
	for i, p := range d.Phases {
		ph := playlists.Phase{Role: p.Role, Crossfade: p.Crossfade, LevelDB: p.LevelDB, Fill: p.Fill}
		for j, ref := range p.Tracks {
			id, err := resolveRef(ctx, r, ref)
			if err != nil {
				if !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrAmbiguous) {
					return playlists.Playlist{}, nil, fmt.Errorf("resolve %s, phase %d (%s), track %d %q: %w",
						ref.Pos, i+1, p.Role, j+1, ref.Ref, err)
				}
				missing = append(missing, Unresolved{Phase: i + 1, Role: p.Role, Index: j + 1, Ref: ref.Ref,
					MustPlay: ref.MustPlay, Pos: ref.Pos, Err: err})
				continue
			}
			ph.Tracks = append(ph.Tracks, playlists.Entry{Track: id, MustPlay: ref.MustPlay})
		}
		pl.Phases = append(pl.Phases, ph)
	}
	if len(missing) > 0 && !partial {
		return playlists.Playlist{}, missing, &UnresolvedError{Refs: missing}
	}
	if err := pl.Validate(); err != nil {
		return playlists.Playlist{}, missing, err
	}
	return pl, missing, nil
}

// resolveRef tries the reference, then its alternative.
func resolveRef(ctx context.Context, r Resolver, ref Ref) (string, error) {
	id, err := r.Resolve(ctx, ref.Ref)
	if err == nil || ref.Alt == "" || !errors.Is(err, ErrNotFound) {
		return id, err
	}
	id, altErr := r.Resolve(ctx, ref.Alt)
	if altErr == nil {
		return id, nil
	}
	if errors.Is(altErr, ErrNotFound) {
		return "", fmt.Errorf("%w (also tried %q)", err, ref.Alt)
	}
	return "", fmt.Errorf("%q: %w", ref.Alt, altErr)
}
