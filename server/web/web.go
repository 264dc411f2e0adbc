// Package web holds attune's browser pages: the therapist console, the
// patient tablet, tablet pairing, login, first-run setup and the admin
// library (upload, curation, playlists, users, rooms), with their
// shared style sheet and JavaScript modules. Everything is plain HTML, CSS
// and JavaScript modules embedded in the binary: no build step, no CDN,
// because clinics run offline.
package web

import (
	"embed"
	"fmt"
	"io/fs"
)

// static is read-only: an embed.FS cannot change after the build.
//
//go:embed static
var static embed.FS

// FS returns the pages and their assets, rooted at the static folder:
// "console.html", "app.css", "ws.js", ….
func FS() fs.FS {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		// fs.Sub fails only for an invalid path: a programmer error.
		panic(fmt.Sprintf("web: the embedded static folder: %v", err))
	}
	return sub
}
