package decode

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gopxl/beep/v2"

	"attune/media"
	"attune/media/mediatest"
)

func TestOpen_lengths(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"wav-44k-stereo": mediatest.WriteFile(t, dir, "a.wav", mediatest.WAV(mediatest.Tone{SampleRate: 44100, Samples: 44101})),
		"wav-48k-mono":   mediatest.WriteFile(t, dir, "b.wav", mediatest.WAV(mediatest.Tone{SampleRate: 48000, Channels: 1, Samples: 30000})),
		"wav-22k-24bit":  mediatest.WriteFile(t, dir, "c.wav", mediatest.WAV(mediatest.Tone{SampleRate: 22050, BitDepth: 24, Samples: 10001})),
		"flac-44k":       mediatest.WriteFile(t, dir, "d.flac", mediatest.MustFLAC(t, mediatest.Tone{SampleRate: 44100, Samples: 20000})),
		"flac-96k-mono":  mediatest.WriteFile(t, dir, "e.flac", mediatest.MustFLAC(t, mediatest.Tone{SampleRate: 96000, Channels: 1, BitDepth: 24, Samples: 50001})),
		"mp3-cbr-info":   filepath.Join(mpegData, "cbr-info.mp3"),
		"mp3-vbr-xing":   filepath.Join(mpegData, "vbr-xing.mp3"),
		"mp3-noxing":     filepath.Join(mpegData, "cbr-noxing.mp3"),
		"mp3-tagged":     filepath.Join(mpegData, "tagged-v2v1-ape.mp3"),
		"mp3-22k-mono":   filepath.Join(mpegData, "mpeg2-22k-mono.mp3"),
		"ogg-44k":        filepath.Join(oggData, "sine-44k-stereo.ogg"),
		"ogg-22k-mono":   filepath.Join(oggData, "sine-22k-mono.ogg"),
	}
	for name, path := range files {
		for _, rate := range []int{48000, 44100} {
			for _, dec := range decodersFor(path) {
				t.Run(name+"@"+fmt.Sprint(rate)+dec, func(t *testing.T) {
					tr, s := openTrackWith(t, opener(t, dec), path, rate)
					want := (s.Samples*int64(rate) + int64(s.SampleRate) - 1) / int64(s.SampleRate)
					if got := int64(tr.Len()); got < want-1 || got > want+1 {
						t.Errorf("Len() = %d, want %d (%d samples at %d Hz)", got, want, s.Samples, s.SampleRate)
					}
					got := collect(t, tr, 1000, 1<<22)
					if len(got) != tr.Len() {
						t.Errorf("streamed %d frames, want Len() = %d", len(got), tr.Len())
					}
					if err := tr.Err(); err != nil {
						t.Errorf("Err() = %v, want nil", err)
					}
					if tr.Position() != tr.Len() {
						t.Errorf("Position() = %d after the end, want %d", tr.Position(), tr.Len())
					}
					if s.Channels == 1 && maxDiff(got, swap(got)) != 0 {
						t.Error("mono is not the same on both channels")
					}
				})
			}
		}
	}
}

func swap(a [][2]float64) [][2]float64 {
	b := make([][2]float64, len(a))
	for i, x := range a {
		b[i] = [2]float64{x[1], x[0]}
	}
	return b
}

// The MP3 output starts exactly on ffmpeg's first trimmed sample and ends on
// its last: the delay and padding are gone.
func TestOpen_mp3Trim(t *testing.T) {
	const tolerance = 0.002 // two decoders, rounding apart
	for _, name := range []string{"cbr-info", "vbr-xing", "mpeg2-22k-mono"} {
		for _, dec := range mp3Decoders() {
			t.Run(name+"/"+dec, func(t *testing.T) {
				path := filepath.Join(mpegData, name+".mp3")
				tr, s := openTrackWith(t, opener(t, dec), path, probed(t, path).SampleRate)
				if s.EncoderDelay == 0 {
					t.Fatal("the fixture has no encoder delay: the test cannot tell")
				}
				got := collect(t, tr, 777, 1<<20)
				raw, err := os.ReadFile(filepath.Join(mpegData, name+".ffmpeg.s16"))
				if err != nil {
					t.Fatal(err)
				}
				ref := make([][2]float64, len(raw)/2)
				for i := range ref {
					v := float64(int16(binary.LittleEndian.Uint16(raw[2*i:]))) / 32768
					ref[i] = [2]float64{v, v}
				}
				head, tail := ref[:len(ref)/2], ref[len(ref)/2:]
				if int64(len(got)) != s.Samples {
					t.Fatalf("decoded %d frames, want %d", len(got), s.Samples)
				}
				if d := maxLeftDiff(got, head); d > tolerance {
					t.Errorf("first %d frames differ from ffmpeg's by %.4f, want ≤ %v", len(head), d, tolerance)
				}
				if d := maxLeftDiff(got[1:], head); d <= tolerance {
					t.Errorf("frames from 1 also match ffmpeg's first (%.4f): the test cannot tell", d)
				}
				if d := maxLeftDiff(got[len(got)-len(tail):], tail); d > tolerance {
					t.Errorf("last %d frames differ from ffmpeg's by %.4f, want ≤ %v", len(tail), d, tolerance)
				}
			})
		}
	}
}

