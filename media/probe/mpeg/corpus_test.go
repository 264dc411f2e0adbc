package mpeg

import (
	"encoding/csv"
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"attune/media"
)

// corpusDir returns the shared test corpus, or skips the test when it is
// absent: $ATTUNE_CORPUS, else shared/corpus beside the repository.
func corpusDir(tb testing.TB) string {
	tb.Helper()
	dirs := []string{os.Getenv("ATTUNE_CORPUS"), "../../../../shared/corpus", "../../../shared/corpus"}
	for _, d := range dirs {
		if d == "" {
			continue
		}
		if fi, err := os.Stat(d); err == nil && fi.IsDir() {
			return d
		}
	}
	tb.Skip("corpus not found: set ATTUNE_CORPUS or put shared/corpus beside the repository")
	return ""
}

// parseFile runs Parse on a file.
func parseFile(tb testing.TB, path string) (Info, error) {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatalf("open: %v", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		tb.Fatalf("stat: %v", err)
	}
	return Parse(f, fi.Size())
}

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
	dir := filepath.Join(corpusDir(t), "music", "mixed")
	f, err := os.Open(filepath.Join(dir, "manifest.tsv"))
	if err != nil {
		t.Fatalf("open manifest: %v", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comma, r.LazyQuotes, r.FieldsPerRecord = '\t', true, -1
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatalf("read manifest: %v", err)
	}
	seen := 0
	for _, row := range rows[1:] {
		path, variant := row[0], row[1]
		if !strings.HasSuffix(path, ".mp3") {
			continue
		}
		seen++
		info, err := parseFile(t, filepath.Join(dir, path))
		if variant == "broken" {
			if err == nil {
				t.Errorf("%s: Parse succeeded (%d samples), want an error", path, info.Samples)
			} else if !errors.Is(err, media.ErrInvalid) {
				t.Errorf("%s: Parse error %q, want media.ErrInvalid", path, err)
			} else {
				t.Logf("%s: %v", path, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: Parse: %v", path, err)
			continue
		}
		manifest, err := strconv.ParseFloat(row[7], 64)
		if err != nil {
			t.Fatalf("%s: manifest duration %q: %v", path, row[7], err)
		}
		rate := float64(info.SampleRate)
		got := float64(info.Samples) / rate
		// ffprobe's duration (the manifest's) counts every frame, encoder
		// delay and padding included; the decoded length does not.
		untrimmed := float64(info.Frames*int64(info.SamplesPerFrame)) / rate
		want, ok := ffmpegSamples[variant]
		if !ok {
			t.Fatalf("%s: no ffmpeg reference for %s", path, variant)
		}
		if info.Samples != want {
			t.Errorf("%s: Samples = %d, want %d (ffmpeg's decode)", path, info.Samples, want)
		}
		switch {
		case info.Tag != "":
			// ffprobe takes the frame count from the same header.
			if d := math.Abs(untrimmed - manifest); d > 0.001 {
				t.Errorf("%s: Frames*SamplesPerFrame lasts %.6f s, ffprobe says %.6f s", path, untrimmed, manifest)
			}
		default:
			// ffprobe estimates from the file size and bitrate.
			if d := math.Abs(got - manifest); d > 0.050 {
				t.Errorf("%s: Samples last %.6f s, manifest %.6f s: off by more than 50 ms", path, got, manifest)
			}
		}
		t.Logf("%s: %.6f s (ffmpeg decode %.6f s, ffprobe %.6f s)", path, got, float64(want)/rate, manifest)
	}
	if seen < 18 {
		t.Errorf("manifest lists %d MP3s, want at least 18", seen)
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
	dir := filepath.Join(corpusDir(t), "tags")
	var parsed, failed int
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		rel = filepath.ToSlash(rel)
		start := time.Now()
		info, err := func() (info Info, err error) {
			defer func() {
				if p := recover(); p != nil {
					t.Errorf("%s: Parse panicked: %v", rel, p)
				}
			}()
			return parseFile(t, path)
		}()
		if el := time.Since(start); el > time.Second {
			t.Errorf("%s: Parse took %v, want < 1 s", rel, el)
		}
		if want, ok := corpusTagsSamples[rel]; ok {
			if err != nil {
				t.Errorf("%s: Parse: %v, want %d samples", rel, err, want)
			} else if info.Samples != want {
				t.Errorf("%s: Samples = %d, want %d", rel, info.Samples, want)
			}
		}
		if err != nil {
			failed++
			if !errors.Is(err, media.ErrInvalid) {
				t.Errorf("%s: Parse error %q is not media.ErrInvalid", rel, err)
			}
			return nil
		}
		parsed++
		checkInvariants(t, rel, info, -1)
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", dir, err)
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
