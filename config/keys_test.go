package config

import (
	"errors"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
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
	// One key per leaf field of Config, so no field is left unconfigurable.
	if got, want := len(keys), countLeafFields(reflect.TypeOf(Config{})); got != want {
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
