package mpeg

import (
	"bytes"
	"encoding/binary"
	"io"
	"testing"

	"github.com/gopxl/beep/v2/mp3"
)

// decodeGoMP3 decodes an MP3 with beep (go-mp3) and returns its left channel.
func decodeGoMP3(tb testing.TB, data []byte) []float64 {
	tb.Helper()
	s, _, err := mp3.Decode(io.NopCloser(bytes.NewReader(data)))
	if err != nil {
		tb.Fatalf("mp3.Decode: %v", err)
	}
	defer s.Close()
	var out []float64
	buf := make([][2]float64, 4096)
	for {
		n, ok := s.Stream(buf)
		for _, x := range buf[:n] {
			out = append(out, x[0])
		}
		if !ok {
			break
		}
	}
	if err := s.Err(); err != nil {
		tb.Fatalf("mp3 stream: %v", err)
	}
	return out
}

// maxDiff is the largest difference between got[at:] and the s16 samples ref.
func maxDiff(got []float64, at int64, ref []byte) float64 {
	n := int64(len(ref) / 2)
	if at < 0 || at+n > int64(len(got)) {
		return 1
	}
	var m float64
	for i := range n {
		d := got[at+i] - float64(int16(binary.LittleEndian.Uint16(ref[2*i:])))/32768
		m = max(m, d, -d)
	}
	return m
}

// TestInfo_GoMP3Alignment checks the documented convention against go-mp3
// and ffmpeg: go-mp3's output holds ffmpeg's (trimmed) decode exactly at
// [LeadingSamples, LeadingSamples+Samples).
func TestInfo_GoMP3Alignment(t *testing.T) {
	const tolerance = 0.002 // two decoders, rounding apart
	for _, name := range []string{"cbr-info", "vbr-xing", "mpeg2-22k-mono"} {
		t.Run(name, func(t *testing.T) {
			data := readFixture(t, name+".mp3")
			ref := readFixture(t, name+".ffmpeg.s16")
			head, tail := ref[:len(ref)/2], ref[len(ref)/2:]
			info, err := parseBytes(data)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			got := decodeGoMP3(t, data)
			if want := (info.Frames + 1) * int64(info.SamplesPerFrame); int64(len(got)) != want {
				t.Errorf("go-mp3 decoded %d samples, want (Frames+1)*SamplesPerFrame = %d", len(got), want)
			}
			lead := info.LeadingSamples()
			if d := maxDiff(got, lead, head); d > tolerance {
				t.Errorf("go-mp3 output at LeadingSamples()=%d differs from ffmpeg's first samples by %.4f", lead, d)
			}
			for _, off := range []int64{-1, 1} {
				if d := maxDiff(got, lead+off, head); d <= tolerance {
					t.Errorf("go-mp3 output at %d also matches ffmpeg's first samples (%.4f): the test cannot tell", lead+off, d)
				}
			}
			last := lead + info.Samples - int64(len(tail)/2)
			if d := maxDiff(got, last, tail); d > tolerance {
				t.Errorf("go-mp3 output at LeadingSamples()+Samples-%d=%d differs from ffmpeg's last samples by %.4f", len(tail)/2, last, d)
			}
		})
	}
}
