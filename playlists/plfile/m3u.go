package plfile

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"unicode/utf8"

	"attune/playlists"
)

// ParseM3U reads an M3U or M3U8 playlist into a one-phase document whose
// phase has the given role ("" means the journey). Each entry is a path (or
// a file:// URL) and, when an #EXTINF line precedes it, its title
// ("Artist - Title") as the alternative reference. #PLAYLIST names the
// document. Other comment lines are ignored. Text that is not UTF-8 is read
// as Latin-1, what old .m3u files hold.
func ParseM3U(data []byte, role playlists.Role) (Document, error) {
	if role == "" {
		role = playlists.RoleJourney
	}
	if !contains(roleNames(), string(role)) {
		msg := fmt.Sprintf("unknown role %q", role)
		if s := suggest(string(role), roleNames()); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
		return Document{}, fmt.Errorf("%w: %s; want one of %s", ErrFormat, msg, strings.Join(roleNames(), ", "))
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		data = latin1(data)
	}
	doc := Document{Phases: []DocPhase{{Role: role, Pos: Pos{Line: 1}}}}
	ph := &doc.Phases[0]
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	var title string
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		switch {
		case text == "":
		case strings.HasPrefix(text, "#EXTINF:"):
			// #EXTINF:seconds[ attributes],title
			if _, t, ok := strings.Cut(text, ","); ok {
				title = strings.TrimSpace(t)
			}
		case strings.HasPrefix(text, "#PLAYLIST:"):
			doc.Name = strings.TrimSpace(strings.TrimPrefix(text, "#PLAYLIST:"))
		case strings.HasPrefix(text, "#"):
		default:
			ph.Tracks = append(ph.Tracks, Ref{Ref: fileURL(text), Alt: title, Pos: Pos{Line: line}})
			title = ""
		}
	}
	if err := sc.Err(); err != nil {
		return Document{}, fmt.Errorf("%w: M3U: %w", ErrFormat, err)
	}
	return doc, nil
}

// fileURL turns a file:// URL into its path; anything else is kept.
func fileURL(s string) string {
	if !strings.HasPrefix(s, "file://") {
		return s
	}
	u, err := url.Parse(s)
	if err != nil || u.Path == "" {
		return s
	}
	return u.Path
}

func latin1(b []byte) []byte {
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return []byte(string(r))
}

// writeM3U writes pl as an extended M3U (UTF-8): every phase in order, each
// introduced by comment lines naming it (#EXTGRP, which some players show,
// and a plain comment), each track as #EXTINF (seconds, "Artist - Title")
// and its file path. A track without a file is written as "Artist - Title",
// and one the library does not know as its id, so that an import of the
// file finds what it can and reports the rest. Phase settings (crossfade,
// level, fill, must-play) have no place in M3U and are not written.
func writeM3U(ctx context.Context, w io.Writer, pl playlists.Playlist, d Describer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "#EXTM3U")
	fmt.Fprintf(bw, "#PLAYLIST:%s\n", oneLine(pl.Name))
	for i, p := range pl.Phases {
		fmt.Fprintf(bw, "\n# phase %d of %d: %s\n#EXTGRP:%s\n", i+1, len(pl.Phases), p.Role, p.Role)
		for _, e := range p.Tracks {
			info, err := describe(ctx, d, e.Track)
			if err != nil {
				return err
			}
			secs := -1
			if info.Duration > 0 {
				secs = int(info.Duration.Round(1e9).Seconds())
			}
			label := oneLine(strings.Replace(info.Label(), " – ", " - ", 1))
			fmt.Fprintf(bw, "#EXTINF:%d,%s\n", secs, label)
			switch {
			case info.Path != "":
				fmt.Fprintln(bw, oneLine(info.Path))
			case label != "":
				fmt.Fprintln(bw, label)
			default:
				fmt.Fprintln(bw, e.Track)
			}
		}
	}
	return bw.Flush()
}

// describe asks d about id; a track d does not know is described by its id
// alone.
func describe(ctx context.Context, d Describer, id string) (TrackInfo, error) {
	if d == nil {
		return TrackInfo{ID: id}, nil
	}
	info, err := d.Describe(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return TrackInfo{ID: id}, nil
	}
	if err != nil {
		return TrackInfo{}, fmt.Errorf("describe track %s: %w", id, err)
	}
	return info, nil
}

// oneLine keeps a value from breaking a line-based format.
func oneLine(s string) string {
	return strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
}
