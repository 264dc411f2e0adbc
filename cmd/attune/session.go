package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	mstore "attune/media/store"
	"attune/player/session"
	sstore "attune/player/session/store"
)

func sessionCommand() *command {
	return &command{
		name:    "session",
		summary: "list sessions and export their logs",
		sub:     []*command{sessionListCommand(), sessionLogCommand()},
	}
}

// withSessions opens the sessions' store in the attune database, runs fn
// and closes it.
func withSessions(ctx context.Context, e *env, fn func(*sstore.Store) int) int {
	db, err := mstore.OpenDB(ctx, dbPath(e.cfg.Config.DataDir))
	if err != nil {
		fmt.Fprintf(e.stderr, "attune: %v\n", err)
		return exitFailure
	}
	defer db.Close()
	st, err := sstore.Open(ctx, db)
	if err != nil {
		fmt.Fprintf(e.stderr, "attune: %v\n", err)
		return exitFailure
	}
	return fn(st)
}

func sessionListCommand() *command {
	return &command{
		name:    "list",
		summary: "list sessions, newest first",
		flags: func(fs *flag.FlagSet) any {
			return fs.Int("limit", 20, "list at most this many sessions (0: all)")
		},
		run: func(ctx context.Context, e *env, opts any, args []string) int {
			if len(args) > 0 {
				fmt.Fprintln(e.stderr, "attune session list: takes no arguments")
				return exitUsage
			}
			return withSessions(ctx, e, func(st *sstore.Store) int {
				rs, err := st.List(ctx, *opts.(*int))
				if err != nil {
					fmt.Fprintf(e.stderr, "attune session list: %v\n", err)
					return exitFailure
				}
				printSessions(e.stdout, rs)
				return exitOK
			})
		},
	}
}

func printSessions(w io.Writer, rs []session.Record) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tROOM\tPLAYLIST\tPROFILE\tSTATUS\tDOSED\tLENGTH")
	for _, r := range rs {
		dosed, length := "-", "-"
		if !r.DosedAt.IsZero() {
			dosed = r.DosedAt.Local().Format("2006-01-02 15:04")
			if !r.Ended.IsZero() {
				length = formatDuration(r.Ended.Sub(r.DosedAt))
			}
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Room, r.Playlist.Name, r.Profile.Name, r.Status, dosed, length)
	}
	tw.Flush()
	fmt.Fprintf(w, "%d sessions\n", len(rs))
}

type sessionLogOptions struct {
	csv, json *bool
}

func sessionLogCommand() *command {
	return &command{
		name:    "log",
		summary: "print a session's log and summary (or export it as CSV or JSON)",
		usage:   "ID",
		flags: func(fs *flag.FlagSet) any {
			return sessionLogOptions{
				csv:  fs.Bool("csv", false, "export the log as CSV"),
				json: fs.Bool("json", false, "export the session, its log and its summary as JSON"),
			}
		},
		run: func(ctx context.Context, e *env, opts any, args []string) int {
			o := opts.(sessionLogOptions)
			if len(args) != 1 || *o.csv && *o.json {
				fmt.Fprintln(e.stderr, "attune session log: want one session ID, and at most one of --csv and --json")
				return exitUsage
			}
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil || id <= 0 {
				fmt.Fprintf(e.stderr, "attune session log: %q is not a session ID (see attune session list)\n", args[0])
				return exitUsage
			}
			return withSessions(ctx, e, func(st *sstore.Store) int {
				r, err := st.Get(ctx, id)
				if err == nil {
					var es []session.Entry
					if es, err = st.Entries(ctx, id); err == nil {
						err = writeSessionLog(e.stdout, r, es, o)
					}
				}
				if err != nil {
					fmt.Fprintf(e.stderr, "attune session log: %v\n", err)
					if errors.Is(err, sstore.ErrNotFound) {
						return exitUsage
					}
					return exitFailure
				}
				return exitOK
			})
		},
	}
}

func writeSessionLog(w io.Writer, r session.Record, es []session.Entry, o sessionLogOptions) error {
	switch {
	case *o.csv:
		return session.WriteCSV(w, es)
	case *o.json:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(sessionExport(r, es))
	}
	printSessionLog(w, r, es)
	return nil
}

// sessionView is a session as `session log --json` exports it.
type sessionView struct {
	ID       int64       `json:"id"`
	Room     string      `json:"room"`
	Playlist string      `json:"playlist"`
	Profile  string      `json:"profile"`
	Status   string      `json:"status"`
	Created  time.Time   `json:"created"`
	DosedAt  *time.Time  `json:"dosed_at,omitempty"`
	Ended    *time.Time  `json:"ended,omitempty"`
	Entries  []entryView `json:"log"`
	Summary  summaryView `json:"summary"`
}

