package config

import (
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/spf13/viper"
)

func TestLoad_Defaults(t *testing.T) {
	o := testOptions(t)
	l := mustLoad(t, o)
	want := Config{
		DataDir: filepath.Join(o.Home, ".local/share/attune"),
		Library: Library{
			Dir:          filepath.Join(o.Home, ".local/share/attune/media"),
			MaxFileSize:  1 << 30,
			Workers:      4,
			ProbeTimeout: 10 * time.Second,
		},
		Audio: Audio{
			SampleRate: 48000,
			PauseFade:  2 * time.Second,
			SkipFade:   4 * time.Second,
			MaxSlew:    6,
			Ceiling:    -1,
			// The ReplayGain 2.0 reference.
			LoudnessTarget: -18,
		},
		Server: Server{
			Listen:       "127.0.0.1:8480",
			MaxUpload:    1 << 30,
			PatientGrace: 30 * time.Minute,
			SessionTTL:   12 * time.Hour,
		},
		Log: Log{Level: slog.LevelInfo},
		Rooms: []Room{{
			Name: "Room 1", CeilingDB: -1, LoudnessTarget: -18, VolumeDB: -12, Patient: VolumeRange{MinDB: -30, MaxDB: -6},
			Outputs: []Output{
				{Name: "stream", Type: OutputStream, Bitrate: 256},
				{Name: "speaker", Type: OutputSpeaker, Device: "default", Optional: true},
			},
		}},
		Profiles: DefaultProfiles(),
	}
	if !reflect.DeepEqual(l.Config, want) {
		t.Errorf("Config = %+v, want %+v", l.Config, want)
	}
	if l.File != "" {
		t.Errorf("File = %q, want none", l.File)
	}
	for _, k := range Keys() {
		if got := l.Source(k.Name); got != SourceDefault {
			t.Errorf("Source(%s) = %q, want default", k.Name, got)
		}
		if got := l.Origin(k.Name); got != "default" {
			t.Errorf("Origin(%s) = %q, want default", k.Name, got)
		}
	}
}

func TestLoad_DefaultDataDirXDG(t *testing.T) {
	o := testOptions(t)
	o.XDGDataHome = "/xdg/data"
	if got, want := mustLoad(t, o).Config.DataDir, "/xdg/data/attune"; got != want {
		t.Errorf("DataDir = %q, want %q", got, want)
	}
	o.XDGDataHome = "relative/data" // the XDG spec says to ignore it
	if got, want := mustLoad(t, o).Config.DataDir, filepath.Join(o.Home, ".local/share/attune"); got != want {
		t.Errorf("DataDir with relative XDG_DATA_HOME = %q, want %q", got, want)
	}
}

func TestLoad_DefaultWorkers(t *testing.T) {
	for _, tc := range []struct {
		numCPU, want int
	}{
		{1, 1}, {8, 8}, {256, 256}, {1000, 256}, {0, min(runtime.NumCPU(), 256)},
	} {
		o := testOptions(t)
		o.NumCPU = tc.numCPU
		if got := mustLoad(t, o).Config.Library.Workers; got != tc.want {
			t.Errorf("NumCPU %d: Workers = %d, want %d", tc.numCPU, got, tc.want)
		}
	}
}

func TestLoad_NoDefault(t *testing.T) {
	o := testOptions(t)
	o.Home = ""
	_, err := Load(o)
	var e *Error
	if !errors.As(err, &e) || e.Key != "data_dir" || !errors.Is(err, ErrInvalid) {
		t.Fatalf("Load without HOME = %v, want an *Error for data_dir", err)
	}
	for _, s := range []string{"HOME", "ATTUNE_DATA_DIR", "--data-dir"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not mention %s", err, s)
		}
	}
	// Setting data_dir is enough: library.dir derives from it.
	o.Flags = map[string]string{"data_dir": "/d"}
	if got := mustLoad(t, o).Config.Library.Dir; got != "/d/media" {
		t.Errorf("Library.Dir = %q, want /d/media", got)
	}
}

