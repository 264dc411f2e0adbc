package plfile

import (
	"errors"
	"strings"
	"testing"
)

func TestParse_errors(t *testing.T) {
	tests := []struct {
		name   string
		format Format
		data   string
		want   []string // every one must appear
	}{
		{"unknown top field", FormatYAML, "name: x\nphase:\n  - role: journey\n",
			[]string{`line 2: phase: unknown field "phase" (did you mean "phases"?)`, `line 1: phases: missing`}},
		{"unknown phase field", FormatYAML, "name: x\nphases:\n  - role: journey\n    crosfade: 8s\n",
			[]string{`line 4: phases[1].crosfade: unknown field "crosfade" (did you mean "crossfade"?); known: role, crossfade, level_db, fill, tracks`}},
		{"unknown track field", FormatYAML, "name: x\nphases:\n  - role: journey\n    tracks:\n      - ref: a\n        mustplay: true\n",
			[]string{`line 6: phases[1].tracks[1].mustplay: unknown field "mustplay" (did you mean "must_play"?)`}},
		{"unknown field, nothing near", FormatYAML, "name: x\ncolour: blue\nphases: [{role: journey}]\n",
			[]string{`line 2: colour: unknown field "colour"; known:`}},
		{"field twice", FormatYAML, "name: x\nname: y\nphases: [{role: journey}]\n",
			[]string{`line 2: name: given twice (first at line 1)`}},
		{"bare number duration", FormatYAML, "name: x\ntransition: 20\nphases: [{role: journey}]\n",
			[]string{`line 2: transition: 20 is a bare number; write a duration with its unit, like "20s"`}},
		{"bad duration", FormatYAML, "name: x\nphases:\n  - role: journey\n    crossfade: 8 seconds\n",
			[]string{`line 4: phases[1].crossfade: "8 seconds" is not a duration; write it like "8s", "1m30s" or "500ms"`}},
		{"negative duration", FormatYAML, "name: x\nphases:\n  - role: journey\n    crossfade: -2s\n",
			[]string{`line 4: phases[1].crossfade: "-2s" is negative`}},
		{"unknown role", FormatYAML, "name: x\nphases:\n  - role: jorney\n",
			[]string{`line 3: phases[1].role: unknown role "jorney" (did you mean "journey"?); want one of arrival, settling, journey, return, integration`}},
		{"role missing", FormatYAML, "name: x\nphases:\n  - fill: loop\n",
			[]string{`line 3: phases[1].role: missing; want one of arrival`}},
		{"unknown fill", FormatYAML, "name: x\nphases:\n  - role: journey\n    fill: brown noise\n",
			[]string{`line 4: phases[1].fill: unknown fill "brown noise" (did you mean "brown-noise"?); want one of loop, silence, brown-noise, pink-noise, drone`}},
		{"fill prefix", FormatYAML, "name: x\nphases:\n  - role: journey\n    fill: pink\n",
			[]string{`unknown fill "pink" (did you mean "pink-noise"?)`}},
		{"level as text", FormatYAML, "name: x\nphases:\n  - role: journey\n    level_db: -3dB\n",
			[]string{`line 4: phases[1].level_db: want a number (of dB), got the string "-3dB"`}},
		{"must_play not bool", FormatYAML, "name: x\nphases:\n  - role: journey\n    tracks:\n      - {ref: a, must_play: yes please}\n",
			[]string{`line 5: phases[1].tracks[1].must_play: want true or false, got the string "yes please"`}},
		{"ref missing", FormatYAML, "name: x\nphases:\n  - role: journey\n    tracks:\n      - must_play: true\n",
			[]string{`line 5: phases[1].tracks[1].ref: missing: which track?`}},
		{"empty ref", FormatYAML, "name: x\nphases:\n  - role: journey\n    tracks:\n      - \"  \"\n",
			[]string{`line 5: phases[1].tracks[1]: empty track reference`}},
		{"phases not a list", FormatYAML, "name: x\nphases: journey\n",
			[]string{`line 2: phases: want a list of phases, got the string "journey"`}},
		{"not a mapping", FormatYAML, "- a\n- b\n",
			[]string{`line 1: : want a mapping of name, description`}},
		{"YAML syntax", FormatYAML, "name: x\nphases: [\n",
			[]string{`bad playlist file: YAML: yaml: line`}},
		{"name not text", FormatYAML, "name: [a]\nphases: [{role: journey}]\n",
			[]string{`line 1: name: want text, got a list`}},
		{"every problem, in file order", FormatYAML, "name: x\nphases:\n  - role: jurney\n    fill: lop\n  - role: return\n    crossfade: 3\n",
			[]string{"line 3: phases[1].role: unknown role \"jurney\"", "\nline 4: phases[1].fill: unknown fill \"lop\" (did you mean \"loop\"?)", "\nline 6: phases[2].crossfade: 3 is a bare number"}},

		{"JSON unknown field", FormatJSON, "{\"name\": \"x\",\n \"phases\": [{\"role\": \"journey\", \"fil\": \"loop\"}]}",
			[]string{`offset 46 (line 2): phases[1].fil: unknown field "fil" (did you mean "fill"?)`}},
		{"JSON bare number duration", FormatJSON, `{"name": "x", "transition": 20, "phases": [{"role": "journey"}]}`,
			[]string{`offset 28 (line 1): transition: 20 is a bare number; write a duration with its unit, like "20s"`}},
		{"JSON unknown role", FormatJSON, `{"name": "x", "phases": [{"role": "retrun"}]}`,
			[]string{`offset 34 (line 1): phases[1].role: unknown role "retrun" (did you mean "return"?)`}},
		{"JSON syntax", FormatJSON, "{\"name\": \"x\",\n \"phases\": [{\"role\": \"journey\",}]}",
			[]string{`bad playlist file: JSON: offset 45 (line 2): invalid character '}'`}},
		{"JSON truncated", FormatJSON, `{"name": "x", "phases": [`,
			[]string{`bad playlist file: JSON: offset 25 (line 1): unexpected EOF`}},
		{"JSON trailing data", FormatJSON, `{"name": "x", "phases": []} {}`,
			[]string{`offset 28 (line 1): data after the top-level value`}},
		{"JSON key twice", FormatJSON, `{"name": "x", "name": "y", "phases": [{"role": "journey"}]}`,
			[]string{`offset 14 (line 1): name: given twice (first at offset 1 (line 1))`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.data), tt.format, "")
			if err == nil {
				t.Fatalf("Parse succeeded; want an error containing %q", tt.want)
			}
			if !errors.Is(err, ErrFormat) {
				t.Errorf("error %v does not wrap ErrFormat", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error:\n%v\nwant it to contain %q", err, w)
				}
			}
		})
	}
}

func TestParse_emptyPhases(t *testing.T) {
	// A phase with no tracks is a phase its fill policy fills; null and
	// empty lists are the same.
	doc, err := Parse([]byte("name: x\nphases:\n  - role: return\n    tracks:\n  - role: integration\n    tracks: []\n"), FormatYAML, "")
	if err != nil || len(doc.Phases) != 2 || len(doc.Phases[0].Tracks)+len(doc.Phases[1].Tracks) != 0 {
		t.Errorf("Parse = %+v, %v", doc, err)
	}
}

func TestFormatOf(t *testing.T) {
	for path, want := range map[string]Format{"a.yaml": FormatYAML, "b.YML": FormatYAML, "c.json": FormatJSON,
		"d.m3u": FormatM3U, "e.M3U8": FormatM3U} {
		if got, err := FormatOf(path); got != want || err != nil {
			t.Errorf("FormatOf(%q) = %q, %v; want %q", path, got, err, want)
		}
	}
	for _, path := range []string{"playlist", "x.txt"} {
		if _, err := FormatOf(path); err == nil {
			t.Errorf("FormatOf(%q) succeeded", path)
		}
	}
}
