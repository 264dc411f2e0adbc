// Package mpeg reads the structure of MPEG audio files (MP3 and the other
// MPEG-1/2/2.5 layers): where the frames are, how many there are and how long
// the audio plays, without decoding it. It treats every file as hostile:
// memory is bounded by a fixed read buffer, every loop advances, and every
// length taken from the file is checked against the file's size.
package mpeg

import (
	"bytes"
	"io"

	"attune/media"
)

// Decoder delay conventions (see Info).
const (
	// DecoderDelay is the delay in samples of the MPEG Layer III synthesis
	// filterbank: a decoder's output lags its input by 528+1 samples. LAME's
	// encoder delay does not include it; ffmpeg skips EncoderDelay+529.
	DecoderDelay = 529
)

// Walk limits.
const (
	// maxGap is the most junk tolerated between two frames (or between
	// the tags and the first frame, or after the last frame). A bigger gap
	// means the file is damaged rather than sloppily tagged.
	maxGap = 16 << 10
	// lastFrameSlack is how many bytes the last frame may miss before the
	// file counts as truncated.
	lastFrameSlack = 8
	// minTagShare: the walk must find at least this percentage of the
	// frames a Xing/VBRI header promises.
	minTagShare = 95
)

// Info is the structure of an MPEG audio stream.
//
// Where the real audio is in a decoder's output: an MPEG decoder that
// decodes the frames from AudioStart (all of them, the Xing/Info/VBRI frame
// too, as github.com/hajimehoshi/go-mp3 and so github.com/gopxl/beep/v2/mp3
// do: that frame decodes to SamplesPerFrame samples of silence) emits
// LeadingSamples() samples before the first real sample, then the Samples
// real ones, then the rest up to the end of its output (go-mp3 emits
// (Frames+1)*SamplesPerFrame samples when Tag is set, Frames*SamplesPerFrame
// otherwise). This is ffmpeg's convention too: its decode of the file is
// exactly the Samples samples starting there.
//
// Layer I and II streams are reported (Layer 1 or 2) without an error; a
// caller that plays through go-mp3, which decodes Layer III only, must
// reject them itself.
type Info struct {
	Version         string // "1", "2" or "2.5"
	Layer           int    // 1, 2 or 3
	SampleRate      int    // Hz
	Channels        int    // of the first frame: 1 or 2
	SamplesPerFrame int    // 384 (Layer I), 1152 (Layer II, MPEG-1 Layer III) or 576
	// Frames counts the audio frames, not a Xing/Info/VBRI frame. It is the
	// header's count (see Tag); when the walk finds between 95% and 100% of
	// that, or more than 105%, the walked count is used instead, as it is
	// what a decoder will actually decode.
	Frames int64
	// EncoderDelay and Padding are the encoder's delay and padding in
	// samples from the LAME tag, 0 when there is none. They do not include
	// the DecoderDelay.
	EncoderDelay, Padding int
	// Samples is the exact playable length in sample frames:
	// Frames*SamplesPerFrame - EncoderDelay - Padding (never negative).
	Samples int64
	BitRate int    // average bits/s of the audio frames (Xing frame excluded)
	VBR     bool   // the bitrate varies, or a Xing/VBRI header says so
	Tag     string // "xing", "info", "vbri", or "" when the frames were counted by walking them
	// AudioStart and AudioEnd are the byte range of the MPEG frames: from
	// the first frame (the Xing/Info/VBRI frame if there is one), after any
	// ID3v2 tags and junk, to the end of the last whole frame, before any
	// ID3v1, APEv2, Lyrics3 or appended ID3v2 tag.
	AudioStart, AudioEnd int64
}

// LeadingSamples is how many samples a decoder that decodes every frame
// from AudioStart (the Xing/Info/VBRI frame included, as go-mp3 does) emits
// before the first real sample. With a LAME tag that is the tag frame, the
// encoder delay and the DecoderDelay; without one nothing is trimmed, as
// ffmpeg does (the encoder's delay is unknown then).
func (i Info) LeadingSamples() int64 {
	var n int64
	if i.Tag != "" {
		n = int64(i.SamplesPerFrame)
	}
	if i.EncoderDelay != 0 || i.Padding != 0 {
		n += int64(i.EncoderDelay) + DecoderDelay
	}
	return n
}