// layerCase gives, for one key, a value for each of file (YAML text), env and
// flag, and what each should become in Config, read straight from the field.
type layerCase struct {
	key  string
	vals [3]string
	want [3]any
	get  func(Config) any
	// env is set besides, for keys that need a partner (server.tls_cert
	// needs server.tls_key).
	env map[string]string
}

func layerCases() []layerCase {
	return []layerCase{
		{"data_dir", [3]string{"/f", "/e", "/g"}, [3]any{"/f", "/e", "/g"},
			func(c Config) any { return c.DataDir }, nil},
		{"library.dir", [3]string{"/f", "rel", "~/g"}, [3]any{"/f", "WORK/rel", "HOME/g"},
			func(c Config) any { return c.Library.Dir }, nil},
		{"library.watch", [3]string{"[/f1, /f2]", "/e1::/e2", "/g"},
			[3]any{[]string{"/f1", "/f2"}, []string{"/e1", "/e2"}, []string{"/g"}},
			func(c Config) any { return c.Library.Watch }, nil},
		{"library.max_file_size", [3]string{"2048", "500MB", "512KiB"}, [3]any{int64(2048), int64(500e6), int64(512 << 10)},
			func(c Config) any { return c.Library.MaxFileSize }, nil},
		{"library.workers", [3]string{"2", "3", "256"}, [3]any{2, 3, 256},
			func(c Config) any { return c.Library.Workers }, nil},
		{"library.probe_timeout", [3]string{"2s", "3m", "45s"},
			[3]any{2 * time.Second, 3 * time.Minute, 45 * time.Second},
			func(c Config) any { return c.Library.ProbeTimeout }, nil},
		{"audio.sample_rate", [3]string{"44100", "96000", "8000"}, [3]any{44100, 96000, 8000},
			func(c Config) any { return c.Audio.SampleRate }, nil},
		{"audio.pause_fade", [3]string{"500ms", "3s", "30s"},
			[3]any{500 * time.Millisecond, 3 * time.Second, 30 * time.Second},
			func(c Config) any { return c.Audio.PauseFade }, nil},
		{"audio.skip_fade", [3]string{"100ms", "1.5s", "10s"},
			[3]any{100 * time.Millisecond, 1500 * time.Millisecond, 10 * time.Second},
			func(c Config) any { return c.Audio.SkipFade }, nil},
		// A YAML float, a decimal string and a whole number.
		{"audio.max_slew", [3]string{"4.5", "12", "0.5"}, [3]any{4.5, 12.0, 0.5},
			func(c Config) any { return c.Audio.MaxSlew }, nil},
		// A YAML int, a negative decimal string and the upper bound.
		{"audio.ceiling", [3]string{"-6", "-0.5", "0"}, [3]any{-6.0, -0.5, 0.0},
			func(c Config) any { return c.Audio.Ceiling }, nil},
		// Both bounds and a decimal.
		{"audio.loudness_target", [3]string{"-40", "-23.5", "-5"}, [3]any{-40.0, -23.5, -5.0},
			func(c Config) any { return c.Audio.LoudnessTarget }, nil},
		{"server.listen", [3]string{"'0.0.0.0:80'", ":8480", "[::1]:0"}, [3]any{"0.0.0.0:80", ":8480", "[::1]:0"},
			func(c Config) any { return c.Server.Listen }, nil},
		// Origins are normalized as browsers send them: lower case, no
		// default port, no duplicates.
		{"server.origins", [3]string{"[https://Attune.Clinic.LAN, 'http://10.0.0.5:8480']", "https://a.lan:443, http://b.lan:81,https://a.lan", "http://[::1]:8480"},
			[3]any{[]string{"https://attune.clinic.lan", "http://10.0.0.5:8480"}, []string{"https://a.lan", "http://b.lan:81"}, []string{"http://[::1]:8480"}},
			func(c Config) any { return c.Server.Origins }, nil},
		{"server.tls_cert", [3]string{"/f.pem", "rel.pem", "~/g.pem"}, [3]any{"/f.pem", "WORK/rel.pem", "HOME/g.pem"},
			func(c Config) any { return c.Server.TLSCert }, map[string]string{"ATTUNE_SERVER_TLS_KEY": "/k"}},
		{"server.tls_key", [3]string{"/f.key", "rel.key", "~/g.key"}, [3]any{"/f.key", "WORK/rel.key", "HOME/g.key"},
			func(c Config) any { return c.Server.TLSKey }, map[string]string{"ATTUNE_SERVER_TLS_CERT": "/c"}},
		{"server.max_upload", [3]string{"2GiB", "500MB", "1048576"}, [3]any{int64(2 << 30), int64(500e6), int64(1 << 20)},
			func(c Config) any { return c.Server.MaxUpload }, nil},
		{"server.patient_grace", [3]string{"0s", "1h", "24h"}, [3]any{time.Duration(0), time.Hour, 24 * time.Hour},
			func(c Config) any { return c.Server.PatientGrace }, nil},
		{"server.session_ttl", [3]string{"5m", "8h", "720h"}, [3]any{5 * time.Minute, 8 * time.Hour, 720 * time.Hour},
			func(c Config) any { return c.Server.SessionTTL }, nil},
		{"log.level", [3]string{"debug", "WARN", "error"}, [3]any{slog.LevelDebug, slog.LevelWarn, slog.LevelError},
			func(c Config) any { return c.Log.Level }, nil},
	}
}

