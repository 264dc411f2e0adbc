// Package wavfile checks the structure of an untrusted RIFF/WAVE file, reads
// its stream properties and its tags (LIST/INFO and an embedded ID3 chunk),
// and rejects encodings the engine's decoder (beep's wav package) cannot play.
package wavfile

import (
	"encoding/binary"
	"fmt"
	"io"

	"attune/media"
)

// Info is what Parse learns about a WAV file.
type Info struct {
	Codec      string // "pcm_u8", "pcm_s16le", "pcm_s24le", "pcm_s32le", "pcm_f32le", "pcm_f64le"
	SampleRate int    // Hz
	Channels   int
	BitDepth   int   // bits per sample as stored in the fmt chunk
	Samples    int64 // exact length in sample frames
	BitRate    int   // average bits per second over the whole file

	FormatTag  int   // 1 PCM, 3 IEEE float, 0xFFFE extensible, ...
	SubFormat  int   // for WAVE_FORMAT_EXTENSIBLE: the format tag in the sub-format GUID
	BlockAlign int   // bytes per sample frame
	DataOffset int64 // byte offset of the audio data
	DataSize   int64 // bytes of audio data

	Tags media.Tags // from LIST/INFO, overridden by an ID3 chunk where it has a value
}

const (
	formatPCM        = 1
	formatFloat      = 3
	formatExtensible = 0xFFFE
)

// guidSuffix is bytes 2–15 of every KSDATAFORMAT_SUBTYPE GUID derived from a
// format tag (00000000-0000-0010-8000-00aa00389b71 with the tag in front).
const guidSuffix = "\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"

// maxChunk is the largest chunk beep's decoder can skip (it reads chunk sizes
// as int32) and the largest data chunk it can play.
const maxChunk = 1<<31 - 1

// maxChunks bounds the chunk walk; real files have a handful.
const maxChunks = 10000

// Parse validates the WAV file in r, which is size bytes long, and returns
// its properties and tags. Errors are one line and wrap media.ErrInvalid
// (damaged, truncated, not WAV) or media.ErrUnsupported (RF64, encodings
// beep cannot decode); read failures are returned wrapped as they are. On
// error the Info holds what was read before the problem and must not be
// trusted.
func Parse(r io.ReaderAt, size int64) (Info, error) {
	var info Info
	var hdr [12]byte
	if size < 12 {
		return info, media.Invalidf("not a WAV file: %d bytes, too short for a RIFF header", max(size, 0))
	}
	if n, err := r.ReadAt(hdr[:], 0); n < len(hdr) {
		return info, fmt.Errorf("read RIFF header: %w", err)
	}
	switch {
	case string(hdr[:4]) == "RF64" || string(hdr[:4]) == "BW64":
		return info, media.Unsupportedf("unsupported: RF64")
	case string(hdr[:4]) == "RIFX":
		return info, media.Unsupportedf("unsupported WAV encoding: big-endian RIFX")
	case string(hdr[:4]) != "RIFF" || string(hdr[8:12]) != "WAVE":
		return info, media.Invalidf("not a WAV file: no RIFF/WAVE header")
	}
	end := size
	if riff := int64(binary.LittleEndian.Uint32(hdr[4:])); riff >= 4 && riff+8 < size {
		end = riff + 8 // bytes after the RIFF chunk matter only if fmt or data is missing
	}

	var fmtSeen, dataSeen bool
	var fmtSize int64
	var layout error // a valid layout beep cannot read, reported last
	var id3Off, id3Size int64 = -1, 0
	off := int64(12)
	for i := 0; off+8 <= size && (off+8 <= end || !fmtSeen || !dataSeen); i++ {
		if i == maxChunks {
			return info, media.Invalidf("more than %d chunks before byte %d", maxChunks, off)
		}
		var ch [8]byte
		if n, err := r.ReadAt(ch[:], off); n < len(ch) {
			return info, fmt.Errorf("read chunk header at byte %d: %w", off, err)
		}
		id := string(ch[:4])
		csize := int64(binary.LittleEndian.Uint32(ch[4:]))
		body := off + 8
		if id == "data" && csize == 0xFFFFFFFF {
			return info, media.Unsupportedf("unsupported: RF64")
		}
		if body+csize > size {
			if fmtSeen && dataSeen {
				break // damaged trailing metadata; the audio is whole
			}
			if id == "data" {
				return info, media.Invalidf("truncated: the data chunk claims %d bytes, the file holds %d", csize, size-body)
			}
			return info, media.Invalidf("truncated: the %q chunk at byte %d claims %d bytes, the file holds %d", id, off, csize, size-body)
		}
		if csize > maxChunk && !dataSeen && layout == nil {
			layout = media.Unsupportedf("unsupported WAV layout: the %q chunk at byte %d is over 2 GiB", id, off)
		}
		switch id {
		case "fmt ":
			if fmtSeen {
				return info, media.Invalidf("a second fmt chunk at byte %d", off)
			}
			fmtSeen, fmtSize = true, csize
			if err := parseFmt(r, body, csize, &info); err != nil {
				return info, err
			}
			if dataSeen && layout == nil {
				layout = media.Unsupportedf("unsupported WAV layout: the fmt chunk at byte %d follows the data chunk", off)
			}
		case "data":
			if !dataSeen {
				dataSeen = true
				info.DataOffset, info.DataSize = body, csize
			}
		case "LIST":
			if err := readList(r, body, csize, &info.Tags); err != nil {
				return info, err
			}
		case "id3 ", "ID3 ":
			id3Off, id3Size = body, csize
		}
		off = body + csize + csize&1
	}
	switch {
	case !fmtSeen:
		return info, media.Invalidf("no fmt chunk")
	case !dataSeen:
		return info, media.Invalidf("no data chunk")
	case info.DataSize < int64(info.BlockAlign):
		return info, media.Invalidf("no audio: the data chunk at byte %d holds %d bytes", info.DataOffset-8, info.DataSize)
	}
	if id3Off >= 0 {
		readID3(r, id3Off, id3Size, &info.Tags)
	}
	info.Samples = info.DataSize / int64(info.BlockAlign)
	if info.Samples > 0 {
		info.BitRate = int(float64(size) * 8 * float64(info.SampleRate) / float64(info.Samples))
	}
	if err := beepCanPlay(&info, fmtSize); err != nil {
		return info, err
	}
	if layout != nil {
		return info, layout
	}
	return info, nil
}

