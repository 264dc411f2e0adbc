package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/schollz/progressbar/v3"

	"attune/media"
	"attune/media/loudness"
	"attune/media/store"
)

type analyzeOptions struct {
	all, json *bool
}

func libraryAnalyzeCommand() *command {
	return &command{
		name:    "analyze",
		summary: "measure the loudness (EBU R 128) of tracks not yet analysed",
		flags: func(fs *flag.FlagSet) any {
			return analyzeOptions{
				all:  fs.Bool("all", false, "analyse every track again, not only those without a current result"),
				json: fs.Bool("json", false, "print one JSON object per track"),
			}
		},
		run: func(ctx context.Context, e *env, opts any, args []string) int {
			o := opts.(analyzeOptions)
			if len(args) > 0 {
				fmt.Fprintln(e.stderr, "attune library analyze: takes no arguments (it analyses the library)")
				return exitUsage
			}
			st, code := openStore(ctx, e)
			if st == nil {
				return code
			}
			defer st.Close()
			tracks, err := st.TracksToAnalyze(ctx, *o.all)
			if err != nil {
				fmt.Fprintf(e.stderr, "attune library analyze: %v\n", err)
				return exitFailure
			}
			return finishAnalysis(ctx, e, analyze(ctx, e, st, tracks, *o.json))
		},
	}
}

// analysisOutcome is what a run of the analyser did.
type analysisOutcome struct {
	sum media.AnalysisSummary
	err error
}

// finishAnalysis picks the exit status of an analysis: 1 if a file failed.
func finishAnalysis(ctx context.Context, e *env, o analysisOutcome) int {
	switch {
	case ctx.Err() != nil:
		fmt.Fprintln(e.stderr, "attune: interrupted; tracks not yet analysed keep their previous result")
		return exitInterrupt
	case o.err != nil:
		fmt.Fprintf(e.stderr, "attune: %v\n", o.err)
		return exitFailure
	case o.sum.Failed > 0:
		return exitFailure
	}
	return exitOK
}

// measureLoudness measures a library file with media/loudness, for the
// media.Analyzer (media cannot import media/loudness, which imports it).
func measureLoudness(ctx context.Context, path string, s media.Stream) (media.Loudness, error) {
	r, err := loudness.MeasureFile(ctx, path, s)
	if err != nil {
		return media.Loudness{}, err
	}
	return media.Loudness{
		Integrated: r.Integrated, Range: r.Range, SamplePeak: r.SamplePeak, TruePeak: r.TruePeak, Silent: r.Silent,
	}, nil
}

// analyze measures tracks on library.workers workers, showing progress on
// stderr (and with asJSON one object per track on stdout), and prints a
// summary.
func analyze(ctx context.Context, e *env, st *store.Store, tracks []media.Track, asJSON bool) analysisOutcome {
	p := newAnalysisProgress(e.stdout, e.stderr, asJSON, e.terminal, len(tracks))
	if len(tracks) == 0 {
		fmt.Fprintln(e.stderr, "analyze: every track has a current loudness analysis")
		return analysisOutcome{}
	}
	a := media.NewAnalyzer(st, measureLoudness, e.cfg.Config.Library.Workers)
	events := make(chan media.AnalysisEvent, 16)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range events {
			p.event(ev)
		}
	}()
	sum, err := a.Analyze(ctx, tracks, events)
	close(events)
	<-done
	p.finish(sum)
	return analysisOutcome{sum, err}
}

// analysisProgress shows an analysis as it goes: a progress bar on a
// terminal, a line every few seconds elsewhere, each failure on its own line
// (`path: reason`). Only its owner's goroutine calls it.
type analysisProgress struct {
	msg     io.Writer
	enc     *json.Encoder // nil without --json
	bar     *progressbar.ProgressBar
	total   int
	started time.Time
	last    time.Time
	every   time.Duration
}

func newAnalysisProgress(out, msg io.Writer, asJSON, terminal bool, total int) *analysisProgress {
	p := &analysisProgress{msg: msg, total: total, started: time.Now(), last: time.Now(), every: 2 * time.Second}
	if asJSON {
		p.enc = json.NewEncoder(out)
	}
	switch {
	case total == 0:
	case terminal:
		p.bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(msg),
			progressbar.OptionSetDescription("analyze"),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("tracks"),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionFullWidth(),
		)
	default:
		fmt.Fprintf(msg, "analyze: %d tracks to measure\n", total)
	}
	return p
}

// analysisView is one track's analysis as `library analyze --json` prints it.
type analysisView struct {
	ID       string        `json:"id"`
	Path     string        `json:"path"`
	Loudness *loudnessView `json:"loudness,omitempty"`
	Error    string        `json:"error,omitempty"`
}

func (p *analysisProgress) event(ev media.AnalysisEvent) {
	if p.enc != nil {
		_ = p.enc.Encode(analysisView{ID: ev.TrackID, Path: ev.Path, Loudness: viewLoudness(ev.Loudness), Error: ev.Error})
	}
	if ev.Error != "" {
		if p.bar != nil {
			_ = p.bar.Clear()
		}
		fmt.Fprintf(p.msg, "%s: %s\n", ev.Path, ev.Error)
	}
	if p.bar != nil {
		_ = p.bar.Set(ev.Done)
		return
	}
	if now := time.Now(); now.Sub(p.last) >= p.every && ev.Done < ev.Total {
		p.last = now
		fmt.Fprintf(p.msg, "analyze: %d/%d tracks, now %s\n", ev.Done, ev.Total, ev.Path)
	}
}

func (p *analysisProgress) finish(sum media.AnalysisSummary) {
	if p.bar != nil {
		_ = p.bar.Finish()
		_ = p.bar.Clear()
	}
	if p.total > 0 {
		fmt.Fprintf(p.msg, "analyze: %d analysed, %d failed in %s\n", sum.Analyzed, sum.Failed,
			time.Since(p.started).Round(time.Millisecond))
	}
}

// loudnessView is a loudness analysis in JSON: levels that are −Inf (a
// silent track's loudness, digital silence's peaks) are null.
type loudnessView struct {
	Integrated *float64  `json:"integrated_lufs"`
	Range      float64   `json:"range_lu"`
	SamplePeak *float64  `json:"sample_peak_dbfs"`
	TruePeak   *float64  `json:"true_peak_dbtp"`
	Silent     bool      `json:"silent"`
	AnalyzedAt time.Time `json:"analyzed_at"`
	Version    int       `json:"version"`
}

func viewLoudness(l *media.Loudness) *loudnessView {
	if l == nil {
		return nil
	}
	level := func(v float64) *float64 {
		if math.IsInf(v, 0) || math.IsNaN(v) {
			return nil
		}
		return &v
	}
	return &loudnessView{Integrated: level(l.Integrated), Range: l.Range, SamplePeak: level(l.SamplePeak),
		TruePeak: level(l.TruePeak), Silent: l.Silent, AnalyzedAt: l.AnalyzedAt, Version: l.Version}
}

// describeLoudness is a track's loudness as `library list` prints it.
func describeLoudness(t media.Track) string {
	l := t.Loudness
	s := "-"
	switch {
	case l == nil:
	case l.Silent:
		s = "silent"
	default:
		s = fmt.Sprintf("%.1f", l.Integrated)
	}
	if l != nil && !l.Current() {
		s += " (stale)"
	}
	if t.LoudnessError != "" {
		s += " (failed)"
	}
	return s
}
