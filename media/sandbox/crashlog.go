package sandbox

import (
	"bytes"
	"strings"
	"sync"
)

// Bounds of what a crashLog keeps.
const (
	crashLineMax = 512      // bytes of one line; the rest of a longer line is dropped
	crashScanMax = 64 << 10 // bytes per file scanned for a headline; later output is not scanned
)

// crashLog receives a child's stdout and stderr. It keeps, since the last
// reset, the first line that looks like the headline of a Go crash ("fatal
// error: …", "panic: …", "SIGSEGV: …") and the last line of output (each cut
// to crashLineMax bytes), in bounded memory however much the child prints. A Go crash prints the headline first
// and then goroutine dumps that can run to megabytes, so keeping only the tail
// would lose the reason.
type crashLog struct {
	mu       sync.Mutex // protects the fields below
	headline string
	last     string
	line     []byte // the line being received, at most crashLineMax bytes
	scanned  int    // bytes received since reset
}

// Write implements io.Writer; it never fails.
func (l *crashLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		chunk := p
		if i >= 0 {
			chunk = p[:i]
		}
		if room := crashLineMax - len(l.line); len(chunk) > room {
			chunk = chunk[:room]
		}
		l.line = append(l.line, chunk...)
		if i < 0 {
			break
		}
		l.endLine()
		p = p[i+1:]
	}
	l.scanned += n
	return n, nil
}

// endLine files the line received so far. l.mu must be held.
func (l *crashLog) endLine() {
	line := strings.TrimSpace(string(l.line))
	l.line = l.line[:0]
	if line == "" {
		return
	}
	l.last = line
	if l.headline == "" && l.scanned < crashScanMax && isHeadline(line) {
		l.headline = line
	}
}

// isHeadline reports whether line starts the report of a fatal error.
func isHeadline(line string) bool {
	for _, prefix := range [...]string{"fatal error: ", "panic: ", "SIGSEGV", "SIGBUS", "SIGILL", "SIGFPE", "SIGABRT", "SIGTRAP"} {
		if strings.HasPrefix(line, prefix) {
			return true
		}
	}
	return false
}

// reset forgets everything: a new file is about to be probed.
func (l *crashLog) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.headline, l.last, l.line, l.scanned = "", "", l.line[:0], 0
}

// reason describes why the child died, given how it exited (e.g. "exit
// status 2" or "signal: segmentation fault"): the crash headline if there is
// one, else the exit and the last line the child printed.
func (l *crashLog) reason(exit string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.line) > 0 {
		l.endLine() // output that did not end with a newline
	}
	if l.headline != "" {
		return l.headline
	}
	if l.last != "" {
		return exit + "; last output: " + l.last
	}
	return exit
}
