package main

import (
	"context"

	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"attune/config"
	"attune/media/sandbox"
	"attune/media/store"
	"attune/player"
	"attune/player/room"
	"attune/player/session"
	sstore "attune/player/session/store"
	"attune/playlists"
	"attune/playlists/plstore"
	"attune/server"
	"attune/server/auth"
)

type serveOptions struct {
	listen *string
	demo   *bool
}

func serveCommand() *command {
	return &command{
		name:    "serve",
		summary: "run the daemon: play every room, serve the browser pages, the API and the live control",
		usage:   "[--listen ADDR] [--demo]",
		flags: func(fs *flag.FlagSet) any {
			return serveOptions{
				listen: fs.String("listen", "", "listen on ADDR, host:port (default server.listen: 127.0.0.1:8480, this machine only)"),
				demo:   fs.Bool("demo", false, "first add the demo library (synthesized ambient pieces) and a demo playlist per route profile"),
			}
		},
		run: runServe,
	}
}

// shutdownGrace bounds how long open HTTP requests (stream listeners) may
// take to finish once the daemon is stopping.
const shutdownGrace = 3 * time.Second

// runServe runs the daemon until ctx ends (SIGTERM, Ctrl-C): then every
// room fades out (audio.pause_fade, 2 s), the WebSocket clients are told
// and disconnected, the HTTP server stops, and the store is closed.
func runServe(ctx context.Context, e *env, opts any, args []string) int {
	const cmd = "attune serve"
	o := opts.(serveOptions)
	if len(args) > 0 {
		fmt.Fprintf(e.stderr, "%s: takes no arguments (got %q)\n", cmd, args[0])
		return exitUsage
	}
	c := e.cfg.Config
	listen := c.Server.Listen
	if *o.listen != "" {
		if _, _, err := net.SplitHostPort(*o.listen); err != nil {
			fmt.Fprintf(e.stderr, "%s: --listen %q: want host:port, like 127.0.0.1:8480\n", cmd, *o.listen)
			return exitUsage
		}
		listen = *o.listen
	}
	warnDecoders(e)
	return withStoreAndProbers(ctx, e, func(lib *store.Store, pool *sandbox.Pool) int {
		d, err := openDaemon(ctx, e, lib, pool)
		if err != nil {
			e.log.Error("cannot start", "err", err)
			return exitFailure
		}
		if *o.demo {
			sum, err := seedDemo(ctx, e, lib, pool)
			if err != nil {
				e.log.Error("cannot add the demo library", "err", err)
				return exitFailure
			}
			e.log.Info("demo library ready", "summary", sum.String())
		}
		ln, err := net.Listen("tcp", listen)
		if err != nil {
			e.log.Error("cannot listen", "addr", listen, "err", err, "hint", "is attune already running? (attune doctor) or give --listen ADDR")
			return exitFailure
		}
		return d.serve(ctx, ln)
	})
}

// daemon is attune serve's parts, wired.
type daemon struct {
	e       *env
	log     *slog.Logger
	auth    *auth.Store
	library *serveLibrary
	rooms   []*room.Room
	srv     *server.Server
	metrics *server.Metrics

	mu   sync.Mutex      // guards live
	live map[string]bool // rooms with a session, for the sessions gauge
}

// countSession keeps the live-sessions gauge true; rooms call it from
// their own goroutines.
func (d *daemon) countSession(room string, live bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.live[room] = live
	n := 0
	for _, l := range d.live {
		if l {
			n++
		}
	}
	d.metrics.Sessions.Set(float64(n))
}

