package mpeg

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"attune/media"
	"attune/media/mediatest"
)

// readFixture returns a file from testdata.
func readFixture(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatalf("read fixture: %v", err)
	}
	return b
}

// parseBytes runs Parse on an in-memory file.
func parseBytes(b []byte) (Info, error) {
	return Parse(bytes.NewReader(b), int64(len(b)))
}

// Frame headers used to build synthetic streams; lengths are in TestParseHeader.
const (
	hdrL3v1   = 0xFFFB9000 // MPEG-1 Layer III, 128 kbit/s, 44.1 kHz, stereo: 417 bytes
	hdrL3v1P  = 0xFFFB9200 // the same, padded: 418 bytes
	hdrL3v1b  = 0xFFFBB000 // MPEG-1 Layer III, 192 kbit/s, 44.1 kHz: 626 bytes
	hdrL1     = 0xFFFF44C0 // MPEG-1 Layer I, 128 kbit/s, 48 kHz, mono: 128 bytes
	hdrL3v25  = 0xFFE38000 // MPEG-2.5 Layer III, 64 kbit/s, 11.025 kHz: 417 bytes
	hdrL3v2   = 0xFFF38000 // MPEG-2 Layer III, 64 kbit/s, 22.05 kHz: 208 bytes
	hdrL3v1k  = 0xFFFB9400 // MPEG-1 Layer III, 128 kbit/s, 48 kHz: 384 bytes
	hdrBadBR  = 0xFFFBF000 // bitrate index 15
	hdrFree   = 0xFFFB0000 // free format
	hdrBadSR  = 0xFFFB9C00 // sample rate index 3
	hdrBadVer = 0xFFEB9000 // reserved version
)

// frames returns n frames with header hdr and zero bodies.
func frames(tb testing.TB, hdr uint32, n int) []byte {
	tb.Helper()
	var hb [4]byte
	binary.BigEndian.PutUint32(hb[:], hdr)
	h, ok := parseHeader(hb[:])
	if !ok {
		tb.Fatalf("header %08X is not valid", hdr)
	}
	f := make([]byte, h.length)
	copy(f, hb[:])
	return bytes.Repeat(f, n)
}

