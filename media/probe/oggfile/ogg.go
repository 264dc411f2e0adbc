// Package oggfile checks the structure of an untrusted Ogg file and reads its
// stream properties: every page is walked and its CRC-32 verified, the codec
// is identified from the first packet (Vorbis, Opus, FLAC, Speex, Theora) and
// the exact length is taken from the last granule position. It decodes no
// audio; the caller decides which codecs it plays.
package oggfile

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"attune/media"
)

// Codec names reported in Info.Codec.
const (
	CodecVorbis  = "vorbis"
	CodecOpus    = "opus"
	CodecFLAC    = "flac"
	CodecSpeex   = "speex"
	CodecTheora  = "theora"
	CodecUnknown = "unknown"
)

// Info is what Parse learns about an Ogg file.
type Info struct {
	Codec      string // one of the Codec constants
	SampleRate int    // Hz; 48000 for Opus (its decoding rate)
	Channels   int
	BitDepth   int   // bits per sample for FLAC; 0 for lossy codecs
	Samples    int64 // exact length in sample frames at SampleRate
	BitRate    int   // average bits per second over the whole file

	NominalBitRate int    // from the Vorbis identification header; 0 if unset
	PreSkip        int    // Opus: samples to drop at the start (already subtracted from Samples)
	InputRate      int    // Opus: the original sample rate, informational
	Serial         uint32 // serial number of the logical stream
	Pages          int
	LastGranule    int64 // granule position of the last page that has one
}

const (
	flagContinued = 0x01
	flagBOS       = 0x02
	flagEOS       = 0x04

	headerLen   = 27
	maxBodyLen  = 255 * 255
	capturePref = 64 // bytes kept from the start of each header packet
)

// pageHeader holds the fields of one page header.
type pageHeader struct {
	flags   byte
	granule int64
	serial  uint32
	seq     uint32
	crc     uint32
	nseg    int
}

