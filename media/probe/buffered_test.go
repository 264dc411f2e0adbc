package probe

import (
	"bytes"
	"io"
	"math/rand/v2"
	"testing"
)

// BufferedReader must read exactly like a bytes.Reader over the same data,
// whatever mix of small reads, large reads and seeks a decoder makes.
func TestBufferedReader_matchesBytesReader(t *testing.T) {
	data := make([]byte, 300_000)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range data {
		data[i] = byte(rng.IntN(256))
	}
	want := bytes.NewReader(data)
	got := NewBufferedReader(bytes.NewReader(data))
	for step := range 5000 {
		switch op := rng.IntN(10); {
		case op < 2:
			off, whence := int64(rng.IntN(len(data)+100)), io.SeekStart
			if op == 1 {
				off, whence = -int64(rng.IntN(1000)), io.SeekEnd
			}
			p1, err1 := want.Seek(off, whence)
			p2, err2 := got.Seek(off, whence)
			if p1 != p2 || (err1 == nil) != (err2 == nil) {
				t.Fatalf("step %d: Seek(%d, %d) = %d, %v; want %d, %v", step, off, whence, p2, err2, p1, err1)
			}
		default:
			n := rng.IntN(200)
			if op == 9 {
				n = 70_000 + rng.IntN(50_000) // larger than the buffer
			}
			b1, b2 := make([]byte, n), make([]byte, n)
			n1, err1 := io.ReadFull(want, b1)
			n2, err2 := io.ReadFull(got, b2)
			if n1 != n2 || !bytes.Equal(b1[:n1], b2[:n2]) || (err1 == nil) != (err2 == nil) {
				t.Fatalf("step %d: read %d bytes = %d, %v; want %d, %v", step, n, n2, err2, n1, err1)
			}
		}
	}
}
