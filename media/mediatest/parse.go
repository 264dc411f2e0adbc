package mediatest

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"attune/media"
)

// The helpers below test parsers of the media/probe family: functions that
// read the structure of a whole file of the given size from r, and fail
// with errors matching media.ErrInvalid or media.ErrUnsupported.

// ParseFile runs a parser of the media/probe family (one that reads a whole
// file of the given size from r) on the file at path.
func ParseFile[I any](tb testing.TB, path string, parse func(r io.ReaderAt, size int64) (I, error)) (I, error) {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatalf("open: %v", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		tb.Fatalf("stat: %v", err)
	}
	return parse(f, fi.Size())
}

// Parsed is what a parser made of one corpus file.
type Parsed[I any] struct {
	Rel  string // the file's path relative to the folder walked, with slashes
	Info I
	Err  error
}

// ParseCorpus feeds every file under the corpus folder sub (as "tags", the
// files made to break tag readers) to parse, as a fuzzer would: a panic or
// a parse slower than a second fails tb. It skips tb when the corpus is
// absent, and returns the results in walk order for further checks.
func ParseCorpus[I any](tb testing.TB, sub string, parse func(r io.ReaderAt, size int64) (I, error)) []Parsed[I] {
	tb.Helper()
	dir := filepath.Join(Corpus(tb), sub)
	var out []Parsed[I]
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		p := Parsed[I]{Rel: filepath.ToSlash(rel)}
		func() {
			defer func() {
				if v := recover(); v != nil {
					tb.Errorf("%s: parse panicked: %v", p.Rel, v)
					p.Err = fmt.Errorf("panic: %v", v)
				}
			}()
			p.Info, p.Err = ParseFile(tb, path, parse)
		}()
		out = append(out, p)
		return nil
	})
	if err != nil {
		tb.Fatalf("walk %s: %v", dir, err)
	}
	return out
}

// ParseManifestFiles runs parse, in a subtest named by the file's path, on
// each file of the corpus manifest whose name ends in one of exts. A broken
// file (under broken/) must fail with media.ErrInvalid; any other must parse,
// and check then compares what parse made of it with the manifest row. It
// returns how many files it ran, fails t when there are none, and skips t
// when the corpus is absent.
func ParseManifestFiles[I any](t *testing.T, parse func(r io.ReaderAt, size int64) (I, error),
	check func(t *testing.T, row ManifestRow, info I), exts ...string) int {
	t.Helper()
	dir := filepath.Join(Corpus(t), "music", "mixed")
	n := 0
	for _, row := range Manifest(t) {
		if !hasSuffix(row.Path, exts) {
			continue
		}
		n++
		t.Run(row.Path, func(t *testing.T) {
			info, err := ParseFile(t, filepath.Join(dir, row.Path), parse)
			if strings.HasPrefix(row.Path, "broken/") {
				if !errors.Is(err, media.ErrInvalid) {
					t.Fatalf("Parse error = %v, want an ErrInvalid", err)
				}
				t.Logf("%s: %v", row.Path, err)
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			check(t, row, info)
		})
	}
	if n == 0 {
		t.Errorf("manifest lists no %s files", strings.Join(exts, " or "))
	}
	return n
}

func hasSuffix(s string, suffixes []string) bool {
	for _, suf := range suffixes {
		if strings.HasSuffix(s, suf) {
			return true
		}
	}
	return false
}

// CheckError fails tb unless err matches kind (with errors.Is) and its text
// contains want and is one line without a trailing period, as the errors of
// media/probe parsers are.
func CheckError(tb testing.TB, err, kind error, want string) {
	tb.Helper()
	if err == nil {
		tb.Fatalf("Parse: nil error, want %q", want)
	}
	if !errors.Is(err, kind) {
		tb.Errorf("Parse error %q is not %v", err, kind)
	}
	if !strings.Contains(err.Error(), want) {
		tb.Errorf("Parse error = %q, want it to contain %q", err, want)
	}
	if strings.ContainsAny(err.Error(), "\n") || strings.HasSuffix(err.Error(), ".") {
		tb.Errorf("Parse error %q is not one line without a trailing period", err)
	}
}
