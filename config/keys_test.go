package config

import (
	"errors"
	"math"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

func TestLoad_InvalidValues(t *testing.T) {
	for _, tc := range []struct {
		key, layer, raw       string // raw is YAML text for layer "file"
		wantValue, wantReason string
	}{
		{"data_dir", "flag", "", "", "empty"},
		{"data_dir", "file", `""`, "", "empty"},
		{"data_dir", "file", "[a, b]", "[a, b]", "not a path"},
		{"data_dir", "file", "{a: b}", "map[a:b]", "not a path"},
		{"library.dir", "file", "~bob/music", "~bob/music", "~user is not supported"},
		{"library.dir", "env", "~bob", "~bob", "~user is not supported"},
		{"library.watch", "file", "[/ok, ~bob]", "[/ok, ~bob]", `"~bob": ~user is not supported`},
		{"library.watch", "env", "/ok:~bob", "/ok:~bob", `"~bob": ~user is not supported`},
		{"library.watch", "file", "[/ok, [/nested]]", "[/ok, [/nested]]", "not a path"},
		{"library.watch", "file", "{a: 1}", "map[a:1]", "not a list"},
		{"library.max_file_size", "flag", "0", "0", "not positive"},
		{"library.max_file_size", "file", "0", "0", "not positive"},
		{"library.max_file_size", "env", "-5", "-5", "negative"},
		{"library.max_file_size", "file", "-5", "-5", "not positive"},
		{"library.max_file_size", "file", "-1GiB", "-1GiB", "negative"},
		{"library.max_file_size", "flag", "0GiB", "0GiB", "not positive"},
		{"library.max_file_size", "flag", "big", "big", "not a size"},
		{"library.max_file_size", "flag", "10 XB", "10 XB", `unknown unit "XB"`},
		{"library.max_file_size", "flag", "1G", "1G", `unknown unit "G"`},
		{"library.max_file_size", "flag", "9999999TiB", "9999999TiB", "too large"},
		{"library.max_file_size", "flag", "99999999999999999999", "99999999999999999999", "too large"},
		{"library.max_file_size", "file", "1.5", "1.5", "not a size"},
		{"library.max_file_size", "flag", "1.5GiB", "1.5GiB", "use a smaller unit"},
		{"library.max_file_size", "file", "true", "true", "not a size"},
		{"library.workers", "env", "zero", "zero", "not a whole number"},
		{"library.workers", "flag", "0", "0", "out of range"},
		{"library.workers", "file", "257", "257", "out of range"},
		{"library.workers", "flag", "-1", "-1", "out of range"},
		{"library.workers", "file", "2.5", "2.5", "not a whole number"},
		{"library.workers", "file", "[1]", "[1]", "not a whole number"},
		{"library.probe_timeout", "file", "1500", "1500", "a bare number has no unit"},
		{"library.probe_timeout", "file", "1.5", "1.5", "a bare number has no unit"},
		{"library.probe_timeout", "env", "0", "0", "a bare number has no unit"},
		{"library.probe_timeout", "flag", "500ms", "500ms", "out of range"},
		{"library.probe_timeout", "flag", "10m1s", "10m1s", "out of range"},
		{"library.probe_timeout", "flag", "-2s", "-2s", "out of range"},
		{"library.probe_timeout", "flag", "soon", "soon", "not a duration"},
		{"library.probe_timeout", "file", "[1s]", "[1s]", "not a duration"},
		{"audio.sample_rate", "file", "7999", "7999", "out of range"},
		{"audio.sample_rate", "flag", "192001", "192001", "out of range"},
		{"audio.sample_rate", "env", "48k", "48k", "not a whole number"},
		{"audio.sample_rate", "file", "44100.5", "44100.5", "not a whole number"},
		{"audio.pause_fade", "file", "2", "2", "a bare number has no unit"},
		{"audio.pause_fade", "env", "2000", "2000", "a bare number has no unit"},
		{"audio.pause_fade", "flag", "99ms", "99ms", "out of range"},
		{"audio.pause_fade", "flag", "30.5s", "30.5s", "out of range"},
		{"audio.pause_fade", "env", "-2s", "-2s", "out of range"},
		{"audio.pause_fade", "flag", "slowly", "slowly", "not a duration"},
		{"audio.skip_fade", "file", "4", "4", "a bare number has no unit"},
		{"audio.skip_fade", "flag", "4.5", "4.5", "a bare number has no unit"},
		{"audio.skip_fade", "file", "50ms", "50ms", "out of range"},
		{"audio.skip_fade", "env", "1m", "1m", "out of range"},
		{"audio.skip_fade", "file", "true", "true", "not a duration"},
		{"audio.max_slew", "flag", "0.4", "0.4", "out of range"},
		{"audio.max_slew", "file", "0", "0", "out of range"},
		{"audio.max_slew", "env", "60.01", "60.01", "out of range"},
		{"audio.max_slew", "file", "-6", "-6", "out of range"},
		{"audio.max_slew", "flag", "fast", "fast", "not a number"},
		{"audio.max_slew", "flag", "6dB", "6dB", "not a number"},
		{"audio.max_slew", "flag", "0x6", "0x6", "not a number"},
		{"audio.max_slew", "flag", "", "", "not a number"},
		{"audio.max_slew", "flag", "1e400", "1e400", "too large"},
		{"audio.max_slew", "env", "NaN", "NaN", "not a number"},
		{"audio.max_slew", "file", ".nan", "NaN", "not a number"},
		{"audio.max_slew", "file", ".inf", "+Inf", "not finite"},
		{"audio.max_slew", "env", "Inf", "Inf", "not a number"},
		{"audio.max_slew", "file", "[6]", "[6]", "not a number"},
		{"audio.max_slew", "file", "yes", "yes", "not a number"},
		{"audio.ceiling", "file", "1", "1", "out of range"},
		{"audio.ceiling", "flag", "0.1", "0.1", "out of range"},
		{"audio.ceiling", "env", "-30.5", "-30.5", "out of range"},
		{"audio.ceiling", "flag", "nan", "nan", "not a number"},
		{"audio.ceiling", "file", "-.inf", "-Inf", "not finite"},
		{"audio.loudness_target", "env", "-41", "-41", "out of range"},
		{"audio.loudness_target", "file", "0", "0", "out of range"},
		{"audio.ceiling", "file", "-1 dB", "-1 dB", "not a number"},
		{"audio.ceiling", "env", "--1", "--1", "not a number"},
		{"server.listen", "flag", "8480", "8480", "a bare port; write :8480 for every interface or 127.0.0.1:8480"},
		{"server.listen", "file", "8480", "8480", "a bare port"},
		{"server.listen", "env", "localhost", "localhost", "not host:port"},
		{"server.listen", "flag", "127.0.0.1:http", "127.0.0.1:http", `port "http" is not a number`},
		{"server.listen", "flag", "127.0.0.1:65536", "127.0.0.1:65536", "from 0 to 65535"},
		{"server.listen", "flag", "127.0.0.1:", "127.0.0.1:", `port "" is not a number`},
		{"server.listen", "flag", "bad_host!:80", "bad_host!:80", "neither an IP address nor a host name"},
		{"server.listen", "file", "[a, b]", "[a, b]", "not an address"},
		{"server.origins", "flag", "https://x.lan/", "https://x.lan/", `"https://x.lan/": has something after the host`},
		{"server.origins", "env", "https://ok.lan,https://x.lan/app", "https://ok.lan,https://x.lan/app", `"https://x.lan/app": has something after the host`},
		{"server.origins", "flag", "https://x.lan?a=1", "https://x.lan?a=1", "has something after the host"},
		{"server.origins", "flag", "ftp://x.lan", "ftp://x.lan", "the scheme must be http or https"},
		{"server.origins", "flag", "x.lan", "x.lan", "the scheme must be http or https"},
		{"server.origins", "flag", "*", "*", "the scheme must be http or https"},
		{"server.origins", "flag", "https://*.lan", "https://*.lan", "not a pattern"},
		{"server.origins", "flag", "https://u:p@x.lan", "https://u:p@x.lan", "user info"},
		{"server.origins", "flag", "https://x.lan:0", "https://x.lan:0", "from 1 to 65535"},
		{"server.origins", "flag", "https://x.lan:", "https://x.lan:", "an empty port"},
		{"server.origins", "flag", "https://", "https://", "no host"},
		{"server.origins", "file", "{a: 1}", "map[a:1]", "not a list"},
		{"server.origins", "file", "[https://ok.lan, 5]", "[https://ok.lan, 5]", `"5": not an origin`},
		{"server.tls_cert", "file", "~bob/c.pem", "~bob/c.pem", "~user is not supported"},
		{"server.max_upload", "flag", "0", "0", "not positive"},
		{"server.max_upload", "env", "1G", "1G", `unknown unit "G"`},
		{"server.patient_grace", "flag", "30", "30", "a bare number has no unit"},
		{"server.patient_grace", "flag", "25h", "25h", "out of range"},
		{"server.patient_grace", "env", "-1m", "-1m", "out of range"},
		{"server.session_ttl", "flag", "4m", "4m", "out of range"},
		{"server.session_ttl", "file", "12", "12", "a bare number has no unit"},
		{"log.level", "flag", "verbose", "verbose", "unknown level"},
		{"log.level", "env", "warning", "warning", `did you mean "warn"?`},
		{"log.level", "file", "1", "1", "not a level"},
	} {
		name := tc.key + "/" + tc.layer + "/" + tc.raw
		o := testOptions(t)
		var k Key
		for _, kk := range Keys() {
			if kk.Name == tc.key {
				k = kk
			}
		}
		wantOrigin := ""
		switch tc.layer {
		case "file":
			o.Dirs = []string{o.WorkDir}
			f := writeFile(t, o.WorkDir, FileName, yamlFor(tc.key, tc.raw))
			wantOrigin = "file " + f + ":" + map[bool]string{true: "2", false: "1"}[strings.Contains(tc.key, ".")]
		case "env":
			t.Setenv(k.Env(), tc.raw)
			wantOrigin = "env " + k.Env()
		case "flag":
			o.Flags = map[string]string{tc.key: tc.raw}
			wantOrigin = "flag --" + k.Flag()
		}
		_, err := Load(o)
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%s: Load = %v, want *Error", name, err)
			continue
		}
		want := Error{Key: tc.key, Value: tc.wantValue, Origin: wantOrigin, Allowed: k.Allowed, Reason: tc.wantReason}
		if e.Key != want.Key || e.Value != want.Value || e.Origin != want.Origin || e.Allowed != want.Allowed ||
			!strings.Contains(e.Reason, want.Reason) {
			t.Errorf("%s:\n got %+v\nwant %+v", name, *e, want)
		}
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: errors.Is(err, ErrInvalid) = false", name)
		}
		// One line naming key, value and what is allowed.
		msg := err.Error()
		if strings.Contains(msg, "\n") || !strings.Contains(msg, tc.key) ||
			!strings.Contains(msg, "want "+k.Allowed) || !strings.Contains(msg, `"`+tc.wantValue+`"`) {
			t.Errorf("%s: message %q does not name key, value and what is allowed on one line", name, msg)
		}
	}
}

