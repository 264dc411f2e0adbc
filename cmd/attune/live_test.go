package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"attune/media/mediatest"
	mstore "attune/media/store"
	"attune/player/session"
	sstore "attune/player/session/store"
	"attune/playlists"
	"attune/playlists/plstore"
)

// chirp is a generated track whose sound says what it is and where in it
// the music is: a sine sweeping up from F0 by chirpRate Hz per second.
type chirp struct {
	title string
	secs  int
	f0    float64
}

const (
	chirpRate   = 4.0  // Hz per second: one second of track is 4 Hz
	chirpInRate = 8000 // the files' rate
)

// liveChirps are the crash test's tracks: their bands (f0 to f0 + 4·secs)
// do not overlap, so a frequency names the track and the time in it.
func liveChirps() []chirp {
	return []chirp{{"A", 30, 300}, {"B", 50, 900}, {"C", 40, 1500}, {"D", 40, 2100}}
}

// chirpWAV is a mono 16-bit WAV of c, tagged "Chirp – TITLE".
func chirpWAV(c chirp) []byte {
	n := c.secs * chirpInRate
	b := mediatest.WAV(mediatest.Tone{SampleRate: chirpInRate, Channels: 1, BitDepth: 16, Samples: n,
		Tags: mediatest.Tags{Title: c.title, Artist: "Chirp"}})
	// The data chunk comes last: overwrite the tone with the sweep.
	data := b[len(b)-2*n:]
	for i := range n {
		t := float64(i) / chirpInRate
		v := 0.5 * math.Sin(2*math.Pi*(c.f0*t+chirpRate*t*t/2))
		binary.LittleEndian.PutUint16(data[2*i:], uint16(int16(math.Round(v*32767))))
	}
	return b
}

// liveConfig is the crash test's configuration: a four-minute route and a
// room, Cedar.
const liveConfig = `profiles:
  - name: crash
    onset: {min: 1m, max: 1m}
    effect: {min: 1m, max: 1m}
    return: {min: 1m, max: 1m}
    observe_until: 4m
rooms:
  - name: Cedar
    volume: -6
    patient_volume: {min: -20, max: 0}
    outputs: [{type: null}]
`

// liveLibrary imports the chirps and "Crash arc" over them into a fresh
// data folder and returns the --config flag to pass.
func liveLibrary(t *testing.T) []string {
	t.Helper()
	isolate(t)
	src := t.TempDir()
	t.Setenv("ATTUNE_DATA_DIR", filepath.Join(t.TempDir(), "data"))
	t.Setenv("ATTUNE_AUDIO_PAUSE_FADE", "500ms")
	for _, c := range liveChirps() {
		mediatest.WriteFile(t, src, c.title+".wav", chirpWAV(c))
	}
	if code, _, errOut := attune(t, "library", "add", src); code != exitOK {
		t.Fatalf("library add: exit %d: %s", code, errOut)
	}
	cfg := mediatest.WriteFile(t, t.TempDir(), "attune.yaml", []byte(liveConfig))
	file := mediatest.WriteFile(t, src, "crash.yaml", []byte(`name: Crash arc
profile: crash
phases:
  - role: settling
    crossfade: 2s
    fill: silence
    tracks: [{ref: Chirp – A, must_play: true}, {ref: Chirp – B, must_play: true}]
  - role: journey
    crossfade: 2s
    fill: loop
    tracks: [Chirp – C, Chirp – D]
  - role: integration
    crossfade: 2s
    fill: loop
    tracks: [Chirp – A]
`))
	if code, _, errOut := attune(t, "playlist", "import", "--config", cfg, file); code != exitOK {
		t.Fatalf("playlist import: exit %d: %s", code, errOut)
	}
	return []string{"--config", cfg}
}

// openSessions opens the sessions' store of the test's data folder.
func openSessions(t *testing.T) *sstore.Store {
	t.Helper()
	ctx := context.Background()
	db, err := mstore.OpenDB(ctx, dbPath(os.Getenv("ATTUNE_DATA_DIR")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	st, err := sstore.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// A live session steered from stdin: each command answered ok or error,
// stored and logged; `end` ends it and play exits 0; afterwards the room
// has nothing to carry on.
func TestRun_playSession(t *testing.T) {
	cfg := liveLibrary(t)
	out := filepath.Join(t.TempDir(), "live.wav")
	var stdout, stderr bytes.Buffer
	args := append([]string{"play", "--playlist", "Crash arc", "--room", "cedar", "--dose-now", "--speaker", "none", "--out", out}, cfg...)
	code := run(context.Background(), args,
		strings.NewReader("volume -20\nwobble\nextend journey 30s\njump nowhere\nquiet\nend\n"), &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr.String())
	}
	want := "ok\nerror: unknown command \"wobble\" (" + sessionCommandHelp + ")\nok\n" +
		"error: no phase \"nowhere\" (arrival, settling, journey, return, integration)\nerror: quiet takes on or off\nok\n"
	if got := stdout.String(); got != want {
		t.Errorf("answers:\n%s\nwant:\n%s", got, want)
	}
	st := openSessions(t)
	rs, err := st.List(context.Background(), 0)
	if err != nil || len(rs) != 1 {
		t.Fatalf("sessions %v, %v; want one", rs, err)
	}
	if r := rs[0]; r.Status != session.StatusEnded || r.Room != "Cedar" || r.VolumeDB != -20 || r.DosedAt.IsZero() {
		t.Errorf("stored session %+v; want ended in Cedar, dosed, at -20 dB", r)
	}
	es, err := st.Entries(context.Background(), rs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range es {
		if e.Kind != session.KindItem {
			kinds = append(kinds, e.Kind)
		}
	}
	if got, want := strings.Join(kinds, " "), "start dose volume extend end"; got != want {
		t.Errorf("log kinds %q, want %q", got, want)
	}

	// Nothing is live now: play --room has nothing to carry on.
	stderr.Reset()
	code = run(context.Background(), append([]string{"play", "--room", "Cedar", "--speaker", "none", "--out", out}, cfg...),
		strings.NewReader(""), &stdout, &stderr)
	if want := `room "Cedar" has no live session: nothing to play`; code != exitUsage || !strings.Contains(stderr.String(), want) {
		t.Errorf("play --room with nothing live: exit %d, stderr %q; want %d and %q", code, stderr.String(), exitUsage, want)
	}
}

func TestRun_playSessionUsage(t *testing.T) {
	cfg := liveLibrary(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--playlist", "Crash arc", "--timeline", "t.json"}, "give --playlist NAME"},
		{[]string{"--timeline", "t.json", "--dose-now"}, "give --playlist NAME"},
		{[]string{"--profile", "crash"}, "give --playlist NAME"},
		{[]string{"--playlist", "Nope", "--speaker", "none"}, `"Nope"`},
		{[]string{"--playlist", "Crash arc", "--profile", "oral", "--speaker", "none"}, `no profile "oral"`},
	} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), append(append([]string{"play"}, tc.args...), cfg...), strings.NewReader(""), &stdout, &stderr)
		if code != exitUsage || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("play %v: exit %d, stderr %q; want %d and %q", tc.args, code, stderr.String(), exitUsage, tc.want)
		}
	}
}

