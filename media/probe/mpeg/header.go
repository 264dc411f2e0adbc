package mpeg

// MPEG audio version IDs as coded in bits 20–19 of a frame header.
const (
	version25 = 0 // MPEG-2.5 (unofficial extension for 8–12 kHz)
	version2  = 2 // MPEG-2 LSF
	version1  = 3 // MPEG-1
)

// bitrates (a read-only table) in kbit/s by [version is MPEG-1 ? 0 : 1][layer-1][index];
// index 0 (free format) and 15 are invalid and stay 0.
var bitrates = [2][3][16]int{
	{ // MPEG-1
		{0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448, 0},
		{0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, 0},
		{0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 0},
	},
	{ // MPEG-2 and 2.5
		{0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256, 0},
		{0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160, 0},
		{0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160, 0},
	},
}

// sampleRates (a read-only table) in Hz by [version ID][index]; index 3 is reserved.
var sampleRates = [4][3]int{
	version25: {11025, 12000, 8000},
	version2:  {22050, 24000, 16000},
	version1:  {44100, 48000, 32000},
}

// header is one decoded 4-byte MPEG audio frame header.
type header struct {
	version    int // version ID (version1, version2, version25)
	layer      int // 1, 2 or 3
	bitrate    int // bits per second
	sampleRate int // Hz
	channels   int
	length     int // whole frame in bytes, header included
	samples    int // sample frames decoded from this frame
	// rateIndex is kept to compare headers without recomputing rates.
	rateIndex int
}

// parseHeader decodes the 4 bytes b[0:4] as a frame header. It reports false
// for anything that is not a valid, decodable header: no sync, reserved
// version, layer or sample rate, free-format or bad bitrate.
func parseHeader(b []byte) (header, bool) {
	if len(b) < 4 || b[0] != 0xFF || b[1]&0xE0 != 0xE0 {
		return header{}, false
	}
	ver := int(b[1]>>3) & 3
	layerBits := int(b[1]>>1) & 3
	brIndex := int(b[2] >> 4)
	srIndex := int(b[2]>>2) & 3
	if ver == 1 || layerBits == 0 || brIndex == 0 || brIndex == 15 || srIndex == 3 {
		return header{}, false
	}
	h := header{version: ver, layer: 4 - layerBits, rateIndex: srIndex}
	lsf := 1
	if ver == version1 {
		lsf = 0
	}
	h.bitrate = bitrates[lsf][h.layer-1][brIndex] * 1000
	h.sampleRate = sampleRates[ver][srIndex]
	h.channels = 2
	if b[3]>>6 == 3 {
		h.channels = 1
	}
	pad := int(b[2]>>1) & 1
	switch {
	case h.layer == 1:
		h.samples = 384
		h.length = (12*h.bitrate/h.sampleRate + pad) * 4
	case h.layer == 2 || ver == version1:
		h.samples = 1152
		h.length = 144*h.bitrate/h.sampleRate + pad
	default: // Layer III, MPEG-2 or 2.5
		h.samples = 576
		h.length = 72*h.bitrate/h.sampleRate + pad
	}
	return h, true
}

// sameStream reports whether h can belong to the same stream as ref: the
// version, layer and sample rate of an MPEG stream never change.
func (h header) sameStream(ref header) bool {
	return h.version == ref.version && h.layer == ref.layer && h.rateIndex == ref.rateIndex
}

// versionName is the name Info.Version uses for a version ID.
func versionName(ver int) string {
	switch ver {
	case version1:
		return "1"
	case version2:
		return "2"
	default:
		return "2.5"
	}
}

// sideInfoLen is the length of the Layer III side information that follows
// the header (and the optional CRC); Xing/Info headers sit right after it.
func (h header) sideInfoLen() int {
	switch {
	case h.version == version1 && h.channels == 2:
		return 32
	case h.version == version1:
		return 17
	case h.channels == 2:
		return 17
	default:
		return 9
	}
}
