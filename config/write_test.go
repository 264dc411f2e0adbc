package config

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestLoaded_WriteYAML_RoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name  string
		file  string
		env   map[string]string
		flags map[string]string
	}{
		{name: "defaults"},
		{
			name:  "every layer and awkward values",
			file:  "data_dir: \"/srv/at tune/#x: y\"\nlibrary:\n  watch: ['/a:b', \"/it's\", '/- dash', '/[x]']\n",
			env:   map[string]string{"ATTUNE_LIBRARY_WORKERS": "3", "ATTUNE_LIBRARY_DIR": "~/My Music"},
			flags: map[string]string{"library.probe_timeout": "90s", "library.max_file_size": "1500"},
		},
		{
			name:  "sizes and durations in other units",
			file:  "library:\n  max_file_size: 500MB\n  probe_timeout: 1m0s\n",
			flags: map[string]string{"data_dir": "true"}, // a path that looks like a YAML bool
		},
		{
			name:  "audio decimals from every layer",
			file:  "audio:\n  max_slew: 6.0\n  ceiling: -0.5\n  pause_fade: 1500ms\n",
			env:   map[string]string{"ATTUNE_AUDIO_MAX_SLEW": "2.25", "ATTUNE_AUDIO_SAMPLE_RATE": "44100"},
			flags: map[string]string{"audio.ceiling": "-3.75", "audio.skip_fade": "0.5s"},
		},
		{
			name: "server and log from every layer",
			file: "server:\n  listen: '[::]:8480'\n  origins: ['HTTPS://X.lan:443', 'http://10.0.0.5:8480']\n" +
				"  tls_cert: ~/cert.pem\n  patient_grace: 0s\nlog:\n  level: DEBUG\n",
			env:   map[string]string{"ATTUNE_SERVER_TLS_KEY": "key.pem", "ATTUNE_SERVER_MAX_UPLOAD": "1500MB"},
			flags: map[string]string{"server.session_ttl": "90m", "log.level": "warn"},
		},
		{
			name: "audio whole numbers as YAML floats",
			file: "audio:\n  max_slew: 12.0\n  ceiling: -0.0\n",
		},
		{
			name: "rooms with awkward values",
			file: "audio:\n  ceiling: -0.0\nrooms:\n" +
				"  - name: \"Room #2: 'x'\"\n    volume: -7.5\n    patient_volume: {min: -20.0, max: -0.5}\n" +
				"    outputs:\n      - {type: null, trim: -0.0}\n      - {type: file, path: '~/true', optional: true}\n" +
				"      - {name: s-1, type: stream, bitrate: 64}\n      - {type: speaker, device: 'plughw:CARD=x,DEV=0'}\n" +
				"  - name: 'yes'\n    ceiling: -60\n    outputs: [{type: 'null'}]\n",
		},
		{
			name: "profiles overridden and added",
			file: "profiles:\n  - {name: Intranasal, onset: {max: 16m30s}}\n" +
				"  - {name: im-long, onset: {min: 0s, max: 90s}, effect: {min: 1h, max: 75m}, return: {min: 1m, max: 1m}, observe_until: 3h}\n",
		},
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
			var buf bytes.Buffer
			if err := l.WriteYAML(&buf); err != nil {
				t.Fatal(err)
			}
			out := buf.String()

			// It is YAML, with each value and a comment saying where it came from.
			var doc yaml.Node
			if err := yaml.Unmarshal(buf.Bytes(), &doc); err != nil {
				t.Fatalf("output is not YAML: %v\n%s", err, out)
			}
			var m map[string]any
			if err := yaml.Unmarshal(buf.Bytes(), &m); err != nil {
				t.Fatal(err)
			}
			for _, k := range Keys() {
				got, node := lookup(m, &doc, k.Name)
				want := k.value(&l.Config)
				if ss, ok := want.([]string); ok {
					anys := []any{}
					for _, s := range ss {
						anys = append(anys, s)
					}
					want = anys
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s: output has %#v, want %#v\n%s", k.Name, got, want, out)
				}
				if node == nil || node.LineComment != "# "+l.Origin(k.Name) {
					t.Errorf("%s: comment %q, want %q\n%s", k.Name, commentOf(node), "# "+l.Origin(k.Name), out)
				}
			}

			// Loaded back as a config file, it gives the same Config.
			env := map[string]string{}
			for k := range tc.env {
				env[k] = ""
			}
			for k, v := range env {
				t.Setenv(k, v)
			}
			o2 := o
			o2.Flags = nil
			o2.File = writeFile(t, t.TempDir(), "effective.yaml", out)
			l2 := mustLoad(t, o2)
			if !reflect.DeepEqual(l2.Config, l.Config) {
				t.Errorf("loaded back: %+v\nwant %+v\n%s", l2.Config, l.Config, out)
			}
		})
	}
}

