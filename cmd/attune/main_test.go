package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"attune/media"
	"attune/media/mediatest"
)

// TestMain lets the test binary stand in for attune when the sandbox starts
// `attune probe-worker` (os.Executable is the test binary here).
func TestMain(m *testing.M) {
	runMainIfAsked()
	if len(os.Args) > 1 && os.Args[1] == probeWorkerName {
		os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// attune runs the command line in-process and returns its exit status and
// output. Tests choose the data folder with ATTUNE_DATA_DIR.
func attune(t testing.TB, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

// isolate keeps the test away from the real home, config and environment.
func isolate(t *testing.T) {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	t.Setenv("XDG_DATA_HOME", filepath.Join(home, ".local", "share"))
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "ATTUNE_") {
			t.Setenv(strings.SplitN(kv, "=", 2)[0], "")
		}
	}
	wd, _ := os.Getwd()
	if err := os.Chdir(home); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chdir(wd) })
}

func decodeResults(t testing.TB, out string) map[string]media.Result {
	t.Helper()
	res := map[string]media.Result{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var r media.Result
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("output line %q is not JSON: %v", sc.Text(), err)
		}
		res[filepath.Base(r.Path)] = r
	}
	return res
}

func TestRun_version(t *testing.T) {
	code, out, _ := attune(t, "version")
	if code != 0 || !strings.HasPrefix(out, "attune "+version) {
		t.Errorf("version: code %d, output %q", code, out)
	}
}

func TestRun_usage(t *testing.T) {
	isolate(t)
	tests := []struct {
		args     []string
		code     int
		contains string
	}{
		{nil, exitUsage, "Commands:"},
		{[]string{"--help"}, exitOK, "library"},
		{[]string{"library", "--help"}, exitOK, "scan"},
		{[]string{"library", "add", "--help"}, exitOK, "-json"},
		{[]string{"library", "list", "-h"}, exitOK, "-limit"},
		{[]string{"bogus"}, exitUsage, `unknown command "bogus"`},
		{[]string{"library", "add"}, exitUsage, "name at least one file or folder"},
		{[]string{"library", "add", "--nope"}, exitUsage, "flag provided but not defined: -nope"},
		{[]string{"config", "--library-workers", "0"}, exitUsage, "library.workers"},
		{[]string{"config", "--library-probe-timeout", "1500"}, exitUsage, "library.probe_timeout"},
		{[]string{"config", "--config", "/nonexistent/attune.yaml"}, exitUsage, "/nonexistent/attune.yaml"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, out, errOut := attune(t, tt.args...)
			if code != tt.code || !strings.Contains(out+errOut, tt.contains) {
				t.Errorf("code %d (want %d); output %q, want it to contain %q", code, tt.code, out+errOut, tt.contains)
			}
		})
	}
}

func TestRun_config(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	cfgFile := mediatest.WriteFile(t, dir, "attune.yaml", []byte("library:\n  workers: 3\n"))
	t.Setenv("ATTUNE_LIBRARY_MAX_FILE_SIZE", "2MiB")
	code, out, errOut := attune(t, "config", "--config", cfgFile, "--data-dir", filepath.Join(dir, "data"))
	if code != 0 {
		t.Fatalf("code %d: %s", code, errOut)
	}
	for _, want := range []string{
		"data_dir: " + filepath.Join(dir, "data"),
		"dir: " + filepath.Join(dir, "data", "media"),
		"workers: 3",
		"flag --data-dir",
		"ATTUNE_LIBRARY_MAX_FILE_SIZE",
		cfgFile,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("config output lacks %q:\n%s", want, out)
		}
	}
	// A typo in the file is an error naming the key, with exit status 2.
	bad := mediatest.WriteFile(t, dir, "typo.yaml", []byte("library:\n  wokers: 3\n"))
	code, _, errOut = attune(t, "config", "--config", bad)
	if code != exitUsage || !strings.Contains(errOut, "wokers") {
		t.Errorf("typo: code %d, stderr %q", code, errOut)
	}
}

