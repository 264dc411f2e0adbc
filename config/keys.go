package config

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Kind is the type of a key's value; it decides how a raw value is parsed
// and printed.
type Kind string

// The kinds of values.
const (
	KindPath     Kind = "path"     // one path: ~ expanded, made absolute, cleaned
	KindPaths    Kind = "paths"    // a list of paths; ':'-separated in env and flags
	KindSize     Kind = "size"     // bytes: 1GiB, 500MB, 512KiB or a bare number of bytes
	KindDuration Kind = "duration" // with a unit: 10s, 2m; a bare number is rejected
	KindInt      Kind = "int"      // a whole number in a range
	KindNumber   Kind = "number"   // a finite decimal number in a range: 6, 4.5, -1
)

// Key describes one configuration key. The table of keys (Keys) is the one
// place a key is defined: Load, WriteYAML, flags and docs all derive from it.
type Key struct {
	// Name is the dotted key, lower case: "library.max_file_size".
	Name string
	// Kind is the type of the value.
	Kind Kind
	// Default is the default as people read it: "1GiB", "<data_dir>/media".
	Default string
	// Allowed says what values are allowed, to follow "want ...".
	Allowed string
	// Help is one line for --help and the docs.
	Help string

	// def returns the raw default; it may use keys earlier in the table,
	// already parsed into c.
	def func(f *facts, c *Config) (string, error)
	// parse parses a raw value (string from env, flag or default; any YAML
	// value from the file) into c. Its error says what is wrong with it.
	parse func(raw any, f *facts, c *Config) error
	// value returns the key's value in c in the form WriteYAML prints and
	// parse reads back.
	value func(c *Config) any
}

// Env returns the environment variable for the key: "ATTUNE_LIBRARY_DIR".
func (k Key) Env() string {
	return "ATTUNE_" + strings.ToUpper(strings.ReplaceAll(k.Name, ".", "_"))
}

// Flag returns the command-line flag name (without dashes) for the key:
// "library-max-file-size".
func (k Key) Flag() string {
	return strings.NewReplacer(".", "-", "_", "-").Replace(k.Name)
}

// Keys returns the table of configuration keys, in the order they are read
// and printed. A key's default may depend only on keys before it.
func Keys() []Key {
	keys := []Key{
		pathKey("data_dir",
			"$XDG_DATA_HOME/attune, else ~/.local/share/attune",
			"where attune keeps its database and other state",
			defaultDataDir,
			func(c *Config) *string { return &c.DataDir }),
		pathKey("library.dir",
			"<data_dir>/media",
			"the managed media folder: imported music is copied here",
			func(_ *facts, c *Config) (string, error) { return filepath.Join(c.DataDir, "media"), nil },
			func(c *Config) *string { return &c.Library.Dir }),
		pathsKey("library.watch",
			"none",
			"extra folders scanned in place (in YAML a list; in env and flags separated by ':')",
			func(c *Config) *[]string { return &c.Library.Watch }),
		sizeKey("library.max_file_size", "1GiB",
			"larger files are skipped by import and scan",
			func(c *Config) *int64 { return &c.Library.MaxFileSize }),
		intKey("library.workers", "number of CPUs", 1, 256,
			"how many files are probed at once",
			func(f *facts, _ *Config) (string, error) {
				return strconv.Itoa(min(max(f.numCPU, 1), 256)), nil
			},
			func(c *Config) *int { return &c.Library.Workers }),
		durationKey("library.probe_timeout", "10s", time.Second, 10*time.Minute,
			"time limit for probing one file",
			func(c *Config) *time.Duration { return &c.Library.ProbeTimeout }),
		intKey("audio.sample_rate", "48000", 8000, 192000,
			"the engine's sample rate in Hz: every track is resampled to it",
			constDefault("48000"),
			func(c *Config) *int { return &c.Audio.SampleRate }),
		durationKey("audio.pause_fade", "2s", 100*time.Millisecond, 30*time.Second,
			"pause fades out over this long, and resume fades back in",
			func(c *Config) *time.Duration { return &c.Audio.PauseFade }),
		durationKey("audio.skip_fade", "4s", 100*time.Millisecond, 30*time.Second,
			"skip crossfades into the next item over this long",
			func(c *Config) *time.Duration { return &c.Audio.SkipFade }),
		numberKey("audio.max_slew", "6", 0.5, 60,
			"the fastest the master volume may change, in dB per second",
			func(c *Config) *float64 { return &c.Audio.MaxSlew }),
		numberKey("audio.ceiling", "-1", -30, 0,
			"the room's peak ceiling in dBFS: no command raises the output above it",
			func(c *Config) *float64 { return &c.Audio.Ceiling }),
		numberKey("audio.loudness_target", "-18", -40, -5,
			"the loudness in LUFS every track is normalized to (EBU R 128; -18 is ReplayGain 2.0's reference)",
			func(c *Config) *float64 { return &c.Audio.LoudnessTarget }),
	}
	return append(keys, serverKeys()...)
}

