package server

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"attune/media"
	"attune/player/room"
	"attune/player/session"
	sessionstore "attune/player/session/store"
	"attune/playlists"
	"attune/playlists/plstore"
	"attune/server/auth"
)

// The fakes below stand for every dependency of the server in the role
// matrix and the account tests. They are in-memory and keep the domain's
// rules that the server relies on (unknown names, the last admin, one-use
// codes); everything else succeeds.

// matrixPassword is every fake user's password.
const matrixPassword = "correct horse battery"

// matrixAuth is an in-memory Auth. mu protects every field.
type matrixAuth struct {
	mu       sync.Mutex
	now      func() time.Time
	users    map[string]auth.User
	pass     map[string]string // name → password
	logins   map[string]string // token → user name
	patients map[string]auth.Grant
	codes    map[string]auth.Grant // unused pairing codes
	setup    string                // the one-time setup token; "" when none
	ended    []string              // "room/session" of EndSession calls
}

var _ Auth = (*matrixAuth)(nil)

func newMatrixAuth(now func() time.Time) *matrixAuth {
	return &matrixAuth{
		now:      now,
		users:    map[string]auth.User{},
		pass:     map[string]string{},
		logins:   map[string]string{},
		patients: map[string]auth.Grant{},
		codes:    map[string]auth.Grant{},
	}
}

func matrixToken() string { return rand.Text() }

// mintLogin signs name in without a password, for a test's caller.
func (a *matrixAuth) mintLogin(name string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	t := matrixToken()
	a.logins[t] = name
	return t
}

// mintPatient pairs a tablet to roomName without a code.
func (a *matrixAuth) mintPatient(roomName string, sessionID int64) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	t := matrixToken()
	a.patients[t] = auth.Grant{Room: roomName, SessionID: sessionID, Expires: a.now().Add(time.Hour)}
	return t
}

// loggedIn reports whether token is a live login.
func (a *matrixAuth) loggedIn(token string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	_, ok := a.logins[token]
	return ok
}

func (a *matrixAuth) hasUser(name string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	_, ok := a.users[name]
	return ok
}

func (a *matrixAuth) password(name string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.pass[name]
}

func (a *matrixAuth) newSetupToken() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.setup = matrixToken()
	return a.setup
}

func (a *matrixAuth) Login(_ context.Context, name, password, _ string) (string, auth.User, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	u, ok := a.users[name]
	if !ok || a.pass[name] != password {
		return "", auth.User{}, auth.ErrBadLogin
	}
	t := matrixToken()
	a.logins[t] = name
	return t, u, nil
}

func (a *matrixAuth) Session(_ context.Context, token string) (auth.User, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	name, ok := a.logins[token]
	if !ok {
		return auth.User{}, auth.ErrNotFound
	}
	u, ok := a.users[name]
	if !ok {
		return auth.User{}, auth.ErrNotFound
	}
	return u, nil
}

func (a *matrixAuth) Logout(_ context.Context, token string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.logins[token]; !ok {
		return auth.ErrNotFound
	}
	delete(a.logins, token)
	return nil
}

func (a *matrixAuth) SetupToken(context.Context) (string, bool, error) {
	return a.newSetupToken(), true, nil
}

// Setup checks only the token: the matrix keeps an admin throughout, and
// "no admin yet" is the real store's rule, not the server's.
func (a *matrixAuth) Setup(ctx context.Context, token, name, password string) error {
	a.mu.Lock()
	ok := a.setup != "" && token == a.setup
	if ok {
		a.setup = ""
	}
	a.mu.Unlock()
	if !ok {
		return auth.ErrBadCode
	}
	return a.AddUser(ctx, name, auth.Admin, password)
}

func (a *matrixAuth) AddUser(_ context.Context, name string, role auth.Role, password string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(password) < 10 {
		return fmt.Errorf("%w: at least 10 characters", auth.ErrWeakPassword)
	}
	if _, ok := a.users[name]; ok {
		return fmt.Errorf("user %q: %w", name, auth.ErrExists)
	}
	a.users[name] = auth.User{Name: name, Role: role, Created: a.now()}
	a.pass[name] = password
	return nil
}

