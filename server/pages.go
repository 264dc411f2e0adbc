package server

import (
	"errors"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"attune/server/web"
)

// pageCSP lets pages load only this server's scripts, styles, media and
// sockets; data: images are the pairing QR codes. No inline script or style
// runs, and no other site may frame a page.
const pageCSP = "default-src 'self'; img-src 'self' data:; media-src 'self'; connect-src 'self'; frame-ancestors 'none'"

// pageHeaders sets the headers every page and asset carries.
func pageHeaders(h http.Header) {
	h.Set("Content-Security-Policy", pageCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
}

// page serves one embedded HTML page. Pages are public: each asks GET
// /api/me and sends a visitor who may not use it to /login (or /pair).
func (s *Server) page(name string) func(http.ResponseWriter, *http.Request, Caller) {
	return func(w http.ResponseWriter, r *http.Request, _ Caller) {
		b, err := fs.ReadFile(web.FS(), name)
		if err != nil {
			writeError(w, s.toError("read the page "+name, err))
			return
		}
		pageHeaders(w.Header())
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		// a page names its assets by fixed paths, so it must be revalidated
		// after an upgrade rather than served from a stale cache
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write(b) // the client went away: nothing to do
	}
}

// getStatic serves the pages' style sheet and scripts.
func (s *Server) getStatic(w http.ResponseWriter, r *http.Request, _ Caller) {
	name := r.PathValue("path")
	if name == "" || strings.HasSuffix(name, "/") || !fs.ValidPath(name) || strings.HasSuffix(name, ".html") {
		http.NotFound(w, r)
		return
	}
	f, err := web.FS().Open(name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			http.NotFound(w, r)
			return
		}
		writeError(w, s.toError("open "+name, err))
		return
	}
	_ = f.Close()
	pageHeaders(w.Header())
	if t := contentType(path.Ext(name)); t != "" {
		w.Header().Set("Content-Type", t)
	}
	w.Header().Set("Cache-Control", "no-cache")
	http.ServeFileFS(w, r, web.FS(), name)
}

// contentType fixes the types module scripts need regardless of the host's
// MIME tables (a JavaScript module served as text/plain does not run).
func contentType(ext string) string {
	switch ext {
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	case ".png":
		return "image/png"
	}
	return ""
}