func maxLeftDiff(got, ref [][2]float64) float64 {
	var m float64
	for i := range ref {
		m = max(m, math.Abs(got[i][0]-ref[i][0]))
	}
	return m
}

// After Seek(p) the track streams what a continuous run streams from p.
func TestTrack_Seek(t *testing.T) {
	tone := mediatest.Tone{SampleRate: 44100, Samples: 3 * 44100, Freq: 1000}
	files := map[string]string{
		"wav":        toneFile(t, media.FormatWAV, tone),
		"flac":       toneFile(t, media.FormatFLAC, tone),
		"mp3":        filepath.Join(mpegData, "cbr-info.mp3"),
		"mp3-32kbps": filepath.Join(mpegData, "cbr-noxing.mp3"),
		"mp3-vbr":    filepath.Join(mpegData, "vbr-xing.mp3"),
		"mp3-22k":    filepath.Join(mpegData, "mpeg2-22k-mono.mp3"),
		"ogg":        filepath.Join(oggData, "sine-44k-stereo.ogg"),
	}
	for name, path := range files {
		for _, rate := range []int{44100, 48000} {
			for _, dec := range decodersFor(path) {
				t.Run(name+"@"+fmt.Sprint(rate)+dec, func(t *testing.T) {
					// go-mp3's int16 output after a seek is exact. libmpg123
					// computes in float32 and seeking resets the phase of its
					// synthesis buffer, so the same samples can come out one
					// float32 rounding apart (measured up to 2.4e-8 on the MPEG-2
					// mono fixture, −152 dBFS).
					tolerance := 1e-9
					if dec == "/libmpg123" {
						tolerance = 1e-7
					}
					testSeek(t, opener(t, dec), path, rate, tolerance)
				})
			}
		}
	}
}

// testSeek checks Seek on path at rate against a continuous run: the
// frames after Seek(p) are those from p, within tolerance.
func testSeek(t *testing.T, o *Opener, path string, rate int, tolerance float64) {
	full, _ := openTrackWith(t, o, path, rate)
	want := collect(t, full, 4096, 1<<22)
	tr, _ := openTrackWith(t, o, path, rate)
	n := tr.Len()
	for _, p := range []int{n / 2, 7, n - 1000, 1, n / 3, 0, n - 1, n} {
		if err := tr.Seek(p); err != nil {
			t.Fatalf("Seek(%d): %v", p, err)
		}
		if tr.Position() != p {
			t.Errorf("Position() = %d after Seek(%d)", tr.Position(), p)
		}
		got := collect(t, tr, 333, 2000)
		if wantN := min(2000, n-p); len(got) != wantN {
			t.Errorf("after Seek(%d) streamed %d frames, want %d", p, len(got), wantN)
		}
		if d := maxDiff(got, want[p:]); d > tolerance {
			t.Errorf("after Seek(%d) the frames differ from a continuous run by %.3g, want ≤ %g", p, d, tolerance)
		}
	}
	if err := tr.Err(); err != nil {
		t.Errorf("Err() = %v", err)
	}
}

// mewkiz/flac panics seeking into the last frame of a fixed-blocksize stream
// through beep; a Track seeks there anyway.
func TestTrack_SeekFLACNearEnd(t *testing.T) {
	for _, dec := range flacDecoders() {
		t.Run(dec, func(t *testing.T) { testSeekFLACNearEnd(t, opener(t, dec)) })
	}
}

func testSeekFLACNearEnd(t *testing.T, o *Opener) {
	// Longer than flacTailGuard, so that the guard has work to do.
	tone := mediatest.Tone{SampleRate: 48000, Samples: 20*4096 + 1234, Freq: 440}
	path := toneFile(t, media.FormatFLAC, tone)
	full, _ := openTrackWith(t, o, path, 48000)
	want := collect(t, full, 4096, 1<<20)
	tr, _ := openTrackWith(t, o, path, 48000)
	for _, back := range []int{1000, 1, 1234, 1235, 4096 + 1234, 5000, 10} {
		p := tr.Len() - back
		if err := tr.Seek(p); err != nil {
			t.Fatalf("Seek(Len-%d): %v", back, err)
		}
		got := collect(t, tr, 512, 1<<20)
		if len(got) != back {
			t.Errorf("after Seek(Len-%d) streamed %d frames, want %d", back, len(got), back)
		}
		if d := maxDiff(got, want[p:]); d != 0 {
			t.Errorf("after Seek(Len-%d) the frames differ from a continuous run by %g", back, d)
		}
	}
	if err := tr.Err(); err != nil {
		t.Errorf("Err() = %v", err)
	}
}

