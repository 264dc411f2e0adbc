package probe

import (
	"bytes"
	"unicode/utf8"
)

// kind is what the first bytes of a file say it is.
type kind int

const (
	kindUnknown kind = iota
	kindMP3          // MPEG audio frame sync (or an ID3v2 tag followed by one)
	kindFLAC
	kindOgg // the codec inside is decided by oggfile
	kindWAV
	kindUnsupported // a recognized audio format attune does not play
	kindText        // not audio at all
)

// sniffLen is how many bytes sniff wants to see.
const sniffLen = 64

// sniff classifies a file by its first bytes (after any ID3v2 tags, which the
// caller skips), never by its name: a text file named .flac is text. For
// kindUnsupported the name says which format it is.
func sniff(head []byte) (k kind, name string) {
	has := func(off int, magic string) bool {
		return len(head) >= off+len(magic) && string(head[off:off+len(magic)]) == magic
	}
	switch {
	case has(0, "fLaC"):
		return kindFLAC, "FLAC"
	case has(0, "OggS"):
		return kindOgg, "Ogg"
	case has(0, "RIFF") && has(8, "WAVE"):
		return kindWAV, "WAV"
	case has(0, "RIFF") && has(8, "AVI "):
		return kindUnsupported, "AVI video"
	case has(0, "RF64"), has(0, "BW64"):
		return kindUnsupported, "RF64 WAV (files over 4 GiB)"
	case has(0, "RIFX"):
		return kindUnsupported, "big-endian WAV (RIFX)"
	case has(4, "ftyp"):
		return kindUnsupported, "MPEG-4 audio (M4A/AAC/ALAC)"
	case has(0, "MAC "):
		return kindUnsupported, "Monkey's Audio (APE)"
	case bytes.HasPrefix(head, asfGUID):
		return kindUnsupported, "Windows Media Audio (WMA/ASF)"
	case has(0, "FORM") && (has(8, "AIFF") || has(8, "AIFC")):
		return kindUnsupported, "AIFF"
	case has(0, "wvpk"):
		return kindUnsupported, "WavPack"
	case has(0, "MPCK"), has(0, "MP+"):
		return kindUnsupported, "Musepack"
	case has(0, "TTA1"):
		return kindUnsupported, "TrueAudio (TTA)"
	case has(0, "OFR "):
		return kindUnsupported, "OptimFROG"
	case has(0, "DSD "):
		return kindUnsupported, "DSD (DSF)"
	case has(0, "FRM8"):
		return kindUnsupported, "DSD (DSDIFF)"
	case has(0, ".snd"):
		return kindUnsupported, "Sun/NeXT audio (AU)"
	case has(0, "#!AMR"):
		return kindUnsupported, "AMR"
	case has(0, "MThd"):
		return kindUnsupported, "MIDI"
	case has(0, "\x1aE\xdf\xa3"):
		return kindUnsupported, "Matroska/WebM"
	case has(0, "caff"):
		return kindUnsupported, "Core Audio Format (CAF)"
	case has(0, "APETAGEX"):
		// An APE tag in front of the audio is rare; the MPEG parser skips it
		// only at the end, so say what it is rather than guess.
		return kindUnsupported, "a file starting with an APE tag"
	}
	if len(head) >= 2 && head[0] == 0xFF && head[1]&0xE0 == 0xE0 {
		// 11 sync bits. Layer bits 00 are reserved in MPEG audio but mean
		// AAC in an ADTS stream.
		if head[1]&0x06 == 0 {
			return kindUnsupported, "AAC (ADTS)"
		}
		return kindMP3, "MP3"
	}
	if looksLikeText(head) {
		return kindText, "text"
	}
	return kindUnknown, ""
}

// asfGUID starts every ASF (WMA/WMV) file.
var asfGUID = []byte{0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11}

// looksLikeText reports whether head is plausibly the start of a text file:
// valid UTF-8 with no control characters other than white space.
func looksLikeText(head []byte) bool {
	if len(head) == 0 {
		return false
	}
	// A multi-byte rune may be cut at the end of the window.
	for cut := 0; cut < utf8.UTFMax && !utf8.Valid(head); cut++ {
		head = head[:len(head)-1]
		if len(head) == 0 {
			return false
		}
	}
	if !utf8.Valid(head) {
		return false
	}
	for _, r := range string(head) {
		if r < 0x20 && r != '\n' && r != '\r' && r != '\t' && r != '\f' || r == 0x7F {
			return false
		}
	}
	return true
}

// id3v2Size returns the length of the ID3v2 tag at the start of head
// (header, body and footer), or 0 if head does not start with one.
func id3v2Size(head []byte) int64 {
	if len(head) < 10 || string(head[:3]) != "ID3" || head[3] == 0xFF || head[4] == 0xFF {
		return 0
	}
	for _, b := range head[6:10] {
		if b&0x80 != 0 {
			return 0
		}
	}
	size := int64(head[6])<<21 | int64(head[7])<<14 | int64(head[8])<<7 | int64(head[9])
	size += 10
	if head[5]&0x10 != 0 { // footer present
		size += 10
	}
	return size
}
