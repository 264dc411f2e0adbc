package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"attune/config"
	"attune/media/sandbox"
	"attune/media/store"
	"attune/player"
	"attune/player/session"
	sstore "attune/player/session/store"
	"attune/player/timeline"
	"attune/playlists"
)

// cliWho is who steers a session from attune play's stdin.
func cliWho() session.Who { return session.Who{Role: "therapist", Device: "cli"} }

// runLiveSession plays a session live in room: a new one of --playlist, or,
// without it, the room's live session carried on from the store (attune was
// stopped or killed while it ran). Nothing is opened for output until it is
// clear there is something to play.
func runLiveSession(ctx context.Context, e *env, o playOptions, room config.Room, outputs []config.Output, listen string) int {
	const cmd = "attune play"
	warnDecoders(e)
	return withStoreAndProbers(ctx, e, func(lib *store.Store, pool *sandbox.Pool) int {
		sessions, err := sstore.Open(ctx, lib.DB())
		if err != nil {
			fmt.Fprintf(e.stderr, "%s: %v\n", cmd, err)
			return exitFailure
		}
		live, err := sessions.Live(ctx)
		if err != nil {
			fmt.Fprintf(e.stderr, "%s: %v\n", cmd, err)
			return exitFailure
		}
		i := slices.IndexFunc(live, func(r session.Record) bool { return r.Room == room.Name })
		ls := liveSetup{room: room, volumeDB: room.VolumeDB}
		if *o.playlist != "" {
			if i >= 0 {
				fmt.Fprintf(e.stderr, "%s: room %q already has a live session (%d, playlist %q): carry it on with attune play --room %q (and type end to end it)\n",
					cmd, room.Name, live[i].ID, live[i].Playlist.Name, room.Name)
				return exitUsage
			}
			s, code := loadSessionSetup(ctx, e, cmd, lib, *o.playlist, *o.profile)
			if code != exitOK {
				return code
			}
			ls.start, ls.tracks = &s, s.tracks
		} else {
			if i < 0 {
				fmt.Fprintf(e.stderr, "%s: room %q has no live session: nothing to play (start one with --playlist NAME, or give --timeline FILE)\n", cmd, room.Name)
				return exitUsage
			}
			rec := live[i]
			ls.recovering, ls.volumeDB = &rec, rec.VolumeDB
			if ls.tracks, err = loadPlaylistTracks(ctx, lib, rec.Playlist); err != nil {
				fmt.Fprintf(e.stderr, "%s: session %d's playlist %q cannot be played:\n%v\n", cmd, rec.ID, rec.Playlist.Name, err)
				return exitFailure
			}
		}
		sinks, cleanup, err := playSinks(ctx, e, outputs, listen, room.Name, e.cfg.Config.Audio.SampleRate)
		defer cleanup()
		if err != nil {
			fmt.Fprintf(e.stderr, "%s: %v\n", cmd, err)
			return exitFailure
		}
		names := make([]string, len(sinks))
		for i, sc := range sinks {
			names[i] = sc.Name
		}
		fmt.Fprintf(e.stderr, "%s: room %q, outputs %s, ceiling %g dBFS, volume %g dB\n",
			cmd, room.Name, strings.Join(names, ", "), room.CeilingDB, ls.volumeDB)
		ls.doseNow, ls.store, ls.sinks = *o.doseNow, sessions, sinks
		ls.opener = &libraryOpener{tracks: lib, prober: pool, target: room.LoudnessTarget, ceiling: room.CeilingDB}
		return playSession(ctx, e, ls)
	})
}

// liveSetup is what playSession runs.
type liveSetup struct {
	room       config.Room
	start      *sessionSetup   // a new session of this playlist; nil to carry on
	recovering *session.Record // the room's live session when carrying on
	doseNow    bool
	tracks     *playlistTracks
	volumeDB   float64 // the engine's starting volume: the session's own when carrying on
	store      *sstore.Store
	opener     timeline.Opener
	sinks      []player.SinkConfig
}

