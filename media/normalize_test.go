package media_test

import (
	"math"
	"testing"

	"attune/media"
)

func fptr(f float64) *float64 { return &f }

func TestNormalizationGain(t *testing.T) {
	analysed := func(lufs, tp float64) media.Track {
		return media.Track{Loudness: &media.Loudness{Integrated: lufs, TruePeak: tp, Version: media.AnalyzerVersion}}
	}
	tagged := func(gain float64, peak *float64) media.Track {
		var tr media.Track
		tr.Info.Tags.ReplayGain = media.ReplayGain{TrackGain: &gain, TrackPeak: peak}
		return tr
	}
	inf := math.Inf(-1)
	for _, c := range []struct {
		name    string
		track   media.Track
		target  float64
		want    media.Gain
		comment string
	}{
		{"loud track is turned down", analysed(-8, -0.2), -18,
			media.Gain{DB: -10, WantDB: -10, Source: media.GainMeasured}, ""},
		{"quiet track is turned up", analysed(-23, -9), -18,
			media.Gain{DB: 5, WantDB: 5, Source: media.GainMeasured}, ""},
		{"peak limit binds", analysed(-30, -3), -18,
			media.Gain{DB: 2, WantDB: 12, Source: media.GainMeasured, PeakLimited: true}, "-3 dBTP + 2 = the -1 ceiling"},
		{"peak exactly at the ceiling is not limited", analysed(-20, -3), -18,
			media.Gain{DB: 2, WantDB: 2, Source: media.GainMeasured}, ""},
		{"other target", analysed(-14, -1), -23,
			media.Gain{DB: -9, WantDB: -9, Source: media.GainMeasured}, ""},
		{"silent track plays as it is", media.Track{Loudness: &media.Loudness{Integrated: inf, TruePeak: inf, Silent: true}}, -18,
			media.Gain{Source: media.GainSilent}, ""},
		{"analysis wins over the tag", func() media.Track { tr := analysed(-12, -1); tr.Info.Tags.ReplayGain.TrackGain = fptr(-9); return tr }(), -18,
			media.Gain{DB: -6, WantDB: -6, Source: media.GainMeasured}, ""},
		{"ReplayGain at its own reference", tagged(-7.5, nil), -18,
			media.Gain{DB: -7.5, WantDB: -7.5, Source: media.GainReplayGain}, ""},
		{"ReplayGain moved to the target", tagged(-7.5, nil), -23,
			media.Gain{DB: -12.5, WantDB: -12.5, Source: media.GainReplayGain}, ""},
		{"ReplayGain limited by its peak", tagged(6, fptr(0.5)), -18,
			media.Gain{DB: -1 + 20*math.Log10(2), WantDB: 6, Source: media.GainReplayGain, PeakLimited: true}, "0.5 = -6.02 dBFS"},
		{"nothing known", media.Track{}, -18,
			media.Gain{DB: media.UnanalyzedGainDB, WantDB: media.UnanalyzedGainDB, Source: media.GainDefault}, ""},
	} {
		got := media.NormalizationGain(c.track, c.target, -1)
		if got.Source != c.want.Source || got.PeakLimited != c.want.PeakLimited ||
			math.Abs(got.DB-c.want.DB) > 1e-9 || math.Abs(got.WantDB-c.want.WantDB) > 1e-9 {
			t.Errorf("%s: got %+v, want %+v %s", c.name, got, c.want, c.comment)
		}
	}
}
