// Package config turns attune's configuration sources into one typed,
// validated Config. It is the only package that imports viper; cmd/attune
// calls Load and passes plain values down.
//
// # Layering
//
// Every key has a value from the highest-priority source that sets it:
//
//  1. built-in defaults (see Keys);
//  2. the config file: the one given with --config (Options.File, which must
//     exist), else the first attune.yaml found in Options.SearchDirs:
//     the working directory, $XDG_CONFIG_HOME/attune (default
//     ~/.config/attune), /etc/attune. Files are not merged: one file is used;
//  3. the environment: ATTUNE_ plus the key in upper case with '.' as '_',
//     e.g. ATTUNE_LIBRARY_DIR for library.dir. An empty variable counts as
//     unset;
//  4. command-line flags (Options.Flags), named after the key with '.' and
//     '_' as '-', e.g. --library-dir.
//
// A null value in the file (`data_dir:` with nothing after it) counts as not
// set. Keys are case-insensitive in the file. A key's default may depend on
// keys before it in the table: library.dir defaults to <data_dir>/media of
// the effective data_dir, so moving data_dir moves the library with it.
//
// # Viper, and how its pitfalls are avoided
//
// Viper merges the layers (defaults, file, env via explicit BindEnv, flags via
// BindFlagValue). Load does not call viper's Unmarshal: it reads each key of
// the table by name and parses it by its Kind, so
//   - every key sees its environment variable (Unmarshal ignores env vars of
//     keys without a default; here every key is bound explicitly and read by
//     name);
//   - a duration must carry a unit: a bare number such as 1500 is rejected
//     instead of becoming 1500ns;
//   - each invalid value yields one *Error naming the key, the value, where it
//     came from and what is allowed.
//
// # Rooms
//
// The rooms list (Config.Rooms) is read from the file only: a list of
// mappings has no sensible env or flag form. It is parsed from the YAML
// nodes rather than through viper, so that each value's error and origin
// name its path (rooms[1].outputs[0].type) and line. Without it, the
// configuration has DefaultRooms.
//
// # Profiles
//
// The route profiles (Config.Profiles) are DefaultProfiles with the config
// file's profiles list applied, read like rooms (file only, from the YAML
// nodes, errors naming profiles[1].onset.max). An entry named like a
// built-in overrides the values it gives; a new name must give every value.
// Each profile is checked by the rules of playlists.Profile.Validate.
//
// Unknown keys in the file, a malformed file and a missing --config file are
// reported as a *FileError naming the file and line. Every error that is the
// user's to fix matches errors.Is(err, ErrInvalid); cmd/attune maps those to
// exit status 2.
package config

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/spf13/viper"
)

// FileName is the name of the config file looked up in the search dirs.
const FileName = "attune.yaml"

// Config is attune's effective configuration. All paths are absolute and
// clean.
type Config struct {
	// DataDir holds the database and other state (data_dir).
	DataDir string
	// Library configures where music lives and how it is scanned.
	Library Library
	// Audio configures the playback engine.
	Audio Audio
	// Server configures attune serve: where it listens, TLS, browser
	// origins, upload and login limits.
	Server Server
	// Log configures logging.
	Log Log
	// Rooms are the treatment rooms (rooms, from the config file only):
	// at least one; DefaultRooms if the file lists none.
	Rooms []Room
	// Profiles are the effective route profiles: DefaultProfiles, the
	// default first, with the config file's profiles list applied (an entry
	// named like a built-in overrides the values it sets; others follow the
	// built-ins in file order).
	Profiles []Profile
}

// Library is the library.* section of Config.
type Library struct {
	// Dir is the managed media folder imports are copied into (library.dir).
	Dir string
	// Watch lists extra folders scanned in place (library.watch); nil if none.
	Watch []string
	// MaxFileSize in bytes: larger files are skipped (library.max_file_size).
	MaxFileSize int64
	// Workers is how many files are probed at once (library.workers).
	Workers int
	// ProbeTimeout limits the time spent probing one file
	// (library.probe_timeout).
	ProbeTimeout time.Duration
}

// Audio is the audio.* section of Config: the playback engine's settings.
type Audio struct {
	// SampleRate is the engine's rate in Hz; every track is resampled to it
	// (audio.sample_rate).
	SampleRate int
	// PauseFade is how long pause fades out and resume fades in
	// (audio.pause_fade).
	PauseFade time.Duration
	// SkipFade is how long skip crossfades into the next item
	// (audio.skip_fade).
	SkipFade time.Duration
	// MaxSlew is the fastest the master volume may change, in dB per second
	// (audio.max_slew).
	MaxSlew float64
	// Ceiling is the room's peak ceiling in dBFS (audio.ceiling); it is
	// negative or zero.
	Ceiling float64
	// LoudnessTarget is the integrated loudness in LUFS every track is
	// normalized to (audio.loudness_target).
	LoudnessTarget float64
}

