package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// loadRooms loads a config file with body from the work dir; it returns the
// file's path.
func loadRooms(t testing.TB, body string) (*Loaded, string, error) {
	t.Helper()
	o := testOptions(t)
	o.Dirs = []string{o.WorkDir}
	file := writeFile(t, o.WorkDir, FileName, body)
	l, err := Load(o)
	return l, file, err
}

func TestLoad_Rooms(t *testing.T) {
	l, file, err := loadRooms(t, `audio:
  ceiling: -2
rooms:
  - name: Willow
    volume: -10
    Patient_Volume: {min: -24.5, max: -3}
    outputs:
      - type: Speaker
        device: hw:1,0
        trim: -3
      - {name: rec, type: file, path: rec/session.wav, optional: true}
      - {name: tablet, type: stream, bitrate: "320"}
  - name: Oak
    ceiling: -3.5
    loudness_target: -20
    outputs: [{type: null}]
`)
	if err != nil {
		t.Fatal(err)
	}
	work := filepath.Dir(file)
	want := []Room{
		{Name: "Willow", CeilingDB: -2, LoudnessTarget: -18, VolumeDB: -10, Patient: VolumeRange{-24.5, -3}, Outputs: []Output{
			{Name: "speaker", Type: OutputSpeaker, Device: "hw:1,0", TrimDB: -3},
			{Name: "rec", Type: OutputFile, Path: filepath.Join(work, "rec/session.wav"), Optional: true},
			{Name: "tablet", Type: OutputStream, Bitrate: 320},
		}},
		{Name: "Oak", CeilingDB: -3.5, LoudnessTarget: -20, VolumeDB: -12, Patient: VolumeRange{-30, -6}, Outputs: []Output{
			{Name: "null", Type: OutputNull},
		}},
	}
	if !reflect.DeepEqual(l.Config.Rooms, want) {
		t.Errorf("Rooms =\n%+v\nwant\n%+v", l.Config.Rooms, want)
	}
	for path, want := range map[string]string{
		"rooms":                        "file " + file + ":3",
		"rooms[0]":                     "file " + file + ":4",
		"rooms[0].name":                "file " + file + ":4",
		"rooms[0].ceiling":             "default (audio.ceiling)",
		"rooms[0].volume":              "file " + file + ":5",
		"rooms[0].patient_volume.min":  "file " + file + ":6",
		"rooms[0].outputs[0].name":     "default",
		"rooms[0].outputs[0].type":     "file " + file + ":8",
		"rooms[0].outputs[0].trim":     "file " + file + ":10",
		"rooms[0].outputs[1].optional": "file " + file + ":11",
		"rooms[0].outputs[2].bitrate":  "file " + file + ":12",
		"rooms[1].ceiling":             "file " + file + ":14",
		"rooms[1].volume":              "default",
		"rooms[1].patient_volume.max":  "default",
		"rooms[1].outputs[0].type":     "file " + file + ":16",
		"rooms[2]":                     "",
	} {
		if got := l.Origin(path); got != want {
			t.Errorf("Origin(%s) = %q, want %q", path, got, want)
		}
	}
	if got := l.Source("rooms[0].ceiling"); got != SourceDefault {
		t.Errorf("Source(rooms[0].ceiling) = %q, want default", got)
	}
}