// Parse validates the Ogg file in r, which is size bytes long, and returns
// its properties. Errors are one line and wrap media.ErrInvalid (damaged,
// truncated, not Ogg) or media.ErrUnsupported (chained or multiplexed
// streams); read failures are returned wrapped as they are. A valid stream of
// a codec the caller does not play is not an error: check Info.Codec. On
// error the Info holds what was read before the problem and must not be
// trusted.
func Parse(r io.ReaderAt, size int64) (Info, error) {
	var info Info
	br := bufio.NewReaderSize(io.NewSectionReader(r, 0, size), int(min(max(size, 16), 64<<10)))
	var hdr [headerLen + 255]byte
	body := make([]byte, maxBodyLen)
	var pk packets

	var off int64
	var last pageHeader
	lastOff := int64(-1)
	info.LastGranule = -1
	for off < size {
		if size-off < headerLen {
			if info.Pages == 0 {
				return info, media.Invalidf("not an Ogg file: %d bytes, too short for a page", size)
			}
			return info, media.Invalidf("truncated: the page at byte %d runs past the end of the file", off)
		}
		if _, err := io.ReadFull(br, hdr[:headerLen]); err != nil {
			return info, fmt.Errorf("read page header at byte %d: %w", off, err)
		}
		if string(hdr[:4]) != "OggS" {
			if info.Pages == 0 {
				return info, media.Invalidf("not an Ogg file: no OggS capture pattern at byte 0")
			}
			if last.flags&flagEOS != 0 {
				return info, media.Invalidf("unexpected data after the end-of-stream page, at byte %d", off)
			}
			return info, media.Invalidf("no Ogg page at byte %d, where the page after byte %d should end", off, lastOff)
		}
		h := pageHeader{
			flags:   hdr[5],
			granule: int64(binary.LittleEndian.Uint64(hdr[6:])),
			serial:  binary.LittleEndian.Uint32(hdr[14:]),
			seq:     binary.LittleEndian.Uint32(hdr[18:]),
			crc:     binary.LittleEndian.Uint32(hdr[22:]),
			nseg:    int(hdr[26]),
		}
		switch {
		case hdr[4] != 0:
			return info, media.Invalidf("page at byte %d: unknown Ogg version %d", off, hdr[4])
		case h.flags&^(flagContinued|flagBOS|flagEOS) != 0:
			return info, media.Invalidf("page at byte %d: invalid header flags 0x%02x", off, h.flags)
		case size-off < int64(headerLen+h.nseg):
			return info, media.Invalidf("truncated: the page at byte %d runs past the end of the file", off)
		}
		seg := hdr[headerLen : headerLen+h.nseg]
		if _, err := io.ReadFull(br, seg); err != nil {
			return info, fmt.Errorf("read segment table at byte %d: %w", off, err)
		}
		n := 0
		for _, l := range seg {
			n += int(l)
		}
		pageLen := int64(headerLen + h.nseg + n)
		if off+pageLen > size {
			return info, media.Invalidf("truncated: the page at byte %d claims %d bytes, the file ends at byte %d", off, pageLen, size)
		}
		if _, err := io.ReadFull(br, body[:n]); err != nil {
			return info, fmt.Errorf("read page body at byte %d: %w", off, err)
		}
		hdr[22], hdr[23], hdr[24], hdr[25] = 0, 0, 0, 0
		if c := crcUpdate(crcUpdate(0, hdr[:headerLen+h.nseg]), body[:n]); c != h.crc {
			return info, media.Invalidf("corrupt page at byte %d: CRC-32 mismatch", off)
		}

		if info.Pages == 0 {
			if h.flags&flagBOS == 0 {
				return info, media.Invalidf("the first page at byte 0 lacks the beginning-of-stream flag")
			}
			info.Serial = h.serial
		} else {
			switch {
			case h.flags&flagBOS != 0 || h.serial != info.Serial:
				return info, media.Unsupportedf("unsupported: chained or multiplexed Ogg streams (a second stream at byte %d)", off)
			case last.flags&flagEOS != 0:
				return info, media.Invalidf("page at byte %d follows the end-of-stream page", off)
			case h.seq != last.seq+1:
				return info, media.Invalidf("page at byte %d has sequence number %d, want %d (pages lost)", off, h.seq, last.seq+1)
			}
		}
		if err := pk.add(h.flags&flagContinued != 0, seg, body[:n]); err != nil {
			return info, media.Invalidf("page at byte %d: %v", off, err)
		}
		if h.granule != -1 {
			info.LastGranule = h.granule
		}
		info.Pages++
		last, lastOff = h, off
		off += pageLen
	}
	if info.Pages == 0 {
		return info, media.Invalidf("not an Ogg file: the file is empty")
	}
	if last.flags&flagEOS == 0 {
		return info, media.Invalidf("truncated: the last page at byte %d has no end-of-stream flag", lastOff)
	}
	if err := identify(&info, &pk); err != nil {
		return info, err
	}
	if info.Samples > 0 && info.SampleRate > 0 {
		info.BitRate = int(float64(size) * 8 * float64(info.SampleRate) / float64(info.Samples))
	}
	return info, nil
}

// packets follows packet boundaries across pages and keeps the start of the
// first three packets, which hold the codec headers.
type packets struct {
	count int       // packets completed
	open  bool      // a packet continues on the next page
	head  [3][]byte // prefixes of packets 0..2
	store [3][capturePref]byte
}

var errContinuation = errors.New("the continued-packet flag does not match the previous page")

// add accounts for one page's segments.
func (p *packets) add(continued bool, seg, body []byte) error {
	if continued != p.open {
		return errContinuation
	}
	pos := 0
	for _, l := range seg {
		if p.count < len(p.head) {
			i := p.count
			if p.head[i] == nil {
				p.head[i] = p.store[i][:0]
			}
			room := capturePref - len(p.head[i])
			p.head[i] = append(p.head[i], body[pos:pos+min(int(l), room)]...)
		}
		pos += int(l)
		if l < 255 {
			p.count++
			p.open = false
		} else {
			p.open = true
		}
	}
	return nil
}
