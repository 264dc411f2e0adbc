//go:build unix

package player_test

import (
	"context"
	"io"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"syscall"
	"testing"
	"time"

	"attune/media/mediatest"
	"attune/player"
	"attune/player/output"
	"attune/player/timeline"
)

// mpdCorePercent is the anchor: MPD 0.23 playing the mixed-format
// corpus files to a null output used 0.38 % of one core.
const mpdCorePercent = 0.38

// benchFormats is one file per format: the corpus's when it is there (real
// music), else generated tones (WAV and FLAC only).
func benchFormats(tb testing.TB) map[string]string {
	tb.Helper()
	files := map[string]string{}
	if dir, ok := corpusOrNot(); ok {
		mixed := filepath.Join(dir, "music", "mixed")
		for name, rel := range map[string]string{
			"mp3-320-44k":     "mp3-cbr320-id3v24",
			"mp3-v6-mono-32k": "mp3-vbr-v6-mono-32k",
			"flac-16-44k":     "flac-16-44k",
			"flac-24-96k":     "flac-24-96k",
			"ogg-q6-44k":      "ogg-vorbis-q6",
			"wav-16-44k":      "wav-s16-44k",
			"wav-24-48k":      "wav-s24-48k",
		} {
			m, _ := filepath.Glob(filepath.Join(mixed, rel, "01 - *"))
			if len(m) == 1 {
				files[name] = m[0]
			}
		}
		return files
	}
	tmp := tb.TempDir()
	tone := func(rate, bits int) mediatest.Tone {
		return mediatest.Tone{SampleRate: rate, Channels: 2, BitDepth: bits, Samples: 12 * rate, Freq: 440, Amp: 0.5}
	}
	files["wav-16-44k"] = mediatest.WriteFile(tb, tmp, "16-44k.wav", mediatest.WAV(tone(44100, 16)))
	files["wav-24-48k"] = mediatest.WriteFile(tb, tmp, "24-48k.wav", mediatest.WAV(tone(48000, 24)))
	files["flac-16-44k"] = mediatest.WriteFile(tb, tmp, "16-44k.flac", mediatest.MustFLAC(tb, tone(44100, 16)))
	files["flac-24-96k"] = mediatest.WriteFile(tb, tmp, "24-96k.flac", mediatest.MustFLAC(tb, tone(96000, 24)))
	return files
}

// cpuTime is the CPU time this process has used, user and system.
func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// allocSink is a null output that counts heap allocations (of the whole
// process; Render runs on one goroutine) between from and to frames of
// output: the steady state, after the first item is open and before the end.
type allocSink struct {
	output.Null
	frames, from, to int64
	sample           []metrics.Sample
	start            uint64
	allocs           uint64
	frameCount       int64
}

func newAllocSink(from, to int64) *allocSink {
	return &allocSink{from: from, to: to, sample: []metrics.Sample{{Name: "/gc/heap/allocs:objects"}}}
}

func (s *allocSink) Write(b [][2]float64) error {
	if s.frames < s.from && s.frames+int64(len(b)) >= s.from {
		metrics.Read(s.sample)
		s.start = s.sample[0].Value.Uint64()
	}
	if s.frames < s.to && s.frames+int64(len(b)) >= s.to {
		metrics.Read(s.sample)
		s.allocs += s.sample[0].Value.Uint64() - s.start
		s.frameCount += s.to - s.from
	}
	s.frames += int64(len(b))
	return s.Null.Write(b)
}

