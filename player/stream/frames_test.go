package stream

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestFrameLen(t *testing.T) {
	tests := []struct {
		name string
		h    [4]byte
		want int
	}{
		{"MPEG1 128k 44.1k", [4]byte{0xFF, 0xFB, 0x90, 0x44}, 417},
		{"MPEG1 128k 44.1k padded", [4]byte{0xFF, 0xFB, 0x92, 0x44}, 418},
		{"MPEG1 256k 48k", [4]byte{0xFF, 0xFB, 0xD4, 0x44}, 768},
		{"MPEG2 64k 24k", [4]byte{0xFF, 0xF3, 0x84, 0x44}, 192},
		{"MPEG2.5 8k 8k", [4]byte{0xFF, 0xE3, 0x18, 0x44}, 72},
		{"no sync", [4]byte{0xFE, 0xFB, 0x90, 0x44}, 0},
		{"Layer II", [4]byte{0xFF, 0xFD, 0x90, 0x44}, 0},
		{"free bitrate", [4]byte{0xFF, 0xFB, 0x04, 0x44}, 0},
		{"bad rate", [4]byte{0xFF, 0xFB, 0x9C, 0x44}, 0},
	}
	for _, tt := range tests {
		if got := frameLen(tt.h); got != tt.want {
			t.Errorf("%s: frameLen(% x) = %d, want %d", tt.name, tt.h, got, tt.want)
		}
	}
}

// TestFrameTracker_scan feeds real LAME output in pieces of every size and
// checks the recorded frame starts are the same as walking the whole stream.
func TestFrameTracker_scan(t *testing.T) {
	s := newTestStream(t, Config{Bitrate: 128, SampleRate: 44100}) // padded frames vary in length
	mp3 := collect(t, s, &sine{hz: 440, amp: 0.3}, 1)
	var want []int64
	for _, o := range walkFrames(t, mp3) {
		want = append(want, int64(o))
	}
	// A glitch in the middle must be skipped and sync found again.
	bad := append(append(slices.Clone(mp3[:want[3]]), 0x00, 0xFF, 0x12), mp3[want[3]:]...)
	for _, piece := range []int{1, 2, 3, 5, 417, 418, 1000, len(mp3)} {
		var f frameTracker
		r := offsetRing{buf: make([]int64, len(want)+1)}
		for p := mp3; len(p) > 0; {
			n := min(piece, len(p))
			f.scan(p[:n], &r)
			p = p[n:]
		}
		var got []int64
		for i := range r.n {
			got = append(got, r.at(i))
		}
		if !slices.Equal(got, want) {
			t.Errorf("pieces of %d: frame starts %v…, want %v…", piece, got[:min(5, len(got))], want[:5])
		}
		f = frameTracker{}
		r = offsetRing{buf: make([]int64, len(want)+1)}
		f.scan(bad, &r)
		if r.n != len(want) || r.at(4) != want[4]+3 {
			t.Errorf("after a 3-byte glitch: %d frames, 5th at %d; want %d frames, 5th at %d", r.n, r.at(4), len(want), want[4]+3)
		}
	}
}

func TestByteRing_matchesBuffer(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	r := newByteRing(97)
	var ref []byte // the last ≤97 bytes written and not read
	next := byte(0)
	for i := range 5000 {
		if rng.IntN(2) == 0 {
			p := make([]byte, rng.IntN(150))
			for j := range p {
				p[j] = next
				next++
			}
			r.write(p)
			ref = append(ref, p...)
			if len(ref) > 97 {
				ref = ref[len(ref)-97:]
			}
		} else {
			back := rng.IntN(120)
			peek := make([]byte, 120)
			n := r.peek(peek, back)
			if wantN := min(back, len(ref)); n != wantN || !bytes.Equal(peek[:n], ref[len(ref)-n:]) {
				t.Fatalf("step %d: peek(%d) = %d bytes % x, want % x", i, back, n, peek[:n], ref[len(ref)-wantN:])
			}
			p := make([]byte, rng.IntN(120))
			n = r.read(p)
			if wantN := min(len(p), len(ref)); n != wantN || !bytes.Equal(p[:n], ref[:n]) {
				t.Fatalf("step %d: read = %d bytes, want %d matching", i, n, wantN)
			}
			ref = ref[n:]
		}
		if r.n != len(ref) || r.free() != 97-len(ref) {
			t.Fatalf("step %d: ring holds %d (free %d), want %d", i, r.n, r.free(), len(ref))
		}
	}
}

// TestStream_Write_dropsFullQueue checks that a listener that takes nothing is
// dropped once its queue is full, and that Write goes on.
func TestStream_Write_dropsFullQueue(t *testing.T) {
	s := newTestStream(t, Config{Queue: time.Second})
	l := s.join(nil)
	defer s.handlers.Done()
	block := make([][2]float64, 1000)
	g := &sine{hz: 440, amp: 0.3}
	for range 3 * testRate / 1000 {
		g.fill(block)
		if err := s.Write(block); err != nil {
			t.Fatalf("Write: %v", err)
		}
	}
	select {
	case <-l.gone:
	default:
		t.Error("listener with a full queue was not ended")
	}
	if st := s.Stats(); st.Dropped != 1 || st.Listeners != 0 {
		t.Errorf("Stats() = %+v, want Dropped 1, Listeners 0", st)
	}
	// What it got stops at a whole frame: nothing after the drop.
	buf := make([]byte, 1<<20)
	n := l.pull(buf)
	if max := s.queueBytes + s.burstBytes; n == 0 || n > max {
		t.Errorf("dropped listener holds %d bytes, want 1…%d", n, max)
	}
	walkFrames(t, buf[:n])
}

// TestStream_join_burst checks a listener joining mid-stream gets about
// Config.Burst (less than a frame short) of recent audio at once, starting on a frame.
func TestStream_join_burst(t *testing.T) {
	s := newTestStream(t, Config{Burst: 500 * time.Millisecond})
	collect(t, s, &sine{hz: 440, amp: 0.3}, 2)
	l := s.join(nil)
	defer s.handlers.Done()
	buf := make([]byte, 1<<20)
	n := l.pull(buf)
	want := s.burstBytes
	if n > want || n < want-768 {
		t.Errorf("burst = %d bytes, want %d…%d (up to 0.5 s at 256 kb/s, from a frame start)", n, want-768, want)
	}
	walkFrames(t, buf[:n])
}
