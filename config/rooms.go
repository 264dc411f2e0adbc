package config

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Room is one treatment room: a playback engine with its own outputs,
// ceiling and volume. Rooms come from the config file's rooms list only;
// when it has none, DefaultRooms applies.
type Room struct {
	// Name identifies the room (attune play --room); unique, compared
	// case-insensitively.
	Name string
	// CeilingDB is the room's peak ceiling in dBFS, in [-60, 0): no command
	// raises the output above it. It defaults to audio.ceiling.
	CeilingDB float64
	// LoudnessTarget is the integrated loudness, in LUFS, every track is
	// normalized to in this room. It defaults to audio.loudness_target.
	LoudnessTarget float64
	// VolumeDB is the master volume a session starts at (after fading in
	// from silence), within Patient.
	VolumeDB float64
	// Patient is the range the patient's own softer/louder stays within.
	Patient VolumeRange
	// Outputs are the room's sinks, all fed at once; at least one.
	Outputs []Output
}

// VolumeRange is a range of master volumes in dB: MinDB < MaxDB ≤ 0.
type VolumeRange struct {
	MinDB, MaxDB float64
}

// OutputType is the kind of sink an Output opens.
type OutputType string

// The output types.
const (
	OutputSpeaker OutputType = "speaker" // an ALSA device
	OutputStream  OutputType = "stream"  // the room's live MP3 stream over HTTP
	OutputFile    OutputType = "file"    // a WAV recording
	OutputNull    OutputType = "null"    // discards the mix
)

var outputTypes = []string{string(OutputSpeaker), string(OutputStream), string(OutputFile), string(OutputNull)}

// Output is one sink of a room.
type Output struct {
	// Name identifies the output within its room (events, logs, the stream's
	// URL /NAME.mp3): letters, digits, '-' and '_'. It defaults to the type.
	Name string
	Type OutputType
	// Device is the ALSA device of a speaker output ("default", "hw:1,0").
	Device string
	// Path is the WAV file of a file output: absolute and clean.
	Path string
	// TrimDB is this output's level after the ceiling, in [-60, 0].
	TrimDB float64
	// Bitrate is a stream output's MP3 bitrate in kb/s.
	Bitrate int
	// Optional marks an output whose failure to open is not an error: the
	// caller logs it and plays on without it (and does not retry). The
	// default room's speaker is optional, so a machine without a sound card
	// still starts.
	Optional bool
}

// Room defaults and limits.
const (
	// DefaultVolumeDB starts sessions 12 dB below full: ketamine patients
	// are often sound-sensitive, and it leaves the patient 6 dB of "louder"
	// and 18 dB of "softer" within the default patient range.
	DefaultVolumeDB     = -12.0
	DefaultPatientMinDB = -30.0
	DefaultPatientMaxDB = -6.0
	DefaultDevice       = "default"
	DefaultBitrate      = 256 // kb/s: LAME's level is exact from 256 up
	// DefaultRoomName is the name of the room used when none is configured.
	DefaultRoomName = "Room 1"
	minDB           = -60.0
	// engineCeilingDB is what the engine reads a ceiling of 0 as.
	engineCeilingDB = -1.0
)

// mp3Bitrates are the MPEG-1 Layer III bitrates (kb/s) at 32 kHz and up.
var mp3Bitrates = []int{32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320}

// Allowed values, for errors and docs.
const (
	allowedRoomName   = "a non-empty name without leading or trailing spaces, unique among rooms (case-insensitive)"
	allowedOutputName = "a name of letters, digits, - and _, unique within the room"
	allowedCeiling    = "a number from -60 to 0, below 0 (dBFS)"
	allowedPatientDB  = "a number from -60 to 0 (dB)"
	allowedTrim       = "a number from -60 to 0 (dB)"
	allowedOptional   = "true or false"
	allowedDevice     = "an ALSA device name, like default or hw:1,0"
	allowedOutputs    = "a list of at least one output, each a mapping with a type"
	allowedRooms      = "a list of rooms, each a mapping with a name and outputs"
)

var (
	allowedType    = "one of " + strings.Join(outputTypes, ", ")
	allowedBitrate = "an MP3 bitrate in kb/s: " + strings.Trim(strings.ReplaceAll(fmt.Sprint(mp3Bitrates), " ", ", "), "[]")
	roomKeys       = []string{"name", "ceiling", "loudness_target", "volume", "patient_volume", "outputs"}
	patientKeys    = []string{"min", "max"}
	outputKeys     = []string{"name", "type", "device", "path", "trim", "bitrate", "optional"}
	// ownSetting is the one setting particular to each type; "" for null.
	ownSetting = map[OutputType]string{OutputSpeaker: "device", OutputFile: "path", OutputStream: "bitrate"}
)

