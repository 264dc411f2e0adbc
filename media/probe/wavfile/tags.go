package wavfile

import (
	"encoding/binary"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/dhowden/tag"

	"attune/media"
)

// maxTagChunk caps how much of a LIST or ID3 chunk is read; tags beyond it
// are ignored rather than buffered.
const maxTagChunk = 1 << 20

// maxID3Chunk caps the ID3 chunk handed to dhowden/tag (which buffers frames,
// cover art included).
const maxID3Chunk = 16 << 20

// readList reads the text fields of a LIST/INFO chunk into t. Other LIST
// types (adtl, ...) are skipped.
func readList(r io.ReaderAt, body, size int64, t *media.Tags) error {
	if size < 4 {
		return nil
	}
	b := make([]byte, min(size, maxTagChunk))
	if n, err := r.ReadAt(b, body); n < len(b) {
		return fmt.Errorf("read LIST chunk at byte %d: %w", body, err)
	}
	if string(b[:4]) != "INFO" {
		return nil
	}
	for p := b[4:]; len(p) >= 8; {
		id := string(p[:4])
		n := int64(binary.LittleEndian.Uint32(p[4:]))
		if n > int64(len(p)-8) {
			break // a damaged or capped sub-chunk: keep what was read
		}
		v := text(p[8 : 8+n])
		p = p[min(8+n+n&1, int64(len(p))):]
		if v == "" {
			continue
		}
		switch id {
		case "INAM":
			t.Title = v
		case "IART":
			t.Artist = v
		case "IPRD":
			t.Album = v
		case "IGNR":
			t.Genre = v
		case "ICMT":
			t.Comment = v
		case "ICRD":
			t.Year = year(v)
		case "ITRK", "IPRT":
			t.Track, t.TrackTotal = fraction(v)
		}
	}
	return nil
}

// text decodes a NUL-padded RIFF string: UTF-8 if valid, else Latin-1.
func text(b []byte) string {
	if i := strings.IndexByte(string(b), 0); i >= 0 {
		b = b[:i]
	}
	if utf8.Valid(b) {
		return strings.TrimSpace(string(b))
	}
	rs := make([]rune, len(b))
	for i, c := range b {
		rs[i] = rune(c)
	}
	return strings.TrimSpace(string(rs))
}

// year reads the leading four digits of a date such as "2019-05-01".
func year(s string) int {
	if len(s) < 4 {
		return 0
	}
	y, err := strconv.Atoi(s[:4])
	if err != nil || y <= 0 {
		return 0
	}
	return y
}

// fraction reads "3" or "3/12".
func fraction(s string) (n, total int) {
	a, b, _ := strings.Cut(s, "/")
	n, _ = strconv.Atoi(strings.TrimSpace(a))
	total, _ = strconv.Atoi(strings.TrimSpace(b))
	return max(n, 0), max(total, 0)
}

// readID3 reads an "id3 " chunk with dhowden/tag and lets its non-empty
// values override t. A damaged tag is ignored: the audio is still playable.
func readID3(r io.ReaderAt, body, size int64, t *media.Tags) {
	if size < 10 || size > maxID3Chunk {
		return
	}
	m, ok := safeReadID3(io.NewSectionReader(r, body, size))
	if !ok {
		return
	}
	set := func(dst *string, v string) {
		if v = strings.TrimSpace(v); v != "" {
			*dst = v
		}
	}
	set(&t.Title, m.Title())
	set(&t.Artist, m.Artist())
	set(&t.Album, m.Album())
	set(&t.AlbumArtist, m.AlbumArtist())
	set(&t.Genre, m.Genre())
	set(&t.Comment, m.Comment())
	if y := m.Year(); y > 0 {
		t.Year = y
	}
	if n, total := m.Track(); n > 0 {
		t.Track, t.TrackTotal = n, total
	}
	if n, total := m.Disc(); n > 0 {
		t.Disc, t.DiscTotal = n, total
	}
	if m.Picture() != nil {
		t.HasPicture = true
	}
}

// safeReadID3 runs dhowden/tag, which is not hardened against every
// malformed tag, and turns a panic into a failed read.
func safeReadID3(sr *io.SectionReader) (m tag.Metadata, ok bool) {
	defer func() {
		if recover() != nil {
			m, ok = nil, false
		}
	}()
	m, err := tag.ReadID3v2Tags(sr)
	return m, err == nil && m != nil
}
