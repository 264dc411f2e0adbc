package plfile

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"attune/media"
	"attune/media/store"
)

func newLibrary(tb testing.TB) (*store.Store, string) {
	tb.Helper()
	dir := tb.TempDir()
	st, err := store.Open(context.Background(), filepath.Join(dir, "attune.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return st, dir
}

func addTrack(tb testing.TB, st *store.Store, id, path string, tags media.Tags) {
	tb.Helper()
	if _, err := st.AddTrack(context.Background(), media.Track{ID: id, Info: media.Info{Tags: tags}}, media.File{Path: path}); err != nil {
		tb.Fatal(err)
	}
}

func TestLibraryResolver_Resolve(t *testing.T) {
	st, dir := newLibrary(t)
	// A file outside the library whose content is a library track: the
	// library keeps a copy, so only the content tells them apart.
	original := filepath.Join(dir, "originals", "spiegel.wav")
	if err := os.MkdirAll(filepath.Dir(original), 0o755); err != nil {
		t.Fatal(err)
	}
	content := []byte("RIFF not really a wave, but content is content")
	if err := os.WriteFile(original, content, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(content)
	spiegel := hex.EncodeToString(sum[:])[:media.IDLength]

	const (
		elise  = "aaaaaaaaaaaaaaaaaaaaaaa1"
		acdc   = "aaaaaaaaaaaaaaaaaaaaaaa2"
		halo1  = "aaaaaaaaaaaaaaaaaaaaaaa3"
		halo2  = "aaaaaaaaaaaaaaaaaaaaaaa4"
		dashed = "aaaaaaaaaaaaaaaaaaaaaaa5"
	)
	addTrack(t, st, elise, "/lib/aa/elise.flac", media.Tags{Artist: "Ludwig van Beethoven", Title: "Für Elise"})
	addTrack(t, st, acdc, "/lib/aa/acdc.mp3", media.Tags{Artist: "AC/DC", Title: "Back in Black"})
	addTrack(t, st, halo1, "/lib/aa/halo1.mp3", media.Tags{Artist: "Beyoncé", Title: "Halo", Album: "I Am"})
	addTrack(t, st, halo2, "/lib/aa/halo2.mp3", media.Tags{Artist: "Beyoncé", Title: "Halo", Album: "Live"})
	addTrack(t, st, dashed, "/lib/aa/dashed.flac", media.Tags{Artist: "Jean-Michel Jarre", Title: "Oxygène - Part IV"})
	addTrack(t, st, spiegel, "/lib/sp/spiegel.wav", media.Tags{Artist: "Arvo Pärt", Title: "Spiegel im Spiegel"})

	r := LibraryResolver{Lib: st, Dir: "/lib/aa"}
	tests := map[string]string{ // ref → id, "" for an error
		elise:                                     elise,
		"/lib/aa/elise.flac":                      elise,
		"elise.flac":                              elise, // relative to Dir
		"file:///lib/aa/acdc.mp3":                 acdc,
		original:                                  spiegel, // by content
		"Ludwig van Beethoven – Für Elise":        elise,
		"ludwig van beethoven - fur elise":        elise, // hyphen, case, diacritics
		"AC/DC – Back in Black":                   acdc,  // looks like a path, is not one
		"Jean-Michel Jarre - Oxygène - Part IV":   dashed,
		"Jean-Michel Jarre – Oxygene - Part IV":   dashed,
		"  Arvo Pärt – Spiegel im Spiegel  ":      spiegel,
		"Beyoncé – Halo":                          "", // ambiguous, below
		"Beethoven – Für Elise":                   "", // not the whole artist
		"/lib/aa/missing.flac":                    "",
		"bbbbbbbbbbbbbbbbbbbbbbbb":                "",
		"Für Elise":                               "",
		"Ludwig van Beethoven – Für Elise (Live)": "",
	}
	for ref, want := range tests {
		got, err := r.Resolve(context.Background(), ref)
		switch {
		case want != "" && (err != nil || got != want):
			t.Errorf("Resolve(%q) = %q, %v; want %q", ref, got, err, want)
		case want == "" && err == nil:
			t.Errorf("Resolve(%q) = %q; want an error", ref, got)
		case want == "" && ref == "Beyoncé – Halo":
			if !errors.Is(err, ErrAmbiguous) || !strings.Contains(err.Error(), halo1) || !strings.Contains(err.Error(), halo2) {
				t.Errorf("Resolve(%q) error = %v; want ErrAmbiguous naming both", ref, err)
			}
		case want == "" && !errors.Is(err, ErrNotFound):
			t.Errorf("Resolve(%q) error = %v; want ErrNotFound", ref, err)
		}
	}
	if _, err := r.Resolve(context.Background(), "/lib/aa/missing.flac"); err == nil || !strings.Contains(err.Error(), "is not in the library") {
		t.Errorf("missing path: %v; want it to say the file is not in the library", err)
	}

	info, err := r.Describe(context.Background(), elise)
	if err != nil || info.Label() != "Ludwig van Beethoven – Für Elise" || info.Path != "/lib/aa/elise.flac" {
		t.Errorf("Describe = %+v, %v", info, err)
	}
	if _, err := r.Describe(context.Background(), "bbbbbbbbbbbbbbbbbbbbbbbb"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Describe(unknown) = %v; want ErrNotFound", err)
	}
}