// benchRender renders tl for length through the whole engine into a null
// output, b.N times, and reports seconds of audio per CPU-second
// ("x-realtime"), the share of one core that playing in real time costs
// ("%core", beside MPD's 0.38 %), and heap allocations per second of audio,
// over the whole render ("allocs/audio-s") and in the steady state between
// 2 s and 1 s before the end ("steady-allocs/audio-s").
func benchRender(b *testing.B, o *fileOpener, tl timeline.Timeline, length time.Duration) float64 {
	b.Helper()
	cues := []player.Cue{
		{At: 0, Cmd: player.Command{Op: player.OpLoad, Timeline: tl}},
		{At: 0, Cmd: player.Command{Op: player.OpPlay}},
	}
	var steadyAllocs uint64
	var steadyFrames int64
	var ms0, ms1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms0)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime(b)
	for range b.N {
		sink := newAllocSink(timeline.Samples(2*time.Second, soakRate), timeline.Samples(length-time.Second, soakRate))
		eng, err := player.New(player.Config{
			Rate: soakRate, Opener: o, Sinks: []player.SinkConfig{{Name: "null", Sink: sink}},
		})
		if err != nil {
			b.Fatalf("New: %v", err)
		}
		if err := eng.Render(context.Background(), length, cues); err != nil {
			b.Fatalf("Render: %v", err)
		}
		if got, want := sink.Frames(), timeline.Samples(length, soakRate); got != want {
			b.Fatalf("rendered %d frames, want %d", got, want)
		}
		steadyAllocs += sink.allocs
		steadyFrames += sink.frameCount
	}
	cpu := cpuTime(b) - cpu0
	b.StopTimer()
	runtime.ReadMemStats(&ms1)
	audio := length.Seconds() * float64(b.N)
	xrt := audio / cpu.Seconds()
	b.ReportMetric(xrt, "x-realtime")
	b.ReportMetric(100/xrt, "%core")
	b.ReportMetric(100/xrt/mpdCorePercent, "x-MPD-cpu")
	b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/audio, "allocs/audio-s")
	if steadyFrames > 0 {
		b.ReportMetric(float64(steadyAllocs)/(float64(steadyFrames)/soakRate), "steady-allocs/audio-s")
	}
	return cpu.Seconds() / audio
}

// ffmpegCPUPerSecond runs `ffmpeg -i FILE -f s16le -ar 48000 -` on path, the
// file looped so that at least two minutes of audio amortize ffmpeg's start,
// and returns its CPU time (user and system) per second of audio; ok is false
// when ffmpeg is not installed.
func ffmpegCPUPerSecond(tb testing.TB, path string, dur time.Duration) (float64, bool) {
	tb.Helper()
	bin, err := exec.LookPath("ffmpeg")
	if err != nil {
		return 0, false
	}
	loops := int(2*time.Minute/dur) + 1
	cmd := exec.Command(bin, "-nostdin", "-v", "error", "-stream_loop", strconv.Itoa(loops-1),
		"-i", path, "-f", "s16le", "-ar", "48000", "-")
	cmd.Stdout = io.Discard
	if err := cmd.Run(); err != nil {
		tb.Fatalf("ffmpeg on %s: %v", path, err)
	}
	cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	return cpu.Seconds() / (dur.Seconds() * float64(loops)), true
}

// BenchmarkEngine_Render_Format plays one file of each format through the
// whole engine (decode, resample, sequencer, envelope, master gain, limiter,
// trim) into a null output at 48 kHz, and compares the CPU it costs with
// ffmpeg decoding and resampling the same file ("x-ffmpeg-cpu": our CPU per
// second of audio over ffmpeg's).
func BenchmarkEngine_Render_Format(b *testing.B) {
	for name, path := range benchFormats(b) {
		b.Run(name, func(b *testing.B) {
			o := newFileOpener(b, path)
			length := o.streams[path].Duration().Truncate(10 * time.Millisecond)
			tl := timeline.Timeline{Items: []timeline.Item{{Track: path, End: length}}}
			ours := benchRender(b, o, tl, length)
			if ff, ok := ffmpegCPUPerSecond(b, path, o.streams[path].Duration()); ok {
				b.ReportMetric(ours/ff, "x-ffmpeg-cpu")
			}
		})
	}
}

// BenchmarkEngine_Render_Mixed60Min plays a 60-minute timeline of every
// mixed-format corpus file and the long Ogg tracks, with crossfades, gaps and
// gapless joins (the soak test's timeline), into a null output at 48 kHz.
// Its allocations include opening each item's decoder.
func BenchmarkEngine_Render_Mixed60Min(b *testing.B) {
	var mixed, whole []string
	if dir, ok := corpusOrNot(); ok {
		mixed, whole = corpusMusic(b, dir)
	} else {
		for _, p := range benchFormats(b) {
			mixed = append(mixed, p)
		}
	}
	o := newFileOpener(b, append(append([]string(nil), mixed...), whole...)...)
	tl := mixedTimeline(o, mixed, whole, time.Hour)
	benchRender(b, o, tl, time.Hour)
}
