package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"attune/media/sandbox"
	"attune/media/store"
	"attune/player"
	"attune/player/output"
	"attune/player/timeline"
	"attune/playlists"
)

type renderOptions struct {
	timeline, out             *string
	playlist, profile, events *string
	json                      *bool
}

func renderCommand() *command {
	return &command{
		name:    "render",
		summary: "play a timeline, or rehearse a whole session, offline at full speed into a WAV file",
		usage:   "--timeline FILE.json --out FILE.wav | --playlist NAME [--profile P] [--events FILE.json] --out FILE.wav",
		flags: func(fs *flag.FlagSet) any {
			return renderOptions{
				timeline: fs.String("timeline", "", "the timeline to play (JSON, see docs/timeline.md)"),
				out:      fs.String("out", "", "the WAV file to write"),
				playlist: fs.String("playlist", "", "rehearse a session of this stored playlist, from the dose (sample 0) to the end of observation, in the first room"),
				profile:  fs.String("profile", "", "with --playlist: the route profile (default: the playlist's own, else "+playlists.DefaultProfile+")"),
				events:   fs.String("events", "", "with --playlist: the scripted live events (JSON, see docs/sessions.md)"),
				json:     fs.Bool("json", false, "print the render report as JSON"),
			}
		},
		run: runRender,
	}
}

func runRender(ctx context.Context, e *env, opts any, args []string) int {
	o := opts.(renderOptions)
	if (*o.timeline == "") == (*o.playlist == "") || *o.out == "" || len(args) > 0 ||
		*o.timeline != "" && (*o.profile != "" || *o.events != "") {
		fmt.Fprintln(e.stderr, "attune render: give either --timeline FILE.json or --playlist NAME [--profile P] [--events FILE.json], and --out FILE.wav (and nothing else)")
		return exitUsage
	}
	if *o.playlist != "" {
		return runRenderSession(ctx, e, o)
	}
	tl, code := readTimeline(e, "render", *o.timeline)
	if code != exitOK {
		return code
	}
	warnDecoders(e)
	return withStoreAndProbers(ctx, e, func(st *store.Store, pool *sandbox.Pool) int {
		opener := &libraryOpener{tracks: st, prober: pool, base: filepath.Dir(*o.timeline),
			target: e.cfg.Config.Audio.LoudnessTarget, ceiling: e.cfg.Config.Audio.Ceiling}
		return renderTo(ctx, e, tl, opener, *o.out, *o.json)
	})
}

// readTimeline reads a timeline file for a command; an invalid one is a
// usage error.
func readTimeline(e *env, cmd, path string) (timeline.Timeline, int) {
	tl, err := timeline.ReadFile(path)
	if err != nil {
		fmt.Fprintf(e.stderr, "attune %s: %v\n", cmd, err)
		if errors.Is(err, timeline.ErrInvalid) {
			return tl, exitUsage
		}
		return tl, exitFailure
	}
	return tl, exitOK
}

func renderTo(ctx context.Context, e *env, tl timeline.Timeline, opener timeline.Opener, out string, asJSON bool) int {
	rep, err := renderFile(ctx, e, tl, opener, out)
	if err != nil {
		fmt.Fprintf(e.stderr, "attune render: %v\n", err)
		if ctx.Err() != nil {
			return exitInterrupt
		}
		return exitFailure
	}
	if asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(withGains(opener, tl, rep)); err != nil {
			return exitFailure
		}
	} else {
		printReport(e.stdout, rep)
	}
	for _, it := range rep.Items {
		if it.Error != "" {
			return exitFailure
		}
	}
	return exitOK
}

// renderFile plays tl through the room's own graph — sequencer, master
// gain, limiter — offline, into a WAV at path (through a temporary file, so a
// failed or interrupted render never leaves a half file under that name).
func renderFile(ctx context.Context, e *env, tl timeline.Timeline, opener timeline.Opener, path string) (timeline.Report, error) {
	rate := e.cfg.Config.Audio.SampleRate
	places, err := tl.Place(rate)
	if err != nil {
		return timeline.Report{}, err
	}
	var end int64
	for _, p := range places {
		end = max(end, p.End)
	}
	res, err := renderWAV(ctx, e, renderSetup{
		ceilingDB: e.cfg.Config.Audio.Ceiling, opener: opener, frames: end,
		cues: []player.Cue{
			{At: 0, Cmd: player.Command{Op: player.OpLoad, Timeline: tl}},
			{At: 0, Cmd: player.Command{Op: player.OpPlay}},
		},
	}, path)
	return buildReport(rate, places, res.events, res.win), err
}

// renderSetup is what renderWAV plays: cues on the timeline's clock, through
// an engine at the room's ceiling and volume, for frames samples of output.
type renderSetup struct {
	ceilingDB, volumeDB float64
	opener              timeline.Opener
	cues                []player.Cue
	frames              int64
}

// renderResult is what the engine did: its events other than positions, in
// order, and what was written.
type renderResult struct {
	events []player.Event
	win    *window
}

