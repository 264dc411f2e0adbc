package media

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// IDLength is the number of hex digits of a track id: 96 bits of SHA-256,
// far more than a clinic's library needs to avoid collisions.
const IDLength = 24

// audioExts are the extensions a folder walk looks at: the formats attune
// plays and the audio formats it recognizes only to reject, so that a folder
// of M4A files is reported rather than silently skipped. Covers, playlists,
// notes and hidden files in album folders are not music and are passed over.
// A file named explicitly on the command line is always examined.
var audioExts = map[string]bool{
	".mp3": true, ".mp2": true, ".mpga": true, ".flac": true, ".fla": true,
	".ogg": true, ".oga": true, ".wav": true, ".wave": true,
	".m4a": true, ".m4b": true, ".m4p": true, ".mp4": true, ".aac": true,
	".alac": true, ".opus": true, ".ape": true, ".wma": true, ".asf": true,
	".wv": true, ".mpc": true, ".tta": true, ".aif": true, ".aiff": true,
	".aifc": true, ".dsf": true, ".dff": true, ".au": true, ".snd": true,
	".amr": true, ".mid": true, ".midi": true, ".mka": true, ".webm": true,
	".caf": true, ".spx": true, ".ofr": true,
}

// IsAudioName reports whether a folder walk should look at a file of this name.
func IsAudioName(name string) bool {
	return !strings.HasPrefix(name, ".") && audioExts[strings.ToLower(filepath.Ext(name))]
}

// Collect expands paths (files and folders, recursively) into the files to
// import, absolute and sorted, each once. A path that does not exist is
// returned as a rejected result rather than stopping the others.
func Collect(ctx context.Context, paths []string) (files []string, missing []Result, err error) {
	seen := map[string]bool{}
	for _, p := range paths {
		abs, err := absPath(p)
		if err != nil {
			return nil, nil, err
		}
		fi, err := os.Stat(abs)
		if err != nil {
			missing = append(missing, Result{Path: abs, Status: StatusRejected, Error: describeOSError(err)})
			continue
		}
		if !fi.IsDir() {
			if !seen[abs] {
				seen[abs] = true
				files = append(files, abs)
			}
			continue
		}
		err = walkAudio(ctx, abs, func(path string, _ fs.FileInfo) {
			if !seen[path] {
				seen[path] = true
				files = append(files, path)
			}
		})
		if err != nil {
			return nil, nil, err
		}
	}
	sort.Strings(files)
	return files, missing, nil
}

// walkAudio calls fn for every audio file under root, skipping hidden folders
// (and so the library's own temporary folder).
func walkAudio(ctx context.Context, root string, fn func(path string, fi fs.FileInfo)) error {
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == root {
				return fmt.Errorf("read folder %s: %w", root, err)
			}
			return nil // an unreadable subfolder does not stop the rest
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || !IsAudioName(d.Name()) {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return nil
		}
		fn(path, fi)
		return nil
	})
}

// Add imports files and folders into the managed library folder. Each file is
// reported once; a file that cannot be added is rejected with its reason and
// leaves no trace (no partial copy, no row). Add stops early only if the
// context ends or the store fails.
func (l *Library) Add(ctx context.Context, paths []string, rep Reporter) (Summary, error) {
	files, missing, err := Collect(ctx, paths)
	if err != nil {
		return nil, err
	}
	if rep != nil {
		rep.Start(len(files) + len(missing))
		for _, r := range missing {
			rep.Done(r)
		}
	}
	l.sweepIncoming()
	sum, err := run(ctx, l.store, l.cfg.Workers, files, rep, l.addFile)
	if sum != nil {
		sum[StatusRejected] += len(missing)
	}
	return sum, err
}

