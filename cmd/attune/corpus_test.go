package main

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"attune/media"
	"attune/media/mediatest"
)

// The acceptance test: every playable file of the real library is
// imported with the right format, duration and tags; every broken or
// unsupported one is rejected with its reason; nothing crashes; a second run
// finds everything already there.
func TestCorpus_libraryAddMusic(t *testing.T) {
	corpus := mediatest.Corpus(t)
	rows := mediatest.Manifest(t) // before isolate hides $ATTUNE_CORPUS
	if len(rows) < 50 {
		t.Fatalf("manifest has %d rows; is the corpus complete?", len(rows))
	}
	isolate(t)
	t.Setenv("ATTUNE_DATA_DIR", filepath.Join(t.TempDir(), "data"))
	music := filepath.Join(corpus, "music")

	code, out, errOut := attune(t, "library", "add", "--no-analyze", "--json", music)
	if code != exitFailure {
		t.Fatalf("exit %d, want 1 (the corpus has broken files); stderr:\n%s", code, errOut)
	}
	results := map[string]media.Result{}
	for _, r := range decodeResultsByPath(t, out) {
		rel, _ := filepath.Rel(music, r.Path)
		results[rel] = r
	}

	// Every variant is a clip of the same master, so each decodes to the
	// master's length: the lossless FLAC variant's. (ffprobe's duration for
	// an MP3 with a LAME tag includes encoder delay and padding — 42 to
	// 60 ms here — which a gapless player does not play.)
	master := map[string]float64{}
	for _, row := range rows {
		if row.Variant == "flac-16-44k" {
			master[trackKey(row.Path)] = row.Duration
		}
	}
	for _, row := range rows {
		r, ok := results[filepath.Join("mixed", row.Path)]
		if !ok {
			t.Errorf("%s: no result", row.Path)
			continue
		}
		switch {
		case row.Variant == "broken":
			if r.Status != media.StatusRejected || r.Error == "" {
				t.Errorf("%s (broken): status %q, error %q; want rejected with a reason", row.Path, r.Status, r.Error)
			}
		case row.Codec == "aac" || row.Codec == "opus":
			if r.Status != media.StatusRejected || !strings.HasPrefix(r.Error, "unsupported format: ") {
				t.Errorf("%s (%s): status %q, error %q; want unsupported format", row.Path, row.Codec, r.Status, r.Error)
			}
		default:
			if r.Status != media.StatusAdded && r.Status != media.StatusExists {
				t.Errorf("%s: status %q (%s), want added", row.Path, r.Status, r.Error)
				continue
			}
			got := float64(r.DurationMS) / 1000
			if want := master[trackKey(row.Path)]; math.Abs(got-want) > 0.050 {
				t.Errorf("%s: duration %.3f s, the master clip is %.3f s", row.Path, got, want)
			}
			if row.Codec != "mp3" && math.Abs(got-row.Duration) > 0.002 {
				t.Errorf("%s: duration %.3f s, ffmpeg says %.3f s", row.Path, got, row.Duration)
			}
			if r.SampleRate != row.SampleRate || r.Channels != row.Channels {
				t.Errorf("%s: %d Hz %d ch, want %d Hz %d ch", row.Path, r.SampleRate, r.Channels, row.SampleRate, row.Channels)
			}
			if r.Title != row.Title || r.Artist != row.Artist || r.Album != row.Album {
				t.Errorf("%s: tags %q / %q / %q, want %q / %q / %q", row.Path, r.Title, r.Artist, r.Album, row.Title, row.Artist, row.Album)
			}
		}
	}
	whole, _ := filepath.Glob(filepath.Join(music, "whole", "*.ogg"))
	for _, p := range whole {
		rel, _ := filepath.Rel(music, p)
		if r := results[rel]; r.Status != media.StatusAdded || r.Format != media.FormatOgg || r.DurationMS < 30000 {
			t.Errorf("%s: %+v, want an added Ogg Vorbis track", rel, r)
		}
	}

	// Second run: every good file exists, the broken ones are still rejected.
	_, out, _ = attune(t, "library", "add", "--no-analyze", "--json", music)
	for _, r := range decodeResultsByPath(t, out) {
		if r.Status == media.StatusAdded {
			t.Errorf("second run added %s again", r.Path)
		}
	}
}

// Hostile files made to crash tag readers and decoders: the run must finish
// with a decision for every file, and no crash.
func TestCorpus_libraryAddTags(t *testing.T) {
	corpus := mediatest.Corpus(t)
	isolate(t)
	t.Setenv("ATTUNE_DATA_DIR", filepath.Join(t.TempDir(), "data"))
	tags := filepath.Join(corpus, "tags")
	var examined int
	filepath.WalkDir(tags, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && media.IsAudioName(d.Name()) && !hasHiddenPart(tags, p) {
			examined++
		}
		return nil
	})
	code, out, errOut := attune(t, "library", "add", "--no-analyze", "--json", tags)
	if code != exitOK && code != exitFailure {
		t.Fatalf("exit %d; stderr:\n%s", code, errOut)
	}
	results := decodeResultsByPath(t, out)
	if len(results) != examined {
		t.Errorf("%d results for %d audio files", len(results), examined)
	}
	var added, rejected int
	for _, r := range results {
		switch r.Status {
		case media.StatusRejected:
			rejected++
			if r.Error == "" {
				t.Errorf("%s rejected without a reason", r.Path)
			}
		case media.StatusAdded, media.StatusExists:
			added++
			if r.SampleRate <= 0 || r.Channels <= 0 || r.DurationMS < 0 {
				t.Errorf("%s added with a nonsense stream: %+v", r.Path, r)
			}
		default:
			t.Errorf("%s: status %q", r.Path, r.Status)
		}
	}
	t.Logf("tags corpus: %d files, %d added or present, %d rejected", len(results), added, rejected)
}

// trackKey is the clip's track number: "01" of "mp3-vbr-v0/01 - Maxstack - A New Journey.mp3".
func trackKey(path string) string {
	base := filepath.Base(path)
	if i := strings.Index(base, " "); i > 0 {
		return base[:i]
	}
	return base
}

func hasHiddenPart(root, p string) bool {
	rel, _ := filepath.Rel(root, p)
	for _, part := range strings.Split(filepath.Dir(rel), string(filepath.Separator)) {
		if strings.HasPrefix(part, ".") && part != "." {
			return true
		}
	}
	return false
}

func decodeResultsByPath(t testing.TB, out string) map[string]media.Result {
	t.Helper()
	res := map[string]media.Result{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		r := decodeResults(t, line)
		for _, v := range r {
			res[v.Path] = v
		}
	}
	return res
}
