package timeline

import (
	"context"
	"fmt"
	"io"
	"math"

	"attune/player/output"
)

// A WAV's RIFF size field is 32 bits: it holds at most this many 24-bit
// stereo frames after its 44-byte header.
const wavMaxFrames = (math.MaxUint32 - 44) / 6

// renderBlock is the block Render streams: ~85 ms at 48 kHz, well under
// the read-ahead margin, so failure fades last the full FailFade.
const renderBlock = 4096

// Report is what Render did.
type Report struct {
	Rate    int          `json:"rate"`
	Frames  int64        `json:"frames"`  // samples written per channel
	Peak    float64      `json:"peak"`    // highest |sample| before clamping, linear (1 = full scale)
	Clipped int64        `json:"clipped"` // samples clamped at full scale
	Items   []ItemReport `json:"items"`
}

// ItemReport is one item in a Report. Sample positions are timeline
// samples at Report.Rate.
type ItemReport struct {
	Index        int         `json:"index"`
	Track        string      `json:"track"`
	Phase        string      `json:"phase,omitempty"`
	Start        int64       `json:"start"`      // planned first sample
	End          int64       `json:"end"`        // planned end (exclusive)
	StartedAt    int64       `json:"started_at"` // actual first sample; -1 if it never sounded
	StoppedAt    int64       `json:"stopped_at"` // where it ended, failed or ran out; -1 if it never sounded
	GainDB       float64     `json:"gain_db"`
	FadeIn       int64       `json:"fade_in"` // samples
	FadeInCurve  Curve       `json:"fade_in_curve"`
	FadeOut      int64       `json:"fade_out"` // samples
	FadeOutCurve Curve       `json:"fade_out_curve"`
	Events       []EventKind `json:"events,omitempty"` // everything that happened to it, in order
	Error        string      `json:"error,omitempty"`
}

// Render plays tl through a Sequencer alone — no master gain, no limiter:
// for the room's whole graph use player.Engine.Render, as `attune render`
// does — at full CPU speed, and writes the
// whole stream, from timeline sample 0 to the last item's End, to w as a
// 24-bit stereo PCM WAV at rate Hz. Samples beyond full scale are clamped
// and counted (Render runs the sequencer alone; the master gain and limiter
// are the engine's). A failing item does not fail the render: it is faded
// and reported in its ItemReport. If ctx is cancelled Render stops, leaves
// a valid WAV of what it wrote, and returns ctx's error.
func Render(ctx context.Context, tl Timeline, opener Opener, rate int, w io.WriteSeeker) (Report, error) {
	events := make(chan Event, 64)
	seq, err := NewSequencer(tl, Config{Rate: rate, Opener: opener, Events: events})
	if err != nil {
		return Report{}, err // already says "timeline: ..."
	}
	defer seq.Close()

	ps := seq.Placements()
	rep := Report{Rate: rate, Items: make([]ItemReport, len(ps))}
	for i, p := range ps {
		rep.Items[i] = ItemReport{
			Index: i, Track: p.Item.Track, Phase: p.Item.Phase,
			Start: p.Start, End: p.End, StartedAt: -1, StoppedAt: -1,
			GainDB: p.Item.GainDB,
			FadeIn: p.FadeIn, FadeInCurve: p.FadeInCurve,
			FadeOut: p.FadeOut, FadeOutCurve: p.FadeOutCurve,
		}
	}
	drain := func() {
		for {
			select {
			case ev := <-events:
				rep.Items[ev.Item].record(ev)
			default:
				return
			}
		}
	}

	if seq.Len() > wavMaxFrames {
		return rep, fmt.Errorf("timeline: render: %d samples do not fit in a WAV file (at most %d)", seq.Len(), int64(wavMaxFrames))
	}
	ww, err := output.NewWAV(w, rate)
	if err != nil {
		return rep, fmt.Errorf("timeline: render: %w", err)
	}
	buf := make([][2]float64, renderBlock)
	var runErr error
	for {
		if err := ctx.Err(); err != nil {
			runErr = fmt.Errorf("timeline: render stopped after %d samples: %w", rep.Frames, err)
			break
		}
		_ = seq.Prepare(ctx) // its only error is ctx's, checked above and on the next block
		n, ok := seq.Stream(buf)
		drain()
		if !ok {
			break
		}
		for _, s := range buf[:n] {
			for _, v := range s {
				a := math.Abs(v)
				rep.Peak = max(rep.Peak, a)
				if a > 1 {
					rep.Clipped++
				}
			}
		}
		if err := ww.Write(buf[:n]); err != nil {
			runErr = fmt.Errorf("timeline: render: %w", err)
			break
		}
		rep.Frames += int64(n)
	}
	drain()
	if err := ww.Close(); err != nil && runErr == nil {
		runErr = fmt.Errorf("timeline: render: %w", err)
	}
	if d := seq.Dropped(); d > 0 && runErr == nil {
		runErr = fmt.Errorf("timeline: render: %d events dropped; the report is incomplete", d)
	}
	return rep, runErr
}

// PeakDBFS is Peak in dBFS (−Inf for silence).
func (r Report) PeakDBFS() float64 { return 20 * math.Log10(r.Peak) }

func (r *ItemReport) record(ev Event) {
	r.Events = append(r.Events, ev.Kind)
	switch ev.Kind {
	case ItemStarted:
		r.StartedAt = ev.Sample
	case ItemEnded, SourceFailed, EndedEarly:
		r.StoppedAt = ev.Sample
	}
	if ev.Err != nil && r.Error == "" {
		r.Error = ev.Err.Error()
	}
}
