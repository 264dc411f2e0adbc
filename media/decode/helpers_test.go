package decode

import (
	"context"
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

// openTrack probes and opens path for playback at rate with the default
// Opener (MP3 through libmpg123 when it is installed).
func openTrack(tb testing.TB, path string, rate int) (*Track, media.Stream) {
	tb.Helper()
	o, _ := NewOpener()
	return openTrackWith(tb, o, path, rate)
}

// openTrackWith probes and opens path for playback at rate with o.
func openTrackWith(tb testing.TB, o *Opener, path string, rate int) (*Track, media.Stream) {
	tb.Helper()
	s := probed(tb, path)
	tr, err := o.Open(context.Background(), path, s, rate)
	if err != nil {
		tb.Fatalf("Open(%s): %v", path, err)
	}
	tb.Cleanup(func() { tr.Close() })
	return tr, s
}

// mp3Decoders are the MP3 decoders the tests run on (see opener).
func mp3Decoders() []string { return []string{"go-mp3", "libmpg123"} }

// oggDecoders are the Ogg Vorbis decoders the tests run on (see opener).
func oggDecoders() []string { return []string{"oggvorbis", "libvorbisfile"} }

// flacDecoders are the FLAC decoders the tests run on (see opener).
func flacDecoders() []string { return []string{"mewkiz", "libsndfile"} }

// decodersFor is the subtest suffixes for path: one per decoder of its
// format for MP3 ("/go-mp3", "/libmpg123"), Ogg ("/oggvorbis",
// "/libvorbisfile") and FLAC ("/mewkiz", "/libsndfile"), one ("") for WAV.
func decodersFor(path string) []string {
	decoders := map[string][]string{".mp3": mp3Decoders(), ".ogg": oggDecoders(), ".flac": flacDecoders()}[filepath.Ext(path)]
	if decoders == nil {
		return []string{""}
	}
	var out []string
	for _, d := range decoders {
		out = append(out, "/"+d)
	}
	return out
}

// opener returns the Opener that decodes with decoder (one of mp3Decoders,
// oggDecoders or flacDecoders, or "" for NewOpener's); for the C libraries
// the test skips, saying why, when the library is not installed. The
// pure-Go decoders' Opener is the zero Opener: pure Go for every format.
func opener(tb testing.TB, decoder string) *Opener {
	tb.Helper()
	decoder = strings.TrimPrefix(decoder, "/")
	o, err := NewOpener()
	switch decoder {
	case "":
		return o
	case "go-mp3", "oggvorbis", "mewkiz":
		return &Opener{}
	case "libmpg123":
		if o.mpg123 == nil {
			tb.Skipf("libmpg123 is not installed (apt-get install libmpg123-0): %v", err)
		}
	case "libvorbisfile":
		if o.vorbisfile == nil {
			tb.Skipf("libvorbisfile is not installed (apt-get install libvorbisfile3): %v", err)
		}
	case "libsndfile":
		if o.flac == nil {
			tb.Skipf("libsndfile is not installed (apt-get install libsndfile1): %v", err)
		}
	default:
		tb.Fatalf("no decoder %q", decoder)
	}
	return o
}

// collect streams st to its end in chunks of chunk frames (at most limit
// frames in all), failing on a broken Stream contract.
func collect(tb testing.TB, st interface {
	Stream([][2]float64) (int, bool)
}, chunk, limit int) [][2]float64 {
	tb.Helper()
	var out [][2]float64
	buf := make([][2]float64, chunk)
	for calls := 0; len(out) < limit; calls++ {
		n, ok := st.Stream(buf[:min(chunk, limit-len(out))])
		if n < 0 || n > len(buf) || (!ok && n != 0) || (ok && n == 0) {
			tb.Fatalf("Stream returned (%d, %v) for %d frames", n, ok, len(buf))
		}
		out = append(out, buf[:n]...)
		if !ok {
			break
		}
		if calls > 1e7 {
			tb.Fatal("Stream never ends")
		}
	}
	return out
}

// toneFile writes tone as a WAV or FLAC file in a temp dir.
func toneFile(tb testing.TB, format media.Format, tone mediatest.Tone) string {
	tb.Helper()
	dir := tb.TempDir()
	if format == media.FormatFLAC {
		return mediatest.WriteFile(tb, dir, "tone.flac", mediatest.MustFLAC(tb, tone))
	}
	return mediatest.WriteFile(tb, dir, "tone.wav", mediatest.WAV(tone))
}

// snr is the ratio, in dB, of a sine of amp at freq Hz sampled at rate from
// frame 0 to got's difference from it, over got[from:to], left channel.
func snr(got [][2]float64, amp, freq float64, rate, from, to int) float64 {
	var sig, noise float64
	for i := from; i < to; i++ {
		want := amp * math.Sin(2*math.Pi*freq*float64(i)/float64(rate))
		sig += want * want
		d := got[i][0] - want
		noise += d * d
	}
	return 10 * math.Log10(sig/noise)
}

// maxDiff is the largest difference between a and b, both channels.
func maxDiff(a, b [][2]float64) float64 {
	var m float64
	for i := range min(len(a), len(b)) {
		for c := range 2 {
			m = max(m, math.Abs(a[i][c]-b[i][c]))
		}
	}
	return m
}

// corpusDir is the shared corpus's music/mixed folder; the test skips,
// saying why, when the corpus is absent.
func corpusDir(tb testing.TB) string {
	tb.Helper()
	return filepath.Join(mediatest.Corpus(tb), "music", "mixed")
}

const (
	mpegData = "../probe/mpeg/testdata"
	oggData  = "../probe/oggfile/testdata"
)