// DefaultRooms is the configuration's rooms when the file lists none: one
// room with the stream output and an optional speaker on the default ALSA
// device, at ceilingDB (audio.ceiling; 0 is read as -1, as the engine
// does) and targetLUFS (audio.loudness_target).
func DefaultRooms(ceilingDB, targetLUFS float64) []Room {
	if ceilingDB >= 0 {
		ceilingDB = engineCeilingDB
	}
	return []Room{{
		Name:           DefaultRoomName,
		CeilingDB:      ceilingDB,
		LoudnessTarget: targetLUFS,
		VolumeDB:       DefaultVolumeDB,
		Patient:        VolumeRange{MinDB: DefaultPatientMinDB, MaxDB: DefaultPatientMaxDB},
		Outputs: []Output{
			{Name: string(OutputStream), Type: OutputStream, Bitrate: DefaultBitrate},
			{Name: string(OutputSpeaker), Type: OutputSpeaker, Device: DefaultDevice, Optional: true},
		},
	}}
}

// Room returns the room named name (case-insensitively); "" names the first.
func (c *Config) Room(name string) (Room, bool) {
	for _, r := range c.Rooms {
		if name == "" || strings.EqualFold(r.Name, name) {
			return r, true
		}
	}
	return Room{}, false
}

// nodeParser reads the config file's lists (rooms, profiles) from its YAML
// nodes rather than through viper, so that every error and origin can name
// the file and line.
type nodeParser struct {
	file    string
	f       *facts
	ceiling float64 // a room's default ceiling
	target  float64 // a room's default loudness target
	origins map[string]origin
}

// field is one key of a mapping in the file and its value.
type field struct {
	key, val *yaml.Node
}

func (p *nodeParser) at(n *yaml.Node) origin {
	return origin{SourceFile, fmt.Sprintf("%s:%d", p.file, n.Line)}
}

// fields checks that n is a mapping whose keys are all in known and given
// once, and returns its non-null fields by lower-case key.
func (p *nodeParser) fields(n *yaml.Node, path, allowed string, known []string) (map[string]field, error) {
	if n.Kind != yaml.MappingNode {
		return nil, p.invalid(path, n, n, "not a mapping", allowed)
	}
	out := map[string]field{}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := n.Content[i], resolve(n.Content[i+1])
		if kn.Kind != yaml.ScalarNode {
			return nil, &FileError{File: p.file, Line: kn.Line, Key: path, Msg: "a key must be a plain name"}
		}
		k := strings.ToLower(kn.Value)
		full := path + "." + k
		if prev, dup := seen[k]; dup {
			return nil, &FileError{File: p.file, Line: kn.Line, Key: full,
				Msg: fmt.Sprintf("key %q given twice (first on line %d; keys are case-insensitive)", full, prev)}
		}
		seen[k] = kn.Line
		if !slices.Contains(known, k) {
			msg := fmt.Sprintf("unknown key %q", full)
			if s := nearest(k, known); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			} else {
				msg += " (want " + strings.Join(known, ", ") + ")"
			}
			return nil, &FileError{File: p.file, Line: kn.Line, Key: full, Msg: msg}
		}
		// "type: null" is YAML's null but means the null output.
		if !isNull(vn) || (k == "type" && strings.EqualFold(vn.Value, string(OutputNull))) {
			out[k] = field{kn, vn}
		}
	}
	return out, nil
}

// nearest returns the word in words within a few edits of s, or one that
// s begins ("observe" for "observe_until"), or "".
func nearest(s string, words []string) string {
	best, bestDist := "", len(s)/3+2
	for _, w := range words {
		d := editDistance(s, w)
		if len(s) >= 3 && strings.HasPrefix(w, s) {
			d = 1
		}
		if d < bestDist {
			best, bestDist = w, d
		}
	}
	return best
}

// invalid is the error for the value of vn, given at key kn, at path.
func (p *nodeParser) invalid(path string, kn, vn *yaml.Node, reason, allowed string) *Error {
	return &Error{Key: path, Value: nodeText(vn), Origin: p.at(kn).String(), Allowed: allowed, Reason: reason}
}

// missing is the error for a required key absent from the mapping at n.
func (p *nodeParser) missing(path string, n *yaml.Node, allowed string) *Error {
	return &Error{Key: path, Missing: true, Origin: p.at(n).String(), Allowed: allowed}
}

