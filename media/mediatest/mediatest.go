// Package mediatest provides audio test data, as net/http/httptest provides
// servers: small sines rendered to WAV (with LIST/INFO tags) and FLAC (with
// Vorbis comments), so unit tests need no committed media and no external
// tools, and the shared corpus of real files with its manifest, for the
// tests that check against them (skipped when it is absent).
package mediatest

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/mewkiz/flac"
	"github.com/mewkiz/flac/frame"
	"github.com/mewkiz/flac/meta"
)

// Tone describes a test signal: a sine at Freq Hz and Amp (0–1 of full
// scale), the same on every channel, for Samples sample frames.
type Tone struct {
	SampleRate int
	Channels   int
	BitDepth   int // 16 or 24
	Samples    int
	Freq       float64
	Amp        float64
	Tags       Tags
}

// Tags are the few tags test files carry.
type Tags struct {
	Title, Artist, Album, Genre string
	Year, Track                 int
	// TrackGain, if not "", is written as REPLAYGAIN_TRACK_GAIN (FLAC only).
	TrackGain string
}

// Sample returns channel-independent sample i of the tone as an integer at the tone's bit depth.
func (t Tone) Sample(i int) int32 {
	full := float64(int64(1)<<(t.BitDepth-1) - 1)
	return int32(math.Round(t.Amp * full * math.Sin(2*math.Pi*t.Freq*float64(i)/float64(t.SampleRate))))
}

func (t Tone) withDefaults() Tone {
	if t.SampleRate == 0 {
		t.SampleRate = 44100
	}
	if t.Channels == 0 {
		t.Channels = 2
	}
	if t.BitDepth == 0 {
		t.BitDepth = 16
	}
	if t.Freq == 0 {
		t.Freq = 440
	}
	if t.Amp == 0 {
		t.Amp = 0.5
	}
	return t
}

// WAV renders the tone as a PCM WAV file, with a LIST/INFO chunk when it has tags.
func WAV(t Tone) []byte {
	t = t.withDefaults()
	bps := t.BitDepth / 8
	data := make([]byte, 0, t.Samples*t.Channels*bps)
	for i := range t.Samples {
		s := t.Sample(i)
		for range t.Channels {
			switch bps {
			case 2:
				data = binary.LittleEndian.AppendUint16(data, uint16(int16(s)))
			case 3:
				data = append(data, byte(s), byte(s>>8), byte(s>>16))
			}
		}
	}
	var chunks bytes.Buffer
	chunks.WriteString("WAVE")
	fmtChunk := make([]byte, 16)
	binary.LittleEndian.PutUint16(fmtChunk[0:], 1)
	binary.LittleEndian.PutUint16(fmtChunk[2:], uint16(t.Channels))
	binary.LittleEndian.PutUint32(fmtChunk[4:], uint32(t.SampleRate))
	binary.LittleEndian.PutUint32(fmtChunk[8:], uint32(t.SampleRate*t.Channels*bps))
	binary.LittleEndian.PutUint16(fmtChunk[12:], uint16(t.Channels*bps))
	binary.LittleEndian.PutUint16(fmtChunk[14:], uint16(t.BitDepth))
	writeChunk(&chunks, "fmt ", fmtChunk)
	if info := infoChunk(t.Tags); info != nil {
		writeChunk(&chunks, "LIST", info)
	}
	writeChunk(&chunks, "data", data)
	var out bytes.Buffer
	out.WriteString("RIFF")
	binary.Write(&out, binary.LittleEndian, uint32(chunks.Len()))
	out.Write(chunks.Bytes())
	return out.Bytes()
}

func writeChunk(w *bytes.Buffer, id string, body []byte) {
	w.WriteString(id)
	binary.Write(w, binary.LittleEndian, uint32(len(body)))
	w.Write(body)
	if len(body)%2 == 1 {
		w.WriteByte(0)
	}
}

