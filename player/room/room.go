// Package room runs one treatment room live: its engine (always running, so
// stream listeners stay connected and hear silence between sessions), its
// outputs, and the session runner that plays the sessions started in it over
// the daemon's life. It publishes the room's state as plain snapshots for
// the server to push to its clients.
//
// A Room is built by New and run by Run, exactly once; Run owns every
// goroutine the room starts and returns when they have all ended, the music
// has faded out and the outputs are closed. Start, Do, the setters and
// State may be called from any goroutine.
package room

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"attune/player"
	"attune/player/session"
	"attune/player/stream"
	"attune/player/timeline"
	"attune/playlists"
)

// Output types, as the configuration spells them.
const (
	TypeSpeaker = "speaker" // an ALSA device
	TypeStream  = "stream"  // the room's live MP3 stream
	TypeFile    = "file"    // a WAV recording
	TypeNull    = "null"    // discards the mix
)

// Output statuses in State.
const (
	StatusOK   = "ok"   // open and working
	StatusDown = "down" // failed; the engine reopens it with backoff
	StatusOff  = "off"  // optional and could not be opened: not played to
)

// Defaults of Config's zero patient range.
const (
	DefaultPatientMinDB = -30.0
	DefaultPatientMaxDB = -6.0
)

// Limits of the settings.
const (
	MinCeilingDB = -60.0 // SetCeiling's floor; the ceiling is below 0 dBFS
	MinVolumeDB  = -80.0 // the lowest level a patient range may reach
)

// Output is one of the room's sinks.
type Output struct {
	Name     string
	Type     string  // TypeSpeaker, TypeStream, TypeFile or TypeNull
	Device   string  // speaker: the ALSA device
	Path     string  // file: the WAV file
	TrimDB   float64 // this output's level, ≤ 0 dB
	Bitrate  int     // stream: kb/s; 0 is stream.DefaultBitrate
	Optional bool    // one that cannot be opened is left out ("off") instead of failing New
}

// Config configures a Room.
type Config struct {
	Name string
	// Rate, PauseFade, SkipFade and MaxSlew are the engine's; zero takes
	// the engine's defaults.
	Rate      int
	PauseFade time.Duration
	SkipFade  time.Duration
	MaxSlew   float64
	// CeilingDB is the room's configured peak ceiling in [-60, 0); 0 means
	// player.DefaultCeilingDB. SetCeiling may only lower it.
	CeilingDB float64
	// VolumeDB is the master volume each session starts at.
	VolumeDB float64
	// PatientMinDB and PatientMaxDB are the range a patient's volume stays
	// within; both zero means DefaultPatientMinDB…DefaultPatientMaxDB.
	PatientMinDB, PatientMaxDB float64
	Outputs                    []Output
	Opener                     timeline.Opener
	Store                      session.Store
	Tracks                     session.TrackLoader
	// Titles, if set, gives a track's title and artist for State's plan
	// items.
	Titles func(id string) (title, artist string)
	Log    *slog.Logger
	// OpenSpeaker opens an ALSA device; nil means output.NewALSA. Tests
	// pass a fake.
	OpenSpeaker func(device string, rate int) (player.Sink, error)
	// OnChange is called with each new state, coalesced (at most about
	// ten times a second) on a goroutine of its own, so a slow OnChange
	// delays only later OnChange calls, never the room.
	OnChange func(State)
	// OnEntry is called with each session log entry once it is stored, on
	// the session runner's goroutine: it must not block. Entry.Session is
	// set; Entry.Seq is the store's and is 0 here.
	OnEntry func(e session.Entry)
	// OnEvent, if set, is called with every engine event (for metrics:
	// underruns) on the room's goroutine: it must not block.
	OnEvent func(ev player.Event)
	// Now is the wall clock; nil means time.Now.
	Now func() time.Time
}

// Room is one room, live. See the package comment.
type Room struct {
	cfg     Config
	eng     *player.Engine
	runner  *session.Runner
	events  chan player.Event
	outs    []*out // in configuration order
	stream  *stream.Stream
	started atomic.Bool

	state atomic.Pointer[State] // the last published state

	sessionPoke chan struct{}      // buffered 1: the runner changed the session
	syncReq     chan chan struct{} // refresh now and reply: Start and Do wait for it
	notify      chan struct{}      // buffered 1: a new state for OnChange
	loopDone    chan struct{}      // closed when the loop has returned

	// ctlMu serialises SetTrim and SetCeiling, so the engine and the
	// settings see their changes in the same order.
	ctlMu sync.Mutex
	// mu protects set.
	mu  sync.Mutex
	set settings
}

// settings are what the setters change.
type settings struct {
	trims      []float64 // by output index
	ceiling    float64
	pmin, pmax float64
	showTitles bool
}