func (a *matrixAuth) SetPassword(_ context.Context, name, password string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.users[name]; !ok {
		return fmt.Errorf("user %q: %w", name, auth.ErrNotFound)
	}
	if len(password) < 10 {
		return fmt.Errorf("%w: at least 10 characters", auth.ErrWeakPassword)
	}
	a.pass[name] = password
	return nil
}

func (a *matrixAuth) DeleteUser(_ context.Context, name string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	u, ok := a.users[name]
	if !ok {
		return fmt.Errorf("user %q: %w", name, auth.ErrNotFound)
	}
	if u.Role == auth.Admin {
		admins := 0
		for _, v := range a.users {
			if v.Role == auth.Admin {
				admins++
			}
		}
		if admins == 1 {
			return fmt.Errorf("user %q: %w", name, auth.ErrLastAdmin)
		}
	}
	delete(a.users, name)
	delete(a.pass, name)
	for t, n := range a.logins {
		if n == name {
			delete(a.logins, t)
		}
	}
	return nil
}

func (a *matrixAuth) Users(context.Context) ([]auth.User, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]auth.User, 0, len(a.users))
	for _, u := range a.users {
		out = append(out, u)
	}
	slices.SortFunc(out, func(x, y auth.User) int { return strings.Compare(x.Name, y.Name) })
	return out, nil
}

func (a *matrixAuth) NewPairingCode(_ context.Context, roomName string, sessionID int64) (string, time.Time, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	code := fmt.Sprintf("%06d", len(a.codes)+len(a.patients)+100000)
	exp := a.now().Add(10 * time.Minute)
	a.codes[code] = auth.Grant{Room: roomName, SessionID: sessionID, Expires: exp}
	return code, exp, nil
}

// Pair grants a tablet the code's room for an hour (a fake's choice).
func (a *matrixAuth) Pair(_ context.Context, code, _ string) (string, auth.Grant, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	g, ok := a.codes[code]
	if !ok {
		return "", auth.Grant{}, auth.ErrBadCode
	}
	delete(a.codes, code)
	g.Expires = a.now().Add(time.Hour)
	t := matrixToken()
	a.patients[t] = g
	return t, g, nil
}

func (a *matrixAuth) Patient(_ context.Context, token string) (auth.Grant, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	g, ok := a.patients[token]
	if !ok {
		return auth.Grant{}, auth.ErrNotFound
	}
	if !a.now().Before(g.Expires) {
		return auth.Grant{}, auth.ErrExpired
	}
	return g, nil
}

func (a *matrixAuth) EndSession(_ context.Context, roomName string, sessionID int64) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.ended = append(a.ended, fmt.Sprintf("%s/%d", roomName, sessionID))
	return nil
}

// matrixRoom is a Room that records what it is told and reports a running
// session. mu protects the fields below it.
type matrixRoom struct {
	name string
	mu   sync.Mutex
	cmds []string // command kinds and setter calls, in order
}

var _ Room = (*matrixRoom)(nil)

func (r *matrixRoom) record(what string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cmds = append(r.cmds, what)
}

func (r *matrixRoom) Name() string { return r.name }

func (r *matrixRoom) State() room.State {
	return room.State{
		Room: r.name, At: time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC), Engine: "playing",
		VolumeDB: -12, CeilingDB: -1, PatientMinDB: -30, PatientMaxDB: -6,
		Outputs: []room.OutputState{
			{Name: "speakers", Type: "speaker", Status: "ok"},
			{Name: "headphones", Type: "stream", TrimDB: -3, Status: "ok"},
		},
		Session: &room.SessionState{
			ID: 7, Playlist: "Gentle", Profile: "intranasal", Status: string(session.StatusRunning),
			Created: time.Date(2026, 11, 29, 9, 50, 0, 0, time.UTC), Clock: 5 * time.Minute,
			Phase: string(playlists.RoleSettling), Boundaries: matrixProfile().Planned(),
		},
	}
}

func (r *matrixRoom) Start(_ context.Context, pl playlists.Playlist, prof playlists.Profile, _ session.Who) error {
	r.record("start " + pl.Name + " " + prof.Name)
	return nil
}

func (r *matrixRoom) Do(_ context.Context, cmd session.Command) error {
	r.record(cmd.Kind)
	return nil
}

