package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"attune/config"
	"attune/media/decode"
	mstore "attune/media/store"
	"attune/player/output"
	"attune/player/stream"
)

// doctorCommand is `attune doctor`: a health check in plain words, one line
// per finding, "ok" or "problem" with what to do. It changes nothing: it
// creates no data dir and no database and runs no migrations.
func doctorCommand() *command {
	return &command{
		name:        "doctor",
		summary:     "check the configuration, data, database, audio and port, in plain words",
		configErrOK: true,
		run: func(ctx context.Context, e *env, _ any, args []string) int {
			if len(args) > 0 {
				fmt.Fprintln(e.stderr, "attune doctor: takes no arguments")
				return exitUsage
			}
			d := doctor{w: e.stdout, machine: systemMachine()}
			if d.run(ctx, e.cfg, e.cfgErr) > 0 {
				return exitFailure
			}
			return exitOK
		},
	}
}

// machine is what the doctor asks of the machine, replaced in tests.
type machine struct {
	// cardsFile lists the ALSA sound cards (/proc/asound/cards).
	cardsFile string
	// openSpeaker opens and closes an ALSA device for playback.
	openSpeaker func(device string, rate int) error
	// openEncoder makes and closes an MP3 stream encoder.
	openEncoder func(rate int) error
}

func systemMachine() machine {
	return machine{
		cardsFile: "/proc/asound/cards",
		openSpeaker: func(device string, rate int) error {
			a, err := output.NewALSA(device, rate)
			if err != nil {
				return err
			}
			return a.Close()
		},
		openEncoder: func(rate int) error {
			s, err := stream.New(stream.Config{SampleRate: rate})
			if err != nil {
				return err
			}
			return s.Close()
		},
	}
}

// doctor runs the checks and prints their findings.
type doctor struct {
	w        io.Writer
	machine  machine
	problems int
}

func (d *doctor) ok(format string, args ...any) {
	fmt.Fprintf(d.w, "ok       %s\n", fmt.Sprintf(format, args...))
}

// problem prints what is wrong and, after " — ", what to do about it.
func (d *doctor) problem(what, todo string) {
	d.problems++
	fmt.Fprintf(d.w, "problem  %s — %s\n", what, todo)
}

// run checks everything and returns the number of problems found. A
// configuration that does not load stops the checks: all others depend on it.
func (d *doctor) run(ctx context.Context, l *config.Loaded, cfgErr error) int {
	if cfgErr != nil {
		d.problem(fmt.Sprintf("configuration: %v", cfgErr),
			"fix the value named (attune config prints the effective configuration; docs/configuration.md lists the keys)")
		return d.problems
	}
	if l.File != "" {
		d.ok("configuration: %s is valid", l.File)
	} else {
		d.ok("configuration: no config file, built-in defaults and the environment (attune.yaml in ./, ~/.config/attune or /etc/attune would be read)")
	}
	c := l.Config
	dataOK := d.checkDir("data dir", c.DataDir, "data_dir")
	d.checkDatabase(ctx, dbPath(c.DataDir), dataOK)
	d.checkDir("library dir", c.Library.Dir, "library.dir")
	for _, w := range c.Library.Watch {
		d.checkWatch(w)
	}
	d.checkDecoders(c.Audio.SampleRate)
	d.checkAudio(c.Rooms, c.Audio.SampleRate)
	d.checkTLS(c.Server)
	d.checkListen(ctx, c.Server)
	if d.problems == 0 {
		fmt.Fprintln(d.w, "all fine")
	} else {
		fmt.Fprintf(d.w, "%d problem(s)\n", d.problems)
	}
	return d.problems
}

// checkDir checks that dir exists and is writable, or can be created (by
// what attune does on first start), and reports whether it is usable.
func (d *doctor) checkDir(what, dir, key string) bool {
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR):
		parent, perr := existingParent(dir)
		if perr != nil {
			d.problem(fmt.Sprintf("%s %s does not exist and cannot be created (%v)", what, dir, perr),
				fmt.Sprintf("create it, or set %s to a folder this user can write", key))
			return false
		}
		if err := writable(parent); err != nil {
			d.problem(fmt.Sprintf("%s %s does not exist and %s is not writable (%v)", what, dir, parent, describePathError(err)),
				fmt.Sprintf("create it for the user attune runs as, or set %s", key))
			return false
		}
		d.ok("%s %s does not exist yet: attune creates it on first use", what, dir)
		return true
	case err != nil:
		d.problem(fmt.Sprintf("%s %s cannot be read (%v)", what, dir, describePathError(err)),
			fmt.Sprintf("check the permissions of its parent folders, or set %s", key))
		return false
	case !fi.IsDir():
		d.problem(fmt.Sprintf("%s %s is not a folder", what, dir),
			fmt.Sprintf("move the file away, or set %s to a folder", key))
		return false
	}
	if err := writable(dir); err != nil {
		d.problem(fmt.Sprintf("%s %s is not writable (%v)", what, dir, describePathError(err)),
			fmt.Sprintf("make it writable for the user attune runs as (chown), or set %s", key))
		return false
	}
	d.ok("%s %s exists and is writable", what, dir)
	return true
}