// New checks cfg, opens the room's outputs (an error names the output) and
// builds its engine and session runner. Call Run.
func New(cfg Config) (*Room, error) {
	if err := checkConfig(&cfg); err != nil {
		return nil, err
	}
	r := &Room{
		cfg:         cfg,
		events:      make(chan player.Event, 256),
		sessionPoke: make(chan struct{}, 1),
		syncReq:     make(chan chan struct{}),
		notify:      make(chan struct{}, 1),
		loopDone:    make(chan struct{}),
		set: settings{ceiling: cfg.CeilingDB, pmin: cfg.PatientMinDB, pmax: cfg.PatientMaxDB,
			trims: make([]float64, len(cfg.Outputs))},
	}
	for i, o := range cfg.Outputs {
		r.set.trims[i] = o.TrimDB
	}
	sinks, err := r.openOutputs()
	if err != nil {
		return nil, fmt.Errorf("room %q: %w", cfg.Name, err)
	}
	r.eng, err = player.New(player.Config{
		Rate: cfg.Rate, PauseFade: cfg.PauseFade, SkipFade: cfg.SkipFade, MaxSlew: cfg.MaxSlew,
		CeilingDB: cfg.CeilingDB, VolumeDB: cfg.VolumeDB, Opener: cfg.Opener, Sinks: sinks, Events: r.events,
	})
	if err != nil {
		r.closeOutputs()
		return nil, fmt.Errorf("room %q: %w", cfg.Name, err)
	}
	r.runner = session.NewRunner(session.RunnerConfig{
		Room: cfg.Name, Engine: session.PlayerEngine{Engine: r.eng}, Store: teeStore{cfg.Store, cfg.OnEntry},
		Tracks: cfg.Tracks, Limits: r.limits(), Volume: cfg.VolumeDB, Now: cfg.Now, Log: cfg.Log,
		OnChange: func() { poke(r.sessionPoke) },
	})
	st := r.build(loopState{engine: player.StateStopped, outs: r.initialOutputs(), volume: cfg.VolumeDB}, cfg.Now())
	r.state.Store(&st)
	return r, nil
}

