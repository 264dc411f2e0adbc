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

	"attune/config"
	"attune/media/sandbox"
	"attune/media/store"
	"attune/player"
	"attune/player/output"
	"attune/player/stream"
	"attune/player/timeline"
	"attune/playlists"
)

type playOptions struct {
	timeline, room, listen, speaker, stream, out *string
	playlist, profile                            *string
	doseNow                                      *bool
}

// defaultListen is where attune play serves a room's stream outputs.
const defaultListen = "127.0.0.1:8481"

func playCommand() *command {
	return &command{
		name:    "play",
		summary: "play a session (or a timeline) live in a room: to its speakers, MP3 streams and files",
		usage: "--playlist NAME [--profile P] [--dose-now] | --timeline FILE.json | (neither: carry on the room's live session) " +
			"[--room NAME] [--listen ADDR] [--speaker DEVICE|none] [--stream ADDR] [--out FILE.wav]",
		flags: func(fs *flag.FlagSet) any {
			return playOptions{
				timeline: fs.String("timeline", "", "the timeline to play (JSON, see docs/timeline.md)"),
				playlist: fs.String("playlist", "", "start a session of this stored playlist in the room, steered from stdin (see docs/sessions.md)"),
				profile:  fs.String("profile", "", "with --playlist: the route profile (default: the playlist's own, else "+playlists.DefaultProfile+")"),
				doseNow:  fs.Bool("dose-now", false, "with --playlist: the dose is given as the session starts"),
				room:     fs.String("room", "", "the configured room to play in: its outputs, trims, ceiling and volume (default: the first room)"),
				listen:   fs.String("listen", defaultListen, "serve the room's stream outputs at http://ADDR/NAME.mp3"),
				speaker: fs.String("speaker", "", "ad hoc: play on this ALSA device (default, hw:1,0, …) or none, "+
					"instead of the room's outputs (with --stream or --out alone, the speaker is default)"),
				stream: fs.String("stream", "", "ad hoc: serve an MP3 stream at http://ADDR/stream.mp3 (e.g. 127.0.0.1:8481) instead of the room's outputs"),
				out:    fs.String("out", "", "ad hoc: record what plays to this WAV file instead of the room's outputs"),
			}
		},
		run: runPlay,
	}
}

// runPlay plays a session (live.go) or a timeline live until it ends or
// Ctrl-C (which fades out). For a timeline, lines on stdin steer it: pause,
// resume, skip, stop, seek 1m30s, volume -6, quiet on|off, ceiling -3.
func runPlay(ctx context.Context, e *env, opts any, args []string) int {
	o := opts.(playOptions)
	if len(args) > 0 || *o.timeline != "" && *o.playlist != "" || *o.playlist == "" && (*o.profile != "" || *o.doseNow) {
		fmt.Fprintln(e.stderr, "attune play: give --playlist NAME [--profile P] [--dose-now], or --timeline FILE.json, or neither to carry on "+
			"the room's live session (and optionally --room, --speaker, --stream, --out)")
		return exitUsage
	}
	room, ok := e.cfg.Config.Room(*o.room)
	if !ok {
		var names []string
		for _, r := range e.cfg.Config.Rooms {
			names = append(names, strconv.Quote(r.Name))
		}
		fmt.Fprintf(e.stderr, "attune play: no room %q: the configured rooms are %s\n", *o.room, strings.Join(names, ", "))
		return exitUsage
	}
	outputs, listen := room.Outputs, *o.listen
	if adHoc := adHocOutputs(o); adHoc != nil {
		outputs, listen = adHoc, *o.stream
	}
	if *o.timeline == "" {
		return runLiveSession(ctx, e, o, room, outputs, listen)
	}
	tl, code := readTimeline(e, "play", *o.timeline)
	if code != exitOK {
		return code
	}
	sinks, cleanup, err := playSinks(ctx, e, outputs, listen, room.Name, e.cfg.Config.Audio.SampleRate)
	defer cleanup()
	if err != nil {
		fmt.Fprintf(e.stderr, "attune play: %v\n", err)
		return exitFailure
	}
	names := make([]string, len(sinks))
	for i, sc := range sinks {
		names[i] = sc.Name
	}
	fmt.Fprintf(e.stderr, "attune play: room %q, outputs %s, ceiling %g dBFS, volume %g dB\n",
		room.Name, strings.Join(names, ", "), room.CeilingDB, room.VolumeDB)
	warnDecoders(e)
	return withStoreAndProbers(ctx, e, func(st *store.Store, pool *sandbox.Pool) int {
		opener := &libraryOpener{tracks: st, prober: pool, base: filepath.Dir(*o.timeline),
			target: room.LoudnessTarget, ceiling: room.CeilingDB}
		return playLive(ctx, e, tl, opener, room, sinks)
	})
}

