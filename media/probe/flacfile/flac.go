// Package flacfile checks the structure of an untrusted FLAC file and reads
// its stream properties: metadata blocks are walked, every audio frame is
// validated (header CRC-8, frame CRC-16) without decoding audio, and the exact
// length is taken from the frames. Files the engine's decoder (beep over
// mewkiz/flac) cannot play are rejected with media.ErrUnsupported.
package flacfile

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/mewkiz/flac/meta"

	"attune/media"
)

// Info is what Parse learns about a FLAC file.
type Info struct {
	SampleRate int   // Hz
	Channels   int   // 1–8
	BitDepth   int   // bits per sample, 4–32
	Samples    int64 // exact length in sample frames, summed over the frames
	BitRate    int   // average bits per second over the whole file

	MinBlockSize, MaxBlockSize int // samples per frame, from STREAMINFO
	MinFrameSize, MaxFrameSize int // bytes per frame, from STREAMINFO; 0 = unknown
	MD5                        [16]byte
	HasPicture                 bool // a PICTURE metadata block is present

	Frames         int   // number of audio frames
	VariableBlocks bool  // the stream uses variable block sizes
	ID3v2Size      int64 // bytes of ID3v2 tag before the fLaC marker; 0 if none
	AudioOffset    int64 // byte offset of the first frame
}

// Metadata block types (RFC 9639 section 8).
const (
	blockStreamInfo = 0
	blockPicture    = 6
	blockInvalid    = 127
	streamInfoLen   = 34

	// maxBlocks bounds the metadata walk; real files have a handful.
	maxBlocks = 10000
)

var blockNames = [...]string{"STREAMINFO", "PADDING", "APPLICATION", "SEEKTABLE", "VORBIS_COMMENT", "CUESHEET", "PICTURE"}

func blockName(t int) string {
	if t < len(blockNames) {
		return blockNames[t]
	}
	return fmt.Sprintf("type %d", t)
}

// Parse validates the FLAC file in r, which is size bytes long, and returns
// its properties. Errors are one line and wrap media.ErrInvalid (damaged,
// truncated, not FLAC) or media.ErrUnsupported (valid FLAC the engine cannot
// play); read failures are returned wrapped as they are. On error the Info
// holds what was read before the problem and must not be trusted.
func Parse(r io.ReaderAt, size int64) (Info, error) {
	var info Info
	var head [14]byte
	n, err := r.ReadAt(head[:min(int64(len(head)), max(size, 0))], 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return info, fmt.Errorf("read header: %w", err)
	}
	b := head[:n]
	off := int64(0)
	if len(b) >= 10 && string(b[:3]) == "ID3" {
		tagSize, err := id3v2Size(b)
		if err != nil {
			return info, err
		}
		if tagSize+4 > size {
			return info, media.Invalidf("truncated: the ID3v2 tag claims %d bytes, the file has %d", tagSize, size)
		}
		info.ID3v2Size = tagSize
		off = tagSize
		if n, err = r.ReadAt(head[:4], off); n < 4 {
			return info, fmt.Errorf("read at byte %d: %w", off, err)
		}
		b = head[:4]
	}
	if len(b) < 4 || string(b[:4]) != "fLaC" {
		return info, noMarker(r, size, off)
	}
	off += 4

	audio, err := parseMetadata(r, size, off, &info)
	if err != nil {
		return info, err
	}
	info.AudioOffset = audio
	unsupported, err := walkFrames(r, size, &info)
	if err != nil {
		return info, err
	}
	if unsupported == nil && info.ID3v2Size > 0 {
		// mewkiz/flac v1.0.14 skips the tag through a second bufio.Reader and
		// loses the bytes that reader buffered, so it never finds "fLaC".
		unsupported = media.Unsupportedf("unsupported FLAC feature: ID3v2 tag (%d bytes) before the fLaC marker", info.ID3v2Size)
	}
	if unsupported != nil {
		return info, unsupported
	}
	if info.Samples > 0 {
		info.BitRate = int(float64(size) * 8 * float64(info.SampleRate) / float64(info.Samples))
	}
	return info, nil
}