func TestLoad_DefaultRooms(t *testing.T) {
	for _, tc := range []struct {
		file        string
		wantCeiling float64
	}{
		{"", -1},
		{"rooms:\n", -1}, // null counts as unset
		{"audio:\n  ceiling: -6\n", -6},
		{"audio:\n  ceiling: 0\n", -1}, // the engine reads 0 as its default, -1
	} {
		l, _, err := loadRooms(t, tc.file)
		if err != nil {
			t.Fatalf("%q: %v", tc.file, err)
		}
		want := DefaultRooms(tc.wantCeiling, -18)
		if !reflect.DeepEqual(l.Config.Rooms, want) {
			t.Errorf("%q: Rooms = %+v, want %+v", tc.file, l.Config.Rooms, want)
		}
		if got := l.Config.Rooms[0].CeilingDB; got != tc.wantCeiling {
			t.Errorf("%q: ceiling %v, want %v", tc.file, got, tc.wantCeiling)
		}
		sp := l.Config.Rooms[0].Outputs[1]
		if sp.Type != OutputSpeaker || !sp.Optional || l.Config.Rooms[0].Outputs[0].Type != OutputStream {
			t.Errorf("%q: outputs %+v, want the stream and an optional speaker", tc.file, l.Config.Rooms[0].Outputs)
		}
		if got := l.Origin("rooms[0].outputs[1].device"); got != "default" {
			t.Errorf("%q: Origin(rooms[0].outputs[1].device) = %q, want default", tc.file, got)
		}
	}
}

func TestConfig_Room(t *testing.T) {
	c := Config{Rooms: []Room{{Name: "Willow"}, {Name: "Oak"}}}
	for _, tc := range []struct {
		name, want string
		ok         bool
	}{
		{"", "Willow", true},
		{"Oak", "Oak", true},
		{"oAK", "Oak", true},
		{"Elm", "", false},
	} {
		r, ok := c.Room(tc.name)
		if r.Name != tc.want || ok != tc.ok {
			t.Errorf("Room(%q) = %q, %v; want %q, %v", tc.name, r.Name, ok, tc.want, tc.ok)
		}
	}
}

// roomsYAML wraps the YAML text of one room's outputs list (indented under
// "outputs:") in a file; the outputs start on line 4.
func roomsYAML(outputs string) string {
	return "rooms:\n  - name: A\n    outputs:\n" + outputs
}