// playSession runs the room's engine and its session runner until the
// session ends (observation is over, or `end` on stdin: exit 0) or ctx ends
// (Ctrl-C: the music fades out, the session stays live in the store and the
// next attune play --room carries it on: exit 130).
func playSession(ctx context.Context, e *env, ls liveSetup) int {
	const cmd = "attune play"
	audio := e.cfg.Config.Audio
	events := make(chan player.Event, 256)
	eng, err := player.New(player.Config{
		Rate: audio.SampleRate, PauseFade: audio.PauseFade, SkipFade: audio.SkipFade, MaxSlew: audio.MaxSlew,
		CeilingDB: ls.room.CeilingDB, VolumeDB: ls.volumeDB, Opener: ls.opener,
		Sinks: ls.sinks, Events: events,
	})
	if err != nil {
		closeSinks(ls.sinks)
		fmt.Fprintf(e.stderr, "%s: %v\n", cmd, err)
		return exitFailure
	}
	runner := session.NewRunner(session.RunnerConfig{
		Room: ls.room.Name, Engine: session.PlayerEngine{Engine: eng}, Store: ls.store,
		// attune play runs one session, whose tracks are loaded already.
		Tracks: func(context.Context, playlists.Playlist) (playlists.Tracks, error) { return ls.tracks, nil },
		Limits: roomLimits(e.cfg.Config, ls.room), Volume: ls.room.VolumeDB,
		Log: slog.New(slog.NewTextHandler(e.stderr, nil)),
	})
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	engDone, runDone := make(chan error, 1), make(chan error, 1)
	go func() { engDone <- eng.Run(runCtx) }()
	go func() { runDone <- runner.Run(runCtx) }() // recovers the room's live session first
	// Both goroutines end with runCtx; wait for them whatever happens. The
	// runner returns an error only when it could not recover the room's
	// session (or serve at all): say why.
	defer func() {
		stop()
		if err := <-runDone; err != nil {
			fmt.Fprintf(e.stderr, "%s: %v\n", cmd, err)
		}
		<-engDone
	}()

	id, code := startSession(runCtx, e, runner, ls)
	if code >= 0 {
		return code
	}
	lines := readLines(runCtx, e.stdin)
	check := time.NewTicker(500 * time.Millisecond)
	defer check.Stop()
	var fadedOut <-chan time.Time // set once the session has ended
	ended := func() {
		if fadedOut != nil {
			return
		}
		if _, _, ok, err := runner.Snapshot(runCtx); err == nil && !ok {
			fmt.Fprintf(e.stderr, "%s: session %d has ended\n", cmd, id)
			// The end faded the music out (OpStop); let the fade finish.
			fadedOut = time.After(audio.PauseFade + 200*time.Millisecond)
		}
	}
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				lines = nil // stdin ended: the session plays on
				continue
			}
			f := strings.Fields(line)
			if len(f) == 0 {
				continue
			}
			c, err := parseSessionCommand(f)
			if err == nil {
				err = runner.Do(runCtx, c)
			}
			if err != nil {
				fmt.Fprintf(e.stdout, "error: %v\n", err)
			} else {
				fmt.Fprintln(e.stdout, "ok")
			}
			ended()
		case ev := <-events:
			if ev.Kind == player.EventPosition {
				continue
			}
			fmt.Fprintf(e.stderr, "%s\n", ev)
			if err := runner.Observe(runCtx, ev); err != nil && runCtx.Err() == nil {
				fmt.Fprintf(e.stderr, "%s: %v\n", cmd, err)
			}
		case <-check.C:
			ended() // observation is over
		case <-fadedOut:
			return exitOK
		case err := <-runDone:
			runDone <- err // the deferred wait reports it
			if ctx.Err() != nil {
				return exitInterrupt
			}
			return exitFailure
		case err := <-engDone:
			engDone <- err
			if ctx.Err() != nil {
				return exitInterrupt
			}
			fmt.Fprintf(e.stderr, "%s: the engine stopped: %v\n", cmd, err)
			return exitFailure
		}
	}
}

