//go:build darwin || freebsd || linux || netbsd

package decode

import (
	"context"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unsafe"

	"attune/media"
	"attune/media/mediatest"
	"attune/media/probe"
)

// oggFixtures are the small Ogg Vorbis files committed under the probe's
// testdata.
func oggFixtures() map[string]string {
	return map[string]string{
		"sine-44k-stereo": filepath.Join(oggData, "sine-44k-stereo.ogg"),
		"sine-22k-mono":   filepath.Join(oggData, "sine-22k-mono.ogg"),
	}
}

// corpusOggs is the Ogg files of the corpus's mixed folder (its broken
// ones excepted), or none, logged, when the corpus is absent.
func corpusOggs(tb testing.TB) map[string]string {
	tb.Helper()
	files := map[string]string{}
	if os.Getenv(mediatest.CorpusEnv) == "" && !fileExists(filepath.Join("..", "..", "..", "shared", "corpus")) {
		tb.Log("the corpus is absent: the small fixtures only")
		return files
	}
	mixed := corpusDir(tb)
	for _, v := range []string{"ogg-vorbis-q6", "ogg-vorbis-q2-mono-22k"} {
		for _, name := range []string{"01 - Maxstack - A New Journey.ogg", "02 - Maxstack - Awakening.ogg", "03 - Maxstack - Coherence.ogg"} {
			files[v+"/"+name[:2]] = filepath.Join(mixed, v, name)
		}
	}
	return files
}

// With the library missing, loading says which package to install and the
// Opener decodes Ogg Vorbis with oggvorbis.
func TestLoadVorbisfile_missing(t *testing.T) {
	lib, err := loadVorbisfile("libvorbisfile-attune-missing.so.3")
	if err == nil || !strings.Contains(err.Error(), "install libvorbisfile3") {
		t.Errorf("loadVorbisfile(missing) error = %v, want one naming the package to install", err)
	}
	o := &Opener{vorbisfile: lib}
	if got := o.OggDecoder(); got != "oggvorbis" {
		t.Errorf("OggDecoder() = %q, want oggvorbis", got)
	}
	tr, s := openTrackWith(t, o, filepath.Join(oggData, "sine-44k-stereo.ogg"), 48000)
	if _, ok := tr.src.dec.(*vorbisfileDecoder); ok {
		t.Error("the fallback Opener decodes with libvorbisfile")
	}
	want := (s.Samples*48000 + int64(s.SampleRate) - 1) / int64(s.SampleRate)
	if got := len(collect(t, tr, 1000, 1<<20)); int64(got) != want || tr.Err() != nil {
		t.Errorf("streamed %d frames, Err() = %v; want %d and nil", got, tr.Err(), want)
	}
}

func TestNewOpener_libvorbisfile(t *testing.T) {
	o := opener(t, "libvorbisfile")
	if got := o.OggDecoder(); got != "libvorbisfile" {
		t.Errorf("OggDecoder() = %q, want libvorbisfile", got)
	}
	tr, s := openTrackWith(t, o, filepath.Join(oggData, "sine-22k-mono.ogg"), 48000)
	d, ok := tr.src.dec.(*vorbisfileDecoder)
	if !ok {
		t.Fatalf("the decoder is a %T, want *vorbisfileDecoder", tr.src.dec)
	}
	if d.channels != 1 || d.rate != int64(s.SampleRate) {
		t.Errorf("decoder: %d channels at %d Hz, want 1 at %d", d.channels, d.rate, s.SampleRate)
	}
	if (&Opener{}).OggDecoder() != "oggvorbis" || (*Opener)(nil).OggDecoder() != "oggvorbis" {
		t.Error("the zero and nil Openers do not name oggvorbis")
	}
}

