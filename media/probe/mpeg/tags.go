package mpeg

import (
	"bytes"
	"encoding/binary"
	"strconv"
)

// id3v2Len returns the whole length of the ID3v2 tag whose 10-byte header is
// b (header, body and footer), or 0 when b is not an ID3v2 header. The
// length comes from the header and is not checked against the file.
func id3v2Len(b []byte) int64 {
	if len(b) < 10 || string(b[:3]) != "ID3" || b[3] == 0xFF || b[4] == 0xFF {
		return 0
	}
	size, ok := syncsafe(b[6:10])
	if !ok {
		return 0
	}
	n := 10 + size
	if b[3] >= 4 && b[5]&0x10 != 0 { // footer present
		n += 10
	}
	return n
}

// syncsafe decodes a 28-bit ID3v2 size stored 7 bits per byte.
func syncsafe(b []byte) (int64, bool) {
	var n int64
	for _, c := range b[:4] {
		if c&0x80 != 0 {
			return 0, false
		}
		n = n<<7 | int64(c)
	}
	return n, true
}

// Tag sizes and signatures found at the end of MP3 files.
const (
	id3v1Len        = 128
	apeFooterLen    = 32
	lyrics3v1MaxLen = 5100 + 11 + 9 // body, "LYRICSBEGIN", "LYRICSEND"
	lyrics3v2Tail   = 6 + 9         // size digits, "LYRICS200"
	maxEndTags      = 8             // bound on stacked end tags
)

// trimEndTags returns the end of the audio: end moved back over any ID3v1,
// APEv2, Lyrics3 (v1 or v2) tags and an appended ID3v2 tag with a footer, in
// any order. A tag that does not fit between start and end is left alone
// (the walk then sees it as junk).
func trimEndTags(rd *chunkReader, start, end int64) (int64, error) {
	for range maxEndTags {
		n, err := endTagLen(rd, start, end)
		if err != nil || n == 0 {
			return end, err
		}
		end -= n
	}
	return end, nil
}

// endTagLen returns the length of the tag that ends at end, or 0 if none.
func endTagLen(rd *chunkReader, start, end int64) (int64, error) {
	avail := end - start
	if avail >= id3v1Len {
		b, err := rd.peek(end-id3v1Len, 3)
		if err != nil {
			return 0, err
		}
		if string(b) == "TAG" {
			return id3v1Len, nil
		}
	}
	if avail >= apeFooterLen {
		b, err := rd.peek(end-apeFooterLen, apeFooterLen)
		if err != nil {
			return 0, err
		}
		if string(b[:8]) == "APETAGEX" {
			n := int64(binary.LittleEndian.Uint32(b[12:16]))
			if binary.LittleEndian.Uint32(b[20:24])&(1<<31) != 0 {
				n += apeFooterLen // header present
			}
			if n >= apeFooterLen && n <= avail {
				return n, nil
			}
			return 0, nil
		}
	}
	if avail >= 10 {
		b, err := rd.peek(end-10, 10)
		if err != nil {
			return 0, err
		}
		if string(b[:3]) == "3DI" && b[3] != 0xFF && b[4] != 0xFF {
			if size, ok := syncsafe(b[6:10]); ok && size+20 <= avail {
				return size + 20, nil
			}
			return 0, nil
		}
	}
	if avail >= lyrics3v2Tail {
		b, err := rd.peek(end-lyrics3v2Tail, lyrics3v2Tail)
		if err != nil {
			return 0, err
		}
		if string(b[6:]) == "LYRICS200" {
			size, err := strconv.ParseInt(string(b[:6]), 10, 64)
			n := size + lyrics3v2Tail
			if err != nil || n > avail {
				return 0, nil
			}
			h, err := rd.peek(end-n, 11)
			if err != nil {
				return 0, err
			}
			if string(h) == "LYRICSBEGIN" {
				return n, nil
			}
			return 0, nil
		}
		if string(b[6:]) == "LYRICSEND" {
			w := min(int64(lyrics3v1MaxLen), avail)
			body, err := rd.peek(end-w, int(w))
			if err != nil {
				return 0, err
			}
			if i := bytes.LastIndex(body, []byte("LYRICSBEGIN")); i >= 0 {
				return w - int64(i), nil
			}
		}
	}
	return 0, nil
}

// vbrTag is what the first frame's Xing/Info or VBRI header says.
type vbrTag struct {
	kind           string // "xing", "info" or "vbri"
	frames         int64  // audio frames, 0 when the header does not say
	delay, padding int    // from a LAME tag
}

// Offsets inside a VBRI header, counted from the start of its frame.
const (
	vbriOffset     = 4 + 32
	vbriFramesAt   = vbriOffset + 14
	lameDelayAt    = 21 // in the LAME extension, after the 9-byte encoder name
	lameMinLen     = 24
	xingTOCLen     = 100
	xingFlagFrames = 1
	xingFlagBytes  = 2
	xingFlagTOC    = 4
	xingFlagScale  = 8
)

// parseVBRTag looks for a Xing/Info (with an optional LAME extension) or a
// VBRI header in frame, the whole first frame whose header is h.
func parseVBRTag(frame []byte, h header) (vbrTag, bool) {
	if h.layer != 3 {
		return vbrTag{}, false
	}
	// LAME writes the Xing header right after the side information; with
	// a CRC (protection bit clear) some encoders shift it by 2 bytes and
	// some do not, so both places are tried.
	offs := []int{4 + h.sideInfoLen()}
	if frame[1]&1 == 0 {
		offs = append(offs, offs[0]+2)
	}
	for _, off := range offs {
		if len(frame) < off+8 {
			break
		}
		if id := string(frame[off : off+4]); id == "Xing" || id == "Info" {
			t := vbrTag{kind: "xing"}
			if id == "Info" {
				t.kind = "info"
			}
			flags := binary.BigEndian.Uint32(frame[off+4:])
			p := off + 8
			if flags&xingFlagFrames != 0 && len(frame) >= p+4 {
				t.frames = int64(binary.BigEndian.Uint32(frame[p:]))
				p += 4
			}
			if flags&xingFlagBytes != 0 {
				p += 4
			}
			if flags&xingFlagTOC != 0 {
				p += xingTOCLen
			}
			if flags&xingFlagScale != 0 {
				p += 4
			}
			if len(frame) >= p+lameMinLen {
				switch string(frame[p : p+4]) {
				case "LAME", "Lavf", "Lavc":
					v := frame[p+lameDelayAt:]
					t.delay = int(v[0])<<4 | int(v[1])>>4
					t.padding = int(v[1]&0x0F)<<8 | int(v[2])
				}
			}
			return t, true
		}
	}
	if len(frame) >= vbriFramesAt+4 && string(frame[vbriOffset:vbriOffset+4]) == "VBRI" {
		return vbrTag{kind: "vbri", frames: int64(binary.BigEndian.Uint32(frame[vbriFramesAt:]))}, true
	}
	return vbrTag{}, false
}
