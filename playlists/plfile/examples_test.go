package plfile

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"attune/playlists"
)

// asWritten resolves every reference to itself: the examples name tracks of
// a demo library that tests do not have.
type asWritten struct{}

func (asWritten) Resolve(_ context.Context, ref string) (string, error) { return ref, nil }

// Every example parses, is a valid playlist, names an existing profile (the
// one its file is named after), and references its tracks as "Artist –
// Title".
func TestExamples_valid(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "examples", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			doc, err := Parse(data, FormatYAML, "")
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			pl, _, err := doc.Resolve(context.Background(), asWritten{}, false)
			if err != nil {
				t.Fatalf("Resolve: %v", err)
			}
			p, err := playlists.FindProfile(playlists.DefaultProfiles(), pl.Profile)
			if err != nil {
				t.Fatal(err)
			}
			if want := strings.TrimSuffix(filepath.Base(f), ".yaml"); p.Name != want {
				t.Errorf("profile %q, want %q (the file's name)", p.Name, want)
			}
			seen[p.Name] = true
			for _, ph := range doc.Phases {
				for _, r := range ph.Tracks {
					if len(dashSplits(r.Ref)) == 0 {
						t.Errorf("%s: reference %q is not \"Artist – Title\"", r.Pos, r.Ref)
					}
				}
			}
		})
	}
	for _, p := range playlists.DefaultProfiles() {
		if !seen[p.Name] {
			t.Errorf("no example for profile %q", p.Name)
		}
	}
}