// Source says which layer a key's value came from.
type Source string

// The layers, lowest priority first.
const (
	SourceDefault Source = "default"
	SourceFile    Source = "file"
	SourceEnv     Source = "env"
	SourceFlag    Source = "flag"
)

// Options are the inputs of Load other than the process environment (which
// viper reads for the ATTUNE_ variables). Empty fields are unknown: a default
// or a relative path that needs one fails with a clear error.
type Options struct {
	// File is the config file given with --config; it must exist. "" means
	// search SearchDirs for attune.yaml; finding none is fine.
	File string
	// Dirs overrides the dirs searched for attune.yaml when File is "".
	// nil means the standard places (see SearchDirs); empty means none.
	Dirs []string
	// Flags maps a key name (e.g. "library.dir", not the flag name) to the
	// raw value given on the command line. Only flags the user set belong here.
	Flags map[string]string

	// WorkDir resolves relative paths and is the first search dir.
	WorkDir string
	// Home expands ~ and places the XDG defaults.
	Home string
	// XDGConfigHome and XDGDataHome are $XDG_CONFIG_HOME and $XDG_DATA_HOME;
	// "" (or a relative path, as the XDG spec says) means ~/.config and
	// ~/.local/share.
	XDGConfigHome string
	XDGDataHome   string
	// NumCPU is the default of library.workers; 0 means runtime.NumCPU().
	NumCPU int
}

// SystemOptions returns Options filled from this process: working directory,
// home, XDG variables and CPU count. A fact that cannot be had is left empty.
func SystemOptions() Options {
	wd, _ := os.Getwd()
	home, _ := os.UserHomeDir()
	return Options{
		WorkDir:       wd,
		Home:          home,
		XDGConfigHome: os.Getenv("XDG_CONFIG_HOME"),
		XDGDataHome:   os.Getenv("XDG_DATA_HOME"),
		NumCPU:        runtime.NumCPU(),
	}
}

// SearchDirs returns the dirs searched for attune.yaml, in order: Dirs if
// not nil, else the working directory, $XDG_CONFIG_HOME/attune (or
// ~/.config/attune) and /etc/attune, leaving out those that are unknown.
func (o Options) SearchDirs() []string {
	if o.Dirs != nil {
		return o.Dirs
	}
	var dirs []string
	if o.WorkDir != "" {
		dirs = append(dirs, o.WorkDir)
	}
	if filepath.IsAbs(o.XDGConfigHome) {
		dirs = append(dirs, filepath.Join(o.XDGConfigHome, "attune"))
	} else if o.Home != "" {
		dirs = append(dirs, filepath.Join(o.Home, ".config", "attune"))
	}
	return append(dirs, "/etc/attune")
}

// Loaded is the result of Load: the configuration and where each value came
// from.
type Loaded struct {
	// Config is the effective configuration.
	Config Config
	// File is the config file used, or "" if none.
	File string

	keys    []Key
	origins map[string]origin
}

// origin is where one key's value came from.
type origin struct {
	source Source
	where  string // file:line, env var or flag name; "" for defaults
}

func (o origin) String() string {
	if o.where == "" {
		return string(o.source)
	}
	return string(o.source) + " " + o.where
}

// Source returns the layer that set key ("library.dir", or a path in the
// rooms or profiles list such as "rooms[0].outputs[1].trim" or
// "profiles[0].onset.min"), or "" for a key that does not exist. Paths in
// the profiles list are of the effective list (Config.Profiles).
func (l *Loaded) Source(key string) Source {
	return l.origins[key].source
}

// Origin describes where key's value came from, for people: "default",
// "file /etc/attune/attune.yaml:3", "env ATTUNE_DATA_DIR" or
// "flag --data-dir". Paths in the rooms and profiles lists
// ("rooms[0].ceiling") are "default" or "file FILE:LINE"; the values an
// override of a built-in profile leaves are "default (built-in NAME)". It is
// "" for a key that does not exist.
func (l *Loaded) Origin(key string) string {
	o, ok := l.origins[key]
	if !ok {
		return ""
	}
	return o.String()
}

