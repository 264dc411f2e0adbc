package output

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/gopxl/beep/v2/wav"
)

// readWAV checks a 24-bit stereo WAV's canonical header (its sizes must match
// the file) and returns its rate and samples.
func readWAV(tb testing.TB, b []byte) (int, [][2]int32) {
	tb.Helper()
	le := binary.LittleEndian
	if len(b) < 44 || string(b[0:4]) != "RIFF" || string(b[8:16]) != "WAVEfmt " || string(b[36:40]) != "data" {
		tb.Fatalf("not a canonical WAV header: % x", b[:min(len(b), 44)])
	}
	if got, want := le.Uint32(b[4:]), uint32(len(b)-8); got != want {
		tb.Errorf("RIFF size %d, want %d", got, want)
	}
	if f, ch, bits, align := le.Uint16(b[20:]), le.Uint16(b[22:]), le.Uint16(b[34:]), le.Uint16(b[32:]); f != 1 || ch != 2 || bits != 24 || align != 6 {
		tb.Fatalf("format %d, %d channels, %d bits, block align %d; want PCM (1), 2, 24, 6", f, ch, bits, align)
	}
	rate := int(le.Uint32(b[24:]))
	if got, want := le.Uint32(b[28:]), uint32(rate*6); got != want {
		tb.Errorf("byte rate %d, want %d", got, want)
	}
	data := b[44:]
	if got := le.Uint32(b[40:]); int(got) != len(data) || len(data)%6 != 0 {
		tb.Fatalf("data size %d, file has %d data bytes", got, len(data))
	}
	out := make([][2]int32, len(data)/6)
	for i := range out {
		for c := range 2 {
			o := 6*i + 3*c
			out[i][c] = int32(uint32(data[o])<<8|uint32(data[o+1])<<16|uint32(data[o+2])<<24) >> 8
		}
	}
	return rate, out
}

func s24(x float64) int32 { return int32(math.Round(max(-1, min(1, x)) * fullScale24)) }

func TestCreateWAV_RoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.wav")
	w, err := CreateWAV(path, testRate)
	if err != nil {
		t.Fatal(err)
	}
	if w.Paced() {
		t.Error("Paced() = true, want false")
	}
	src := sine(testRate+17, testRate, 1000, 0.5)
	src[5] = [2]float64{1.5, -2} // clamped
	src[6] = [2]float64{math.NaN(), 1}
	writeBlocks(t, w, src, 1024)
	if got, want := w.Frames(), int64(len(src)); got != want {
		t.Errorf("Frames() = %d, want %d", got, want)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rate, got := readWAV(t, b)
	if rate != testRate {
		t.Errorf("rate %d, want %d", rate, testRate)
	}
	if len(got) != len(src) {
		t.Fatalf("%d frames, want %d", len(got), len(src))
	}
	for i, f := range got {
		want := [2]int32{s24(src[i][0]), s24(src[i][1])}
		if i == 6 {
			want[0] = 0 // NaN
		}
		if f != want {
			t.Fatalf("frame %d = %v, want %v", i, f, want)
		}
	}

	// And beep's decoder, as media/decode uses it, reads it back.
	s, format, err := wav.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("beep wav.Decode: %v", err)
	}
	if format.SampleRate != testRate || format.NumChannels != 2 || s.Len() != len(src) {
		t.Errorf("beep reads %d Hz, %d channels, %d frames; want %d, 2, %d",
			format.SampleRate, format.NumChannels, s.Len(), testRate, len(src))
	}
	dec := make([][2]float64, 2048)
	n, _ := s.Stream(dec)
	for i := 7; i < n; i++ {
		if d := math.Abs(dec[i][0] - src[i][0]); d > 1.0/fullScale24 {
			t.Fatalf("beep frame %d = %v, want %v ±1 LSB", i, dec[i][0], src[i][0])
		}
	}
}

// TestWAV_Write_HeaderEvery5s checks that the header on disk describes the
// audio written so far without Close, as a crash would leave it.
func TestWAV_Write_HeaderEvery5s(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.wav")
	w, err := CreateWAV(path, testRate)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	writeBlocks(t, w, sine(6*testRate, testRate, 440, 0.25), testRate/2)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// The header was last rewritten at the block that reached 5 s.
	if got, want := binary.LittleEndian.Uint32(b[40:]), uint32(5*testRate*6); got != want {
		t.Errorf("data size on disk before Close %d, want %d (5 s)", got, want)
	}
	if len(b) < 44+5*testRate*6 {
		t.Errorf("file on disk before Close is %d bytes, shorter than its header says", len(b))
	}
	rate, got := readWAV(t, b[:44+5*testRate*6])
	if rate != testRate || len(got) != 5*testRate {
		t.Errorf("crash-time file: %d Hz, %d frames; want %d, %d", rate, len(got), testRate, 5*testRate)
	}
}

