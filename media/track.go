// Package media is attune's music library: what a track is, how files become
// tracks (probe, hash, copy), and the library service that imports and scans
// them. Format parsing lives in media/probe, crash isolation in media/sandbox
// and persistence in media/store; this package declares the interfaces it
// needs from them.
package media

import (
	"time"
)

// Format is a container format attune can play.
type Format string

// The formats attune plays. Everything else is rejected at probe time.
const (
	FormatMP3  Format = "mp3"
	FormatFLAC Format = "flac"
	FormatOgg  Format = "ogg"
	FormatWAV  Format = "wav"
)

// Stream describes the decoded audio of a file, as read from its headers.
type Stream struct {
	Format     Format
	Codec      string // "mp3", "flac", "vorbis", "pcm_s16le", "pcm_s24le", ...
	SampleRate int    // Hz
	Channels   int
	BitDepth   int   // bits per sample of the source; 0 for lossy codecs
	BitRate    int   // average bits per second over the whole file
	Samples    int64 // exact length in sample frames, after encoder delay and padding are trimmed
	// EncoderDelay and Padding are the sample frames the decoder (go-mp3,
	// which decodes the Xing/Info frame as silence too) emits before and
	// after the real audio, from the LAME tag; the engine skips them so
	// gapless albums play gapless. Zero for other formats.
	EncoderDelay int
	Padding      int
}

// Duration is the exact playing time of the stream.
func (s Stream) Duration() time.Duration {
	if s.SampleRate <= 0 {
		return 0
	}
	return time.Duration(s.Samples) * time.Second / time.Duration(s.SampleRate)
}

// ReplayGain holds the gain tags a file carries. A nil pointer means the tag
// is absent; 0 dB is a real value.
type ReplayGain struct {
	TrackGain *float64 `json:"track_gain,omitempty"` // dB
	TrackPeak *float64 `json:"track_peak,omitempty"` // linear, 1.0 = full scale
	AlbumGain *float64 `json:"album_gain,omitempty"`
	AlbumPeak *float64 `json:"album_peak,omitempty"`
}

// Tags is the descriptive metadata of a file.
type Tags struct {
	Title       string
	Artist      string
	Album       string
	AlbumArtist string
	Genre       string
	Comment     string
	Year        int
	Track       int
	TrackTotal  int
	Disc        int
	DiscTotal   int
	HasPicture  bool
	ReplayGain  ReplayGain
}

// Info is everything a probe learns from one file.
type Info struct {
	Stream Stream
	Tags   Tags
}

// Instrumental records whether a track has vocals, as a curator judged it.
type Instrumental string

// Instrumental values.
const (
	InstrumentalUnknown Instrumental = "unknown"
	InstrumentalYes     Instrumental = "yes"
	InstrumentalNo      Instrumental = "no"
)

// Curation is what clinicians record about a track; it belongs to the track's
// content, so it survives renames and rescans.
type Curation struct {
	Instrumental Instrumental
	Intensity    int // 1–5; 0 means unset
	Moods        []string
	Notes        string
}

// Track is one piece of music in the library, identified by its content.
type Track struct {
	ID       string // shortened SHA-256 of the file's bytes
	Path     string // where the file is now
	Size     int64
	ModTime  time.Time
	Info     Info
	Curation Curation
	AddedAt  time.Time
	// Loudness is the track's last successful loudness analysis; nil until
	// one succeeds (see Analyzer).
	Loudness *Loudness
	// LoudnessError says why the last analysis failed; "" when it did not.
	// A failure keeps the previous Loudness.
	LoudnessError string
}
