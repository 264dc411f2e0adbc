package mediatest

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeCorpus makes a corpus of just a manifest under root/shared/corpus and
// returns the corpus folder.
func fakeCorpus(tb testing.TB, root string, rows ...string) string {
	tb.Helper()
	dir := filepath.Join(root, "shared", "corpus")
	WriteFile(tb, filepath.Join(dir, "music", "mixed"), "manifest.tsv",
		[]byte(manifestHeader+"\n"+strings.Join(rows, "\n")+"\n"))
	return dir
}

// skips reports whether f skips the test it is given.
func skips(t *testing.T, f func(testing.TB)) bool {
	t.Helper()
	var skipped bool
	t.Run("probe", func(t *testing.T) {
		defer func() { skipped = t.Skipped() }()
		f(t)
	})
	return skipped
}

func TestCorpus_Env(t *testing.T) {
	want := fakeCorpus(t, t.TempDir())
	t.Setenv(CorpusEnv, want)
	if got := Corpus(t); got != want {
		t.Errorf("Corpus = %q, want %q", got, want)
	}
}

// Without $ATTUNE_CORPUS, Corpus finds shared/corpus beside the folder that
// holds go.mod, from any folder below it: a clone next to a copy of shared/.
func TestCorpus_BesideRepository(t *testing.T) {
	root := t.TempDir()
	want := fakeCorpus(t, root)
	repo := filepath.Join(root, "clone")
	WriteFile(t, repo, "go.mod", []byte("module attune\n"))
	// A shared/corpus inside the repository is not the one beside it.
	fakeCorpus(t, repo)
	t.Setenv(CorpusEnv, "")
	for _, sub := range []string{".", "cmd/attune", "media/probe/flacfile"} {
		t.Run(sub, func(t *testing.T) {
			dir := filepath.Join(repo, sub)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			t.Chdir(dir)
			if got := Corpus(t); got != want {
				t.Errorf("Corpus from %s = %q, want %q", sub, got, want)
			}
		})
	}
}

func TestCorpus_AbsentSkips(t *testing.T) {
	t.Setenv(CorpusEnv, filepath.Join(t.TempDir(), "nonexistent"))
	if !skips(t, func(tb testing.TB) { Corpus(tb) }) {
		t.Errorf("Corpus with no corpus did not skip")
	}
	if !skips(t, func(tb testing.TB) { Manifest(tb) }) {
		t.Errorf("Manifest with no corpus did not skip")
	}

	// A folder without the manifest is not a corpus.
	dir := filepath.Join(t.TempDir(), "shared", "corpus")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv(CorpusEnv, dir)
	if !skips(t, func(tb testing.TB) { Corpus(tb) }) {
		t.Errorf("Corpus with an empty corpus folder did not skip")
	}
}

func TestManifest_Rows(t *testing.T) {
	t.Setenv(CorpusEnv, fakeCorpus(t, t.TempDir(),
		"flac-16-44k/01 - A - B.flac\tflac-16-44k\tflac\t44100\t2\t16\t548080\t12.000000\t822120\tA\tB\tC [x]\t1/3\t-19.1",
		"broken/random-bytes.ogg\tbroken\tINVALID\t\t\t\t\t\t\t\t\t\t\t",
	))
	rows := Manifest(t)
	if len(rows) != 2 {
		t.Fatalf("Manifest has %d rows, want 2", len(rows))
	}
	want := ManifestRow{Path: "flac-16-44k/01 - A - B.flac", Variant: "flac-16-44k", Codec: "flac",
		SampleRate: 44100, Channels: 2, Bits: 16, BitRate: 548080, Duration: 12, Size: 822120,
		Artist: "A", Title: "B", Album: "C [x]", Track: "1/3", LUFS: -19.1}
	if rows[0] != want {
		t.Errorf("row 1 =\n %+v\nwant\n %+v", rows[0], want)
	}
	got := rows[1]
	if !math.IsNaN(got.LUFS) {
		t.Errorf("row 2 LUFS = %v, want NaN for an empty field", got.LUFS)
	}
	got.LUFS = 0
	if want := (ManifestRow{Path: "broken/random-bytes.ogg", Variant: "broken", Codec: "INVALID"}); got != want {
		t.Errorf("row 2 =\n %+v\nwant\n %+v", got, want)
	}
}

func TestParseManifestRow_Malformed(t *testing.T) {
	for _, line := range []string{
		"a\tb\tc", // too few columns
		"p\tv\tc\t44.1k\t2\t16\t1\t1\t1\ta\tt\tal\t1\t-1",    // sample rate not a number
		"p\tv\tc\t44100\t2\t16\t1\tlong\t1\ta\tt\tal\t1\t-1", // duration not a number
	} {
		if row, err := parseManifestRow(line); err == nil {
			t.Errorf("parseManifestRow(%q) = %+v, want an error", line, row)
		}
	}
}
