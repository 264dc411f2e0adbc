package player

import (
	"fmt"
	"time"

	"attune/player/timeline"
)

// State is what the room is doing.
type State int32

// States.
const (
	StateStopped State = iota // nothing playing (no timeline, or it ended)
	StatePlaying
	StatePaused
	StateQuiet // playing, faded to silence; the position runs on
)

var stateNames = [...]string{"stopped", "playing", "paused", "quiet"}

func (s State) String() string {
	if s >= 0 && int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("state(%d)", int32(s))
}

// EventKind says what an Event reports.
type EventKind uint8

// Event kinds.
const (
	EventPosition      EventKind = iota + 1 // once a second while a timeline is loaded
	EventState                              // State changed
	EventItemStarted                        // Item began sounding
	EventItemEnded                          // Item reached its end
	EventItemFailed                         // Item could not open, failed, ended early or was missed (ItemEvent, Err)
	EventUnderrun                           // an item started late (Item ≥ 0) or the engine fell behind real time (Item −1)
	EventSinkError                          // Sink failed (Err); it is closed and will be reopened
	EventSinkRecovered                      // Sink was reopened
	EventSinkUnderrun                       // Sink's device ran dry and recovered (Err: *SinkUnderruns, with the count)
)

var kindNames = [...]string{"", "position", "state", "item_started", "item_ended", "item_failed", "underrun", "sink_error", "sink_recovered", "sink_underrun"}

func (k EventKind) String() string {
	if k != 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("event(%d)", k)
}

// Event reports something that happened in the room.
type Event struct {
	Kind     EventKind
	Position time.Duration // timeline position (the music's clock) it happened at
	State    State         // EventState, EventPosition
	Item     int           // index in the loaded timeline's Items, −1 for none
	Track    string
	// ItemEvent is the sequencer's own kind for item events.
	ItemEvent timeline.EventKind
	Sink      string // EventSinkError, EventSinkRecovered, EventSinkUnderrun
	Err       error
}

func (ev Event) String() string {
	s := fmt.Sprintf("%s at %s", ev.Kind, ev.Position)
	switch ev.Kind {
	case EventState, EventPosition:
		s += " " + ev.State.String()
	case EventItemStarted, EventItemEnded, EventItemFailed, EventUnderrun:
		if ev.Item >= 0 {
			s += fmt.Sprintf(" item %d (%s) %s", ev.Item+1, ev.Track, ev.ItemEvent)
		}
	case EventSinkError, EventSinkRecovered, EventSinkUnderrun:
		s += " sink " + ev.Sink
	}
	if ev.Err != nil {
		s += ": " + ev.Err.Error()
	}
	return s
}
