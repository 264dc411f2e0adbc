package flacfile

import (
	"errors"
	"math"
	"path/filepath"
	"testing"

	"attune/media"
	"attune/media/mediatest"
)

func TestParse_CorpusManifest(t *testing.T) {
	mediatest.ParseManifestFiles(t, Parse, func(t *testing.T, row mediatest.ManifestRow, info Info) {
		got := float64(info.Samples) / float64(info.SampleRate)
		if math.Abs(got-row.Duration) > 0.001 {
			t.Errorf("duration = %.6f s, want %.6f s (ffmpeg)", got, row.Duration)
		}
		if info.SampleRate != row.SampleRate {
			t.Errorf("SampleRate = %d, want %d", info.SampleRate, row.SampleRate)
		}
		if info.Channels != row.Channels {
			t.Errorf("Channels = %d, want %d", info.Channels, row.Channels)
		}
		if info.BitDepth != row.Bits {
			t.Errorf("BitDepth = %d, want %d", info.BitDepth, row.Bits)
		}
	}, ".flac")
}

// TestParse_CorpusTestbench runs the IETF FLAC decoder testbench: subset/
// must parse with the STREAMINFO sample count (which `flac -t` checks),
// uncommon/ must parse or be unsupported, faulty/ must not crash.
func TestParse_CorpusTestbench(t *testing.T) {
	dir := filepath.Join(mediatest.Corpus(t), "tags", "flac-test-files")
	files, _ := filepath.Glob(filepath.Join(dir, "*", "*.flac"))
	if len(files) == 0 {
		t.Skipf("no files in %s", dir)
	}
	// subset/45 has no total in STREAMINFO; libFLAC decodes 336410 samples.
	noTotal := map[string]int64{"45 - no total number of samples set.flac": 336410}
	for _, path := range files {
		group := filepath.Base(filepath.Dir(path))
		name := filepath.Base(path)
		t.Run(group+"/"+name, func(t *testing.T) {
			info, err := mediatest.ParseFile(t, path, Parse)
			switch group {
			case "subset":
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if want, ok := noTotal[name]; ok && info.Samples != want {
					t.Errorf("Samples = %d, want %d", info.Samples, want)
				}
			case "uncommon":
				if err != nil && !errors.Is(err, media.ErrUnsupported) {
					t.Errorf("Parse error = %v, want nil or ErrUnsupported", err)
				}
			}
			t.Logf("%s/%s: err=%v samples=%d", group, name, err, info.Samples)
		})
	}
}

// TestParse_CorpusAnyFile feeds every file under tags/ to Parse: no panic,
// no hang.
func TestParse_CorpusAnyFile(t *testing.T) {
	mediatest.ParseCorpus(t, "tags", Parse)
}