// Load reads the configuration from defaults, the config file, the
// environment and opts.Flags, and validates it. Errors the user can fix match
// ErrInvalid; an invalid value is a *Error, a problem with the file a
// *FileError.
func Load(opts Options) (*Loaded, error) {
	keys := Keys()
	byName := make(map[string]Key, len(keys))
	for _, k := range keys {
		byName[k.Name] = k
	}
	for name := range opts.Flags {
		if _, ok := byName[name]; !ok {
			return nil, fmt.Errorf("config: flag for unknown key %q", name)
		}
	}
	f := newFacts(opts)

	file, data, err := findFile(opts, f)
	if err != nil {
		return nil, err
	}
	v := viper.New()
	v.SetConfigType("yaml")
	fk := &fileKeys{lines: map[string]int{}}
	if file != "" {
		if fk, err = checkFile(file, data, keys); err != nil {
			return nil, err
		}
		if err := v.ReadConfig(bytes.NewReader(data)); err != nil {
			return nil, &FileError{File: file, Msg: fmt.Sprintf("cannot read: %v", err), Err: err}
		}
	}

	// envOnly sees nothing but the environment, so that IsSet tells whether
	// a key's variable is set, by the same rules v uses.
	envOnly := viper.New()
	for _, k := range keys {
		if err := v.BindEnv(k.Name, k.Env()); err != nil {
			return nil, fmt.Errorf("config: bind %s: %w", k.Env(), err)
		}
		if err := envOnly.BindEnv(k.Name, k.Env()); err != nil {
			return nil, fmt.Errorf("config: bind %s: %w", k.Env(), err)
		}
		if raw, ok := opts.Flags[k.Name]; ok {
			if err := v.BindFlagValue(k.Name, flagValue{name: k.Flag(), value: raw}); err != nil {
				return nil, fmt.Errorf("config: bind --%s: %w", k.Flag(), err)
			}
		}
	}

	l := &Loaded{File: file, keys: keys, origins: make(map[string]origin, len(keys))}
	for _, k := range keys {
		var o origin
		_, flagSet := opts.Flags[k.Name]
		line, inFile := fk.lines[k.Name]
		switch {
		case flagSet:
			o = origin{SourceFlag, "--" + k.Flag()}
		case envOnly.IsSet(k.Name):
			o = origin{SourceEnv, k.Env()}
		case inFile:
			o = origin{SourceFile, fmt.Sprintf("%s:%d", file, line)}
		default:
			o = origin{source: SourceDefault}
		}
		// The default is set just before the key is read, so that it can
		// depend on keys read before it.
		def, defErr := k.def(f, &l.Config)
		if defErr == nil {
			v.SetDefault(k.Name, def)
		} else if o.source == SourceDefault {
			return nil, &Error{Key: k.Name, Origin: o.String(), Allowed: k.Allowed,
				Reason: fmt.Sprintf("no default: %v; set it in %s, %s or --%s", defErr, FileName, k.Env(), k.Flag())}
		}
		raw := v.Get(k.Name)
		if err := k.parse(raw, f, &l.Config); err != nil {
			return nil, &Error{Key: k.Name, Value: rawText(raw), Origin: o.String(), Allowed: k.Allowed, Reason: err.Error()}
		}
		l.origins[k.Name] = o
	}

	if err := checkServer(l); err != nil {
		return nil, err
	}

	// Rooms come last: a room's ceiling defaults to audio.ceiling.
	defaults := DefaultRooms(l.Config.Audio.Ceiling, l.Config.Audio.LoudnessTarget)
	if fk.roomsAt == nil {
		l.Config.Rooms = defaults
		defaultOrigins(l.Config.Rooms, l.origins)
	} else {
		p := nodeParser{file: file, f: f, ceiling: defaults[0].CeilingDB, target: l.Config.Audio.LoudnessTarget, origins: l.origins}
		if l.Config.Rooms, err = p.parse(fk.roomsKey, fk.roomsAt); err != nil {
			return nil, err
		}
	}
	if fk.profilesAt == nil {
		l.Config.Profiles = DefaultProfiles()
		defaultProfileOrigins(l.Config.Profiles, l.origins)
	} else {
		p := nodeParser{file: file, f: f, origins: l.origins}
		if l.Config.Profiles, err = p.profiles(fk.profilesKey, fk.profilesAt); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// flagValue is one command-line value as viper's FlagValue.
type flagValue struct{ name, value string }

func (f flagValue) HasChanged() bool    { return true }
func (f flagValue) Name() string        { return f.name }
func (f flagValue) ValueString() string { return f.value }
func (f flagValue) ValueType() string   { return "string" }

// facts are what defaults and path resolution need to know about the machine.
type facts struct {
	workDir, home, xdgDataHome string
	numCPU                     int
}

func newFacts(o Options) *facts {
	n := o.NumCPU
	if n <= 0 {
		n = runtime.NumCPU()
	}
	return &facts{workDir: o.WorkDir, home: o.Home, xdgDataHome: o.XDGDataHome, numCPU: n}
}