func defaultDataDir(f *facts, _ *Config) (string, error) {
	if filepath.IsAbs(f.xdgDataHome) {
		return filepath.Join(f.xdgDataHome, "attune"), nil
	}
	if f.home == "" {
		return "", errors.New("neither XDG_DATA_HOME nor HOME is set")
	}
	return filepath.Join(f.home, ".local", "share", "attune"), nil
}

// constDefault is a default that depends on nothing.
func constDefault(s string) func(*facts, *Config) (string, error) {
	return func(*facts, *Config) (string, error) { return s, nil }
}

const pathAllowed = "a path (~ and paths relative to the working directory are allowed)"

func pathKey(name, def, help string, defFn func(*facts, *Config) (string, error), field func(*Config) *string) Key {
	return Key{
		Name: name, Kind: KindPath, Default: def, Allowed: pathAllowed, Help: help,
		def: defFn,
		parse: func(raw any, f *facts, c *Config) error {
			p, err := parsePath(raw, f)
			if err != nil {
				return err
			}
			*field(c) = p
			return nil
		},
		value: func(c *Config) any { return *field(c) },
	}
}

func pathsKey(name, def, help string, field func(*Config) *[]string) Key {
	return Key{
		Name: name, Kind: KindPaths, Default: def, Help: help,
		Allowed: "a list of paths (in env and flags separated by ':')",
		def:     constDefault(""),
		parse: func(raw any, f *facts, c *Config) error {
			var elems []any
			switch r := raw.(type) {
			case nil:
			case []any:
				elems = r
			case string:
				for _, s := range strings.Split(r, string(filepath.ListSeparator)) {
					if s != "" {
						elems = append(elems, s)
					}
				}
			default:
				return errors.New("not a list")
			}
			var ps []string
			for _, e := range elems {
				p, err := parsePath(e, f)
				if err != nil {
					return fmt.Errorf("%q: %w", rawText(e), err)
				}
				ps = append(ps, p)
			}
			*field(c) = ps
			return nil
		},
		value: func(c *Config) any {
			if ps := *field(c); ps != nil {
				return ps
			}
			return []string{}
		},
	}
}

func sizeKey(name, def, help string, field func(*Config) *int64) Key {
	return Key{
		Name: name, Kind: KindSize, Default: def, Help: help,
		Allowed: "a positive size: a whole number of bytes, or one with a unit " +
			"B, KB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024), like 1GiB or 500MB",
		def: constDefault(def),
		parse: func(raw any, _ *facts, c *Config) error {
			n, err := parseSize(raw)
			if err != nil {
				return err
			}
			*field(c) = n
			return nil
		},
		value: func(c *Config) any { return formatSize(*field(c)) },
	}
}