// Parse reads the structure of an MPEG audio file: r holds the whole file of
// the given size. It skips leading ID3v2 tags and trailing ID3v1, APEv2 and
// Lyrics3 tags, finds the first frame (a valid header followed by a matching
// one), then walks every frame header to the end, resyncing over small
// junk (at most 16 KiB at a time; ID3v2 tags between frames are skipped).
// It never decodes audio. Layer I and II files parse like Layer III ones:
// the caller checks Info.Layer.
//
// Errors match media.ErrInvalid and are one line each:
//   - "no MPEG audio frames found" (with ": the data starts like FLAC" and
//     the like for files of other well-known formats, refused up front);
//   - "truncated inside the ID3v2 tag at byte X: ...";
//   - "truncated: the Xing header promises N frames, the file holds M"
//     (VBRI likewise) when the walk finds fewer than 95% of them;
//   - "truncated: last frame at byte X needs N bytes, M remain" when the
//     last frame misses more than 8 bytes;
//   - "corrupt: no valid MPEG frame between byte X and Y" for a gap of more
//     than 16 KiB.
//
// A failing r gives its error wrapped with the offset. Memory use is one
// 128 KiB buffer whatever the file claims.
func Parse(r io.ReaderAt, size int64) (Info, error) {
	if size <= 0 {
		return Info{}, media.Invalidf("no MPEG audio frames found")
	}
	rd := newChunkReader(r, size)

	start := int64(0)
	for {
		b, err := rd.peek(start, 10)
		if err != nil {
			return Info{}, err
		}
		n := id3v2Len(b)
		if n == 0 {
			break
		}
		if start+n > size {
			return Info{}, media.Invalidf("truncated inside the ID3v2 tag at byte %d: it needs %d bytes, %d remain", start, n, size-start)
		}
		start += n
	}
	if b, err := rd.peek(start, 12); err != nil {
		return Info{}, err
	} else if name := otherFormat(b); name != "" {
		return Info{}, media.Invalidf("no MPEG audio frames found: the data starts like %s", name)
	}
	end, err := trimEndTags(rd, start, size)
	if err != nil {
		return Info{}, err
	}

	first, h, found, err := findFrame(rd, start, end, nil)
	if err != nil {
		return Info{}, err
	}
	if !found {
		return Info{}, media.Invalidf("no MPEG audio frames found")
	}
	if first-start > maxGap {
		return Info{}, media.Invalidf("corrupt: no valid MPEG frame between byte %d and %d", start, first)
	}
	frame, err := rd.peek(first, h.length)
	if err != nil {
		return Info{}, err
	}
	tag, hasTag := parseVBRTag(frame, h)

	w, err := walk(rd, first, end, h, hasTag)
	if err != nil {
		return Info{}, err
	}
	if w.frames == 0 {
		return Info{}, media.Invalidf("no MPEG audio frames found")
	}
	if hasTag && tag.frames > 0 && w.frames*100 < tag.frames*minTagShare {
		name := "Xing"
		if tag.kind == "vbri" {
			name = "VBRI"
		}
		return Info{}, media.Invalidf("truncated: the %s header promises %d frames, the file holds %d", name, tag.frames, w.frames)
	}
	if w.truncated != nil {
		return Info{}, w.truncated
	}

	info := Info{
		Version:         versionName(h.version),
		Layer:           h.layer,
		SampleRate:      h.sampleRate,
		Channels:        h.channels,
		SamplesPerFrame: h.samples,
		Frames:          w.frames,
		VBR:             w.vbr,
		AudioStart:      first,
		AudioEnd:        w.end,
	}
	if hasTag {
		info.Tag = tag.kind
		info.EncoderDelay, info.Padding = tag.delay, tag.padding
		info.VBR = info.VBR || tag.kind != "info"
		if tag.frames > 0 && tag.frames <= w.frames && w.frames*100 <= tag.frames*(200-minTagShare) {
			info.Frames = tag.frames
		}
	}
	info.Samples = max(0, info.Frames*int64(h.samples)-int64(info.EncoderDelay)-int64(info.Padding))
	if dur := w.frames * int64(h.samples); dur > 0 {
		info.BitRate = int(w.bytes * 8 * int64(h.sampleRate) / dur)
	}
	return info, nil
}

// walkResult is what walking the frame headers found.
type walkResult struct {
	frames    int64 // audio frames (the tag frame not counted)
	bytes     int64 // their bytes
	end       int64 // end of the last whole frame
	vbr       bool  // bitrates differ
	truncated error // the last frame is cut short
}

