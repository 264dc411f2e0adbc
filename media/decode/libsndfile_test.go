package decode

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gopxl/beep/v2"

	"attune/media"
	"attune/media/mediatest"
	"attune/media/probe"
)

// flacFixtures are generated FLAC files covering 16 and 24 bits, mono and
// stereo, and the corpus's FLAC files when it is there (one per variant
// under -short, none under -race).
func flacFixtures(t *testing.T) map[string]string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{}
	for name, tone := range map[string]mediatest.Tone{
		"16-44k-stereo": {SampleRate: 44100, Samples: 3*4096 + 17, Freq: 997, Amp: 0.9},
		"16-22k-mono":   {SampleRate: 22050, Channels: 1, Samples: 10000, Freq: 440},
		"24-96k-stereo": {SampleRate: 96000, BitDepth: 24, Samples: 5*4096 + 1, Freq: 1234, Amp: 0.99},
		"24-48k-mono":   {SampleRate: 48000, Channels: 1, BitDepth: 24, Samples: 4096, Freq: 3000},
	} {
		files[name] = mediatest.WriteFile(t, dir, name+".flac", mediatest.MustFLAC(t, tone))
	}
	if !fileExists(filepath.Join("..", "..", "..", "shared", "corpus")) && os.Getenv(mediatest.CorpusEnv) == "" {
		t.Log("the corpus is absent: comparing generated files only")
		return files
	}
	if raceEnabled {
		t.Log("-race: comparing generated files only")
		return files
	}
	mixed := corpusDir(t)
	for _, v := range []string{"flac-16-44k", "flac-24-96k", "flac-24-48k-mono"} {
		tracks := []string{"01 - Maxstack - A New Journey.flac", "02 - Maxstack - Awakening.flac", "03 - Maxstack - Coherence.flac"}
		if testing.Short() {
			tracks = tracks[:1]
		}
		for _, tr := range tracks {
			files[v+"/"+tr[:2]] = filepath.Join(mixed, v, tr)
		}
	}
	return files
}

// FLAC is lossless: libsndfile and mewkiz/flac decode every file to the same
// samples, bit for bit, and to the probe's length.
func TestLibsndfile_equivalence(t *testing.T) {
	lib := opener(t, "libsndfile")
	for name, path := range flacFixtures(t) {
		t.Run(name, func(t *testing.T) {
			ref, s := decodeAll(t, &Opener{}, path)
			got, _ := decodeAll(t, lib, path)
			if int64(len(got)) != s.Samples || len(ref) != len(got) {
				t.Fatalf("libsndfile decoded %d frames, mewkiz/flac %d; want both %d", len(got), len(ref), s.Samples)
			}
			for i := range got {
				if got[i] != ref[i] {
					t.Fatalf("frame %d: libsndfile %v, mewkiz/flac %v; want them equal", i, got[i], ref[i])
				}
			}
			if d := maxDiff(got, make([][2]float64, len(got))); d < 0.01 {
				t.Errorf("the peak is %g: the test compares silence", d)
			}
		})
	}
}

// After Seek(p) libsndfile gives exactly the samples of a continuous run from
// p, at the file's rate and resampled, in every frame including the last.
func TestLibsndfile_Seek(t *testing.T) {
	lib := opener(t, "libsndfile")
	for name, path := range flacFixtures(t) {
		t.Run(name, func(t *testing.T) {
			s := probed(t, path)
			for _, rate := range []int{s.SampleRate, 48000 + 1} {
				testSeek(t, lib, path, rate, 0)
			}
			full, _ := decodeAll(t, lib, path)
			tr, _ := openTrackWith(t, lib, path, s.SampleRate)
			for _, back := range []int{1, 10, 4095, 4096, 4097, 5000} {
				p := tr.Len() - back
				if p < 0 {
					continue
				}
				if err := tr.Seek(p); err != nil {
					t.Fatalf("Seek(Len-%d): %v", back, err)
				}
				got := collect(t, tr, 512, 1<<20)
				if len(got) != back || maxDiff(got, full[p:]) != 0 {
					t.Errorf("after Seek(Len-%d) streamed %d frames differing by up to %g, want %d identical", back, len(got), maxDiff(got, full[p:]), back)
				}
			}
		})
	}
}

