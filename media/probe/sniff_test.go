package probe

import "testing"

func TestSniff(t *testing.T) {
	tests := []struct {
		name string
		head string
		want kind
		fmt  string
	}{
		{"flac", "fLaC\x00\x00\x00\x22", kindFLAC, "FLAC"},
		{"ogg", "OggS\x00\x02", kindOgg, "Ogg"},
		{"wav", "RIFF\x24\x00\x00\x00WAVEfmt ", kindWAV, "WAV"},
		{"mp3 frame", "\xff\xfb\x90\x64", kindMP3, "MP3"},
		{"m4a", "\x00\x00\x00\x20ftypM4A ", kindUnsupported, "MPEG-4 audio (M4A/AAC/ALAC)"},
		{"adts aac", "\xff\xf1\x50\x80", kindUnsupported, "AAC (ADTS)"},
		{"ape", "MAC \x96\x0f", kindUnsupported, "Monkey's Audio (APE)"},
		{"wma", "\x30\x26\xB2\x75\x8E\x66\xCF\x11\xA6\xD9", kindUnsupported, "Windows Media Audio (WMA/ASF)"},
		{"aiff", "FORM\x00\x00\x10\x00AIFFCOMM", kindUnsupported, "AIFF"},
		{"rf64", "RF64\xff\xff\xff\xffWAVEds64", kindUnsupported, "RF64 WAV (files over 4 GiB)"},
		{"text", "this is not a flac file\n", kindText, "text"},
		{"utf8 text", "Für Elise — notes\n", kindText, "text"},
		{"binary junk", "\x00\x01\x02\x03\x04\x05", kindUnknown, ""},
		{"empty", "", kindUnknown, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, name := sniff([]byte(tt.head))
			if k != tt.want || name != tt.fmt {
				t.Errorf("sniff(%q) = %v, %q; want %v, %q", tt.head, k, name, tt.want, tt.fmt)
			}
		})
	}
}

func TestID3v2Size(t *testing.T) {
	tests := []struct {
		head string
		want int64
	}{
		{"ID3\x04\x00\x00\x00\x00\x02\x01", 10 + 257},
		{"ID3\x04\x00\x10\x00\x00\x00\x0a", 10 + 10 + 10}, // footer flag
		{"ID3\x04\x00\x00\x80\x00\x00\x00", 0},            // not syncsafe
		{"fLaC\x00\x00\x00\x22\x00\x00", 0},
	}
	for _, tt := range tests {
		if got := id3v2Size([]byte(tt.head)); got != tt.want {
			t.Errorf("id3v2Size(%q) = %d, want %d", tt.head, got, tt.want)
		}
	}
}

func TestParseGain(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"-6.48 dB", -6.48, true},
		{"+1.20 dB", 1.2, true},
		{"-3.5", -3.5, true},
		{"0.00 DB", 0, true},
		{"loud", 0, false},
		{"+99 dB", 0, false}, // a tag must not make a track loud
	}
	for _, tt := range tests {
		got := parseGain(tt.in)
		if (got != nil) != tt.ok || got != nil && *got != tt.want {
			t.Errorf("parseGain(%q) = %v, want %v (ok %v)", tt.in, got, tt.want, tt.ok)
		}
	}
}
