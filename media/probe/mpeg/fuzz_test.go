package mpeg

import (
	"bytes"
	"errors"
	"testing"

	"attune/media"
)

// FuzzParse feeds Parse arbitrary files: it must not panic, must return
// either a consistent Info or an error matching media.ErrInvalid (a
// read error does not, and bytes.Reader never fails).
func FuzzParse(f *testing.F) {
	for _, name := range []string{"cbr-info.mp3", "vbr-xing.mp3", "cbr-noxing.mp3", "mpeg2-22k-mono.mp3", "tagged-v2v1-ape.mp3", "layer2.mp2"} {
		f.Add(readFixture(f, name))
	}
	f.Add(cat(id3v2(4, 20, true), frames(f, hdrL3v25, 3), []byte("LYRICSBEGINxLYRICSEND")))
	f.Add(cat(frames(f, hdrL1, 2), []byte("APETAGEX"), make([]byte, 24)))
	f.Fuzz(func(t *testing.T, data []byte) {
		info, err := parseBytes(data)
		if err != nil {
			if !errors.Is(err, media.ErrInvalid) {
				t.Fatalf("Parse error %q (%T) is not media.ErrInvalid", err, err)
			}
			return
		}
		checkInvariants(t, "fuzz input", info, int64(len(data)))
	})
}

// BenchmarkParse measures a 10 MB CBR file (a frame walk over ~9,600
// frames) and a short fixture (the per-file cost of probing a library).
func BenchmarkParse(b *testing.B) {
	big := cat(id3v2(4, 30000, false), frames(b, 0xFFFBE000 /* 320 kbit/s */, 9600), []byte("TAG"), make([]byte, 125))
	short := readFixture(b, "tagged-v2v1-ape.mp3")
	for _, bc := range []struct {
		name string
		data []byte
	}{{"10MB", big}, {"short", short}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.data)))
			r := bytes.NewReader(bc.data)
			for b.Loop() {
				if _, err := Parse(r, int64(len(bc.data))); err != nil {
					b.Fatalf("Parse: %v", err)
				}
			}
		})
	}
}