func TestLoad_Priority(t *testing.T) {
	cases := layerCases()
	if len(cases) != len(Keys()) {
		t.Fatalf("%d layer cases for %d keys: add the new key", len(cases), len(Keys()))
	}
	for _, tc := range cases {
		for layers := 1; layers <= 3; layers++ {
			o := testOptions(t)
			dir := filepath.Join(o.WorkDir, "etc")
			o.Dirs = []string{dir}
			file := writeFile(t, dir, FileName, yamlFor(tc.key, tc.vals[0]))
			var k Key
			for _, kk := range Keys() {
				if kk.Name == tc.key {
					k = kk
				}
			}
			for name, v := range tc.env {
				t.Setenv(name, v)
			}
			if layers >= 2 {
				t.Setenv(k.Env(), tc.vals[1])
			}
			if layers >= 3 {
				o.Flags = map[string]string{tc.key: tc.vals[2]}
			}
			l := mustLoad(t, o)
			want := tc.want[layers-1]
			if s, ok := want.(string); ok {
				want = strings.NewReplacer("WORK", o.WorkDir, "HOME", o.Home).Replace(s)
			}
			if got := tc.get(l.Config); !reflect.DeepEqual(got, want) {
				t.Errorf("%s with %d layers: got %v, want %v", tc.key, layers, got, want)
			}
			wantSrc := [3]Source{SourceFile, SourceEnv, SourceFlag}[layers-1]
			if got := l.Source(tc.key); got != wantSrc {
				t.Errorf("%s with %d layers: Source = %q, want %q", tc.key, layers, got, wantSrc)
			}
			wantOrigin := [3]string{"file " + file + ":", "env " + k.Env(), "flag --" + k.Flag()}[layers-1]
			if got := l.Origin(tc.key); !strings.HasPrefix(got, wantOrigin) {
				t.Errorf("%s with %d layers: Origin = %q, want %q...", tc.key, layers, got, wantOrigin)
			}
			if l.File != file {
				t.Errorf("File = %q, want %q", l.File, file)
			}
		}
	}
}

// Viper pitfall: Unmarshal ignores the env var of a key without a default.
// Every key must be seen from the environment alone.
func TestLoad_EnvAloneForEveryKey(t *testing.T) {
	cases := layerCases()
	for _, tc := range cases {
		o := testOptions(t)
		for _, k := range Keys() {
			if k.Name != tc.key {
				continue
			}
			for name, v := range tc.env {
				t.Setenv(name, v)
			}
			t.Setenv(k.Env(), tc.vals[1])
			l := mustLoad(t, o)
			want := tc.want[1]
			if s, ok := want.(string); ok {
				want = strings.NewReplacer("WORK", o.WorkDir, "HOME", o.Home).Replace(s)
			}
			if got := tc.get(l.Config); !reflect.DeepEqual(got, want) {
				t.Errorf("%s=%s: got %v, want %v", k.Env(), tc.vals[1], got, want)
			}
			if got := l.Source(k.Name); got != SourceEnv {
				t.Errorf("%s=%s: Source = %q, want env", k.Env(), tc.vals[1], got)
			}
		}
	}
}

