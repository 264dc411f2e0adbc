package mediatest

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"attune/media"
)

// recorder is a testing.TB that records failures instead of reporting
// them, to test helpers that should fail a test. Methods it does not
// override panic (the embedded TB is nil).
type recorder struct {
	testing.TB
	errs  []string
	fatal bool
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	r.fatal = true
	runtime.Goexit()
}

// record runs f with a recorder on a goroutine of its own, so that Fatalf
// can stop it as it stops a test.
func record(f func(tb testing.TB)) *recorder {
	r := &recorder{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	return r
}

func TestCheckError(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		kind      error
		want      string
		failures  int
		wantFatal bool
	}{
		{"match", media.Invalidf("truncated at byte %d", 7), media.ErrInvalid, "at byte 7", 0, false},
		{"nil", nil, media.ErrInvalid, "x", 1, true},
		{"wrong kind", media.Unsupportedf("RF64"), media.ErrInvalid, "RF64", 1, false},
		{"wrong text", media.Invalidf("no fmt chunk"), media.ErrInvalid, "no data chunk", 1, false},
		{"two lines", media.Invalidf("a\nb"), media.ErrInvalid, "a", 1, false},
		{"trailing period", media.Invalidf("bad."), media.ErrInvalid, "bad", 1, false},
		{"all wrong", errors.New("oops."), media.ErrUnsupported, "x", 3, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := record(func(tb testing.TB) { CheckError(tb, tt.err, tt.kind, tt.want) })
			if len(r.errs) != tt.failures || r.fatal != tt.wantFatal {
				t.Errorf("CheckError failures = %q (fatal %v), want %d (fatal %v)", r.errs, r.fatal, tt.failures, tt.wantFatal)
			}
		})
	}
}

func TestParseCorpus(t *testing.T) {
	dir := fakeCorpus(t, t.TempDir())
	WriteFile(t, filepath.Join(dir, "tags"), "good.bin", []byte("good"))
	WriteFile(t, filepath.Join(dir, "tags", "sub"), "bad.bin", []byte("bad"))
	WriteFile(t, filepath.Join(dir, "tags", "sub"), "panic.bin", []byte("panic"))
	t.Setenv(CorpusEnv, dir)
	parse := func(r io.ReaderAt, size int64) (string, error) {
		b := make([]byte, size)
		if _, err := r.ReadAt(b, 0); err != nil {
			return "", err
		}
		switch string(b) {
		case "panic":
			panic("boom")
		case "bad":
			return "", media.Invalidf("bad file")
		}
		return string(b), nil
	}
	var got []Parsed[string]
	r := record(func(tb testing.TB) { got = ParseCorpus(tb, "tags", parse) })

	var lines []string
	for _, p := range got {
		lines = append(lines, fmt.Sprintf("%s %q %v", p.Rel, p.Info, p.Err))
	}
	want := []string{`good.bin "good" <nil>`, `sub/bad.bin "" bad file`, `sub/panic.bin "" panic: boom`}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("ParseCorpus =\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	if len(r.errs) != 1 || !strings.Contains(r.errs[0], "sub/panic.bin: parse panicked: boom") || r.fatal {
		t.Errorf("ParseCorpus failures = %q (fatal %v), want one for the panic", r.errs, r.fatal)
	}
}