// Every error about rooms is one line naming the path, the value, where it
// came from and what is allowed. F stands for the file's path.
func TestLoad_RoomErrors(t *testing.T) {
	for _, tc := range []struct {
		name, body, want string
	}{
		// The list and the rooms.
		{"rooms not a list", "rooms: Willow\n",
			`config: rooms: "Willow" from file F:1 is not allowed (not a list): want a list of rooms, each a mapping with a name and outputs`},
		{"rooms empty", "rooms: []\n",
			`config: rooms: "[]" from file F:1 is not allowed (empty; leave rooms out for the default room): want a list of rooms, each a mapping with a name and outputs`},
		{"room not a mapping", "rooms:\n  - Willow\n",
			`config: rooms[0]: "Willow" from file F:2 is not allowed (not a mapping): want a mapping with name, ceiling, loudness_target, volume, patient_volume, outputs`},
		{"room without name", "rooms:\n  - outputs: [{type: file, path: /a.wav}]\n",
			`config: rooms[0].name: not set in file F:2: want ` + allowedRoomName},
		{"room name empty", "rooms:\n  - name: ''\n    outputs: [{type: null}]\n",
			`config: rooms[0].name: "" from file F:2 is not allowed (empty): want ` + allowedRoomName},
		{"room name spaces", "rooms:\n  - name: ' A'\n    outputs: [{type: null}]\n",
			`config: rooms[0].name: " A" from file F:2 is not allowed (leading or trailing space): want ` + allowedRoomName},
		{"room name a list", "rooms:\n  - name: [A]\n    outputs: [{type: null}]\n",
			`config: rooms[0].name: "[A]" from file F:2 is not allowed (not a name): want ` + allowedRoomName},
		{"duplicate room", "rooms:\n  - name: Willow\n    outputs: [{type: null}]\n  - name: WILLOW\n    outputs: [{type: null}]\n",
			`config: rooms[1].name: "WILLOW" from file F:4 is not allowed (rooms[0] has that name already): want ` + allowedRoomName},
		{"room without outputs", "rooms:\n  - name: A\n",
			`config: rooms[0].outputs: not set in file F:2: want a list of at least one output, each a mapping with a type`},
		{"room with empty outputs", "rooms:\n  - name: A\n    outputs: []\n",
			`config: rooms[0].outputs: "[]" from file F:3 is not allowed (a room needs at least one output): want a list of at least one output, each a mapping with a type`},
		{"outputs not a list", "rooms:\n  - name: A\n    outputs: {type: null}\n",
			`config: rooms[0].outputs: "map[type:<nil>]" from file F:3 is not allowed (not a list): want a list of at least one output, each a mapping with a type`},
		{"ceiling zero", "rooms:\n  - name: A\n    ceiling: 0\n    outputs: [{type: null}]\n",
			`config: rooms[0].ceiling: "0" from file F:3 is not allowed (out of range): want a number from -60 to 0, below 0 (dBFS)`},
		{"ceiling too low", "rooms:\n  - name: A\n    ceiling: -61\n    outputs: [{type: null}]\n",
			`config: rooms[0].ceiling: "-61" from file F:3 is not allowed (out of range): want a number from -60 to 0, below 0 (dBFS)`},
		{"ceiling with unit", "rooms:\n  - name: A\n    ceiling: -1dB\n    outputs: [{type: null}]\n",
			`config: rooms[0].ceiling: "-1dB" from file F:3 is not allowed (not a number): want a number from -60 to 0, below 0 (dBFS)`},
		{"volume above the patient range", "rooms:\n  - name: A\n    volume: 0\n    outputs: [{type: null}]\n",
			`config: rooms[0].volume: "0" from file F:3 is not allowed (out of range): want a number from -30 to -6 (dB; the room's patient_volume range)`},
		{"volume below a custom range", "rooms:\n  - name: A\n    volume: -25\n    patient_volume: {min: -20.5}\n    outputs: [{type: null}]\n",
			`config: rooms[0].volume: "-25" from file F:3 is not allowed (out of range): want a number from -20.5 to -6 (dB; the room's patient_volume range)`},
		{"patient min not below max", "rooms:\n  - name: A\n    patient_volume: {min: -6, max: -6}\n    outputs: [{type: null}]\n",
			`config: rooms[0].patient_volume.min: "-6" from file F:3 is not allowed (min must be below max, and max is -6): want a number from -60 to 0 (dB)`},
		{"patient max below default min", "rooms:\n  - name: A\n    patient_volume:\n      max: -40\n    outputs: [{type: null}]\n",
			`config: rooms[0].patient_volume.max: "-40" from file F:4 is not allowed (min must be below max, and min is -30): want a number from -60 to 0 (dB)`},
		{"patient max above 0", "rooms:\n  - name: A\n    patient_volume: {max: 3}\n    outputs: [{type: null}]\n",
			`config: rooms[0].patient_volume.max: "3" from file F:3 is not allowed (out of range): want a number from -60 to 0 (dB)`},
		{"patient not a mapping", "rooms:\n  - name: A\n    patient_volume: -6\n    outputs: [{type: null}]\n",
			`config: rooms[0].patient_volume: "-6" from file F:3 is not allowed (not a mapping): want a mapping with min and max`},

		// Outputs.
		{"output not a mapping", roomsYAML("      - speaker\n"),
			`config: rooms[0].outputs[0]: "speaker" from file F:4 is not allowed (not a mapping): want a mapping with name, type, device, path, trim, bitrate, optional`},
		{"output without type", roomsYAML("      - {name: x}\n"),
			`config: rooms[0].outputs[0].type: not set in file F:4: want one of speaker, stream, file, null`},
		{"type typo", roomsYAML("      - type: speeker\n"),
			`config: rooms[0].outputs[0].type: "speeker" from file F:4 is not allowed (unknown output type; did you mean "speaker"?): want one of speaker, stream, file, null`},
		{"type unknown", roomsYAML("      - type: headphones\n"),
			`config: rooms[0].outputs[0].type: "headphones" from file F:4 is not allowed (unknown output type): want one of speaker, stream, file, null`},
		{"type a list", roomsYAML("      - type: [file]\n"),
			`config: rooms[0].outputs[0].type: "[file]" from file F:4 is not allowed (unknown output type): want one of speaker, stream, file, null`},
		{"output name with slash", roomsYAML("      - {name: a/b, type: null}\n"),
			`config: rooms[0].outputs[0].name: "a/b" from file F:4 is not allowed (a character other than a letter, digit, - or _): want ` + allowedOutputName},
		{"duplicate output names", roomsYAML("      - {name: main, type: null}\n      - {name: Main, type: file, path: /a.wav}\n"),
			`config: rooms[0].outputs[1].name: "Main" from file F:5 is not allowed (rooms[0].outputs[0] has that name already (give each output a name)): want ` + allowedOutputName},
		{"duplicate default names", roomsYAML("      - {type: speaker}\n      - {type: speaker, device: 'hw:1'}\n"),
			`config: rooms[0].outputs[1].name: "speaker" from file F:5 is not allowed (rooms[0].outputs[0] has that name already (give each output a name)): want ` + allowedOutputName},
		{"file without path", roomsYAML("      - type: file\n"),
			`config: rooms[0].outputs[0].path: not set in file F:4: want ` + pathAllowed},
		{"file path ~user", roomsYAML("      - {type: file, path: ~bob/a.wav}\n"),
			`config: rooms[0].outputs[0].path: "~bob/a.wav" from file F:4 is not allowed (~user is not supported): want ` + pathAllowed},
		{"device on a stream", roomsYAML("      - {type: stream, device: hw:1}\n"),
			`config: rooms[0].outputs[0].device: "hw:1" from file F:4 is not allowed (device is not a setting of a stream output): want no device: it applies to speaker outputs only`},
		{"bitrate on a file", roomsYAML("      - {type: file, path: /a.wav, bitrate: 128}\n"),
			`config: rooms[0].outputs[0].bitrate: "128" from file F:4 is not allowed (bitrate is not a setting of a file output): want no bitrate: it applies to stream outputs only`},
		{"path on a speaker", roomsYAML("      - {type: speaker, path: /a.wav}\n"),
			`config: rooms[0].outputs[0].path: "/a.wav" from file F:4 is not allowed (path is not a setting of a speaker output): want no path: it applies to file outputs only`},
		{"empty device", roomsYAML("      - {type: speaker, device: ''}\n"),
			`config: rooms[0].outputs[0].device: "" from file F:4 is not allowed (empty): want an ALSA device name, like default or hw:1,0`},
		{"bitrate not MP3", roomsYAML("      - {type: stream, bitrate: 100}\n"),
			`config: rooms[0].outputs[0].bitrate: "100" from file F:4 is not allowed (not an MP3 bitrate): want ` + allowedBitrate},
		{"bitrate with unit", roomsYAML("      - {type: stream, bitrate: 256k}\n"),
			`config: rooms[0].outputs[0].bitrate: "256k" from file F:4 is not allowed (not a whole number): want ` + allowedBitrate},
		{"trim above 0", roomsYAML("      - {type: null, trim: 1}\n"),
			`config: rooms[0].outputs[0].trim: "1" from file F:4 is not allowed (out of range): want a number from -60 to 0 (dB)`},
		{"trim NaN", roomsYAML("      - {type: null, trim: .nan}\n"),
			`config: rooms[0].outputs[0].trim: ".nan" from file F:4 is not allowed (not a number): want a number from -60 to 0 (dB)`},
		{"optional not a bool", roomsYAML("      - {type: null, optional: yes}\n"),
			`config: rooms[0].outputs[0].optional: "yes" from file F:4 is not allowed (not true or false): want true or false`},
		{"loudness target", "rooms:\n  - name: A\n    loudness_target: -3\n    outputs: [{type: null}]\n",
			`config: rooms[0].loudness_target: "-3" from file F:3 is not allowed (out of range): want a number from -40 to -5 (LUFS)`},
		{"error in the second room's output", "rooms:\n  - name: A\n    outputs: [{type: null}]\n  - name: B\n    outputs:\n      - type: null\n      - type: strem\n",
			`config: rooms[1].outputs[1].type: "strem" from file F:7 is not allowed (unknown output type; did you mean "stream"?): want one of speaker, stream, file, null`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, file, err := loadRooms(t, tc.body)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Load = %v, want a *Error", err)
			}
			if want := strings.ReplaceAll(tc.want, "file F:", "file "+file+":"); err.Error() != want {
				t.Errorf("error\n got %s\nwant %s", err, want)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("errors.Is(%v, ErrInvalid) = false", err)
			}
		})
	}
}

