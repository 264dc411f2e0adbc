package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"attune/config"
	mstore "attune/media/store"
	sstore "attune/player/session/store"
	"attune/playlists/plstore"
)

// cardsText is /proc/asound/cards on a machine with two cards.
const cardsText = ` 0 [PCH            ]: HDA-Intel - HDA Intel PCH
                      HDA Intel PCH at 0xf7f10000 irq 32
 1 [Device         ]: USB-Audio - USB Audio Device
                      Generic USB Audio Device at usb-0000:00:14.0-2, full speed
`

// fakeMachine has the given sound cards (text of /proc/asound/cards, ""
// for none) and opens speakers with speakerErr.
func fakeMachine(t testing.TB, cards string, speakerErr error) machine {
	t.Helper()
	file := filepath.Join(t.TempDir(), "cards")
	if cards != "" {
		if err := os.WriteFile(file, []byte(cards), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return machine{
		cardsFile:   file,
		openSpeaker: func(string, int) error { return speakerErr },
		openEncoder: func(int) error { return nil },
	}
}

// doctorConfig loads a configuration with data_dir in a temp dir, listening
// on a free port, plus flags (key → value) and an optional config file.
func doctorConfig(t testing.TB, flags map[string]string, file string) *config.Loaded {
	t.Helper()
	root := t.TempDir()
	o := config.Options{WorkDir: root, Home: root, Dirs: []string{}, NumCPU: 2,
		Flags: map[string]string{"data_dir": filepath.Join(root, "data"), "server.listen": "127.0.0.1:0"}}
	for _, k := range config.Keys() {
		if os.Getenv(k.Env()) != "" {
			t.Setenv(k.Env(), "")
		}
	}
	for k, v := range flags {
		o.Flags[k] = v
	}
	if file != "" {
		o.File = filepath.Join(root, "attune.yaml")
		if err := os.WriteFile(o.File, []byte(file), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	l, err := config.Load(o)
	if err != nil {
		t.Fatalf("config.Load: %v", err)
	}
	return l
}

// runDoctor runs the checks and returns the number of problems and the
// output, checking that every line is a finding or the summary.
func runDoctor(t testing.TB, l *config.Loaded, m machine) (int, string) {
	t.Helper()
	var buf bytes.Buffer
	d := doctor{w: &buf, machine: m}
	n := d.run(context.Background(), l, nil)
	out := buf.String()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	for _, line := range lines[:len(lines)-1] {
		if !strings.HasPrefix(line, "ok       ") && !strings.HasPrefix(line, "problem  ") {
			t.Errorf("line %q is neither ok nor problem", line)
		}
		if strings.HasPrefix(line, "problem") && !strings.Contains(line, " — ") {
			t.Errorf("problem %q does not say what to do", line)
		}
	}
	if got := strings.Count(out, "\nproblem  ") + map[bool]int{true: 1}[strings.HasPrefix(out, "problem  ")]; got != n {
		t.Errorf("run returned %d problems, output has %d:\n%s", n, got, out)
	}
	return n, out
}

// wantLine checks that out has a line starting with status that contains
// every one of parts.
func wantLine(t testing.TB, out, status string, parts ...string) {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, status+" ") {
			continue
		}
		all := true
		for _, p := range parts {
			all = all && strings.Contains(line, p)
		}
		if all {
			return
		}
	}
	t.Errorf("no %q line with %q in:\n%s", status, parts, out)
}

func TestDoctor_AllFine(t *testing.T) {
	l := doctorConfig(t, nil, "")
	// A database as attune leaves it: every owner's tables.
	ctx := context.Background()
	db, err := mstore.OpenDB(ctx, dbPath(l.Config.DataDir))
	if err != nil {
		t.Fatal(err)
	}
	st, err := mstore.Open(ctx, dbPath(l.Config.DataDir))
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	if _, err := plstore.Open(ctx, db); err != nil {
		t.Fatal(err)
	}
	if _, err := sstore.Open(ctx, db); err != nil {
		t.Fatal(err)
	}
	db.Close()

	n, out := runDoctor(t, l, fakeMachine(t, cardsText, nil))
	if n != 0 {
		t.Errorf("%d problems, want 0:\n%s", n, out)
	}
	wantLine(t, out, "ok", "configuration: no config file")
	wantLine(t, out, "ok", "data dir "+l.Config.DataDir, "exists and is writable")
	wantLine(t, out, "ok", "database", "schema versions: media ", "playlists ", "sessions ", "0 tracks, 0 playlists, 0 sessions")
	wantLine(t, out, "ok", "library dir", "does not exist yet")
	wantLine(t, out, "ok", "sound cards: card 0 PCH (HDA-Intel - HDA Intel PCH); card 1 Device (USB-Audio - USB Audio Device)")
	wantLine(t, out, "ok", `room "Room 1" speaker "speaker" on ALSA device "default" opens`)
	wantLine(t, out, "ok", "listen address 127.0.0.1:0 is free")
	if !strings.HasSuffix(out, "all fine\n") {
		t.Errorf("output does not end in %q:\n%s", "all fine", out)
	}
	// The doctor changes nothing: no library dir appears.
	if _, err := os.Stat(l.Config.Library.Dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("library dir after doctor: %v, want it still absent", err)
	}
}

func TestDoctor_FreshDataDirIsCreatedNot(t *testing.T) {
	l := doctorConfig(t, nil, "")
	n, out := runDoctor(t, l, fakeMachine(t, "", errors.New("no such card")))
	if n != 0 {
		t.Errorf("%d problems, want 0:\n%s", n, out)
	}
	wantLine(t, out, "ok", "data dir", "does not exist yet: attune creates it on first use")
	wantLine(t, out, "ok", "database", "does not exist yet")
	wantLine(t, out, "ok", "sound cards: none found")
	wantLine(t, out, "ok", `room "Room 1" speaker`, "no sound card: rooms play to their streams only")
	if _, err := os.Stat(l.Config.DataDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("data dir after doctor: %v, want it still absent", err)
	}
}

func TestDoctor_DataDirUnusable(t *testing.T) {
	root := t.TempDir()
	file := filepath.Join(root, "a-file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Run("a file", func(t *testing.T) {
		n, out := runDoctor(t, doctorConfig(t, map[string]string{"data_dir": file}, ""), fakeMachine(t, "", nil))
		if n == 0 {
			t.Errorf("no problem reported:\n%s", out)
		}
		wantLine(t, out, "problem", "data dir "+file+" is not a folder", "set data_dir")
	})
	t.Run("under a file", func(t *testing.T) {
		dir := filepath.Join(file, "data")
		n, out := runDoctor(t, doctorConfig(t, map[string]string{"data_dir": dir}, ""), fakeMachine(t, "", nil))
		if n == 0 {
			t.Errorf("no problem reported:\n%s", out)
		}
		wantLine(t, out, "problem", "data dir "+dir+" does not exist and cannot be created", "is a file, not a folder")
	})
	t.Run("read-only", func(t *testing.T) {
		if os.Geteuid() == 0 {
			t.Skip("root writes to a read-only folder: permissions cannot be tested as root")
		}
		dir := filepath.Join(root, "ro")
		if err := os.Mkdir(dir, 0o500); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(dir, 0o700) })
		n, out := runDoctor(t, doctorConfig(t, map[string]string{"data_dir": dir}, ""), fakeMachine(t, "", nil))
		if n == 0 {
			t.Errorf("no problem reported:\n%s", out)
		}
		wantLine(t, out, "problem", "data dir "+dir+" is not writable", "permission denied")
	})
}

