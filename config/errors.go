package config

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalid matches (with errors.Is) every error of Load that the user can
// fix by changing the configuration: an invalid value, an unknown key, a
// malformed file, a missing --config file.
var ErrInvalid = errors.New("invalid configuration")

// Error is an invalid value of one key.
type Error struct {
	Key     string // "library.workers"
	Value   string // the value as given, "" if there is none
	Origin  string // where it came from: "env ATTUNE_LIBRARY_WORKERS", "file /x/attune.yaml:3", ...
	Allowed string // what is allowed: "a whole number from 1 to 256"
	Reason  string // what is wrong with it: "not a whole number"
	// Missing marks a required value that is not given; Origin is then
	// where it was expected (the mapping that lacks it).
	Missing bool
}

// Error reads, e.g.:
//
//	config: library.workers: "zero" from env ATTUNE_LIBRARY_WORKERS is not allowed (not a whole number): want a whole number from 1 to 256
//	config: rooms[0].outputs[1].path: not set in file /etc/attune/attune.yaml:9: want a path (…)
func (e *Error) Error() string {
	if e.Missing {
		return fmt.Sprintf("config: %s: not set in %s: want %s", e.Key, e.Origin, e.Allowed)
	}
	if e.Value == "" && e.Origin == string(SourceDefault) {
		// No value at all: the default could not be worked out.
		return fmt.Sprintf("config: %s: %s", e.Key, e.Reason)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "config: %s: %q", e.Key, e.Value)
	if e.Origin != "" {
		fmt.Fprintf(&b, " from %s", e.Origin)
	}
	b.WriteString(" is not allowed")
	if e.Reason != "" {
		fmt.Fprintf(&b, " (%s)", e.Reason)
	}
	if e.Allowed != "" {
		fmt.Fprintf(&b, ": want %s", e.Allowed)
	}
	return b.String()
}

// Is makes every *Error match ErrInvalid.
func (e *Error) Is(target error) bool { return target == ErrInvalid }

// FileError is a problem with a config file as a whole or at one line: it
// cannot be read, is not valid YAML, or has an unknown key.
type FileError struct {
	File string
	Line int    // 1-based; 0 if unknown
	Key  string // the key concerned, if any
	Msg  string // what is wrong
	Err  error  // the cause, if any (for errors.Is, e.g. fs.ErrNotExist)
}

// Error reads "config: FILE:LINE: MSG".
func (e *FileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("config: %s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("config: %s: %s", e.File, e.Msg)
}

// Unwrap returns the cause.
func (e *FileError) Unwrap() error { return e.Err }

// Is makes every *FileError match ErrInvalid.
func (e *FileError) Is(target error) bool { return target == ErrInvalid }

// rawText renders a raw value (from YAML, env, a flag or a default) for an
// error message.
func rawText(raw any) string {
	switch r := raw.(type) {
	case nil:
		return ""
	case string:
		return r
	case []any:
		parts := make([]string, len(r))
		for i, e := range r {
			parts[i] = rawText(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	default:
		return fmt.Sprint(r)
	}
}
