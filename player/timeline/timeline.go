// Package timeline is what the engine plays: a list of tracks placed on the
// drug clock (the Timeline and its JSON file format, docs/timeline.md), and
// the Sequencer that turns one into a single continuous stream with every
// item mixed in on exactly its sample, plus Render, which does the same
// offline into a WAV file.
package timeline

import (
	"fmt"
	"math"
	"time"
)

// Item is one track placed on the timeline. Times are on the timeline's
// clock (the drug clock: zero is the dose). The item sounds from Start to
// End; Offset is where in the track it begins.
//
// When item i's End is after item i+1's Start the two overlap and the
// overlap is a crossfade: item i fades out and item i+1 fades in over
// exactly the overlap, on equal-power curves. When End equals the next
// Start the two play gaplessly (sample-contiguous, no fade unless one is
// asked for). A gap between items is silence.
type Item struct {
	Track   string        // library track id or a file path; the Opener resolves it
	Start   time.Duration // first instant the item sounds
	End     time.Duration // the item is silent from here on
	Offset  time.Duration // where in the track to begin; 0 is its start
	FadeIn  time.Duration // fade in from silence, or the crossfade length (must then equal the overlap, or be 0)
	FadeOut time.Duration // fade out to silence, or the crossfade length (must then equal the overlap, or be 0)
	GainDB  float64       // track gain plus the phase's level offset, applied by the sequencer
	Phase   string        // label only (arrival, settling, journey, return, integration, ...)
}

// Timeline is what the engine plays: items in order of start, at most two
// sounding at any instant.
type Timeline struct {
	Items []Item
}

// Curve is the shape of a fade.
type Curve uint8

// Fade curves.
//
// Crossfades use equal-power quarter-sine curves (in = sin(πx/2), out =
// cos(πx/2)): two different tracks are uncorrelated, so their powers add,
// and in²+out² = 1 keeps the loudness constant through the transition;
// a linear crossfade dips by 3 dB in the middle, which is audible as a hole.
//
// Fades to or from silence use a raised-cosine S-curve (½ ∓ ½cos(πx)),
// whose slope is zero at both ends: the level leaves silence and arrives at
// full level without a corner, the gentlest shape for sound safety.
const (
	CurveNone       Curve = iota // no fade
	CurveSCurve                  // raised cosine, to or from silence
	CurveEqualPower              // quarter sine/cosine, one half of a crossfade
)

// String names the curve as the report prints it.
func (c Curve) String() string {
	switch c {
	case CurveNone:
		return "none"
	case CurveSCurve:
		return "s-curve"
	case CurveEqualPower:
		return "equal-power"
	}
	return fmt.Sprintf("Curve(%d)", uint8(c))
}

// MarshalText makes curves readable in JSON reports.
func (c Curve) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText reads a curve's name back, so reports round-trip.
func (c *Curve) UnmarshalText(b []byte) error {
	for _, k := range []Curve{CurveNone, CurveSCurve, CurveEqualPower} {
		if k.String() == string(b) {
			*c = k
			return nil
		}
	}
	return fmt.Errorf("unknown fade curve %q", b)
}

// fadeIn returns the fade-in gain of curve c at x in [0, 1].
func (c Curve) fadeIn(x float64) float64 {
	switch c {
	case CurveSCurve:
		return 0.5 - 0.5*math.Cos(math.Pi*x)
	case CurveEqualPower:
		return math.Sin(0.5 * math.Pi * x)
	}
	return 1
}

// fadeOut returns the fade-out gain of curve c at x in [0, 1]; it mirrors
// fadeIn, so a crossfade's two halves at the same x are complementary.
func (c Curve) fadeOut(x float64) float64 {
	switch c {
	case CurveSCurve:
		return 0.5 + 0.5*math.Cos(math.Pi*x)
	case CurveEqualPower:
		return math.Cos(0.5 * math.Pi * x)
	}
	return 1
}

// Placement is an item converted to sample counts at the engine rate: what
// the sequencer actually plays.
//
// Every time is rounded to the nearest sample (halves away from zero) on
// its own, so equal times give equal samples: an End equal to the next
// Start stays gapless at any rate. A crossfade's length is the difference
// of the rounded End and Start, so both halves are the same length; a lone
// fade is its own duration rounded (shortened by one sample if rounding
// would make the two fades overlap).
type Placement struct {
	Index        int   // position in Timeline.Items
	Item         Item  // the item as written
	Start, End   int64 // timeline samples; the item sounds on [Start, End)
	Offset       int64 // first track sample played
	FadeIn       int64 // samples of fade in from Start
	FadeOut      int64 // samples of fade out ending at End
	FadeInCurve  Curve
	FadeOutCurve Curve
	Gain         float64 // linear, from GainDB
}

// Len is the number of samples the item sounds for.
func (p Placement) Len() int64 { return p.End - p.Start }

// Samples converts d to a sample count at rate, rounded to the nearest
// sample, halves away from zero. It is exact for any duration a
// time.Duration can hold (no float rounding, no overflow).
func Samples(d time.Duration, rate int) int64 {
	neg := d < 0
	if neg {
		d = -d
	}
	sec := int64(d / time.Second)
	rem := int64(d % time.Second) // < 1e9, so rem*rate cannot overflow
	n := sec*int64(rate) + (rem*int64(rate)+int64(time.Second)/2)/int64(time.Second)
	if neg {
		return -n
	}
	return n
}

// Rate limits: what the engine rate may be.
const (
	MinRate = 8000
	MaxRate = 384000
)

// Place validates tl and converts it to sample positions at rate.
func (tl Timeline) Place(rate int) ([]Placement, error) {
	if rate < MinRate || rate > MaxRate {
		return nil, fmt.Errorf("timeline: sample rate %d Hz is outside %d–%d Hz", rate, MinRate, MaxRate)
	}
	if err := tl.Validate(); err != nil {
		return nil, err
	}
	ps := make([]Placement, len(tl.Items))
	for i, it := range tl.Items {
		ps[i] = Placement{
			Index:  i,
			Item:   it,
			Start:  Samples(it.Start, rate),
			End:    Samples(it.End, rate),
			Offset: Samples(it.Offset, rate),
			Gain:   math.Pow(10, it.GainDB/20),
		}
	}
	for i := range ps {
		p := &ps[i]
		if i > 0 && ps[i-1].End > p.Start { // crossfade in
			p.FadeIn, p.FadeInCurve = ps[i-1].End-p.Start, CurveEqualPower
		} else if p.Item.FadeIn > 0 {
			p.FadeIn, p.FadeInCurve = Samples(p.Item.FadeIn, rate), CurveSCurve
		}
		if i+1 < len(ps) && p.End > ps[i+1].Start { // crossfade out
			p.FadeOut, p.FadeOutCurve = p.End-ps[i+1].Start, CurveEqualPower
		} else if p.Item.FadeOut > 0 {
			p.FadeOut, p.FadeOutCurve = Samples(p.Item.FadeOut, rate), CurveSCurve
		}
		// Validate checked the durations; independent rounding can still
		// make the fades meet one sample too late. Trim a lone fade.
		if over := p.FadeIn + p.FadeOut - p.Len(); over > 0 {
			if p.FadeOutCurve == CurveSCurve {
				p.FadeOut -= over
			} else {
				p.FadeIn -= over
			}
		}
		if p.FadeIn == 0 {
			p.FadeInCurve = CurveNone
		}
		if p.FadeOut == 0 {
			p.FadeOutCurve = CurveNone
		}
	}
	return ps, nil
}