// nodeText renders a value node for an error message.
func nodeText(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode {
		return n.Value
	}
	var v any
	if err := n.Decode(&v); err != nil {
		return "?"
	}
	return rawText(v)
}

// scalar decodes a scalar node as parseNumber and parseInt expect.
func scalar(n *yaml.Node) any {
	if n.Kind != yaml.ScalarNode {
		return []any{} // fails every parser
	}
	var v any
	if err := n.Decode(&v); err != nil {
		return n.Value
	}
	return v
}

// number reads a number at path that ok accepts, recording its origin.
func (p *nodeParser) number(path string, fd field, allowed string, ok func(float64) bool) (float64, error) {
	x, err := parseNumber(scalar(fd.val))
	if err != nil {
		return 0, p.invalid(path, fd.key, fd.val, err.Error(), allowed)
	}
	if !ok(x) {
		return 0, p.invalid(path, fd.key, fd.val, "out of range", allowed)
	}
	p.origins[path] = p.at(fd.key)
	if x == 0 {
		x = 0 // not -0, which would print as "-0"
	}
	return x, nil
}

// numberOr is number, or def when the field is absent.
func (p *nodeParser) numberOr(fs map[string]field, key, path string, def float64, allowed string, ok func(float64) bool) (float64, error) {
	fd, set := fs[key]
	if !set {
		p.origins[path] = origin{source: SourceDefault}
		return def, nil
	}
	return p.number(path, fd, allowed, ok)
}

// text reads a non-empty string at path.
func (p *nodeParser) text(path string, fd field, allowed string) (string, error) {
	if fd.val.Kind != yaml.ScalarNode {
		return "", p.invalid(path, fd.key, fd.val, "not a name", allowed)
	}
	s := fd.val.Value
	if s == "" {
		return "", p.invalid(path, fd.key, fd.val, "empty", allowed)
	}
	if strings.TrimSpace(s) != s {
		return "", p.invalid(path, fd.key, fd.val, "leading or trailing space", allowed)
	}
	p.origins[path] = p.at(fd.key)
	return s, nil
}

// parse reads the rooms list.
func (p *nodeParser) parse(key, n *yaml.Node) ([]Room, error) {
	if n.Kind != yaml.SequenceNode {
		return nil, p.invalid("rooms", key, n, "not a list", allowedRooms)
	}
	if len(n.Content) == 0 {
		return nil, p.invalid("rooms", key, n, "empty; leave rooms out for the default room", allowedRooms)
	}
	p.origins["rooms"] = p.at(key)
	rooms := make([]Room, 0, len(n.Content))
	names := map[string]string{} // lower-case name → path of the room
	for i, rn := range n.Content {
		r, err := p.room(fmt.Sprintf("rooms[%d]", i), resolve(rn), names)
		if err != nil {
			return nil, err
		}
		rooms = append(rooms, r)
	}
	return rooms, nil
}

// room reads one room at path; names holds the rooms before it.
func (p *nodeParser) room(path string, n *yaml.Node, names map[string]string) (Room, error) {
	var r Room
	fs, err := p.fields(n, path, "a mapping with "+strings.Join(roomKeys, ", "), roomKeys)
	if err != nil {
		return r, err
	}
	p.origins[path] = p.at(n)
	fd, ok := fs["name"]
	if !ok {
		return r, p.missing(path+".name", n, allowedRoomName)
	}
	if r.Name, err = p.text(path+".name", fd, allowedRoomName); err != nil {
		return r, err
	}
	if prev, dup := names[strings.ToLower(r.Name)]; dup {
		return r, p.invalid(path+".name", fd.key, fd.val, prev+" has that name already", allowedRoomName)
	}
	names[strings.ToLower(r.Name)] = path

	if r.CeilingDB, err = p.numberOr(fs, "ceiling", path+".ceiling", p.ceiling, allowedCeiling,
		func(x float64) bool { return x >= minDB && x < 0 }); err != nil {
		return r, err
	}
	if _, set := fs["ceiling"]; !set {
		p.origins[path+".ceiling"] = inheritedCeiling
	}
	if r.LoudnessTarget, err = p.numberOr(fs, "loudness_target", path+".loudness_target", p.target, allowedTarget,
		func(x float64) bool { return x >= minTarget && x <= maxTarget }); err != nil {
		return r, err
	}
	if _, set := fs["loudness_target"]; !set {
		p.origins[path+".loudness_target"] = inheritedTarget
	}
	if r.Patient, err = p.patient(path+".patient_volume", fs); err != nil {
		return r, err
	}
	allowedVolume := fmt.Sprintf("a number from %s to %s (dB; the room's patient_volume range)",
		formatNumber(r.Patient.MinDB), formatNumber(r.Patient.MaxDB))
	if r.VolumeDB, err = p.numberOr(fs, "volume", path+".volume", DefaultVolumeDB, allowedVolume,
		func(x float64) bool { return x >= r.Patient.MinDB && x <= r.Patient.MaxDB }); err != nil {
		return r, err
	}

	fd, ok = fs["outputs"]
	if !ok {
		return r, p.missing(path+".outputs", n, allowedOutputs)
	}
	if fd.val.Kind != yaml.SequenceNode {
		return r, p.invalid(path+".outputs", fd.key, fd.val, "not a list", allowedOutputs)
	}
	if len(fd.val.Content) == 0 {
		return r, p.invalid(path+".outputs", fd.key, fd.val, "a room needs at least one output", allowedOutputs)
	}
	p.origins[path+".outputs"] = p.at(fd.key)
	outNames := map[string]string{}
	for i, on := range fd.val.Content {
		o, err := p.output(fmt.Sprintf("%s.outputs[%d]", path, i), resolve(on), outNames)
		if err != nil {
			return r, err
		}
		r.Outputs = append(r.Outputs, o)
	}
	return r, nil
}

