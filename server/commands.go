package server

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"attune/player/session"
	"attune/playlists"
	"attune/playlists/plstore"
	"attune/server/auth"
)

// Command is one control command (docs/protocol.md), from a WebSocket
// message or POST /api/rooms/{room}/commands.
type Command struct {
	ID   string          `json:"id,omitempty"`
	Type string          `json:"type"`
	Room string          `json:"room,omitempty"`
	Args json.RawMessage `json:"args,omitempty"`
	// origin is where the caller connected (scheme://host): pairing URLs
	// are built on it unless Deps.PairURL is set.
	origin string
}

// who may send a command.
type who uint8

const (
	whoAnyone  who = iota // any signed-in caller
	whoPatient            // staff, or the room's patient
	whoStaff              // admin or therapist
	whoAdmin              // admin
)

// commandWho says who may send a command type; ok is false for a type the
// protocol does not know.
func commandWho(typ string) (w who, ok bool) {
	switch typ {
	case "ping":
		return whoAnyone, true
	case "pause", "resume", "skip", "softer", "louder", "quiet":
		return whoPatient, true
	case "start", "dose", "onset", "extend", "shorten", "jump", "volume", "output_volume",
		"patient_range", "titles", "pair", "end":
		return whoStaff, true
	case "ceiling":
		return whoAdmin, true
	}
	return 0, false
}

// Patient volume steps (softer/louder), dB.
const volumeStep = 3

// PairResult is the pair command's result.
type PairResult struct {
	Code    string    `json:"code"`
	Expires time.Time `json:"expires"`
	URL     string    `json:"url"` // the pairing page
	QR      string    `json:"qr"`  // a PNG data URL of URL?code=CODE
}

// exec authorises and carries out one command for c: the one place both
// the WebSocket and the HTTP API do so. It returns the command's result
// (nil for most) or the protocol error.
func (s *Server) exec(ctx context.Context, c Caller, cmd Command) (res any, e *Error) {
	begin := time.Now()
	w, known := commandWho(cmd.Type)
	defer func() {
		label := cmd.Type
		if !known {
			label = "unknown" // bounded label values
		}
		s.d.Metrics.Commands.WithLabelValues(label).Observe(time.Since(begin).Seconds())
	}()
	if !known {
		return nil, errorf(CodeUnknownType, "unknown command type %q", cmd.Type)
	}
	if c.Anonymous() {
		return nil, errorf(CodeUnauthorized, "sign in first")
	}
	switch {
	case w == whoPatient && (c.Staff() || c.Role == auth.Patient),
		w == whoStaff && c.Staff(),
		w == whoAdmin && c.Role == auth.Admin,
		w == whoAnyone:
	default:
		return nil, errorf(CodeForbidden, "a %s may not %s", roleName(c.Role), cmd.Type)
	}
	if cmd.Type == "ping" {
		return nil, decodeArgs(cmd.Args, &struct{}{})
	}
	id := cmd.Room
	if c.Role == auth.Patient {
		if id == "" {
			id = c.Room
		}
		if id != c.Room {
			return nil, errorf(CodeForbidden, "a patient may only control its own room")
		}
	}
	if id == "" {
		return nil, errorf(CodeBadRequest, "room: want a room id")
	}
	r := s.room(id)
	if r == nil {
		return nil, errorf(CodeNotFound, "no room %q", id)
	}
	rc := roomCmd{s: s, r: r, id: id, c: c, cmd: cmd, who: session.Who{Role: string(c.Role), Device: c.Device}}
	res, e = rc.run(ctx)
	if e == nil {
		s.hub.roomChanged(id) // also for settings the room may not announce itself
	}
	return res, e
}

// roomCmd is one command on one room.
type roomCmd struct {
	s   *Server
	r   Room
	id  string
	c   Caller
	cmd Command
	who session.Who
}

