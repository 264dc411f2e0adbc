// Package plfile reads and writes playlist files (docs/playlists.md): the
// phased YAML and JSON format, one schema for both, and M3U/M3U8, the
// one-phase lists therapists have today. Reading is two steps: Parse checks
// the file strictly (unknown fields, bare-number durations, unknown roles
// and fills are errors naming where they are) into a Document of track
// references; Document.Resolve turns those into library ids, reporting
// every reference that names no track.
package plfile

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"attune/playlists"
)

// Format is a playlist file format.
type Format string

// The formats.
const (
	FormatYAML Format = "yaml"
	FormatJSON Format = "json"
	FormatM3U  Format = "m3u" // M3U and M3U8: the same, in UTF-8
)

// Formats lists the formats by name.
func Formats() []Format { return []Format{FormatYAML, FormatJSON, FormatM3U} }

// ParseFormat reads a format name ("m3u8" is M3U).
func ParseFormat(name string) (Format, error) {
	switch f := Format(strings.ToLower(name)); f {
	case FormatYAML, FormatJSON, FormatM3U:
		return f, nil
	case "yml":
		return FormatYAML, nil
	case "m3u8":
		return FormatM3U, nil
	}
	return "", fmt.Errorf("unknown playlist format %q: want yaml, json or m3u", name)
}

// FormatOf tells a file's format by its extension.
func FormatOf(path string) (Format, error) {
	ext := strings.TrimPrefix(filepath.Ext(path), ".")
	if ext == "" {
		return "", fmt.Errorf("%s: no extension to tell its format by (.yaml, .json, .m3u or .m3u8)", path)
	}
	f, err := ParseFormat(ext)
	if err != nil {
		return "", fmt.Errorf("%s: unknown extension .%s: want .yaml, .yml, .json, .m3u or .m3u8", path, ext)
	}
	return f, nil
}

// Parse reads a playlist file of format f. An M3U file becomes one phase
// with role m3uRole ("" means the journey); YAML and JSON files ignore it.
// Errors about the content wrap ErrFormat; every problem found is reported
// (errors.Join), each with its position.
func Parse(data []byte, f Format, m3uRole playlists.Role) (Document, error) {
	var (
		root *node
		err  error
	)
	switch f {
	case FormatM3U:
		return ParseM3U(data, m3uRole)
	case FormatYAML:
		root, err = parseYAML(data)
	case FormatJSON:
		root, err = parseJSON(data)
	default:
		return Document{}, fmt.Errorf("parse playlist: unknown format %q", f)
	}
	if err != nil {
		return Document{}, err
	}
	return decodeDocument(root)
}

// Encode writes pl in format f. d, which may be nil, tells what each track
// is, so that the file reads well and re-imports on another machine:
//   - YAML: each track's id, with "Artist – Title" as a comment;
//   - JSON: each track's id, with "Artist – Title" as its note;
//   - M3U: see writeM3U.
func Encode(ctx context.Context, w io.Writer, pl playlists.Playlist, f Format, d Describer) error {
	var err error
	switch f {
	case FormatYAML:
		err = writeYAML(ctx, w, pl, d)
	case FormatJSON:
		err = writeJSON(ctx, w, pl, d)
	case FormatM3U:
		err = writeM3U(ctx, w, pl, d)
	default:
		err = fmt.Errorf("unknown format %q", f)
	}
	if err != nil {
		return fmt.Errorf("write playlist %q as %s: %w", pl.Name, f, err)
	}
	return nil
}