func TestDoctor_DamagedDatabase(t *testing.T) {
	l := doctorConfig(t, nil, "")
	if err := os.MkdirAll(l.Config.DataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dbPath(l.Config.DataDir), bytes.Repeat([]byte("not a database "), 100), 0o600); err != nil {
		t.Fatal(err)
	}
	n, out := runDoctor(t, l, fakeMachine(t, "", nil))
	if n != 1 {
		t.Errorf("%d problems, want 1:\n%s", n, out)
	}
	wantLine(t, out, "problem", "database "+dbPath(l.Config.DataDir), "restore it from a backup")
}

func TestDoctor_PortInUse(t *testing.T) {
	for _, tc := range []struct {
		name    string
		status  int
		want    string
		wantBad bool
	}{
		{"another program", http.StatusNotFound, "is in use by another program", true},
		{"attune", http.StatusOK, "attune is already running there", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/healthz" {
					http.NotFound(w, r)
					return
				}
				w.WriteHeader(tc.status)
			}))
			defer srv.Close()
			addr := srv.Listener.Addr().String()
			n, out := runDoctor(t, doctorConfig(t, map[string]string{"server.listen": addr}, ""), fakeMachine(t, "", nil))
			if got := n > 0; got != tc.wantBad {
				t.Errorf("problems %d, want some: %v\n%s", n, tc.wantBad, out)
			}
			status := map[bool]string{true: "problem", false: "ok"}[tc.wantBad]
			wantLine(t, out, status, "listen address "+addr, tc.want)
		})
	}
	t.Run("not HTTP", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		done := make(chan struct{})
		go func() { // closes every connection at once: no HTTP here
			defer close(done)
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				c.Close()
			}
		}()
		addr := ln.Addr().String()
		n, out := runDoctor(t, doctorConfig(t, map[string]string{"server.listen": addr}, ""), fakeMachine(t, "", nil))
		ln.Close()
		<-done
		if n != 1 {
			t.Errorf("%d problems, want 1:\n%s", n, out)
		}
		wantLine(t, out, "problem", "listen address "+addr+" is in use by another program", "server.listen")
	})
}