// The raw viper behaviours that Load works around. If one of these fails,
// viper changed: check the package comment's claims still hold.
func TestViper_Pitfalls(t *testing.T) {
	t.Run("env without default is ignored by Unmarshal", func(t *testing.T) {
		t.Setenv("ATTUNE_LIBRARY_DIR", "/from/env")
		v := viper.New()
		v.SetEnvPrefix("ATTUNE")
		v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
		v.AutomaticEnv()
		var c struct{ Library struct{ Dir string } }
		if err := v.Unmarshal(&c); err != nil {
			t.Fatal(err)
		}
		if c.Library.Dir != "" {
			t.Errorf("viper now unmarshals env without a default: got %q", c.Library.Dir)
		}
		if got := v.GetString("library.dir"); got != "/from/env" {
			t.Errorf("GetString(library.dir) = %q, want /from/env", got)
		}
	})
	t.Run("bare integer duration is nanoseconds", func(t *testing.T) {
		v := viper.New()
		v.Set("fade", 1500)
		if got := v.GetDuration("fade"); got != 1500*time.Nanosecond {
			t.Errorf("GetDuration(1500) = %v, want 1.5µs", got)
		}
	})
}

// Load's answer to the duration pitfall: a bare number is an error, from
// any layer.
func TestLoad_DurationBareNumber(t *testing.T) {
	for _, layer := range []string{"file", "env", "flag"} {
		o := testOptions(t)
		switch layer {
		case "file":
			o.Dirs = []string{o.WorkDir}
			writeFile(t, o.WorkDir, FileName, "library:\n  probe_timeout: 1500\n")
		case "env":
			t.Setenv("ATTUNE_LIBRARY_PROBE_TIMEOUT", "1500")
		case "flag":
			o.Flags = map[string]string{"library.probe_timeout": "1500"}
		}
		_, err := Load(o)
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("%s: Load = %v, want *Error", layer, err)
		}
		if e.Key != "library.probe_timeout" || e.Value != "1500" || !strings.Contains(e.Reason, "no unit") ||
			!strings.HasPrefix(e.Origin, layer) {
			t.Errorf("%s: got %+v, want key library.probe_timeout, value 1500, reason about the unit", layer, e)
		}
	}
}

func TestLoad_CaseInsensitiveKeys(t *testing.T) {
	o := testOptions(t)
	o.Dirs = []string{o.WorkDir}
	writeFile(t, o.WorkDir, FileName, "Data_Dir: /d\nLibrary:\n  Dir: /x\n  MAX_FILE_SIZE: 2GiB\n  Watch: [/W]\n")
	l := mustLoad(t, o)
	if l.Config.DataDir != "/d" || l.Config.Library.Dir != "/x" || l.Config.Library.MaxFileSize != 2<<30 ||
		!reflect.DeepEqual(l.Config.Library.Watch, []string{"/W"}) {
		t.Errorf("Config = %+v, want data_dir /d, library.dir /x, 2GiB, watch [/W] (paths keep their case)", l.Config)
	}
	for _, key := range []string{"data_dir", "library.dir", "library.max_file_size", "library.watch"} {
		if got := l.Source(key); got != SourceFile {
			t.Errorf("Source(%s) = %q, want file", key, got)
		}
	}
}

