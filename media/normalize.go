package media

import (
	"math"
	"time"
)

// AnalyzerVersion identifies the loudness measurement that produced a
// Loudness. A result from an older version is stale: `attune library analyze`
// measures its track again. Raise it when the meter's figures change.
const AnalyzerVersion = 1

// Loudness is what the analysis measured of a track (EBU R 128,
// media/loudness).
type Loudness struct {
	Integrated float64   // LUFS; −Inf when Silent
	Range      float64   // LU (EBU Tech 3342 loudness range)
	SamplePeak float64   // dBFS; −Inf for digital silence
	TruePeak   float64   // dBTP; −Inf for digital silence
	Silent     bool      // no 400 ms block reaches −70 LUFS: nothing to normalise
	AnalyzedAt time.Time // when it was measured
	Version    int       // the AnalyzerVersion that measured it
}

// Current reports whether l was measured by this build's analyser.
func (l *Loudness) Current() bool { return l != nil && l.Version == AnalyzerVersion }

// Defaults of loudness normalization (DESIGN.md §5).
const (
	// DefaultTargetLUFS is the loudness every track is played at unless a
	// room says otherwise: ReplayGain 2.0's reference level.
	DefaultTargetLUFS = -18.0
	// DefaultCeilingDBTP is the true-peak ceiling a track's gain respects
	// unless a room says otherwise.
	DefaultCeilingDBTP = -1.0
	// ReplayGainReferenceLUFS is the loudness a ReplayGain 2.0 track gain
	// brings a track to.
	ReplayGainReferenceLUFS = -18.0
	// UnanalyzedGainDB is the gain of a track that has neither been
	// analysed nor carries a ReplayGain tag: most music is mastered louder
	// than −18 LUFS, and too soft is safe where too loud is not.
	UnanalyzedGainDB = -6.0
)

// GainSource says what a track's normalization gain was derived from.
type GainSource string

// Gain sources, best first.
const (
	GainMeasured   GainSource = "measured"   // the track's own loudness analysis
	GainSilent     GainSource = "silent"     // analysed, and silent: played as it is
	GainReplayGain GainSource = "replaygain" // not analysed yet: its ReplayGain track gain
	GainDefault    GainSource = "default"    // not analysed, no tag: UnanalyzedGainDB
)

// Gain is the level at which a track is played so that it sounds at the
// target loudness.
type Gain struct {
	DB     float64    `json:"gain_db"`
	Source GainSource `json:"source"`
	// WantDB is the gain the loudness alone asks for; DB is less when the
	// peak limit bound it (PeakLimited).
	WantDB      float64 `json:"want_db"`
	PeakLimited bool    `json:"peak_limited"`
}

// NormalizationGain is the gain that plays t at targetLUFS with its peaks at
// or under ceilingDBTP. An analysed track gets target − integrated loudness,
// lowered if need be so that its true peak plus the gain stays at or under
// the ceiling; a silent one 0 dB. A track not analysed yet gets its
// ReplayGain track gain moved from the ReplayGain reference (−18 LUFS) to
// the target, else UnanalyzedGainDB; either is lowered if the tag's track
// peak says it would exceed the ceiling. The engine's limiter catches what
// the measurement cannot foresee (resampling overshoot, crossfades).
func NormalizationGain(t Track, targetLUFS, ceilingDBTP float64) Gain {
	if l := t.Loudness; l != nil {
		if l.Silent || math.IsInf(l.Integrated, -1) {
			return Gain{Source: GainSilent}
		}
		return limit(Gain{DB: targetLUFS - l.Integrated, Source: GainMeasured}, l.TruePeak, ceilingDBTP)
	}
	g := Gain{DB: UnanalyzedGainDB, Source: GainDefault}
	rg := t.Info.Tags.ReplayGain
	if rg.TrackGain != nil {
		g = Gain{DB: *rg.TrackGain + targetLUFS - ReplayGainReferenceLUFS, Source: GainReplayGain}
	}
	peak := math.Inf(-1)
	if rg.TrackPeak != nil && *rg.TrackPeak > 0 {
		peak = 20 * math.Log10(*rg.TrackPeak)
	}
	return limit(g, peak, ceilingDBTP)
}

// limit lowers g so that a peak of peakDB stays at or under ceilingDB.
func limit(g Gain, peakDB, ceilingDB float64) Gain {
	g.WantDB = g.DB
	if most := ceilingDB - peakDB; g.DB > most {
		g.DB, g.PeakLimited = most, true
	}
	return g
}
