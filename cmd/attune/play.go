package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"attune/media/sandbox"
	"attune/media/store"
	"attune/player"
	"attune/player/output"
	"attune/player/stream"
	"attune/player/timeline"
)

type playOptions struct {
	timeline, speaker, stream, out *string
}

func playCommand() *command {
	return &command{
		name:    "play",
		summary: "play a timeline live to the speaker, an MP3 stream and/or a WAV file",
		usage:   "--timeline FILE.json [--speaker DEVICE|none] [--stream ADDR] [--out FILE.wav]",
		flags: func(fs *flag.FlagSet) any {
			return playOptions{
				timeline: fs.String("timeline", "", "the timeline to play (JSON, see docs/timeline.md)"),
				speaker:  fs.String("speaker", "default", "the ALSA device to play on, or none"),
				stream:   fs.String("stream", "", "also serve the room's MP3 stream at http://ADDR/stream.mp3 (e.g. 127.0.0.1:8481)"),
				out:      fs.String("out", "", "also record what plays to this WAV file"),
			}
		},
		run: runPlay,
	}
}

// runPlay plays a timeline live until it ends or Ctrl-C (which fades out).
// Lines on stdin steer it: pause, resume, skip, stop, seek 1m30s, volume -6,
// quiet on|off, ceiling -3.
func runPlay(ctx context.Context, e *env, opts any, args []string) int {
	o := opts.(playOptions)
	if *o.timeline == "" || len(args) > 0 {
		fmt.Fprintln(e.stderr, "attune play: give --timeline FILE.json (and optionally --speaker, --stream, --out)")
		return exitUsage
	}
	tl, code := readTimeline(e, "play", *o.timeline)
	if code != exitOK {
		return code
	}
	sinks, cleanup, err := playSinks(ctx, e, o, e.cfg.Config.Audio.SampleRate)
	defer cleanup()
	if err != nil {
		fmt.Fprintf(e.stderr, "attune play: %v\n", err)
		return exitFailure
	}
	return withStoreAndProbers(ctx, e, func(st *store.Store, pool *sandbox.Pool) int {
		opener := &libraryOpener{tracks: st, prober: pool, base: filepath.Dir(*o.timeline)}
		return playLive(ctx, e, tl, opener, sinks)
	})
}

// playLive runs the engine on tl until the timeline ends, stdin says stop,
// or ctx ends (which fades out).
func playLive(ctx context.Context, e *env, tl timeline.Timeline, opener timeline.Opener, sinks []player.SinkConfig) int {
	audio := e.cfg.Config.Audio
	events := make(chan player.Event, 256)
	eng, err := player.New(player.Config{
		Rate: audio.SampleRate, PauseFade: audio.PauseFade, SkipFade: audio.SkipFade, MaxSlew: audio.MaxSlew,
		CeilingDB: audio.Ceiling, Opener: opener,
		Sinks: sinks, Events: events,
	})
	if err != nil {
		closeSinks(sinks)
		fmt.Fprintf(e.stderr, "attune play: %v\n", err)
		return exitFailure
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- eng.Run(runCtx) }()
	if err := eng.Load(runCtx, tl, 0); err != nil {
		fmt.Fprintf(e.stderr, "attune play: %v\n", err)
		stop()
		<-done
		return exitFailure
	}
	if err := eng.Play(runCtx); err != nil {
		fmt.Fprintf(e.stderr, "attune play: %v\n", err)
	}
	lines := readLines(runCtx, e.stdin)

	failed, played := false, false
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				lines = nil // stdin ended: play on
				continue
			}
			if f := strings.Fields(line); len(f) > 0 {
				if err := steerOne(runCtx, eng, f); err != nil {
					fmt.Fprintf(e.stderr, "%s: %v\n", f[0], err)
				}
			}
		case ev := <-events:
			switch ev.Kind {
			case player.EventPosition:
				continue
			case player.EventItemFailed, player.EventSinkError:
				failed = true
			}
			fmt.Fprintf(e.stderr, "%s\n", ev)
			if ev.Kind == player.EventState {
				played = played || ev.State == player.StatePlaying
				if played && ev.State == player.StateStopped {
					stop() // the timeline ended, or `stop` was typed
				}
			}
		case err := <-done:
			if err != nil {
				fmt.Fprintf(e.stderr, "attune play: %v\n", err)
				return exitFailure
			}
			if ctx.Err() != nil {
				return exitInterrupt
			}
			if failed {
				return exitFailure
			}
			return exitOK
		}
	}
}

