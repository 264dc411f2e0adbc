package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"attune/media"
	"attune/player/room"
	"attune/player/session"
	sessstore "attune/player/session/store"
	"attune/playlists"
	"attune/playlists/plfile"
	"attune/playlists/plstore"
	"attune/server/auth"
)

// Fakes of the stores the library, playlist, plan and session-record routes
// drive (prefixed api… so as not to clash with the other test files' fakes).

// apiTokens are the bearer tokens apiFakeAuth knows.
const (
	apiAdminToken     = "admin-token"
	apiTherapistToken = "therapist-token"
)

// apiFakeAuth knows an admin and a therapist by bearer token.
type apiFakeAuth struct{ Auth }

func (apiFakeAuth) Session(_ context.Context, token string) (auth.User, error) {
	switch token {
	case apiAdminToken:
		return auth.User{Name: "ada", Role: auth.Admin}, nil
	case apiTherapistToken:
		return auth.User{Name: "theo", Role: auth.Therapist}, nil
	}
	return auth.User{}, auth.ErrNotFound
}

func (apiFakeAuth) Patient(context.Context, string) (auth.Grant, error) {
	return auth.Grant{}, auth.ErrNotFound
}

// apiFakeRoom is a room whose state is set by the test.
type apiFakeRoom struct {
	Room
	name string
	mu   sync.Mutex // protects st
	st   room.State
}

func (r *apiFakeRoom) Name() string { return r.name }
func (r *apiFakeRoom) State() room.State {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.st
}
func (r *apiFakeRoom) setState(st room.State) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.st = st
}

// apiFakeLibrary is an in-memory library; Import "imports" files whose
// content starts with "AUDIO", rejects the rest, and reports a file whose
// content was seen before as existing.
type apiFakeLibrary struct {
	incoming string
	maxFile  int64
	mu       sync.Mutex // protects the fields below
	tracks   map[string]media.Track
	art      map[string][]byte
	uses     map[string][]string
	imported []Upload // what Import was given, and the files' content at the time
	contents map[string]string
	deleted  []string
}

func newAPIFakeLibrary(tb testing.TB) *apiFakeLibrary {
	tb.Helper()
	return &apiFakeLibrary{incoming: filepath.Join(tb.TempDir(), "incoming"), tracks: map[string]media.Track{},
		art: map[string][]byte{}, uses: map[string][]string{}, contents: map[string]string{}}
}

func (l *apiFakeLibrary) add(t media.Track) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.tracks[t.ID] = t
}

func (l *apiFakeLibrary) MaxFileSize() int64 { return l.maxFile }

func (l *apiFakeLibrary) Tracks(_ context.Context, q TrackQuery) ([]media.Track, int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []media.Track
	for _, t := range l.tracks {
		if q.Text != "" && !strings.Contains(strings.ToLower(t.Info.Tags.Title), strings.ToLower(q.Text)) {
			continue
		}
		if q.Instrumental != "" && t.Curation.Instrumental != q.Instrumental {
			continue
		}
		if q.Intensity != 0 && t.Curation.Intensity != q.Intensity {
			continue
		}
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b media.Track) int { return strings.Compare(a.Info.Tags.Title, b.Info.Tags.Title) })
	if q.Desc {
		slices.Reverse(out)
	}
	total := len(out)
	out = out[min(q.Offset, len(out)):]
	out = out[:min(q.Limit, len(out))]
	return out, total, nil
}

func (l *apiFakeLibrary) Track(_ context.Context, id string) (media.Track, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	t, ok := l.tracks[id]
	if !ok {
		return media.Track{}, fmt.Errorf("track %s: %w", id, media.ErrNotFound)
	}
	return t, nil
}

func (l *apiFakeLibrary) Artwork(_ context.Context, id string) ([]byte, string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if b, ok := l.art[id]; ok {
		return b, "image/png", nil
	}
	return nil, "", fmt.Errorf("artwork of %s: %w", id, media.ErrNotFound)
}

func (l *apiFakeLibrary) SetCuration(_ context.Context, id string, c media.Curation) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	t, ok := l.tracks[id]
	if !ok {
		return media.ErrNotFound
	}
	t.Curation = c
	l.tracks[id] = t
	return nil
}