func TestLoad_DataDirMovesLibraryDir(t *testing.T) {
	for _, tc := range []struct {
		name    string
		file    string
		env     map[string]string
		flags   map[string]string
		wantLib string
		wantSrc Source
	}{
		{"file data_dir", "data_dir: /f\n", nil, nil, "/f/media", SourceDefault},
		{"env data_dir", "", map[string]string{"ATTUNE_DATA_DIR": "/e"}, nil, "/e/media", SourceDefault},
		{"flag data_dir over file", "data_dir: /f\n", nil, map[string]string{"data_dir": "/g"}, "/g/media", SourceDefault},
		{"explicit library.dir wins", "data_dir: /f\nlibrary:\n  dir: /lib\n", nil, nil, "/lib", SourceFile},
		{"env library.dir over file data_dir", "data_dir: /f\n", map[string]string{"ATTUNE_LIBRARY_DIR": "/el"}, nil, "/el", SourceEnv},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := testOptions(t)
			o.Dirs = []string{o.WorkDir}
			o.Flags = tc.flags
			if tc.file != "" {
				writeFile(t, o.WorkDir, FileName, tc.file)
			}
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			l := mustLoad(t, o)
			if got := l.Config.Library.Dir; got != tc.wantLib {
				t.Errorf("Library.Dir = %q, want %q", got, tc.wantLib)
			}
			if got := l.Source("library.dir"); got != tc.wantSrc {
				t.Errorf("Source(library.dir) = %q, want %q", got, tc.wantSrc)
			}
		})
	}
}

func TestLoad_NullValuesAreUnset(t *testing.T) {
	o := testOptions(t)
	o.Dirs = []string{o.WorkDir}
	writeFile(t, o.WorkDir, FileName, "data_dir:\nlibrary:\n  workers: ~\n  probe_timeout: null\n")
	l := mustLoad(t, o)
	if l.Config.Library.Workers != 4 || l.Source("library.workers") != SourceDefault ||
		l.Source("data_dir") != SourceDefault || l.Config.Library.ProbeTimeout != 10*time.Second {
		t.Errorf("null values: Config = %+v, want defaults from source default", l.Config)
	}
	writeFile(t, o.WorkDir, FileName, "library:\n")
	if l := mustLoad(t, o); l.Source("library.dir") != SourceDefault {
		t.Errorf("empty section: Source(library.dir) = %q, want default", l.Source("library.dir"))
	}
}

func TestLoad_EmptyEnvIsUnset(t *testing.T) {
	o := testOptions(t)
	o.Dirs = []string{o.WorkDir}
	writeFile(t, o.WorkDir, FileName, "library:\n  workers: 7\n")
	t.Setenv("ATTUNE_LIBRARY_WORKERS", "")
	l := mustLoad(t, o)
	if l.Config.Library.Workers != 7 || l.Source("library.workers") != SourceFile {
		t.Errorf("Workers = %d from %s, want 7 from file", l.Config.Library.Workers, l.Source("library.workers"))
	}
}

func TestLoad_FileSearch(t *testing.T) {
	o := testOptions(t)
	first := filepath.Join(o.WorkDir, "a")
	second := filepath.Join(o.WorkDir, "b")
	o.Dirs = []string{first, second}
	if l := mustLoad(t, o); l.File != "" {
		t.Errorf("no file anywhere: File = %q, want none", l.File)
	}
	want := writeFile(t, second, FileName, "library:\n  workers: 2\n")
	if l := mustLoad(t, o); l.File != want || l.Config.Library.Workers != 2 {
		t.Errorf("file in second dir: File = %q workers %d, want %q and 2", l.File, l.Config.Library.Workers, want)
	}
	want = writeFile(t, first, FileName, "library:\n  workers: 1\n")
	if l := mustLoad(t, o); l.File != want || l.Config.Library.Workers != 1 {
		t.Errorf("file in both: File = %q workers %d, want the first %q and 1 (files are not merged)", l.File, l.Config.Library.Workers, want)
	}
	// An explicit file wins over the search, and may be relative or use ~.
	explicit := writeFile(t, filepath.Join(o.Home, "conf"), "other.yml", "library:\n  workers: 3\n")
	for _, name := range []string{explicit, "~/conf/other.yml", "../home/conf/other.yml"} {
		o.File = name
		if o.File == "../home/conf/other.yml" {
			o.WorkDir = filepath.Join(filepath.Dir(o.Home), "work")
		}
		if l := mustLoad(t, o); l.File != explicit || l.Config.Library.Workers != 3 {
			t.Errorf("--config %s: File = %q workers %d, want %q and 3", name, l.File, l.Config.Library.Workers, explicit)
		}
	}
}