// walk follows the frame headers from first, the first frame (header ref),
// to end. When skipFirst is set the first frame is a Xing/Info/VBRI frame
// and is not counted. Between frames it skips ID3v2 tags and resyncs over
// junk of up to maxGap bytes.
func walk(rd *chunkReader, first, end int64, ref header, skipFirst bool) (walkResult, error) {
	w := walkResult{end: first}
	pos := first
	if skipFirst {
		pos += int64(ref.length)
		w.end = pos
	}
	bitrate := 0
	for pos < end {
		b, err := rd.peek(pos, 10)
		if err != nil {
			return w, err
		}
		if h, ok := parseHeader(b); ok && h.sameStream(ref) {
			if pos+int64(h.length) > end {
				if missing := pos + int64(h.length) - end; missing > lastFrameSlack {
					w.truncated = media.Invalidf("truncated: last frame at byte %d needs %d bytes, %d remain", pos, h.length, end-pos)
				}
				break
			}
			w.frames++
			w.bytes += int64(h.length)
			if bitrate != 0 && h.bitrate != bitrate {
				w.vbr = true
			}
			bitrate = h.bitrate
			pos += int64(h.length)
			w.end = pos
			continue
		}
		if n := id3v2Len(b); n > 0 && pos+n <= end {
			pos += n
			continue
		}
		next, _, found, err := findFrame(rd, pos+1, end, &ref)
		if err != nil {
			return w, err
		}
		if !found {
			next = end
		}
		if next-pos > maxGap {
			return w, media.Invalidf("corrupt: no valid MPEG frame between byte %d and %d", pos, next)
		}
		pos = next
	}
	return w, nil
}

// scanLen is how much findFrame looks at in one go.
const scanLen = 64 << 10

// findFrame returns the first frame at or after from and before end: a valid
// header (of the same stream as ref, when ref is not nil) followed by a
// header of the same stream, or by the end of the audio exactly.
func findFrame(rd *chunkReader, from, end int64, ref *header) (int64, header, bool, error) {
	for pos := from; pos+4 <= end; {
		b, err := rd.peek(pos, int(min(scanLen, end-pos)))
		if err != nil {
			return 0, header{}, false, err
		}
		i := syncIndex(b)
		if i < 0 {
			// No candidate here; the last 3 bytes may start one.
			pos += int64(max(1, len(b)-3))
			continue
		}
		at := pos + int64(i)
		h, ok := parseHeader(b[i:])
		pos = at + 1
		if !ok || (ref != nil && !h.sameStream(*ref)) {
			continue
		}
		next := at + int64(h.length)
		if next == end {
			return at, h, true, nil
		}
		if next+4 > end {
			continue
		}
		nb, err := rd.peek(next, 4)
		if err != nil {
			return 0, header{}, false, err
		}
		if nh, ok := parseHeader(nb); ok && nh.sameStream(h) {
			return at, h, true, nil
		}
	}
	return 0, header{}, false, nil
}

// syncIndex returns the index of the first frame sync (11 set bits) in b
// that has a whole 4-byte header after it, or -1.
func syncIndex(b []byte) int {
	for i := 0; i+4 <= len(b); {
		j := bytes.IndexByte(b[i:len(b)-3], 0xFF)
		if j < 0 {
			return -1
		}
		i += j
		if b[i+1]&0xE0 == 0xE0 {
			return i
		}
		i++
	}
	return -1
}

// otherFormat names the container whose magic number starts b, or returns
// "". Such files can hold long runs of bytes that pass for MPEG frames
// (FLAC frames pass for Layer I), so they are refused up front.
func otherFormat(b []byte) string {
	if len(b) >= 12 && string(b[4:8]) == "ftyp" {
		return "MP4"
	}
	for _, m := range [...]struct{ magic, name string }{
		{"fLaC", "FLAC"},
		{"OggS", "Ogg"},
		{"RIFF", "RIFF (WAV)"},
		{"FORM", "IFF (AIFF)"},
		{"\x1A\x45\xDF\xA3", "Matroska"},
		{"MAC ", "Monkey's Audio"},
		{"wvpk", "WavPack"},
		{"MThd", "MIDI"},
	} {
		if len(b) >= len(m.magic) && string(b[:len(m.magic)]) == m.magic {
			return m.name
		}
	}
	return ""
}
