package store

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"attune/media"
)

func TestStore_TracksByArtistTitle(t *testing.T) {
	s := searchLibrary(t)
	addTagged(t, s, "remix", media.Tags{Title: "Für Elise (Remix)", Artist: "Ludwig van Beethoven"})
	addTagged(t, s, "acdc", media.Tags{Title: "Back in Black", Artist: "AC/DC"})
	addTagged(t, s, "halo2", media.Tags{Title: "Halo", Artist: "Beyoncé", Album: "Live"})
	tests := []struct {
		artist, title string
		want          []string
	}{
		{"Ludwig van Beethoven", "Für Elise", []string{"elise"}}, // not the remix
		{"ludwig van beethoven", "fur elise", []string{"elise"}}, // case and diacritics folded
		{"Ludwig van Beethoven", "Für Elise (Remix)", []string{"remix"}},
		{"Beethoven", "Für Elise", nil},        // the whole artist, not a part
		{"Ludwig van Beethoven", "Elise", nil}, // the whole title, not a part
		{"AC/DC", "Back in Black", []string{"acdc"}},
		{"ac dc", "back in black", []string{"acdc"}},   // punctuation is not a word
		{"BEYONCE", "halo", []string{"halo", "halo2"}}, // library order: by album
		{`Title: X" OR`, "x", nil},                     // operators are words
		{"", "Halo", nil},
		{"AND", "Title: X", []string{"title"}},
	}
	for _, tt := range tests {
		tracks, err := s.TracksByArtistTitle(context.Background(), tt.artist, tt.title)
		if err != nil {
			t.Fatalf("TracksByArtistTitle(%q, %q): %v", tt.artist, tt.title, err)
		}
		var got []string
		for _, tr := range tracks {
			got = append(got, tr.ID)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("TracksByArtistTitle(%q, %q) = %v, want %v", tt.artist, tt.title, got, tt.want)
		}
	}
}

func TestStore_TrackByPath(t *testing.T) {
	s := searchLibrary(t)
	got, err := s.TrackByPath(context.Background(), "/m/halo")
	if err != nil || got.ID != "halo" {
		t.Errorf("TrackByPath(/m/halo) = %q, %v; want halo", got.ID, err)
	}
	if _, err := s.TrackByPath(context.Background(), "/m/nothing"); !errors.Is(err, media.ErrNotFound) {
		t.Errorf("TrackByPath(/m/nothing) error = %v, want ErrNotFound", err)
	}
}
