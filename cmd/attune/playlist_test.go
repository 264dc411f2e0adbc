package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"attune/media/mediatest"
)

// playlistLibrary adds two generated WAV tracks to a fresh library and
// returns the folder holding their originals.
func playlistLibrary(t *testing.T) string {
	t.Helper()
	isolate(t)
	src := t.TempDir()
	t.Setenv("ATTUNE_DATA_DIR", filepath.Join(t.TempDir(), "data"))
	tone := mediatest.Tone{SampleRate: 48000, Channels: 2, BitDepth: 16, Samples: 48000 * 2, Freq: 440}
	tone.Tags = mediatest.Tags{Title: "Für Elise", Artist: "Beethoven"}
	mediatest.WriteFile(t, src, "elise.wav", mediatest.WAV(tone))
	tone.Freq, tone.Samples = 330, 48000*3
	tone.Tags = mediatest.Tags{Title: "Gymnopédie No. 1", Artist: "Erik Satie"}
	mediatest.WriteFile(t, src, "gymnopedie.wav", mediatest.WAV(tone))
	if code, _, errOut := attune(t, "library", "add", src); code != exitOK {
		t.Fatalf("library add: exit %d: %s", code, errOut)
	}
	return src
}

func TestRun_playlistEndToEnd(t *testing.T) {
	src := playlistLibrary(t)
	out := t.TempDir()

	// A phased playlist naming its tracks by artist and title, as people
	// write them (case and accents need not match).
	yamlFile := mediatest.WriteFile(t, src, "arc.yaml", []byte(`name: Short arc
author: Dr. Test
profile: intramuscular
phases:
  - role: settling
    fill: brown-noise
    tracks:
      - erik satie - gymnopedie no. 1
  - role: journey
    crossfade: 5s
    tracks:
      - ref: Beethoven – Für Elise
        must_play: true
      - Erik Satie – Gymnopédie No. 1
`))
	code, stdout, errOut := attune(t, "playlist", "import", yamlFile)
	if code != exitOK || !strings.Contains(stdout, `imported playlist "Short arc": 2 phases, 3 tracks`) {
		t.Fatalf("import: exit %d\n%s%s", code, stdout, errOut)
	}
	// Importing again under the same name needs --replace.
	if code, _, errOut = attune(t, "playlist", "import", yamlFile); code != exitFailure || !strings.Contains(errOut, "--replace") {
		t.Errorf("second import: exit %d, %s; want 1 asking for --replace", code, errOut)
	}
	if code, stdout, _ = attune(t, "playlist", "import", yamlFile, "--replace"); code != exitOK || !strings.Contains(stdout, "replaced playlist") {
		t.Errorf("import --replace: exit %d, %s", code, stdout)
	}

	// An M3U of the original files (the library holds copies: they are
	// found by content), flags after the file.
	m3u := mediatest.WriteFile(t, src, "Evening.m3u8", []byte("#EXTM3U\n#EXTINF:2,Beethoven - Für Elise\nelise.wav\n"+
		filepath.Join(src, "gymnopedie.wav")+"\n"))
	code, stdout, errOut = attune(t, "playlist", "import", m3u, "--role", "return")
	if code != exitOK || !strings.Contains(stdout, `imported playlist "Evening": 1 phases, 2 tracks`) {
		t.Fatalf("import m3u: exit %d\n%s%s", code, stdout, errOut)
	}

	code, stdout, _ = attune(t, "playlist", "list")
	var rows []string
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		rows = append(rows, strings.Join(strings.Fields(line), " "))
	}
	want := []string{"NAME PHASES TRACKS LENGTH PROFILE AUTHOR", "Evening 1 2 0:05 intranasal (default)",
		"Short arc 2 3 0:08 intramuscular Dr. Test", "2 playlists"}
	if code != exitOK || strings.Join(rows, "\n") != strings.Join(want, "\n") {
		t.Errorf("list: exit %d\n%s\nwant (spacing aside)\n%s", code, stdout, strings.Join(want, "\n"))
	}

	code, stdout, _ = attune(t, "playlist", "show", "Short arc")
	for _, want := range []string{"by Dr. Test", "profile intramuscular, transition 20s",
		"phase 1: settling — crossfade 8s, level +0 dB, fill brown-noise, 1 tracks",
		"phase 2: journey — crossfade 5s", "Beethoven – Für Elise", "must play", "0:03"} {
		if code != exitOK || !strings.Contains(stdout, want) {
			t.Errorf("show lacks %q (exit %d):\n%s", want, code, stdout)
		}
	}

	// Export in each format and import it back under another name: the
	// same playlist.
	for _, f := range []string{"yaml", "json", "m3u8"} {
		file := filepath.Join(out, "arc."+f)
		if code, _, errOut = attune(t, "playlist", "export", "Short arc", "--out", file); code != exitOK {
			t.Fatalf("export %s: exit %d: %s", f, code, errOut)
		}
		code, stdout, errOut = attune(t, "playlist", "import", "--name", "copy "+f, file)
		if code != exitOK || !strings.Contains(stdout, "3 tracks") {
			t.Fatalf("re-import %s: exit %d: %s%s", f, code, stdout, errOut)
		}
	}
	yamlOut, _ := os.ReadFile(filepath.Join(out, "arc.yaml"))
	if !strings.Contains(string(yamlOut), "# Beethoven – Für Elise\n        must_play: true") {
		t.Errorf("YAML export does not name its tracks:\n%s", yamlOut)
	}
	_, orig, _ := attune(t, "playlist", "show", "Short arc")
	_, viaYAML, _ := attune(t, "playlist", "show", "copy yaml")
	_, viaJSON, _ := attune(t, "playlist", "show", "copy json")
	if strings.Replace(viaYAML, "copy yaml", "Short arc", 1) != orig || strings.Replace(viaJSON, "copy json", "Short arc", 1) != orig {
		t.Errorf("YAML/JSON round trip differs:\n%s\n%s\nwant\n%s", viaYAML, viaJSON, orig)
	}
	_, viaM3U, _ := attune(t, "playlist", "show", "copy m3u8")
	if !strings.Contains(viaM3U, "phase 1: journey") || strings.Count(viaM3U, "Erik Satie – Gymnopédie No. 1") != 2 {
		t.Errorf("M3U round trip: want one journey phase with all 3 tracks:\n%s", viaM3U)
	}
	code, stdout, _ = attune(t, "playlist", "export", "Evening", "--format", "m3u")
	if code != exitOK || !strings.Contains(stdout, "#EXTGRP:return\n#EXTINF:2,Beethoven - Für Elise\n") {
		t.Errorf("export to stdout: exit %d:\n%s", code, stdout)
	}

	if code, stdout, _ = attune(t, "playlist", "delete", "Evening"); code != exitOK || !strings.Contains(stdout, `deleted playlist "Evening"`) {
		t.Errorf("delete: exit %d %s", code, stdout)
	}
	if code, _, errOut = attune(t, "playlist", "show", "Evening"); code != exitFailure || !strings.Contains(errOut, "no such playlist") {
		t.Errorf("show deleted: exit %d %s", code, errOut)
	}
	if code, _, errOut = attune(t, "playlist", "delete", "Evening"); code != exitFailure || !strings.Contains(errOut, "no such playlist") {
		t.Errorf("delete again: exit %d %s", code, errOut)
	}
}

