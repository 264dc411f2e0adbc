package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"attune/media"
	"attune/media/probe"
	"attune/media/sandbox"
	"attune/media/store"
)

func libraryCommand() *command {
	return &command{
		name:    "library",
		summary: "add, scan, analyse and list the music library",
		sub: []*command{libraryAddCommand(), libraryScanCommand(), libraryAnalyzeCommand(), libraryListCommand(),
			libraryDemoCommand()},
	}
}

// libImportOptions are the flags of add and scan.
type libImportOptions struct{ json, noAnalyze *bool }

func libImportFlags(fs *flag.FlagSet) any {
	return libImportOptions{
		json:      fs.Bool("json", false, "print one JSON object per file"),
		noAnalyze: fs.Bool("no-analyze", false, "do not measure the loudness of new tracks now (`library analyze` does it later)"),
	}
}

func libraryAddCommand() *command {
	return &command{
		name:    "add",
		summary: "copy music files and folders into the library, then measure new tracks' loudness",
		usage:   "PATH...",
		flags:   libImportFlags,
		run: func(ctx context.Context, e *env, opts any, args []string) int {
			if len(args) == 0 {
				fmt.Fprintln(e.stderr, "attune library add: name at least one file or folder to add")
				return exitUsage
			}
			return importThenAnalyze(ctx, e, "add", opts.(libImportOptions), func(lib *media.Library, rep media.Reporter) (media.Summary, error) {
				return lib.Add(ctx, args, rep)
			})
		},
	}
}

// importThenAnalyze runs an import (add or scan), then, unless --no-analyze,
// measures the loudness of the tracks it added or updated. The import
// finishes first: its tracks are in the library, and playable at a safe
// default gain, whatever happens to the analysis.
func importThenAnalyze(ctx context.Context, e *env, verb string, o libImportOptions,
	imp func(*media.Library, media.Reporter) (media.Summary, error)) int {
	return withStoreAndProbers(ctx, e, func(st *store.Store, pool *sandbox.Pool) int {
		rep := &collectNew{reporter: newReporter(verb, e.stdout, e.stderr, *o.json, e.terminal)}
		sum, err := imp(newLibrary(e, st, pool), rep)
		code := finishRun(ctx, e, rep.reporter, sum, err)
		if *o.noAnalyze || code == exitInterrupt || err != nil || len(rep.ids) == 0 {
			return code
		}
		var tracks []media.Track
		for _, id := range rep.ids {
			t, err := st.Track(ctx, id)
			if err != nil {
				fmt.Fprintf(e.stderr, "attune: %v\n", err)
				return exitFailure
			}
			tracks = append(tracks, t)
		}
		// JSON lines on stdout stay the import's results; the analysis
		// reports on stderr only.
		if c := finishAnalysis(ctx, e, analyze(ctx, e, st, tracks, false)); c != exitOK {
			return c
		}
		return code
	})
}

// collectNew is a reporter that also remembers the tracks an import added
// or updated, to analyse them afterwards.
type collectNew struct {
	*reporter
	seen map[string]bool
	ids  []string
}

// Done implements media.Reporter.
func (c *collectNew) Done(r media.Result) {
	c.reporter.Done(r)
	if (r.Status == media.StatusAdded || r.Status == media.StatusUpdated) && r.ID != "" && !c.seen[r.ID] {
		if c.seen == nil {
			c.seen = map[string]bool{}
		}
		c.seen[r.ID] = true
		c.ids = append(c.ids, r.ID)
	}
}

func libraryScanCommand() *command {
	return &command{
		name:    "scan",
		summary: "find new, changed and removed files in the library and watched folders, then measure new tracks",
		flags:   libImportFlags,
		run: func(ctx context.Context, e *env, opts any, args []string) int {
			if len(args) > 0 {
				fmt.Fprintln(e.stderr, "attune library scan: takes no arguments (it scans library.dir and library.watch)")
				return exitUsage
			}
			return importThenAnalyze(ctx, e, "scan", opts.(libImportOptions), func(lib *media.Library, rep media.Reporter) (media.Summary, error) {
				return lib.Scan(ctx, rep)
			})
		},
	}
}

// finishRun prints the summary and picks the exit status of add and scan.
func finishRun(ctx context.Context, e *env, rep *reporter, sum media.Summary, err error) int {
	if sum != nil {
		rep.finish(sum)
	}
	switch {
	case ctx.Err() != nil:
		fmt.Fprintln(e.stderr, "attune: interrupted; files not yet finished were left untouched")
		return exitInterrupt
	case err != nil:
		fmt.Fprintf(e.stderr, "attune: %v\n", err)
		return exitFailure
	case sum[media.StatusRejected] > 0:
		return exitFailure
	}
	return exitOK
}

type listOptions struct {
	json  *bool
	limit *int
}

func libraryListCommand() *command {
	return &command{
		name:    "list",
		summary: "list or search the library (title, artist, album; accents ignored)",
		usage:   "[QUERY]",
		flags: func(fs *flag.FlagSet) any {
			return listOptions{
				json:  fs.Bool("json", false, "print one JSON object per track"),
				limit: fs.Int("limit", 0, "list at most this many tracks (0: all)"),
			}
		},
		run: func(ctx context.Context, e *env, opts any, args []string) int {
			o := opts.(listOptions)
			st, code := openStore(ctx, e)
			if st == nil {
				return code
			}
			defer st.Close()
			tracks, err := st.Search(ctx, strings.Join(args, " "), *o.limit)
			if err != nil {
				fmt.Fprintf(e.stderr, "attune library list: %v\n", err)
				return exitFailure
			}
			if *o.json {
				enc := json.NewEncoder(e.stdout)
				for _, t := range tracks {
					if err := enc.Encode(trackJSON(t)); err != nil {
						return exitFailure
					}
				}
				return exitOK
			}
			printTracks(e.stdout, tracks)
			return exitOK
		},
	}
}

