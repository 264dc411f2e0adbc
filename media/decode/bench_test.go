package decode

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"attune/media"
	"attune/media/mediatest"
)

// benchFiles is one file per format: the corpus's when it is there (real
// music), else generated tones and the small fixtures.
func benchFiles(tb testing.TB) map[string]string {
	tb.Helper()
	files := map[string]string{}
	// The benchmark runs on generated files when the corpus is absent, so it
	// looks for the corpus without skipping.
	dir := os.Getenv(mediatest.CorpusEnv)
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "corpus")
	}
	mixed := filepath.Join(dir, "music", "mixed")
	for name, rel := range map[string]string{
		"mp3-320k-44k":  "mp3-cbr320-id3v24/01 - Maxstack - A New Journey.mp3",
		"mp3-v6-32k":    "mp3-vbr-v6-mono-32k/01 - Maxstack - A New Journey.mp3",
		"flac-16-44k":   "flac-16-44k/01 - Maxstack - A New Journey.flac",
		"flac-24-96k":   "flac-24-96k/01 - Maxstack - A New Journey.flac",
		"ogg-q6-44k":    "ogg-vorbis-q6/01 - Maxstack - A New Journey.ogg",
		"wav-16-44k":    "wav-s16-44k/01 - Maxstack - A New Journey.wav",
		"wav-24-48k":    "wav-s24-48k/01 - Maxstack - A New Journey.wav",
		"ogg-q2-22k-m":  "ogg-vorbis-q2-mono-22k/01 - Maxstack - A New Journey.ogg",
		"flac-24-48k-m": "flac-24-48k-mono/01 - Maxstack - A New Journey.flac",
	} {
		if p := filepath.Join(mixed, rel); fileExists(p) {
			files[name] = p
		}
	}
	if len(files) == 0 {
		tone := mediatest.Tone{SampleRate: 44100, Samples: 10 * 44100}
		files["wav-16-44k"] = toneFile(tb, media.FormatWAV, tone)
		files["flac-16-44k"] = toneFile(tb, media.FormatFLAC, tone)
		files["mp3-fixture"] = filepath.Join(mpegData, "cbr-info.mp3")
		files["ogg-fixture"] = filepath.Join(oggData, "sine-44k-stereo.ogg")
	}
	return files
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// BenchmarkTrack_Stream decodes and resamples whole files to 48 kHz, MP3
// through both decoders: "x-realtime" is seconds of audio per second of CPU
// on one core, "ns/frame" the time per output frame, "allocs/audio-s" the
// heap allocations per second of audio.
func BenchmarkTrack_Stream(b *testing.B) {
	for name, path := range benchFiles(b) {
		for _, dec := range decodersFor(path) {
			b.Run(name+dec, func(b *testing.B) {
				tr, _ := openTrackWith(b, opener(b, dec), path, 48000)
				buf := make([][2]float64, 1024)
				b.ReportAllocs()
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				b.ResetTimer()
				frames := 0
				for b.Loop() {
					if err := tr.Seek(0); err != nil {
						b.Fatal(err)
					}
					for {
						n, ok := tr.Stream(buf)
						frames += n
						if !ok {
							break
						}
					}
				}
				runtime.ReadMemStats(&after)
				if err := tr.Err(); err != nil {
					b.Fatal(err)
				}
				audio := time.Duration(frames) * time.Second / 48000
				b.ReportMetric(audio.Seconds()/b.Elapsed().Seconds(), "x-realtime")
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(frames), "ns/frame")
				b.ReportMetric(float64(after.Mallocs-before.Mallocs)/audio.Seconds(), "allocs/audio-s")
			})
		}
	}
}