func TestLoad_ExplicitFileMissing(t *testing.T) {
	o := testOptions(t)
	o.Dirs = []string{o.WorkDir}
	writeFile(t, o.WorkDir, FileName, "") // must not be used instead
	o.File = "missing.yaml"
	_, err := Load(o)
	var fe *FileError
	if !errors.As(err, &fe) || !errors.Is(err, fs.ErrNotExist) || !errors.Is(err, ErrInvalid) {
		t.Fatalf("Load(--config missing.yaml) = %v, want a *FileError matching fs.ErrNotExist and ErrInvalid", err)
	}
	if want := filepath.Join(o.WorkDir, "missing.yaml"); fe.File != want || !strings.Contains(err.Error(), want) {
		t.Errorf("error %q names %q, want %q", err, fe.File, want)
	}
}

func TestLoad_UnreadableFileInSearch(t *testing.T) {
	o := testOptions(t)
	o.Dirs = []string{o.WorkDir}
	// A directory named attune.yaml exists but cannot be read as a file.
	if err := os.MkdirAll(filepath.Join(o.WorkDir, FileName), 0o755); err != nil {
		t.Fatal(err)
	}
	var fe *FileError
	if _, err := Load(o); !errors.As(err, &fe) {
		t.Errorf("Load with a dir as attune.yaml = %v, want a *FileError", err)
	}
}

func TestLoad_UnknownFlagKey(t *testing.T) {
	o := testOptions(t)
	o.Flags = map[string]string{"library-dir": "/x"} // a flag name, not a key
	if _, err := Load(o); err == nil || !strings.Contains(err.Error(), "library-dir") {
		t.Errorf("Load with flag key library-dir = %v, want an error naming it", err)
	}
}

func TestLoaded_SourceUnknownKey(t *testing.T) {
	l := mustLoad(t, testOptions(t))
	if got := l.Source("nope"); got != "" {
		t.Errorf("Source(nope) = %q, want \"\"", got)
	}
	if got := l.Origin("nope"); got != "" {
		t.Errorf("Origin(nope) = %q, want \"\"", got)
	}
}

func TestOptions_SearchDirs(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    Options
		want []string
	}{
		{"standard", Options{WorkDir: "/w", Home: "/h"}, []string{"/w", "/h/.config/attune", "/etc/attune"}},
		{"xdg", Options{WorkDir: "/w", Home: "/h", XDGConfigHome: "/x"}, []string{"/w", "/x/attune", "/etc/attune"}},
		{"relative xdg ignored", Options{WorkDir: "/w", Home: "/h", XDGConfigHome: "x"}, []string{"/w", "/h/.config/attune", "/etc/attune"}},
		{"nothing known", Options{}, []string{"/etc/attune"}},
		{"explicit", Options{WorkDir: "/w", Dirs: []string{"/d"}}, []string{"/d"}},
		{"explicit none", Options{WorkDir: "/w", Dirs: []string{}}, []string{}},
	} {
		if got := tc.o.SearchDirs(); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: SearchDirs = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestLoad_StandardDirs(t *testing.T) {
	o := testOptions(t)
	o.Dirs = nil
	o.XDGConfigHome = filepath.Join(o.Home, "xdgconf")
	want := writeFile(t, filepath.Join(o.XDGConfigHome, "attune"), FileName, "library:\n  workers: 5\n")
	if l := mustLoad(t, o); l.File != want {
		t.Errorf("File = %q, want %q from $XDG_CONFIG_HOME/attune", l.File, want)
	}
	want = writeFile(t, o.WorkDir, FileName, "library:\n  workers: 6\n")
	if l := mustLoad(t, o); l.File != want {
		t.Errorf("File = %q, want %q from the working dir", l.File, want)
	}
}

func TestSystemOptions(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", "/xc")
	t.Setenv("XDG_DATA_HOME", "/xd")
	t.Setenv("HOME", "/hh")
	o := SystemOptions()
	wd, _ := os.Getwd()
	want := Options{WorkDir: wd, Home: "/hh", XDGConfigHome: "/xc", XDGDataHome: "/xd", NumCPU: runtime.NumCPU()}
	if !reflect.DeepEqual(o, want) {
		t.Errorf("SystemOptions = %+v, want %+v", o, want)
	}
}