// memFile is an in-memory io.WriteSeeker.
type memFile struct {
	b   []byte
	off int64
}

func (m *memFile) Write(p []byte) (int, error) {
	if end := m.off + int64(len(p)); end > int64(len(m.b)) {
		m.b = append(m.b, make([]byte, end-int64(len(m.b)))...)
	}
	copy(m.b[m.off:], p)
	m.off += int64(len(p))
	return len(p), nil
}

func (m *memFile) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekCurrent:
		off += m.off
	case io.SeekEnd:
		off += int64(len(m.b))
	}
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	m.off = off
	return off, nil
}

func TestNewWAV_AtOffset(t *testing.T) {
	m := &memFile{}
	m.Write([]byte("prefix"))
	w, err := NewWAV(m, 44100)
	if err != nil {
		t.Fatal(err)
	}
	writeBlocks(t, w, sine(1000, 44100, 440, 0.5), 300)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if string(m.b[:6]) != "prefix" {
		t.Fatalf("prefix overwritten: %q", m.b[:6])
	}
	if rate, got := readWAV(t, m.b[6:]); rate != 44100 || len(got) != 1000 {
		t.Errorf("%d Hz, %d frames; want 44100, 1000", rate, len(got))
	}
}

func TestWAV_Close(t *testing.T) {
	w, err := NewWAV(&memFile{}, testRate)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if err := w.Close(); err != nil {
			t.Errorf("Close #%d: %v", i+1, err)
		}
	}
	if err := w.Write(make([][2]float64, 1)); !errors.Is(err, ErrClosed) {
		t.Errorf("Write after Close: %v, want ErrClosed", err)
	}
}

func TestWAV_Write_Full(t *testing.T) {
	m := &memFile{}
	w, err := NewWAV(m, testRate)
	if err != nil {
		t.Fatal(err)
	}
	w.frames.Store(wavMaxFrames - 10) // as if 4 GiB had been written
	w.synced = w.frames.Load()
	if err := w.Write(make([][2]float64, 25)); !errors.Is(err, ErrWAVFull) {
		t.Errorf("Write past 4 GiB: %v, want ErrWAVFull", err)
	}
	if got := w.Frames(); got != wavMaxFrames {
		t.Errorf("Frames() = %d, want %d", got, int64(wavMaxFrames))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got, want := binary.LittleEndian.Uint32(m.b[40:]), uint32(wavMaxFrames*wavFrameBytes); got != want {
		t.Errorf("data size %d, want %d", got, want)
	}
}

// failWriter fails every write after the first n bytes.
type failWriter struct {
	memFile
	n int
}

func (f *failWriter) Write(p []byte) (int, error) {
	if len(f.b)+len(p) > f.n {
		return 0, errors.New("disk full")
	}
	return f.memFile.Write(p)
}

func TestWAV_Write_Error(t *testing.T) {
	w, err := NewWAV(&failWriter{n: 1000}, testRate)
	if err != nil {
		t.Fatal(err)
	}
	block := make([][2]float64, 20000) // more than the 64 KiB buffer
	err1 := w.Write(block)
	if err1 == nil {
		t.Fatal("Write to a failing writer succeeded")
	}
	if err2 := w.Write(block); err2 == nil || err2.Error() != err1.Error() {
		t.Errorf("second Write: %v, want the first error again (%v)", err2, err1)
	}
}

// discardSeeker is an io.WriteSeeker that keeps only its offset and size.
type discardSeeker struct{ off, size int64 }

func (d *discardSeeker) Write(p []byte) (int, error) {
	d.off += int64(len(p))
	d.size = max(d.size, d.off)
	return len(p), nil
}

func (d *discardSeeker) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekCurrent:
		off += d.off
	case io.SeekEnd:
		off += d.size
	}
	d.off = off
	return off, nil
}

func TestWAV_Write_NoAllocs(t *testing.T) {
	w, err := NewWAV(&discardSeeker{}, testRate)
	if err != nil {
		t.Fatal(err)
	}
	block := sine(1024, testRate, 1000, 0.5)
	// 1000 blocks are 21 s of audio: 300 buffer flushes and 4 header rewrites.
	if n := totalAllocs(1000, func() {
		if err := w.Write(block); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("1000 Writes allocated %d times, want 0", n)
	}
}

func BenchmarkWAV_Write(b *testing.B) {
	w, err := CreateWAV(filepath.Join(b.TempDir(), "bench.wav"), testRate)
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	block := sine(1024, testRate, 1000, 0.5)
	b.ReportAllocs()
	b.SetBytes(int64(len(block)) * wavFrameBytes)
	for b.Loop() {
		if err := w.Write(block); err != nil {
			b.Fatal(err)
		}
	}
	reportRealtime(b, len(block))
}