// A FLAC file whose STREAMINFO gives no total length decodes to the end,
// bit for bit as with mewkiz/flac (libsndfile does not stop at a length
// of 0).
func TestLibsndfile_noTotalSamples(t *testing.T) {
	lib := opener(t, "libsndfile")
	path := filepath.Join(mediatest.Corpus(t), "tags", "flac-test-files", "subset", "45 - no total number of samples set.flac")
	ref, s := decodeAll(t, &Opener{}, path)
	got, _ := decodeAll(t, lib, path)
	if len(got) != len(ref) || int64(len(got)) != s.Samples || len(got) == 0 {
		t.Fatalf("libsndfile decoded %d frames, mewkiz/flac %d; want both the probe's %d", len(got), len(ref), s.Samples)
	}
	if d := maxDiff(got, ref); d != 0 {
		t.Errorf("libsndfile and mewkiz/flac differ by up to %g, want 0", d)
	}
}

// The libsndfile decoder seeks itself into the last frame: the track does not
// fall back to decoding forward from a seek limit, as it does with
// mewkiz/flac.
func TestLibsndfile_noSeekLimit(t *testing.T) {
	lib := opener(t, "libsndfile")
	path := toneFile(t, media.FormatFLAC, mediatest.Tone{SampleRate: 48000, Samples: 20*4096 + 1234})
	tr, _ := openTrackWith(t, lib, path, 48000)
	if _, ok := tr.src.dec.(*sndfileDecoder); !ok {
		t.Fatalf("the decoder is a %T, want *sndfileDecoder", tr.src.dec)
	}
	if tr.src.seekLimit < tr.src.samples {
		t.Errorf("seekLimit = %d, want none (≥ %d)", tr.src.seekLimit, tr.src.samples)
	}
}

// With libsndfile missing, the Opener says why and decodes FLAC with
// mewkiz/flac.
func TestLoadSndfile_missingLibrary(t *testing.T) {
	lib, err := loadSndfile("libsndfile-attune-missing.so.1")
	if err == nil || !strings.Contains(err.Error(), "apt-get install libsndfile1") {
		t.Errorf("loadSndfile(missing) error = %v, want one naming the package to install", err)
	}
	o := &Opener{flac: lib}
	if got := o.FLACDecoder(); got != "mewkiz/flac" {
		t.Errorf("FLACDecoder() = %q, want mewkiz/flac", got)
	}
	path := toneFile(t, media.FormatFLAC, mediatest.Tone{SampleRate: 44100, Samples: 10000})
	tr, s := openTrackWith(t, o, path, 48000)
	if _, ok := tr.src.dec.(*sndfileDecoder); ok {
		t.Error("the fallback Opener decodes with libsndfile")
	}
	want := (s.Samples*48000 + 44099) / 44100
	if got := len(collect(t, tr, 1000, 1<<20)); int64(got) != want || tr.Err() != nil {
		t.Errorf("streamed %d frames, Err() = %v; want %d and nil", got, tr.Err(), want)
	}
}

func TestNewOpener_libsndfile(t *testing.T) {
	o := opener(t, "libsndfile")
	if got := o.FLACDecoder(); got != "libsndfile" {
		t.Errorf("FLACDecoder() = %q, want libsndfile", got)
	}
	tr, _ := openTrackWith(t, o, toneFile(t, media.FormatFLAC, mediatest.Tone{SampleRate: 44100, Samples: 1000}), 48000)
	if _, ok := tr.src.dec.(*sndfileDecoder); !ok {
		t.Errorf("the decoder is a %T, want *sndfileDecoder", tr.src.dec)
	}
}