func TestDoctor_Speakers(t *testing.T) {
	rooms := "rooms:\n  - name: Oak\n    outputs:\n      - {type: speaker, device: 'hw:1,0'}\n" +
		"      - {name: phones, type: speaker, device: 'hw:2,0', optional: true}\n"
	openErr := errors.New(`alsa: open "hw:1,0": Device or resource busy`)
	t.Run("no card", func(t *testing.T) {
		n, out := runDoctor(t, doctorConfig(t, nil, rooms), fakeMachine(t, "", openErr))
		if n != 1 {
			t.Errorf("%d problems, want 1 (the required speaker):\n%s", n, out)
		}
		wantLine(t, out, "problem", `room "Oak" speaker "speaker" on ALSA device "hw:1,0" does not open`, "busy", "optional: true")
		wantLine(t, out, "ok", `room "Oak" speaker "phones"`, "no sound card: rooms play to their streams only")
	})
	t.Run("cards but the device fails", func(t *testing.T) {
		n, out := runDoctor(t, doctorConfig(t, nil, rooms), fakeMachine(t, cardsText, openErr))
		if n != 2 {
			t.Errorf("%d problems, want 2:\n%s", n, out)
		}
		wantLine(t, out, "problem", `speaker "phones"`, "it is optional", "aplay -L")
	})
}

func TestDoctor_EncoderMissing(t *testing.T) {
	m := fakeMachine(t, "", nil)
	m.openEncoder = func(int) error { return errors.New("stream: load MP3 encoder: libmp3lame.so.0 not found") }
	n, out := runDoctor(t, doctorConfig(t, nil, ""), m)
	if n != 1 {
		t.Errorf("%d problems, want 1:\n%s", n, out)
	}
	wantLine(t, out, "problem", "MP3 encoder", "libmp3lame.so.0 not found", "install libmp3lame0")
}

func TestDoctor_TLS(t *testing.T) {
	root := t.TempDir()
	cert, key := filepath.Join(root, "cert.pem"), filepath.Join(root, "key.pem")
	for _, f := range []string{cert, key} {
		if err := os.WriteFile(f, []byte("not PEM"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	l := doctorConfig(t, map[string]string{"server.tls_cert": cert, "server.tls_key": key}, "")
	n, out := runDoctor(t, l, fakeMachine(t, "", nil))
	if n != 1 {
		t.Errorf("%d problems, want 1:\n%s", n, out)
	}
	wantLine(t, out, "problem", "TLS certificate "+cert, "do not load")
}

func TestSoundCards(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		text string
		want []string
	}{
		{cardsText, []string{"card 0 PCH (HDA-Intel - HDA Intel PCH)", "card 1 Device (USB-Audio - USB Audio Device)"}},
		{"--- no soundcards ---\n", nil},
		{"", nil},
	} {
		f := filepath.Join(dir, "cards")
		if err := os.WriteFile(f, []byte(tc.text), 0o644); err != nil {
			t.Fatal(err)
		}
		if got := soundCards(f); strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("soundCards(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
	if got := soundCards(filepath.Join(dir, "missing")); got != nil {
		t.Errorf("soundCards(missing file) = %q, want none", got)
	}
}

func TestRun_doctor(t *testing.T) {
	isolate(t)
	t.Setenv("ATTUNE_SERVER_LISTEN", "127.0.0.1:0")
	code, out, _ := attune(t, "doctor")
	// The machine decides whether all is fine (a sound card, LAME); the
	// configuration and the port are fine whatever it has.
	if code != exitOK && code != exitFailure {
		t.Errorf("doctor: exit %d, want 0 or 1", code)
	}
	wantLine(t, out, "ok", "configuration: no config file")
	wantLine(t, out, "ok", "listen address 127.0.0.1:0 is free")

	// A configuration that does not load is a problem in the same words.
	t.Setenv("ATTUNE_SERVER_LISTEN", "8480")
	code, out, _ = attune(t, "doctor")
	if code != exitFailure {
		t.Errorf("doctor with a bad server.listen: exit %d, want %d", code, exitFailure)
	}
	wantLine(t, out, "problem", "configuration: config: server.listen", "a bare port", "fix the value named")
}