// trackView is a track as `library list --json` prints it.
type trackView struct {
	ID           string           `json:"id"`
	Path         string           `json:"path"`
	Missing      bool             `json:"missing,omitempty"`
	Format       media.Format     `json:"format"`
	Codec        string           `json:"codec"`
	SampleRate   int              `json:"sample_rate"`
	Channels     int              `json:"channels"`
	BitDepth     int              `json:"bit_depth,omitempty"`
	BitRate      int              `json:"bit_rate"`
	DurationMS   int64            `json:"duration_ms"`
	Title        string           `json:"title"`
	Artist       string           `json:"artist"`
	Album        string           `json:"album"`
	AlbumArtist  string           `json:"album_artist,omitempty"`
	Genre        string           `json:"genre,omitempty"`
	Year         int              `json:"year,omitempty"`
	Track        int              `json:"track,omitempty"`
	Disc         int              `json:"disc,omitempty"`
	HasPicture   bool             `json:"has_picture"`
	ReplayGain   media.ReplayGain `json:"replaygain"`
	Instrumental string           `json:"instrumental"`
	Intensity    int              `json:"intensity,omitempty"`
	Moods        []string         `json:"moods"`
	Notes        string           `json:"notes,omitempty"`
	// Loudness is the last successful analysis, null if none;
	// LoudnessError why the last one failed.
	Loudness      *loudnessView `json:"loudness"`
	LoudnessError string        `json:"loudness_error,omitempty"`
}

func trackJSON(t media.Track) trackView {
	s, g, c := t.Info.Stream, t.Info.Tags, t.Curation
	moods := c.Moods
	if moods == nil {
		moods = []string{}
	}
	instr := string(c.Instrumental)
	if instr == "" {
		instr = string(media.InstrumentalUnknown)
	}
	return trackView{
		ID: t.ID, Path: t.Path, Missing: t.Path == "",
		Format: s.Format, Codec: s.Codec, SampleRate: s.SampleRate, Channels: s.Channels, BitDepth: s.BitDepth,
		BitRate: s.BitRate, DurationMS: s.Duration().Milliseconds(),
		Title: g.Title, Artist: g.Artist, Album: g.Album, AlbumArtist: g.AlbumArtist, Genre: g.Genre,
		Year: g.Year, Track: g.Track, Disc: g.Disc, HasPicture: g.HasPicture, ReplayGain: g.ReplayGain,
		Instrumental: instr, Intensity: c.Intensity, Moods: moods, Notes: c.Notes,
		Loudness: viewLoudness(t.Loudness), LoudnessError: t.LoudnessError,
	}
}

func printTracks(w io.Writer, tracks []media.Track) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tLENGTH\tFORMAT\tLUFS\tARTIST\tTITLE\tALBUM")
	var failed []media.Track
	for _, t := range tracks {
		if t.LoudnessError != "" {
			failed = append(failed, t)
		}
		s := t.Info.Stream
		format := fmt.Sprintf("%s %g kHz", s.Format, float64(s.SampleRate)/1000)
		if t.Path == "" {
			format += " (missing)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID[:12], formatDuration(s.Duration()), format,
			describeLoudness(t), t.Info.Tags.Artist, t.Info.Tags.Title, t.Info.Tags.Album)
	}
	tw.Flush()
	fmt.Fprintf(w, "%d tracks\n", len(tracks))
	for _, t := range failed {
		fmt.Fprintf(w, "%s: loudness analysis failed: %s\n", t.ID[:12], t.LoudnessError)
	}
}

// formatDuration prints m:ss (or h:mm:ss).
func formatDuration(d time.Duration) string {
	s := int(d.Round(time.Second) / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// dbPath is where the database lives inside data_dir.
func dbPath(dataDir string) string { return filepath.Join(dataDir, "attune.db") }

func openStore(ctx context.Context, e *env) (*store.Store, int) {
	st, err := store.Open(ctx, dbPath(e.cfg.Config.DataDir))
	if err != nil {
		fmt.Fprintf(e.stderr, "attune: %v\n", err)
		return nil, exitFailure
	}
	return st, exitOK
}

// withStoreAndProbers opens the store and the sandboxed probe workers, runs
// fn, and closes both.
func withStoreAndProbers(ctx context.Context, e *env, fn func(*store.Store, *sandbox.Pool) int) int {
	st, code := openStore(ctx, e)
	if st == nil {
		return code
	}
	defer st.Close()
	pool, code := startProbers(ctx, e)
	if pool == nil {
		return code
	}
	defer pool.Close()
	return fn(st, pool)
}

func newLibrary(e *env, st *store.Store, pool *sandbox.Pool) *media.Library {
	c := e.cfg.Config
	return media.NewLibrary(st, pool, media.Config{
		Dir:         c.Library.Dir,
		Watch:       c.Library.Watch,
		MaxFileSize: c.Library.MaxFileSize,
		Workers:     c.Library.Workers,
	})
}

// probeWorkerName is the hidden subcommand the sandbox starts: it probes
// files named on stdin, one process per worker, under a memory limit.
const probeWorkerName = "probe-worker"

func probeWorkerCommand() *command {
	return &command{
		name:     probeWorkerName,
		summary:  "(internal) probe files for the library in a sandboxed child process",
		hidden:   true,
		noConfig: true,
		run: func(ctx context.Context, e *env, _ any, _ []string) int {
			if err := sandbox.ServeChild(ctx, probe.File); err != nil && !errors.Is(err, context.Canceled) {
				fmt.Fprintf(e.stderr, "probe-worker: %v\n", err)
				return exitFailure
			}
			return exitOK
		},
	}
}
