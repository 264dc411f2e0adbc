package media

import (
	"errors"
	"fmt"
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

// Invalidf reports what is wrong with a damaged, truncated or non-audio file.
// The error's text is the formatted reason alone, for the caller to put in
// context ("FLAC: " + reason), and it matches ErrInvalid with errors.Is.
func Invalidf(format string, args ...any) error {
	return &kindError{kind: ErrInvalid, msg: fmt.Sprintf(format, args...)}
}

// Unsupportedf reports a valid file using a feature attune does not play,
// as Invalidf does; the error matches ErrUnsupported with errors.Is.
func Unsupportedf(format string, args ...any) error {
	return &kindError{kind: ErrUnsupported, msg: fmt.Sprintf(format, args...)}
}

// kindError is a one-line reason tied to the error kind callers tell apart.
type kindError struct {
	kind error // ErrInvalid or ErrUnsupported
	msg  string
}

func (e *kindError) Error() string { return e.msg }
func (e *kindError) Unwrap() error { return e.kind }