// libvorbisfile and oggvorbis decode the same files to the same length
// (ov_pcm_total is the probe's length, the last granule position) and to
// samples apart by float rounding only: measured −147 to −159 dBFS RMS,
// peaks up to 3e-7, on the fixtures and the corpus's mixed files; the test
// wants under −120 dBFS and 1e-5.
func TestVorbisfile_equivalence(t *testing.T) {
	lib := opener(t, "libvorbisfile")
	files := oggFixtures()
	if raceEnabled || testing.Short() {
		t.Log("-race or -short: comparing the small fixtures only")
	} else {
		for k, v := range corpusOggs(t) {
			files[k] = v
		}
	}
	for name, path := range files {
		t.Run(name, func(t *testing.T) {
			ref, s := decodeAll(t, &Opener{}, path)
			got, _ := decodeAll(t, lib, path)
			if int64(len(got)) != s.Samples || len(ref) != len(got) {
				t.Fatalf("libvorbisfile decoded %d frames, oggvorbis %d; want both %d", len(got), len(ref), s.Samples)
			}
			d := openVorbisfileDecoder(t, lib, path)
			if int64(d.Len()) != s.Samples {
				t.Errorf("ov_pcm_total = %d, the probe's length %d", d.Len(), s.Samples)
			}
			rms, peak := rmsDB(got, ref), maxDiff(got, ref)
			t.Logf("%d frames: RMS difference %.1f dBFS, peak %.2g (%.1f dBFS)", len(got), rms, peak, 20*math.Log10(peak))
			if rms > -120 {
				t.Errorf("RMS difference %.1f dBFS, want ≤ −120", rms)
			}
			// A delay of one sample or more would show as a large peak.
			if peak > 1e-5 {
				t.Errorf("peak difference %.2g, want ≤ 1e-5", peak)
			}
		})
	}
}

// openVorbisfileDecoder opens path's decoder on its own, closed when the
// test ends.
func openVorbisfileDecoder(tb testing.TB, o *Opener, path string) *vorbisfileDecoder {
	tb.Helper()
	d, _, err := newVorbisfileDecoder(o.vorbisfile, path)
	if err != nil {
		tb.Fatalf("newVorbisfileDecoder(%s): %v", path, err)
	}
	tb.Cleanup(func() { d.Close() })
	return d
}

// Seeks are exact on the corpus's files too (the fixtures are in
// TestTrack_Seek), and land where oggvorbis's continuous decode is.
func TestVorbisfile_SeekCorpus(t *testing.T) {
	lib := opener(t, "libvorbisfile")
	for name, path := range corpusOggs(t) {
		if !strings.HasSuffix(name, "/01") || (raceEnabled && !strings.Contains(name, "mono")) {
			continue // one file per variant; the resampler is slow under -race
		}
		t.Run(name, func(t *testing.T) {
			testSeek(t, lib, path, 48000, 1e-9)
			ref, _ := openTrackWith(t, &Opener{}, path, 48000)
			want := collect(t, ref, 4096, 1<<26)
			tr, _ := openTrackWith(t, lib, path, 48000)
			for _, p := range []int{tr.Len() / 3, 12345, tr.Len() - 500} {
				if err := tr.Seek(p); err != nil {
					t.Fatalf("Seek(%d): %v", p, err)
				}
				got := collect(t, tr, 1000, 2000)
				if d := maxDiff(got, want[p:]); d > 1e-5 {
					t.Errorf("after Seek(%d) the frames differ from oggvorbis's by %.3g, want ≤ 1e-5", p, d)
				}
			}
		})
	}
}

