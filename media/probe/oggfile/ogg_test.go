package oggfile

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gopxl/beep/v2/vorbis"

	"attune/media"
	"attune/media/mediatest"
)

func readFixture(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func parseBytes(b []byte) (Info, error) {
	return Parse(bytes.NewReader(b), int64(len(b)))
}

// pageStarts returns the byte offset of every page in a valid file.
func pageStarts(tb testing.TB, b []byte) []int {
	tb.Helper()
	var offs []int
	for off := 0; off < len(b); {
		if string(b[off:off+4]) != "OggS" {
			tb.Fatalf("no page at byte %d", off)
		}
		offs = append(offs, off)
		n := int(b[off+26])
		size := headerLen + n
		for _, l := range b[off+headerLen : off+headerLen+n] {
			size += int(l)
		}
		off += size
	}
	return offs
}

// page builds one Ogg page holding whole packets, with a valid CRC.
func page(serial, seq uint32, flags byte, granule int64, packets ...[]byte) []byte {
	var seg, body []byte
	for _, p := range packets {
		n := len(p)
		for ; n >= 255; n -= 255 {
			seg = append(seg, 255)
		}
		seg = append(seg, byte(n))
		body = append(body, p...)
	}
	h := make([]byte, headerLen, headerLen+len(seg)+len(body))
	copy(h, "OggS")
	h[5] = flags
	binary.LittleEndian.PutUint64(h[6:], uint64(granule))
	binary.LittleEndian.PutUint32(h[14:], serial)
	binary.LittleEndian.PutUint32(h[18:], seq)
	h[26] = byte(len(seg))
	h = append(append(h, seg...), body...)
	binary.LittleEndian.PutUint32(h[22:], crcUpdate(0, h))
	return h
}

func vorbisID(channels byte, rate uint32) []byte {
	b := make([]byte, 30)
	copy(b, "\x01vorbis")
	b[11] = channels
	binary.LittleEndian.PutUint32(b[12:], rate)
	binary.LittleEndian.PutUint32(b[20:], 64000)
	b[28] = 0xB8 // block sizes 256 and 2048
	b[29] = 1
	return b
}

func TestParse_Fixtures(t *testing.T) {
	tests := []struct {
		file                    string
		codec                   string
		rate, channels, preSkip int
		samples                 int64
	}{
		{"sine-22k-mono.ogg", CodecVorbis, 22050, 1, 0, 11025},
		{"sine-44k-stereo.ogg", CodecVorbis, 44100, 2, 0, 22050},
		{"sine-48k.opus", CodecOpus, 48000, 2, 312, 24000},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			b := readFixture(t, tt.file)
			got, err := parseBytes(b)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got.Codec != tt.codec || got.SampleRate != tt.rate || got.Channels != tt.channels {
				t.Errorf("got %s %d Hz %d ch, want %s %d Hz %d ch", got.Codec, got.SampleRate, got.Channels, tt.codec, tt.rate, tt.channels)
			}
			if got.Samples != tt.samples || got.PreSkip != tt.preSkip {
				t.Errorf("Samples, PreSkip = %d, %d, want %d, %d", got.Samples, got.PreSkip, tt.samples, tt.preSkip)
			}
			if want := int(float64(len(b)) * 8 * float64(tt.rate) / float64(tt.samples)); got.BitRate != want {
				t.Errorf("BitRate = %d, want %d", got.BitRate, want)
			}
			if tt.codec != CodecVorbis {
				return
			}
			s, _, err := vorbis.Decode(nopCloser{bytes.NewReader(b)})
			if err != nil {
				t.Fatalf("beep vorbis.Decode: %v", err)
			}
			var n int64
			buf := make([][2]float64, 1024)
			for {
				k, ok := s.Stream(buf)
				n += int64(k)
				if !ok {
					break
				}
			}
			if n != got.Samples {
				t.Errorf("beep decodes %d samples, Parse says %d", n, got.Samples)
			}
		})
	}
}

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }

