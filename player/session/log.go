package session

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Kinds of log entries. Detail conventions are noted where the summary
// reads them.
const (
	KindStart     = "start"     // the session was set up (arrival music, if any)
	KindDose      = "dose"      // "dose given"; Detail says how far back-dated
	KindOnset     = "onset"     // "onset now"
	KindExtend    = "extend"    // Detail: the phase and by how much
	KindShorten   = "shorten"   // Detail: the phase and by how much
	KindJump      = "jump"      // Detail: the phase jumped to
	KindPause     = "pause"     //
	KindResume    = "resume"    //
	KindSkip      = "skip"      // Track: the track skipped
	KindQuiet     = "quiet"     // Detail: "on" or "off"
	KindVolume    = "volume"    // Detail: the new level, "-12.0 dB"
	KindItem      = "item"      // a track began sounding (Track, Phase)
	KindFailed    = "failed"    // a track failed; Detail: why
	KindEnd       = "end"       // the session ended; Detail: why
	KindRecovered = "recovered" // the daemon restarted and carried the session on
)

// VolumeDetail formats a volume entry's Detail.
func VolumeDetail(db float64) string { return strconv.FormatFloat(db, 'f', 1, 64) + " dB" }

// Span is a stretch of the drug clock.
type Span struct {
	From, To time.Duration
	Open     bool // still running when the log ends
}

// Played is one track that sounded, in the phase it sounded in.
type Played struct {
	At    time.Duration // drug clock
	Phase string
	Track string
}

// Change is a volume change.
type Change struct {
	At   time.Duration
	DB   float64
	Role string
}

// Summary is a session for the clinical record: what played in each phase,
// when the music was paused, skipped or quiet, and every volume change.
type Summary struct {
	Played  []Played
	Pauses  []Span
	Quiet   []Span
	Skips   []Played // the tracks skipped, when
	Volume  []Change
	Onset   time.Duration // drug clock of "onset now", if marked
	Marked  bool          // whether onset was marked
	Failed  int           // tracks that failed and were faded out
	Ended   string        // why it ended; "" while running
	Clock   time.Duration // drug clock of the last entry
	Entries int
}

// Summarize reads a session's log.
func Summarize(es []Entry) Summary {
	var s Summary
	var pause, quiet *Span
	for _, e := range es {
		s.Entries++
		s.Clock = e.Clock
		switch e.Kind {
		case KindItem:
			s.Played = append(s.Played, Played{At: e.Clock, Phase: e.Phase, Track: e.Track})
		case KindPause:
			if pause == nil {
				pause = &Span{From: e.Clock}
			}
		case KindResume:
			if pause != nil {
				pause.To = e.Clock
				s.Pauses = append(s.Pauses, *pause)
				pause = nil
			}
		case KindQuiet:
			switch {
			case e.Detail == "on" && quiet == nil:
				quiet = &Span{From: e.Clock}
			case e.Detail == "off" && quiet != nil:
				quiet.To = e.Clock
				s.Quiet = append(s.Quiet, *quiet)
				quiet = nil
			}
		case KindSkip:
			s.Skips = append(s.Skips, Played{At: e.Clock, Phase: e.Phase, Track: e.Track})
		case KindVolume:
			if db, err := strconv.ParseFloat(strings.TrimSuffix(e.Detail, " dB"), 64); err == nil {
				s.Volume = append(s.Volume, Change{At: e.Clock, DB: db, Role: e.Role})
			}
		case KindOnset:
			s.Onset, s.Marked = e.Clock, true
		case KindFailed:
			s.Failed++
		case KindEnd:
			s.Ended = e.Detail
			if s.Ended == "" {
				s.Ended = "ended"
			}
		}
	}
	for _, open := range []struct {
		sp  *Span
		out *[]Span
	}{{pause, &s.Pauses}, {quiet, &s.Quiet}} {
		if open.sp != nil {
			open.sp.To, open.sp.Open = s.Clock, true
			*open.out = append(*open.out, *open.sp)
		}
	}
	return s
}

// Clock formats a drug-clock time as the log shows it: "+12:30.0" after
// the dose, "-02:00.0" before it.
func Clock(d time.Duration) string {
	sign := "+"
	if d < 0 {
		sign, d = "-", -d
	}
	d = d.Round(100 * time.Millisecond)
	m := d / time.Minute
	sec := float64(d%time.Minute) / float64(time.Second)
	return fmt.Sprintf("%s%02d:%04.1f", sign, m, sec)
}

// WriteCSV writes a session's log as CSV with a header row, for export.
func WriteCSV(w io.Writer, es []Entry) error {
	cw := csv.NewWriter(w)
	rows := [][]string{{"seq", "wall_clock", "drug_clock", "dosed", "role", "device", "kind", "detail", "phase", "track"}}
	for _, e := range es {
		rows = append(rows, []string{
			strconv.FormatInt(e.Seq, 10), e.Wall.UTC().Format(time.RFC3339Nano), Clock(e.Clock),
			strconv.FormatBool(e.Dosed), e.Role, e.Device, e.Kind, e.Detail, e.Phase, e.Track,
		})
	}
	if err := cw.WriteAll(rows); err != nil {
		return fmt.Errorf("write session log as CSV: %w", err)
	}
	return nil
}
