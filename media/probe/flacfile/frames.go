package flacfile

import (
	"bytes"
	"fmt"
	"io"

	"attune/media"
)

// maxHeaderLen is the longest frame header: sync and codes (4), a 7-byte
// coded number, 16-bit block size, 16-bit sample rate and the CRC-8.
const maxHeaderLen = 16

// windowSize is how much of the file is read at once during the frame walk.
const windowSize = 1 << 20

// frameHeader is a parsed audio frame header (RFC 9639 section 9.1).
type frameHeader struct {
	variable  bool   // blocking strategy: num is a sample number, not a frame number
	blockSize int    // samples per channel
	rate      int    // Hz; 0 = as in STREAMINFO
	channels  int    // 1–8
	bps       int    // bits per sample; 0 = as in STREAMINFO
	num       uint64 // frame number (fixed) or first sample number (variable)
	len       int    // header bytes including the CRC-8
}

var frameRates = [...]int{0, 88200, 176400, 192000, 8000, 16000, 22050, 24000, 32000, 44100, 48000, 96000}

var frameBPS = [...]int{0, 8, 12, -1, 16, 20, 24, 32}

// parseFrameHeader parses the frame header at the start of b (which may be
// shorter than maxHeaderLen at the end of the file). It reports false unless
// b holds a complete header with valid fields and a matching CRC-8.
func parseFrameHeader(b []byte) (frameHeader, bool) {
	var h frameHeader
	if len(b) < 6 || b[0] != 0xFF || b[1]&0xFE != 0xF8 {
		return h, false
	}
	h.variable = b[1]&1 != 0
	bsCode, rateCode := b[2]>>4, b[2]&0xF
	chCode, bpsCode := b[3]>>4, b[3]>>1&7
	if bsCode == 0 || rateCode == 0xF || chCode > 10 || frameBPS[bpsCode] < 0 || b[3]&1 != 0 {
		return h, false
	}
	// Coded number: UTF-8-like, up to 6 bytes for frame numbers (31 bits)
	// and 7 bytes for sample numbers (36 bits).
	c := b[4]
	extra := 0
	switch {
	case c < 0x80:
		h.num = uint64(c)
	case c >= 0xC0 && c < 0xE0:
		extra, h.num = 1, uint64(c&0x1F)
	case c >= 0xE0 && c < 0xF0:
		extra, h.num = 2, uint64(c&0x0F)
	case c >= 0xF0 && c < 0xF8:
		extra, h.num = 3, uint64(c&0x07)
	case c >= 0xF8 && c < 0xFC:
		extra, h.num = 4, uint64(c&0x03)
	case c >= 0xFC && c < 0xFE:
		extra, h.num = 5, uint64(c&0x01)
	case c == 0xFE && h.variable:
		extra = 6
	default:
		return h, false
	}
	i := 5
	if len(b) < i+extra {
		return h, false
	}
	for _, x := range b[i : i+extra] {
		if x&0xC0 != 0x80 {
			return h, false
		}
		h.num = h.num<<6 | uint64(x&0x3F)
	}
	i += extra
	switch {
	case bsCode == 1:
		h.blockSize = 192
	case bsCode <= 5:
		h.blockSize = 576 << (bsCode - 2)
	case bsCode == 6:
		if len(b) < i+1 {
			return h, false
		}
		h.blockSize = int(b[i]) + 1
		i++
	case bsCode == 7:
		if len(b) < i+2 {
			return h, false
		}
		h.blockSize = int(b[i])<<8 | int(b[i+1]) + 1
		i += 2
	default:
		h.blockSize = 256 << (bsCode - 8)
	}
	switch {
	case rateCode < 12:
		h.rate = frameRates[rateCode]
	case rateCode == 12:
		if len(b) < i+1 {
			return h, false
		}
		h.rate = int(b[i]) * 1000
		i++
	default:
		if len(b) < i+2 {
			return h, false
		}
		h.rate = int(b[i])<<8 | int(b[i+1])
		if rateCode == 14 {
			h.rate *= 10
		}
		i += 2
	}
	if len(b) < i+1 || crc8(b[:i]) != b[i] {
		return h, false
	}
	h.len = i + 1
	h.bps = frameBPS[bpsCode]
	h.channels = int(chCode) + 1
	if chCode > 7 {
		h.channels = 2 // left/side, side/right, mid/side
	}
	return h, true
}