// parseFmt reads and validates the fmt chunk at body.
func parseFmt(r io.ReaderAt, body, size int64, info *Info) error {
	if size < 16 {
		return media.Invalidf("invalid fmt chunk: %d bytes, want at least 16", size)
	}
	var b [40]byte
	n := min(size, int64(len(b)))
	if k, err := r.ReadAt(b[:n], body); int64(k) < n {
		return fmt.Errorf("read fmt chunk at byte %d: %w", body, err)
	}
	info.FormatTag = int(binary.LittleEndian.Uint16(b[0:]))
	info.Channels = int(binary.LittleEndian.Uint16(b[2:]))
	info.SampleRate = int(binary.LittleEndian.Uint32(b[4:]))
	info.BlockAlign = int(binary.LittleEndian.Uint16(b[12:]))
	info.BitDepth = int(binary.LittleEndian.Uint16(b[14:]))
	format := info.FormatTag
	if format == formatExtensible {
		if size < 40 || binary.LittleEndian.Uint16(b[16:]) < 22 {
			return media.Invalidf("invalid fmt chunk: WAVE_FORMAT_EXTENSIBLE needs 40 bytes, it has %d", size)
		}
		if string(b[26:40]) != guidSuffix {
			return media.Unsupportedf("unsupported WAV encoding: extensible sub-format GUID % x", b[24:40])
		}
		info.SubFormat = int(binary.LittleEndian.Uint16(b[24:]))
		format = info.SubFormat
	}
	switch {
	case info.Channels == 0:
		return media.Invalidf("invalid fmt chunk: 0 channels")
	case info.SampleRate == 0:
		return media.Invalidf("invalid fmt chunk: sample rate 0")
	case info.BitDepth == 0:
		return media.Invalidf("invalid fmt chunk: 0 bits per sample")
	}
	switch format {
	case formatPCM:
		info.Codec = map[int]string{8: "pcm_u8", 16: "pcm_s16le", 24: "pcm_s24le", 32: "pcm_s32le"}[containerBits(info.BitDepth)]
	case formatFloat:
		info.Codec = map[int]string{32: "pcm_f32le", 64: "pcm_f64le"}[info.BitDepth]
	}
	if info.Codec == "" {
		return media.Unsupportedf("unsupported WAV encoding: %s", describe(format, info.BitDepth))
	}
	if want := info.Channels * containerBits(info.BitDepth) / 8; info.BlockAlign != want {
		return media.Invalidf("invalid fmt chunk: block align %d, want %d for %d channels of %d bits",
			info.BlockAlign, want, info.Channels, info.BitDepth)
	}
	return nil
}

// containerBits rounds a sample size up to whole bytes.
func containerBits(bits int) int { return (bits + 7) / 8 * 8 }

func describe(format, bits int) string {
	names := map[int]string{
		0x0002: "MS ADPCM", 0x0006: "A-law", 0x0007: "µ-law", 0x0011: "IMA ADPCM",
		0x0031: "GSM 6.10", 0x0050: "MPEG", 0x0055: "MP3", 0x00FF: "AAC", 0xF1AC: "FLAC",
	}
	switch format {
	case formatPCM:
		return fmt.Sprintf("%d-bit PCM", bits)
	case formatFloat:
		return fmt.Sprintf("%d-bit IEEE float", bits)
	}
	if name, ok := names[format]; ok {
		return fmt.Sprintf("%s (format tag 0x%04x)", name, format)
	}
	return fmt.Sprintf("format tag 0x%04x", format)
}

// beepCanPlay rejects valid WAV files that github.com/gopxl/beep/v2/wav
// v2.1.1 cannot decode: it reads only PCM (tag 1, or extensible with the PCM
// sub-format) of exactly 8, 16 or 24 bits, reads exactly 40 bytes of an
// extensible fmt chunk, does not skip a pad byte after an odd fmt chunk, and
// reads the data size as int32.
func beepCanPlay(info *Info, fmtSize int64) error {
	isPCM := info.FormatTag == formatPCM || info.FormatTag == formatExtensible && info.SubFormat == formatPCM
	switch {
	case !isPCM:
		return media.Unsupportedf("unsupported WAV encoding: %s", describe(formatFloat, info.BitDepth))
	case info.BitDepth != 8 && info.BitDepth != 16 && info.BitDepth != 24:
		return media.Unsupportedf("unsupported WAV encoding: %s", describe(formatPCM, info.BitDepth))
	case info.FormatTag == formatExtensible && fmtSize != 40:
		return media.Unsupportedf("unsupported WAV layout: an extensible fmt chunk of %d bytes, want 40", fmtSize)
	case fmtSize&1 != 0:
		return media.Unsupportedf("unsupported WAV layout: an odd-sized fmt chunk (%d bytes)", fmtSize)
	case info.DataSize > maxChunk:
		return media.Unsupportedf("unsupported WAV layout: a data chunk over 2 GiB (%d bytes)", info.DataSize)
	}
	return nil
}