// openDaemon opens the stores and builds the rooms and the server.
func openDaemon(ctx context.Context, e *env, lib *store.Store, pool *sandbox.Pool) (*daemon, error) {
	c := e.cfg.Config
	sessions, err := sstore.Open(ctx, lib.DB())
	if err != nil {
		return nil, err
	}
	pls, err := plstore.Open(ctx, lib.DB())
	if err != nil {
		return nil, err
	}
	au, err := auth.Open(ctx, lib.DB(), auth.Options{SessionTTL: c.Server.SessionTTL, PatientGrace: c.Server.PatientGrace})
	if err != nil {
		return nil, err
	}
	d := &daemon{e: e, log: e.log, auth: au, metrics: server.NewMetrics(), live: map[string]bool{}}
	d.library = newServeLibrary(lib, newLibrary(e, lib, pool), pls, c.Library, nil, e.log)
	titles := newTitleCache(lib)
	var srvMu sync.Mutex // srv is set once the rooms exist; rooms call back only once they run
	for _, rc := range c.Rooms {
		r, err := room.New(d.roomConfig(c, rc, lib, pool, sessions, titles, &srvMu))
		if err != nil {
			return nil, fmt.Errorf("room %q: %w", rc.Name, err)
		}
		d.rooms = append(d.rooms, r)
	}
	rooms := make([]server.Room, len(d.rooms))
	for i, r := range d.rooms {
		rooms[i] = r
	}
	srv, err := server.New(server.Deps{
		Rooms: rooms, Auth: au, Library: d.library, Playlists: newServePlaylists(lib, pls, c.Library.Dir),
		Sessions: sessions, Profiles: profiles(c), Origins: c.Server.Origins, MaxUpload: c.Server.MaxUpload,
		Log: e.log, Metrics: d.metrics,
	})
	if err != nil {
		return nil, err
	}
	srvMu.Lock()
	d.srv = srv
	srvMu.Unlock()
	return d, nil
}

// roomConfig is the live room of rc: the room's outputs, limits and
// loudness, the library's tracks, and the server told of every change.
func (d *daemon) roomConfig(c config.Config, rc config.Room, lib *store.Store, pool *sandbox.Pool, sessions *sstore.Store, titles *titleCache, srvMu *sync.Mutex) room.Config {
	outs := make([]room.Output, len(rc.Outputs))
	for i, o := range rc.Outputs {
		outs[i] = room.Output{Name: o.Name, Type: string(o.Type), Device: o.Device, Path: o.Path, TrimDB: o.TrimDB, Bitrate: o.Bitrate, Optional: o.Optional}
	}
	id := server.RoomID(rc.Name)
	server := func() *server.Server {
		srvMu.Lock()
		defer srvMu.Unlock()
		return d.srv
	}
	return room.Config{
		Name: rc.Name, Rate: c.Audio.SampleRate, PauseFade: c.Audio.PauseFade, SkipFade: c.Audio.SkipFade, MaxSlew: c.Audio.MaxSlew,
		CeilingDB: rc.CeilingDB, VolumeDB: rc.VolumeDB, PatientMinDB: rc.Patient.MinDB, PatientMaxDB: rc.Patient.MaxDB,
		Outputs: outs,
		Opener:  &libraryOpener{tracks: lib, prober: pool, target: rc.LoudnessTarget, ceiling: rc.CeilingDB},
		Store:   sessions,
		Tracks: func(ctx context.Context, pl playlists.Playlist) (playlists.Tracks, error) {
			return loadPlaylistTracks(ctx, lib, pl)
		},
		Titles: titles.get,
		Log:    d.log,
		OnChange: func(st room.State) {
			d.countSession(rc.Name, st.Session != nil)
			if s := server(); s != nil {
				s.RoomChanged(rc.Name)
			}
		},
		OnEntry: func(en session.Entry) {
			if en.Kind == session.KindEnd {
				// The tablet's token outlives the session by the grace only.
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				if err := d.auth.EndSession(ctx, rc.Name, en.Session); err != nil {
					d.log.Error("expire the tablets of an ended session", "room", rc.Name, "session", en.Session, "err", err)
				}
				cancel()
			}
			if s := server(); s != nil {
				s.RoomLog(rc.Name, en)
			}
		},
		OnEvent: func(ev player.Event) {
			switch ev.Kind {
			case player.EventUnderrun:
				kind := "engine"
				if ev.Item >= 0 {
					kind = "item"
				}
				d.metrics.Underruns.WithLabelValues(id, kind).Inc()
			case player.EventSinkUnderrun:
				d.metrics.Underruns.WithLabelValues(id, "sink").Inc()
			}
		},
	}
}