// Unknown and repeated keys in rooms are file errors at their line, with a
// suggestion when one is near.
func TestLoad_RoomFileErrors(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		wantLine   int
		wantKey    string
		wantMsg    string
	}{
		{"rooms typo", "room:\n  - name: A\n", 1, "room", `unknown key "room" (did you mean "rooms"?)`},
		{"room key typo", "rooms:\n  - name: A\n    celing: -3\n", 3, "rooms[0].celing", `unknown key "rooms[0].celing" (did you mean "ceiling"?)`},
		{"output key typo", roomsYAML("      - {type: file, pth: /a.wav}\n"), 4, "rooms[0].outputs[0].pth", `unknown key "rooms[0].outputs[0].pth" (did you mean "path"?)`},
		{"output key far off", roomsYAML("      - {type: null, colour: red}\n"), 4, "rooms[0].outputs[0].colour",
			`unknown key "rooms[0].outputs[0].colour" (want name, type, device, path, trim, bitrate, optional)`},
		{"patient key typo", "rooms:\n  - name: A\n    patient_volume:\n      mx: -3\n", 4, "rooms[0].patient_volume.mx", `(did you mean "max"?)`},
		{"room key twice", "rooms:\n  - name: A\n    Name: B\n", 3, "rooms[0].name", `key "rooms[0].name" given twice (first on line 2; keys are case-insensitive)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, file, err := loadRooms(t, tc.body)
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("Load = %v, want a *FileError", err)
			}
			if fe.File != file || fe.Line != tc.wantLine || fe.Key != tc.wantKey {
				t.Errorf("got file %q line %d key %q, want %q line %d key %q (%v)",
					fe.File, fe.Line, fe.Key, file, tc.wantLine, tc.wantKey, err)
			}
			if msg := err.Error(); !strings.Contains(msg, tc.wantMsg) || strings.Contains(msg, "\n") {
				t.Errorf("error %q, want one line containing %q", msg, tc.wantMsg)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("errors.Is(%v, ErrInvalid) = false", err)
			}
		})
	}
}

// A room's name may be anything YAML reads as text, numbers included.
func TestLoad_RoomNameNumber(t *testing.T) {
	l, _, err := loadRooms(t, "rooms:\n  - name: 2\n    outputs: [{type: null}]\n")
	if err != nil {
		t.Fatal(err)
	}
	if got := l.Config.Rooms[0].Name; got != "2" {
		t.Errorf("name %q, want \"2\"", got)
	}
}

// The docs describe every room and output key and what each allows.
func TestDocs_DescribeRooms(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "docs", "configuration.md"))
	if err != nil {
		t.Fatalf("read the docs: %v", err)
	}
	doc := string(data)
	want := []string{allowedRoomName, allowedCeiling, allowedOutputName, allowedTrim, allowedOptional, allowedDevice,
		allowedOutputs, pathAllowed, allowedType, strings.TrimPrefix(allowedBitrate, "an ")}
	for _, k := range append(append(roomKeys, outputKeys...), "patient_volume.min", "patient_volume.max") {
		want = append(want, "`"+k+"`")
	}
	for _, s := range want {
		if !strings.Contains(doc, s) {
			t.Errorf("docs/configuration.md lacks %q", s)
		}
	}
}