func (r *matrixRoom) SetTrim(_ context.Context, output string, _ float64) error {
	if output != "speakers" && output != "headphones" {
		return fmt.Errorf("room %q has no output %q: %w", r.name, output, session.ErrBadArgs)
	}
	r.record("trim " + output)
	return nil
}

func (r *matrixRoom) SetCeiling(context.Context, float64) error { r.record("ceiling"); return nil }
func (r *matrixRoom) SetPatientRange(float64, float64) error    { r.record("range"); return nil }
func (r *matrixRoom) SetShowTitles(bool)                        { r.record("titles") }

func (r *matrixRoom) Stream() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "audio/mpeg")
		_, _ = w.Write([]byte{0xff, 0xfb, 0x90, 0x64}) // one MP3 frame header, then the "stream" ends
	})
}

func matrixProfile() playlists.Profile { return playlists.DefaultProfiles()[0] }

// matrixPlaylist is a small valid arc over the fake library's tracks.
func matrixPlaylist(name string) playlists.Playlist {
	ph := func(r playlists.Role, ids ...string) playlists.Phase {
		p := playlists.Phase{Role: r}
		for _, id := range ids {
			p.Tracks = append(p.Tracks, playlists.Entry{Track: id})
		}
		return p
	}
	return playlists.Playlist{Name: name, Profile: "intranasal", Phases: []playlists.Phase{
		ph(playlists.RoleSettling, "t1"), ph(playlists.RoleJourney, "t2", "t3"),
		ph(playlists.RoleReturn, "t1"), ph(playlists.RoleIntegration, "t2"),
	}}
}

// matrixLibrary is an in-memory Library. mu protects tracks.
type matrixLibrary struct {
	incoming string
	mu       sync.Mutex
	tracks   map[string]media.Track
}

var _ Library = (*matrixLibrary)(nil)

func newMatrixLibrary(incoming string) *matrixLibrary {
	l := &matrixLibrary{incoming: incoming, tracks: map[string]media.Track{}}
	for _, id := range []string{"t1", "t2", "t3"} {
		l.add(id)
	}
	return l
}

func (l *matrixLibrary) add(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	t := media.Track{ID: id, Path: "/music/" + id + ".flac", AddedAt: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
	t.Info.Tags.Title = "Track " + id
	t.Info.Stream.SampleRate, t.Info.Stream.Samples = 48000, 8*60*48000
	l.tracks[id] = t
}

func (l *matrixLibrary) Tracks(context.Context, TrackQuery) ([]media.Track, int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]media.Track, 0, len(l.tracks))
	for _, t := range l.tracks {
		out = append(out, t)
	}
	slices.SortFunc(out, func(x, y media.Track) int { return strings.Compare(x.ID, y.ID) })
	return out, len(out), nil
}

func (l *matrixLibrary) Track(_ context.Context, id string) (media.Track, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	t, ok := l.tracks[id]
	if !ok {
		return media.Track{}, fmt.Errorf("track %q: %w", id, media.ErrNotFound)
	}
	return t, nil
}

func (l *matrixLibrary) Artwork(ctx context.Context, id string) ([]byte, string, error) {
	if _, err := l.Track(ctx, id); err != nil {
		return nil, "", err
	}
	return []byte("\x89PNG\r\n\x1a\n"), "image/png", nil
}

func (l *matrixLibrary) SetCuration(ctx context.Context, id string, c media.Curation) error {
	_, err := l.Track(ctx, id)
	return err
}

func (l *matrixLibrary) Import(_ context.Context, files []Upload) ([]media.Result, error) {
	out := make([]media.Result, 0, len(files))
	for i, f := range files {
		id := fmt.Sprintf("up%d", i)
		l.add(id)
		out = append(out, media.Result{Path: f.Name, ID: id, Status: media.StatusAdded})
	}
	return out, nil
}

func (l *matrixLibrary) Uses(context.Context, string) ([]string, error) { return nil, nil }

func (l *matrixLibrary) Delete(_ context.Context, id string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.tracks[id]; !ok {
		return fmt.Errorf("track %q: %w", id, media.ErrNotFound)
	}
	delete(l.tracks, id)
	return nil
}

