package decode

import (
	"context"
	"encoding/binary"
	"fmt"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"attune/media"
	"attune/media/mediatest"
	"attune/media/probe"
)

// mp3Fixtures are the small MP3 files committed under the probe's testdata.
func mp3Fixtures() map[string]string {
	return map[string]string{
		"cbr-info":       filepath.Join(mpegData, "cbr-info.mp3"),
		"vbr-xing":       filepath.Join(mpegData, "vbr-xing.mp3"),
		"cbr-noxing":     filepath.Join(mpegData, "cbr-noxing.mp3"),
		"tagged":         filepath.Join(mpegData, "tagged-v2v1-ape.mp3"),
		"mpeg2-22k-mono": filepath.Join(mpegData, "mpeg2-22k-mono.mp3"),
	}
}

// With the library missing, the Opener says why and decodes MP3 with go-mp3.
func TestOpenerFor_missingLibrary(t *testing.T) {
	o, err := openerFor("libmpg123-attune-missing.so.0")
	if err == nil || !strings.Contains(err.Error(), "install libmpg123-0") {
		t.Errorf("openerFor(missing) error = %v, want one naming the package to install", err)
	}
	if got := o.MP3Decoder(); got != "go-mp3" {
		t.Errorf("MP3Decoder() = %q, want go-mp3", got)
	}
	tr, s := openTrackWith(t, o, filepath.Join(mpegData, "cbr-info.mp3"), 44100)
	if _, ok := tr.src.dec.(*mpg123Decoder); ok {
		t.Error("the fallback Opener decodes with libmpg123")
	}
	if got := len(collect(t, tr, 1000, 1<<20)); int64(got) != s.Samples || tr.Err() != nil {
		t.Errorf("streamed %d frames, Err() = %v; want %d and nil", got, tr.Err(), s.Samples)
	}
}

func TestNewOpener_libmpg123(t *testing.T) {
	o := opener(t, "libmpg123")
	if got := o.MP3Decoder(); got != "libmpg123" {
		t.Errorf("MP3Decoder() = %q, want libmpg123", got)
	}
	tr, _ := openTrackWith(t, o, filepath.Join(mpegData, "cbr-info.mp3"), 48000)
	if _, ok := tr.src.dec.(*mpg123Decoder); !ok {
		t.Errorf("the decoder is a %T, want *mpg123Decoder", tr.src.dec)
	}
}

// decodeAll decodes path at its own rate with o, failing on an error.
func decodeAll(tb testing.TB, o *Opener, path string) ([][2]float64, media.Stream) {
	tb.Helper()
	s := probed(tb, path)
	tr, _ := openTrackWith(tb, o, path, s.SampleRate)
	got := collect(tb, tr, 4096, 1<<26)
	if err := tr.Err(); err != nil {
		tb.Fatalf("%s: Err() = %v", path, err)
	}
	return got, s
}

// rmsDB is the RMS of a-b, both channels, in dB relative to full scale.
func rmsDB(a, b [][2]float64) float64 {
	var sum float64
	for i := range a {
		for c := range 2 {
			d := a[i][c] - b[i][c]
			sum += d * d
		}
	}
	return 10 * math.Log10(sum/float64(2*len(a)))
}

// libmpg123 and go-mp3 decode the same files to the same trimmed length
// and, after the same trimming, to the same samples within go-mp3's 16-bit
// rounding: the RMS difference stays under −90 dBFS. Past the first MP3
// frame no sample differs by more than 1e-3; in it go-mp3 strays from the
// other decoders (by up to 2.6e-3 on the corpus's 128 kb/s file, where
// libmpg123 and ffmpeg agree to 1e-5). Where ffmpeg is installed,
// libmpg123's output is also compared with ffmpeg's float decode.
func TestMPG123_equivalence(t *testing.T) {
	lib := opener(t, "libmpg123")
	files := mp3Fixtures()
	switch {
	case raceEnabled || testing.Short():
		t.Log("-race or -short: comparing the small fixtures only")
	case os.Getenv(mediatest.CorpusEnv) != "" || fileExists(filepath.Join("..", "..", "..", "shared", "corpus")):
		mixed := corpusDir(t)
		for _, v := range []string{"mp3-cbr320-id3v24", "mp3-vbr-v0", "mp3-vbr-v6-mono-32k", "mp3-id3v1-only", "mp3-cbr128-id3v23-v1"} {
			files[v] = filepath.Join(mixed, v, "01 - Maxstack - A New Journey.mp3")
		}
	default:
		t.Log("the corpus is absent: comparing the small fixtures only")
	}
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Log("ffmpeg is not installed: comparing with go-mp3 only")
	}
	for name, path := range files {
		t.Run(name, func(t *testing.T) {
			ref, s := decodeAll(t, &Opener{}, path)
			got, _ := decodeAll(t, lib, path)
			if int64(len(got)) != s.Samples || len(ref) != len(got) {
				t.Fatalf("libmpg123 decoded %d frames, go-mp3 %d; want both %d", len(got), len(ref), s.Samples)
			}
			const firstFrame = 1152
			rms, peak := rmsDB(got, ref), maxDiff(got[firstFrame:], ref[firstFrame:])
			t.Logf("%d frames: RMS difference %.1f dBFS, peak after the first frame %.2g (%.1f dBFS), in it %.2g",
				len(got), rms, peak, 20*math.Log10(peak), maxDiff(got[:firstFrame], ref[:firstFrame]))
			if rms > -90 {
				t.Errorf("RMS difference %.1f dBFS, want ≤ −90", rms)
			}
			// A delay of one sample or more would show as a large peak.
			if peak > 1e-3 {
				t.Errorf("peak difference %.2g after the first frame, want ≤ 1e-3", peak)
			}
			if ffmpeg == "" {
				return
			}
			ff := ffmpegDecode(t, ffmpeg, path, s.Channels)
			if len(ff) != len(got) {
				t.Fatalf("libmpg123 decoded %d frames, ffmpeg %d", len(got), len(ff))
			}
			if d := maxDiff(got, ff); d > 1e-5 {
				t.Errorf("libmpg123 differs from ffmpeg by up to %.2g, want ≤ 1e-5", d)
			}
		})
	}
}

