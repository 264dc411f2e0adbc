package playlists

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// checkItems asserts the rules of the engine's timeline
// (player/timeline.Validate), so that a plan converts 1:1 into a valid
// timeline, plus what the planner promises on top: offsets inside the
// track, soundscapes only where the fill is one.
func checkItems(tb testing.TB, tracks Tracks, items []Item) {
	tb.Helper()
	for i, it := range items {
		if it.Start < 0 || it.Offset < 0 || it.FadeIn < 0 || it.FadeOut < 0 {
			tb.Fatalf("item %d %+v: negative time", i, it)
		}
		if it.End <= it.Start {
			tb.Fatalf("item %d %+v: end not after start", i, it)
		}
		if it.Soundscape() {
			if !it.Fill.Soundscape() || it.Entry != -1 {
				tb.Fatalf("item %d %+v: no track, and not a soundscape", i, it)
			}
		} else {
			ti, ok := tracks.TrackInfo(it.Track)
			if !ok {
				tb.Fatalf("item %d: unknown track %q", i, it.Track)
			}
			if it.Offset+(it.End-it.Start) > ti.Duration {
				tb.Fatalf("item %d %+v: plays past the track's end (%s)", i, it, ti.Duration)
			}
		}
		in, out := it.FadeIn, it.FadeOut
		if i > 0 {
			p := items[i-1]
			if it.Start <= p.Start {
				tb.Fatalf("item %d starts at %s, not after item %d's %s", i, it.Start, i-1, p.Start)
			}
			if it.End <= p.End && it.Start < p.End {
				tb.Fatalf("item %d (%s–%s) lies inside item %d (%s–%s)", i, it.Start, it.End, i-1, p.Start, p.End)
			}
			if ov := p.End - it.Start; ov > 0 {
				if p.FadeOut != ov || it.FadeIn != ov {
					tb.Fatalf("items %d,%d overlap %s, fades out %s / in %s: want equal", i-1, i, ov, p.FadeOut, it.FadeIn)
				}
				in = ov
			}
		}
		if i >= 2 && it.Start < items[i-2].End {
			tb.Fatalf("item %d starts at %s before item %d ends at %s: three items sound at once", i, it.Start, i-2, items[i-2].End)
		}
		if in+out > it.End-it.Start {
			tb.Fatalf("item %d %+v: fades %s+%s longer than the item", i, it, in, out)
		}
	}
}

// clock prints d as h:mm:ss.s, the way the golden files read.
func clock(d time.Duration) string {
	neg := ""
	if d < 0 {
		neg, d = "-", -d
	}
	d = d.Round(100 * time.Millisecond)
	h := d / time.Hour
	m := (d % time.Hour) / time.Minute
	s := float64(d%time.Minute) / float64(time.Second)
	return fmt.Sprintf("%s%d:%02d:%04.1f", neg, h, m, s)
}

// formatPlan prints a plan for a golden file: each phase, then its items.
func formatPlan(p Plan) string {
	var b strings.Builder
	for _, ph := range p.Phases {
		fmt.Fprintf(&b, "phase %-11s %s–%s  fit %+.1fs", ph.Role, clock(ph.Start), clock(ph.End), ph.FitError.Seconds())
		if len(ph.Missed) > 0 {
			fmt.Fprintf(&b, "  missed %s", strings.Join(ph.Missed, ","))
		}
		b.WriteString("\n")
		for _, it := range p.Items {
			if it.Phase != ph.Role {
				continue
			}
			b.WriteString("  " + formatItem(it) + "\n")
		}
	}
	return b.String()
}

func formatItem(it Item) string {
	what := fmt.Sprintf("#%d %s", it.Entry+1, it.Track)
	if it.Soundscape() {
		what = "~" + string(it.Fill)
	}
	return fmt.Sprintf("%s–%s  %-14s off %-5s in %-4s out %-4s %+.1f dB",
		clock(it.Start), clock(it.End), what, it.Offset, it.FadeIn, it.FadeOut, it.GainDB)
}