func intKey(name, def string, lo, hi int, help string, defFn func(*facts, *Config) (string, error), field func(*Config) *int) Key {
	return Key{
		Name: name, Kind: KindInt, Default: def, Help: help,
		Allowed: fmt.Sprintf("a whole number from %d to %d", lo, hi),
		def:     defFn,
		parse: func(raw any, _ *facts, c *Config) error {
			n, err := parseInt(raw)
			if err != nil {
				return err
			}
			if n < int64(lo) || n > int64(hi) {
				return errors.New("out of range")
			}
			*field(c) = int(n)
			return nil
		},
		value: func(c *Config) any { return *field(c) },
	}
}

func durationKey(name, def string, lo, hi time.Duration, help string, field func(*Config) *time.Duration) Key {
	return Key{
		Name: name, Kind: KindDuration, Default: def, Help: help,
		Allowed: fmt.Sprintf("a duration with a unit from %s to %s, like %s",
			formatDuration(lo), formatDuration(hi), def),
		def: constDefault(def),
		parse: func(raw any, _ *facts, c *Config) error {
			d, err := parseDuration(raw)
			if err != nil {
				return err
			}
			if d < lo || d > hi {
				return errors.New("out of range")
			}
			*field(c) = d
			return nil
		},
		value: func(c *Config) any { return formatDuration(*field(c)) },
	}
}

// numberKey is a key whose value is a finite decimal number from lo to hi.
func numberKey(name, def string, lo, hi float64, help string, field func(*Config) *float64) Key {
	return Key{
		Name: name, Kind: KindNumber, Default: def, Help: help,
		Allowed: fmt.Sprintf("a number from %s to %s (decimals allowed)", formatNumber(lo), formatNumber(hi)),
		def:     constDefault(def),
		parse: func(raw any, _ *facts, c *Config) error {
			x, err := parseNumber(raw)
			if err != nil {
				return err
			}
			if x < lo || x > hi {
				return errors.New("out of range")
			}
			if x == 0 {
				x = 0 // not -0, which would print as "-0"
			}
			*field(c) = x
			return nil
		},
		value: func(c *Config) any {
			// A whole number is given as an int so that it prints as "6" and
			// reads back from YAML as the same value (YAML reads "6" as an
			// int, not a float).
			x := *field(c)
			if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
				return int(x)
			}
			return x
		},
	}
}

// parsePath expands ~, makes the path absolute against the working dir and
// cleans it.
func parsePath(raw any, f *facts) (string, error) {
	var p string
	switch r := raw.(type) {
	case string:
		p = r
	case int, int64, uint64, float64:
		p = fmt.Sprint(r) // a folder named 2024
	default:
		return "", errors.New("not a path")
	}
	if p == "" {
		return "", errors.New("empty")
	}
	if p == "~" || strings.HasPrefix(p, "~/") {
		if f.home == "" {
			return "", errors.New("~ needs HOME, which is not set")
		}
		p = filepath.Join(f.home, p[1:])
	} else if strings.HasPrefix(p, "~") {
		return "", errors.New("~user is not supported")
	}
	if !filepath.IsAbs(p) {
		if f.workDir == "" {
			return "", errors.New("a relative path, and the working directory is unknown")
		}
		p = filepath.Join(f.workDir, p)
	}
	return filepath.Clean(p), nil
}

// parseInt accepts a YAML integer or a string of digits.
func parseInt(raw any) (int64, error) {
	switch r := raw.(type) {
	case int:
		return int64(r), nil
	case int64:
		return r, nil
	case uint64:
		if r > math.MaxInt64 {
			return 0, errors.New("too large")
		}
		return int64(r), nil
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(r), 10, 64)
		if err != nil {
			return 0, errors.New("not a whole number")
		}
		return n, nil
	default:
		return 0, errors.New("not a whole number")
	}
}

