//go:build linux

package output

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// needALSA skips the test, with the reason, when libasound.so.2 cannot be
// loaded.
func needALSA(tb testing.TB) {
	tb.Helper()
	if _, err := loadALSA(); err != nil {
		if errors.Is(err, errNoLibasound) {
			tb.Skipf("skipping: %v", err)
		}
		tb.Fatalf("loading libasound: %v", err)
	}
}

// captureDevice returns an ALSA device name that captures what is played
// to a raw S16_LE file, and the file's path: the "file" PCM of the stock
// alsa.conf, which writes the samples to FILE and discards them through the
// null PCM. (An asoundrc in a temporary HOME works for the first test only:
// libasound reads the user's configuration once per process.)
func captureDevice(tb testing.TB) (device, path string) {
	tb.Helper()
	path = filepath.Join(tb.TempDir(), "capture.raw")
	return `file:FILE="` + path + `",FORMAT=raw`, path
}

// readS16 reads a capture of interleaved stereo S16_LE samples.
func readS16(tb testing.TB, path string) [][2]int16 {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	if len(b)%4 != 0 {
		tb.Fatalf("capture is %d bytes, not whole stereo S16 frames", len(b))
	}
	out := make([][2]int16, len(b)/4)
	for i := range out {
		out[i][0] = int16(binary.LittleEndian.Uint16(b[4*i:]))
		out[i][1] = int16(binary.LittleEndian.Uint16(b[4*i+2:]))
	}
	return out
}

// openALSA opens device at testRate and closes it at the end of the test.
func openALSA(tb testing.TB, device string) *ALSA {
	tb.Helper()
	a, err := NewALSA(device, testRate)
	if err != nil {
		tb.Fatalf("NewALSA(%q): %v", device, err)
	}
	tb.Cleanup(func() { a.Close() })
	return a
}

func TestALSA_Write_Capture(t *testing.T) {
	needALSA(t)
	dev, path := captureDevice(t)
	a := openALSA(t, dev)
	amp := math.Pow(10, -6.0/20)
	src := sine(testRate, testRate, 1000, amp) // 1 s, 1 kHz, −6 dBFS; right = −left
	writeBlocks(t, a, src, 1024)
	if err := a.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	got := readS16(t, path)
	if len(got) != len(src) {
		t.Fatalf("captured %d frames, want %d", len(got), len(src))
	}
	var peak float64
	for i, f := range got {
		want := [2]int16{s16(src[i][0]), s16(src[i][1])}
		if f != want {
			t.Fatalf("frame %d = %v, want %v", i, f, want)
		}
		peak = max(peak, math.Abs(float64(f[0]))/32767)
	}
	if db := 20 * math.Log10(peak); math.Abs(db-(-6)) > 0.01 {
		t.Errorf("peak %.3f dBFS, want −6 ±0.01", db)
	}
	if hz := zeroCrossingHz(got, testRate); math.Abs(hz-1000) > 1 {
		t.Errorf("frequency by zero crossings %.1f Hz, want 1000 ±1", hz)
	}
	if n := a.Underruns(); n != 0 {
		t.Errorf("Underruns() = %d, want 0", n)
	}
}

// zeroCrossingHz estimates the left channel's frequency from the spacing of
// its first and last sign changes.
func zeroCrossingHz(f [][2]int16, rate int) float64 {
	first, last, n := -1, -1, 0
	prev := int16(0)
	for i, s := range f {
		if s[0] == 0 {
			continue
		}
		if prev != 0 && (prev < 0) != (s[0] < 0) {
			if first < 0 {
				first = i
			}
			last = i
			n++
		}
		prev = s[0]
	}
	if n < 2 {
		return 0
	}
	return float64(n-1) / 2 / (float64(last-first) / float64(rate))
}

func TestALSA_Write_Clamps(t *testing.T) {
	needALSA(t)
	dev, path := captureDevice(t)
	a := openALSA(t, dev)
	in := [][2]float64{{1.5, -1.5}, {math.NaN(), math.Inf(1)}, {1, -1}, {0.25, -0.25}, {1e-6, -1e-6}}
	want := [][2]int16{{32767, -32767}, {0, 32767}, {32767, -32767}, {8192, -8192}, {0, 0}}
	if err := a.Write(in); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	got := readS16(t, path)
	if len(got) != len(want) {
		t.Fatalf("captured %d frames, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("frame %d (%v) = %v, want %v", i, in[i], got[i], want[i])
		}
	}
}