func (l *apiFakeLibrary) Import(_ context.Context, files []Upload) ([]media.Result, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []media.Result
	for _, f := range files {
		b, err := os.ReadFile(f.Path)
		if err != nil {
			return nil, err
		}
		l.imported = append(l.imported, f)
		res := media.Result{Path: f.Path}
		id := fmt.Sprintf("%024x", len(b))
		switch {
		case !bytes.HasPrefix(b, []byte("AUDIO")):
			res.Status, res.Error = media.StatusRejected, "not an audio file attune plays"
		case l.contents[string(b)] != "":
			res.Status, res.ID = media.StatusExists, l.contents[string(b)]
		default:
			l.contents[string(b)] = id
			l.tracks[id] = media.Track{ID: id, Info: media.Info{Tags: media.Tags{Title: f.Name}}}
			res.Status, res.ID = media.StatusAdded, id
		}
		out = append(out, res)
	}
	// The real import reports in completion order, not upload order.
	slices.Reverse(out)
	return out, nil
}

func (l *apiFakeLibrary) Uses(_ context.Context, id string) ([]string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.uses[id], nil
}

func (l *apiFakeLibrary) Delete(_ context.Context, id string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.tracks[id]; !ok {
		return media.ErrNotFound
	}
	delete(l.tracks, id)
	l.deleted = append(l.deleted, id)
	return nil
}

func (l *apiFakeLibrary) Incoming() string { return l.incoming }

// apiFakePlaylists keeps playlists in a map; entries must name tracks of
// lib.
type apiFakePlaylists struct {
	lib *apiFakeLibrary
	mu  sync.Mutex // protects pls
	pls map[string]playlists.Playlist
}

func (p *apiFakePlaylists) List(context.Context) ([]PlaylistSummary, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []PlaylistSummary
	for _, pl := range p.pls {
		out = append(out, PlaylistSummary{Name: pl.Name, Profile: pl.Profile, Phases: len(pl.Phases), Length: 90 * time.Second})
	}
	return out, nil
}

func (p *apiFakePlaylists) Get(_ context.Context, name string) (playlists.Playlist, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pl, ok := p.pls[name]
	if !ok {
		return pl, fmt.Errorf("get playlist %q: %w", name, plstore.ErrNotFound)
	}
	return pl, nil
}

func (p *apiFakePlaylists) Save(ctx context.Context, pl playlists.Playlist) error {
	if err := pl.Validate(); err != nil {
		return err
	}
	var refs []plfile.Unresolved
	for i, ph := range pl.Phases {
		for j, e := range ph.Tracks {
			if _, err := p.lib.Track(ctx, e.Track); err != nil {
				refs = append(refs, plfile.Unresolved{Phase: i + 1, Role: ph.Role, Index: j + 1, Ref: e.Track, Err: plfile.ErrNotFound})
			}
		}
	}
	if refs != nil {
		return &plfile.UnresolvedError{Refs: refs}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pls[pl.Name] = pl
	return nil
}

func (p *apiFakePlaylists) Delete(_ context.Context, name string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.pls[name]; !ok {
		return plstore.ErrNotFound
	}
	delete(p.pls, name)
	return nil
}

func (p *apiFakePlaylists) Import(ctx context.Context, format, name string, r io.Reader) (playlists.Playlist, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return playlists.Playlist{}, err
	}
	doc, err := plfile.Parse(data, plfile.Format(format), "")
	if err != nil {
		return playlists.Playlist{}, err
	}
	if name != "" {
		doc.Name = name
	}
	pl, _, err := doc.Resolve(ctx, apiResolver{p.lib}, false)
	if err != nil {
		return playlists.Playlist{}, err
	}
	return pl, p.Save(ctx, pl)
}

type apiResolver struct{ lib *apiFakeLibrary }

func (r apiResolver) Resolve(ctx context.Context, ref string) (string, error) {
	if _, err := r.lib.Track(ctx, ref); err != nil {
		return "", plfile.ErrNotFound
	}
	return ref, nil
}

func (p *apiFakePlaylists) Export(ctx context.Context, name, format string, w io.Writer) error {
	pl, err := p.Get(ctx, name)
	if err != nil {
		return err
	}
	return plfile.Encode(ctx, w, pl, plfile.Format(format), nil)
}

// Tracks gives every track of the library a duration from its stream.
func (p *apiFakePlaylists) Tracks(ctx context.Context, pl playlists.Playlist) (playlists.Tracks, error) {
	m := playlists.TrackMap{}
	for _, ph := range pl.Phases {
		for _, e := range ph.Tracks {
			t, err := p.lib.Track(ctx, e.Track)
			if err != nil {
				return nil, fmt.Errorf("%w: %w", playlists.ErrInvalid, err)
			}
			m[e.Track] = playlists.TrackInfo{Duration: t.Info.Stream.Duration()}
		}
	}
	return m, nil
}