// walker reads the audio frames through a sliding window.
type walker struct {
	r    io.ReaderAt
	size int64
	buf  []byte
	base int64 // file offset of buf[0]
}

// load fills the window starting at off.
func (w *walker) load(off int64) error {
	w.base = off
	want := min(int64(cap(w.buf)), w.size-off)
	w.buf = w.buf[:want]
	n, err := w.r.ReadAt(w.buf, off)
	if int64(n) < want {
		return fmt.Errorf("read at byte %d: %w", off+int64(n), err)
	}
	return nil
}

// frameCheck compares frame headers with STREAMINFO. Properties that differ
// in every frame mean a wrong STREAMINFO (invalid); properties that change
// mid-stream are valid FLAC that beep cannot play (unsupported).
type frameCheck struct {
	name              string
	want              int
	matched, differed bool
	firstOff          int64
	firstGot          int
}

func (c *frameCheck) see(got int, off int64) {
	if got == 0 || got == c.want {
		c.matched = true
		return
	}
	if !c.differed {
		c.differed, c.firstOff, c.firstGot = true, off, got
	}
}

func (c *frameCheck) err() error {
	switch {
	case !c.differed:
		return nil
	case c.matched:
		return media.Unsupportedf("unsupported FLAC feature: %s changes mid-stream (STREAMINFO says %d, the frame at byte %d has %d)", c.name, c.want, c.firstOff, c.firstGot)
	default:
		return media.Invalidf("STREAMINFO says %s %d, the frames have %d", c.name, c.want, c.firstGot)
	}
}

