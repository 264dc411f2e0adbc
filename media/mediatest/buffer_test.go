package mediatest

import (
	"io"
	"testing"
)

func TestBuffer_Seek(t *testing.T) {
	var b Buffer
	write := func(s string) {
		t.Helper()
		if n, err := b.Write([]byte(s)); n != len(s) || err != nil {
			t.Fatalf("Write(%q) = %d, %v; want %d, nil", s, n, err, len(s))
		}
	}
	seek := func(off int64, whence int, want int64) {
		t.Helper()
		if got, err := b.Seek(off, whence); got != want || err != nil {
			t.Fatalf("Seek(%d, %d) = %d, %v; want %d, nil", off, whence, got, err, want)
		}
	}
	write("RIFF....WAVE")
	seek(4, io.SeekStart, 4)
	write("size") // a header rewritten in place
	seek(0, io.SeekEnd, 12)
	write("data")
	seek(-2, io.SeekCurrent, 14)
	write("TA!")
	seek(2, io.SeekEnd, 19)
	write("x") // past the end: a gap of zeros
	if got, want := string(b.Bytes()), "RIFFsizeWAVEdaTA!\x00\x00x"; got != want {
		t.Errorf("Bytes = %q, want %q", got, want)
	}
	if _, err := b.Seek(-1, io.SeekStart); err == nil {
		t.Errorf("Seek(-1, SeekStart): no error, want one")
	}
	if _, err := b.Seek(0, 7); err == nil {
		t.Errorf("Seek(0, 7): no error, want one")
	}
}