// lookup finds a dotted key in the decoded map and its value node.
func lookup(m map[string]any, doc *yaml.Node, key string) (any, *yaml.Node) {
	parts := strings.Split(key, ".")
	var val any = m
	node := doc.Content[0]
	for _, p := range parts {
		mm, _ := val.(map[string]any)
		val = mm[p]
		var next *yaml.Node
		for i := 0; node != nil && i+1 < len(node.Content); i += 2 {
			if node.Content[i].Value == p {
				next = node.Content[i+1]
			}
		}
		node = next
	}
	return val, node
}

func commentOf(n *yaml.Node) string {
	if n == nil {
		return "(no node)"
	}
	return n.LineComment
}

func TestLoaded_WriteYAML_Format(t *testing.T) {
	o := testOptions(t)
	o.Home = "/home/x"
	o.Dirs = []string{o.WorkDir}
	file := writeFile(t, o.WorkDir, FileName, "library:\n  workers: 2\n")
	t.Setenv("ATTUNE_DATA_DIR", "/data")
	o.Flags = map[string]string{"library.watch": "/w1:/w2"}
	var buf bytes.Buffer
	if err := mustLoad(t, o).WriteYAML(&buf); err != nil {
		t.Fatal(err)
	}
	want := "# effective attune configuration; config file: " + file + "\n" +
		"data_dir: /data # env ATTUNE_DATA_DIR\n" +
		"library:\n" +
		"  dir: /data/media # default\n" +
		"  watch: [/w1, /w2] # flag --library-watch\n" +
		"  max_file_size: 1GiB # default\n" +
		"  workers: 2 # file " + file + ":2\n" +
		"  probe_timeout: 10s # default\n" +
		"audio:\n" +
		"  sample_rate: 48000 # default\n" +
		"  pause_fade: 2s # default\n" +
		"  skip_fade: 4s # default\n" +
		"  max_slew: 6 # default\n" +
		"  ceiling: -1 # default\n" +
		"  loudness_target: -18 # default\n" +
		"server:\n" +
		"  listen: 127.0.0.1:8480 # default\n" +
		"  origins: [] # default\n" +
		"  tls_cert: \"\" # default\n" +
		"  tls_key: \"\" # default\n" +
		"  max_upload: 1GiB # default\n" +
		"  patient_grace: 30m # default\n" +
		"  session_ttl: 12h # default\n" +
		"log:\n" +
		"  level: info # default\n" +
		"# rooms come from the config file only (no env or flag form)\n" +
		"rooms: # default\n" +
		"  - name: Room 1 # default\n" +
		"    ceiling: -1 # default (audio.ceiling)\n" +
		"    loudness_target: -18 # default (audio.loudness_target)\n" +
		"    volume: -12 # default\n" +
		"    patient_volume:\n" +
		"      min: -30 # default\n" +
		"      max: -6 # default\n" +
		"    outputs: # default\n" +
		"      - name: stream # default\n" +
		"        type: stream # default\n" +
		"        bitrate: 256 # default\n" +
		"        trim: 0 # default\n" +
		"        optional: false # default\n" +
		"      - name: speaker # default\n" +
		"        type: speaker # default\n" +
		"        device: default # default\n" +
		"        trim: 0 # default\n" +
		"        optional: true # default\n" +
		"# route profiles come from the config file only; the built-ins are listed too\n" +
		"profiles: # default\n" +
		profileYAML("intranasal", "10m", "15m", "30m", "45m", "15m", "20m", "2h") +
		profileYAML("intramuscular", "2m", "5m", "45m", "1h", "15m", "20m", "2h") +
		profileYAML("intravenous", "1m", "5m", "35m", "45m", "20m", "30m", "2h") +
		profileYAML("sublingual", "15m", "20m", "40m", "1h", "20m", "30m", "2h30m")
	if got := buf.String(); got != want {
		t.Errorf("WriteYAML =\n%s\nwant\n%s", got, want)
	}
}

// profileYAML is how WriteYAML prints a built-in profile left as it is.
func profileYAML(name string, v ...string) string {
	s := "  - name: " + name + " # default\n"
	for i, w := range []string{"onset", "effect", "return"} {
		s += "    " + w + ":\n      min: " + v[2*i] + " # default\n      max: " + v[2*i+1] + " # default\n"
	}
	return s + "    observe_until: " + v[6] + " # default\n"
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, os.ErrClosed }

func TestLoaded_WriteYAML_WriteError(t *testing.T) {
	err := mustLoad(t, testOptions(t)).WriteYAML(failWriter{})
	if !errors.Is(err, os.ErrClosed) {
		t.Errorf("WriteYAML to a failing writer = %v, want it to wrap os.ErrClosed", err)
	}
}

// The docs list every key with its env var and flag.
func TestDocs_ListEveryKey(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "docs", "configuration.md"))
	if err != nil {
		t.Fatalf("read the docs: %v", err)
	}
	doc := string(data)
	for _, k := range Keys() {
		for _, s := range []string{"`" + k.Name + "`", "`" + k.Env() + "`", "`--" + k.Flag() + "`", k.Allowed} {
			if !strings.Contains(doc, s) {
				t.Errorf("docs/configuration.md lacks %q (key %s)", s, k.Name)
			}
		}
	}
}