func checkConfig(cfg *Config) error {
	if cfg.Name == "" {
		return errors.New("room: no name")
	}
	fail := func(format string, a ...any) error {
		return fmt.Errorf("room %q: "+format, append([]any{cfg.Name}, a...)...)
	}
	switch {
	case cfg.Opener == nil:
		return fail("no opener")
	case cfg.Store == nil:
		return fail("no session store")
	case cfg.Tracks == nil:
		return fail("no track loader")
	}
	if cfg.Rate == 0 {
		cfg.Rate = player.DefaultRate
	}
	if cfg.SkipFade == 0 {
		cfg.SkipFade = player.DefaultSkipFade
	}
	if cfg.CeilingDB == 0 {
		cfg.CeilingDB = player.DefaultCeilingDB
	}
	if !(cfg.CeilingDB >= MinCeilingDB && cfg.CeilingDB < 0) {
		return fail("ceiling %v dBFS: want %v…0 (not 0)", cfg.CeilingDB, MinCeilingDB)
	}
	if !(cfg.VolumeDB >= MinVolumeDB && cfg.VolumeDB <= 0) {
		return fail("volume %v dB: want %v…0", cfg.VolumeDB, MinVolumeDB)
	}
	if cfg.PatientMinDB == 0 && cfg.PatientMaxDB == 0 {
		cfg.PatientMinDB, cfg.PatientMaxDB = DefaultPatientMinDB, DefaultPatientMaxDB
	}
	if err := checkRange(cfg.PatientMinDB, cfg.PatientMaxDB); err != nil {
		return fail("%w", err)
	}
	names := map[string]bool{}
	for _, o := range cfg.Outputs {
		switch {
		case o.Name == "":
			return fail("an output without a name")
		case names[o.Name]:
			return fail("output %q configured twice", o.Name)
		case !(o.TrimDB <= player.MaxTrimDB):
			return fail("output %q: trim %v dB: must be at most %v dB", o.Name, o.TrimDB, player.MaxTrimDB)
		}
		names[o.Name] = true
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return nil
}

func checkRange(lo, hi float64) error {
	if !(lo >= MinVolumeDB && hi <= 0 && lo <= hi) {
		return fmt.Errorf("patient range %v…%v dB: want %v ≤ min ≤ max ≤ 0", lo, hi, MinVolumeDB)
	}
	return nil
}

// poke sends on a buffered-1 channel without blocking: one pending signal
// stands for any number.
func poke(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// Name is the room's name.
func (r *Room) Name() string { return r.cfg.Name }

// Run runs the room until ctx ends: the engine, the session runner (which
// first carries on the room's session that was live when attune stopped)
// and the loop that keeps State current. When ctx ends the music fades out
// over the pause fade, the outputs are closed and Run returns nil. It
// returns an error only when the room's live session could not be
// recovered (the room then stops too).
func (r *Room) Run(ctx context.Context) error {
	if !r.started.CompareAndSwap(false, true) {
		return fmt.Errorf("room %q: already ran", r.cfg.Name)
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	engDone, runDone, notDone := make(chan error, 1), make(chan error, 1), make(chan struct{})
	go func() { engDone <- r.eng.Run(runCtx) }()
	go func() { runDone <- r.runner.Run(runCtx) }()
	go func() { defer close(notDone); r.notifier(runCtx) }()

	r.loop(runCtx, runDone)
	cancel()
	err := <-runDone // names the room
	if err != nil && ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		err = nil // recovery cut short by the end: not a failure
	}
	if eerr := <-engDone; eerr != nil && err == nil {
		err = fmt.Errorf("room %q: %w", r.cfg.Name, eerr)
	}
	<-notDone
	return err
}

// Start starts a session of pl under prof in the room (ErrBusy from
// package session if it has one). The patient may no longer see titles.
// State reflects the new session when Start returns.
func (r *Room) Start(ctx context.Context, pl playlists.Playlist, prof playlists.Profile, who session.Who) error {
	if err := r.runner.Start(ctx, pl, prof, who); err != nil {
		return err
	}
	r.mu.Lock()
	r.set.showTitles = false
	r.mu.Unlock()
	return r.sync(ctx)
}

// Do applies cmd to the room's session (errors as package session's).
// State reflects it when Do returns.
func (r *Room) Do(ctx context.Context, cmd session.Command) error {
	if err := r.runner.Do(ctx, cmd); err != nil {
		return err
	}
	return r.sync(ctx)
}

// sync has the room's loop refresh and publish the state, and waits for it.
func (r *Room) sync(ctx context.Context) error {
	reply := make(chan struct{})
	select {
	case r.syncReq <- reply:
	case <-r.loopDone:
		return nil // the room stopped: its state no longer changes
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-reply:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ErrUnknownOutput is returned by SetTrim for an output the room does not
// have.
var ErrUnknownOutput = errors.New("no such output")

// SetTrim moves output's level to db (≤ 0 dB) at the slew limit. An
// output that is off keeps the trim for when the room is built again.
func (r *Room) SetTrim(ctx context.Context, output string, db float64) error {
	i := r.outputIndex(output)
	if i < 0 {
		return fmt.Errorf("room %q: trim of %q: %w", r.cfg.Name, output, ErrUnknownOutput)
	}
	if !(db <= player.MaxTrimDB && db >= MinVolumeDB) {
		return fmt.Errorf("room %q: trim of %q to %v dB: want %v…%v dB", r.cfg.Name, output, db, MinVolumeDB, player.MaxTrimDB)
	}
	r.ctlMu.Lock()
	defer r.ctlMu.Unlock()
	if !r.outs[i].off {
		if err := r.eng.SetTrim(ctx, output, db); err != nil {
			return fmt.Errorf("room %q: %w", r.cfg.Name, err)
		}
	}
	r.mu.Lock()
	r.set.trims[i] = db
	r.mu.Unlock()
	return r.sync(ctx)
}

// SetCeiling sets the room's peak ceiling to db in [-60, 0), never above
// the configured one.
func (r *Room) SetCeiling(ctx context.Context, db float64) error {
	if !(db >= MinCeilingDB && db < 0) {
		return fmt.Errorf("room %q: ceiling %v dBFS: want %v…0 (not 0)", r.cfg.Name, db, MinCeilingDB)
	}
	r.ctlMu.Lock()
	defer r.ctlMu.Unlock()
	if err := r.eng.SetCeiling(ctx, db); err != nil {
		return fmt.Errorf("room %q: %w", r.cfg.Name, err)
	}
	r.mu.Lock()
	r.set.ceiling = db
	r.mu.Unlock()
	return r.sync(ctx)
}

// SetPatientRange sets the range a patient's volume stays within, from the
// next command on (within [-80, 0], min ≤ max). It does not move the
// volume now.
func (r *Room) SetPatientRange(lo, hi float64) error {
	if err := checkRange(lo, hi); err != nil {
		return fmt.Errorf("room %q: %w", r.cfg.Name, err)
	}
	r.mu.Lock()
	r.set.pmin, r.set.pmax = lo, hi
	r.mu.Unlock()
	r.runner.SetLimits(r.limits())
	r.syncSettings()
	return nil
}

// SetShowTitles says whether the patient may see what plays; Start resets
// it to false.
func (r *Room) SetShowTitles(on bool) {
	r.mu.Lock()
	r.set.showTitles = on
	r.mu.Unlock()
	r.syncSettings()
}

// syncSettings publishes the settings a setter without a context changed:
// at once while the room runs (the loop answers within a store write), or
// when Run starts.
func (r *Room) syncSettings() {
	if r.started.Load() {
		_ = r.sync(context.Background()) // returns once the loop has ended
	}
}

func (r *Room) limits() session.Limits {
	r.mu.Lock()
	defer r.mu.Unlock()
	return session.Limits{PatientMinDB: r.set.pmin, PatientMaxDB: r.set.pmax, SkipFade: r.cfg.SkipFade}
}

func (r *Room) settings() settings {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.set
	s.trims = append([]float64(nil), s.trims...)
	return s
}

// Stream is the HTTP handler of the room's first stream output (an endless
// MP3 response per listener), or nil if the room has none.
func (r *Room) Stream() http.Handler {
	if r.stream == nil {
		return nil
	}
	return r.stream
}

// Listeners is how many listen to the room's streams now.
func (r *Room) Listeners() int {
	n := 0
	for _, o := range r.outs {
		if o.stream != nil {
			n += o.stream.Listeners()
		}
	}
	return n
}
