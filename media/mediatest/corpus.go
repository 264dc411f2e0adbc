package mediatest

import (
	"bufio"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// CorpusEnv names the environment variable that points at the shared test
// corpus when it is not beside the repository.
const CorpusEnv = "ATTUNE_CORPUS"

// Corpus returns the absolute path of the shared test corpus: $ATTUNE_CORPUS,
// else shared/corpus beside the repository root (the folder holding go.mod,
// found by walking up from the working directory), so it works from any
// package and from a clone placed next to a copy of shared/. The corpus is
// extra test data, not a requirement: when it is absent, Corpus skips tb
// with a visible reason.
//
// Corpus and Manifest read the environment and the working directory: call
// them before a test changes either.
func Corpus(tb testing.TB) string {
	tb.Helper()
	dir, ok := corpusDir()
	if !ok {
		tb.Skipf("SKIP: the shared test corpus is not at %s (set %s)", dir, CorpusEnv)
	}
	return dir
}

// corpusDir returns where the corpus should be and whether it is there.
func corpusDir() (dir string, ok bool) {
	dir = os.Getenv(CorpusEnv)
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return "shared/corpus beside the repository (no working directory: " + err.Error() + ")", false
		}
		root := wd
		for {
			if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
				break
			}
			up := filepath.Dir(root)
			if up == root {
				return "shared/corpus beside the repository (no go.mod above " + wd + ")", false
			}
			root = up
		}
		dir = filepath.Join(filepath.Dir(root), "shared", "corpus")
	}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	// The manifest marks a complete corpus, not just a folder of that name.
	_, err := os.Stat(filepath.Join(dir, manifestPath))
	return dir, err == nil
}

// manifestPath is where the manifest lies in the corpus.
const manifestPath = "music/mixed/manifest.tsv"

// ManifestRow is one line of the corpus manifest, music/mixed/manifest.tsv:
// ffprobe's view of a file. Numbers the manifest leaves empty (as it does
// for some broken files) are 0.
type ManifestRow struct {
	Path    string // relative to music/mixed, with slashes
	Variant string // the encoding, as "flac-16-44k", or "broken"
	Codec   string // ffprobe's codec name, as "pcm_s16le"

	SampleRate int
	Channels   int
	Bits       int
	BitRate    int     // bits per second
	Duration   float64 // seconds
	Size       int64   // bytes

	Artist, Title, Album string
	Track                string  // as tagged, as "1/3"
	LUFS                 float64 // integrated loudness; NaN if not measured
}

// manifestHeader is the manifest's first line, which Manifest checks so that
// a reordered file cannot silently shift the fields.
const manifestHeader = "path\tvariant\tcodec\tsample_rate\tchannels\tbits\tbit_rate\tduration_s\tsize\tartist\ttitle\talbum\ttrack\tlufs"

// Manifest returns the rows of the corpus manifest, or skips tb when the
// corpus is absent, as Corpus does. A malformed manifest fails the test.
func Manifest(tb testing.TB) []ManifestRow {
	tb.Helper()
	path := filepath.Join(Corpus(tb), manifestPath)
	f, err := os.Open(path)
	if err != nil {
		tb.Fatalf("read the corpus manifest: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() || sc.Text() != manifestHeader {
		tb.Fatalf("%s: header %q, want %q", path, sc.Text(), manifestHeader)
	}
	var rows []ManifestRow
	for line := 2; sc.Scan(); line++ {
		row, err := parseManifestRow(sc.Text())
		if err != nil {
			tb.Fatalf("%s:%d: %v", path, line, err)
		}
		rows = append(rows, row)
	}
	if err := sc.Err(); err != nil {
		tb.Fatalf("read %s: %v", path, err)
	}
	return rows
}

// parseManifestRow parses one tab-separated manifest line.
func parseManifestRow(line string) (ManifestRow, error) {
	col := strings.Split(line, "\t")
	if want := strings.Count(manifestHeader, "\t") + 1; len(col) != want {
		return ManifestRow{}, fmt.Errorf("%d columns, want %d", len(col), want)
	}
	var errs []error
	integer := func(i int) int64 {
		if col[i] == "" {
			return 0
		}
		v, err := strconv.ParseInt(col[i], 10, 64)
		if err != nil {
			errs = append(errs, fmt.Errorf("column %d: %w", i+1, err))
		}
		return v
	}
	float := func(i int, empty float64) float64 {
		if col[i] == "" {
			return empty
		}
		v, err := strconv.ParseFloat(col[i], 64)
		if err != nil {
			errs = append(errs, fmt.Errorf("column %d: %w", i+1, err))
		}
		return v
	}
	row := ManifestRow{
		Path:       col[0],
		Variant:    col[1],
		Codec:      col[2],
		SampleRate: int(integer(3)),
		Channels:   int(integer(4)),
		Bits:       int(integer(5)),
		BitRate:    int(integer(6)),
		Duration:   float(7, 0),
		Size:       integer(8),
		Artist:     col[9],
		Title:      col[10],
		Album:      col[11],
		Track:      col[12],
		LUFS:       float(13, math.NaN()),
	}
	return row, errors.Join(errs...)
}