// id3v2 returns an ID3v2 tag of the given version with a body of n zero
// bytes, and a footer when footer is set.
func id3v2(version byte, n int, footer bool) []byte {
	b := []byte{'I', 'D', '3', version, 0, 0, byte(n >> 21 & 0x7F), byte(n >> 14 & 0x7F), byte(n >> 7 & 0x7F), byte(n & 0x7F)}
	if footer {
		b[5] = 0x10
	}
	b = append(b, make([]byte, n)...)
	if footer {
		f := append([]byte{}, b[:10]...)
		copy(f, "3DI")
		b = append(b, f...)
	}
	return b
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func TestParseHeader_Lengths(t *testing.T) {
	tests := []struct {
		hdr                              uint32
		version, layer, rate, ch, length int
		spf                              int
	}{
		{hdrL3v1, version1, 3, 44100, 2, 417, 1152},
		{hdrL3v1P, version1, 3, 44100, 2, 418, 1152},
		{hdrL3v1b, version1, 3, 44100, 2, 626, 1152},
		{hdrL1, version1, 1, 48000, 1, 128, 384},
		{hdrL3v25, version25, 3, 11025, 2, 417, 576},
		{hdrL3v2, version2, 3, 22050, 2, 208, 576},
		{hdrL3v1k, version1, 3, 48000, 2, 384, 1152},
		{0xFFFD4000, version1, 2, 44100, 2, 208, 1152},  // Layer II 64 kbit/s
		{0xFFF5E800, version2, 2, 16000, 2, 1440, 1152}, // MPEG-2 Layer II 160 kbit/s
	}
	for _, tt := range tests {
		var b [4]byte
		binary.BigEndian.PutUint32(b[:], tt.hdr)
		h, ok := parseHeader(b[:])
		if !ok {
			t.Errorf("parseHeader(%08X): not valid, want valid", tt.hdr)
			continue
		}
		if h.version != tt.version || h.layer != tt.layer || h.sampleRate != tt.rate || h.channels != tt.ch || h.length != tt.length || h.samples != tt.spf {
			t.Errorf("parseHeader(%08X) = %+v, want version %d layer %d rate %d channels %d length %d spf %d",
				tt.hdr, h, tt.version, tt.layer, tt.rate, tt.ch, tt.length, tt.spf)
		}
	}
	for _, bad := range []uint32{hdrBadBR, hdrFree, hdrBadSR, hdrBadVer, 0xFFF90000 /* layer 0 */, 0xFFE00000, 0x12345678} {
		var b [4]byte
		binary.BigEndian.PutUint32(b[:], bad)
		if h, ok := parseHeader(b[:]); ok {
			t.Errorf("parseHeader(%08X) = %+v, valid; want invalid", bad, h)
		}
	}
}

func TestParse_Fixtures(t *testing.T) {
	tests := []struct {
		file string
		want Info
	}{
		{"cbr-info.mp3", Info{Version: "1", Layer: 3, SampleRate: 44100, Channels: 2, SamplesPerFrame: 1152, Frames: 21,
			EncoderDelay: 576, Padding: 1566, Samples: 22050, BitRate: 63991, Tag: "info", AudioStart: 0, AudioEnd: 4596}},
		{"vbr-xing.mp3", Info{Version: "1", Layer: 3, SampleRate: 44100, Channels: 2, SamplesPerFrame: 1152, Frames: 21,
			EncoderDelay: 576, Padding: 1566, Samples: 22050, BitRate: 38704, VBR: true, Tag: "xing", AudioStart: 0, AudioEnd: 3071}},
		{"cbr-noxing.mp3", Info{Version: "1", Layer: 3, SampleRate: 44100, Channels: 2, SamplesPerFrame: 1152, Frames: 21,
			Samples: 24192, BitRate: 31995, AudioStart: 0, AudioEnd: 2194}},
		{"mpeg2-22k-mono.mp3", Info{Version: "2", Layer: 3, SampleRate: 22050, Channels: 1, SamplesPerFrame: 576, Frames: 22,
			EncoderDelay: 576, Padding: 1071, Samples: 11025, BitRate: 63992, Tag: "info", AudioStart: 0, AudioEnd: 4805}},
		{"tagged-v2v1-ape.mp3", Info{Version: "1", Layer: 3, SampleRate: 44100, Channels: 2, SamplesPerFrame: 1152, Frames: 21,
			EncoderDelay: 576, Padding: 1566, Samples: 22050, BitRate: 63991, Tag: "info", AudioStart: 127, AudioEnd: 4723}},
		{"layer2.mp2", Info{Version: "1", Layer: 2, SampleRate: 44100, Channels: 2, SamplesPerFrame: 1152, Frames: 20,
			Samples: 23040, BitRate: 63990, AudioStart: 0, AudioEnd: 4179}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := parseBytes(readFixture(t, tt.file))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got != tt.want {
				t.Errorf("Parse =\n %+v\nwant\n %+v", got, tt.want)
			}
		})
	}
}

// wantErr checks that err matches media.ErrInvalid and that its text
// starts with prefix.
func wantErr(tb testing.TB, err error, prefix string) {
	tb.Helper()
	mediatest.CheckError(tb, err, media.ErrInvalid, prefix)
	if !strings.HasPrefix(err.Error(), prefix) {
		tb.Errorf("Parse error = %q, want prefix %q", err, prefix)
	}
}