// id3v2Size returns the total size of the ID3v2 tag whose 10-byte header is
// at the start of b.
func id3v2Size(b []byte) (int64, error) {
	if b[3] == 0xFF || b[4] == 0xFF || b[6]|b[7]|b[8]|b[9] >= 0x80 {
		return 0, media.Invalidf("invalid ID3v2 tag header at byte 0")
	}
	n := int64(b[6])<<21 | int64(b[7])<<14 | int64(b[8])<<7 | int64(b[9])
	n += 10
	if b[5]&0x10 != 0 { // footer present
		n += 10
	}
	return n, nil
}

// noMarker explains a file without "fLaC" at off: a bare frame stream (valid
// FLAC that mewkiz/flac cannot open) or not FLAC at all.
func noMarker(r io.ReaderAt, size, off int64) error {
	const scan = 64 << 10
	buf := make([]byte, min(scan, max(size-off, 0)))
	n, _ := r.ReadAt(buf, off)
	buf = buf[:n]
	for i := 0; i+1 < len(buf); i++ {
		if buf[i] != 0xFF || buf[i+1]&0xFE != 0xF8 {
			continue
		}
		if _, ok := parseFrameHeader(buf[i:min(i+maxHeaderLen, len(buf))]); ok {
			return media.Unsupportedf("unsupported FLAC feature: no fLaC marker or STREAMINFO, the stream starts with a frame at byte %d", off+int64(i))
		}
	}
	return media.Invalidf("not a FLAC file: no fLaC marker at byte %d", off)
}

// parseMetadata walks the metadata blocks starting at off, fills info from
// STREAMINFO and returns the offset of the first audio frame.
func parseMetadata(r io.ReaderAt, size, off int64, info *Info) (int64, error) {
	br := bufio.NewReaderSize(nil, 16<<10)
	for i := 0; ; i++ {
		if i == maxBlocks {
			return 0, media.Invalidf("more than %d metadata blocks (no last-block flag by byte %d)", maxBlocks, off)
		}
		var h [4]byte
		if off+4 > size {
			return 0, media.Invalidf("truncated: the file ends at byte %d inside the metadata", size)
		}
		if n, err := r.ReadAt(h[:], off); n < 4 {
			return 0, fmt.Errorf("read metadata block header at byte %d: %w", off, err)
		}
		last := h[0]&0x80 != 0
		typ := int(h[0] & 0x7F)
		length := int64(h[1])<<16 | int64(h[2])<<8 | int64(h[3])
		body := off + 4
		switch {
		case typ == blockInvalid:
			return 0, media.Invalidf("invalid metadata block type 127 at byte %d", off)
		case i == 0 && typ != blockStreamInfo:
			return 0, media.Invalidf("the first metadata block at byte %d is %s, not STREAMINFO", off, blockName(typ))
		case i > 0 && typ == blockStreamInfo:
			return 0, media.Invalidf("a second STREAMINFO block at byte %d", off)
		case body+length > size:
			return 0, media.Invalidf("truncated: metadata block %s at byte %d claims %d bytes, the file ends at byte %d",
				blockName(typ), off, length, size)
		}
		sec := io.NewSectionReader(r, off, 4+length)
		switch typ {
		case blockStreamInfo:
			if err := parseStreamInfo(sec, off, length, info); err != nil {
				return 0, err
			}
		case blockPicture:
			info.HasPicture = true
			if err := checkPicture(sec, off, length); err != nil {
				return 0, err
			}
		default:
			// The engine opens FLAC with mewkiz/flac's NewSeek, which parses
			// every block with meta.Parse; a block it rejects makes the file
			// unplayable. Run the same parser (the block is known to lie
			// within the file, so its allocations are bounded by real bytes).
			br.Reset(sec)
			_, err := meta.Parse(br)
			if err != nil && !errors.Is(err, meta.ErrReservedType) {
				return 0, media.Invalidf("invalid %s metadata block at byte %d: %s", blockName(typ), off, oneLine(err))
			}
		}
		off = body + length
		if last {
			return off, nil
		}
	}
}