// parseNumber accepts a YAML number or a string in decimal notation
// (digits, an optional sign, point and exponent: "6", "-1", "4.5", "1e-3").
// NaN, infinities, hexadecimal and anything else are rejected.
func parseNumber(raw any) (float64, error) {
	var x float64
	switch r := raw.(type) {
	case float64:
		x = r
	case string:
		s := strings.TrimSpace(r)
		if s == "" || strings.Trim(s, "+-.0123456789eE") != "" {
			return 0, errors.New("not a number")
		}
		v, err := strconv.ParseFloat(s, 64)
		if math.IsInf(v, 0) {
			return 0, errors.New("too large")
		}
		if err != nil && !errors.Is(err, strconv.ErrRange) { // underflow is a tiny number, fine
			return 0, errors.New("not a number")
		}
		x = v
	default:
		n, err := parseInt(raw)
		if err != nil {
			return 0, errors.New("not a number")
		}
		x = float64(n)
	}
	if math.IsNaN(x) {
		return 0, errors.New("not a number")
	}
	if math.IsInf(x, 0) {
		return 0, errors.New("not finite")
	}
	return x, nil
}

// formatNumber prints x as briefly as parseNumber reads it back: "6", "0.5".
func formatNumber(x float64) string {
	return strconv.FormatFloat(x, 'f', -1, 64)
}

// unitBytes returns the number of bytes in a lower-case size unit.
func unitBytes(unit string) (int64, bool) {
	switch unit {
	case "", "b":
		return 1, true
	case "kb":
		return 1e3, true
	case "mb":
		return 1e6, true
	case "gb":
		return 1e9, true
	case "tb":
		return 1e12, true
	case "kib":
		return 1 << 10, true
	case "mib":
		return 1 << 20, true
	case "gib":
		return 1 << 30, true
	case "tib":
		return 1 << 40, true
	}
	return 0, false
}

// parseSize accepts a YAML integer (bytes) or a string: digits, optional
// space, optional unit (case-insensitive).
func parseSize(raw any) (int64, error) {
	var n int64
	switch r := raw.(type) {
	case string:
		s := strings.TrimSpace(r)
		if strings.HasPrefix(s, "-") {
			return 0, errors.New("negative")
		}
		i := strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' })
		if i < 0 {
			i = len(s)
		}
		if i == 0 {
			return 0, errors.New("not a size")
		}
		if i < len(s) && s[i] == '.' {
			return 0, errors.New("not a whole number; use a smaller unit, like 1536MiB for 1.5GiB")
		}
		unit := strings.TrimSpace(s[i:])
		mult, ok := unitBytes(strings.ToLower(unit))
		if !ok {
			return 0, fmt.Errorf("unknown unit %q", unit)
		}
		v, err := strconv.ParseInt(s[:i], 10, 64)
		if err != nil || v > math.MaxInt64/mult {
			return 0, errors.New("too large")
		}
		n = v * mult
	default:
		v, err := parseInt(raw)
		if err != nil {
			return 0, errors.New("not a size")
		}
		n = v
	}
	if n <= 0 {
		return 0, errors.New("not positive")
	}
	return n, nil
}

// formatSize prints n in the largest unit that divides it exactly, binary
// units first, so that parseSize reads it back to n.
func formatSize(n int64) string {
	for _, u := range []struct {
		name string
		mult int64
	}{
		{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10},
		{"TB", 1e12}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3},
	} {
		if n != 0 && n%u.mult == 0 {
			return strconv.FormatInt(n/u.mult, 10) + u.name
		}
	}
	return strconv.FormatInt(n, 10)
}

// parseDuration accepts only a string with units; any bare number (from
// YAML or text) is rejected rather than taken as nanoseconds.
func parseDuration(raw any) (time.Duration, error) {
	s, ok := raw.(string)
	if !ok {
		if _, err := parseInt(raw); err == nil {
			return 0, errors.New("a bare number has no unit")
		}
		if _, isFloat := raw.(float64); isFloat {
			return 0, errors.New("a bare number has no unit")
		}
		return 0, errors.New("not a duration")
	}
	s = strings.TrimSpace(s)
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return 0, errors.New("a bare number has no unit")
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, errors.New("not a duration")
	}
	return d, nil
}

// formatDuration is time.Duration.String without zero tails: "10m", not
// "10m0s".
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