// closeSinks closes sinks the engine never took over.
func closeSinks(sinks []player.SinkConfig) {
	for _, sc := range sinks {
		if sc.Sink != nil {
			sc.Sink.Close()
		}
	}
}

// playSinks opens the outputs asked for. cleanup stops the stream's server.
// On error, what it opened is closed again.
func playSinks(ctx context.Context, e *env, o playOptions, rate int) (sinks []player.SinkConfig, cleanup func(), err error) {
	cleanup = func() {}
	defer func() {
		if err != nil {
			closeSinks(sinks)
			sinks = nil
		}
	}()
	if dev := *o.speaker; dev != "none" {
		open := func(context.Context) (player.Sink, error) { return output.NewALSA(dev, rate) }
		sp, err := open(ctx)
		if err != nil {
			// No sound card is not fatal: the other outputs play, and the
			// engine retries the speaker with backoff.
			fmt.Fprintf(e.stderr, "attune play: speaker %q: %v (retrying in the background)\n", dev, err)
			sp = nil
		}
		sinks = append(sinks, player.SinkConfig{Name: "speaker", Sink: sp, Reopen: open})
	}
	if *o.out != "" {
		w, err := output.CreateWAV(*o.out, rate)
		if err != nil {
			return sinks, cleanup, err
		}
		sinks = append(sinks, player.SinkConfig{Name: "file", Sink: w})
	}
	if addr := *o.stream; addr != "" {
		s, err := stream.New(stream.Config{SampleRate: rate, Name: "attune"})
		if err != nil {
			return sinks, cleanup, err
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			s.Close()
			return sinks, cleanup, fmt.Errorf("stream: %w", err)
		}
		mux := http.NewServeMux()
		mux.Handle("/stream.mp3", s)
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		go srv.Serve(ln) //nolint:errcheck // ends with Close below
		cleanup = func() { srv.Close() }
		fmt.Fprintf(e.stderr, "attune play: streaming at http://%s/stream.mp3\n", ln.Addr())
		sinks = append(sinks, player.SinkConfig{Name: "stream", Sink: s})
	}
	if len(sinks) == 0 {
		return sinks, cleanup, errors.New("no output: give --speaker, --stream or --out")
	}
	return sinks, cleanup, nil
}

// readLines sends the lines of in until it ends or ctx does. Its goroutine
// may stay blocked reading a terminal after ctx ends; it goes with the
// process, which is about to exit.
func readLines(ctx context.Context, in io.Reader) <-chan string {
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(in)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
	}()
	return lines
}

func steerOne(ctx context.Context, eng *player.Engine, f []string) error {
	arg := func() (string, error) {
		if len(f) != 2 {
			return "", fmt.Errorf("want one argument")
		}
		return f[1], nil
	}
	db := func() (float64, error) {
		a, err := arg()
		if err != nil {
			return 0, err
		}
		return strconv.ParseFloat(strings.TrimSuffix(strings.ToLower(a), "db"), 64)
	}
	switch f[0] {
	case "pause":
		return eng.Pause(ctx)
	case "resume", "play":
		return eng.Resume(ctx)
	case "skip":
		return eng.Skip(ctx)
	case "stop":
		return eng.Stop(ctx)
	case "seek":
		a, err := arg()
		if err != nil {
			return err
		}
		d, err := time.ParseDuration(a)
		if err != nil {
			return err
		}
		return eng.Seek(ctx, d)
	case "volume":
		v, err := db()
		if err != nil {
			return err
		}
		return eng.SetVolume(ctx, v)
	case "ceiling":
		v, err := db()
		if err != nil {
			return err
		}
		return eng.SetCeiling(ctx, v)
	case "quiet":
		a, err := arg()
		if err != nil {
			return err
		}
		if a != "on" && a != "off" {
			return fmt.Errorf("want on or off")
		}
		return eng.Quiet(ctx, a == "on")
	}
	return fmt.Errorf("unknown command (pause, resume, skip, stop, seek D, volume DB, ceiling DB, quiet on|off)")
}
