package sandbox

import (
	"strings"
	"testing"
)

func TestCrashLog_reason(t *testing.T) {
	dump := strings.Repeat("goroutine 1 [running]:\nmain.f()\n\t/src/main.go:12 +0x1d\n", 30000) // ~1.5 MB
	tests := []struct {
		name   string
		writes []string
		exit   string
		want   string
	}{
		{"fatal error after noise, then a dump",
			[]string{"decoder: frame 3\n", "runtime: out of memory: cannot allocate 8589934592-byte block\n", "fatal error: out of memory\n\n", dump},
			"exit status 2", "fatal error: out of memory"},
		{"headline split across writes", []string{"pan", "ic: boom\n[recov", "ered]\n"}, "exit status 2", "panic: boom"},
		{"no headline", []string{"usage: attune\n", "\n  \n"}, "exit status 2", "exit status 2; last output: usage: attune"},
		{"no output", nil, "signal: killed", "signal: killed"},
		{"last line without newline", []string{"abort"}, "signal: aborted", "signal: aborted; last output: abort"},
		{"headline after the scan limit is not taken",
			[]string{strings.Repeat("x\n", crashScanMax), "fatal error: late\n", "bye\n"}, "exit status 2", "exit status 2; last output: bye"},
		{"long line is cut", []string{"panic: " + strings.Repeat("y", 10000) + "\n"}, "exit status 2",
			"panic: " + strings.Repeat("y", crashLineMax-len("panic: "))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var l crashLog
			for _, w := range tt.writes {
				if n, err := l.Write([]byte(w)); n != len(w) || err != nil {
					t.Fatalf("Write: got %d, %v; want %d, nil", n, err, len(w))
				}
			}
			if got := l.reason(tt.exit); got != tt.want {
				t.Errorf("reason: got %.200q, want %.200q", got, tt.want)
			}
		})
	}
}

func TestCrashLog_reset(t *testing.T) {
	var l crashLog
	l.Write([]byte("panic: from the previous file\npartial"))
	l.reset()
	l.Write([]byte("fine\n"))
	if got, want := l.reason("exit status 3"), "exit status 3; last output: fine"; got != want {
		t.Errorf("reason after reset: got %q, want %q", got, want)
	}
}