// startSession starts the new session (dosing it now if asked), or checks
// what recovery made of the room's live session. It returns the session's
// id and -1 to play on, or an exit status.
func startSession(ctx context.Context, e *env, runner *session.Runner, ls liveSetup) (int64, int) {
	const cmd = "attune play"
	fail := func(err error) (int64, int) {
		fmt.Fprintf(e.stderr, "%s: %v\n", cmd, err)
		if ctx.Err() != nil {
			return 0, exitInterrupt
		}
		return 0, exitFailure
	}
	if ls.start != nil {
		if err := runner.Start(ctx, ls.start.pl, ls.start.prof, cliWho()); err != nil {
			if errors.Is(err, session.ErrBusy) {
				fmt.Fprintf(e.stderr, "%s: %v\n", cmd, err)
				return 0, exitUsage
			}
			return fail(err)
		}
	}
	rec, _, ok, err := runner.Snapshot(ctx)
	if err != nil {
		return fail(err)
	}
	if !ok {
		// Recovery found that observation ended while attune was down.
		r := ls.recovering
		fmt.Fprintf(e.stderr, "%s: session %d in room %q: observation ended while attune was down; it is closed as ended\n", cmd, r.ID, r.Room)
		return r.ID, exitOK
	}
	if ls.start != nil {
		fmt.Fprintf(e.stderr, "%s: session %d in room %q: playlist %q, profile %s\n", cmd, rec.ID, rec.Room, rec.Playlist.Name, rec.Profile.Name)
		if ls.doseNow {
			if err := runner.Do(ctx, session.Command{Kind: session.KindDose, Who: cliWho()}); err != nil {
				return fail(err)
			}
			fmt.Fprintf(e.stderr, "%s: dose given\n", cmd)
		}
	} else {
		at := "before the dose"
		if !rec.DosedAt.IsZero() {
			at = "at " + session.Clock(time.Since(rec.DosedAt))
		}
		fmt.Fprintf(e.stderr, "%s: session %d in room %q carried on %s: playlist %q, profile %s\n", cmd, rec.ID, rec.Room, at, rec.Playlist.Name, rec.Profile.Name)
	}
	fmt.Fprintf(e.stderr, "%s: commands: %s\n", cmd, sessionCommandHelp)
	return rec.ID, -1
}

const sessionCommandHelp = "dose [AGO], onset, pause, resume, skip, extend PHASE DUR, shorten PHASE DUR, jump PHASE, quiet on|off, volume DB, end"

// parseSessionCommand reads one stdin line of a live session, split into
// fields.
func parseSessionCommand(f []string) (session.Command, error) {
	c := session.Command{Kind: f[0], Who: cliWho()}
	args := f[1:]
	want := func(n int, what string) error {
		if len(args) != n {
			return fmt.Errorf("%s takes %s", f[0], what)
		}
		return nil
	}
	duration := func(s string) (time.Duration, error) {
		d, err := time.ParseDuration(s)
		if err != nil || strings.Trim(s, "0123456789.") == "" || d < 0 {
			return 0, fmt.Errorf("%q is not a duration with a unit, like 3m or 90s", s)
		}
		return d, nil
	}
	phase := func(s string) (playlists.Role, error) {
		if r := playlists.Role(s); slices.Contains(playlists.Roles(), r) {
			return r, nil
		}
		return "", fmt.Errorf("no phase %q (arrival, settling, journey, return, integration)", s)
	}
	var err error
	switch c.Kind {
	case session.KindDose:
		if len(args) > 1 {
			return c, want(1, "at most one argument: how long ago the dose was given")
		}
		if len(args) == 1 {
			c.Back, err = duration(args[0])
		}
	case session.KindOnset, session.KindPause, session.KindResume, session.KindSkip, session.KindEnd:
		err = want(0, "no arguments")
	case session.KindExtend, session.KindShorten:
		if err = want(2, "a phase and a duration"); err == nil {
			if c.Phase, err = phase(args[0]); err == nil {
				c.By, err = duration(args[1])
			}
		}
	case session.KindJump:
		if err = want(1, "a phase"); err == nil {
			c.Phase, err = phase(args[0])
		}
	case session.KindQuiet:
		if err = want(1, "on or off"); err == nil {
			if args[0] != "on" && args[0] != "off" {
				err = errors.New("quiet takes on or off")
			}
			c.On = args[0] == "on"
		}
	case session.KindVolume:
		if err = want(1, "a level in dB, like -12"); err == nil {
			c.DB, err = strconv.ParseFloat(strings.TrimSuffix(strings.ToLower(args[0]), "db"), 64)
		}
	default:
		err = fmt.Errorf("unknown command %q (%s)", c.Kind, sessionCommandHelp)
	}
	return c, err
}
