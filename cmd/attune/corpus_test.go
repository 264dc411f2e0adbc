package main

import (
	"encoding/csv"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"attune/media"
)

// corpusDir finds ../shared/corpus (or $ATTUNE_CORPUS), or skips the test
// with a visible reason: the corpus is extra test data, not a requirement.
func corpusDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("ATTUNE_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "corpus")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(abs, "music")); err != nil {
		t.Skipf("SKIP: the shared test corpus is not at %s (set ATTUNE_CORPUS): %v", abs, err)
	}
	return abs
}

// manifestRow is one line of corpus/music/mixed/manifest.tsv (ffmpeg's view).
type manifestRow struct {
	path, variant, codec string
	sampleRate, channels int
	duration             float64
	artist, title, album string
}

func readManifest(t *testing.T, path string) []manifestRow {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comma, r.LazyQuotes, r.FieldsPerRecord = '\t', true, -1
	var rows []manifestRow
	header := true
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if header {
			header = false
			continue
		}
		get := func(i int) string {
			if i < len(rec) {
				return rec[i]
			}
			return ""
		}
		rate, _ := strconv.Atoi(get(3))
		ch, _ := strconv.Atoi(get(4))
		dur, _ := strconv.ParseFloat(get(7), 64)
		rows = append(rows, manifestRow{path: get(0), variant: get(1), codec: get(2), sampleRate: rate, channels: ch,
			duration: dur, artist: get(9), title: get(10), album: get(11)})
	}
	return rows
}

// The acceptance test: every playable file of the real library is
// imported with the right format, duration and tags; every broken or
// unsupported one is rejected with its reason; nothing crashes; a second run
// finds everything already there.
func TestCorpus_libraryAddMusic(t *testing.T) {
	corpus := corpusDir(t)
	isolate(t)
	t.Setenv("ATTUNE_DATA_DIR", filepath.Join(t.TempDir(), "data"))
	music := filepath.Join(corpus, "music")

	code, out, errOut := attune(t, "library", "add", "--json", music)
	if code != exitFailure {
		t.Fatalf("exit %d, want 1 (the corpus has broken files); stderr:\n%s", code, errOut)
	}
	results := map[string]media.Result{}
	for _, r := range decodeResultsByPath(t, out) {
		rel, _ := filepath.Rel(music, r.Path)
		results[rel] = r
	}

	rows := readManifest(t, filepath.Join(music, "mixed", "manifest.tsv"))
	if len(rows) < 50 {
		t.Fatalf("manifest has %d rows; is the corpus complete?", len(rows))
	}
	// Every variant is a clip of the same master, so each decodes to the
	// master's length: the lossless FLAC variant's. (ffprobe's duration for
	// an MP3 with a LAME tag includes encoder delay and padding — 42 to
	// 60 ms here — which a gapless player does not play.)
	master := map[string]float64{}
	for _, row := range rows {
		if row.variant == "flac-16-44k" {
			master[trackKey(row.path)] = row.duration
		}
	}
	for _, row := range rows {
		r, ok := results[filepath.Join("mixed", row.path)]
		if !ok {
			t.Errorf("%s: no result", row.path)
			continue
		}
		switch {
		case row.variant == "broken":
			if r.Status != media.StatusRejected || r.Error == "" {
				t.Errorf("%s (broken): status %q, error %q; want rejected with a reason", row.path, r.Status, r.Error)
			}
		case row.codec == "aac" || row.codec == "opus":
			if r.Status != media.StatusRejected || !strings.HasPrefix(r.Error, "unsupported format: ") {
				t.Errorf("%s (%s): status %q, error %q; want unsupported format", row.path, row.codec, r.Status, r.Error)
			}
		default:
			if r.Status != media.StatusAdded && r.Status != media.StatusExists {
				t.Errorf("%s: status %q (%s), want added", row.path, r.Status, r.Error)
				continue
			}
			got := float64(r.DurationMS) / 1000
			if want := master[trackKey(row.path)]; math.Abs(got-want) > 0.050 {
				t.Errorf("%s: duration %.3f s, the master clip is %.3f s", row.path, got, want)
			}
			if row.codec != "mp3" && math.Abs(got-row.duration) > 0.002 {
				t.Errorf("%s: duration %.3f s, ffmpeg says %.3f s", row.path, got, row.duration)
			}
			if r.SampleRate != row.sampleRate || r.Channels != row.channels {
				t.Errorf("%s: %d Hz %d ch, want %d Hz %d ch", row.path, r.SampleRate, r.Channels, row.sampleRate, row.channels)
			}
			if r.Title != row.title || r.Artist != row.artist || r.Album != row.album {
				t.Errorf("%s: tags %q / %q / %q, want %q / %q / %q", row.path, r.Title, r.Artist, r.Album, row.title, row.artist, row.album)
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
	_, out, _ = attune(t, "library", "add", "--json", music)
	for _, r := range decodeResultsByPath(t, out) {
		if r.Status == media.StatusAdded {
			t.Errorf("second run added %s again", r.Path)
		}
	}
}

// Hostile files made to crash tag readers and decoders: the run must finish
// with a decision for every file, and no crash.
func TestCorpus_libraryAddTags(t *testing.T) {
	corpus := corpusDir(t)
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
	code, out, errOut := attune(t, "library", "add", "--json", tags)
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