// walkFrames validates every frame from info.AudioOffset to the end of the
// file and sets info.Samples, info.Frames and info.VariableBlocks. It returns
// a non-nil first result for valid FLAC that the engine cannot decode.
func walkFrames(r io.ReaderAt, size int64, info *Info) (unsupported, err error) {
	start := info.AudioOffset
	declared := info.Samples
	if start >= size {
		return nil, media.Invalidf("no audio frames after the metadata (the file ends at byte %d)", size)
	}
	// A trailing ID3v1 tag is tolerated after the last frame.
	tagStart := int64(-1)
	if size-start > 128 {
		var tag [3]byte
		if n, _ := r.ReadAt(tag[:], size-128); n == 3 && string(tag[:]) == "TAG" {
			tagStart = size - 128
		}
	}
	w := &walker{r: r, size: size, buf: make([]byte, 0, min(windowSize, size-start))}
	if err := w.load(start); err != nil {
		return nil, err
	}
	cur, ok := parseFrameHeader(w.buf[:min(maxHeaderLen, len(w.buf))])
	if !ok {
		return nil, media.Invalidf("no valid frame header at byte %d, where the audio should start", start)
	}
	if cur.num != 0 {
		return nil, media.Invalidf("the first frame at byte %d has number %d, want 0", start, cur.num)
	}
	info.VariableBlocks = cur.variable
	rate := frameCheck{name: "sample rate", want: info.SampleRate}
	chans := frameCheck{name: "channel count", want: info.Channels}
	depth := frameCheck{name: "bit depth", want: info.BitDepth}

	var sum int64 // samples before the current frame
	curStart := start
	var crc uint16
	crcPos := start                  // bytes before crcPos are in crc
	search := start + int64(cur.len) // where to look for the next header
	stray := int64(-1)               // a valid header past the expected next one

	accept := func(h frameHeader, off int64) error {
		if h.blockSize > info.MaxBlockSize {
			return media.Invalidf("the frame at byte %d (sample %d) has %d samples, more than STREAMINFO's maximum block size %d",
				off, sum, h.blockSize, info.MaxBlockSize)
		}
		rate.see(h.rate, off)
		chans.see(h.channels, off)
		depth.see(h.bps, off)
		if unsupported == nil {
			switch h.bps {
			case 0:
				unsupported = media.Unsupportedf("unsupported FLAC feature: the frame at byte %d leaves its bit depth (%d) to STREAMINFO, which mewkiz/flac cannot decode", off, info.BitDepth)
			case 32:
				unsupported = media.Unsupportedf("unsupported FLAC feature: 32-bit samples (frame at byte %d)", off)
			}
		}
		return nil
	}
	if err := accept(cur, start); err != nil {
		return nil, err
	}
	next := func() uint64 {
		if cur.variable {
			return cur.num + uint64(cur.blockSize)
		}
		return cur.num + 1
	}
	for {
		rel := int(search - w.base)
		end := w.base + int64(len(w.buf))
		if rel >= len(w.buf) {
			if end >= size {
				break
			}
			crc = crc16Update(crc, w.buf[crcPos-w.base:])
			crcPos = end
			if err := w.load(end); err != nil {
				return nil, err
			}
			continue
		}
		i := bytes.IndexByte(w.buf[rel:], 0xFF)
		if i < 0 {
			search = end
			continue
		}
		q := search + int64(i)
		qi := rel + i
		if qi+maxHeaderLen > len(w.buf) && end < size {
			// Slide the window so the candidate header is whole.
			crc = crc16Update(crc, w.buf[crcPos-w.base:qi])
			crcPos, search = q, q
			if err := w.load(q); err != nil {
				return nil, err
			}
			continue
		}
		h, ok := parseFrameHeader(w.buf[qi:min(qi+maxHeaderLen, len(w.buf))])
		if !ok || h.variable != cur.variable || h.num != next() {
			if ok && h.variable == cur.variable && h.num > next() && stray < 0 {
				stray = q // a later frame: the ones in between are damaged
			}
			search = q + 1
			continue
		}
		crc = crc16Update(crc, w.buf[crcPos-w.base:qi])
		if crc != 0 {
			return nil, media.Invalidf("corrupt frame at byte %d (sample %d): CRC-16 mismatch", curStart, sum)
		}
		sum += int64(cur.blockSize)
		info.Frames++
		if err := accept(h, q); err != nil {
			return nil, err
		}
		cur, curStart, crc, crcPos, stray = h, q, 0, q, -1
		search = q + int64(h.len)
	}

	// The last frame runs to the end of the file, or to a trailing ID3v1 tag.
	rest := w.buf[crcPos-w.base:]
	ok = false
	if tagStart >= crcPos {
		c := crc16Update(crc, rest[:tagStart-crcPos])
		ok = c == 0
		crc = crc16Update(c, rest[tagStart-crcPos:])
	} else {
		crc = crc16Update(crc, rest)
	}
	if !ok && crc != 0 {
		if stray < 0 && declared > sum+int64(cur.blockSize) {
			return nil, media.Invalidf("truncated: STREAMINFO says %d samples, the file ends inside the frame at byte %d (sample %d)",
				declared, curStart, sum)
		}
		if stray >= 0 {
			return nil, media.Invalidf("corrupt frame at byte %d (sample %d): CRC-16 mismatch, the next valid frame is at byte %d", curStart, sum, stray)
		}
		return nil, media.Invalidf("corrupt or truncated frame at byte %d (sample %d): CRC-16 mismatch", curStart, sum)
	}
	sum += int64(cur.blockSize)
	info.Frames++

	switch {
	case declared != 0 && declared > sum:
		return nil, media.Invalidf("truncated: STREAMINFO says %d samples, the frames hold %d", declared, sum)
	case declared != 0 && declared < sum:
		return nil, media.Invalidf("STREAMINFO says %d samples, the frames hold %d", declared, sum)
	}
	info.Samples = sum
	for _, c := range []*frameCheck{&rate, &chans, &depth} {
		if err := c.err(); err != nil {
			if !c.matched { // a wrong STREAMINFO is damage, reported first
				return nil, err
			}
			if unsupported == nil {
				unsupported = err
			}
		}
	}
	return unsupported, nil
}