func TestNewALSA_NoDevice(t *testing.T) {
	needALSA(t)
	for _, dev := range []string{"nosuchdevice", "hw:99,0"} {
		a, err := NewALSA(dev, testRate)
		if err == nil {
			a.Close()
			t.Fatalf("NewALSA(%q) opened a device that does not exist", dev)
		}
		t.Logf("NewALSA(%q): %v", dev, err)
		if msg := err.Error(); !strings.Contains(msg, `alsa: open "`+dev+`": `) {
			t.Errorf("NewALSA(%q) error %q, want it to name the device", dev, msg)
		}
	}
	// ALSA reports an unknown PCM name as ENOENT, whose text ("No such file
	// or directory") the sink replaces.
	if _, err := NewALSA("nosuchdevice", testRate); err == nil || !strings.Contains(err.Error(), "no such PCM device or card") {
		t.Errorf("NewALSA(nosuchdevice) error %v, want \"no such PCM device or card\"", err)
	}
}

func TestNewALSA_InvalidRate(t *testing.T) {
	if _, err := NewALSA("null", 0); err == nil || !strings.Contains(err.Error(), "invalid rate") {
		t.Errorf("NewALSA(null, 0) error %v, want invalid rate", err)
	}
}

func TestOpenALSALib_Missing(t *testing.T) {
	_, err := openALSALib("libattune-missing.so.2")
	if !errors.Is(err, errNoLibasound) {
		t.Fatalf("got %v, want %v", err, errNoLibasound)
	}
	if !strings.Contains(err.Error(), "libasound.so.2 not found: install libasound2") {
		t.Errorf("error %q does not say what to install", err)
	}
}

// TestNewALSA_QuietStderr checks that ALSA's own diagnostics ("ALSA lib
// pcm.c:…: Unknown PCM …") do not reach the process's stderr.
func TestNewALSA_QuietStderr(t *testing.T) {
	needALSA(t)
	f, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	saved, err := syscall.Dup(2)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Dup3(int(f.Fd()), 2, 0); err != nil {
		t.Fatal(err)
	}
	_, openErr := NewALSA("nosuchdevice", testRate)
	if err := syscall.Dup3(saved, 2, 0); err != nil {
		t.Fatal(err)
	}
	syscall.Close(saved)
	if openErr == nil {
		t.Fatal("NewALSA(nosuchdevice) succeeded")
	}
	if b, _ := os.ReadFile(f.Name()); len(b) != 0 {
		t.Errorf("ALSA wrote to stderr: %q", b)
	}
}

func TestALSA_Close(t *testing.T) {
	needALSA(t)
	a := openALSA(t, "null")
	for i := range 2 {
		if err := a.Close(); err != nil {
			t.Errorf("Close #%d: %v", i+1, err)
		}
	}
	if err := a.Write(make([][2]float64, 10)); !errors.Is(err, ErrClosed) {
		t.Errorf("Write after Close: %v, want ErrClosed", err)
	}
}

func TestALSA_Reopen(t *testing.T) {
	needALSA(t)
	dev, path := captureDevice(t)
	a := openALSA(t, dev)
	writeBlocks(t, a, sine(300, testRate, 1000, 0.5), 100)
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if err := a.Reopen(); err != nil {
		t.Fatalf("Reopen after Close: %v", err)
	}
	writeBlocks(t, a, sine(200, testRate, 1000, 0.5), 100)
	if err := a.Reopen(); err != nil {
		t.Fatalf("Reopen while open: %v", err)
	}
	writeBlocks(t, a, sine(100, testRate, 1000, 0.5), 100)
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	// The file PCM truncates its file when opened: what is left is what the
	// last opening wrote.
	if got := readS16(t, path); len(got) != 100 {
		t.Errorf("captured %d frames after the last Reopen, want 100", len(got))
	}
}