// Every Ogg file of the corpus the probe accepts decodes to exactly its
// probed length, ov_pcm_total agreeing, without an error; the broken ones
// (handed to the decoder even when the probe refuses them) fail to open or
// end cleanly.
func TestVorbisfile_corpus(t *testing.T) {
	lib := opener(t, "libvorbisfile")
	dir := filepath.Join(mediatest.Corpus(t), "music")
	n := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".ogg" {
			return err
		}
		n++
		rel, _ := filepath.Rel(dir, path)
		broken := filepath.Base(filepath.Dir(path)) == "broken"
		if (raceEnabled || testing.Short()) && strings.HasPrefix(rel, "whole") {
			return nil // the long tracks take minutes under -race
		}
		t.Run(rel, func(t *testing.T) {
			info, err := probe.File(context.Background(), path)
			switch {
			case err != nil && !broken:
				t.Fatalf("probe: %v", err)
			case err != nil:
				t.Logf("the probe refuses it (%v); decoding it anyway", err)
				d, rate, err := newVorbisfileDecoder(lib.vorbisfile, path)
				if err != nil {
					t.Logf("newVorbisfileDecoder: %v", err)
					if !strings.Contains(err.Error(), "libvorbisfile: ov_fopen: OV_") {
						t.Errorf("error %q does not name libvorbisfile's OV_ code", err)
					}
					return
				}
				d.Close()
				info.Stream = media.Stream{Format: media.FormatOgg, SampleRate: rate, Samples: 12 * int64(rate)}
			}
			s := info.Stream
			tr, err := lib.Open(context.Background(), path, s, s.SampleRate)
			if err != nil {
				if !broken {
					t.Fatalf("Open: %v", err)
				}
				t.Logf("Open: %v", err)
				if !strings.Contains(err.Error(), "libvorbisfile") {
					t.Errorf("Open error %q does not name libvorbisfile", err)
				}
				return
			}
			defer tr.Close()
			got := countFrames(t, tr)
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
			if total := tr.src.dec.Len(); int64(total) != s.Samples {
				t.Errorf("ov_pcm_total = %d, the probe's length %d", total, s.Samples)
			}
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 8 {
		t.Errorf("found %d Ogg files in %s, want the corpus's 8 or more", n, dir)
	}
}

// countFrames streams st to its end and counts the frames, failing on a
// broken Stream contract (collect without keeping the frames).
func countFrames(tb testing.TB, st interface {
	Stream([][2]float64) (int, bool)
}) int {
	tb.Helper()
	buf := make([][2]float64, 4096)
	total := 0
	for {
		n, ok := st.Stream(buf)
		if n < 0 || n > len(buf) || (!ok && n != 0) || (ok && n == 0) {
			tb.Fatalf("Stream returned (%d, %v) for %d frames", n, ok, len(buf))
		}
		total += n
		if !ok {
			return total
		}
	}
}

// Damaged Ogg data never crashes the decoder: a file the probe accepts
// plays to its length; one it refuses (the decoder must not count on that)
// fails to open, naming the OV_ code, or ends the track with an error.
func TestVorbisfile_damaged(t *testing.T) {
	lib := opener(t, "libvorbisfile")
	fixture := filepath.Join(oggData, "sine-44k-stereo.ogg")
	good, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	intact := probed(t, fixture)
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
		{"truncated-in-headers", good[:200]},
		{"garbage-near-end", garbage(len(good)-2000, len(good)-1900)},
		{"garbage-in-headers", garbage(100, 300)},
		{"garbage-from-middle", garbage(len(good)/2, len(good))},
		{"all-garbage", garbage(0, len(good))},
		{"zero-bytes", nil},
		{"zeros", make([]byte, 4096)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := mediatest.WriteFile(t, t.TempDir(), "x.ogg", tc.data)
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
				if !strings.Contains(err.Error(), "libvorbisfile: ov_fopen: OV_") {
					t.Errorf("Open error %q does not name libvorbisfile's OV_ code", err)
				}
				return
			}
			defer tr.Close()
			got := len(collect(t, tr, 1000, 1<<22))
			t.Logf("streamed %d of %d frames; Err() = %v", got, tr.Len(), tr.Err())
			switch {
			case accepted && (got != tr.Len() || tr.Err() != nil):
				t.Errorf("the probe accepts it, yet it streamed %d of %d frames, Err() = %v", got, tr.Len(), tr.Err())
			case got < tr.Len() && tr.Err() == nil:
				t.Errorf("streamed %d of %d frames and Err() = nil, want an error", got, tr.Len())
			}
		})
	}
}

