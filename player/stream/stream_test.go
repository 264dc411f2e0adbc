package stream

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestNew_errors(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no rate", Config{}, "sample rate 0 Hz"},
		{"bitrate", Config{SampleRate: 48000, Bitrate: 500}, "bitrate 500"},
		{"quality", Config{SampleRate: 48000, Quality: 12}, "quality 12"},
		{"queue", Config{SampleRate: 48000, Queue: time.Millisecond}, "queue 1ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New(%+v) error = %v, want one containing %q", tt.cfg, err, tt.want)
			}
		})
	}
}

func TestNewEncoder_missingLibrary(t *testing.T) {
	_, err := newEncoder("libmp3lame-missing.so.0", 48000, 192, 3)
	want := "libmp3lame-missing.so.0 not found: install libmp3lame0"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("newEncoder(missing) error = %v, want one containing %q", err, want)
	}
}

// collect encodes seconds of g through s and returns the MP3 bytes, read
// through a listener registered before the first Write.
func collect(t *testing.T, s *Stream, g *sine, seconds float64) []byte {
	t.Helper()
	l := s.join(nil)
	var out []byte
	buf := make([]byte, 64<<10)
	block := make([][2]float64, 1000)
	for range int(seconds * testRate / 1000) {
		g.fill(block)
		if err := s.Write(block); err != nil {
			t.Fatalf("Write: %v", err)
		}
		for n := l.pull(buf); n > 0; n = l.pull(buf) {
			out = append(out, buf[:n]...)
		}
	}
	if got := s.Stats().Dropped; got != 0 {
		t.Fatalf("Stats().Dropped = %d, want 0", got)
	}
	s.remove(l, false)
	s.handlers.Done()
	return out
}

// TestStream_Write_level checks the encoder's level on a −6 dBFS 1 kHz sine
// after decoding with ffmpeg. (LAME at 192 kb/s measured −0.27 dB here, and
// 128 kb/s −0.45 dB, which is why the default bitrate is 256 kb/s.)
func TestStream_Write_level(t *testing.T) {
	ffmpeg(t)
	for _, kbps := range []int{0, 320} {
		s := newTestStream(t, Config{Bitrate: kbps})
		g := &sine{hz: 1000, amp: 0.5} // −6.02 dBFS
		mp3 := collect(t, s, g, 3)
		walkFrames(t, mp3)
		if got, want := s.OutputRate(), 48000; got != want {
			t.Errorf("OutputRate() = %d, want %d", got, want)
		}
		x := decode(t, context.Background(), mp3, "", 0)
		if len(x) < 2*testRate {
			t.Fatalf("decoded %d samples, want at least %d", len(x), 2*testRate)
		}
		amp, hz := analyse(x[testRate/2 : 2*testRate])
		errDB := dB(amp / g.amp)
		t.Logf("−6 dBFS 1 kHz sine at %d kb/s: decoded level error %+.3f dB, frequency %.1f Hz", s.cfg.Bitrate, errDB, hz)
		if errDB < -0.2 || errDB > 0.2 {
			t.Errorf("%d kb/s: level error = %+.3f dB, want within ±0.2 dB", s.cfg.Bitrate, errDB)
		}
		if hz < 999 || hz > 1001 {
			t.Errorf("%d kb/s: frequency = %.1f Hz, want 1000 ±1", s.cfg.Bitrate, hz)
		}
	}
}

func TestStream_Write_noAllocs(t *testing.T) {
	s := newTestStream(t, Config{})
	var ls []*listener
	for range 3 {
		ls = append(ls, s.join(nil))
	}
	buf := make([]byte, 64<<10)
	block := make([][2]float64, 1024)
	g := &sine{hz: 440, amp: 0.3}
	g.fill(block)
	allocs := testing.AllocsPerRun(200, func() {
		if err := s.Write(block); err != nil {
			t.Fatalf("Write: %v", err)
		}
		for _, l := range ls {
			l.pull(buf)
		}
	})
	if allocs != 0 {
		t.Errorf("Write allocates %v times per call, want 0", allocs)
	}
	if got := s.Listeners(); got != 3 {
		t.Errorf("Listeners() = %d, want 3 (none dropped)", got)
	}
	for range ls {
		s.handlers.Done()
	}
}

func TestStream_Write_closed(t *testing.T) {
	s := newTestStream(t, Config{})
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
	if err := s.Write(make([][2]float64, 10)); !errors.Is(err, ErrClosed) {
		t.Errorf("Write after Close = %v, want ErrClosed", err)
	}
	if s.Paced() {
		t.Error("Paced() = true, want false")
	}
}