// Arguments of the commands; pointers tell a missing argument from a zero.
type (
	noArgs    struct{}
	startArgs struct {
		Playlist *string `json:"playlist"`
		Profile  string  `json:"profile"`
		// OnsetMS and EffectMS place the planned onset and the effect's
		// length within the profile's windows, as the preview did.
		OnsetMS  *int64 `json:"onset_ms"`
		EffectMS *int64 `json:"effect_ms"`
	}
	doseArgs struct {
		BackS int `json:"back_s"`
	}
	extendArgs struct {
		Phase *playlists.Role `json:"phase"`
		ByS   *int            `json:"by_s"`
	}
	jumpArgs struct {
		Phase *playlists.Role `json:"phase"`
	}
	dbArgs struct {
		DB *float64 `json:"db"`
	}
	onArgs struct {
		On *bool `json:"on"`
	}
	outputArgs struct {
		Output *string  `json:"output"`
		DB     *float64 `json:"db"`
	}
	rangeArgs struct {
		MinDB *float64 `json:"min_db"`
		MaxDB *float64 `json:"max_db"`
	}
	endArgs struct {
		Why string `json:"why"`
	}
)

func (rc roomCmd) run(ctx context.Context) (any, *Error) {
	switch rc.cmd.Type {
	case "start":
		var a startArgs
		if e := rc.args(&a); e != nil {
			return nil, e
		}
		if a.Playlist == nil || *a.Playlist == "" {
			return nil, errorf(CodeBadRequest, "playlist: want a playlist's name")
		}
		return nil, rc.s.startSession(ctx, rc.r, a, rc.who)
	case "dose":
		var a doseArgs
		if e := rc.args(&a); e != nil {
			return nil, e
		}
		if a.BackS < 0 || a.BackS > int(session.MaxBackdate/time.Second) {
			return nil, errorf(CodeBadRequest, "back_s: want 0…%d, got %d", int(session.MaxBackdate/time.Second), a.BackS)
		}
		return rc.do(ctx, session.Command{Kind: session.KindDose, Back: time.Duration(a.BackS) * time.Second})
	case "onset", "pause", "resume", "skip":
		if e := rc.args(&noArgs{}); e != nil {
			return nil, e
		}
		return rc.do(ctx, session.Command{Kind: rc.cmd.Type}) // the same names as session's Kinds
	case "extend", "shorten":
		var a extendArgs
		if e := rc.args(&a); e != nil {
			return nil, e
		}
		if e := checkPhase(a.Phase); e != nil {
			return nil, e
		}
		if a.ByS == nil || *a.ByS < 1 || *a.ByS > 7200 {
			return nil, errorf(CodeBadRequest, "by_s: want 1…7200 seconds")
		}
		return rc.do(ctx, session.Command{Kind: rc.cmd.Type, Phase: *a.Phase, By: time.Duration(*a.ByS) * time.Second})
	case "jump":
		var a jumpArgs
		if e := rc.args(&a); e != nil {
			return nil, e
		}
		if e := checkPhase(a.Phase); e != nil {
			return nil, e
		}
		return rc.do(ctx, session.Command{Kind: session.KindJump, Phase: *a.Phase})
	case "softer", "louder":
		if e := rc.args(&noArgs{}); e != nil {
			return nil, e
		}
		step := float64(volumeStep)
		if rc.cmd.Type == "softer" {
			step = -step
		}
		return rc.do(ctx, session.Command{Kind: session.KindVolume, DB: step, Relative: true})
	case "volume":
		db, e := rc.db(-80, 0)
		if e != nil {
			return nil, e
		}
		return rc.do(ctx, session.Command{Kind: session.KindVolume, DB: db})
	case "quiet":
		on, e := rc.on()
		if e != nil {
			return nil, e
		}
		return rc.do(ctx, session.Command{Kind: session.KindQuiet, On: on})
	case "titles":
		on, e := rc.on()
		if e != nil {
			return nil, e
		}
		rc.r.SetShowTitles(on)
		return nil, nil
	case "output_volume":
		return nil, rc.outputVolume(ctx)
	case "patient_range":
		var a rangeArgs
		if e := rc.args(&a); e != nil {
			return nil, e
		}
		if e := checkRange(a.MinDB, a.MaxDB); e != nil {
			return nil, e
		}
		return nil, rc.err(rc.r.SetPatientRange(*a.MinDB, *a.MaxDB))
	case "ceiling":
		db, e := rc.db(-60, 0)
		if e != nil {
			return nil, e
		}
		if db == 0 {
			return nil, errorf(CodeBadRequest, "db: want -60 up to below 0 dB: a ceiling leaves headroom")
		}
		return nil, rc.err(rc.r.SetCeiling(ctx, db))
	case "pair":
		if e := rc.args(&noArgs{}); e != nil {
			return nil, e
		}
		return rc.s.pairTablet(ctx, rc.r, rc.id, rc.cmd.origin)
	case "end":
		return nil, rc.end(ctx)
	}
	return nil, errorf(CodeUnknownType, "unknown command type %q", rc.cmd.Type) // commandWho and run disagree
}

