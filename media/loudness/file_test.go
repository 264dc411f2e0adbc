package loudness

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"attune/media"
	"attune/media/mediatest"
	"attune/media/probe"
)

// probed probes path as the library would.
func probed(tb testing.TB, path string) media.Stream {
	tb.Helper()
	info, err := probe.File(context.Background(), path)
	if err != nil {
		tb.Fatalf("probe.File(%s): %v", path, err)
	}
	return info.Stream
}

// A 1 kHz sine at −20 dBFS reads −20.0 LUFS in stereo (the K-weighting's
// +0.69 dB at 1 kHz and the −0.691 offset cancel) and 3 dB less in mono,
// from WAV and FLAC files at their own rates.
func TestMeasureFile_Tones(t *testing.T) {
	dir := t.TempDir()
	amp := math.Pow(10, -20.0/20)
	for _, c := range []struct {
		name string
		data []byte
		want float64
	}{
		{"stereo-44k.wav", mediatest.WAV(mediatest.Tone{SampleRate: 44100, Channels: 2, BitDepth: 16, Samples: 3 * 44100, Freq: 1000, Amp: amp}), -20.0},
		{"mono-48k.wav", mediatest.WAV(mediatest.Tone{SampleRate: 48000, Channels: 1, BitDepth: 24, Samples: 3 * 48000, Freq: 1000, Amp: amp}), -23.0},
		{"stereo-96k.flac", mediatest.MustFLAC(t, mediatest.Tone{SampleRate: 96000, Channels: 2, BitDepth: 24, Samples: 3 * 96000, Freq: 1000, Amp: amp}), -20.0},
		{"mono-22k.flac", mediatest.MustFLAC(t, mediatest.Tone{SampleRate: 22050, Channels: 1, BitDepth: 16, Samples: 3 * 22050, Freq: 1000, Amp: amp}), -23.0},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := mediatest.WriteFile(t, dir, c.name, c.data)
			s := probed(t, path)
			r, err := MeasureFile(context.Background(), path, s)
			if err != nil {
				t.Fatalf("MeasureFile: %v", err)
			}
			if math.Abs(r.Integrated-c.want) > 0.05 {
				t.Errorf("Integrated = %.3f LUFS, want %.1f ±0.05", r.Integrated, c.want)
			}
			if math.Abs(r.SamplePeak-(-20)) > 0.05 || r.TruePeak < r.SamplePeak || r.TruePeak > -19.9 {
				t.Errorf("SamplePeak %.3f dBFS, TruePeak %.3f dBTP; want -20 and just above", r.SamplePeak, r.TruePeak)
			}
			if r.Frames != s.Samples {
				t.Errorf("Frames = %d, want the probed %d", r.Frames, s.Samples)
			}
		})
	}
}

func TestMeasureFile_Canceled(t *testing.T) {
	path := mediatest.WriteFile(t, t.TempDir(), "a.wav",
		mediatest.WAV(mediatest.Tone{SampleRate: 44100, Channels: 2, BitDepth: 16, Samples: 44100, Freq: 1000, Amp: 0.1}))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := MeasureFile(ctx, path, probed(t, path)); !errors.Is(err, context.Canceled) {
		t.Errorf("MeasureFile with a canceled context: error %v, want context.Canceled", err)
	}
}

func TestMeasureFile_Unreadable(t *testing.T) {
	dir := t.TempDir()
	path := mediatest.WriteFile(t, dir, "a.wav",
		mediatest.WAV(mediatest.Tone{SampleRate: 44100, Channels: 2, BitDepth: 16, Samples: 44100, Freq: 1000, Amp: 0.1}))
	s := probed(t, path)
	if _, err := MeasureFile(context.Background(), filepath.Join(dir, "gone.wav"), s); err == nil {
		t.Errorf("MeasureFile of a missing file: nil error")
	}
	six := s
	six.Channels = 6
	if _, err := MeasureFile(context.Background(), path, six); !errors.Is(err, media.ErrUnsupported) {
		t.Errorf("MeasureFile of 6 channels: error %v, want media.ErrUnsupported", err)
	}
}

// raceVariant are the corpus variants measured under -race: one per format.
var raceVariant = map[string]bool{
	"mp3-vbr-v0": true, "flac-24-96k": true, "ogg-vorbis-q2-mono-22k": true, "wav-s16-48k-mono": true,
}

// Every playable track of the mixed corpus measures within ±0.1 LU of
// ffmpeg's ebur128 filter (the manifest's lufs column, rounded to 0.1 LU);
// damaged and unsupported files fail with an error.
func TestMeasureFile_CorpusMatchesFFmpeg(t *testing.T) {
	rows := mediatest.Manifest(t)
	dir := filepath.Join(mediatest.Corpus(t), "music", "mixed")
	measured := 0
	for _, row := range rows {
		broken := row.Variant == "broken"
		if (raceEnabled || testing.Short()) && !broken && !strings.HasPrefix(filepath.Base(row.Path), "01 ") {
			continue // one track per variant keeps -race and -short quick
		}
		if raceEnabled && !broken && !raceVariant[row.Variant] {
			continue // and one variant per format under -race (tenfold slower)
		}
		t.Run(row.Path, func(t *testing.T) {
			path := filepath.Join(dir, filepath.FromSlash(row.Path))
			info, err := probe.File(context.Background(), path)
			if err != nil {
				if !broken && !errors.Is(err, media.ErrUnsupported) {
					t.Fatalf("probe: %v", err)
				}
				t.Logf("not playable: %v", err)
				if broken {
					// The library never measures what the probe
					// refuses, but measuring it anyway, with
					// ffprobe's idea of its stream, must end
					// without a panic (mostly with an error; the
					// truncated Ogg decodes to ffprobe's length).
					s := media.Stream{Format: media.Format(strings.TrimPrefix(filepath.Ext(path), ".")),
						Codec: row.Codec, SampleRate: row.SampleRate, Channels: row.Channels,
						Samples: int64(row.Duration * float64(row.SampleRate))}
					r, err := MeasureFile(context.Background(), path, s)
					t.Logf("MeasureFile with the manifest's stream: %+v, %v", r, err)
				}
				return
			}
			r, err := MeasureFile(context.Background(), path, info.Stream)
			if broken {
				if err == nil {
					t.Errorf("MeasureFile of a damaged file = %+v, nil error; want an error", r)
				}
				return
			}
			if err != nil {
				t.Fatalf("MeasureFile: %v", err)
			}
			measured++
			t.Logf("Integrated %.2f LUFS (ffmpeg %.1f), LRA %.1f LU, true peak %.2f dBTP", r.Integrated, row.LUFS, r.Range, r.TruePeak)
			if math.Abs(r.Integrated-row.LUFS) > 0.1 {
				t.Errorf("Integrated = %.3f LUFS, want ffmpeg's %.1f ±0.1", r.Integrated, row.LUFS)
			}
		})
	}
	if measured == 0 {
		t.Errorf("no corpus track was measured")
	}
}