func (l *matrixLibrary) Incoming() string { return l.incoming }

// matrixPlaylists is an in-memory Playlists. mu protects pls.
type matrixPlaylists struct {
	mu  sync.Mutex
	pls map[string]playlists.Playlist
}

var _ Playlists = (*matrixPlaylists)(nil)

func newMatrixPlaylists() *matrixPlaylists {
	return &matrixPlaylists{pls: map[string]playlists.Playlist{"Gentle": matrixPlaylist("Gentle")}}
}

func (p *matrixPlaylists) add(name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pls[name] = matrixPlaylist(name)
}

func (p *matrixPlaylists) List(context.Context) ([]PlaylistSummary, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []PlaylistSummary
	for _, pl := range p.pls {
		out = append(out, PlaylistSummary{Name: pl.Name, Profile: pl.Profile, Phases: len(pl.Phases), Tracks: 5})
	}
	slices.SortFunc(out, func(x, y PlaylistSummary) int { return strings.Compare(x.Name, y.Name) })
	return out, nil
}

func (p *matrixPlaylists) Get(_ context.Context, name string) (playlists.Playlist, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pl, ok := p.pls[name]
	if !ok {
		return playlists.Playlist{}, fmt.Errorf("playlist %q: %w", name, plstore.ErrNotFound)
	}
	return pl, nil
}

func (p *matrixPlaylists) Save(_ context.Context, pl playlists.Playlist) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pls[pl.Name] = pl
	return nil
}

func (p *matrixPlaylists) Delete(_ context.Context, name string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.pls[name]; !ok {
		return fmt.Errorf("playlist %q: %w", name, plstore.ErrNotFound)
	}
	delete(p.pls, name)
	return nil
}

func (p *matrixPlaylists) Import(_ context.Context, _, name string, r io.Reader) (playlists.Playlist, error) {
	if _, err := io.Copy(io.Discard, r); err != nil {
		return playlists.Playlist{}, err
	}
	p.add(name)
	return p.Get(context.Background(), name)
}

func (p *matrixPlaylists) Export(ctx context.Context, name, format string, w io.Writer) error {
	if _, err := p.Get(ctx, name); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "# %s as %s\n", name, format)
	return err
}

func (p *matrixPlaylists) Tracks(context.Context, playlists.Playlist) (playlists.Tracks, error) {
	return playlists.TrackMap{
		"t1": {Duration: 8 * time.Minute}, "t2": {Duration: 8 * time.Minute}, "t3": {Duration: 8 * time.Minute},
	}, nil
}

// matrixSessions holds one ended session record with a short log.
type matrixSessions struct{}

var _ Sessions = matrixSessions{}

func (matrixSessions) record() session.Record {
	t0 := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	return session.Record{
		ID: 1, Room: "Room A", Playlist: matrixPlaylist("Gentle"), Profile: matrixProfile(),
		Status: session.StatusEnded, Created: t0, DosedAt: t0.Add(5 * time.Minute), Ended: t0.Add(125 * time.Minute),
		Boundaries: matrixProfile().Planned(),
	}
}

func (m matrixSessions) List(context.Context, int) ([]session.Record, error) {
	return []session.Record{m.record()}, nil
}

func (m matrixSessions) Get(_ context.Context, id int64) (session.Record, error) {
	if id != 1 {
		return session.Record{}, fmt.Errorf("session %d: %w", id, sessionstore.ErrNotFound)
	}
	return m.record(), nil
}

func (m matrixSessions) Entries(_ context.Context, id int64) ([]session.Entry, error) {
	r, err := m.Get(context.Background(), id)
	if err != nil {
		return nil, err
	}
	return []session.Entry{
		{Seq: 1, Session: r.ID, Wall: r.Created, Role: "therapist", Device: "browser", Kind: session.KindStart},
		{Seq: 2, Session: r.ID, Wall: r.DosedAt, Dosed: true, Role: "therapist", Device: "browser", Kind: session.KindDose},
		{Seq: 3, Session: r.ID, Wall: r.Ended, Clock: 120 * time.Minute, Dosed: true, Role: "system", Kind: session.KindEnd},
	}, nil
}
