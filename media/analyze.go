package media

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// MeasureFunc measures the loudness of the file at path, whose probed stream
// is s. cmd/attune wires media/loudness.MeasureFile in (that package imports
// this one, so this one cannot import it). It returns ctx's error when ctx
// ends.
type MeasureFunc func(ctx context.Context, path string, s Stream) (Loudness, error)

// LoudnessStore records analysis results. media/store implements it.
type LoudnessStore interface {
	// PutLoudness records a track's new analysis and clears its error.
	PutLoudness(ctx context.Context, id string, l Loudness) error
	// PutLoudnessError records why a track's analysis failed, keeping its
	// previous result.
	PutLoudnessError(ctx context.Context, id, msg string) error
}

// AnalysisEvent reports progress: one event each time a file is finished.
type AnalysisEvent struct {
	Done    int    `json:"done"`  // files finished so far, this one included
	Total   int    `json:"total"` // files this run analyses
	TrackID string `json:"id"`
	Path    string `json:"path"`
	// Loudness is the new result; nil when the file failed (Error says why).
	Loudness *Loudness `json:"-"`
	Error    string    `json:"error,omitempty"`
}

// AnalysisSummary counts what a run did.
type AnalysisSummary struct {
	Analyzed int // measured and recorded
	Failed   int // could not be measured; the error is recorded
}

// Analyzer measures tracks' loudness on a bounded pool of workers and
// records the results in a LoudnessStore, by content id, so they survive
// restarts and renames.
type Analyzer struct {
	store   LoudnessStore
	measure MeasureFunc
	workers int
	now     func() time.Time
}

// NewAnalyzer returns an analyzer that measures with measure, workers files
// at a time (at least one), and records in store.
func NewAnalyzer(store LoudnessStore, measure MeasureFunc, workers int) *Analyzer {
	return &Analyzer{store: store, measure: measure, workers: max(workers, 1), now: time.Now}
}

// Analyze measures tracks, each worker one file at a time, and records every
// outcome: a result (stamped with the time and AnalyzerVersion), or the error
// of a file that could not be measured, which keeps its previous result. A
// track without a file fails. After each file, an event goes to events
// unless it is nil; sends block (while ctx lasts), so the caller must drain
// the channel, which Analyze never closes. Analyze returns when every worker
// has stopped: early, with the error, if the store fails or ctx ends.
func (a *Analyzer) Analyze(parent context.Context, tracks []Track, events chan<- AnalysisEvent) (AnalysisSummary, error) {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	type outcome struct {
		ev  AnalysisEvent
		err error // not the file's fault: stops the run
	}
	jobs := make(chan Track)
	out := make(chan outcome)
	var wg sync.WaitGroup
	for range min(a.workers, max(len(tracks), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range jobs {
				ev, err := a.analyzeOne(ctx, t)
				select {
				case out <- outcome{ev, err}:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() {
		defer close(jobs)
		for _, t := range tracks {
			select {
			case jobs <- t:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() {
		wg.Wait()
		close(out)
	}()

	var sum AnalysisSummary
	var firstErr error
	for o := range out {
		if o.err != nil {
			if firstErr == nil {
				firstErr = o.err
			}
			cancel()
			continue
		}
		if o.ev.Error != "" {
			sum.Failed++
		} else {
			sum.Analyzed++
		}
		o.ev.Done, o.ev.Total = sum.Analyzed+sum.Failed, len(tracks)
		if events != nil {
			select {
			case events <- o.ev:
			case <-ctx.Done():
			}
		}
	}
	if err := parent.Err(); err != nil {
		return sum, err
	}
	return sum, firstErr
}

// analyzeOne measures one track and records the outcome. The returned error
// is one that is not the file's fault: the context ending or the store
// failing.
func (a *Analyzer) analyzeOne(ctx context.Context, t Track) (AnalysisEvent, error) {
	ev := AnalysisEvent{TrackID: t.ID, Path: t.Path}
	var l Loudness
	var err error
	if t.Path == "" {
		err = errors.New("the track has no file in the library")
	} else {
		l, err = a.safeMeasure(ctx, t)
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ev, ctxErr
	}
	if err != nil {
		ev.Error = err.Error()
		if serr := a.store.PutLoudnessError(ctx, t.ID, ev.Error); serr != nil {
			return ev, fmt.Errorf("record the failed analysis of %s: %w", t.ID, serr)
		}
		return ev, nil
	}
	l.AnalyzedAt, l.Version = a.now().UTC(), AnalyzerVersion
	if err := a.store.PutLoudness(ctx, t.ID, l); err != nil {
		return ev, fmt.Errorf("record the analysis of %s: %w", t.ID, err)
	}
	ev.Loudness = &l
	return ev, nil
}

// safeMeasure runs the measurement, turning a decoder's panic on a hostile
// file into that file's error.
func (a *Analyzer) safeMeasure(ctx context.Context, t Track) (l Loudness, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("measure loudness of %s: decoder panic: %v", t.Path, r)
		}
	}()
	return a.measure(ctx, t.Path, t.Info.Stream)
}
