// Package stream serves a room's mix as an endless live MP3 stream over HTTP,
// the kind a tablet plays with a plain <audio> element (iPad Safari included).
//
// A Stream is one of the engine's sinks: Write encodes each block once, with
// LAME (libmp3lame, loaded at run time so CGO_ENABLED=0 builds keep working and
// the LGPL library stays a separate, replaceable file), and copies the MP3
// bytes into a bounded queue per listener. Write never waits for a listener:
// a listener whose queue is full, or whose connection stops taking bytes for
// Config.WriteTimeout, is disconnected and counted in Stats.Dropped, and the
// engine and the other listeners carry on.
//
// The HTTP side is Stream.ServeHTTP. Each listener runs in its own request
// goroutine (owned by net/http); the package starts no goroutines of its own.
// A new listener starts on an MP3 frame boundary, with up to Config.Burst of
// the most recent audio so players start at once.
package stream

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

// Defaults for the zero fields of Config.
const (
	DefaultBitrate = 256             // kb/s
	DefaultQuality = 3               // LAME's -q: 0 best/slowest … 9 worst/fastest
	DefaultQueue   = 4 * time.Second // per-listener backlog before it is dropped
	DefaultBurst   = time.Second     // recent audio sent to a new listener
)

// ErrClosed is returned by Write after Close.
var ErrClosed = errors.New("stream: closed")

// chunkFrames is how many frames Write hands LAME per call: four MP3 frames,
// so a block of any size is encoded from fixed, preallocated buffers.
const chunkFrames = 4 * 1152

// Config describes a stream. Only SampleRate is required.
type Config struct {
	// SampleRate is the engine rate of the blocks given to Write, in Hz.
	SampleRate int
	// Bitrate is the constant MP3 bitrate in kb/s; 0 means DefaultBitrate.
	// LAME's level is exact (±0.01 dB on a −6 dBFS 1 kHz sine) from 256 kb/s
	// up, but 0.27 dB low at 192 and 0.45 dB low at 128 and 160.
	Bitrate int
	// Quality is LAME's algorithm quality, 1 (best, slowest) to 9; 0 means
	// DefaultQuality.
	Quality int
	// Name is sent to listeners as the icy-name header when not empty.
	Name string
	// Queue is how much audio a listener may fall behind before it is
	// dropped; 0 means DefaultQueue.
	Queue time.Duration
	// Burst is how much of the most recent audio a new listener receives at
	// once; 0 means DefaultBurst. It is capped at half of Queue.
	Burst time.Duration
	// WriteTimeout is how long one write to a listener's connection may take
	// before the listener is dropped; 0 means Queue. It also overrides the
	// HTTP server's own WriteTimeout, which would end an endless response.
	WriteTimeout time.Duration
}

// Stats counts a stream's listeners and output.
type Stats struct {
	Listeners int    // connected now
	Joined    uint64 // listeners accepted since New
	Dropped   uint64 // listeners disconnected for falling behind
	Left      uint64 // listeners that disconnected themselves
	Bytes     uint64 // MP3 bytes encoded since New
}

// Stream is a room's live MP3 stream: an engine sink on one side, an
// http.Handler on the other. Write and Close may be called from any
// goroutine, ServeHTTP from many; Write is meant to be called from one.
type Stream struct {
	cfg          Config
	outHz        int
	queueBytes   int
	burstBytes   int
	writeTimeout time.Duration

	// encMu serialises the encoder and its buffers between Write and Close.
	encMu sync.Mutex
	enc   *encoder // nil after Close
	pcm   []float32
	mp3   []byte

	// mu protects the fields below. Write holds it while copying a block's
	// bytes into the listeners' queues, never while encoding or doing I/O.
	mu        sync.Mutex
	closed    bool
	listeners []*listener
	frames    frameTracker
	starts    offsetRing // recent frame start offsets
	hist      byteRing   // recent MP3 bytes, for the burst on connect
	total     int64      // MP3 bytes encoded
	stats     Stats

	// handlers counts running ServeHTTP listener loops; Close waits for them.
	handlers sync.WaitGroup
}