// ffmpegDecode is ffmpeg's float decode of path (ffmpeg trims the LAME
// delay and padding itself), mono duplicated to both channels.
func ffmpegDecode(tb testing.TB, ffmpeg, path string, channels int) [][2]float64 {
	tb.Helper()
	out, err := exec.Command(ffmpeg, "-v", "error", "-i", path, "-f", "f32le", "-").Output()
	if err != nil {
		tb.Fatalf("ffmpeg -i %s: %v", path, err)
	}
	frame := 4 * channels
	r := make([][2]float64, len(out)/frame)
	for i := range r {
		l := float64(math.Float32frombits(binary.LittleEndian.Uint32(out[frame*i:])))
		r[i] = [2]float64{l, l}
		if channels == 2 {
			r[i][1] = float64(math.Float32frombits(binary.LittleEndian.Uint32(out[frame*i+4:])))
		}
	}
	return r
}

// Seeks are exact on the corpus's VBR files too (the fixtures are in
// TestTrack_Seek).
func TestMPG123_SeekCorpus(t *testing.T) {
	lib := opener(t, "libmpg123")
	mixed := corpusDir(t)
	for _, v := range []string{"mp3-vbr-v6-mono-32k", "mp3-vbr-v0", "mp3-cbr320-id3v24"} {
		if raceEnabled && v != "mp3-vbr-v6-mono-32k" {
			continue // the resampler is slow under -race; one VBR file is enough there
		}
		t.Run(v, func(t *testing.T) {
			testSeek(t, lib, filepath.Join(mixed, v, "01 - Maxstack - A New Journey.mp3"), 48000, 1e-7)
		})
	}
}