// addFile imports one file: hash, look up, probe, copy; the row is written
// by the caller's batch writer.
func (l *Library) addFile(ctx context.Context, path string) (Result, *pending, error) {
	res := Result{Path: path}
	fi, err := l.statFile(path)
	if err != nil {
		return res, nil, err
	}
	id, err := hashFile(ctx, path)
	if err != nil {
		return res, nil, err
	}
	res.ID = id
	existing, err := l.store.Track(ctx, id)
	switch {
	case err == nil && existing.Path != "":
		return resultFor(path, existing, StatusExists), nil, nil
	case err != nil && !errors.Is(err, ErrNotFound):
		return res, nil, fmt.Errorf("look up track %s: %w", id, err)
	}
	info, err := l.prober.Probe(ctx, path)
	if err != nil {
		if ctx.Err() != nil {
			return res, nil, ctx.Err()
		}
		return res, nil, reject("%v", err)
	}
	dst, created, err := l.copyIn(ctx, path, id, info.Stream.Format)
	if err != nil {
		return res, nil, err
	}
	undo := func() {
		// Only a copy this file made goes: another file of the same
		// content may have made it, and its row may have landed.
		if created {
			_ = os.Remove(dst)
		}
	}
	dstInfo, err := os.Stat(dst)
	if err != nil {
		undo()
		return res, nil, reject("stat the copy: %v", describeOSError(err))
	}
	t := Track{ID: id, Path: dst, Size: fi.Size(), ModTime: dstInfo.ModTime(), Info: info, AddedAt: l.now().UTC()}
	if existing.ID != "" {
		t.Curation = existing.Curation // a returning track keeps what clinicians said of it
	}
	p := &pending{
		res:     resultFor(path, t, StatusAdded),
		add:     TrackFile{Track: t, File: File{Path: dst, TrackID: id, Size: dstInfo.Size(), ModTime: dstInfo.ModTime()}},
		ifAdded: StatusAdded,
		ifKnown: StatusExists, // the same content arrived twice in this run
		undo:    undo,
	}
	if existing.ID != "" {
		p.ifKnown = StatusAdded // its row was there, without a file: this file brings it back
	}
	return Result{}, p, nil
}

// staleAfter is how old a temporary copy must be before a later import
// removes it: older than any copy in progress in another attune process.
const staleAfter = time.Hour

// sweepIncoming removes temporary copies that a killed import (power cut,
// kill -9) left in the managed folder. Failures only leave litter.
func (l *Library) sweepIncoming() {
	dir := filepath.Join(l.cfg.Dir, incomingDir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		fi, err := e.Info()
		if err == nil && strings.HasSuffix(e.Name(), ".part") && l.now().Sub(fi.ModTime()) > staleAfter {
			_ = os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// incomingDir is the hidden folder of the managed folder where copies are
// written before they are renamed into place; scans skip it.
const incomingDir = ".incoming"

// ManagedPath is where the library keeps a track's copy: fanned out by the
// first two hex digits so no folder grows huge.
func ManagedPath(dir, id string, f Format) string {
	return filepath.Join(dir, id[:2], id+"."+string(f))
}

// copyIn copies src into the managed folder atomically: a temporary file in
// the same file system, fsynced, checked against id, renamed into place, the
// folder fsynced. On any failure nothing is left behind.
func (l *Library) copyIn(ctx context.Context, src, id string, f Format) (dst string, created bool, err error) {
	dst = ManagedPath(l.cfg.Dir, id, f)
	if _, err := os.Stat(dst); err == nil {
		return dst, false, nil // the same bytes are already there
	}
	tmpDir := filepath.Join(l.cfg.Dir, incomingDir)
	if err := os.MkdirAll(tmpDir, 0o750); err != nil {
		return "", false, fmt.Errorf("create %s: %w", tmpDir, err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		return "", false, fmt.Errorf("create %s: %w", filepath.Dir(dst), err)
	}
	in, err := os.Open(src)
	if err != nil {
		return "", false, reject("%s", describeOSError(err))
	}
	defer in.Close()
	tmp, err := os.CreateTemp(tmpDir, id+"-*.part")
	if err != nil {
		return "", false, fmt.Errorf("create a temporary file in %s: %w", tmpDir, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(tmp, h), ctxReader{ctx, in}); err != nil {
		if ctx.Err() != nil {
			return "", false, ctx.Err()
		}
		return "", false, fmt.Errorf("copy %s into the library: %w", src, err)
	}
	if got := hex.EncodeToString(h.Sum(nil))[:IDLength]; got != id {
		return "", false, reject("the file changed while it was being imported")
	}
	if err := tmp.Sync(); err != nil {
		return "", false, fmt.Errorf("sync %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return "", false, fmt.Errorf("close %s: %w", tmp.Name(), err)
	}
	if err := ctx.Err(); err != nil {
		return "", false, err
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return "", false, fmt.Errorf("move the copy into place: %w", err)
	}
	syncDir(filepath.Dir(dst))
	return dst, true, nil
}

// syncDir makes a rename durable. Failure only weakens durability across a
// power cut, so it is not an import error.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// hashFile returns a file's content id.
func hashFile(ctx context.Context, path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", reject("%s", describeOSError(err))
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, ctxReader{ctx, f}); err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "", reject("read: %s", describeOSError(err))
	}
	return hex.EncodeToString(h.Sum(nil))[:IDLength], nil
}

// ctxReader stops a long copy when the context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
