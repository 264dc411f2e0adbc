package flacfile

import (
	"bytes"
	"math"
	"testing"

	beepflac "github.com/gopxl/beep/v2/flac"
	"github.com/mewkiz/flac"
	"github.com/mewkiz/flac/frame"
	"github.com/mewkiz/flac/meta"

	"attune/media"
	"attune/media/mediatest"
)

type fixture struct {
	rate, channels, bps int
	samples, blockSize  int
	variable            bool
	blocks              []*meta.Block
}

// makeFLAC encodes a sine of f.samples frames with mewkiz/flac.
func makeFLAC(tb testing.TB, f fixture) []byte {
	tb.Helper()
	info := &meta.StreamInfo{
		BlockSizeMin:  uint16(f.blockSize),
		BlockSizeMax:  uint16(f.blockSize),
		SampleRate:    uint32(f.rate),
		NChannels:     uint8(f.channels),
		BitsPerSample: uint8(f.bps),
	}
	out := &mediatest.Buffer{}
	enc, err := flac.NewEncoder(out, info, f.blocks...)
	if err != nil {
		tb.Fatalf("NewEncoder: %v", err)
	}
	amp := float64(int(1)<<(f.bps-1)-1) * 0.5
	for off := 0; off < f.samples; off += f.blockSize {
		n := min(f.blockSize, f.samples-off)
		fr := &frame.Frame{Header: frame.Header{
			HasFixedBlockSize: !f.variable,
			BlockSize:         uint16(n),
			SampleRate:        uint32(f.rate),
			Channels:          frame.Channels(f.channels - 1),
			BitsPerSample:     uint8(f.bps),
		}}
		for c := range f.channels {
			s := make([]int32, n)
			for i := range s {
				s[i] = int32(amp * math.Sin(2*math.Pi*float64((c+1)*440*(off+i))/float64(f.rate)))
			}
			fr.Subframes = append(fr.Subframes, &frame.Subframe{SubHeader: frame.SubHeader{Pred: frame.PredVerbatim}, Samples: s, NSamples: n})
		}
		if err := enc.WriteFrame(fr); err != nil {
			tb.Fatalf("WriteFrame: %v", err)
		}
	}
	if err := enc.Close(); err != nil {
		tb.Fatalf("Close: %v", err)
	}
	return out.Bytes()
}

func stereo16() fixture {
	return fixture{rate: 44100, channels: 2, bps: 16, samples: 10000, blockSize: 4096}
}

func parseBytes(b []byte) (Info, error) {
	return Parse(bytes.NewReader(b), int64(len(b)))
}

// beepSamples decodes b with the engine's decoder and counts sample frames.
func beepSamples(tb testing.TB, b []byte) int64 {
	tb.Helper()
	s, _, err := beepflac.Decode(bytes.NewReader(b))
	if err != nil {
		tb.Fatalf("beep flac.Decode: %v", err)
	}
	var n int64
	buf := make([][2]float64, 4096)
	for {
		k, ok := s.Stream(buf)
		n += int64(k)
		if !ok {
			break
		}
	}
	if err := s.Err(); err != nil {
		tb.Fatalf("beep stream: %v", err)
	}
	return n
}

func TestParse_Sines(t *testing.T) {
	tests := []struct {
		name string
		f    fixture
	}{
		{"16-bit stereo 44.1k", stereo16()},
		{"24-bit mono 48k", fixture{rate: 48000, channels: 1, bps: 24, samples: 24000, blockSize: 4608}},
		{"8-bit stereo", fixture{rate: 22050, channels: 2, bps: 8, samples: 5000, blockSize: 1152}},
		{"8 channels", fixture{rate: 44100, channels: 8, bps: 16, samples: 9000, blockSize: 4096}},
		{"variable block size", fixture{rate: 44100, channels: 2, bps: 16, samples: 10000, blockSize: 1000, variable: true}},
		{"one short frame", fixture{rate: 8000, channels: 1, bps: 16, samples: 100, blockSize: 4096}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := makeFLAC(t, tt.f)
			got, err := parseBytes(b)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got.SampleRate != tt.f.rate || got.Channels != tt.f.channels || got.BitDepth != tt.f.bps {
				t.Errorf("format = %d Hz %d ch %d bit, want %d Hz %d ch %d bit",
					got.SampleRate, got.Channels, got.BitDepth, tt.f.rate, tt.f.channels, tt.f.bps)
			}
			if got.Samples != int64(tt.f.samples) {
				t.Errorf("Samples = %d, want %d", got.Samples, tt.f.samples)
			}
			if wantFrames := (tt.f.samples + tt.f.blockSize - 1) / tt.f.blockSize; got.Frames != wantFrames {
				t.Errorf("Frames = %d, want %d", got.Frames, wantFrames)
			}
			if got.VariableBlocks != tt.f.variable {
				t.Errorf("VariableBlocks = %v, want %v", got.VariableBlocks, tt.f.variable)
			}
			wantRate := int(float64(len(b)) * 8 * float64(tt.f.rate) / float64(tt.f.samples))
			if got.BitRate != wantRate {
				t.Errorf("BitRate = %d, want %d", got.BitRate, wantRate)
			}
			if got.MD5 == [16]byte{} {
				t.Errorf("MD5 is zero, want the encoder's sum")
			}
			if n := beepSamples(t, b); n != got.Samples {
				t.Errorf("beep decodes %d samples, Parse says %d", n, got.Samples)
			}
		})
	}
}

