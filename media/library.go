package media

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Prober reads what a file is. Implementations must survive hostile files:
// a bad file is an error, never a crash or a hang (see media/sandbox).
type Prober interface {
	Probe(ctx context.Context, path string) (Info, error)
}

// Store keeps tracks and the files that hold them. media/store implements it
// on SQLite.
type Store interface {
	Track(ctx context.Context, id string) (Track, error)
	// AddTracks records new tracks with their files in one transaction
	// (all or none); added[i] tells whether adds[i].Track was new.
	AddTracks(ctx context.Context, adds []TrackFile) (added []bool, err error)
	Files(ctx context.Context) ([]File, error)
	PutFile(ctx context.Context, f File) error
	RemoveFile(ctx context.Context, path string) error
}

// Reporter hears about a long operation as it goes. The library calls it from
// one goroutine at a time.
type Reporter interface {
	// Start says how many files the operation will look at.
	Start(total int)
	// Done reports one file's outcome.
	Done(r Result)
}

// Status is what happened to one file.
type Status string

// Statuses of Result.
const (
	StatusAdded    Status = "added"    // new to the library
	StatusExists   Status = "exists"   // already there (same content), nothing changed
	StatusUpdated  Status = "updated"  // scan: the file changed and was re-read
	StatusRemoved  Status = "removed"  // scan: the file is gone from disk
	StatusRejected Status = "rejected" // not added: Error says why
)

// Result is the outcome for one file. Its JSON form is what
// `attune library add --json` prints, one object per line.
type Result struct {
	Path       string `json:"path"`
	ID         string `json:"id"`
	Status     Status `json:"status"`
	Error      string `json:"error"`
	Format     Format `json:"format"`
	SampleRate int    `json:"sample_rate"`
	Channels   int    `json:"channels"`
	DurationMS int64  `json:"duration_ms"`
	Title      string `json:"title"`
	Artist     string `json:"artist"`
	Album      string `json:"album"`
}

// Summary counts results by status.
type Summary map[Status]int

// Config is what the library needs to know about where music lives.
type Config struct {
	Dir         string   // the managed folder that `add` copies into
	Watch       []string // folders indexed in place, never written
	MaxFileSize int64    // bytes; larger files are rejected unread
	Workers     int      // files processed at once
}

// Library adds music and keeps the store in step with the disk.
type Library struct {
	store  Store
	prober Prober
	cfg    Config
	now    func() time.Time
}

// NewLibrary returns a library over store that probes files with prober.
func NewLibrary(store Store, prober Prober, cfg Config) *Library {
	if cfg.Workers < 1 {
		cfg.Workers = 1
	}
	return &Library{store: store, prober: prober, cfg: cfg, now: time.Now}
}

// fileError is a reason a single file is rejected: the run goes on. Any
// other error (the store failing, the context ending) stops the run.
type fileError struct{ err error }

func (e fileError) Error() string { return e.err.Error() }
func (e fileError) Unwrap() error { return e.err }

// reject marks err as one file's problem.
func reject(format string, args ...any) error {
	return fileError{fmt.Errorf(format, args...)}
}

// resultFor describes a track in a Result.
func resultFor(path string, t Track, status Status) Result {
	s := t.Info.Stream
	return Result{
		Path:       path,
		ID:         t.ID,
		Status:     status,
		Format:     s.Format,
		SampleRate: s.SampleRate,
		Channels:   s.Channels,
		DurationMS: s.Duration().Milliseconds(),
		Title:      t.Info.Tags.Title,
		Artist:     t.Info.Tags.Artist,
		Album:      t.Info.Tags.Album,
	}
}

// statFile checks that path is a regular file within the size limit.
func (l *Library) statFile(path string) (os.FileInfo, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, reject("%s", describeOSError(err))
	}
	if !fi.Mode().IsRegular() {
		return nil, reject("not a regular file")
	}
	if fi.Size() == 0 {
		return nil, reject("empty file (0 bytes)")
	}
	if l.cfg.MaxFileSize > 0 && fi.Size() > l.cfg.MaxFileSize {
		return nil, reject("file too large: %s, the limit is %s (library.max_file_size)",
			formatBytes(fi.Size()), formatBytes(l.cfg.MaxFileSize))
	}
	return fi, nil
}

// describeOSError turns a *PathError into its reason alone: the caller
// already prints the path.
func describeOSError(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// formatBytes prints a size in binary units, e.g. "1.5 GiB".
func formatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// absPath cleans and absolutizes a path given by a user.
func absPath(p string) (string, error) {
	a, err := filepath.Abs(p)
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", p, err)
	}
	return a, nil
}
