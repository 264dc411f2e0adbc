package media

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"time"
)

// diskFile is a file found by a scan walk.
type diskFile struct {
	path    string
	size    int64
	modTime time.Time
}

// scanItem is one unit of scan work: a file on disk, a known file, or both.
type scanItem struct {
	disk  *diskFile
	known *File
}

// Scan brings the store in step with the managed folder and the watched
// folders: new files are added in place (watched files are never copied or
// written), changed ones (size or mtime, then content) re-read, removed ones
// dropped. A track whose last file went away keeps its row and curation, so a
// file that comes back — or was only renamed — is the same track.
func (l *Library) Scan(ctx context.Context, rep Reporter) (Summary, error) {
	roots := l.roots()
	var found []diskFile
	for _, root := range roots {
		if _, err := os.Stat(root); errors.Is(err, fs.ErrNotExist) {
			continue // an empty library has no folder yet; a missing watch folder has no files
		}
		err := walkAudio(ctx, root, func(path string, fi fs.FileInfo) {
			found = append(found, diskFile{path: path, size: fi.Size(), modTime: fi.ModTime()})
		})
		if err != nil {
			return nil, fmt.Errorf("scan %s: %w", root, err)
		}
	}
	known, err := l.store.Files(ctx)
	if err != nil {
		return nil, fmt.Errorf("list known files: %w", err)
	}
	items := plan(found, known)
	if rep != nil {
		rep.Start(len(items))
	}
	// New and changed files first, removals last: a renamed file is then
	// seen under its new name before its old name is dropped.
	var work, gone []scanItem
	for _, it := range items {
		if it.disk == nil {
			gone = append(gone, it)
		} else {
			work = append(work, it)
		}
	}
	sum, err := run(ctx, l.store, l.cfg.Workers, work, rep, l.scanFile)
	if err != nil {
		return sum, err
	}
	for _, it := range gone {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		if err := l.store.RemoveFile(ctx, it.known.Path); err != nil {
			return sum, fmt.Errorf("forget %s: %w", it.known.Path, err)
		}
		sum[StatusRemoved]++
		if rep != nil {
			rep.Done(Result{Path: it.known.Path, ID: it.known.TrackID, Status: StatusRemoved})
		}
	}
	return sum, nil
}

// roots are the folders a scan walks, absolute.
func (l *Library) roots() []string {
	roots := []string{l.cfg.Dir}
	roots = append(roots, l.cfg.Watch...)
	return roots
}

// plan pairs what is on disk with what the store knows, by path, in path order.
func plan(found []diskFile, known []File) []scanItem {
	byPath := make(map[string]*scanItem, len(found)+len(known))
	for i := range found {
		byPath[found[i].path] = &scanItem{disk: &found[i]}
	}
	for i := range known {
		if it, ok := byPath[known[i].Path]; ok {
			it.known = &known[i]
		} else {
			byPath[known[i].Path] = &scanItem{known: &known[i]}
		}
	}
	items := make([]scanItem, 0, len(byPath))
	for _, it := range byPath {
		items = append(items, *it)
	}
	sort.Slice(items, func(i, j int) bool { return itemPath(items[i]) < itemPath(items[j]) })
	return items
}

func itemPath(it scanItem) string {
	if it.disk != nil {
		return it.disk.path
	}
	return it.known.Path
}

// scanFile handles a file that is on disk: unchanged, changed or new. A new
// track's row is left to the caller's batch writer.
func (l *Library) scanFile(ctx context.Context, it scanItem) (Result, *pending, error) {
	d := it.disk
	if k := it.known; k != nil && k.Size == d.size && k.ModTime.Equal(d.modTime) {
		// Unchanged by size and mtime: trust it, as MPD does. This is what
		// makes a rescan of a large library take a moment.
		return Result{Path: d.path, ID: k.TrackID, Status: StatusExists}, nil, nil
	}
	if l.cfg.MaxFileSize > 0 && d.size > l.cfg.MaxFileSize {
		return Result{Path: d.path}, nil, reject("file too large: %s, the limit is %s (library.max_file_size)",
			formatBytes(d.size), formatBytes(l.cfg.MaxFileSize))
	}
	if d.size == 0 {
		return Result{Path: d.path}, nil, reject("empty file (0 bytes)")
	}
	id, err := hashFile(ctx, d.path)
	if err != nil {
		return Result{Path: d.path}, nil, err
	}
	file := File{Path: d.path, TrackID: id, Size: d.size, ModTime: d.modTime}
	t, err := l.store.Track(ctx, id)
	switch {
	case err == nil:
		// Known content: a touched file, a renamed or copied one, or one
		// that came back. Point the path at it; curation stays.
		if err := l.store.PutFile(ctx, file); err != nil {
			return Result{Path: d.path}, nil, fmt.Errorf("record %s: %w", d.path, err)
		}
		status := StatusExists
		if it.known != nil && it.known.TrackID != id {
			status = StatusUpdated
		}
		return resultFor(d.path, t, status), nil, nil
	case !errors.Is(err, ErrNotFound):
		return Result{Path: d.path}, nil, fmt.Errorf("look up track %s: %w", id, err)
	}
	info, err := l.prober.Probe(ctx, d.path)
	if err != nil {
		if ctx.Err() != nil {
			return Result{Path: d.path}, nil, ctx.Err()
		}
		if it.known != nil {
			// The file was good and is now bad: forget this path, so the
			// library does not offer a file that will not play.
			if rerr := l.store.RemoveFile(ctx, d.path); rerr != nil {
				return Result{Path: d.path}, nil, fmt.Errorf("forget %s: %w", d.path, rerr)
			}
		}
		return Result{Path: d.path, ID: id}, nil, reject("%v", err)
	}
	t = Track{ID: id, Path: d.path, Size: d.size, ModTime: d.modTime, Info: info, AddedAt: l.now().UTC()}
	status := StatusAdded
	if it.known != nil {
		status = StatusUpdated
	}
	return Result{}, &pending{
		res:     resultFor(d.path, t, status),
		add:     TrackFile{Track: t, File: file},
		ifAdded: status,
		ifKnown: status,    // the same content in two places at once: both rows land
		undo:    func() {}, // a watched file is never written: nothing to undo
	}, nil
}