func TestParse_Errors(t *testing.T) {
	cbr := readFixture(t, "cbr-info.mp3")
	noxing := readFixture(t, "cbr-noxing.mp3")
	junk := bytes.Repeat([]byte{0x55}, 20000)
	patched := append([]byte{}, cbr...)
	binary.BigEndian.PutUint32(patched[36+8:], 1000) // Xing frame count

	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "no MPEG audio frames found"},
		{"text", []byte("hello, this is not an mp3 file at all\n"), "no MPEG audio frames found"},
		{"only ID3v2", id3v2(3, 100, false), "no MPEG audio frames found"},
		{"ID3v2 past EOF", cat(id3v2(4, 5000, false)[:50], noxing), "truncated inside the ID3v2 tag"},
		{"second ID3v2 past EOF", cat(id3v2(3, 10, false), id3v2(4, 5000, false)[:60]), "truncated inside the ID3v2 tag"},
		{"FLAC", cat([]byte("fLaC"), frames(t, hdrL1, 10)), "no MPEG audio frames found: the data starts like FLAC"},
		{"only the Info frame", cbr[:208], "no MPEG audio frames found"},
		{"Xing promises more", patched, "truncated: the Xing header promises 1000 frames, the file holds 21"},
		{"half of a Xing file", cbr[:len(cbr)/2], "truncated: the Xing header promises 21 frames, the file holds 10"},
		{"last frame cut", noxing[:len(noxing)-50], "truncated: last frame at byte 2090 needs 104 bytes, 54 remain"},
		{"big junk in the middle", cat(noxing[:1045], junk, noxing[1045:]), "corrupt: no valid MPEG frame between byte 1045 and 21045"},
		{"big junk before the first frame", cat(junk, noxing), "corrupt: no valid MPEG frame between byte 0 and 20000"},
		{"big junk at the end", cat(noxing, junk), "corrupt: no valid MPEG frame between byte 2194 and 22194"},
		{"Layer I then Layer III", cat(frames(t, hdrL1, 3), junk, frames(t, hdrL3v1, 3)), "corrupt: no valid MPEG frame between byte 384 and 21635"},
		{"invalid headers only", bytes.Repeat([]byte{0xFF, 0xFB, 0xF0, 0x00}, 500), "no MPEG audio frames found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseBytes(tt.data)
			wantErr(t, err, tt.want)
		})
	}
}

func TestParse_Recovers(t *testing.T) {
	noxing := readFixture(t, "cbr-noxing.mp3") // 21 frames of 104 or 105 bytes; frame 10 starts at byte 1045
	flipped := append([]byte{}, noxing...)
	flipped[1045] = 0x00 // break one frame's sync

	tests := []struct {
		name       string
		data       []byte
		frames     int64
		start, end int64
	}{
		{"small junk in the middle", cat(noxing[:1045], bytes.Repeat([]byte{0xFF}, 3000), noxing[1045:]), 21, 0, 2194 + 3000},
		{"junk before the first frame", cat(bytes.Repeat([]byte{0}, 500), noxing), 21, 500, 2694},
		{"a broken frame header", flipped, 20, 0, 2194},
		{"last frame short by 3 bytes", noxing[:len(noxing)-3], 20, 0, 2090},
		{"several ID3v2 tags and a footer", cat(id3v2(3, 40, false), id3v2(4, 30, true), id3v2(2, 5, false), noxing), 21, 10 + 40 + 10 + 30 + 10 + 10 + 5, 10 + 40 + 10 + 30 + 10 + 10 + 5 + 2194},
		{"ID3v2 between frames", cat(noxing[:1045], id3v2(4, 50000, false), noxing[1045:]), 21, 0, 2194 + 50010},
		{"appended ID3v2 with footer", cat(noxing, id3v2(4, 50000, true)), 21, 0, 2194},
		{"Lyrics3v2 and ID3v1", cat(noxing, []byte("LYRICSBEGININD00003abc000020LYRICS200"), []byte("TAG"), make([]byte, 125)), 21, 0, 2194},
		{"Lyrics3v1", cat(noxing, []byte("LYRICSBEGINsome words LYRICSEND")), 21, 0, 2194},
		{"single frame", frames(t, hdrL3v1, 1), 1, 0, 417},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseBytes(tt.data)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got.Frames != tt.frames || got.AudioStart != tt.start || got.AudioEnd != tt.end {
				t.Errorf("Parse: frames %d, audio [%d,%d); want %d, [%d,%d)", got.Frames, got.AudioStart, got.AudioEnd, tt.frames, tt.start, tt.end)
			}
		})
	}
}