// Damaged FLAC data never crashes libsndfile's decoder: a file that is not
// FLAC, or lost its STREAMINFO, fails to open; one damaged in its frames
// or cut short ends the track early with an error naming the cause.
func TestLibsndfile_damaged(t *testing.T) {
	lib := opener(t, "libsndfile")
	tone := mediatest.Tone{SampleRate: 44100, Samples: 20 * 4096, Freq: 440}
	good := mediatest.MustFLAC(t, tone)
	intact := probed(t, mediatest.WriteFile(t, t.TempDir(), "good.flac", good))
	garbage := func(from, to int) []byte {
		b := append([]byte(nil), good...)
		for i := from; i < to && i < len(b); i++ {
			b[i] = byte(i*131 + 7)
		}
		return b
	}
	mid := len(good) / 2
	for _, tc := range []struct {
		name     string
		data     []byte
		openFail bool
		want     string // in Err()
	}{
		{"truncated-half", good[:mid], false, "libsndfile"}, // lost sync in the cut frame
		{"truncated-in-streaminfo", good[:20], true, "libsndfile"},
		{"zero-bytes", nil, true, "libsndfile"},
		{"not-flac", []byte(strings.Repeat("not a FLAC file\n", 500)), true, "libsndfile"},
		{"garbage-in-frames", garbage(mid, mid+200), false, "libsndfile"},
		{"garbage-from-middle", garbage(mid, len(good)), false, "libsndfile"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := mediatest.WriteFile(t, t.TempDir(), "x.flac", tc.data)
			tr, err := lib.Open(context.Background(), path, intact, intact.SampleRate)
			if err != nil {
				t.Logf("Open: %v", err)
				if !tc.openFail || !strings.Contains(err.Error(), "libsndfile") {
					t.Errorf("Open: %v; want it to succeed: %v, or an error naming libsndfile", err, !tc.openFail)
				}
				return
			}
			defer tr.Close()
			if tc.openFail {
				t.Fatal("Open succeeded, want an error")
			}
			got := len(collect(t, tr, 1000, 1<<22))
			t.Logf("streamed %d of %d frames; Err() = %v", got, tr.Len(), tr.Err())
			if got >= tr.Len() || tr.Err() == nil || !strings.Contains(tr.Err().Error(), tc.want) {
				t.Errorf("streamed %d of %d frames, Err() = %v; want an early end and an error containing %q", got, tr.Len(), tr.Err(), tc.want)
			}
			// A damaged track still seeks back and plays its intact start.
			if err := tr.Seek(0); err == nil {
				if n := len(collect(t, tr, 1000, 4096)); n != 4096 {
					t.Errorf("after Seek(0) streamed %d frames, want 4096", n)
				}
			}
		})
	}
}

// The corpus's broken FLAC files fail to open or end with an error; none
// crashes libsndfile. Those the probe refuses are handed to it anyway.
func TestLibsndfile_corpusBroken(t *testing.T) {
	lib := opener(t, "libsndfile")
	paths, _ := filepath.Glob(filepath.Join(corpusDir(t), "broken", "*.flac"))
	if len(paths) < 4 {
		t.Fatalf("found %d broken FLAC files, want the corpus's 4", len(paths))
	}
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			info, err := probe.File(context.Background(), path)
			if err != nil {
				t.Logf("the probe refuses it (%v); decoding it anyway", err)
				info.Stream = media.Stream{Format: media.FormatFLAC, SampleRate: 44100, Samples: 12 * 44100}
			}
			s := info.Stream
			tr, err := lib.Open(context.Background(), path, s, s.SampleRate)
			if err != nil {
				t.Logf("Open: %v", err)
				return
			}
			defer tr.Close()
			got := len(collect(t, tr, 4096, 1<<26))
			t.Logf("streamed %d of %d frames; Err() = %v", got, tr.Len(), tr.Err())
			if got < tr.Len() && tr.Err() == nil {
				t.Errorf("the track ended at %d of %d frames without an error", got, tr.Len())
			}
		})
	}
}

// Stream allocates nothing, whether it copies from the decoded chunk or
// calls into libsndfile for the next one (crossing FLAC frames), with or
// without resampling; nor does Seek.
func TestLibsndfile_StreamAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("-race: the race detector's instrumentation allocates")
	}
	lib := opener(t, "libsndfile")
	path := toneFile(t, media.FormatFLAC, mediatest.Tone{SampleRate: 44100, Samples: 40 * 4096, Freq: 440})
	for _, rate := range []int{44100, 48000} {
		tr, _ := openTrackWith(t, lib, path, rate)
		buf := make([][2]float64, 64)
		tr.Stream(buf)
		if got := testing.AllocsPerRun(10, func() { tr.Stream(buf[:1]) }); got != 0 {
			t.Errorf("at %d Hz: Stream within a chunk allocates %v times per call, want 0", rate, got)
		}
		frames := 0
		got := testing.AllocsPerRun(2, func() {
			frames = 0
			if err := tr.Seek(0); err != nil {
				t.Fatal(err)
			}
			for {
				n, ok := tr.Stream(buf)
				frames += n
				if !ok {
					break
				}
			}
		})
		if frames != tr.Len() || tr.Err() != nil || got != 0 {
			t.Errorf("at %d Hz: %v allocations streaming %d of %d frames (Err() = %v), want 0 allocations and every frame", rate, got, frames, tr.Len(), tr.Err())
		}
		tr.Close()
	}
}

var _ beep.StreamSeeker = (*sndfileDecoder)(nil)