// renderWAV runs the room's graph offline on s's cues into a WAV at path
// (through a temporary file, renamed into place only when all went well).
// The file's sample 0 is the timeline's clock 0.
func renderWAV(ctx context.Context, e *env, s renderSetup, path string) (renderResult, error) {
	audio := e.cfg.Config.Audio
	rate := audio.SampleRate
	res := renderResult{win: &window{n: s.frames}}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".render-*.wav")
	if err != nil {
		return res, fmt.Errorf("create the output: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	wav, err := output.NewWAV(tmp, rate)
	if err != nil {
		return res, err
	}
	res.win.sink = wav
	events := make(chan player.Event, 1<<12)
	eng, err := player.New(player.Config{
		Rate: rate, PauseFade: audio.PauseFade, SkipFade: audio.SkipFade, MaxSlew: audio.MaxSlew,
		CeilingDB: s.ceilingDB, VolumeDB: s.volumeDB, Opener: s.opener, Events: events,
		Sinks: []player.SinkConfig{{Name: "file", Sink: res.win}},
	})
	if err != nil {
		return res, err
	}
	// Render sends events on its own goroutine without blocking; this one
	// keeps them all (but the once-a-second positions) however long the
	// render, and ends when Render has returned and the channel is closed.
	collected := make(chan []player.Event, 1)
	go func() {
		var evs []player.Event
		for ev := range events {
			if ev.Kind != player.EventPosition {
				evs = append(evs, ev)
			}
		}
		collected <- evs
	}()
	// The output lags the timeline by the limiter's lookahead: render that
	// much longer and drop as much from the front, so the file's samples are
	// the timeline's.
	res.win.skip = int64(eng.Latency())
	length := time.Duration(s.frames+res.win.skip) * time.Second / time.Duration(rate)
	err = eng.Render(ctx, length+time.Second/time.Duration(rate), s.cues)
	close(events)
	res.events = <-collected
	if err == nil && eng.Dropped() > 0 {
		err = fmt.Errorf("the render lost %d engine events", eng.Dropped())
	}
	if err != nil {
		return res, err
	}
	if err := tmp.Close(); err != nil {
		return res, fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return res, fmt.Errorf("write %s: %w", path, err)
	}
	return res, nil
}

// window passes samples skip to skip+n of what it is given to sink, and
// measures their peak.
type window struct {
	sink    player.Sink
	skip, n int64
	seen    int64
	peak    float64
	clipped int64
	frames  int64
}

func (w *window) Write(block [][2]float64) error {
	from := min(max(w.skip-w.seen, 0), int64(len(block)))
	to := min(max(w.skip+w.n-w.seen, 0), int64(len(block)))
	w.seen += int64(len(block))
	if from >= to {
		return nil
	}
	part := block[from:to]
	for _, s := range part {
		for _, v := range s {
			a := math.Abs(v)
			w.peak = max(w.peak, a)
			if a > 1 {
				w.clipped++
			}
		}
	}
	w.frames += int64(len(part))
	return w.sink.Write(part)
}

func (w *window) Paced() bool  { return false }
func (w *window) Close() error { return w.sink.Close() }

// buildReport says, per item, what was planned and what the engine did.
func buildReport(rate int, places []timeline.Placement, events []player.Event, win *window) timeline.Report {
	rep := timeline.Report{Rate: rate, Frames: win.frames, Peak: win.peak, Clipped: win.clipped}
	for _, p := range places {
		rep.Items = append(rep.Items, timeline.ItemReport{
			Index: p.Index, Track: p.Item.Track, Phase: p.Item.Phase, Start: p.Start, End: p.End,
			StartedAt: -1, StoppedAt: -1, GainDB: p.Item.GainDB,
			FadeIn: p.FadeIn, FadeInCurve: p.FadeInCurve, FadeOut: p.FadeOut, FadeOutCurve: p.FadeOutCurve,
		})
	}
	sample := func(d time.Duration) int64 { return timeline.Samples(d, rate) }
	for _, ev := range events {
		if ev.Item < 0 || ev.Item >= len(rep.Items) {
			continue
		}
		it := &rep.Items[ev.Item]
		switch ev.Kind {
		case player.EventItemStarted:
			it.StartedAt = sample(ev.Position)
		case player.EventItemEnded:
			it.StoppedAt = sample(ev.Position)
		case player.EventItemFailed, player.EventUnderrun:
			if it.StartedAt >= 0 {
				it.StoppedAt = sample(ev.Position)
			}
			if ev.Err != nil && it.Error == "" {
				it.Error = ev.Err.Error()
			}
		default:
			continue
		}
		if ev.ItemEvent != 0 {
			it.Events = append(it.Events, ev.ItemEvent)
		}
	}
	return rep
}

func printReport(w io.Writer, rep timeline.Report) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tTRACK\tSTART\tEND\tGAIN\tFADE IN\tFADE OUT\tRESULT")
	at := func(s int64) string {
		if s < 0 {
			return "-"
		}
		return (time.Duration(s) * time.Second / time.Duration(rep.Rate)).Round(time.Millisecond).String()
	}
	for _, it := range rep.Items {
		result := "ok"
		if it.Error != "" {
			result = it.Error
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%+.1f dB\t%s\t%s\t%s\n", it.Index, it.Track, at(it.StartedAt), at(it.StoppedAt),
			it.GainDB, at(it.FadeIn), at(it.FadeOut), result)
	}
	tw.Flush()
	fmt.Fprintf(w, "%s of audio at %d Hz, peak %.1f dBFS\n", at(rep.Frames), rep.Rate, rep.PeakDBFS())
}

// startProbers starts the sandboxed probe workers.
func startProbers(ctx context.Context, e *env) (*sandbox.Pool, int) {
	c := e.cfg.Config
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintf(e.stderr, "attune: find my own executable to run the probe worker: %v\n", err)
		return nil, exitFailure
	}
	pool, err := sandbox.New(ctx, sandbox.Config{
		Command:     []string{exe, probeWorkerName},
		Workers:     c.Library.Workers,
		Timeout:     c.Library.ProbeTimeout,
		MemoryLimit: sandbox.DefaultMemoryLimit,
	})
	if err != nil {
		fmt.Fprintf(e.stderr, "attune: start the probe workers: %v\n", err)
		return nil, exitFailure
	}
	return pool, exitOK
}