func infoChunk(tags Tags) []byte {
	var b bytes.Buffer
	b.WriteString("INFO")
	add := func(id, v string) {
		if v != "" {
			writeChunk(&b, id, append([]byte(v), 0))
		}
	}
	add("INAM", tags.Title)
	add("IART", tags.Artist)
	add("IPRD", tags.Album)
	add("IGNR", tags.Genre)
	if tags.Year != 0 {
		add("ICRD", fmt.Sprint(tags.Year))
	}
	if tags.Track != 0 {
		add("ITRK", fmt.Sprint(tags.Track))
	}
	if b.Len() == 4 {
		return nil
	}
	return b.Bytes()
}

// FLAC renders the tone as a FLAC file (verbatim subframes, 4096-sample
// blocks) with its tags as Vorbis comments.
func FLAC(t Tone) ([]byte, error) {
	t = t.withDefaults()
	const blockSize = 4096
	info := &meta.StreamInfo{
		BlockSizeMin:  blockSize,
		BlockSizeMax:  blockSize,
		SampleRate:    uint32(t.SampleRate),
		NChannels:     uint8(t.Channels),
		BitsPerSample: uint8(t.BitDepth),
		NSamples:      uint64(t.Samples),
	}
	var blocks []*meta.Block
	if vc := vorbisComment(t.Tags); vc != nil {
		n := 4 + len(vc.Vendor) + 4
		for _, kv := range vc.Tags {
			n += 4 + len(kv[0]) + 1 + len(kv[1])
		}
		// The encoder writes the header as given: the length is ours to set.
		blocks = append(blocks, &meta.Block{Header: meta.Header{Type: meta.TypeVorbisComment, Length: int64(n)}, Body: vc})
	}
	var out bytes.Buffer
	enc, err := flac.NewEncoder(&out, info, blocks...)
	if err != nil {
		return nil, fmt.Errorf("mediatest: new FLAC encoder: %w", err)
	}
	channels := frame.ChannelsMono
	if t.Channels == 2 {
		channels = frame.ChannelsLR
	}
	for start, num := 0, uint64(0); start < t.Samples; start, num = start+blockSize, num+1 {
		n := min(blockSize, t.Samples-start)
		samples := make([]int32, n)
		for i := range samples {
			samples[i] = t.Sample(start + i)
		}
		f := &frame.Frame{Header: frame.Header{
			HasFixedBlockSize: true,
			BlockSize:         uint16(n),
			SampleRate:        uint32(t.SampleRate),
			Channels:          channels,
			BitsPerSample:     uint8(t.BitDepth),
			Num:               num,
		}}
		for range t.Channels {
			f.Subframes = append(f.Subframes, &frame.Subframe{
				SubHeader: frame.SubHeader{Pred: frame.PredVerbatim},
				Samples:   samples,
				NSamples:  n,
			})
		}
		if err := enc.WriteFrame(f); err != nil {
			return nil, fmt.Errorf("mediatest: write FLAC frame %d: %w", num, err)
		}
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("mediatest: close FLAC encoder: %w", err)
	}
	return out.Bytes(), nil
}

func vorbisComment(tags Tags) *meta.VorbisComment {
	vc := &meta.VorbisComment{Vendor: "attune mediatest"}
	add := func(k, v string) {
		if v != "" {
			vc.Tags = append(vc.Tags, [2]string{k, v})
		}
	}
	add("TITLE", tags.Title)
	add("ARTIST", tags.Artist)
	add("ALBUM", tags.Album)
	add("GENRE", tags.Genre)
	if tags.Year != 0 {
		add("DATE", fmt.Sprint(tags.Year))
	}
	if tags.Track != 0 {
		add("TRACKNUMBER", fmt.Sprint(tags.Track))
	}
	add("REPLAYGAIN_TRACK_GAIN", tags.TrackGain)
	if len(vc.Tags) == 0 {
		return nil
	}
	return vc
}

// WriteFile writes data to dir/name, creating folders, and returns the path.
func WriteFile(tb testing.TB, dir, name string, data []byte) string {
	tb.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		tb.Fatal(err)
	}
	return p
}

// MustFLAC is FLAC for tests: it fails tb on error.
func MustFLAC(tb testing.TB, t Tone) []byte {
	tb.Helper()
	b, err := FLAC(t)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