// server.tls_cert and server.tls_key come together: one without the other
// is an error naming both, from whichever layer set it.
func TestLoad_TLSPair(t *testing.T) {
	for _, tc := range []struct {
		env              map[string]string
		flags            map[string]string
		wantKey, wantVal string
		wantOrigin       string
	}{
		{env: map[string]string{"ATTUNE_SERVER_TLS_CERT": "/c.pem"},
			wantKey: "server.tls_cert", wantVal: "/c.pem", wantOrigin: "env ATTUNE_SERVER_TLS_CERT"},
		{flags: map[string]string{"server.tls_key": "/k.pem"},
			wantKey: "server.tls_key", wantVal: "/k.pem", wantOrigin: "flag --server-tls-key"},
	} {
		o := testOptions(t)
		o.Flags = tc.flags
		for k, v := range tc.env {
			t.Setenv(k, v)
		}
		_, err := Load(o)
		var e *Error
		if !errors.As(err, &e) || !errors.Is(err, ErrInvalid) {
			t.Fatalf("Load with %s alone = %v, want an *Error", tc.wantKey, err)
		}
		if e.Key != tc.wantKey || e.Value != tc.wantVal || e.Origin != tc.wantOrigin {
			t.Errorf("error %+v, want key %s value %s origin %s", *e, tc.wantKey, tc.wantVal, tc.wantOrigin)
		}
		for _, s := range []string{"server.tls_cert", "server.tls_key", "is not set", "both"} {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("message %q lacks %q", err, s)
			}
		}
		for k := range tc.env {
			t.Setenv(k, "")
		}
	}
	// Both set, or neither: fine.
	o := testOptions(t)
	o.Flags = map[string]string{"server.tls_cert": "/c.pem", "server.tls_key": "/k.pem"}
	if s := mustLoad(t, o).Config.Server; s.TLSCert != "/c.pem" || s.TLSKey != "/k.pem" {
		t.Errorf("both set: TLSCert %q TLSKey %q, want /c.pem /k.pem", s.TLSCert, s.TLSKey)
	}
	// An empty value in the file counts as unset.
	o = testOptions(t)
	o.Dirs = []string{o.WorkDir}
	writeFile(t, o.WorkDir, FileName, "server:\n  tls_cert: ''\n  tls_key: ''\n")
	if s := mustLoad(t, o).Config.Server; s.TLSCert != "" || s.TLSKey != "" {
		t.Errorf("empty in file: TLSCert %q TLSKey %q, want none", s.TLSCert, s.TLSKey)
	}
}