// args decodes the command's arguments strictly.
func (rc roomCmd) args(v any) *Error { return decodeArgs(rc.cmd.Args, v) }

func decodeArgs(raw json.RawMessage, v any) *Error {
	if len(raw) == 0 || string(raw) == "null" {
		raw = json.RawMessage("{}")
	}
	if e := decodeStrict(raw, v); e != nil {
		return errorf(CodeBadRequest, "args: %s", e.Message)
	}
	return nil
}

// db decodes a required db argument within [lo, hi].
func (rc roomCmd) db(lo, hi float64) (float64, *Error) {
	var a dbArgs
	if e := rc.args(&a); e != nil {
		return 0, e
	}
	if a.DB == nil || *a.DB < lo || *a.DB > hi {
		return 0, errorf(CodeBadRequest, "db: want %g…%g dB", lo, hi)
	}
	return *a.DB, nil
}

// on decodes a required boolean on argument.
func (rc roomCmd) on() (bool, *Error) {
	var a onArgs
	if e := rc.args(&a); e != nil {
		return false, e
	}
	if a.On == nil {
		return false, errorf(CodeBadRequest, "on: want true or false")
	}
	return *a.On, nil
}

func (rc roomCmd) outputVolume(ctx context.Context) *Error {
	var a outputArgs
	if e := rc.args(&a); e != nil {
		return e
	}
	if a.Output == nil {
		return errorf(CodeBadRequest, "output: want an output's name")
	}
	if a.DB == nil || *a.DB < -60 || *a.DB > 0 {
		return errorf(CodeBadRequest, "db: want -60…0 dB")
	}
	if e := rc.s.checkOutput(rc.r, *a.Output); e != nil {
		return e
	}
	return rc.err(rc.r.SetTrim(ctx, *a.Output, *a.DB))
}

// end ends the room's session, and with it the tablets' pairings (after
// their grace period).
func (rc roomCmd) end(ctx context.Context) *Error {
	var a endArgs
	if e := rc.args(&a); e != nil {
		return e
	}
	if len(a.Why) > 500 {
		return errorf(CodeBadRequest, "why: want at most 500 bytes")
	}
	var sid int64
	if ss := rc.r.State().Session; ss != nil {
		sid = ss.ID
	}
	if _, e := rc.do(ctx, session.Command{Kind: session.KindEnd, Why: a.Why}); e != nil {
		return e
	}
	if sid != 0 {
		if err := rc.s.d.Auth.EndSession(ctx, rc.id, sid); err != nil {
			// The session has ended; the tablets' tokens expire with their
			// grant's own lifetime. Worth an operator's look, not a failed end.
			rc.s.d.Log.Error("expire the tablets' pairings", "room", rc.id, "session", sid, "err", err)
		}
	}
	return nil
}

// do hands a session command to the room.
func (rc roomCmd) do(ctx context.Context, sc session.Command) (any, *Error) {
	sc.Who = rc.who
	return nil, rc.err(rc.r.Do(ctx, sc))
}

