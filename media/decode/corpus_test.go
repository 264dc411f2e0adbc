package decode

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"attune/media"
	"attune/media/probe"
)

// corpusFiles lists the files under dir that the library would accept, with
// their probed streams.
func corpusFiles(tb testing.TB, dir string) map[string]media.Stream {
	tb.Helper()
	files := map[string]media.Stream{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) == ".tsv" || d.Name() == "COPYRIGHT" {
			return err
		}
		info, err := probe.File(context.Background(), path)
		if err != nil {
			if !errors.Is(err, media.ErrUnsupported) && !errors.Is(err, media.ErrInvalid) {
				tb.Errorf("probe %s: %v", path, err)
			}
			return nil
		}
		files[path] = info.Stream
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return files
}

// raceVariant says whether TestOpen_corpus decodes the corpus variant dir
// under -race: one per format.
func raceVariant(dir string) bool {
	switch dir {
	case "mp3-vbr-v0", "flac-24-96k", "ogg-vorbis-q2-mono-22k", "wav-s16-48k-mono":
		return true
	}
	return false
}

// Every playable file of the mixed corpus decodes at 48 kHz to its probed
// length; damaged ones the probe accepts end (with or without an error)
// instead of panicking or hanging.
func TestOpen_corpus(t *testing.T) {
	dir := corpusDir(t)
	files := corpusFiles(t, dir)
	if len(files) < 30 {
		t.Fatalf("found %d playable files in %s, want the mixed corpus's 36 or more", len(files), dir)
	}
	for path, s := range files {
		rel, _ := filepath.Rel(dir, path)
		broken := filepath.Dir(rel) == "broken"
		if (raceEnabled || testing.Short()) && !broken && !strings.HasPrefix(filepath.Base(rel), "01 ") {
			continue // one track per variant keeps -race and -short quick
		}
		if raceEnabled && !broken && !raceVariant(filepath.Dir(rel)) {
			continue // and one variant per format under -race (tenfold slower)
		}
		for _, dec := range decodersFor(path) {
			t.Run(rel+dec, func(t *testing.T) {
				testCorpusFile(t, opener(t, dec), path, s, broken)
			})
		}
	}
}

// testCorpusFile decodes path, whose probed stream is s, at 48 kHz to its
// end: to exactly its length, or, for a broken file, to an end or an error.
func testCorpusFile(t *testing.T, o *Opener, path string, s media.Stream, broken bool) {
	tr, err := o.Open(context.Background(), path, s, 48000)
	if err != nil {
		if broken {
			t.Logf("Open: %v", err)
			return
		}
		t.Fatalf("Open: %v", err)
	}
	defer tr.Close()
	want := (s.Samples*48000 + int64(s.SampleRate) - 1) / int64(s.SampleRate)
	if got := int64(tr.Len()); got < want-1 || got > want+1 {
		t.Errorf("Len() = %d, want %d ±1", got, want)
	}
	got := len(collect(t, tr, 4096, 1<<26))
	if broken {
		t.Logf("streamed %d of %d frames; Err() = %v", got, tr.Len(), tr.Err())
		return
	}
	if got != tr.Len() || tr.Err() != nil {
		t.Errorf("streamed %d frames, Err() = %v; want Len() = %d and nil", got, tr.Err(), tr.Len())
	}
}
