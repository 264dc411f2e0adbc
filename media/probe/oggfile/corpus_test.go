package oggfile

import (
	"math"
	"testing"

	"attune/media/mediatest"
)

func TestParse_CorpusManifest(t *testing.T) {
	mediatest.ParseManifestFiles(t, Parse, func(t *testing.T, row mediatest.ManifestRow, info Info) {
		if info.Codec != row.Codec {
			t.Errorf("Codec = %q, want %q", info.Codec, row.Codec)
		}
		got := float64(info.Samples) / float64(info.SampleRate)
		if math.Abs(got-row.Duration) > 0.050 {
			t.Errorf("duration = %.6f s, want %.6f s (ffmpeg) within 50 ms", got, row.Duration)
		}
		if info.Channels != row.Channels {
			t.Errorf("Channels = %d, want %d", info.Channels, row.Channels)
		}
	}, ".ogg", ".opus")
}

// TestParse_CorpusAnyFile feeds every file under tags/ to Parse: no panic,
// no hang.
func TestParse_CorpusAnyFile(t *testing.T) {
	mediatest.ParseCorpus(t, "tags", Parse)
}
