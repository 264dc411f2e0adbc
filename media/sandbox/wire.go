package sandbox

import (
	"errors"
	"fmt"
	"math"
	"strconv"

	"attune/media"
)

// The protocol between a Pool and its children is JSON lines. The parent
// writes one request at a time on the child's fd 3 and reads the answer on
// the child's fd 4; the child's own stdout and stderr are only captured for
// crash reports, so nothing a decoder prints can corrupt the stream.
//
// The child's first line is a hello (ready: true); every later line answers
// the request with the same id. Paths and error messages travel as bytes
// (base64 in JSON) because Linux file names need not be UTF-8 and JSON
// strings would turn invalid bytes into U+FFFD. Info travels as media.Info's
// own JSON, except that non-finite ReplayGain values, which JSON numbers
// cannot carry, travel as strings in "nonfinite". Invalid UTF-8 inside Info's
// strings (tags) does arrive as U+FFFD, as it would through any JSON API.

// request asks a child to probe one file.
type request struct {
	ID   uint64 `json:"id"`
	Path []byte `json:"path"`
}

// response is one line from a child.
type response struct {
	ID        uint64            `json:"id"`
	Ready     bool              `json:"ready,omitempty"`
	Info      *media.Info       `json:"info,omitempty"`
	NonFinite map[string]string `json:"nonfinite,omitempty"`
	Error     *wireError        `json:"error,omitempty"`
}

// wireError is a probe error: its text and the media error kinds it wraps.
type wireError struct {
	Message []byte   `json:"message"`
	Kinds   []string `json:"kinds,omitempty"`
}

// kindError returns the sentinel error a wire name stands for, or nil. These
// kinds keep their identity across the process boundary.
func kindError(name string) error {
	switch name {
	case "invalid":
		return media.ErrInvalid
	case "unsupported":
		return media.ErrUnsupported
	}
	return nil
}

// encodeError turns a probe error into its wire form.
func encodeError(err error) *wireError {
	w := &wireError{Message: []byte(err.Error())}
	for _, name := range [...]string{"invalid", "unsupported"} {
		if errors.Is(err, kindError(name)) {
			w.Kinds = append(w.Kinds, name)
		}
	}
	return w
}

// decode rebuilds the error a child reported: same text, and errors.Is
// matches the same media sentinels.
func (w *wireError) decode() error {
	e := &probeError{msg: string(w.Message)}
	for _, name := range w.Kinds {
		if k := kindError(name); k != nil {
			e.kinds = append(e.kinds, k)
		}
	}
	return e
}

// probeError is an error returned by the probe function in a child.
type probeError struct {
	msg   string
	kinds []error
}

func (e *probeError) Error() string   { return e.msg }
func (e *probeError) Unwrap() []error { return e.kinds }

// gains names the ReplayGain fields by their JSON keys.
func gains(rg *media.ReplayGain) map[string]**float64 {
	return map[string]**float64{
		"track_gain": &rg.TrackGain,
		"track_peak": &rg.TrackPeak,
		"album_gain": &rg.AlbumGain,
		"album_peak": &rg.AlbumPeak,
	}
}

// encodeInfo prepares info for JSON: it returns a copy without non-finite
// ReplayGain values, and those values as strings.
func encodeInfo(info media.Info) (*media.Info, map[string]string) {
	var nonFinite map[string]string
	for name, p := range gains(&info.Tags.ReplayGain) {
		if *p == nil || !(math.IsNaN(**p) || math.IsInf(**p, 0)) {
			continue
		}
		if nonFinite == nil {
			nonFinite = make(map[string]string)
		}
		nonFinite[name] = strconv.FormatFloat(**p, 'g', -1, 64)
		*p = nil // info is a copy: the caller's value is untouched
	}
	return &info, nonFinite
}

// decodeInfo is the inverse of encodeInfo.
func decodeInfo(info *media.Info, nonFinite map[string]string) (media.Info, error) {
	out := *info
	fields := gains(&out.Tags.ReplayGain)
	for name, s := range nonFinite {
		p, ok := fields[name]
		if !ok {
			return media.Info{}, fmt.Errorf("unknown ReplayGain field %q", name)
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return media.Info{}, fmt.Errorf("ReplayGain field %s: %w", name, err)
		}
		*p = &v
	}
	return out, nil
}

// Failure kinds the Pool adds on its side of the boundary. Errors returned by
// Pool.Probe match them with errors.Is; their text is the full reason, e.g.
// "probe timed out after 10s" or "probe crashed: fatal error: out of memory".
var (
	// ErrClosed: the pool was closed.
	ErrClosed = errors.New("sandbox closed")
	// ErrCrashed: the child died while probing the file.
	ErrCrashed = errors.New("probe crashed")
	// ErrTimeout: the probe ran past Config.Timeout and its child was killed.
	ErrTimeout = errors.New("probe timed out")
)

// failure is an error of one of the kinds above with its full reason.
type failure struct {
	kind error
	msg  string
}

func (f *failure) Error() string { return f.msg }
func (f *failure) Unwrap() error { return f.kind }

func crashed(reason string) error {
	return &failure{kind: ErrCrashed, msg: "probe crashed: " + reason}
}
