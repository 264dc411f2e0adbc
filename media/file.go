package media

import (
	"errors"
	"time"
)

// File is one place on disk where a track's bytes live. A track can have
// several (the same recording in two watched folders); a renamed file is a
// new File of the same track, so curation follows the content.
type File struct {
	Path    string
	TrackID string
	Size    int64
	ModTime time.Time
}

// TrackFile is a track and the file it was found in, to record together.
type TrackFile struct {
	Track Track
	File  File
}

// Errors that callers tell apart with errors.Is.
var (
	// ErrNotFound: no such track or file in the store.
	ErrNotFound = errors.New("not found")
	// ErrUnsupported: a file in a format attune recognizes but does not play.
	ErrUnsupported = errors.New("unsupported format")
	// ErrInvalid: a file that is damaged, truncated or not audio at all.
	ErrInvalid = errors.New("invalid file")
)