// patient reads a room's patient_volume range; either end may be left out.
func (p *nodeParser) patient(path string, room map[string]field) (VolumeRange, error) {
	vr := VolumeRange{MinDB: DefaultPatientMinDB, MaxDB: DefaultPatientMaxDB}
	fs := map[string]field{}
	if fd, ok := room["patient_volume"]; ok {
		var err error
		if fs, err = p.fields(fd.val, path, "a mapping with min and max", patientKeys); err != nil {
			return vr, err
		}
		p.origins[path] = p.at(fd.key)
	} else {
		p.origins[path] = origin{source: SourceDefault}
	}
	inRange := func(x float64) bool { return x >= minDB && x <= 0 }
	var err error
	if vr.MinDB, err = p.numberOr(fs, "min", path+".min", vr.MinDB, allowedPatientDB, inRange); err != nil {
		return vr, err
	}
	if vr.MaxDB, err = p.numberOr(fs, "max", path+".max", vr.MaxDB, allowedPatientDB, inRange); err != nil {
		return vr, err
	}
	if vr.MinDB >= vr.MaxDB {
		// Blame the end that was given; both given, blame min.
		key, fd := "min", fs["min"]
		if fd.val == nil {
			key, fd = "max", fs["max"]
		}
		other := map[string]string{"min": "max", "max": "min"}[key]
		otherVal := map[string]float64{"min": vr.MaxDB, "max": vr.MinDB}[key]
		return vr, p.invalid(path+"."+key, fd.key, fd.val,
			fmt.Sprintf("min must be below max, and %s is %s", other, formatNumber(otherVal)), allowedPatientDB)
	}
	return vr, nil
}