func TestRun_libraryEndToEnd(t *testing.T) {
	isolate(t)
	src := t.TempDir()
	data := filepath.Join(t.TempDir(), "data")
	tone := mediatest.Tone{SampleRate: 48000, Channels: 2, BitDepth: 16, Samples: 48000 * 2, Freq: 440}
	wavTone := tone
	wavTone.Tags = mediatest.Tags{Title: "Für Elise", Artist: "Beethoven", Album: "Bagatelles"}
	mediatest.WriteFile(t, src, "a/elise.wav", mediatest.WAV(wavTone))
	flacTone := tone
	flacTone.SampleRate, flacTone.Samples, flacTone.Freq = 44100, 44100*3/2, 220
	flacTone.Tags = mediatest.Tags{Title: "Gymnopédie No. 1", Artist: "Satie", TrackGain: "-3.5 dB"}
	flacBytes := mediatest.MustFLAC(t, flacTone)
	mediatest.WriteFile(t, src, "a/gymnopedie.flac", flacBytes)
	mediatest.WriteFile(t, src, "a/copy-of-gymnopedie.flac", flacBytes)
	mediatest.WriteFile(t, src, "a/text-named.flac", []byte("this is a text file, not FLAC\n"))
	mediatest.WriteFile(t, src, "a/zero.mp3", nil)
	mediatest.WriteFile(t, src, "a/half.flac", flacBytes[:len(flacBytes)/2])
	wavBytes := mediatest.WAV(tone)
	mediatest.WriteFile(t, src, "a/short-data.wav", wavBytes[:len(wavBytes)-1000])
	mediatest.WriteFile(t, src, "a/song.m4a", append([]byte("\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00"), make([]byte, 64)...))
	mediatest.WriteFile(t, src, "a/cover.jpg", []byte("\xff\xd8\xff\xe0 not music"))

	t.Setenv("ATTUNE_DATA_DIR", data)
	code, out, errOut := attune(t, "library", "add", "--json", filepath.Join(src, "a"))
	if code != exitFailure {
		t.Fatalf("add: exit %d, want 1 (some files rejected); stderr:\n%s", code, errOut)
	}
	res := decodeResults(t, out)
	if len(res) != 8 {
		t.Errorf("add reported %d files, want 8 (the cover is not examined): %v", len(res), res)
	}
	elise := res["elise.wav"]
	if elise.Status != media.StatusAdded || elise.Format != media.FormatWAV || elise.SampleRate != 48000 ||
		elise.Channels != 2 || elise.DurationMS != 2000 || elise.Title != "Für Elise" || elise.Artist != "Beethoven" {
		t.Errorf("elise.wav = %+v", elise)
	}
	gym, cp := res["gymnopedie.flac"], res["copy-of-gymnopedie.flac"]
	if gym.ID != cp.ID || gym.Status == cp.Status {
		t.Errorf("identical files: %+v and %+v; want the same id, one added and one exists", gym, cp)
	}
	if gym.Format != media.FormatFLAC || gym.DurationMS != 1500 || gym.Title != "Gymnopédie No. 1" {
		t.Errorf("gymnopedie.flac = %+v", gym)
	}
	rejected := map[string]string{
		"text-named.flac": "not an audio file",
		"zero.mp3":        "empty file",
		"half.flac":       "FLAC",
		"short-data.wav":  "truncated",
		"song.m4a":        "unsupported format: MPEG-4 audio",
	}
	for name, reason := range rejected {
		r := res[name]
		if r.Status != media.StatusRejected || !strings.Contains(r.Error, reason) {
			t.Errorf("%s: status %q error %q; want rejected with %q", name, r.Status, r.Error, reason)
		}
		if !strings.Contains(errOut, filepath.Join(src, "a", name)+": ") {
			t.Errorf("stderr does not report %s on its own line:\n%s", name, errOut)
		}
	}
	if !strings.Contains(errOut, "2 added, 1 already in the library, 5 rejected") {
		t.Errorf("summary missing from stderr:\n%s", errOut)
	}
	// Only the two distinct good files were copied; nothing partial is left.
	var copies []string
	filepath.WalkDir(filepath.Join(data, "media"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			copies = append(copies, p)
		}
		return nil
	})
	if len(copies) != 2 {
		t.Errorf("managed folder holds %v, want 2 files", copies)
	}

	// Again: everything good is already there.
	code, out, _ = attune(t, "library", "add", "--json", filepath.Join(src, "a", "elise.wav"), filepath.Join(src, "a", "gymnopedie.flac"))
	if code != exitOK {
		t.Errorf("second add: exit %d, want 0", code)
	}
	for name, r := range decodeResults(t, out) {
		if r.Status != media.StatusExists {
			t.Errorf("second add: %s is %q, want exists", name, r.Status)
		}
	}

	// Search folds diacritics and case and matches prefixes.
	for query, want := range map[string]string{"fur elise": "Für Elise", "GYMNOPEDIE": "Gymnopédie No. 1", "beeth": "Für Elise", "satie": "Gymnopédie No. 1"} {
		code, out, errOut = attune(t, "library", "list", "--json", query)
		if code != 0 {
			t.Fatalf("list %q: exit %d: %s", query, code, errOut)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		var tr trackView
		if len(lines) != 1 || json.Unmarshal([]byte(lines[0]), &tr) != nil || tr.Title != want {
			t.Errorf("list %q = %q, want one track %q", query, out, want)
		}
		if query == "satie" && (tr.ReplayGain.TrackGain == nil || *tr.ReplayGain.TrackGain != -3.5) {
			t.Errorf("ReplayGain of %q = %+v, want track gain -3.5", want, tr.ReplayGain)
		}
	}
	code, out, _ = attune(t, "library", "list")
	if code != 0 || !strings.Contains(out, "2 tracks") || !strings.Contains(out, "Beethoven") {
		t.Errorf("list: exit %d\n%s", code, out)
	}
}