// A session whose observation ended while attune was down is closed as
// ended when attune starts again, and nothing plays.
func TestRun_playSessionEndedWhileDown(t *testing.T) {
	cfg := liveLibrary(t)
	ctx := context.Background()
	st := openSessions(t)
	lib, err := mstore.Open(ctx, dbPath(os.Getenv("ATTUNE_DATA_DIR")))
	if err != nil {
		t.Fatal(err)
	}
	defer lib.Close()
	pl := crashPlaylist(t, lib)
	tracks, err := loadPlaylistTracks(ctx, lib, pl)
	if err != nil {
		t.Fatal(err)
	}
	prof := playlists.Profile{Name: "crash", Onset: playlists.Window{Min: time.Minute, Max: time.Minute},
		Effect: playlists.Window{Min: time.Minute, Max: time.Minute}, Return: playlists.Window{Min: time.Minute, Max: time.Minute},
		ObserveUntil: 4 * time.Minute}
	// Dosed ten minutes ago, in a four-minute route.
	then := time.Now().Add(-10 * time.Minute)
	c, _, first, err := session.New("Cedar", pl, prof, tracks, session.Limits{PatientMinDB: -20, SkipFade: time.Second}, -6, cliWho(), then)
	if err != nil {
		t.Fatal(err)
	}
	id, err := st.Create(ctx, c.Record(), first)
	if err != nil {
		t.Fatal(err)
	}
	c.SetID(id)
	_, dose, err := c.Apply(session.Command{Kind: session.KindDose, Who: cliWho()}, then)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Save(ctx, c.Record(), dose); err != nil {
		t.Fatal(err)
	}

	var stdout, stderr bytes.Buffer
	code := run(ctx, append([]string{"play", "--room", "Cedar", "--speaker", "none", "--out", filepath.Join(t.TempDir(), "x.wav")}, cfg...),
		strings.NewReader(""), &stdout, &stderr)
	if want := "observation ended while attune was down"; code != exitOK || !strings.Contains(stderr.String(), want) {
		t.Errorf("exit %d, stderr:\n%s\nwant 0 and %q", code, stderr.String(), want)
	}
	r, err := st.Get(ctx, id)
	if err != nil || r.Status != session.StatusEnded {
		t.Errorf("stored status %q (%v), want ended", r.Status, err)
	}
	es, _ := st.Entries(ctx, id)
	if last := es[len(es)-1]; last.Kind != session.KindEnd || !strings.Contains(last.Detail, "while attune was down") {
		t.Errorf("last entry %+v, want the end while attune was down", last)
	}
}

// crashPlaylist is "Crash arc" as stored.
func crashPlaylist(t *testing.T, lib *mstore.Store) playlists.Playlist {
	t.Helper()
	pls, err := plstore.Open(context.Background(), lib.DB())
	if err != nil {
		t.Fatal(err)
	}
	stored, err := pls.Get(context.Background(), "Crash arc")
	if err != nil {
		t.Fatal(err)
	}
	return stored.Playlist
}

// The session ends by itself when observation is over, and play exits 0.
func TestRun_playSessionObservationEnds(t *testing.T) {
	cfg := liveLibrary(t)
	var stdout, stderr bytes.Buffer
	// Dosed 3m59s ago on a four-minute route: a second left.
	code := run(context.Background(), append([]string{"play", "--playlist", "Crash arc", "--room", "Cedar", "--speaker", "none",
		"--out", filepath.Join(t.TempDir(), "x.wav")}, cfg...), strings.NewReader("dose 3m59s\n"), &stdout, &stderr)
	if code != exitOK || stdout.String() != "ok\n" {
		t.Fatalf("exit %d, stdout %q; want 0 and ok; stderr:\n%s", code, stdout.String(), stderr.String())
	}
	st := openSessions(t)
	es, err := st.Entries(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if last := es[len(es)-1]; last.Kind != session.KindEnd || last.Detail != "observation ended" || last.Clock < 4*time.Minute {
		t.Errorf("last entry %+v, want the end of observation at +04:00 or after", last)
	}
}
