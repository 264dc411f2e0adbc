package probe

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"attune/media"
	"attune/media/mediatest"
)

func TestFile(t *testing.T) {
	dir := t.TempDir()
	tone := mediatest.Tone{SampleRate: 48000, Channels: 1, BitDepth: 24, Samples: 24000,
		Tags: mediatest.Tags{Title: "Drone", Artist: "Test", Album: "Fixtures", Year: 2024, Track: 3, TrackGain: "-7.25 dB"}}
	flacPath := mediatest.WriteFile(t, dir, "drone.flac", mediatest.MustFLAC(t, tone))
	wavTone := tone
	wavTone.BitDepth = 16
	wavPath := mediatest.WriteFile(t, dir, "drone.wav", mediatest.WAV(wavTone))
	untagged := mediatest.WriteFile(t, dir, "Nameless Piece.wav", mediatest.WAV(mediatest.Tone{Samples: 4410}))

	tests := []struct {
		path    string
		format  media.Format
		codec   string
		rate    int
		ch      int
		samples int64
		title   string
	}{
		{flacPath, media.FormatFLAC, "flac", 48000, 1, 24000, "Drone"},
		{wavPath, media.FormatWAV, "pcm_s16le", 48000, 1, 24000, "Drone"},
		{untagged, media.FormatWAV, "pcm_s16le", 44100, 2, 4410, "Nameless Piece"},
		// An MP3 with a LAME tag: 0.5 s of audio once delay and padding are trimmed.
		{filepath.Join("mpeg", "testdata", "cbr-info.mp3"), media.FormatMP3, "mp3", 44100, 2, 22050, "cbr-info"},
		{filepath.Join("mpeg", "testdata", "mpeg2-22k-mono.mp3"), media.FormatMP3, "mp3", 22050, 1, 11025, "mpeg2-22k-mono"},
		{filepath.Join("mpeg", "testdata", "tagged-v2v1-ape.mp3"), media.FormatMP3, "mp3", 44100, 2, 22050, "Tiny"},
		{filepath.Join("oggfile", "testdata", "sine-44k-stereo.ogg"), media.FormatOgg, "vorbis", 44100, 2, 22050, "sine-44k-stereo"},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.path), func(t *testing.T) {
			info, err := File(context.Background(), tt.path)
			if err != nil {
				t.Fatal(err)
			}
			s := info.Stream
			if s.Format != tt.format || s.Codec != tt.codec || s.SampleRate != tt.rate || s.Channels != tt.ch || s.Samples != tt.samples {
				t.Errorf("stream = %+v; want %s/%s %d Hz %d ch %d samples", s, tt.format, tt.codec, tt.rate, tt.ch, tt.samples)
			}
			if info.Tags.Title != tt.title {
				t.Errorf("title = %q, want %q", info.Tags.Title, tt.title)
			}
		})
	}

	info, err := File(context.Background(), flacPath)
	if err != nil {
		t.Fatal(err)
	}
	g := info.Tags
	if g.Artist != "Test" || g.Album != "Fixtures" || g.Year != 2024 || g.Track != 3 || g.ReplayGain.TrackGain == nil || *g.ReplayGain.TrackGain != -7.25 || g.ReplayGain.AlbumGain != nil {
		t.Errorf("FLAC tags = %+v, gain %v", g, g.ReplayGain)
	}
	if info.Stream.BitDepth != 24 {
		t.Errorf("FLAC bit depth = %d, want 24", info.Stream.BitDepth)
	}
	mp3, err := File(context.Background(), filepath.Join("mpeg", "testdata", "cbr-info.mp3"))
	if err != nil {
		t.Fatal(err)
	}
	// go-mp3 emits the Info frame as silence, then the encoder delay and
	// the decoder's 529 samples, before the first real sample.
	if s := mp3.Stream; s.EncoderDelay <= 1152 || s.Padding <= 0 {
		t.Errorf("MP3 delay %d, padding %d: want the Info frame plus LAME delay, and the padding", s.EncoderDelay, s.Padding)
	}
}

func TestFile_rejects(t *testing.T) {
	dir := t.TempDir()
	flacBytes := mediatest.MustFLAC(t, mediatest.Tone{Samples: 44100})
	corrupt := append([]byte(nil), flacBytes...)
	corrupt[len(corrupt)/2] ^= 0x55
	wav := mediatest.WAV(mediatest.Tone{Samples: 44100})
	tests := []struct {
		name    string
		path    string
		kind    error
		message string
	}{
		{"empty", mediatest.WriteFile(t, dir, "empty.mp3", nil), media.ErrInvalid, "invalid file: empty file (0 bytes)"},
		{"text named flac", mediatest.WriteFile(t, dir, "notes.flac", []byte("hello\n")), media.ErrInvalid, "invalid file: not an audio file: it contains text"},
		{"random bytes", mediatest.WriteFile(t, dir, "noise.ogg", []byte{0, 1, 2, 3, 250, 251, 252, 0, 9}), media.ErrInvalid, "invalid file: not an audio file: its contents match no known audio format"},
		{"corrupt flac frame", mediatest.WriteFile(t, dir, "corrupt.flac", corrupt), media.ErrInvalid, "invalid file: FLAC: corrupt frame"},
		{"truncated flac", mediatest.WriteFile(t, dir, "half.flac", flacBytes[:len(flacBytes)/2]), media.ErrInvalid, "invalid file: FLAC: truncated"},
		{"truncated wav", mediatest.WriteFile(t, dir, "half.wav", wav[:len(wav)/2]), media.ErrInvalid, "invalid file: WAV: truncated"},
		{"layer II", filepath.Join("mpeg", "testdata", "layer2.mp2"), media.ErrUnsupported, "unsupported format: MPEG-1 Layer II audio (MP2); attune plays Layer III (MP3)"},
		{"opus", filepath.Join("oggfile", "testdata", "sine-48k.opus"), media.ErrUnsupported, "unsupported format: Opus (in Ogg)"},
		{"m4a", mediatest.WriteFile(t, dir, "a.m4a", []byte("\x00\x00\x00\x18ftypM4A \x00\x00\x02\x00isomiso2")), media.ErrUnsupported, "unsupported format: MPEG-4 audio (M4A/AAC/ALAC)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := File(context.Background(), tt.path)
			if !errors.Is(err, tt.kind) || !strings.HasPrefix(err.Error(), tt.message) {
				t.Errorf("err = %v; want %v starting %q", err, tt.kind, tt.message)
			}
		})
	}
	if _, err := File(context.Background(), filepath.Join(dir, "missing.mp3")); !errors.Is(err, media.ErrInvalid) || err.Error() != "invalid file: no such file or directory" {
		t.Errorf("missing file: err = %v", err)
	}
}
