package session

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"attune/playlists"
)

// ScriptEvent is one scripted live event of a rehearsed session: what a
// therapist or patient does, and when on the drug clock.
type ScriptEvent struct {
	At time.Duration // drug clock
	Command
}

// scriptJSON is a ScriptEvent as files hold it:
//
//	{"at": "12m30s", "do": "onset"}
//	{"at": "20m", "do": "pause", "role": "patient"}
//	{"at": "30m", "do": "extend", "phase": "journey", "by": "5m"}
//	{"at": "40m", "do": "quiet", "on": true}
//	{"at": "50m", "do": "volume", "db": -20}
type scriptJSON struct {
	At    string   `json:"at"`
	Do    string   `json:"do"`
	Role  string   `json:"role"`
	Phase string   `json:"phase"`
	By    string   `json:"by"`
	On    *bool    `json:"on"`
	DB    *float64 `json:"db"`
}

// scriptKinds are the commands a script may use.
func scriptKinds() []string {
	return []string{KindOnset, KindPause, KindResume, KindSkip, KindExtend, KindShorten, KindJump, KindQuiet, KindVolume, KindEnd}
}

// ParseScript reads a JSON array of events (or an object with an "events"
// array). Unknown fields, a duration that is not a Go duration string, an
// unknown command or a missing argument are errors naming the event.
func ParseScript(b []byte) ([]ScriptEvent, error) {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '{' {
		var wrap struct {
			Events json.RawMessage `json:"events"`
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&wrap); err != nil {
			return nil, fmt.Errorf("events: %w", err)
		}
		b = wrap.Events
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("events: want a JSON array of events: %w", err)
	}
	var out []ScriptEvent
	var errs []error
	for i, r := range raw {
		ev, err := parseEvent(r)
		if err != nil {
			errs = append(errs, fmt.Errorf("event %d: %w", i+1, err))
			continue
		}
		out = append(out, ev)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	slices.SortStableFunc(out, func(a, b ScriptEvent) int { return int(a.At - b.At) })
	return out, nil
}

func parseEvent(r json.RawMessage) (ScriptEvent, error) {
	var j scriptJSON
	dec := json.NewDecoder(bytes.NewReader(r))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return ScriptEvent{}, err
	}
	at, err := time.ParseDuration(j.At)
	if err != nil || at < 0 {
		return ScriptEvent{}, fmt.Errorf("at %q: want a duration after the dose like \"12m30s\"", j.At)
	}
	if !slices.Contains(scriptKinds(), j.Do) {
		return ScriptEvent{}, fmt.Errorf("do %q: want one of %s", j.Do, strings.Join(scriptKinds(), ", "))
	}
	ev := ScriptEvent{At: at, Command: Command{Kind: j.Do, Who: Who{Role: "therapist", Device: "script"}, Phase: playlists.Role(j.Phase)}}
	if j.Role != "" {
		ev.Who.Role = j.Role
	}
	switch j.Do {
	case KindExtend, KindShorten:
		if ev.By, err = time.ParseDuration(j.By); err != nil || ev.By <= 0 {
			return ScriptEvent{}, fmt.Errorf("%s: by %q: want a positive duration like \"5m\"", j.Do, j.By)
		}
		fallthrough
	case KindJump:
		if j.Phase == "" {
			return ScriptEvent{}, fmt.Errorf("%s: no phase", j.Do)
		}
	case KindQuiet:
		if j.On == nil {
			return ScriptEvent{}, fmt.Errorf("quiet: say \"on\": true or false")
		}
		ev.On = *j.On
	case KindVolume:
		if j.DB == nil {
			return ScriptEvent{}, fmt.Errorf("volume: no \"db\"")
		}
		ev.DB = *j.DB
	}
	return ev, nil
}

// Timed is an action at a drug-clock time.
type Timed struct {
	At time.Duration
	Action
}

// Rehearse runs a session offline: dosed at wall time dose, then each
// scripted event at its drug-clock time, then the end of observation. It
// returns every engine action with its drug-clock time and the session's
// log. A refused event (a patient's onset, a jump to a missing phase) is
// an error naming it: a script is the therapist's plan, and a silent
// failure would make the rehearsal lie.
func Rehearse(c *Core, dose time.Time, events []ScriptEvent) ([]Timed, []Entry, error) {
	var out []Timed
	var log []Entry
	acts, e, err := c.Apply(Command{Kind: KindDose, Who: Who{Role: "therapist", Device: "script"}}, dose)
	if err != nil {
		return nil, nil, err
	}
	add := func(at time.Duration, acts []Action, e Entry) {
		for _, a := range acts {
			out = append(out, Timed{At: at, Action: a})
		}
		log = append(log, e)
	}
	add(0, acts, e)
	end := c.Record().Boundaries.ObserveUntil
	for _, ev := range events {
		if c.Record().Status == StatusEnded {
			break
		}
		if ev.At >= c.Record().Boundaries.ObserveUntil {
			break
		}
		acts, e, err := c.Apply(ev.Command, dose.Add(ev.At))
		if err != nil {
			return nil, nil, fmt.Errorf("event %s at %s: %w", ev.Kind, Clock(ev.At), err)
		}
		add(ev.At, acts, e)
		end = c.Record().Boundaries.ObserveUntil
	}
	if c.Record().Status != StatusEnded {
		if acts, e, ok := c.Tick(dose.Add(end)); ok {
			add(end, acts, e)
		}
	}
	return out, log, nil
}
