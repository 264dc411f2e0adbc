package wavfile

import (
	"fmt"

	"attune/media"
)

// parseError is a one-line description of what is wrong with a file, tied to
// the media error kind the caller tells apart with errors.Is.
type parseError struct {
	kind error // media.ErrInvalid or media.ErrUnsupported
	msg  string
}

func (e *parseError) Error() string { return e.msg }
func (e *parseError) Unwrap() error { return e.kind }

// invalidf reports a damaged, truncated or non-WAV file (media.ErrInvalid).
func invalidf(format string, args ...any) error {
	return &parseError{kind: media.ErrInvalid, msg: fmt.Sprintf(format, args...)}
}

// unsupportedf reports a valid file the engine's decoder cannot play
// (media.ErrUnsupported).
func unsupportedf(format string, args ...any) error {
	return &parseError{kind: media.ErrUnsupported, msg: fmt.Sprintf(format, args...)}
}
