// Package examples holds attune's example playlists, one per route profile,
// and embeds them so that `attune serve --demo` and `attune library demo`
// can import them without the source tree.
package examples

import (
	"embed"
	"io/fs"
)

//go:embed *.yaml
var files embed.FS

// FS returns the example playlist files (*.yaml at its root).
func FS() fs.FS { return files }