func parseStreamInfo(sec *io.SectionReader, off, length int64, info *Info) error {
	if length != streamInfoLen {
		return media.Invalidf("invalid STREAMINFO at byte %d: length %d, want %d", off, length, streamInfoLen)
	}
	var b [4 + streamInfoLen]byte
	if n, err := sec.ReadAt(b[:], 0); n < len(b) {
		return fmt.Errorf("read STREAMINFO at byte %d: %w", off, err)
	}
	p := b[4:]
	info.MinBlockSize = int(binary.BigEndian.Uint16(p[0:]))
	info.MaxBlockSize = int(binary.BigEndian.Uint16(p[2:]))
	info.MinFrameSize = int(p[4])<<16 | int(p[5])<<8 | int(p[6])
	info.MaxFrameSize = int(p[7])<<16 | int(p[8])<<8 | int(p[9])
	x := binary.BigEndian.Uint64(p[10:])
	info.SampleRate = int(x >> 44)
	info.Channels = int(x>>41&7) + 1
	info.BitDepth = int(x>>36&31) + 1
	total := int64(x & (1<<36 - 1))
	copy(info.MD5[:], p[18:])
	switch {
	case info.SampleRate == 0:
		return media.Invalidf("invalid STREAMINFO: sample rate 0")
	case info.BitDepth < 4:
		return media.Invalidf("invalid STREAMINFO: %d bits per sample, want 4 to 32", info.BitDepth)
	case info.MinBlockSize < 16:
		return media.Invalidf("invalid STREAMINFO: minimum block size %d, want at least 16", info.MinBlockSize)
	case info.MaxBlockSize < info.MinBlockSize:
		return media.Invalidf("invalid STREAMINFO: minimum block size %d exceeds the maximum %d", info.MinBlockSize, info.MaxBlockSize)
	case info.MinFrameSize != 0 && info.MaxFrameSize != 0 && info.MinFrameSize > info.MaxFrameSize:
		return media.Invalidf("invalid STREAMINFO: minimum frame size %d exceeds the maximum %d", info.MinFrameSize, info.MaxFrameSize)
	}
	info.Samples = total // replaced by the frame sum after the walk
	return nil
}

// checkPicture checks the structure of a PICTURE block without reading the
// image: the MIME type, description and data lengths must fit in the block.
func checkPicture(sec *io.SectionReader, off, length int64) error {
	pos := int64(4) // skip the block header
	end := 4 + length
	var b [4]byte
	u32 := func() (int64, bool) {
		if pos+4 > end {
			return 0, false
		}
		if n, _ := sec.ReadAt(b[:], pos); n < 4 {
			return 0, false
		}
		pos += 4
		return int64(binary.BigEndian.Uint32(b[:])), true
	}
	bad := func(what string) error {
		return media.Invalidf("invalid PICTURE metadata block at byte %d: %s runs past the block's %d bytes", off, what, length)
	}
	if _, ok := u32(); !ok { // picture type
		return bad("the picture type")
	}
	for _, what := range []string{"the MIME type", "the description"} {
		n, ok := u32()
		if !ok || pos+n > end {
			return bad(what)
		}
		pos += n
	}
	for range 4 { // width, height, depth, colours
		if _, ok := u32(); !ok {
			return bad("the picture dimensions")
		}
	}
	n, ok := u32()
	if !ok || pos+n > end {
		return bad("the picture data")
	}
	return nil
}

// oneLine returns the error's message without line breaks.
func oneLine(err error) string {
	s := []byte(err.Error())
	for i, c := range s {
		if c == '\n' || c == '\r' {
			s[i] = ' '
		}
	}
	return string(s)
}