func TestRun_playlistImportErrors(t *testing.T) {
	src := playlistLibrary(t)
	unresolved := mediatest.WriteFile(t, src, "gaps.yaml", []byte(`name: Gaps
phases:
  - role: journey
    tracks:
      - Beethoven – Für Elise
      - Nobody – Nothing
      - /no/such.flac
`))
	code, _, errOut := attune(t, "playlist", "import", unresolved)
	for _, want := range []string{"2 track reference(s) did not resolve",
		`phase 1 (journey), track 2, line 6: "Nobody – Nothing"`,
		`phase 1 (journey), track 3, line 7: "/no/such.flac"`, "nothing was imported"} {
		if code != exitFailure || !strings.Contains(errOut, want) {
			t.Errorf("import with gaps: exit %d, stderr lacks %q:\n%s", code, want, errOut)
		}
	}
	if _, stdout, _ := attune(t, "playlist", "list"); !strings.Contains(stdout, "0 playlists") {
		t.Errorf("a refused import stored something:\n%s", stdout)
	}
	code, stdout, errOut := attune(t, "playlist", "import", "--partial", unresolved)
	if code != exitFailure || !strings.Contains(stdout, "1 tracks") || !strings.Contains(errOut, "left out 2 track reference(s)") {
		t.Errorf("import --partial: exit %d (want 1: something was left out)\n%s%s", code, stdout, errOut)
	}

	bad := mediatest.WriteFile(t, src, "bad.yaml", []byte("name: x\nphases:\n  - role: jorney\n    crossfade: 8\n"))
	code, _, errOut = attune(t, "playlist", "import", bad)
	if code != exitFailure || !strings.Contains(errOut, `line 3: phases[1].role: unknown role "jorney" (did you mean "journey"?)`) ||
		!strings.Contains(errOut, "line 4: phases[1].crossfade: 8 is a bare number") {
		t.Errorf("bad file: exit %d\n%s", code, errOut)
	}

	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"playlist", "import"}, "name one playlist file"},
		{[]string{"playlist", "import", "a.yaml", "b.yaml"}, "name one playlist file"},
		{[]string{"playlist", "import", "a.txt"}, "unknown extension .txt"},
		{[]string{"playlist", "import", "a.yaml", "--role", "journey"}, "--role is for M3U files"},
		{[]string{"playlist", "import", "a.yaml", "--nope"}, "flag provided but not defined: -nope"},
		{[]string{"playlist", "export", "x", "--format", "xml"}, `unknown playlist format "xml"`},
		{[]string{"playlist", "show"}, "name one playlist"},
		{[]string{"playlist", "list", "x"}, "takes no arguments"},
		{[]string{"playlist", "bogus"}, `unknown command "bogus"`},
	} {
		code, _, errOut := attune(t, tt.args...)
		if code != exitUsage || !strings.Contains(errOut, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tt.args, code, errOut, tt.want)
		}
	}
	if code, _, errOut := attune(t, "playlist", "import", filepath.Join(src, "missing.yaml")); code != exitFailure || !strings.Contains(errOut, "no such file") {
		t.Errorf("missing file: exit %d %s", code, errOut)
	}
}