// adHocOutputs returns the outputs --speaker, --stream and --out ask for,
// which replace the room's; nil if none of them is given. As before rooms
// existed, the speaker is the default device unless --speaker says
// otherwise (or none).
func adHocOutputs(o playOptions) []config.Output {
	if *o.speaker == "" && *o.stream == "" && *o.out == "" {
		return nil
	}
	outs := []config.Output{}
	if dev := *o.speaker; dev != "none" {
		if dev == "" {
			dev = config.DefaultDevice
		}
		outs = append(outs, config.Output{Name: "speaker", Type: config.OutputSpeaker, Device: dev})
	}
	if *o.out != "" {
		outs = append(outs, config.Output{Name: "file", Type: config.OutputFile, Path: *o.out})
	}
	if *o.stream != "" {
		outs = append(outs, config.Output{Name: "stream", Type: config.OutputStream, Bitrate: config.DefaultBitrate})
	}
	return outs
}

// playLive runs the engine on tl in room until the timeline ends, stdin says
// stop, or ctx ends (which fades out).
func playLive(ctx context.Context, e *env, tl timeline.Timeline, opener timeline.Opener, room config.Room, sinks []player.SinkConfig) int {
	audio := e.cfg.Config.Audio
	events := make(chan player.Event, 256)
	eng, err := player.New(player.Config{
		Rate: audio.SampleRate, PauseFade: audio.PauseFade, SkipFade: audio.SkipFade, MaxSlew: audio.MaxSlew,
		CeilingDB: room.CeilingDB, VolumeDB: room.VolumeDB, Opener: opener,
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

// playSinks opens a room's outputs, each with its trim, and serves its
// stream outputs at listen (http://listen/NAME.mp3). cleanup stops the
// streams' server. A speaker that cannot be opened is retried by the engine
// in the background; an optional output that cannot be opened is left out.
// On error, what it opened is closed again.
func playSinks(ctx context.Context, e *env, outputs []config.Output, listen, roomName string, rate int) (sinks []player.SinkConfig, cleanup func(), err error) {
	cleanup = func() {}
	defer func() {
		if err != nil {
			closeSinks(sinks)
			sinks = nil
		}
	}()
	mux := http.NewServeMux()
	streams := 0
	for _, out := range outputs {
		var sink player.Sink
		var reopen func(context.Context) (player.Sink, error)
		var err error
		switch out.Type {
		case config.OutputSpeaker:
			dev := out.Device
			reopen = func(context.Context) (player.Sink, error) { return output.NewALSA(dev, rate) }
			sink, err = reopen(ctx)
			if err != nil && !out.Optional {
				// No sound card is not fatal: the other outputs play, and
				// the engine retries the speaker with backoff.
				fmt.Fprintf(e.stderr, "attune play: output %q: speaker %q: %v (retrying in the background)\n", out.Name, dev, err)
				sink, err = nil, nil
			}
		case config.OutputFile:
			sink, err = output.CreateWAV(out.Path, rate)
		case config.OutputNull:
			sink = &output.Null{}
		case config.OutputStream:
			var s *stream.Stream
			s, err = stream.New(stream.Config{SampleRate: rate, Bitrate: out.Bitrate, Name: "attune " + roomName})
			if err == nil {
				sink = s
				mux.Handle("/"+out.Name+".mp3", s)
				streams++
			}
		default:
			err = fmt.Errorf("unknown output type %q", out.Type)
		}
		if err != nil {
			if out.Optional {
				fmt.Fprintf(e.stderr, "attune play: output %q (%s, optional): %v; playing without it\n", out.Name, out.Type, err)
				continue
			}
			return sinks, cleanup, fmt.Errorf("output %q (%s): %w", out.Name, out.Type, err)
		}
		sinks = append(sinks, player.SinkConfig{Name: out.Name, Sink: sink, TrimDB: out.TrimDB, Reopen: reopen})
	}
	if streams > 0 {
		ln, err := net.Listen("tcp", listen)
		if err != nil {
			return sinks, cleanup, fmt.Errorf("serve the room's stream: %w (give another --listen ADDR)", err)
		}
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		go srv.Serve(ln) //nolint:errcheck // ends with Close below
		cleanup = func() { srv.Close() }
		for _, out := range outputs {
			if out.Type == config.OutputStream {
				fmt.Fprintf(e.stderr, "attune play: streaming at http://%s/%s.mp3\n", ln.Addr(), out.Name)
			}
		}
	}
	if len(sinks) == 0 {
		return sinks, cleanup, errors.New("no output: configure the room's outputs, or give --speaker, --stream or --out")
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
