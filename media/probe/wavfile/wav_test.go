package wavfile

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/gopxl/beep/v2"
	"github.com/gopxl/beep/v2/generators"
	"github.com/gopxl/beep/v2/wav"

	"attune/media"
	"attune/media/mediatest"
)

// encodeSine writes n sample frames of a sine with beep's WAV encoder.
func encodeSine(tb testing.TB, rate, channels, precision, n int) []byte {
	tb.Helper()
	sine, err := generators.SineTone(beep.SampleRate(rate), 440)
	if err != nil {
		tb.Fatal(err)
	}
	out := &mediatest.Buffer{}
	format := beep.Format{SampleRate: beep.SampleRate(rate), NumChannels: channels, Precision: precision}
	if err := wav.Encode(out, beep.Take(n, sine), format); err != nil {
		tb.Fatalf("wav.Encode: %v", err)
	}
	return out.Bytes()
}

func parseBytes(b []byte) (Info, error) {
	return Parse(bytes.NewReader(b), int64(len(b)))
}

func beepSamples(tb testing.TB, b []byte) int64 {
	tb.Helper()
	s, _, err := wav.Decode(bytes.NewReader(b))
	if err != nil {
		tb.Fatalf("beep wav.Decode: %v", err)
	}
	var n int64
	buf := make([][2]float64, 512)
	for {
		k, ok := s.Stream(buf)
		n += int64(k)
		if !ok {
			break
		}
	}
	return n
}

func TestParse_BeepEncoded(t *testing.T) {
	tests := []struct {
		rate, channels, precision int
		codec                     string
	}{
		{8000, 1, 1, "pcm_u8"},
		{44100, 2, 2, "pcm_s16le"},
		{48000, 2, 3, "pcm_s24le"},
		{22050, 1, 2, "pcm_s16le"},
	}
	for _, tt := range tests {
		t.Run(tt.codec, func(t *testing.T) {
			const n = 1234
			b := encodeSine(t, tt.rate, tt.channels, tt.precision, n)
			got, err := parseBytes(b)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got.Codec != tt.codec || got.SampleRate != tt.rate || got.Channels != tt.channels || got.BitDepth != 8*tt.precision {
				t.Errorf("got %s %d Hz %d ch %d bit, want %s %d Hz %d ch %d bit", got.Codec, got.SampleRate, got.Channels,
					got.BitDepth, tt.codec, tt.rate, tt.channels, 8*tt.precision)
			}
			if got.Samples != n {
				t.Errorf("Samples = %d, want %d", got.Samples, n)
			}
			if want := int(float64(len(b)) * 8 * float64(tt.rate) / n); got.BitRate != want {
				t.Errorf("BitRate = %d, want %d", got.BitRate, want)
			}
			if m := beepSamples(t, b); m != got.Samples {
				t.Errorf("beep decodes %d samples, Parse says %d", m, got.Samples)
			}
		})
	}
}

// chunk encodes one RIFF chunk with its pad byte.
func chunk(id string, body []byte) []byte {
	b := append([]byte(id), 0, 0, 0, 0)
	binary.LittleEndian.PutUint32(b[4:], uint32(len(body)))
	b = append(b, body...)
	if len(body)%2 == 1 {
		b = append(b, 0)
	}
	return b
}

func riff(chunks ...[]byte) []byte {
	b := []byte("RIFF\x00\x00\x00\x00WAVE")
	for _, c := range chunks {
		b = append(b, c...)
	}
	binary.LittleEndian.PutUint32(b[4:], uint32(len(b)-8))
	return b
}

func fmtBody(tag, channels, rate, bits int) []byte {
	b := make([]byte, 16)
	align := channels * ((bits + 7) / 8)
	binary.LittleEndian.PutUint16(b[0:], uint16(tag))
	binary.LittleEndian.PutUint16(b[2:], uint16(channels))
	binary.LittleEndian.PutUint32(b[4:], uint32(rate))
	binary.LittleEndian.PutUint32(b[8:], uint32(rate*align))
	binary.LittleEndian.PutUint16(b[12:], uint16(align))
	binary.LittleEndian.PutUint16(b[14:], uint16(bits))
	return b
}

func extensible(channels, rate, bits, sub int) []byte {
	b := append(fmtBody(formatExtensible, channels, rate, bits), make([]byte, 24)...)
	binary.LittleEndian.PutUint16(b[16:], 22)
	binary.LittleEndian.PutUint16(b[18:], uint16(bits))
	binary.LittleEndian.PutUint16(b[24:], uint16(sub))
	copy(b[26:], guidSuffix)
	return b
}

