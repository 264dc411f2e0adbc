package timeline

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// Gain limits. They are sanity bounds that catch unit mistakes (a linear
// factor or a percentage written as dB), not a safety mechanism: the
// engine's limiter is that.
const (
	MinGainDB = -80.0
	MaxGainDB = 30.0
)

// ErrInvalid is wrapped by every validation error, so callers can tell a
// bad timeline from an I/O failure with errors.Is.
var ErrInvalid = errors.New("invalid timeline")

// ItemError is a validation error about one item.
type ItemError struct {
	Index int    // position in Timeline.Items (0-based; messages count from 1)
	Track string // the item's track, to find it in a long file
	Field string // JSON field name, or "" for the item as a whole
	Msg   string
}

func (e *ItemError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "timeline: item %d", e.Index+1)
	if e.Track != "" {
		fmt.Fprintf(&b, " (track %q)", e.Track)
	}
	if e.Field != "" {
		fmt.Fprintf(&b, ": %s", e.Field)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *ItemError) Unwrap() error { return ErrInvalid }

func itemErr(i int, it Item, field, format string, args ...any) error {
	return &ItemError{Index: i, Track: it.Track, Field: field, Msg: fmt.Sprintf(format, args...)}
}

// Validate checks that tl can be played: every item well formed, items in
// order of start, overlaps only between neighbours (at most two items at
// once), and a crossfade's fades, when given, equal to its overlap. It
// returns the first problem found, as an *ItemError naming the item and field
// where there is one.
func (tl Timeline) Validate() error {
	if len(tl.Items) == 0 {
		return fmt.Errorf("timeline: no items: %w", ErrInvalid)
	}
	for i, it := range tl.Items {
		if err := validateItem(i, it); err != nil {
			return err
		}
	}
	for i := 1; i < len(tl.Items); i++ {
		prev, it := tl.Items[i-1], tl.Items[i]
		if it.Start <= prev.Start {
			return itemErr(i, it, "start", "%s is not after item %d's start %s: items must be in order of start", fmtDur(it.Start), i, fmtDur(prev.Start))
		}
		if it.End <= prev.End && it.Start < prev.End {
			return itemErr(i, it, "end", "%s is not after item %d's end %s: an item may not lie inside another", fmtDur(it.End), i, fmtDur(prev.End))
		}
		if i >= 2 {
			if pp := tl.Items[i-2]; it.Start < pp.End {
				return itemErr(i, it, "start", "%s is before item %d's end %s, and item %d also sounds then: at most two items may sound at once", fmtDur(it.Start), i-1, fmtDur(pp.End), i)
			}
		}
		overlap := prev.End - it.Start
		if overlap <= 0 {
			continue
		}
		if prev.FadeOut != 0 && prev.FadeOut != overlap {
			return itemErr(i-1, prev, "fade_out", "%s, but the item overlaps item %d by %s: a crossfade's fade_out must equal the overlap or be omitted", fmtDur(prev.FadeOut), i+1, fmtDur(overlap))
		}
		if it.FadeIn != 0 && it.FadeIn != overlap {
			return itemErr(i, it, "fade_in", "%s, but item %d overlaps this one by %s: a crossfade's fade_in must equal the overlap or be omitted", fmtDur(it.FadeIn), i, fmtDur(overlap))
		}
	}
	// The fades, crossfades included, must fit in each item.
	for i, it := range tl.Items {
		in, out := it.FadeIn, it.FadeOut
		if i > 0 && tl.Items[i-1].End > it.Start {
			in = tl.Items[i-1].End - it.Start
		}
		if i+1 < len(tl.Items) && it.End > tl.Items[i+1].Start {
			out = it.End - tl.Items[i+1].Start
		}
		if d := it.End - it.Start; in+out > d {
			return itemErr(i, it, "", "fade in %s plus fade out %s (crossfades included) is longer than the item's %s", fmtDur(in), fmtDur(out), fmtDur(d))
		}
	}
	return nil
}

func validateItem(i int, it Item) error {
	if strings.TrimSpace(it.Track) == "" {
		return itemErr(i, it, "track", "missing: give a library track id or a file path")
	}
	for _, f := range []struct {
		name string
		d    time.Duration
	}{{"start", it.Start}, {"end", it.End}, {"offset", it.Offset}, {"fade_in", it.FadeIn}, {"fade_out", it.FadeOut}} {
		if f.d < 0 {
			return itemErr(i, it, f.name, "negative duration %s", fmtDur(f.d))
		}
	}
	if it.End <= it.Start {
		return itemErr(i, it, "end", "%s is not after start %s", fmtDur(it.End), fmtDur(it.Start))
	}
	d := it.End - it.Start
	if it.FadeIn > d {
		return itemErr(i, it, "fade_in", "%s is longer than the item's %s", fmtDur(it.FadeIn), fmtDur(d))
	}
	if it.FadeOut > d {
		return itemErr(i, it, "fade_out", "%s is longer than the item's %s", fmtDur(it.FadeOut), fmtDur(d))
	}
	if math.IsNaN(it.GainDB) || it.GainDB < MinGainDB || it.GainDB > MaxGainDB {
		return itemErr(i, it, "gain_db", "%v dB is outside %v…%v dB", it.GainDB, MinGainDB, MaxGainDB)
	}
	return nil
}

// fmtDur prints a duration the way the JSON file spells it.
func fmtDur(d time.Duration) string { return d.String() }