func TestError_Error(t *testing.T) {
	e := &Error{Key: "library.workers", Value: "zero", Origin: "env ATTUNE_LIBRARY_WORKERS",
		Allowed: "a whole number from 1 to 256", Reason: "not a whole number"}
	want := `config: library.workers: "zero" from env ATTUNE_LIBRARY_WORKERS is not allowed (not a whole number): want a whole number from 1 to 256`
	if got := e.Error(); got != want {
		t.Errorf("Error() =\n %s\nwant\n %s", got, want)
	}
}

func TestLoad_RelativePathWithoutWorkDir(t *testing.T) {
	o := testOptions(t)
	o.WorkDir = ""
	o.Flags = map[string]string{"library.dir": "music"}
	_, err := Load(o)
	var e *Error
	if !errors.As(err, &e) || e.Key != "library.dir" || !strings.Contains(e.Reason, "working directory is unknown") {
		t.Errorf("Load = %v, want an *Error about the unknown working directory", err)
	}
	o.Flags = map[string]string{"library.dir": "~/music"}
	o.Home = ""
	o.XDGDataHome = "/xdg"
	if _, err := Load(o); !errors.As(err, &e) || !strings.Contains(e.Reason, "HOME") {
		t.Errorf("Load with ~ and no HOME = %v, want an *Error about HOME", err)
	}
}