func TestParse_Errors(t *testing.T) {
	good := readFixture(t, "sine-44k-stereo.ogg")
	starts := pageStarts(t, good)
	last := starts[len(starts)-1]
	flipped := bytes.Clone(good)
	flipped[len(flipped)-5] ^= 1
	other := readFixture(t, "sine-22k-mono.ogg")

	const serial = 7
	id := vorbisID(2, 44100)
	comment := []byte("\x03vorbis\x00\x00\x00\x00\x00\x00\x00\x00\x01")
	setup := []byte("\x05vorbis setup")
	noSetup := append(page(serial, 0, flagBOS, 0, id), page(serial, 1, flagEOS, 0, comment)...)
	gap := append(page(serial, 0, flagBOS, 0, id), page(serial, 1, 0, 0, comment, setup)...)
	gap = append(gap, page(serial, 3, flagEOS, 100, []byte{0})...)
	badID := vorbisID(0, 44100)
	zeroChannels := append(page(serial, 0, flagBOS, 0, badID), page(serial, 1, flagEOS, 0, comment, setup)...)
	version := bytes.Clone(good)
	version[4] = 1

	tests := []struct {
		name string
		b    []byte
		kind error
		want string
	}{
		{"random bytes", []byte(strings.Repeat("not ogg at all ", 10)), media.ErrInvalid, "not an Ogg file: no OggS capture pattern at byte 0"},
		{"empty", nil, media.ErrInvalid, "not an Ogg file"},
		{"cut in a page", good[:len(good)-10], media.ErrInvalid, "truncated: the page at byte"},
		{"cut at a page boundary", good[:last], media.ErrInvalid, "truncated: the last page at byte"},
		{"flipped byte", flipped, media.ErrInvalid, "corrupt page at byte " + strconv.Itoa(last) + ": CRC-32 mismatch"},
		{"chained", append(bytes.Clone(good), other...), media.ErrUnsupported, "unsupported: chained or multiplexed Ogg streams"},
		{"missing setup", noSetup, media.ErrInvalid, "missing Vorbis setup header"},
		{"sequence gap", gap, media.ErrInvalid, "has sequence number 3, want 2"},
		{"zero channels", zeroChannels, media.ErrInvalid, "invalid Vorbis identification header: 0 channels"},
		{"version 1", version, media.ErrInvalid, "unknown Ogg version 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseBytes(tt.b)
			mediatest.CheckError(t, err, tt.kind, tt.want)
		})
	}
}

func TestParse_SyntheticVorbis(t *testing.T) {
	const serial = 42
	long := bytes.Repeat([]byte{0xAB}, 600) // spans segments of 255
	b := page(serial, 0, flagBOS, 0, vorbisID(1, 8000))
	b = append(b, page(serial, 1, 0, 0, append([]byte("\x03vorbis"), long...), []byte("\x05vorbis"))...)
	b = append(b, page(serial, 2, 0, 4000, []byte{0}, []byte{0})...)
	b = append(b, page(serial, 3, flagEOS, 8123, []byte{0})...)
	got, err := parseBytes(b)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if got.Codec != CodecVorbis || got.Samples != 8123 || got.Pages != 4 || got.NominalBitRate != 64000 {
		t.Errorf("got codec %s, %d samples, %d pages, %d b/s; want vorbis, 8123, 4, 64000", got.Codec, got.Samples, got.Pages, got.NominalBitRate)
	}
}

func TestParse_Damaged(t *testing.T) {
	good := readFixture(t, "sine-22k-mono.ogg")
	for n := 0; n < len(good); n += 5 {
		if _, err := parseBytes(good[:n]); err == nil {
			t.Errorf("Parse(first %d of %d bytes): nil error, want truncation", n, len(good))
		}
	}
	for i := 0; i < len(good); i += 3 {
		b := bytes.Clone(good)
		b[i] ^= 0x5A
		if _, err := parseBytes(b); err == nil {
			t.Errorf("Parse(byte %d flipped): nil error, want a CRC or structure error", i)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"sine-22k-mono.ogg", "sine-48k.opus"} {
		b := readFixture(f, name)
		f.Add(b)
		f.Add(b[:len(b)/2])
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		info, err := parseBytes(b)
		if err != nil {
			return
		}
		if info.Pages == 0 || info.Samples < 0 || info.Codec == "" {
			t.Errorf("accepted file with Pages=%d Samples=%d Codec=%q", info.Pages, info.Samples, info.Codec)
		}
	})
}

func BenchmarkParse(b *testing.B) {
	data := readFixture(b, "sine-44k-stereo.ogg")
	r := bytes.NewReader(data)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse(r, int64(len(data))); err != nil {
			b.Fatal(err)
		}
	}
}
