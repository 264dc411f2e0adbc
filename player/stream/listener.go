package stream

import (
	"errors"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"
)

// listener is one HTTP client of a Stream.
type listener struct {
	ready chan struct{} // capacity 1: bytes were queued
	gone  chan struct{} // closed by the Stream when it drops or ends the listener

	// mu protects q and rc. Write holds it only to copy a block in; the
	// handler only to copy bytes out.
	mu sync.Mutex
	q  byteRing
	rc *http.ResponseController // set while the handler runs; abort uses it
}

// push queues p and wakes the handler. It reports false, queueing nothing, if
// p does not fit: the listener has fallen behind.
func (l *listener) push(p []byte) bool {
	l.mu.Lock()
	if l.q.free() < len(p) {
		l.mu.Unlock()
		return false
	}
	l.q.write(p)
	l.mu.Unlock()
	select {
	case l.ready <- struct{}{}:
	default:
	}
	return true
}

// pull moves queued bytes into p and returns how many.
func (l *listener) pull(p []byte) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.q.read(p)
}

// abort makes a write that is blocked on the listener's connection fail now,
// so its handler returns. gone must already be closed.
func (l *listener) abort() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.rc != nil {
		_ = l.rc.SetWriteDeadline(time.Now())
	}
}

// arm sets the deadline for the handler's next write, unless the listener
// has been ended, in which case it reports false. Holding mu orders it with
// abort, so a write never outlives Close by more than a moment.
func (l *listener) arm(timeout time.Duration) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	select {
	case <-l.gone:
		return false
	default:
	}
	_ = l.rc.SetWriteDeadline(time.Now().Add(timeout))
	return true
}

// join registers a new listener whose queue starts with the burst: the most
// recent audio from a frame boundary. It returns nil after Close.
func (s *Stream) join(rc *http.ResponseController) *listener {
	l := &listener{
		ready: make(chan struct{}, 1),
		gone:  make(chan struct{}),
		q:     newByteRing(s.queueBytes + s.burstBytes),
		rc:    rc,
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	oldest := s.total - int64(s.hist.n) // first byte still in the history
	start := s.total
	found := false
	for i := 0; i < s.starts.n; i++ {
		off := s.starts.at(i)
		if off < oldest {
			continue
		}
		start, found = off, true
		if off >= s.total-int64(s.burstBytes) {
			break
		}
	}
	if !found {
		start = oldest // nothing encoded yet, or less than one header
	}
	back := int(s.total - start)
	l.q.n = s.hist.peek(l.q.buf[:back], back)
	if l.q.n > 0 {
		l.ready <- struct{}{}
	}
	s.listeners = append(s.listeners, l)
	s.stats.Joined++
	s.handlers.Add(1)
	return l
}

// ServeHTTP streams the room's MP3 to one listener until the client goes
// away, falls behind, or the Stream is closed. It answers GET (and HEAD with
// the headers only) with an endless audio/mpeg body without Content-Length,
// as Icecast does; Range requests (Safari probes with one) get the same
// whole-stream 200 response, which is what players expect of a live stream.
func (s *Stream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "audio/mpeg")
	h.Set("Cache-Control", "no-store")
	h.Set("icy-br", strconv.Itoa(s.cfg.Bitrate))
	if s.cfg.Name != "" {
		h.Set("icy-name", s.cfg.Name)
	}
	if r.Method == http.MethodHead {
		w.WriteHeader(http.StatusOK)
		return
	}
	rc := http.NewResponseController(w)
	l := s.join(rc)
	if l == nil {
		h.Del("icy-br")
		h.Del("icy-name")
		http.Error(w, "stream closed", http.StatusServiceUnavailable)
		return
	}
	defer s.handlers.Done()
	defer func() {
		l.mu.Lock()
		l.rc = nil
		l.mu.Unlock()
	}()
	w.WriteHeader(http.StatusOK)
	if err := rc.Flush(); err != nil {
		s.remove(l, false)
		return
	}
	buf := make([]byte, 16<<10)
	for {
		select {
		case <-r.Context().Done():
			s.remove(l, false)
			return
		case <-l.gone:
			return
		case <-l.ready:
		}
		for {
			n := l.pull(buf)
			if n == 0 {
				break
			}
			if !l.arm(s.writeTimeout) {
				return
			}
			if _, err := w.Write(buf[:n]); err != nil {
				s.remove(l, errors.Is(err, os.ErrDeadlineExceeded))
				return
			}
		}
		if err := rc.Flush(); err != nil {
			s.remove(l, errors.Is(err, os.ErrDeadlineExceeded))
			return
		}
	}
}