// output reads one output at path; names holds the room's outputs before it.
func (p *nodeParser) output(path string, n *yaml.Node, names map[string]string) (Output, error) {
	var o Output
	fs, err := p.fields(n, path, "a mapping with "+strings.Join(outputKeys, ", "), outputKeys)
	if err != nil {
		return o, err
	}
	p.origins[path] = p.at(n)
	fd, ok := fs["type"]
	if !ok {
		return o, p.missing(path+".type", n, allowedType)
	}
	t := strings.ToLower(fd.val.Value)
	if fd.val.Kind != yaml.ScalarNode || !slices.Contains(outputTypes, t) {
		reason := "unknown output type"
		if s := nearest(t, outputTypes); s != "" && fd.val.Kind == yaml.ScalarNode {
			reason += fmt.Sprintf("; did you mean %q?", s)
		}
		return o, p.invalid(path+".type", fd.key, fd.val, reason, allowedType)
	}
	o.Type = OutputType(t)
	p.origins[path+".type"] = p.at(fd.key)

	if fd, ok := fs["name"]; ok {
		if o.Name, err = p.text(path+".name", fd, allowedOutputName); err != nil {
			return o, err
		}
		if strings.Trim(o.Name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != "" {
			return o, p.invalid(path+".name", fd.key, fd.val, "a character other than a letter, digit, - or _", allowedOutputName)
		}
	} else {
		o.Name = string(o.Type)
		p.origins[path+".name"] = origin{source: SourceDefault}
	}
	if prev, dup := names[strings.ToLower(o.Name)]; dup {
		vn, kn := fs["name"].val, fs["name"].key
		if vn == nil {
			kn, vn = fs["type"].key, fs["type"].val // the name defaulted to the type
		}
		return o, p.invalid(path+".name", kn, vn, prev+" has that name already (give each output a name)", allowedOutputName)
	}
	names[strings.ToLower(o.Name)] = path

	// Settings of other types are errors, so a misplaced one is not ignored.
	for _, k := range []string{"device", "path", "bitrate"} {
		if fd, ok := fs[k]; ok && ownSetting[o.Type] != k {
			return o, p.invalid(path+"."+k, fd.key, fd.val, fmt.Sprintf("%s is not a setting of a %s output", k, o.Type),
				fmt.Sprintf("no %s: it applies to %s outputs only", k, map[string]string{"device": "speaker", "path": "file", "bitrate": "stream"}[k]))
		}
	}
	switch o.Type {
	case OutputSpeaker:
		o.Device = DefaultDevice
		p.origins[path+".device"] = origin{source: SourceDefault}
		if fd, ok := fs["device"]; ok {
			if o.Device, err = p.text(path+".device", fd, allowedDevice); err != nil {
				return o, err
			}
		}
	case OutputFile:
		fd, ok := fs["path"]
		if !ok {
			return o, p.missing(path+".path", n, pathAllowed)
		}
		if o.Path, err = parsePath(scalar(fd.val), p.f); err != nil {
			return o, p.invalid(path+".path", fd.key, fd.val, err.Error(), pathAllowed)
		}
		p.origins[path+".path"] = p.at(fd.key)
	case OutputStream:
		o.Bitrate = DefaultBitrate
		p.origins[path+".bitrate"] = origin{source: SourceDefault}
		if fd, ok := fs["bitrate"]; ok {
			b, err := parseInt(scalar(fd.val))
			if err != nil {
				return o, p.invalid(path+".bitrate", fd.key, fd.val, err.Error(), allowedBitrate)
			}
			if !slices.Contains(mp3Bitrates, int(b)) {
				return o, p.invalid(path+".bitrate", fd.key, fd.val, "not an MP3 bitrate", allowedBitrate)
			}
			o.Bitrate = int(b)
			p.origins[path+".bitrate"] = p.at(fd.key)
		}
	}
	if o.TrimDB, err = p.numberOr(fs, "trim", path+".trim", 0, allowedTrim,
		func(x float64) bool { return x >= minDB && x <= 0 }); err != nil {
		return o, err
	}
	p.origins[path+".optional"] = origin{source: SourceDefault}
	if fd, ok := fs["optional"]; ok {
		b, isBool := scalar(fd.val).(bool)
		if !isBool {
			return o, p.invalid(path+".optional", fd.key, fd.val, "not true or false", allowedOptional)
		}
		o.Optional = b
		p.origins[path+".optional"] = p.at(fd.key)
	}
	return o, nil
}

// inheritedCeiling is the origin of a room's ceiling taken from
// audio.ceiling.
var inheritedCeiling = origin{source: SourceDefault, where: "(audio.ceiling)"}

// inheritedTarget is the origin of a room's loudness target taken from
// audio.loudness_target.
var inheritedTarget = origin{source: SourceDefault, where: "(audio.loudness_target)"}

// A room's loudness target's range: audio.loudness_target's.
const (
	minTarget     = -40.0
	maxTarget     = -5.0
	allowedTarget = "a number from -40 to -5 (LUFS)"
)

// defaultOrigins records every path of rooms as a default.
func defaultOrigins(rooms []Room, origins map[string]origin) {
	def := origin{source: SourceDefault}
	origins["rooms"] = def
	for i, r := range rooms {
		rp := fmt.Sprintf("rooms[%d]", i)
		for _, k := range []string{"", ".name", ".volume", ".patient_volume", ".patient_volume.min", ".patient_volume.max", ".outputs"} {
			origins[rp+k] = def
		}
		origins[rp+".ceiling"] = inheritedCeiling
		origins[rp+".loudness_target"] = inheritedTarget
		for j := range r.Outputs {
			op := fmt.Sprintf("%s.outputs[%d]", rp, j)
			for _, k := range []string{"", ".name", ".type", ".trim", ".optional", "." + ownSetting[r.Outputs[j].Type]} {
				origins[op+k] = def
			}
		}
	}
}

// numberValue is x as WriteYAML prints it: a whole number as an int, so that
// it prints as "6" and YAML reads it back as the same value.
func numberValue(x float64) any {
	if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
		return int(x)
	}
	return x
}
