package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"attune/media/sandbox"
	"attune/player/timeline"
)

type renderOptions struct {
	timeline, out *string
	json          *bool
}

func renderCommand() *command {
	return &command{
		name:    "render",
		summary: "play a timeline offline, at full speed, into a WAV file",
		usage:   "--timeline FILE.json --out FILE.wav",
		flags: func(fs *flag.FlagSet) any {
			return renderOptions{
				timeline: fs.String("timeline", "", "the timeline to play (JSON, see docs/timeline.md)"),
				out:      fs.String("out", "", "the WAV file to write"),
				json:     fs.Bool("json", false, "print the render report as JSON"),
			}
		},
		run: runRender,
	}
}

func runRender(ctx context.Context, e *env, opts any, args []string) int {
	o := opts.(renderOptions)
	if *o.timeline == "" || *o.out == "" || len(args) > 0 {
		fmt.Fprintln(e.stderr, "attune render: give --timeline FILE.json and --out FILE.wav (and nothing else)")
		return exitUsage
	}
	tl, err := timeline.ReadFile(*o.timeline)
	if err != nil {
		fmt.Fprintf(e.stderr, "attune render: %v\n", err)
		if errors.Is(err, timeline.ErrInvalid) {
			return exitUsage
		}
		return exitFailure
	}
	st, code := openStore(ctx, e)
	if st == nil {
		return code
	}
	defer st.Close()
	pool, code := startProbers(ctx, e)
	if pool == nil {
		return code
	}
	defer pool.Close()
	opener := &libraryOpener{tracks: st, prober: pool, base: filepath.Dir(*o.timeline)}

	rep, err := renderFile(ctx, e, tl, opener, *o.out)
	if err != nil {
		fmt.Fprintf(e.stderr, "attune render: %v\n", err)
		if ctx.Err() != nil {
			return exitInterrupt
		}
		return exitFailure
	}
	if *o.json {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
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

// renderFile writes the render to path through a temporary file, so a failed
// or interrupted render never leaves a half file under the asked name.
func renderFile(ctx context.Context, e *env, tl timeline.Timeline, opener timeline.Opener, path string) (timeline.Report, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".render-*.wav")
	if err != nil {
		return timeline.Report{}, fmt.Errorf("create the output: %w", err)
	}
	defer os.Remove(tmp.Name())
	rep, err := timeline.Render(ctx, tl, opener, e.cfg.Config.Audio.SampleRate, tmp)
	if cerr := tmp.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return rep, err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return rep, fmt.Errorf("write %s: %w", path, err)
	}
	return rep, nil
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
