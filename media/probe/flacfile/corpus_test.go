package flacfile

import (
	"bufio"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"attune/media"
)

// corpusDir locates the shared test corpus (ATTUNE_CORPUS, or
// ../../../../shared/corpus from this package) or skips the test.
func corpusDir(tb testing.TB) string {
	tb.Helper()
	dir := os.Getenv("ATTUNE_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "..", "shared", "corpus")
	}
	if _, err := os.Stat(filepath.Join(dir, "music", "mixed", "manifest.tsv")); err != nil {
		tb.Skipf("test corpus not found at %s (set ATTUNE_CORPUS): %v", dir, err)
	}
	return dir
}

func parseFile(tb testing.TB, path string) (Info, error) {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		tb.Fatal(err)
	}
	return Parse(f, st.Size())
}

func TestParse_CorpusManifest(t *testing.T) {
	dir := filepath.Join(corpusDir(t), "music", "mixed")
	f, err := os.Open(filepath.Join(dir, "manifest.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	seen := 0
	for sc.Scan() {
		col := strings.Split(sc.Text(), "\t")
		if !strings.HasSuffix(col[0], ".flac") {
			continue
		}
		seen++
		path := col[0]
		t.Run(path, func(t *testing.T) {
			info, err := parseFile(t, filepath.Join(dir, path))
			if strings.HasPrefix(path, "broken/") {
				if err == nil || !errors.Is(err, media.ErrInvalid) {
					t.Fatalf("Parse error = %v, want an ErrInvalid", err)
				}
				t.Logf("%s: %v", path, err)
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			want, _ := strconv.ParseFloat(col[7], 64)
			got := float64(info.Samples) / float64(info.SampleRate)
			if math.Abs(got-want) > 0.001 {
				t.Errorf("duration = %.6f s, want %.6f s (ffmpeg)", got, want)
			}
			if rate, _ := strconv.Atoi(col[3]); info.SampleRate != rate {
				t.Errorf("SampleRate = %d, want %d", info.SampleRate, rate)
			}
			if ch, _ := strconv.Atoi(col[4]); info.Channels != ch {
				t.Errorf("Channels = %d, want %d", info.Channels, ch)
			}
			if bits, _ := strconv.Atoi(col[5]); info.BitDepth != bits {
				t.Errorf("BitDepth = %d, want %d", info.BitDepth, bits)
			}
		})
	}
	if seen == 0 {
		t.Errorf("manifest lists no FLAC files")
	}
}

// TestParse_CorpusTestbench runs the IETF FLAC decoder testbench: subset/
// must parse with the STREAMINFO sample count (which `flac -t` checks),
// uncommon/ must parse or be unsupported, faulty/ must not crash.
func TestParse_CorpusTestbench(t *testing.T) {
	dir := filepath.Join(corpusDir(t), "tags", "flac-test-files")
	files, _ := filepath.Glob(filepath.Join(dir, "*", "*.flac"))
	if len(files) == 0 {
		t.Skipf("no files in %s", dir)
	}
	// subset/45 has no total in STREAMINFO; libFLAC decodes 336410 samples.
	noTotal := map[string]int64{"45 - no total number of samples set.flac": 336410}
	for _, path := range files {
		group := filepath.Base(filepath.Dir(path))
		name := filepath.Base(path)
		t.Run(group+"/"+name, func(t *testing.T) {
			info, err := parseFile(t, path)
			switch group {
			case "subset":
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if want, ok := noTotal[name]; ok && info.Samples != want {
					t.Errorf("Samples = %d, want %d", info.Samples, want)
				}
			case "uncommon":
				if err != nil && !errors.Is(err, media.ErrUnsupported) {
					t.Errorf("Parse error = %v, want nil or ErrUnsupported", err)
				}
			}
			t.Logf("%s/%s: err=%v samples=%d", group, name, err, info.Samples)
		})
	}
}

// TestParse_CorpusAnyFile feeds every file under tags/ to Parse: no panic,
// no hang.
func TestParse_CorpusAnyFile(t *testing.T) {
	dir := filepath.Join(corpusDir(t), "tags")
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		start := time.Now()
		_, _ = parseFile(t, path)
		if d := time.Since(start); d > time.Second {
			t.Errorf("%s: Parse took %v", path, d)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