// apiFakeSessions holds records and their logs.
type apiFakeSessions struct {
	recs    []session.Record
	entries map[int64][]session.Entry
}

func (s *apiFakeSessions) List(_ context.Context, limit int) ([]session.Record, error) {
	return s.recs[:min(limit, len(s.recs))], nil
}

func (s *apiFakeSessions) Get(_ context.Context, id int64) (session.Record, error) {
	for _, r := range s.recs {
		if r.ID == id {
			return r, nil
		}
	}
	return session.Record{}, fmt.Errorf("get session %d: %w", id, sessstore.ErrNotFound)
}

func (s *apiFakeSessions) Entries(_ context.Context, id int64) ([]session.Entry, error) {
	return s.entries[id], nil
}

// apiEnv is a server over the fakes, served by httptest.
type apiEnv struct {
	srv  *httptest.Server
	lib  *apiFakeLibrary
	pls  *apiFakePlaylists
	ses  *apiFakeSessions
	room *apiFakeRoom
	done chan struct{} // receives once per request when its handler returned
}

func newAPIEnv(tb testing.TB, tweak ...func(*Deps)) *apiEnv {
	tb.Helper()
	lib := newAPIFakeLibrary(tb)
	e := &apiEnv{
		lib:  lib,
		pls:  &apiFakePlaylists{lib: lib, pls: map[string]playlists.Playlist{}},
		ses:  &apiFakeSessions{entries: map[int64][]session.Entry{}},
		room: &apiFakeRoom{name: "Room 1"},
		done: make(chan struct{}, 64),
	}
	d := Deps{Rooms: []Room{e.room}, Auth: apiFakeAuth{}, Library: lib, Playlists: e.pls, Sessions: e.ses,
		MaxUpload: 1 << 20}
	for _, f := range tweak {
		f(&d)
	}
	s, err := New(d)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	h := s.Handler()
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			select {
			case e.done <- struct{}{}:
			default:
			}
		}()
		h.ServeHTTP(w, r)
	}))
	tb.Cleanup(e.srv.Close)
	return e
}

// do sends a request with token and returns the status and body.
func (e *apiEnv) do(tb testing.TB, token, method, path string, body io.Reader, contentType string) (int, []byte, http.Header) {
	tb.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, body)
	if err != nil {
		tb.Fatalf("new request: %v", err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return resp.StatusCode, b, resp.Header
}

// send sends v as JSON (a string is sent as it is) as the therapist.
func (e *apiEnv) send(tb testing.TB, method, path string, v any) (int, []byte) {
	tb.Helper()
	var body io.Reader
	switch v := v.(type) {
	case nil:
	case string:
		body = strings.NewReader(v)
	default:
		b, err := json.Marshal(v)
		if err != nil {
			tb.Fatalf("marshal: %v", err)
		}
		body = bytes.NewReader(b)
	}
	st, b, _ := e.do(tb, apiTherapistToken, method, path, body, "application/json")
	return st, b
}

// apiWantError checks an error reply's status and code.
func apiWantError(tb testing.TB, what string, status int, body []byte, wantStatus int, wantCode string) {
	tb.Helper()
	var got struct {
		Error Error `json:"error"`
	}
	if err := json.Unmarshal(body, &got); err != nil {
		tb.Fatalf("%s: body %q: %v", what, body, err)
	}
	if status != wantStatus || got.Error.Code != wantCode {
		tb.Errorf("%s: got %d %q (%s), want %d %q", what, status, got.Error.Code, got.Error.Message, wantStatus, wantCode)
	}
}

// apiDecode unmarshals body into v.
func apiDecode(tb testing.TB, body []byte, v any) {
	tb.Helper()
	if err := json.Unmarshal(body, v); err != nil {
		tb.Fatalf("decode %q: %v", body, err)
	}
}

// apiTrack is a library track of the given length.
func apiTrack(id, title string, d time.Duration) media.Track {
	return media.Track{ID: id, Path: "/music/" + id + ".flac",
		Info: media.Info{
			Stream: media.Stream{Format: media.FormatFLAC, SampleRate: 48000, Channels: 2, BitDepth: 24, Samples: int64(d.Seconds() * 48000)},
			Tags:   media.Tags{Title: title, Artist: "Attune Demo"},
		},
		Curation: media.Curation{Instrumental: media.InstrumentalYes, Intensity: 2},
		AddedAt:  time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)}
}
