// Package demo synthesizes attune's demo library: ten calm ambient pieces,
// rendered to real FLAC and WAV files with their tags, so that `attune serve
// --demo` shows everything working without anyone's own music. The pieces
// are deterministic: the same bytes on every run on the same machine.
package demo

import (
	"time"

	"attune/media"
)

// Artist is every demo piece's artist, and Album its album.
const (
	Artist = "Attune Demo"
	Album  = "Attune Demo"
)

// Piece is one demo piece: what the library will say of it once imported and
// curated, and (unexported) how it is synthesized.
type Piece struct {
	Title  string
	Artist string
	Album  string
	// Format is media.FormatFLAC or media.FormatWAV.
	Format       media.Format
	Length       time.Duration
	Intensity    int // 1–5
	Instrumental media.Instrumental
	Moods        []string

	recipe recipe
}

// FileName is the piece's file name: "Attune Demo – Title.flac". Playlists
// refer to the piece as "Attune Demo – Title".
func (p Piece) FileName() string {
	return p.Artist + " – " + p.Title + "." + string(p.Format)
}

// Ref is how a playlist names the piece: "Attune Demo – Title".
func (p Piece) Ref() string { return p.Artist + " – " + p.Title }

// recipe is how a piece sounds: a slow chord progression of detuned pads in
// one key and mode, over a sine bass.
type recipe struct {
	root   int     // MIDI note of the pads' tonic (the bass sounds an octave lower)
	mode   [7]int  // semitones of the scale's degrees above the tonic
	chords []int   // the progression, as scale degrees (0 = tonic), repeated
	bright float64 // 0–1: how fast the pads' harmonics fall off (higher is brighter)
	lfoHz  float64 // the slowest voice's swell rate
}

// Pieces returns the ten demo pieces, in a fixed order (a new slice each
// call). Three are WAV (with LIST/INFO tags), the rest FLAC.
func Pieces() []Piece {
	flac, wav := media.FormatFLAC, media.FormatWAV
	// Modes, as semitones above the tonic.
	var (
		ionian     = [7]int{0, 2, 4, 5, 7, 9, 11}
		dorian     = [7]int{0, 2, 3, 5, 7, 9, 10}
		lydian     = [7]int{0, 2, 4, 6, 7, 9, 11}
		mixolydian = [7]int{0, 2, 4, 5, 7, 9, 10}
		aeolian    = [7]int{0, 2, 3, 5, 7, 8, 10}
	)
	p := func(title string, f media.Format, length time.Duration, intensity int, moods []string, r recipe) Piece {
		return Piece{Title: title, Artist: Artist, Album: Album, Format: f, Length: length, Intensity: intensity,
			Instrumental: media.InstrumentalYes, Moods: moods, recipe: r}
	}
	const m, s = time.Minute, time.Second
	return []Piece{
		p("Slow Tide", flac, 2*m+40*s, 2, []string{"calm", "grounding", "flowing"},
			recipe{root: 50, mode: dorian, chords: []int{0, 3, 0, 6}, bright: 0.30, lfoHz: 0.05}),
		p("Open Sky", flac, 3*m, 4, []string{"expansive", "bright", "uplifting"},
			recipe{root: 45, mode: lydian, chords: []int{0, 1, 4, 0, 5, 1}, bright: 0.55, lfoHz: 0.08}),
		p("Deep Field", flac, 3*m, 5, []string{"vast", "deep", "immersive"},
			recipe{root: 49, mode: aeolian, chords: []int{0, 5, 2, 6}, bright: 0.60, lfoHz: 0.09}),
		p("Lantern", wav, 2*m+20*s, 3, []string{"warm", "tender"},
			recipe{root: 53, mode: ionian, chords: []int{0, 3, 5, 4}, bright: 0.45, lfoHz: 0.07}),
		p("Still Water", flac, 2*m+50*s, 3, []string{"still", "reflective"},
			recipe{root: 52, mode: mixolydian, chords: []int{0, 6, 3, 0}, bright: 0.40, lfoHz: 0.06}),
		p("Low Clouds", flac, 2*m+30*s, 2, []string{"soft", "introspective"},
			recipe{root: 47, mode: aeolian, chords: []int{0, 5, 3, 0}, bright: 0.25, lfoHz: 0.05}),
		p("First Light", flac, 2*m+30*s, 2, []string{"hopeful", "gentle"},
			recipe{root: 55, mode: ionian, chords: []int{0, 4, 5, 3}, bright: 0.40, lfoHz: 0.06}),
		p("Morning Room", wav, 2*m+10*s, 1, []string{"peaceful", "warm"},
			recipe{root: 46, mode: ionian, chords: []int{0, 3}, bright: 0.35, lfoHz: 0.04}),
		p("Harbour Light", wav, 2*m+20*s, 1, []string{"welcoming", "calm"},
			recipe{root: 51, mode: lydian, chords: []int{0, 1}, bright: 0.30, lfoHz: 0.04}),
		p("Homeward", flac, 2*m+20*s, 2, []string{"comforting", "resolving"},
			recipe{root: 44, mode: mixolydian, chords: []int{0, 6, 3, 0}, bright: 0.35, lfoHz: 0.05}),
	}
}