func TestParse_Synthetic(t *testing.T) {
	data := chunk("data", make([]byte, 600))
	tests := []struct {
		name    string
		b       []byte
		codec   string
		samples int64
	}{
		{"extensible 24-bit", riff(chunk("fmt ", extensible(2, 48000, 24, formatPCM)), data), "pcm_s24le", 100},
		{"odd junk chunk before data", riff(chunk("fmt ", fmtBody(1, 1, 8000, 16)), chunk("junk", []byte("abc")), data), "pcm_s16le", 300},
		{"data size not a multiple of the frame", riff(chunk("fmt ", fmtBody(1, 2, 8000, 16)), chunk("data", make([]byte, 603))), "pcm_s16le", 150},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseBytes(tt.b)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got.Codec != tt.codec || got.Samples != tt.samples {
				t.Errorf("got %s, %d samples, want %s, %d", got.Codec, got.Samples, tt.codec, tt.samples)
			}
			if m := beepSamples(t, tt.b); m != got.Samples {
				t.Errorf("beep decodes %d samples, Parse says %d", m, got.Samples)
			}
		})
	}
}

func TestParse_Errors(t *testing.T) {
	good := encodeSine(t, 44100, 2, 2, 1000)
	pcm16 := chunk("fmt ", fmtBody(1, 2, 44100, 16))
	data := chunk("data", make([]byte, 400))
	hugeData := append([]byte("data\xff\xff\xff\xff"), make([]byte, 16)...)
	badAlign := fmtBody(1, 2, 44100, 16)
	badAlign[12] = 3

	tests := []struct {
		name string
		b    []byte
		kind error
		want string
	}{
		{"not wav", []byte("hello, this is text"), media.ErrInvalid, "not a WAV file: no RIFF/WAVE header"},
		{"short", []byte("RIFF"), media.ErrInvalid, "not a WAV file: 4 bytes"},
		{"truncated data", good[:len(good)-1000], media.ErrInvalid, "truncated: the data chunk claims 4000 bytes, the file holds 3000"},
		{"rf64", append([]byte("RF64"), good[4:]...), media.ErrUnsupported, "unsupported: RF64"},
		{"data size 0xFFFFFFFF", riff(pcm16, hugeData), media.ErrUnsupported, "unsupported: RF64"},
		{"float32", riff(chunk("fmt ", fmtBody(3, 2, 44100, 32)), data), media.ErrUnsupported, "unsupported WAV encoding: 32-bit IEEE float"},
		{"pcm32", riff(chunk("fmt ", fmtBody(1, 2, 44100, 32)), data), media.ErrUnsupported, "unsupported WAV encoding: 32-bit PCM"},
		{"extensible float", riff(chunk("fmt ", extensible(2, 44100, 32, formatFloat)), data), media.ErrUnsupported, "unsupported WAV encoding: 32-bit IEEE float"},
		{"ima adpcm", riff(chunk("fmt ", fmtBody(0x11, 1, 8000, 4)), data), media.ErrUnsupported, "unsupported WAV encoding: IMA ADPCM (format tag 0x0011)"},
		{"fmt after data", riff(data, pcm16), media.ErrUnsupported, "fmt chunk at byte 420 follows the data chunk"},
		{"block align", riff(chunk("fmt ", badAlign), data), media.ErrInvalid, "block align 3, want 4"},
		{"no fmt", riff(data), media.ErrInvalid, "no fmt chunk"},
		{"no data", riff(pcm16), media.ErrInvalid, "no data chunk"},
		{"empty data", riff(pcm16, chunk("data", nil)), media.ErrInvalid, "no audio"},
		{"zero channels", riff(chunk("fmt ", fmtBody(1, 0, 44100, 16)), data), media.ErrInvalid, "0 channels"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseBytes(tt.b)
			mediatest.CheckError(t, err, tt.kind, tt.want)
		})
	}
}

// id3Frame encodes an ID3v2.3 frame.
func id3Frame(id string, body []byte) []byte {
	b := append([]byte(id), 0, 0, 0, 0, 0, 0)
	binary.BigEndian.PutUint32(b[4:], uint32(len(body)))
	return append(b, body...)
}