func TestParsePath(t *testing.T) {
	f := &facts{workDir: "/w", home: "/h"}
	for _, tc := range []struct {
		raw  any
		want string
	}{
		{"/a/b", "/a/b"},
		{"/a//b/./c/", "/a/b/c"},
		{"~", "/h"},
		{"~/", "/h"},
		{"~/x/../y", "/h/y"},
		{"rel/./a", "/w/rel/a"},
		{"..", "/"},
		{"a b/#c", "/w/a b/#c"},
		{2024, "/w/2024"},
	} {
		got, err := parsePath(tc.raw, f)
		if err != nil || got != tc.want {
			t.Errorf("parsePath(%v) = %q, %v; want %q", tc.raw, got, err, tc.want)
		}
	}
}

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		raw  any
		want int64
	}{
		{"1GiB", 1 << 30},
		{"500MB", 500e6},
		{"512KiB", 512 << 10},
		{"1048576", 1 << 20},
		{1048576, 1 << 20},
		{"1 gib", 1 << 30},
		{" 2TB ", 2e12},
		{"3tib", 3 << 40},
		{"7B", 7},
		{"1kb", 1000},
		{"8MiB", 8 << 20},
		{"4GB", 4e9},
	} {
		got, err := parseSize(tc.raw)
		if err != nil || got != tc.want {
			t.Errorf("parseSize(%v) = %d, %v; want %d", tc.raw, got, err, tc.want)
		}
	}
}

