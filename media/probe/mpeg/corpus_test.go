package mpeg

import (
	"errors"
	"math"
	"testing"

	"attune/media"
	"attune/media/mediatest"
)

// ffmpegSamples is the length of ffmpeg's decode (`ffmpeg -i F -f s16le -`,
// which trims the LAME encoder delay and padding) of the mixed corpus MP3s,
// by folder.
var ffmpegSamples = map[string]int64{
	"mp3-cbr128-id3v23-v1": 529200,
	"mp3-cbr320-id3v24":    529200,
	"mp3-vbr-v0":           529200,
	"mp3-vbr-v6-mono-32k":  384000,
	"mp3-id3v1-only":       577152,
}

func TestParse_CorpusMixed(t *testing.T) {
	n := mediatest.ParseManifestFiles(t, Parse, func(t *testing.T, row mediatest.ManifestRow, info Info) {
		rate := float64(info.SampleRate)
		got := float64(info.Samples) / rate
		// ffprobe's duration (the manifest's) counts every frame, encoder
		// delay and padding included; the decoded length does not.
		untrimmed := float64(info.Frames*int64(info.SamplesPerFrame)) / rate
		want, ok := ffmpegSamples[row.Variant]
		if !ok {
			t.Fatalf("no ffmpeg reference for %s", row.Variant)
		}
		if info.Samples != want {
			t.Errorf("Samples = %d, want %d (ffmpeg's decode)", info.Samples, want)
		}
		switch {
		case info.Tag != "":
			// ffprobe takes the frame count from the same header.
			if d := math.Abs(untrimmed - row.Duration); d > 0.001 {
				t.Errorf("Frames*SamplesPerFrame lasts %.6f s, ffprobe says %.6f s", untrimmed, row.Duration)
			}
		default:
			// ffprobe estimates from the file size and bitrate.
			if d := math.Abs(got - row.Duration); d > 0.050 {
				t.Errorf("Samples last %.6f s, manifest %.6f s: off by more than 50 ms", got, row.Duration)
			}
		}
		t.Logf("%.6f s (ffmpeg decode %.6f s, ffprobe %.6f s)", got, float64(want)/rate, row.Duration)
	}, ".mp3")
	if n < 18 {
		t.Errorf("manifest lists %d MP3s, want at least 18", n)
	}
}

// corpusTagsSamples is ffmpeg's decoded length of the tag-library MP3s that
// Parse accepts. Where Parse knowingly differs, the comment says why.
var corpusTagsSamples = map[string]int64{
	"dhowden-tag/testdata/with_tags/sample.id3v22.mp3":   152064,
	"dhowden-tag/testdata/without_tags/sample.mp3":       152064,
	"dhowden-tag/internal/id3v1_test/sample_utf8_v1.mp3": 1728,
	"go-mp3/mpeg2.mp3":                         1654272,
	"mutagen/97-unknown-23-update.mp3":         164736,
	"mutagen/audacious-trailing-id32-id31.mp3": 164736,
	// ffmpeg: 16175. Its decoder drops the last frame (a "LAM" fragment
	// runs into the APEv2 tag), so it never reaches the padding it trims.
	"mutagen/audacious-trailing-id32-apev2.mp3": 16111,
	"mutagen/bad-TYER-frame.mp3":                41472,
	"mutagen/lame-peak.mp3":                     2717,
	"mutagen/lame.mp3":                          2717,
	"mutagen/no-tags.mp3":                       2435,
	"mutagen/silence-44-s-mpeg2.mp3":            88433,
	"mutagen/silence-44-s-mpeg25.mp3":           44217,
	"mutagen/silence-44-s-v1.mp3":               164736,
	"mutagen/silence-44-s.mp3":                  164736,
	// ffmpeg: 229. Delay+padding (2028) exceed the 3 frames (1728); ffmpeg's
	// trimming then keeps a fragment, Parse reports none.
	"mutagen/lame397v9short.mp3": 0,
	// ffmpeg refuses the file ("Invalid frame size"): one lone frame.
	"mutagen/too-short.mp3":      1152,
	"taglib/bladeenc.mp3":        156672,
	"taglib/duplicate_id3v2.mp3": 5760,
	"taglib/invalid-frames1.mp3": 17280,
	"taglib/invalid-frames2.mp3": 13824,
	"taglib/itunes10.mp3":        0,
}

func TestParse_CorpusTags(t *testing.T) {
	var parsed, failed int
	for _, p := range mediatest.ParseCorpus(t, "tags", Parse) {
		if want, ok := corpusTagsSamples[p.Rel]; ok {
			if p.Err != nil {
				t.Errorf("%s: Parse: %v, want %d samples", p.Rel, p.Err, want)
			} else if p.Info.Samples != want {
				t.Errorf("%s: Samples = %d, want %d", p.Rel, p.Info.Samples, want)
			}
		}
		if p.Err != nil {
			failed++
			if !errors.Is(p.Err, media.ErrInvalid) {
				t.Errorf("%s: Parse error %q is not media.ErrInvalid", p.Rel, p.Err)
			}
			continue
		}
		parsed++
		checkInvariants(t, p.Rel, p.Info, -1)
	}
	t.Logf("%d files parsed, %d rejected", parsed, failed)
	if parsed < len(corpusTagsSamples) {
		t.Errorf("%d files parsed, want at least %d", parsed, len(corpusTagsSamples))
	}
}

// checkInvariants checks what must hold for any Info Parse returns; size
// is the file's size, or -1 when unknown.
func checkInvariants(tb testing.TB, name string, info Info, size int64) {
	tb.Helper()
	ok := info.Layer >= 1 && info.Layer <= 3 &&
		(info.Version == "1" || info.Version == "2" || info.Version == "2.5") &&
		info.SampleRate >= 8000 && info.SampleRate <= 48000 &&
		(info.Channels == 1 || info.Channels == 2) &&
		info.Frames > 0 && info.Samples >= 0 &&
		info.Samples <= info.Frames*int64(info.SamplesPerFrame) &&
		info.AudioStart >= 0 && info.AudioStart < info.AudioEnd &&
		(size < 0 || info.AudioEnd <= size) &&
		info.BitRate > 0
	if !ok {
		tb.Errorf("%s: Parse returned an inconsistent Info: %+v", name, info)
	}
}