// existingParent returns the nearest ancestor of dir that exists, which
// must be a folder.
func existingParent(dir string) (string, error) {
	for p := filepath.Dir(dir); ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err == nil {
			if !fi.IsDir() {
				return "", fmt.Errorf("%s is a file, not a folder", p)
			}
			return p, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", describePathError(err)
		}
		if p == filepath.Dir(p) {
			return "", errors.New("no parent folder exists")
		}
	}
}

// writable tries to create and remove a file in dir: permission bits, ACLs,
// read-only mounts and systemd's ProtectSystem all show the same way.
func writable(dir string) error {
	f, err := os.CreateTemp(dir, ".attune-doctor-*")
	if err != nil {
		return err
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

func (d *doctor) checkWatch(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		d.problem(fmt.Sprintf("watched folder %s cannot be read (%v)", dir, describePathError(err)),
			"mount or create it, give this user read access, or remove it from library.watch")
		return
	}
	d.ok("watched folder %s is readable (%d entries)", dir, len(entries))
}

// checkDatabase opens an existing database without migrating it and
// reports each owner's schema version and what it holds.
func (d *doctor) checkDatabase(ctx context.Context, path string, dataOK bool) {
	if !dataOK {
		return // the data dir's problem says it all
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		d.ok("database %s does not exist yet: attune creates it on first start", path)
		return
	}
	db, err := mstore.OpenDB(ctx, path)
	if err != nil {
		d.problem(fmt.Sprintf("database %s does not open (%v)", path, err),
			"check that the data dir is writable and the file is an attune database; restore it from a backup if it is damaged")
		return
	}
	defer db.Close()
	var check string
	if err := db.QueryRowContext(ctx, `PRAGMA quick_check`).Scan(&check); err != nil || check != "ok" {
		d.problem(fmt.Sprintf("database %s is damaged (quick_check: %s%v)", path, check, errOrNil(err)),
			"stop attune and restore the database from a backup")
		return
	}
	versions, err := schemaVersions(ctx, db)
	if err != nil {
		d.problem(fmt.Sprintf("database %s: cannot read its schema versions (%v)", path, err),
			"is this an attune database? restore it from a backup")
		return
	}
	var counts []string
	for _, t := range []struct{ table, what string }{{"tracks", "tracks"}, {"playlists", "playlists"}, {"sessions", "sessions"}} {
		n, err := countRows(ctx, db, t.table)
		switch {
		case err != nil:
			d.problem(fmt.Sprintf("database %s: cannot count %s (%v)", path, t.what, err), "restore the database from a backup")
			return
		case n >= 0:
			counts = append(counts, fmt.Sprintf("%d %s", n, t.what))
		}
	}
	if len(versions) == 0 {
		versions = []string{"none yet"}
	}
	if len(counts) == 0 {
		counts = []string{"no tables yet"}
	}
	d.ok("database %s opens; schema versions: %s; %s", path, strings.Join(versions, ", "), strings.Join(counts, ", "))
}

func errOrNil(err error) any {
	if err == nil {
		return ""
	}
	return err
}

// schemaVersions lists "owner N" for each owner in schema_migrations
// (media, playlists, sessions…), none for a database not yet migrated.
func schemaVersions(ctx context.Context, db *sql.DB) ([]string, error) {
	if n, err := countRows(ctx, db, "schema_migrations"); err != nil || n < 0 {
		return nil, err
	}
	rows, err := db.QueryContext(ctx, `SELECT owner, version FROM schema_migrations ORDER BY owner`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var owner string
		var v int
		if err := rows.Scan(&owner, &v); err != nil {
			return nil, err
		}
		out = append(out, fmt.Sprintf("%s %d", owner, v))
	}
	return out, rows.Err()
}

// countRows counts the rows of table, or returns -1 if there is no such
// table (its owner has not migrated yet).
func countRows(ctx context.Context, db *sql.DB, table string) (int, error) {
	var exists int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?`, table).Scan(&exists); err != nil {
		return 0, err
	}
	if exists == 0 {
		return -1, nil
	}
	var n int
	// table is one of the doctor's own constants, never user input.
	err := db.QueryRowContext(ctx, `SELECT count(*) FROM "`+table+`"`).Scan(&n)
	return n, err
}

// checkDecoders reports the native decoders found and whether the MP3
// encoder of the room streams loads.
func (d *doctor) checkDecoders(rate int) {
	o, err := decode.NewOpener()
	found := fmt.Sprintf("MP3 by %s, FLAC by %s, Ogg Vorbis by %s", o.MP3Decoder(), o.FLACDecoder(), o.OggDecoder())
	if err != nil {
		// The pure-Go decoders play everything; they cost more CPU.
		d.ok("decoders: %s (some in pure Go, which plays all the same at several times the CPU: %v; install libmpg123-0, libsndfile1, libvorbisfile3 for the native ones)",
			found, strings.ReplaceAll(err.Error(), "\n", "; "))
	} else {
		d.ok("decoders: %s (native)", found)
	}
	if err := d.machine.openEncoder(rate); err != nil {
		d.problem(fmt.Sprintf("MP3 encoder for the room streams: %v", err),
			"install libmp3lame0 (apt install libmp3lame0): without it no room can stream to the tablets and browsers")
		return
	}
	d.ok("MP3 encoder for the room streams: %s loads", "LAME")
}

// soundCards lists the ALSA cards in file (/proc/asound/cards): lines like
// " 0 [PCH            ]: HDA-Intel - HDA Intel PCH".
func soundCards(file string) []string {
	f, err := os.Open(file)
	if err != nil {
		return nil
	}
	defer f.Close()
	var cards []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		num, rest, ok := strings.Cut(strings.TrimSpace(line), " ")
		if !ok || num == "" || strings.Trim(num, "0123456789") != "" {
			continue // a card's second line, or "--- no soundcards ---"
		}
		id, desc, _ := strings.Cut(rest, "]:")
		id = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(id), "["))
		cards = append(cards, fmt.Sprintf("card %s %s (%s)", num, id, strings.TrimSpace(desc)))
	}
	return cards
}

// checkAudio lists the sound cards and opens each room's speakers.
func (d *doctor) checkAudio(rooms []config.Room, rate int) {
	cards := soundCards(d.machine.cardsFile)
	if len(cards) == 0 {
		d.ok("sound cards: none found in %s", d.machine.cardsFile)
	} else {
		d.ok("sound cards: %s", strings.Join(cards, "; "))
	}
	for _, r := range rooms {
		for _, o := range r.Outputs {
			if o.Type != config.OutputSpeaker {
				continue
			}
			what := fmt.Sprintf("room %q speaker %q on ALSA device %q", r.Name, o.Name, o.Device)
			err := d.machine.openSpeaker(o.Device, rate)
			switch {
			case err == nil:
				d.ok("%s opens", what)
			case len(cards) == 0 && o.Optional:
				d.ok("%s: no sound card: rooms play to their streams only", what)
			case o.Optional:
				d.problem(fmt.Sprintf("%s does not open (%v); it is optional, so the room plays to its other outputs only", what, err),
					"check the device name (aplay -L lists them), that this user is in the audio group, and that no other program holds the device")
			default:
				d.problem(fmt.Sprintf("%s does not open (%v)", what, err),
					"check the device name (aplay -L lists them), that this user is in the audio group and no other program holds it, or mark the output optional: true")
			}
		}
	}
}

// checkTLS checks that the certificate and key, if set, load as a pair.
func (d *doctor) checkTLS(s config.Server) {
	if s.TLSCert == "" {
		return
	}
	if _, err := tls.LoadX509KeyPair(s.TLSCert, s.TLSKey); err != nil {
		d.problem(fmt.Sprintf("TLS certificate %s and key %s do not load (%v)", s.TLSCert, s.TLSKey, err),
			"check that both files are PEM, readable by this user, and belong together")
		return
	}
	d.ok("TLS certificate %s and key %s load", s.TLSCert, s.TLSKey)
}

// checkListen tries to listen on server.listen. If the port is taken it
// asks /healthz there, to tell a running attune from another program.
func (d *doctor) checkListen(ctx context.Context, s config.Server) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.Listen)
	if err == nil {
		ln.Close()
		d.ok("listen address %s is free", s.Listen)
		return
	}
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		if url, ok := d.healthz(ctx, s); ok {
			d.ok("listen address %s is in use: attune is already running there (%s answered)", s.Listen, url)
			return
		}
		d.problem(fmt.Sprintf("listen address %s is in use by another program", s.Listen),
			"stop that program (ss -ltnp shows which), or set server.listen to a free port")
	case errors.Is(err, syscall.EACCES):
		d.problem(fmt.Sprintf("listen address %s: permission denied (ports below 1024 need privileges)", s.Listen),
			"use a port from 1024 up (the default is 8480), or grant CAP_NET_BIND_SERVICE")
	default:
		d.problem(fmt.Sprintf("listen address %s cannot be used (%v)", s.Listen, err),
			"set server.listen to an address of this machine, like 127.0.0.1:8480 or 0.0.0.0:8480")
	}
}

// healthz asks GET /healthz at the listen address (on loopback if it is
// every interface) and reports whether it answered 2xx.
func (d *doctor) healthz(ctx context.Context, s config.Server) (string, bool) {
	host, port, err := net.SplitHostPort(s.Listen)
	if err != nil {
		return "", false
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	scheme := "http"
	tr := &http.Transport{}
	if s.TLSCert != "" {
		scheme = "https"
		// Our own port on this machine, asked only whether it answers:
		// its certificate names the clinic's host, not the address dialled.
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
	}
	defer tr.CloseIdleConnections()
	url := scheme + "://" + net.JoinHostPort(host, port) + "/healthz"
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", false
	}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return "", false
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	return url, resp.StatusCode >= 200 && resp.StatusCode < 300
}