func TestParse_Synthetic(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want Info
	}{
		{"MPEG-2.5", frames(t, hdrL3v25, 10), Info{Version: "2.5", Layer: 3, SampleRate: 11025, Channels: 2, SamplesPerFrame: 576,
			Frames: 10, Samples: 5760, BitRate: 63853, AudioEnd: 4170}},
		{"Layer I mono", frames(t, hdrL1, 6), Info{Version: "1", Layer: 1, SampleRate: 48000, Channels: 1, SamplesPerFrame: 384,
			Frames: 6, Samples: 2304, BitRate: 128000, AudioEnd: 768}},
		{"bitrate changes", cat(frames(t, hdrL3v1, 2), frames(t, hdrL3v1b, 2), frames(t, hdrL3v1P, 1)), Info{Version: "1", Layer: 3,
			SampleRate: 44100, Channels: 2, SamplesPerFrame: 1152, Frames: 5, Samples: 5760, BitRate: 153370, VBR: true, AudioEnd: 2504}},
		{"other-rate frames are junk", cat(frames(t, hdrL3v1, 3), frames(t, hdrL3v1k, 2), frames(t, hdrL3v1, 3)), Info{Version: "1", Layer: 3,
			SampleRate: 44100, Channels: 2, SamplesPerFrame: 1152, Frames: 6, Samples: 6912, BitRate: 127706, AudioEnd: 3270}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseBytes(tt.data)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got != tt.want {
				t.Errorf("Parse =\n %+v\nwant\n %+v", got, tt.want)
			}
		})
	}
}

func TestParse_XingCountOff(t *testing.T) {
	cbr := readFixture(t, "cbr-info.mp3")
	for _, tt := range []struct {
		claim, want int64
	}{
		{21, 21}, // exact
		{22, 21}, // walk finds 95.4%: trust the walk
		{10, 21}, // the file holds more than the header says: trust the walk
	} {
		b := append([]byte{}, cbr...)
		binary.BigEndian.PutUint32(b[36+8:], uint32(tt.claim))
		got, err := parseBytes(b)
		if err != nil {
			t.Fatalf("Parse with a claim of %d frames: %v", tt.claim, err)
		}
		if got.Frames != tt.want {
			t.Errorf("Parse with a claim of %d frames: Frames = %d, want %d", tt.claim, got.Frames, tt.want)
		}
	}
}

func TestInfo_LeadingSamples(t *testing.T) {
	tests := []struct {
		info Info
		want int64
	}{
		{Info{SamplesPerFrame: 1152, Tag: "info", EncoderDelay: 576, Padding: 1566}, 1152 + 576 + 529},
		{Info{SamplesPerFrame: 576, Tag: "xing", EncoderDelay: 576, Padding: 1071}, 576 + 576 + 529},
		{Info{SamplesPerFrame: 1152, Tag: "vbri"}, 1152},
		{Info{SamplesPerFrame: 1152}, 0},
	}
	for _, tt := range tests {
		if got := tt.info.LeadingSamples(); got != tt.want {
			t.Errorf("%+v.LeadingSamples() = %d, want %d", tt.info, got, tt.want)
		}
	}
}

// failingReader fails every read after the first limit bytes.
type failingReader struct {
	data  []byte
	limit int64
}

func (f failingReader) ReadAt(p []byte, off int64) (int, error) {
	if off+int64(len(p)) > f.limit {
		return 0, fmt.Errorf("disk on fire")
	}
	return copy(p, f.data[off:]), nil
}

func TestParse_ReadError(t *testing.T) {
	data := cat(frames(t, hdrL3v1, 400)) // bigger than one chunk
	_, err := Parse(failingReader{data: data, limit: chunkSize + 1000}, int64(len(data)))
	if err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("Parse error = %v, want the read error", err)
	}
	if errors.Is(err, media.ErrInvalid) {
		t.Errorf("Parse error %q matches media.ErrInvalid; a read error is not the file's fault", err)
	}
	// A file shorter than its claimed size.
	_, err = Parse(bytes.NewReader(data[:1000]), int64(len(data)))
	if err == nil {
		t.Fatalf("Parse of a short reader: no error")
	}
}

func TestParse_BigFileChunks(t *testing.T) {
	// Frames crossing many chunk boundaries, with an odd frame length.
	data := cat(id3v2(3, 1000, false), frames(t, hdrL3v1P, 3000), []byte("TAG"), make([]byte, 125))
	got, err := parseBytes(data)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if got.Frames != 3000 || got.AudioStart != 1010 || got.AudioEnd != 1010+3000*418 {
		t.Errorf("Parse: frames %d, audio [%d,%d); want 3000, [1010,%d)", got.Frames, got.AudioStart, got.AudioEnd, 1010+3000*418)
	}
}
