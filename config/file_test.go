package config

import (
	"errors"
	"strings"
	"testing"
)

func TestLoad_FileErrors(t *testing.T) {
	for _, tc := range []struct {
		name     string
		body     string
		wantLine int
		wantKey  string
		wantMsg  []string
	}{
		{"unknown top key", "data_dir: /d\ncolour: blue\n", 2, "colour", []string{`unknown key "colour"`}},
		{"typo in section", "library:\n  dir: /x\n  wokers: 3\n", 3, "library.wokers", []string{`unknown key "library.wokers"`, `did you mean "library.workers"?`}},
		{"key in wrong section", "workers: 3\n", 1, "workers", []string{`did you mean "library.workers"?`}},
		{"close typo top", "datadir: /x\n", 1, "datadir", []string{`did you mean "data_dir"?`}},
		{"section typo", "libary:\n  dir: /x\n", 1, "libary", []string{`did you mean "library"?`}},
		{"far from anything", "zzzzzzzzzzzz: 1\n", 1, "zzzzzzzzzzzz", []string{`unknown key "zzzzzzzzzzzz"`}},
		{"case-insensitive typo", "Library:\n  Wokers: 3\n", 2, "library.wokers", []string{`"library.wokers"`}},
		{"section given a value", "library: /music\n", 1, "library", []string{`"library" is a section`}},
		{"section given a list", "library: [a]\n", 1, "library", []string{`"library" is a section`}},
		{"duplicate differing in case", "data_dir: /a\nDATA_DIR: /b\n", 2, "data_dir", []string{"given twice", "line 1"}},
		{"duplicate dotted and nested", "library.dir: /a\nlibrary:\n  dir: /b\n", 3, "library.dir", []string{"given twice"}},
		{"top is a list", "- a\n- b\n", 1, "", []string{"want a mapping"}},
		{"top is a scalar", "hello\n", 1, "", []string{"want a mapping"}},
		{"malformed: unclosed flow", "data_dir: /d\nlibrary:\n  watch: [a,\n", 3, "", []string{"not valid YAML"}},
		{"malformed: missing colon", "data_dir: /a\nlibrary:\n  dir /b\n  workers: 2\n", 4, "", []string{"not valid YAML"}},
		{"malformed: tab indent", "library:\n\tdir: /b\n", 2, "", []string{"not valid YAML"}},
		{"complex key", "? [a, b]\n: 1\n", 1, "", []string{"plain name"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := testOptions(t)
			o.Dirs = []string{o.WorkDir}
			file := writeFile(t, o.WorkDir, FileName, tc.body)
			_, err := Load(o)
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("Load = %v, want a *FileError", err)
			}
			if fe.File != file || fe.Line != tc.wantLine || fe.Key != tc.wantKey {
				t.Errorf("got file %q line %d key %q, want %q line %d key %q (%v)",
					fe.File, fe.Line, fe.Key, file, tc.wantLine, tc.wantKey, err)
			}
			msg := err.Error()
			for _, w := range append(tc.wantMsg, file) {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("error %q spans lines, want one", msg)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("errors.Is(%v, ErrInvalid) = false", err)
			}
		})
	}
}

func TestLoad_FileAcceptable(t *testing.T) {
	for _, tc := range []struct{ name, body string }{
		{"empty", ""},
		{"comments only", "# nothing here\n"},
		{"null document", "~\n"},
		{"anchors and aliases", "data_dir: &d /srv/attune\nlibrary:\n  watch: [*d]\n"},
		{"dotted key", "library.workers: 2\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := testOptions(t)
			o.Dirs = []string{o.WorkDir}
			writeFile(t, o.WorkDir, FileName, tc.body)
			mustLoad(t, o)
		})
	}
}

func TestLoad_DottedKeyIsUsed(t *testing.T) {
	o := testOptions(t)
	o.Dirs = []string{o.WorkDir}
	writeFile(t, o.WorkDir, FileName, "library.workers: 2\n")
	l := mustLoad(t, o)
	if l.Config.Library.Workers != 2 || l.Source("library.workers") != SourceFile {
		t.Errorf("Workers = %d from %s, want 2 from file", l.Config.Library.Workers, l.Source("library.workers"))
	}
}

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"a", "", 1}, {"", "abc", 3}, {"kitten", "sitting", 3},
		{"library.wokers", "library.workers", 1}, {"datadir", "data_dir", 1},
	} {
		if got := editDistance(tc.a, tc.b); got != tc.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}