// Every MP3 of the corpus the probe accepts decodes to exactly its probed
// length without an error; the broken ones (those the probe refuses are
// handed to the decoder anyway) end cleanly.
func TestMPG123_corpus(t *testing.T) {
	lib := opener(t, "libmpg123")
	dir := filepath.Join(mediatest.Corpus(t), "music")
	n := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".mp3" {
			return err
		}
		n++
		rel, _ := filepath.Rel(dir, path)
		broken := filepath.Base(filepath.Dir(path)) == "broken"
		t.Run(rel, func(t *testing.T) {
			info, err := probe.File(context.Background(), path)
			switch {
			case err != nil && !broken:
				t.Fatalf("probe: %v", err)
			case err != nil:
				t.Logf("the probe refuses it (%v); decoding it anyway", err)
				info.Stream = media.Stream{Format: media.FormatMP3, SampleRate: 44100, Samples: 12 * 44100}
			}
			s := info.Stream
			tr, err := lib.Open(context.Background(), path, s, s.SampleRate)
			if err != nil {
				if !broken {
					t.Fatalf("Open: %v", err)
				}
				t.Logf("Open: %v", err)
				return
			}
			defer tr.Close()
			got := len(collect(t, tr, 4096, 1<<26))
			if broken {
				t.Logf("streamed %d of %d frames; Err() = %v", got, tr.Len(), tr.Err())
				if got < tr.Len() && tr.Err() == nil {
					t.Errorf("the track ended at %d of %d frames without an error", got, tr.Len())
				}
				return
			}
			if int64(got) != s.Samples || tr.Err() != nil {
				t.Errorf("streamed %d frames, Err() = %v; want %d and nil", got, tr.Err(), s.Samples)
			}
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 15 {
		t.Errorf("found %d MP3 files in %s, want the corpus's 15 or more", n, dir)
	}
}

// Damaged MP3 data never crashes the decoder. A damaged file the probe
// still accepts (garbage over audio data, over a few frames) plays to the
// probe's length; one it refuses (the decoder must not count on that) fails
// to open or ends the track with an error: truncated files, garbage over
// the frames, no frames.
func TestMPG123_damaged(t *testing.T) {
	lib := opener(t, "libmpg123")
	good, err := os.ReadFile(filepath.Join(mpegData, "cbr-info.mp3"))
	if err != nil {
		t.Fatal(err)
	}
	intact := probed(t, filepath.Join(mpegData, "cbr-info.mp3"))
	garbage := func(from, to int) []byte {
		b := append([]byte(nil), good...)
		for i := from; i < to && i < len(b); i++ {
			b[i] = byte(i*131 + 7)
		}
		return b
	}
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"truncated-half", good[:len(good)/2]},
		{"truncated-in-first-frame", good[:300]},
		{"truncated-after-info-frame", good[:250]},
		{"garbage-in-frame-data", garbage(2000, 2100)},
		{"garbage-middle", garbage(2000, 2600)},
		{"garbage-from-middle", garbage(1500, len(good))},
		{"all-garbage", garbage(0, len(good))},
		{"zero-bytes", nil},
		{"zeros", make([]byte, 4096)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := mediatest.WriteFile(t, t.TempDir(), "x.mp3", tc.data)
			s, accepted := intact, false
			if info, err := probe.File(context.Background(), path); err == nil {
				s, accepted = info.Stream, true
			} else {
				t.Logf("the probe refuses it (%v); decoding it as the intact file", err)
			}
			tr, err := lib.Open(context.Background(), path, s, s.SampleRate)
			if err != nil {
				t.Logf("Open: %v", err)
				if accepted {
					t.Errorf("Open of a file the probe accepts: %v", err)
				}
				if !strings.Contains(err.Error(), "libmpg123") {
					t.Errorf("Open error %q does not name libmpg123", err)
				}
				return
			}
			defer tr.Close()
			got := len(collect(t, tr, 1000, 1<<22))
			t.Logf("streamed %d of %d frames; Err() = %v", got, tr.Len(), tr.Err())
			switch {
			case accepted && (got != tr.Len() || tr.Err() != nil):
				t.Errorf("the probe accepts it, yet it streamed %d of %d frames, Err() = %v", got, tr.Len(), tr.Err())
			case !accepted && tr.Err() == nil:
				t.Errorf("streamed %d of %d frames and Err() = nil, want an error", got, tr.Len())
			}
		})
	}
}

// Stream allocates nothing through libmpg123, with or without resampling.
func TestMPG123_StreamAllocs(t *testing.T) {
	lib := opener(t, "libmpg123")
	for _, rate := range []int{44100, 48000} {
		tr, _ := openTrackWith(t, lib, filepath.Join(mpegData, "cbr-info.mp3"), rate)
		buf := make([][2]float64, 100)
		tr.Stream(buf)
		if got := testing.AllocsPerRun(50, func() {
			if _, ok := tr.Stream(buf); !ok {
				if err := tr.Seek(0); err != nil {
					t.Fatal(err)
				}
			}
		}); got != 0 {
			t.Errorf("at %d Hz: Stream allocates %v times per call, want 0", rate, got)
		}
	}
}

// An MP3 truncated while libmpg123 plays it (mpg123 reads the file
// descriptor itself) ends the track early with an error.
func TestMPG123_truncatedMidPlay(t *testing.T) {
	lib := opener(t, "libmpg123")
	src, err := os.ReadFile(filepath.Join(corpusDir(t), "mp3-cbr320-id3v24", "01 - Maxstack - A New Journey.mp3"))
	if err != nil {
		t.Fatal(err)
	}
	path := mediatest.WriteFile(t, t.TempDir(), "a.mp3", src)
	tr, s := openTrackWith(t, lib, path, 48000)
	first := collect(t, tr, 1024, 48000)
	if err := os.Truncate(path, int64(len(src)/2)); err != nil {
		t.Fatal(err)
	}
	rest := collect(t, tr, 1024, 1<<22)
	if got := len(first) + len(rest); got >= tr.Len()*3/4 {
		t.Errorf("streamed %d of %d frames from a file cut in half", got, tr.Len())
	}
	if err := tr.Err(); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("of %d", s.Samples)) {
		t.Errorf("Err() = %v, want the early end named", err)
	}
}