// A file truncated while it plays ends the track early with an error.
func TestTrack_truncatedMidPlay(t *testing.T) {
	tone := mediatest.Tone{SampleRate: 44100, Samples: 10 * 44100, Freq: 440}
	for _, format := range []media.Format{media.FormatWAV, media.FormatFLAC} {
		for _, dec := range decodersFor("x." + string(format)) {
			if raceEnabled && dec == "/mewkiz" {
				continue // slow under -race; the test runs on it without -race
			}
			t.Run(string(format)+dec, func(t *testing.T) { testTruncatedMidPlay(t, opener(t, dec), format, tone) })
		}
	}
}

func testTruncatedMidPlay(t *testing.T, o *Opener, format media.Format, tone mediatest.Tone) {
	path := toneFile(t, format, tone)
	tr, _ := openTrackWith(t, o, path, 48000)
	first := collect(t, tr, 1024, 48000)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, fi.Size()/2); err != nil {
		t.Fatal(err)
	}
	rest := collect(t, tr, 1024, 1<<22)
	if got := len(first) + len(rest); got >= tr.Len()*3/4 {
		t.Errorf("streamed %d of %d frames from a file cut in half", got, tr.Len())
	}
	if err := tr.Err(); err == nil || !strings.Contains(err.Error(), "of 441000") {
		t.Errorf("Err() = %v, want the early end named", err)
	}
	if n, ok := tr.Stream(make([][2]float64, 10)); n != 0 || ok {
		t.Errorf("Stream after the end = (%d, %v), want (0, false)", n, ok)
	}
}

// A file removed while it plays plays to its end: the open file stays
// readable.
func TestTrack_removedMidPlay(t *testing.T) {
	for _, dec := range flacDecoders() {
		if raceEnabled && dec == "mewkiz" {
			continue // slow under -race; the test runs on it without -race
		}
		t.Run(dec, func(t *testing.T) { testRemovedMidPlay(t, opener(t, dec)) })
	}
}

func testRemovedMidPlay(t *testing.T, o *Opener) {
	path := toneFile(t, media.FormatFLAC, mediatest.Tone{SampleRate: 44100, Samples: 5 * 44100})
	tr, _ := openTrackWith(t, o, path, 48000)
	first := collect(t, tr, 1024, 48000)
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	rest := collect(t, tr, 1024, 1<<22)
	if got := len(first) + len(rest); got != tr.Len() || tr.Err() != nil {
		t.Errorf("streamed %d frames, Err() = %v; want %d and nil", got, tr.Err(), tr.Len())
	}
}

// fakeDecoder streams a ramp and misbehaves from frame at on.
type fakeDecoder struct {
	n, pos, at int
	mode       string // "panic", "stuck", "error", "seekpanic"
}

func (f *fakeDecoder) Stream(s [][2]float64) (int, bool) {
	if f.pos >= f.at {
		switch f.mode {
		case "panic":
			var frame []int32
			_ = frame[f.pos] // an index out of range, as decoder bugs do
		case "stuck":
			return 0, true
		case "error":
			return 0, false
		}
	}
	n := min(len(s), f.n-f.pos)
	if f.pos < f.at {
		n = min(n, f.at-f.pos)
	}
	for i := range n {
		v := float64(f.pos+i) / float64(f.n)
		s[i] = [2]float64{v, -v}
	}
	f.pos += n
	return n, n > 0
}
func (f *fakeDecoder) Err() error {
	if f.mode == "error" && f.pos >= f.at {
		return errors.New("bad frame")
	}
	return nil
}
func (f *fakeDecoder) Len() int      { return f.n }
func (f *fakeDecoder) Position() int { return f.pos }
func (f *fakeDecoder) Seek(p int) error {
	if f.mode == "seekpanic" && p > f.at {
		panic("index out of range")
	}
	f.pos = p
	return nil
}

func TestTrack_badDecoder(t *testing.T) {
	for _, tc := range []struct {
		mode, want string
	}{
		{"panic", "decoder panic: runtime error: index out of range [5000] with length 0"},
		{"stuck", "decoder stuck"},
		{"error", "decoding failed at sample 5000 of 10000: bad frame"},
	} {
		for _, rate := range []int{44100, 48000} {
			t.Run(tc.mode+"@"+fmt.Sprint(rate), func(t *testing.T) {
				dec := &fakeDecoder{n: 10000, at: 5000, mode: tc.mode}
				tr := newTrack(newSource(dec, nil, 0, 10000, 0), 44100, rate)
				got := collect(t, tr, 700, 1<<20)
				if wantN := int(tr.rsOut(5000)); len(got) < wantN-10 || len(got) > wantN+10 {
					t.Errorf("streamed %d frames, want about %d (up to the failure)", len(got), wantN)
				}
				if err := tr.Err(); err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("Err() = %v, want %q", err, tc.want)
				}
				if err := tr.Seek(0); err == nil {
					t.Error("Seek on a failed track succeeded")
				}
			})
		}
	}
}

