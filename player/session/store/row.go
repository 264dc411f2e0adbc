package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"attune/player/session"
)

// row is a Record as its columns hold it.
type row struct {
	room, playlist, profile, status string
	created                         int64
	dosed, ended                    sql.NullInt64
	boundaries                      string
	paused                          bool
	pausedAt                        int64
	quiet                           bool
	volume                          float64
	plan                            string
}

func (r row) args() []any {
	return []any{r.room, r.playlist, r.profile, r.status, r.created, r.dosed, r.ended, r.boundaries,
		r.paused, r.pausedAt, r.quiet, r.volume, r.plan}
}

func nullTime(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixNano(), Valid: true}
}

func toRow(r session.Record) (row, error) {
	pl, err := json.Marshal(r.Playlist)
	if err != nil {
		return row{}, fmt.Errorf("playlist: %w", err)
	}
	prof, err := json.Marshal(r.Profile)
	if err != nil {
		return row{}, fmt.Errorf("profile: %w", err)
	}
	b, err := json.Marshal(r.Boundaries)
	if err != nil {
		return row{}, fmt.Errorf("boundaries: %w", err)
	}
	plan := string(r.Plan)
	if plan == "" {
		plan = "null"
	}
	if !json.Valid([]byte(plan)) {
		return row{}, fmt.Errorf("plan is not valid JSON")
	}
	switch r.Status {
	case session.StatusArrival, session.StatusRunning, session.StatusEnded:
	default:
		return row{}, fmt.Errorf("unknown status %q", r.Status)
	}
	return row{
		room: r.Room, playlist: string(pl), profile: string(prof), status: string(r.Status),
		created: r.Created.UnixNano(), dosed: nullTime(r.DosedAt), ended: nullTime(r.Ended),
		boundaries: string(b), paused: r.Paused, pausedAt: int64(r.PausedAt), quiet: r.Quiet,
		volume: r.VolumeDB, plan: plan,
	}, nil
}

// query returns the sessions selected by the SQL after FROM sessions.
func (s *Store) query(ctx context.Context, where string, args ...any) ([]session.Record, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, room, playlist, profile, status, created_ns, dosed_ns, ended_ns,
		boundaries, paused, paused_at_ns, quiet, volume_db, plan FROM sessions `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []session.Record
	for rows.Next() {
		var r session.Record
		var w row
		if err := rows.Scan(&r.ID, &w.room, &w.playlist, &w.profile, &w.status, &w.created, &w.dosed, &w.ended,
			&w.boundaries, &w.paused, &w.pausedAt, &w.quiet, &w.volume, &w.plan); err != nil {
			return nil, err
		}
		if err := fromRow(&r, w); err != nil {
			return nil, fmt.Errorf("session %d: %w", r.ID, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func fromRow(r *session.Record, w row) error {
	if err := json.Unmarshal([]byte(w.playlist), &r.Playlist); err != nil {
		return fmt.Errorf("playlist snapshot: %w", err)
	}
	if err := json.Unmarshal([]byte(w.profile), &r.Profile); err != nil {
		return fmt.Errorf("profile snapshot: %w", err)
	}
	if err := json.Unmarshal([]byte(w.boundaries), &r.Boundaries); err != nil {
		return fmt.Errorf("boundaries: %w", err)
	}
	r.Room, r.Status = w.room, session.Status(w.status)
	r.Created = time.Unix(0, w.created).UTC()
	if w.dosed.Valid {
		r.DosedAt = time.Unix(0, w.dosed.Int64).UTC()
	}
	if w.ended.Valid {
		r.Ended = time.Unix(0, w.ended.Int64).UTC()
	}
	r.Paused, r.PausedAt, r.Quiet, r.VolumeDB = w.paused, time.Duration(w.pausedAt), w.quiet, w.volume
	if w.plan != "null" {
		r.Plan = json.RawMessage(w.plan)
	}
	return nil
}
