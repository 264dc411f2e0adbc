package oggfile

import (
	"encoding/binary"
	"strings"

	"attune/media"
)

// identify reads the codec headers captured from the first packets and sets
// the codec, format and exact length.
func identify(info *Info, pk *packets) error {
	id := pk.head[0]
	switch {
	case strings.HasPrefix(string(id), "\x01vorbis"):
		return identifyVorbis(info, pk)
	case strings.HasPrefix(string(id), "OpusHead"):
		return identifyOpus(info, id)
	case strings.HasPrefix(string(id), "\x7fFLAC"):
		return identifyFLAC(info, id)
	case strings.HasPrefix(string(id), "Speex   "):
		info.Codec = CodecSpeex
		if len(id) >= 52 {
			info.SampleRate = int(binary.LittleEndian.Uint32(id[36:]))
			info.Channels = int(binary.LittleEndian.Uint32(id[48:]))
		}
		info.Samples = max(info.LastGranule, 0)
	case strings.HasPrefix(string(id), "\x80theora"):
		info.Codec = CodecTheora
	default:
		info.Codec = CodecUnknown
	}
	return nil
}

// identifyVorbis validates the three Vorbis headers (identification, comment,
// setup; Vorbis I specification section 4.2).
func identifyVorbis(info *Info, pk *packets) error {
	info.Codec = CodecVorbis
	id := pk.head[0]
	if len(id) < 30 {
		return media.Invalidf("invalid Vorbis identification header: %d bytes, want 30", len(id))
	}
	version := binary.LittleEndian.Uint32(id[7:])
	info.Channels = int(id[11])
	info.SampleRate = int(binary.LittleEndian.Uint32(id[12:]))
	nominal := int32(binary.LittleEndian.Uint32(id[20:]))
	bs0, bs1 := id[28]&0xF, id[28]>>4
	switch {
	case version != 0:
		return media.Invalidf("invalid Vorbis identification header: version %d, want 0", version)
	case info.Channels == 0:
		return media.Invalidf("invalid Vorbis identification header: 0 channels")
	case info.SampleRate <= 0 || info.SampleRate > 1<<30:
		return media.Invalidf("invalid Vorbis identification header: sample rate %d", binary.LittleEndian.Uint32(id[12:]))
	case bs0 < 6 || bs1 > 13 || bs0 > bs1:
		return media.Invalidf("invalid Vorbis identification header: block sizes %d and %d", 1<<bs0, 1<<bs1)
	case id[29]&1 == 0:
		return media.Invalidf("invalid Vorbis identification header: framing bit not set")
	case pk.count < 2 || !strings.HasPrefix(string(pk.head[1]), "\x03vorbis"):
		return media.Invalidf("missing Vorbis comment header")
	case pk.count < 3 || !strings.HasPrefix(string(pk.head[2]), "\x05vorbis"):
		return media.Invalidf("missing Vorbis setup header")
	}
	if nominal > 0 {
		info.NominalBitRate = int(nominal)
	}
	info.Samples = max(info.LastGranule, 0)
	return nil
}

// identifyOpus reads the OpusHead packet (RFC 7845 section 5.1). Opus always
// decodes at 48 kHz; the first PreSkip samples are not part of the audio.
func identifyOpus(info *Info, id []byte) error {
	info.Codec = CodecOpus
	if len(id) < 19 {
		return media.Invalidf("invalid OpusHead: %d bytes, want at least 19", len(id))
	}
	if id[8]&0xF0 != 0 {
		return media.Invalidf("invalid OpusHead: version %d", id[8])
	}
	info.Channels = int(id[9])
	info.PreSkip = int(binary.LittleEndian.Uint16(id[10:]))
	info.InputRate = int(binary.LittleEndian.Uint32(id[12:]))
	info.SampleRate = 48000
	if info.Channels == 0 {
		return media.Invalidf("invalid OpusHead: 0 channels")
	}
	info.Samples = max(info.LastGranule-int64(info.PreSkip), 0)
	return nil
}

// identifyFLAC reads the STREAMINFO embedded in the first packet of Ogg FLAC:
// "\x7fFLAC", version (2), header count (2), "fLaC", block header (4), body.
func identifyFLAC(info *Info, id []byte) error {
	info.Codec = CodecFLAC
	if len(id) < 51 || string(id[9:13]) != "fLaC" || id[13]&0x7F != 0 {
		return media.Invalidf("invalid Ogg FLAC header: no STREAMINFO")
	}
	x := binary.BigEndian.Uint64(id[27:])
	info.SampleRate = int(x >> 44)
	info.Channels = int(x>>41&7) + 1
	info.BitDepth = int(x>>36&31) + 1
	info.Samples = max(info.LastGranule, 0)
	return nil
}