// New loads LAME and returns a Stream encoding at cfg's settings. If LAME is
// not installed the error says so ("libmp3lame.so.0 not found: install
// libmp3lame0").
func New(cfg Config) (*Stream, error) {
	if cfg.SampleRate < 8000 || cfg.SampleRate > 192000 {
		return nil, fmt.Errorf("stream: sample rate %d Hz out of range 8000–192000", cfg.SampleRate)
	}
	if cfg.Bitrate == 0 {
		cfg.Bitrate = DefaultBitrate
	}
	if cfg.Bitrate < 32 || cfg.Bitrate > 320 {
		return nil, fmt.Errorf("stream: bitrate %d kb/s out of range 32–320", cfg.Bitrate)
	}
	if cfg.Quality == 0 {
		cfg.Quality = DefaultQuality
	}
	if cfg.Quality < 1 || cfg.Quality > 9 {
		return nil, fmt.Errorf("stream: quality %d out of range 1–9", cfg.Quality)
	}
	if cfg.Queue == 0 {
		cfg.Queue = DefaultQueue
	}
	if cfg.Queue < 100*time.Millisecond {
		return nil, fmt.Errorf("stream: queue %v too short (at least 100ms)", cfg.Queue)
	}
	if cfg.Burst == 0 {
		cfg.Burst = DefaultBurst
	}
	cfg.Burst = min(cfg.Burst, cfg.Queue/2)
	if cfg.WriteTimeout == 0 {
		cfg.WriteTimeout = cfg.Queue
	}
	enc, err := newEncoder(lameLibrary(), cfg.SampleRate, cfg.Bitrate, cfg.Quality)
	if err != nil {
		return nil, err
	}
	bytesPerSec := cfg.Bitrate * 1000 / 8
	s := &Stream{
		cfg:          cfg,
		outHz:        enc.outHz,
		queueBytes:   int(cfg.Queue.Seconds() * float64(bytesPerSec)),
		burstBytes:   int(cfg.Burst.Seconds() * float64(bytesPerSec)),
		writeTimeout: cfg.WriteTimeout,
		enc:          enc,
		pcm:          make([]float32, 2*chunkFrames),
		mp3:          make([]byte, maxMP3Bytes(chunkFrames)),
	}
	// The history holds the burst plus the largest frame (320 kb/s at
	// 8 kHz is 2880 bytes), so a frame start before the burst is at hand.
	s.hist = newByteRing(s.burstBytes + 4096)
	// At most ~42 frames a second at 48 kHz, ~70 at 8 kHz (MPEG 2.5).
	s.starts = offsetRing{buf: make([]int64, int(cfg.Burst.Seconds()*80)+8)}
	return s, nil
}

// OutputRate returns the sample rate of the MP3 stream, which is the engine
// rate when MP3 supports it and LAME's choice otherwise (e.g. 48000 for 96000).
func (s *Stream) OutputRate() int { return s.outHz }

// Paced reports false: a stream takes blocks as fast as they come.
func (s *Stream) Paced() bool { return false }

// Write encodes block (stereo frames at the engine rate, full scale ±1) and
// queues the MP3 bytes for every listener. It never waits for a listener and
// allocates nothing. It returns ErrClosed after Close.
func (s *Stream) Write(block [][2]float64) error {
	s.encMu.Lock()
	defer s.encMu.Unlock()
	if s.enc == nil {
		return ErrClosed
	}
	for len(block) > 0 {
		n := min(len(block), chunkFrames)
		pcm := s.pcm[:2*n]
		for i, f := range block[:n] {
			pcm[2*i] = float32(f[0])
			pcm[2*i+1] = float32(f[1])
		}
		m, err := s.enc.encode(pcm, n, s.mp3)
		if err != nil {
			return fmt.Errorf("stream: encode %d frames: %w", n, err)
		}
		s.publish(s.mp3[:m])
		block = block[n:]
	}
	return nil
}

// publish records p in the history and copies it to every listener's queue,
// dropping listeners whose queue is full.
func (s *Stream) publish(p []byte) {
	if len(p) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.frames.scan(p, &s.starts)
	s.hist.write(p)
	s.total += int64(len(p))
	s.stats.Bytes += uint64(len(p))
	for i := 0; i < len(s.listeners); {
		l := s.listeners[i]
		if l.push(p) {
			i++
			continue
		}
		s.removeLocked(i)
		s.stats.Dropped++
	}
}

// Stats returns the stream's counters.
func (s *Stream) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Listeners = len(s.listeners)
	return st
}

// Listeners returns how many listeners are connected.
func (s *Stream) Listeners() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.listeners)
}

// Close disconnects every listener, waits for their request handlers to
// return, and frees the encoder. The stream ends where it is: a live stream
// has no tail to flush. Close is idempotent.
func (s *Stream) Close() error {
	s.encMu.Lock()
	if s.enc != nil {
		s.enc.close()
		s.enc = nil
	}
	s.encMu.Unlock()

	s.mu.Lock()
	s.closed = true
	for len(s.listeners) > 0 {
		l := s.listeners[0]
		s.removeLocked(0)
		l.abort()
	}
	s.mu.Unlock()
	s.handlers.Wait()
	return nil
}

// removeLocked removes listener i and tells its handler to stop. s.mu is held.
func (s *Stream) removeLocked(i int) {
	l := s.listeners[i]
	last := len(s.listeners) - 1
	s.listeners[i] = s.listeners[last]
	s.listeners[last] = nil
	s.listeners = s.listeners[:last]
	close(l.gone)
}

// remove removes l if it is still listening and counts why.
func (s *Stream) remove(l *listener, dropped bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, x := range s.listeners {
		if x == l {
			s.removeLocked(i)
			if dropped {
				s.stats.Dropped++
			} else {
				s.stats.Left++
			}
			return
		}
	}
}
