package store

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"time"

	"attune/media"
)

var (
	_ media.LoudnessStore = (*Store)(nil)
	_ media.Store         = (*Store)(nil)
)

// loudnessColumns are the track_loudness columns of a selectTracks row; all
// NULL when the track was never analysed.
type loudnessColumns struct {
	integrated, lra, samplePeak, truePeak sql.NullFloat64
	silent, version, analyzedAt           sql.NullInt64
	err                                   sql.NullString
}

// loudness is the last successful result, nil if there is none.
func (c loudnessColumns) loudness() *media.Loudness {
	if !c.analyzedAt.Valid {
		return nil
	}
	return &media.Loudness{
		Integrated: orMinusInf(c.integrated),
		Range:      c.lra.Float64,
		SamplePeak: orMinusInf(c.samplePeak),
		TruePeak:   orMinusInf(c.truePeak),
		Silent:     c.silent.Int64 == 1,
		AnalyzedAt: fromNanos(c.analyzedAt),
		Version:    int(c.version.Int64),
	}
}

func orMinusInf(v sql.NullFloat64) float64 {
	if !v.Valid {
		return math.Inf(-1)
	}
	return v.Float64
}

// finite stores a level, NULL for ±Inf and NaN (SQLite has no -Inf we can
// trust through every driver).
func finite(v float64) any {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return nil
	}
	return v
}

// PutLoudness records the loudness analysis of track id and clears any
// recorded error. An unknown track gives an error wrapping
// media.ErrNotFound.
func (s *Store) PutLoudness(ctx context.Context, id string, l media.Loudness) error {
	if l.AnalyzedAt.IsZero() {
		l.AnalyzedAt = time.Now()
	}
	res, err := s.db.ExecContext(ctx, `INSERT INTO track_loudness
		(track_id, integrated, lra, sample_peak, true_peak, silent, version, analyzed_at, error, error_at)
		SELECT ?, ?, ?, ?, ?, ?, ?, ?, '', NULL WHERE EXISTS (SELECT 1 FROM tracks WHERE id = ?)
		ON CONFLICT (track_id) DO UPDATE SET
			integrated = excluded.integrated, lra = excluded.lra,
			sample_peak = excluded.sample_peak, true_peak = excluded.true_peak,
			silent = excluded.silent, version = excluded.version, analyzed_at = excluded.analyzed_at,
			error = '', error_at = NULL`,
		id, finite(l.Integrated), finite(l.Range), finite(l.SamplePeak), finite(l.TruePeak), l.Silent,
		l.Version, toNanos(l.AnalyzedAt), id)
	if err != nil {
		return fmt.Errorf("record loudness of track %s: %w", id, err)
	}
	return mustAffect(res, fmt.Sprintf("record loudness of track %s", id))
}

// PutLoudnessError records why the analysis of track id failed; its previous
// result, if any, stays. An unknown track gives an error wrapping
// media.ErrNotFound.
func (s *Store) PutLoudnessError(ctx context.Context, id, msg string) error {
	if msg == "" {
		msg = "analysis failed"
	}
	res, err := s.db.ExecContext(ctx, `INSERT INTO track_loudness (track_id, error, error_at)
		SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM tracks WHERE id = ?)
		ON CONFLICT (track_id) DO UPDATE SET error = excluded.error, error_at = excluded.error_at`,
		id, msg, time.Now().UnixNano(), id)
	if err != nil {
		return fmt.Errorf("record the analysis error of track %s: %w", id, err)
	}
	return mustAffect(res, fmt.Sprintf("record the analysis error of track %s", id))
}

// TracksToAnalyze returns, in library order, the tracks that have a file and
// no current analysis: never analysed, or by an older analyser than
// media.AnalyzerVersion (this includes those whose every attempt failed).
// With all, it returns every track that has a file.
func (s *Store) TracksToAnalyze(ctx context.Context, all bool) ([]media.Track, error) {
	q := selectTracks + ` WHERE f.path IS NOT NULL`
	var args []any
	if !all {
		q += ` AND (l.analyzed_at IS NULL OR l.version <> ?)`
		args = append(args, media.AnalyzerVersion)
	}
	rows, err := s.db.QueryContext(ctx, q+libraryOrder, args...)
	if err != nil {
		return nil, fmt.Errorf("list tracks to analyse: %w", err)
	}
	defer rows.Close()
	var tracks []media.Track
	for rows.Next() {
		t, err := scanTrack(rows)
		if err != nil {
			return nil, fmt.Errorf("list tracks to analyse: %w", err)
		}
		tracks = append(tracks, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tracks to analyse: %w", err)
	}
	return tracks, nil
}