func id3Tag(frames ...[]byte) []byte {
	var body []byte
	for _, f := range frames {
		body = append(body, f...)
	}
	n := len(body)
	h := []byte{'I', 'D', '3', 3, 0, 0, byte(n >> 21 & 0x7F), byte(n >> 14 & 0x7F), byte(n >> 7 & 0x7F), byte(n & 0x7F)}
	return append(h, body...)
}

func TestParse_Tags(t *testing.T) {
	info := []byte("INFO")
	for _, f := range [][2]string{
		{"INAM", "Caf\xe9 Title\x00"}, // Latin-1
		{"IART", "Artíst\x00\x00"},    // UTF-8
		{"IPRD", "Album"},
		{"ICRD", "2019-05-01"},
		{"IGNR", "Ambient\x00"},
		{"ICMT", "a comment"},
		{"ITRK", "3/12"},
	} {
		info = append(info, chunk(f[0], []byte(f[1]))...)
	}
	base := []byte{} // fmt and data shared by both cases
	base = append(base, chunk("fmt ", fmtBody(1, 1, 8000, 16))...)
	base = append(base, chunk("data", make([]byte, 200))...)

	t.Run("LIST INFO", func(t *testing.T) {
		got, err := parseBytes(riff(base, chunk("LIST", info)))
		if err != nil {
			t.Fatalf("Parse: %v", err)
		}
		want := media.Tags{Title: "Café Title", Artist: "Artíst", Album: "Album", Year: 2019, Genre: "Ambient",
			Comment: "a comment", Track: 3, TrackTotal: 12}
		if got.Tags != want {
			t.Errorf("Tags = %+v, want %+v", got.Tags, want)
		}
	})
	t.Run("id3 chunk wins", func(t *testing.T) {
		tag := id3Tag(
			id3Frame("TIT2", []byte("\x00ID3 Title")),
			id3Frame("TRCK", []byte("\x007/9")),
			id3Frame("APIC", []byte("\x00image/png\x00\x03\x00\x89PNG")),
		)
		got, err := parseBytes(riff(base, chunk("LIST", info), chunk("id3 ", tag)))
		if err != nil {
			t.Fatalf("Parse: %v", err)
		}
		if got.Tags.Title != "ID3 Title" || got.Tags.Track != 7 || got.Tags.TrackTotal != 9 || !got.Tags.HasPicture {
			t.Errorf("Tags = %+v, want ID3's title, track 7/9 and a picture", got.Tags)
		}
		if got.Tags.Artist != "Artíst" {
			t.Errorf("Artist = %q, want the LIST value where ID3 has none", got.Tags.Artist)
		}
	})
}

func TestParse_Damaged(t *testing.T) {
	good := encodeSine(t, 8000, 1, 2, 300)
	for n := 0; n < len(good); n += 3 {
		if _, err := parseBytes(good[:n]); err == nil {
			t.Errorf("Parse(first %d of %d bytes): nil error, want truncation", n, len(good))
		}
	}
	for i := 0; i < 44; i++ {
		b := bytes.Clone(good)
		b[i] ^= 0xFF
		_, _ = parseBytes(b) // must not panic
	}
}

func FuzzParse(f *testing.F) {
	f.Add(encodeSine(f, 8000, 2, 2, 50))
	f.Add(riff(chunk("fmt ", extensible(2, 48000, 24, formatPCM)), chunk("LIST", []byte("INFOINAM\x03\x00\x00\x00abc\x00")), chunk("data", make([]byte, 60))))
	f.Add(riff(chunk("fmt ", fmtBody(1, 1, 8000, 16)), chunk("data", make([]byte, 8)), chunk("id3 ", id3Tag(id3Frame("TIT2", []byte("\x00x"))))))
	f.Fuzz(func(t *testing.T, b []byte) {
		info, err := parseBytes(b)
		if err != nil {
			return
		}
		if info.Samples <= 0 || info.BlockAlign <= 0 || info.DataOffset+info.DataSize > int64(len(b)) {
			t.Errorf("accepted file with Samples=%d BlockAlign=%d data %d+%d (size %d)",
				info.Samples, info.BlockAlign, info.DataOffset, info.DataSize, len(b))
		}
	})
}

func BenchmarkParse(b *testing.B) {
	data := encodeSine(b, 44100, 2, 2, 44100)
	r := bytes.NewReader(data)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse(r, int64(len(data))); err != nil {
			b.Fatal(err)
		}
	}
}