func TestFormatSize_RoundTrip(t *testing.T) {
	for _, tc := range []struct {
		n    int64
		want string
	}{
		{1 << 30, "1GiB"}, {500e6, "500MB"}, {512 << 10, "512KiB"}, {1500, "1500"}, {1000, "1KB"},
		{3 << 40, "3TiB"}, {1, "1"}, {1<<30 + 1, "1073741825"},
	} {
		got := formatSize(tc.n)
		if got != tc.want {
			t.Errorf("formatSize(%d) = %q, want %q", tc.n, got, tc.want)
		}
		if back, err := parseSize(got); err != nil || back != tc.n {
			t.Errorf("parseSize(formatSize(%d)) = %d, %v", tc.n, back, err)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{10 * time.Second, "10s"}, {10 * time.Minute, "10m"}, {90 * time.Second, "1m30s"},
		{time.Hour, "1h"}, {time.Hour + time.Minute, "1h1m"}, {1500 * time.Millisecond, "1.5s"},
	} {
		got := formatDuration(tc.d)
		if got != tc.want {
			t.Errorf("formatDuration(%v) = %q, want %q", tc.d, got, tc.want)
		}
		if back, err := parseDuration(got); err != nil || back != tc.d {
			t.Errorf("parseDuration(%q) = %v, %v; want %v", got, back, err, tc.d)
		}
	}
}

func TestParseNumber(t *testing.T) {
	for _, tc := range []struct {
		raw  any
		want float64
	}{
		{6, 6}, {int64(-30), -30}, {uint64(7), 7}, {4.5, 4.5}, {-0.25, -0.25},
		{"6", 6}, {"4.5", 4.5}, {" -1 ", -1}, {"+2", 2}, {".5", 0.5}, {"5.", 5}, {"1e1", 10}, {"2.5E-1", 0.25},
		{"1e-400", 0}, // underflows to zero: in range where 0 is
	} {
		got, err := parseNumber(tc.raw)
		if err != nil || got != tc.want {
			t.Errorf("parseNumber(%#v) = %v, %v; want %v", tc.raw, got, err, tc.want)
		}
	}
	for _, tc := range []struct {
		raw        any
		wantReason string
	}{
		{math.NaN(), "not a number"}, {math.Inf(1), "not finite"}, {math.Inf(-1), "not finite"},
		{"NaN", "not a number"}, {"inf", "not a number"}, {"-Infinity", "not a number"},
		{"0x1p-2", "not a number"}, {"1_000", "not a number"}, {"", "not a number"}, {"  ", "not a number"},
		{"1.2.3", "not a number"}, {"e", "not a number"}, {"-1e999", "too large"},
		{true, "not a number"}, {nil, "not a number"}, {[]any{1}, "not a number"},
	} {
		if got, err := parseNumber(tc.raw); err == nil || err.Error() != tc.wantReason {
			t.Errorf("parseNumber(%#v) = %v, %v; want error %q", tc.raw, got, err, tc.wantReason)
		}
	}
}

// A number key's value prints briefly and reads back, via YAML, to the same
// float.
func TestNumberKey_ValueRoundTrip(t *testing.T) {
	k := numberKey("audio.ceiling", "-1", -1e9, 1e9, "help", func(c *Config) *float64 { return &c.Audio.Ceiling })
	for _, tc := range []struct {
		x    float64
		want string
	}{
		{6, "6"}, {-1, "-1"}, {0, "0"}, {4.5, "4.5"}, {-0.1, "-0.1"}, {60, "60"}, {1e8, "100000000"},
	} {
		c := Config{Audio: Audio{Ceiling: tc.x}}
		out, err := yaml.Marshal(k.value(&c))
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.TrimSpace(string(out)); got != tc.want {
			t.Errorf("value %v prints %q, want %q", tc.x, got, tc.want)
		}
		var raw any
		if err := yaml.Unmarshal(out, &raw); err != nil {
			t.Fatal(err)
		}
		var back Config
		if err := k.parse(raw, nil, &back); err != nil || back.Audio.Ceiling != tc.x {
			t.Errorf("value %v read back as %v, %v", tc.x, back.Audio.Ceiling, err)
		}
	}
	// -0 is stored as 0, so that it never prints as "-0".
	var c Config
	if err := k.parse("-0", nil, &c); err != nil || math.Signbit(c.Audio.Ceiling) {
		t.Errorf("parse(-0) = %v, %v; want +0", c.Audio.Ceiling, err)
	}
}

func TestKeys_Table(t *testing.T) {
	keys := Keys()
	name := regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$`)
	seen := map[string]bool{}
	for _, k := range keys {
		if !name.MatchString(k.Name) {
			t.Errorf("key %q: want lower-case dotted words", k.Name)
		}
		if seen[k.Name] || seen[k.Env()] || seen["--"+k.Flag()] {
			t.Errorf("key %q: name, env or flag not unique", k.Name)
		}
		seen[k.Name], seen[k.Env()], seen["--"+k.Flag()] = true, true, true
		if k.Kind == "" || k.Default == "" || k.Allowed == "" || k.Help == "" {
			t.Errorf("key %q: Kind, Default, Allowed and Help must all be set: %+v", k.Name, k)
		}
		if k.def == nil || k.parse == nil || k.value == nil {
			t.Errorf("key %q: def, parse and value must all be set", k.Name)
		}
	}
	// One key per leaf field of Config, so no field is left unconfigurable;
	// Rooms and Profiles are the file's lists, which are not in the table.
	if got, want := len(keys), countLeafFields(reflect.TypeOf(Config{}))-2; got != want {
		t.Errorf("%d keys for %d leaf fields of Config", got, want)
	}
}

func countLeafFields(t reflect.Type) int {
	n := 0
	for f := range t.Fields() {
		if f.Type.Kind() == reflect.Struct && f.Type.PkgPath() == t.PkgPath() {
			n += countLeafFields(f.Type)
		} else {
			n++
		}
	}
	return n
}

func TestKey_EnvFlag(t *testing.T) {
	for _, tc := range []struct{ name, env, flag string }{
		{"data_dir", "ATTUNE_DATA_DIR", "data-dir"},
		{"library.dir", "ATTUNE_LIBRARY_DIR", "library-dir"},
		{"library.max_file_size", "ATTUNE_LIBRARY_MAX_FILE_SIZE", "library-max-file-size"},
	} {
		k := Key{Name: tc.name}
		if k.Env() != tc.env || k.Flag() != tc.flag {
			t.Errorf("Key %q: Env %q Flag %q, want %q %q", tc.name, k.Env(), k.Flag(), tc.env, tc.flag)
		}
	}
}

func TestLoad_WatchSeparators(t *testing.T) {
	o := testOptions(t)
	o.Flags = map[string]string{"library.watch": "/a b:rel::~/c:"}
	l := mustLoad(t, o)
	want := []string{"/a b", filepath.Join(o.WorkDir, "rel"), filepath.Join(o.Home, "c")}
	if !reflect.DeepEqual(l.Config.Library.Watch, want) {
		t.Errorf("Watch = %q, want %q", l.Config.Library.Watch, want)
	}
	// A YAML scalar is taken like the env form; a YAML list is not split.
	o.Flags = nil
	o.Dirs = []string{o.WorkDir}
	writeFile(t, o.WorkDir, FileName, "library:\n  watch: /x:/y\n")
	if got := mustLoad(t, o).Config.Library.Watch; !reflect.DeepEqual(got, []string{"/x", "/y"}) {
		t.Errorf("YAML scalar: Watch = %q, want [/x /y]", got)
	}
	writeFile(t, o.WorkDir, FileName, "library:\n  watch: ['/x:y']\n")
	if got := mustLoad(t, o).Config.Library.Watch; !reflect.DeepEqual(got, []string{"/x:y"}) {
		t.Errorf("YAML list: Watch = %q, want [/x:y]", got)
	}
	writeFile(t, o.WorkDir, FileName, "library:\n  watch: []\n")
	if got := mustLoad(t, o).Config.Library.Watch; got != nil {
		t.Errorf("empty YAML list: Watch = %q, want nil", got)
	}
}
