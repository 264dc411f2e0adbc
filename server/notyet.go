package server

import "net/http"

// notYet answers for a route whose handler is still being written. Delete
// this file when no stubs_*.go file uses it any more.
func notYet(w http.ResponseWriter) { writeError(w, errorf(CodeUnavailable, "not built yet")) }