func TestALSA_Write_NoAllocs(t *testing.T) {
	needALSA(t)
	if raceEnabled {
		// purego.SyscallN takes its argument block from a sync.Pool, which
		// the race detector makes drop items at random.
		t.Skip("skipping under -race: sync.Pool drops items at random there")
	}
	a := openALSA(t, "null")
	block := sine(1024, testRate, 1000, 0.5)
	if n := totalAllocs(200, func() {
		if err := a.Write(block); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("200 Writes allocated %d times, want 0", n)
	}
}

func benchmarkALSA(b *testing.B, device string) {
	needALSA(b)
	a := openALSA(b, device)
	block := sine(1024, testRate, 1000, 0.5)
	b.ReportAllocs()
	b.SetBytes(int64(len(block)) * 4)
	for b.Loop() {
		if err := a.Write(block); err != nil {
			b.Fatal(err)
		}
	}
	reportRealtime(b, len(block))
}

// BenchmarkALSA_Write_null measures conversion plus the libasound call path
// (the null PCM discards without pacing).
func BenchmarkALSA_Write_null(b *testing.B) { benchmarkALSA(b, "null") }

// BenchmarkALSA_Write_file adds the file plugin writing the samples to disk.
func BenchmarkALSA_Write_file(b *testing.B) {
	dev, _ := captureDevice(b)
	benchmarkALSA(b, dev)
}

// fakePCM plays a script of libasound return codes to Write: each writei
// returns the next of writes (a frame count, or a negative errno), each wait
// the next of waits; recover succeeds. What writei accepts is kept.
type fakePCM struct {
	writes   []int64
	waits    []int32
	recovers []int32 // the errors recover was asked to recover from
	frames   []int16 // interleaved samples accepted
}

func (f *fakePCM) writei(_ *callArgs, _ uintptr, buf []int16, frames int) int64 {
	if len(f.writes) == 0 {
		panic("fakePCM: writei called more often than scripted")
	}
	n := f.writes[0]
	f.writes = f.writes[1:]
	if n > int64(frames) {
		n = int64(frames)
	}
	if n > 0 {
		f.frames = append(f.frames, buf[:2*n]...)
	}
	return n
}

func (f *fakePCM) wait(*callArgs, uintptr, int) int32 {
	if len(f.waits) == 0 {
		panic("fakePCM: wait called more often than scripted")
	}
	rc := f.waits[0]
	f.waits = f.waits[1:]
	return rc
}

func (f *fakePCM) recover(_ *callArgs, _ uintptr, err int32) int32 {
	f.recovers = append(f.recovers, err)
	return 0
}

// Write counts an underrun whether writei or wait reports it (-EPIPE),
// recovers and writes the rest of the block; other recoverable errors are
// not underruns. No sound card or libasound is needed.
func TestALSA_Write_CountsUnderruns(t *testing.T) {
	const errnoESTRPIPE = 86 // suspended: recovered, not an underrun
	fake := &fakePCM{
		writes: []int64{
			40, -errnoEPIPE, 1000, // block 1: underrun after 40 frames
			0, 1000, // block 2: device full; wait reports an underrun
			-errnoEAGAIN, 1000, // block 3: full; wait says ready
			-errnoESTRPIPE, 1000, // block 4: suspended
		},
		waits: []int32{-errnoEPIPE, 1},
	}
	a := &ALSA{pcmIO: fake, device: "fake", rate: testRate, pcm: 1, buf: make([]int16, 2*alsaPrealloc)}
	var want []int16
	for i := range 4 {
		block := sine(100, testRate, 1000+100*float64(i), 0.5)
		if err := a.Write(block); err != nil {
			t.Fatalf("Write %d: %v", i+1, err)
		}
		for _, f := range block {
			want = append(want, s16(f[0]), s16(f[1]))
		}
	}
	if got := a.Underruns(); got != 2 {
		t.Errorf("Underruns() = %d, want 2", got)
	}
	if fmt.Sprint(fake.recovers) != fmt.Sprint([]int32{-errnoEPIPE, -errnoEPIPE, -errnoESTRPIPE}) {
		t.Errorf("recovered from %v, want [-EPIPE -EPIPE -ESTRPIPE]", fake.recovers)
	}
	if len(fake.frames) != len(want) {
		t.Fatalf("device got %d samples, want %d: no frame lost or repeated across recovery", len(fake.frames), len(want))
	}
	for i := range want {
		if fake.frames[i] != want[i] {
			t.Fatalf("sample %d = %d, want %d", i, fake.frames[i], want[i])
		}
	}
	if len(fake.writes) != 0 || len(fake.waits) != 0 {
		t.Errorf("script left over: writes %v, waits %v", fake.writes, fake.waits)
	}
}

// The engine reports the speaker's underruns through this method set.
var _ interface{ Underruns() int64 } = (*ALSA)(nil)