func TestParse_Picture(t *testing.T) {
	f := stereo16()
	pic := &meta.Picture{Type: 3, MIME: "image/png", Desc: "cover", Width: 1, Height: 1, Depth: 24, Data: []byte("\x89PNG fake")}
	length := 8*4 + len(pic.MIME) + len(pic.Desc) + len(pic.Data)
	f.blocks = []*meta.Block{{Header: meta.Header{Type: meta.TypePicture, Length: int64(length)}, Body: pic}}
	got, err := parseBytes(makeFLAC(t, f))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if !got.HasPicture {
		t.Errorf("HasPicture = false, want true")
	}
}

func TestParse_Errors(t *testing.T) {
	good := makeFLAC(t, stereo16())
	info, err := parseBytes(good)
	if err != nil {
		t.Fatalf("Parse(good): %v", err)
	}
	mid := int(info.AudioOffset) + (len(good)-int(info.AudioOffset))/2
	flipped := bytes.Clone(good)
	flipped[mid] ^= 0x10
	wrongTotal := bytes.Clone(good)
	wrongTotal[4+4+17]++ // low byte of the 36-bit total in STREAMINFO
	badRate := bytes.Clone(good)
	badRate[8+10], badRate[8+11], badRate[8+12] = 0, 0, badRate[8+12]&0x0F
	id3 := append([]byte("ID3\x03\x00\x00\x00\x00\x00\x0a"), make([]byte, 10)...)
	id3 = append(id3, good...)

	tests := []struct {
		name string
		b    []byte
		kind error
		want string
	}{
		{"not flac", []byte("this is not audio\n"), media.ErrInvalid, "not a FLAC file: no fLaC marker at byte 0"},
		{"empty", nil, media.ErrInvalid, "not a FLAC file"},
		{"cut in STREAMINFO", good[:20], media.ErrInvalid, "truncated: metadata block STREAMINFO at byte 4 claims 34 bytes"},
		{"cut after marker", good[:4], media.ErrInvalid, "truncated: the file ends at byte 4 inside the metadata"},
		{"no frames", good[:info.AudioOffset], media.ErrInvalid, "no audio frames"},
		{"cut in audio", good[:mid], media.ErrInvalid, "truncated: STREAMINFO says 10000 samples, the file ends inside the frame"},
		{"flipped byte", flipped, media.ErrInvalid, "CRC-16 mismatch"},
		{"wrong total", wrongTotal, media.ErrInvalid, "STREAMINFO says 10001 samples, the frames hold 10000"},
		{"rate 0", badRate, media.ErrInvalid, "invalid STREAMINFO: sample rate 0"},
		{"ID3v2 before marker", id3, media.ErrUnsupported, "unsupported FLAC feature: ID3v2 tag (20 bytes) before the fLaC marker"},
		{"bare frames", good[info.AudioOffset:], media.ErrUnsupported, "unsupported FLAC feature: no fLaC marker"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseBytes(tt.b)
			mediatest.CheckError(t, err, tt.kind, tt.want)
		})
	}
}

func TestParse_UnknownTotal(t *testing.T) {
	b := makeFLAC(t, stereo16())
	// Zero the 36-bit total: the low 4 bits of byte 13 and bytes 14–17 of
	// STREAMINFO (which starts at byte 8).
	b[8+13] &^= 0x0F
	b[8+14], b[8+15], b[8+16], b[8+17] = 0, 0, 0, 0
	got, err := parseBytes(b)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if got.Samples != 10000 {
		t.Errorf("Samples = %d, want 10000 from the frames", got.Samples)
	}
}

func TestParse_ID3v1Trailer(t *testing.T) {
	b := makeFLAC(t, stereo16())
	tag := make([]byte, 128)
	copy(tag, "TAGtitle")
	got, err := parseBytes(append(b, tag...))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if got.Samples != 10000 {
		t.Errorf("Samples = %d, want 10000", got.Samples)
	}
}

// TestParse_Damaged truncates and flips bytes all over a valid file: Parse
// must never panic, and must reject every truncation.
func TestParse_Damaged(t *testing.T) {
	good := makeFLAC(t, fixture{rate: 8000, channels: 1, bps: 16, samples: 3000, blockSize: 1000})
	for n := 0; n < len(good); n += 7 {
		if _, err := parseBytes(good[:n]); err == nil {
			t.Errorf("Parse(first %d of %d bytes): nil error, want truncation", n, len(good))
		}
	}
	for i := 0; i < len(good); i += 3 {
		b := bytes.Clone(good)
		b[i] ^= 0xA5
		_, _ = parseBytes(b) // must not panic
	}
}

func FuzzParse(f *testing.F) {
	good := makeFLAC(f, fixture{rate: 8000, channels: 2, bps: 16, samples: 600, blockSize: 256})
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add(append([]byte("ID3\x04\x00\x00\x00\x00\x00\x00"), good...))
	f.Fuzz(func(t *testing.T, b []byte) {
		info, err := parseBytes(b)
		if err != nil {
			return
		}
		if info.Samples <= 0 || info.SampleRate <= 0 || info.Frames <= 0 || info.AudioOffset >= int64(len(b)) {
			t.Errorf("accepted file with Samples=%d SampleRate=%d Frames=%d AudioOffset=%d (size %d)",
				info.Samples, info.SampleRate, info.Frames, info.AudioOffset, len(b))
		}
	})
}

func BenchmarkParse(b *testing.B) {
	data := makeFLAC(b, fixture{rate: 44100, channels: 2, bps: 16, samples: 44100 * 30, blockSize: 4096})
	r := bytes.NewReader(data)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse(r, int64(len(data))); err != nil {
			b.Fatal(err)
		}
	}
}