// Garbage over a few pages in the middle of a real file is a hole
// (OV_HOLE): decoding resumes after it, and the track, short of its probed
// length, ends with an error saying so.
func TestVorbisfile_hole(t *testing.T) {
	lib := opener(t, "libvorbisfile")
	orig := filepath.Join(corpusDir(t), "ogg-vorbis-q6", "01 - Maxstack - A New Journey.ogg")
	data, err := os.ReadFile(orig)
	if err != nil {
		t.Fatal(err)
	}
	for i := len(data) / 2; i < len(data)/2+20000; i++ {
		data[i] = byte(i*131 + 7)
	}
	path := mediatest.WriteFile(t, t.TempDir(), "x.ogg", data)
	s := probed(t, orig)
	tr, err := lib.Open(context.Background(), path, s, s.SampleRate)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer tr.Close()
	got := countFrames(t, tr)
	t.Logf("streamed %d of %d frames; Err() = %v", got, tr.Len(), tr.Err())
	if got < tr.Len()*3/4 || got >= tr.Len() {
		t.Errorf("streamed %d of %d frames, want most but not all (decoding resumed after the hole)", got, tr.Len())
	}
	if err := tr.Err(); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("of %d", s.Samples)) {
		t.Errorf("Err() = %v, want the early end named", err)
	}
}

// Stream allocates nothing through libvorbisfile, with or without
// resampling, across refills and seeks.
func TestVorbisfile_StreamAllocs(t *testing.T) {
	lib := opener(t, "libvorbisfile")
	for _, rate := range []int{44100, 48000} {
		tr, _ := openTrackWith(t, lib, filepath.Join(oggData, "sine-44k-stereo.ogg"), rate)
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

// An Ogg file truncated while libvorbisfile plays it (it reads the file
// itself) ends the track early with an error.
func TestVorbisfile_truncatedMidPlay(t *testing.T) {
	lib := opener(t, "libvorbisfile")
	src, err := os.ReadFile(filepath.Join(corpusDir(t), "ogg-vorbis-q6", "01 - Maxstack - A New Journey.ogg"))
	if err != nil {
		t.Fatal(err)
	}
	path := mediatest.WriteFile(t, t.TempDir(), "a.ogg", src)
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

// libvorbisfile writes nothing past sizeof(OggVorbis_File) (944 bytes on
// x86_64 glibc) in the ovFileSize bytes allocated for it, zeroed by calloc,
// through opening, decoding, seeking and restarting.
func TestVorbisfile_structSize(t *testing.T) {
	lib := opener(t, "libvorbisfile")
	d := openVorbisfileDecoder(t, lib, filepath.Join(oggData, "sine-44k-stereo.ogg"))
	buf := make([][2]float64, 3000)
	d.Stream(buf)
	if err := d.Seek(1234); err != nil {
		t.Fatal(err)
	}
	d.Stream(buf)
	if err := d.restart(); err != nil {
		t.Fatal(err)
	}
	d.Stream(buf)
	mem := unsafe.Slice((*byte)(d.vf), ovFileSize)
	last := -1
	for i, b := range mem {
		if b != 0 {
			last = i
		}
	}
	t.Logf("the last byte written is at offset %d of %d", last, ovFileSize)
	if last >= 944 || last < 0 {
		t.Errorf("the last byte written is at offset %d, want one below 944", last)
	}
}

// Close is idempotent, and a closed decoder streams and seeks nothing.
func TestVorbisfileDecoder_Close(t *testing.T) {
	lib := opener(t, "libvorbisfile")
	d := openVorbisfileDecoder(t, lib, filepath.Join(oggData, "sine-44k-stereo.ogg"))
	for range 2 {
		if err := d.Close(); err != nil {
			t.Errorf("Close() = %v", err)
		}
	}
	if n, ok := d.Stream(make([][2]float64, 10)); n != 0 || ok {
		t.Errorf("Stream after Close = (%d, %v), want (0, false)", n, ok)
	}
	if err := d.Seek(0); err == nil {
		t.Error("Seek after Close succeeded")
	}
}
