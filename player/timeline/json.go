package timeline

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"
)

// Version is the timeline file format version this package reads and writes.
const Version = 1

// fileJSON is the file's top level.
type fileJSON struct {
	Version int               `json:"version"`
	Items   []json.RawMessage `json:"items"`
}

// itemJSON is one item as written. Durations stay raw so that a bare number
// is reported as such, naming the item and the field.
type itemJSON struct {
	Track   string          `json:"track"`
	Start   json.RawMessage `json:"start"`
	End     json.RawMessage `json:"end"`
	Offset  json.RawMessage `json:"offset,omitempty"`
	FadeIn  json.RawMessage `json:"fade_in,omitempty"`
	FadeOut json.RawMessage `json:"fade_out,omitempty"`
	GainDB  float64         `json:"gain_db,omitempty"`
	Phase   string          `json:"phase,omitempty"`
}

// Parse reads a timeline file (docs/timeline.md) and validates it. Unknown
// fields are errors, so a misspelt "fadein" is not silently ignored.
func Parse(data []byte) (Timeline, error) {
	var f fileJSON
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return Timeline{}, fmt.Errorf("timeline: parse: %w (%w)", err, ErrInvalid)
	}
	if dec.More() {
		return Timeline{}, fmt.Errorf("timeline: parse: data after the top-level object: %w", ErrInvalid)
	}
	if f.Version != Version {
		return Timeline{}, fmt.Errorf("timeline: version %d, want %d: %w", f.Version, Version, ErrInvalid)
	}
	tl := Timeline{Items: make([]Item, 0, len(f.Items))}
	for i, raw := range f.Items {
		it, err := parseItem(i, raw)
		if err != nil {
			return Timeline{}, err
		}
		tl.Items = append(tl.Items, it)
	}
	if err := tl.Validate(); err != nil {
		return Timeline{}, err
	}
	return tl, nil
}

func parseItem(i int, raw json.RawMessage) (Item, error) {
	var j itemJSON
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return Item{}, &ItemError{Index: i, Msg: err.Error()}
	}
	it := Item{Track: j.Track, GainDB: j.GainDB, Phase: j.Phase}
	for _, f := range []struct {
		name     string
		raw      json.RawMessage
		dst      *time.Duration
		required bool
	}{
		{"start", j.Start, &it.Start, true},
		{"end", j.End, &it.End, true},
		{"offset", j.Offset, &it.Offset, false},
		{"fade_in", j.FadeIn, &it.FadeIn, false},
		{"fade_out", j.FadeOut, &it.FadeOut, false},
	} {
		d, err := parseDuration(f.raw, f.required)
		if err != nil {
			return Item{}, &ItemError{Index: i, Track: j.Track, Field: f.name, Msg: err.Error()}
		}
		*f.dst = d
	}
	return it, nil
}

// parseDuration parses a Go duration string ("12m30.5s"). Bare numbers are
// refused: a number has no unit, and guessing seconds or milliseconds is
// how a 4-second fade becomes a 4-millisecond click.
func parseDuration(raw json.RawMessage, required bool) (time.Duration, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		if required {
			return 0, fmt.Errorf("missing: give a duration string like \"12m30.5s\"")
		}
		return 0, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return 0, fmt.Errorf("%s is not a duration string: write it with a unit, like \"12m30.5s\" or \"4s\"", raw)
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration: want a Go duration like \"12m30.5s\" or \"4s\"", s)
	}
	return d, nil
}

// MarshalJSON writes the timeline in its file format, durations as Go
// duration strings. Parse(MarshalJSON(tl)) gives tl back.
func (tl Timeline) MarshalJSON() ([]byte, error) {
	f := fileJSON{Version: Version, Items: make([]json.RawMessage, 0, len(tl.Items))}
	for _, it := range tl.Items {
		j := itemJSON{
			Track:   it.Track,
			Start:   durJSON(it.Start, true),
			End:     durJSON(it.End, true),
			Offset:  durJSON(it.Offset, false),
			FadeIn:  durJSON(it.FadeIn, false),
			FadeOut: durJSON(it.FadeOut, false),
			GainDB:  it.GainDB,
			Phase:   it.Phase,
		}
		b, err := json.Marshal(j)
		if err != nil {
			return nil, fmt.Errorf("timeline: marshal item %q: %w", it.Track, err)
		}
		f.Items = append(f.Items, b)
	}
	return json.MarshalIndent(f, "", "  ")
}

// UnmarshalJSON parses the file format; see Parse.
func (tl *Timeline) UnmarshalJSON(data []byte) error {
	t, err := Parse(data)
	if err != nil {
		return err
	}
	*tl = t
	return nil
}

func durJSON(d time.Duration, always bool) json.RawMessage {
	if d == 0 && !always {
		return nil
	}
	b, _ := json.Marshal(d.String()) // a string always marshals
	return b
}

// Read parses a timeline from r.
func Read(r io.Reader) (Timeline, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return Timeline{}, fmt.Errorf("timeline: read: %w", err)
	}
	return Parse(data)
}

// ReadFile parses the timeline file at path.
func ReadFile(path string) (Timeline, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Timeline{}, fmt.Errorf("timeline: %w", err)
	}
	tl, err := Parse(data)
	if err != nil {
		return Timeline{}, fmt.Errorf("%s: %w", path, err)
	}
	return tl, nil
}