// serve runs everything until ctx ends, then stops it in order.
func (d *daemon) serve(ctx context.Context, ln net.Listener) int {
	c := d.e.cfg.Config
	hs := &http.Server{Handler: d.srv.Handler(), ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(d.log.Handler(), slog.LevelWarn)}
	scheme := "http"
	if c.Server.TLSCert != "" {
		scheme = "https"
	}
	url := scheme + "://" + browsable(ln.Addr().String()) + "/"

	runCtx, stop := context.WithCancel(context.Background())
	defer stop()
	var wg sync.WaitGroup
	for _, r := range d.rooms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := r.Run(runCtx); err != nil {
				d.log.Error("room stopped", "room", r.Name(), "err", err)
			}
		}()
	}
	wg.Add(2)
	go func() { defer wg.Done(); _ = d.srv.Run(runCtx) }()
	go func() { defer wg.Done(); _ = d.library.Run(runCtx) }()
	served := make(chan error, 1)
	go func() {
		var err error
		if scheme == "https" {
			err = hs.ServeTLS(ln, c.Server.TLSCert, c.Server.TLSKey)
		} else {
			err = hs.Serve(ln)
		}
		served <- err
	}()

	fmt.Fprintf(d.e.stdout, "attune is running: open %s in a browser (Ctrl-C to stop)\n", url)
	d.log.Info("serving", "url", url, "rooms", len(d.rooms))
	d.setupLink(ctx, url)

	code := exitOK
	select {
	case <-ctx.Done():
		d.log.Info("stopping: the rooms fade out")
	case err := <-served:
		d.log.Error("the HTTP server stopped", "err", err)
		code = exitFailure
	}
	// Rooms fade out and the hub says goodbye while HTTP stops taking new
	// requests; stream listeners end when their room's stream closes.
	stop()
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		hs.Close()
	}
	wg.Wait()
	if code == exitOK && ctx.Err() != nil {
		d.log.Info("stopped")
	}
	return code
}

// setupLink logs the one-time link that creates the first admin, while
// there is none.
func (d *daemon) setupLink(ctx context.Context, url string) {
	token, ok, err := d.auth.SetupToken(ctx)
	switch {
	case err != nil:
		d.log.Error("cannot make the first admin's setup link", "err", err)
	case ok:
		fmt.Fprintf(d.e.stdout, "no admin yet: open %ssetup?token=%s to create one (once), or run attune user add NAME --role admin\n", url, token)
	}
}

// browsable is addr as a browser may open it: a wildcard host becomes
// 127.0.0.1.
func browsable(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// titleCache looks up tracks' titles for the rooms' states, once each.
type titleCache struct {
	lib *store.Store
	mu  sync.Mutex
	m   map[string][2]string
}

func newTitleCache(lib *store.Store) *titleCache {
	return &titleCache{lib: lib, m: map[string][2]string{}}
}

func (t *titleCache) get(id string) (title, artist string) {
	t.mu.Lock()
	v, ok := t.m[id]
	t.mu.Unlock()
	if ok {
		return v[0], v[1]
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	tr, err := t.lib.Track(ctx, id)
	if err != nil {
		return "", ""
	}
	v = [2]string{tr.Info.Tags.Title, tr.Info.Tags.Artist}
	t.mu.Lock()
	t.m[id] = v
	t.mu.Unlock()
	return v[0], v[1]
}

// profiles returns the effective route profiles for the planner.
func profiles(c config.Config) []playlists.Profile {
	out := make([]playlists.Profile, 0, len(c.Profiles))
	for _, p := range c.Profiles {
		out = append(out, playlists.Profile{Name: p.Name, Onset: playlists.Window(p.Onset), Effect: playlists.Window(p.Effect),
			Return: playlists.Window(p.Return), ObserveUntil: p.ObserveUntil})
	}
	return out
}
