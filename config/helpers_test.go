package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testOptions returns Options that depend on nothing real: a temporary work
// dir and home, no search dirs, 4 CPUs, and every ATTUNE_ key variable unset
// (empty counts as unset).
func testOptions(t testing.TB) Options {
	t.Helper()
	for _, k := range Keys() {
		if os.Getenv(k.Env()) != "" {
			t.Setenv(k.Env(), "")
		}
	}
	root := t.TempDir()
	o := Options{
		Dirs:    []string{},
		WorkDir: filepath.Join(root, "work"),
		Home:    filepath.Join(root, "home"),
		NumCPU:  4,
	}
	for _, d := range []string{o.WorkDir, o.Home} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return o
}

// writeFile writes body to dir/name and returns the path.
func writeFile(t testing.TB, dir, name, body string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// yamlFor renders "a.b.c: value" as nested YAML; value is YAML text.
func yamlFor(key, value string) string {
	parts := strings.Split(key, ".")
	var b strings.Builder
	for i, p := range parts {
		b.WriteString(strings.Repeat("  ", i) + p + ":")
		if i == len(parts)-1 {
			b.WriteString(" " + value)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// mustLoad loads or fails the test.
func mustLoad(t testing.TB, o Options) *Loaded {
	t.Helper()
	l, err := Load(o)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return l
}