// err turns the room's error into a protocol error naming the command and
// the room.
func (rc roomCmd) err(err error) *Error {
	if err == nil {
		return nil
	}
	return rc.s.commandError(fmt.Sprintf("%s in %q", rc.cmd.Type, rc.r.Name()), err)
}

// commandError maps the errors of the stores a command touches besides
// those toError knows.
func (s *Server) commandError(what string, err error) *Error {
	switch {
	case errors.Is(err, plstore.ErrNotFound):
		return errorf(CodeNotFound, "%s: %v", what, err)
	case errors.Is(err, playlists.ErrInvalid):
		return errorf(CodeBadRequest, "%s: %v", what, err)
	}
	return s.toError(what, fmt.Errorf("%s: %w", what, err))
}

// phases are the phases extend, shorten and jump name: those with a
// boundary on the drug clock.
func checkPhase(p *playlists.Role) *Error {
	ok := []playlists.Role{playlists.RoleSettling, playlists.RoleJourney, playlists.RoleReturn, playlists.RoleIntegration}
	if p == nil || !slices.Contains(ok, *p) {
		return errorf(CodeBadRequest, "phase: want settling, journey, return or integration")
	}
	return nil
}

func checkRange(lo, hi *float64) *Error {
	if lo == nil || hi == nil || *lo < -80 || *hi > 0 || *lo > *hi {
		return errorf(CodeBadRequest, "min_db, max_db: want -80 ≤ min_db ≤ max_db ≤ 0")
	}
	return nil
}

// checkOutput reports an output the room does not have.
func (s *Server) checkOutput(r Room, name string) *Error {
	for _, o := range r.State().Outputs {
		if o.Name == name {
			return nil
		}
	}
	return errorf(CodeNotFound, "%q has no output %q", r.Name(), name)
}

// startSession sets up a session of the named playlist in r, with the named
// profile or the playlist's own.
func (s *Server) startSession(ctx context.Context, r Room, a startArgs, who session.Who) *Error {
	what := fmt.Sprintf("start in %q", r.Name())
	playlist, profile := *a.Playlist, a.Profile
	if s.d.Playlists == nil {
		return errorf(CodeUnavailable, "%s: no playlist store", what)
	}
	pl, err := s.d.Playlists.Get(ctx, playlist)
	if err != nil {
		return s.commandError(what, err)
	}
	if profile == "" {
		profile = pl.Profile
	}
	if profile == "" {
		profile = playlists.DefaultProfile
	}
	prof, ok := s.liveProfile(profile)
	if !ok {
		return errorf(CodeNotFound, "%s: no profile %q", what, profile)
	}
	prof, e := plannedProfile(prof, a.OnsetMS, a.EffectMS)
	if e != nil {
		return e
	}
	if err := r.Start(ctx, pl, prof, who); err != nil {
		return s.commandError(what, err)
	}
	return nil
}

// pairTablet makes a one-time pairing code for the room's tablet, bound to the
// room's session (0: none yet).
func (s *Server) pairTablet(ctx context.Context, r Room, id, origin string) (*PairResult, *Error) {
	var sid int64
	if ss := r.State().Session; ss != nil && ss.Status != string(session.StatusEnded) {
		sid = ss.ID
	}
	code, exp, err := s.d.Auth.NewPairingCode(ctx, id, sid)
	if err != nil {
		return nil, s.commandError(fmt.Sprintf("pair in %q", r.Name()), err)
	}
	page := s.d.PairURL
	if page == "" {
		page = origin + "/pair"
	}
	u, err := url.Parse(page)
	if err != nil {
		return nil, s.toError("pairing URL", fmt.Errorf("parse %q: %w", page, err))
	}
	q := u.Query()
	q.Set("code", code)
	u.RawQuery = q.Encode()
	png, err := qrcode.Encode(u.String(), qrcode.Medium, 256)
	if err != nil {
		return nil, s.toError("pairing QR code", fmt.Errorf("encode %q: %w", u, err))
	}
	return &PairResult{Code: code, Expires: exp, URL: page,
		QR: "data:image/png;base64," + base64.StdEncoding.EncodeToString(png)}, nil
}