// rsOut converts a source frame count to the engine rate.
func (t *Track) rsOut(n int64) int64 {
	if t.rs == nil {
		return n
	}
	return t.rs.outLen(n)
}

// A decoder whose Seek panics, with no way to reopen it, fails the track.
func TestTrack_SeekPanic(t *testing.T) {
	dec := &fakeDecoder{n: 10000, at: 5000, mode: "seekpanic"}
	tr := newTrack(newSource(dec, nil, 0, 10000, 0), 48000, 48000)
	if err := tr.Seek(100); err != nil {
		t.Fatalf("Seek(100) = %v", err)
	}
	err := tr.Seek(9000)
	if err == nil || !strings.Contains(err.Error(), "decoder panic: index out of range") {
		t.Errorf("Seek(9000) = %v, want the panic named", err)
	}
	if n, ok := tr.Stream(make([][2]float64, 10)); n != 0 || ok || tr.Err() == nil {
		t.Errorf("Stream after a failed seek = (%d, %v), Err %v; want (0, false) and an error", n, ok, tr.Err())
	}
}

// A decoder whose Seek panics is reopened and decoded forward from earlier.
func TestTrack_SeekPanicReopen(t *testing.T) {
	reopened := 0
	reopen := func() (beep.StreamSeeker, error) {
		reopened++
		return &fakeDecoder{n: 100000, at: 5000, mode: "seekpanic"}, nil
	}
	dec, _ := reopen()
	tr := newTrack(newSource(dec, reopen, 0, 100000, 0), 48000, 48000)
	if err := tr.Seek(90000); err != nil {
		t.Fatalf("Seek(90000) = %v", err)
	}
	got := collect(t, tr, 1000, 1)
	if want := 90000.0 / 100000; len(got) != 1 || got[0][0] != want {
		t.Errorf("after Seek(90000) got %v, want [%v ...]", got, want)
	}
	if reopened < 2 {
		t.Errorf("the decoder was reopened %d times, want it reopened", reopened-1)
	}
}

// The trimmed source drops the delay and stops at the real end.
func TestTrack_trim(t *testing.T) {
	dec := &fakeDecoder{n: 10000, at: 1 << 30}
	tr := newTrack(newSource(dec, nil, 1105, 7000, 0), 48000, 48000)
	got := collect(t, tr, 999, 1<<20)
	if len(got) != 7000 {
		t.Fatalf("streamed %d frames, want 7000", len(got))
	}
	if got[0][0] != 1105.0/10000 || got[6999][0] != 8104.0/10000 {
		t.Errorf("frames 0 and 6999 = %v, %v; want the decoder's 1105 and 8104", got[0][0], got[6999][0])
	}
}

func TestOpen_errors(t *testing.T) {
	dir := t.TempDir()
	wav := mediatest.WriteFile(t, dir, "a.wav", mediatest.WAV(mediatest.Tone{Samples: 100}))
	s := probed(t, wav)
	ctx := context.Background()
	if _, err := Open(ctx, filepath.Join(dir, "missing.wav"), s, 48000); err == nil {
		t.Error("Open of a missing file succeeded")
	}
	bad := s
	bad.SampleRate = 48000
	if _, err := Open(ctx, wav, bad, 48000); err == nil || !strings.Contains(err.Error(), "the decoder reports 44100 Hz") {
		t.Errorf("Open with the wrong rate = %v, want a rate mismatch", err)
	}
	notFLAC := s
	notFLAC.Format = media.FormatFLAC
	if _, err := Open(ctx, wav, notFLAC, 48000); err == nil {
		t.Error("Open of a WAV as FLAC succeeded")
	}
}

// Stream allocates nothing of its own after the first call (WAV, read
// directly, allocates nothing at all; beep's other decoders allocate per
// frame inside themselves).
func TestTrack_StreamAllocs(t *testing.T) {
	path := toneFile(t, media.FormatWAV, mediatest.Tone{SampleRate: 44100, Samples: 10 * 44100})
	for _, rate := range []int{44100, 48000} {
		tr, _ := openTrack(t, path, rate)
		buf := make([][2]float64, 1024)
		tr.Stream(buf)
		if got := testing.AllocsPerRun(100, func() { tr.Stream(buf) }); got != 0 {
			t.Errorf("at %d Hz: Stream allocates %v times per call, want 0", rate, got)
		}
	}
}