type entryView struct {
	Seq    int64     `json:"seq"`
	Wall   time.Time `json:"wall_clock"`
	Clock  string    `json:"drug_clock"`
	Dosed  bool      `json:"dosed"`
	Role   string    `json:"role"`
	Device string    `json:"device"`
	Kind   string    `json:"kind"`
	Detail string    `json:"detail,omitempty"`
	Phase  string    `json:"phase,omitempty"`
	Track  string    `json:"track,omitempty"`
}

type spanView struct {
	From string `json:"from"`
	To   string `json:"to"`
	Open bool   `json:"still_running,omitempty"`
}

type playedView struct {
	At    string `json:"at"`
	Phase string `json:"phase"`
	Track string `json:"track"`
}

type changeView struct {
	At   string  `json:"at"`
	DB   float64 `json:"db"`
	Role string  `json:"role"`
}

type summaryView struct {
	Played []playedView `json:"played"`
	Pauses []spanView   `json:"pauses"`
	Quiet  []spanView   `json:"quiet"`
	Skips  []playedView `json:"skips"`
	Volume []changeView `json:"volume"`
	Onset  string       `json:"onset_marked_at,omitempty"`
	Failed int          `json:"failed_tracks"`
	Ended  string       `json:"ended,omitempty"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func sessionExport(r session.Record, es []session.Entry) sessionView {
	v := sessionView{ID: r.ID, Room: r.Room, Playlist: r.Playlist.Name, Profile: r.Profile.Name, Status: string(r.Status),
		Created: r.Created, DosedAt: timePtr(r.DosedAt), Ended: timePtr(r.Ended), Entries: []entryView{}}
	for _, e := range es {
		v.Entries = append(v.Entries, entryView{Seq: e.Seq, Wall: e.Wall, Clock: session.Clock(e.Clock), Dosed: e.Dosed,
			Role: e.Role, Device: e.Device, Kind: e.Kind, Detail: e.Detail, Phase: e.Phase, Track: e.Track})
	}
	s := session.Summarize(es)
	sv := &v.Summary
	sv.Played, sv.Pauses, sv.Quiet, sv.Skips = []playedView{}, []spanView{}, []spanView{}, []playedView{}
	for _, p := range s.Played {
		sv.Played = append(sv.Played, playedView{At: session.Clock(p.At), Phase: p.Phase, Track: p.Track})
	}
	for _, p := range s.Skips {
		sv.Skips = append(sv.Skips, playedView{At: session.Clock(p.At), Phase: p.Phase, Track: p.Track})
	}
	for _, sp := range s.Pauses {
		sv.Pauses = append(sv.Pauses, spanView{From: session.Clock(sp.From), To: session.Clock(sp.To), Open: sp.Open})
	}
	for _, sp := range s.Quiet {
		sv.Quiet = append(sv.Quiet, spanView{From: session.Clock(sp.From), To: session.Clock(sp.To), Open: sp.Open})
	}
	sv.Volume = []changeView{}
	for _, c := range s.Volume {
		sv.Volume = append(sv.Volume, changeView{At: session.Clock(c.At), DB: c.DB, Role: c.Role})
	}
	if s.Marked {
		sv.Onset = session.Clock(s.Onset)
	}
	sv.Failed, sv.Ended = s.Failed, s.Ended
	return v
}

// printSessionLog prints the log for a person: one line per entry, then
// the summary.
func printSessionLog(w io.Writer, r session.Record, es []session.Entry) {
	fmt.Fprintf(w, "Session %d — %s, playlist %q, profile %s, %s\n\n", r.ID, r.Room, r.Playlist.Name, r.Profile.Name, r.Status)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "DRUG CLOCK\tTIME\tWHO\tWHAT\tPHASE\tTRACK")
	for _, e := range es {
		what := e.Kind
		if e.Detail != "" {
			what += " " + e.Detail
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", session.Clock(e.Clock), e.Wall.Local().Format("15:04:05"),
			e.Role, what, e.Phase, e.Track)
	}
	tw.Flush()
	s := session.Summarize(es)
	fmt.Fprintf(w, "\n%d tracks played, %d skipped, %d failed; %d pauses (%s), %d quiet periods (%s), %d volume changes\n",
		len(s.Played), len(s.Skips), s.Failed, len(s.Pauses), spanTotal(s.Pauses), len(s.Quiet), spanTotal(s.Quiet), len(s.Volume))
	if s.Marked {
		fmt.Fprintf(w, "onset marked at %s\n", session.Clock(s.Onset))
	}
	phase := ""
	for _, p := range s.Played {
		if p.Phase != phase {
			phase = p.Phase
			fmt.Fprintf(w, "%s:\n", phase)
		}
		fmt.Fprintf(w, "  %s  %s\n", session.Clock(p.At), p.Track)
	}
}

func spanTotal(sp []session.Span) string {
	var d time.Duration
	for _, s := range sp {
		d += s.To - s.From
	}
	return formatDuration(d)
}
