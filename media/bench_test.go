package media_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"attune/media"
	"attune/media/mediatest"
	"attune/media/probe"
	"attune/media/sandbox"
	"attune/media/store"
)

// probeWorkerEnv makes the test binary a probe worker, as `attune
// probe-worker` is in production, so benchmarks measure the real sandbox.
const probeWorkerEnv = "ATTUNE_MEDIA_TEST_PROBE_WORKER"

func TestMain(m *testing.M) {
	if os.Getenv(probeWorkerEnv) == "1" {
		if err := sandbox.ServeChild(context.Background(), probe.File); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// newPool starts sandboxed probe workers running this test binary.
func newPool(tb testing.TB, workers int) *sandbox.Pool {
	tb.Helper()
	exe, err := os.Executable()
	if err != nil {
		tb.Fatal(err)
	}
	pool, err := sandbox.New(context.Background(), sandbox.Config{
		Command:     []string{exe},
		Env:         []string{probeWorkerEnv + "=1"},
		Workers:     workers,
		Timeout:     10 * time.Second,
		MemoryLimit: sandbox.DefaultMemoryLimit,
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { pool.Close() })
	return pool
}

// mixedLibrary writes n distinct files, a quarter each MP3, FLAC, Ogg Vorbis
// and WAV, each 0.5–2 s long, into dir (artist/album folders of 10 tracks).
func mixedLibrary(tb testing.TB, dir string, n int) {
	tb.Helper()
	mp3, err := os.ReadFile(filepath.Join("probe", "mpeg", "testdata", "cbr-info.mp3"))
	if err != nil {
		tb.Fatal(err)
	}
	ogg, err := os.ReadFile(filepath.Join("probe", "oggfile", "testdata", "sine-44k-stereo.ogg"))
	if err != nil {
		tb.Fatal(err)
	}
	for i := range n {
		name := fmt.Sprintf("artist %02d/album %03d/%02d track", i/100, i/10, i%10)
		tone := mediatest.Tone{SampleRate: 44100, Channels: 2, BitDepth: 16, Samples: 44100 * 2, Freq: 100 + float64(i),
			Tags: mediatest.Tags{Title: fmt.Sprintf("Track %d", i), Artist: fmt.Sprintf("Artist %d", i/100), Album: fmt.Sprintf("Album %d", i/10)}}
		switch i % 4 {
		case 0:
			mediatest.WriteFile(tb, dir, name+".wav", mediatest.WAV(tone))
		case 1:
			tone.Samples = 44100 / 2 // verbatim FLAC is as large as WAV; keep the library's size realistic
			mediatest.WriteFile(tb, dir, name+".flac", mediatest.MustFLAC(tb, tone))
		case 2:
			mediatest.WriteFile(tb, dir, name+".mp3", append(id3v2Title(fmt.Sprintf("Track %d", i)), mp3...))
		case 3:
			mediatest.WriteFile(tb, dir, name+".ogg", reserialOgg(ogg, uint32(i)))
		}
	}
}

// id3v2Title is a minimal ID3v2.3 tag with a TIT2 frame, to make otherwise
// identical MP3s distinct files.
func id3v2Title(title string) []byte {
	body := append([]byte{0}, title...) // encoding ISO-8859-1
	frame := append([]byte("TIT2"), 0, 0, 0, byte(len(body)), 0, 0)
	frame = append(frame, body...)
	size := len(frame)
	tag := []byte{'I', 'D', '3', 3, 0, 0, byte(size >> 21 & 0x7f), byte(size >> 14 & 0x7f), byte(size >> 7 & 0x7f), byte(size & 0x7f)}
	return append(tag, frame...)
}

// reserialOgg gives every page of an Ogg stream a new serial number (and so
// new CRCs), making a distinct but equally valid file.
func reserialOgg(src []byte, serial uint32) []byte {
	b := append([]byte(nil), src...)
	for off := 0; off+27 <= len(b); {
		nseg := int(b[off+26])
		size := 27 + nseg
		for _, s := range b[off+27 : off+27+nseg] {
			size += int(s)
		}
		page := b[off : off+size]
		binary.LittleEndian.PutUint32(page[14:], serial)
		binary.LittleEndian.PutUint32(page[22:], 0)
		binary.LittleEndian.PutUint32(page[22:], oggCRC(page))
		off += size
	}
	return b
}

func oggCRC(p []byte) uint32 {
	var crc uint32
	for _, c := range p {
		crc ^= uint32(c) << 24
		for range 8 {
			if crc&0x80000000 != 0 {
				crc = crc<<1 ^ 0x04c11db7
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

// BenchmarkScan measures the library's scan of a generated 1,000-file
// mixed-format library through the real sandbox and SQLite store: "first"
// hashes, probes (headers, tags, a test decode) and records every file;
// "rescan" finds nothing changed. Both report files/s.
func BenchmarkScan(b *testing.B) {
	const n = 1000
	music := b.TempDir()
	mixedLibrary(b, music, n)
	workers := runtime.NumCPU()
	pool := newPool(b, workers)
	ctx := context.Background()
	open := func() (*store.Store, *media.Library) {
		st, err := store.Open(ctx, filepath.Join(b.TempDir(), "attune.db"))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { st.Close() })
		return st, media.NewLibrary(st, pool, media.Config{Dir: filepath.Join(b.TempDir(), "media"), Watch: []string{music}, Workers: workers})
	}
	scan := func(lib *media.Library, want media.Status) {
		sum, err := lib.Scan(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		if sum[want] != n {
			b.Fatalf("scan: %v, want %d %s", sum, n, want)
		}
	}

	b.Run("first", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			_, lib := open()
			b.StartTimer()
			scan(lib, media.StatusAdded)
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "files/s")
	})
	b.Run("rescan", func(b *testing.B) {
		_, lib := open()
		scan(lib, media.StatusAdded)
		for b.Loop() {
			scan(lib, media.StatusExists)
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "files/s")
	})
}

// BenchmarkRescan10k measures an unchanged rescan of a 10,000-file library
// (the budget: under 2 s).
func BenchmarkRescan10k(b *testing.B) {
	const n = 10_000
	music := b.TempDir()
	tone := mediatest.Tone{SampleRate: 8000, Channels: 1, Samples: 800}
	for i := range n {
		tone.Freq = 50 + float64(i)/10
		mediatest.WriteFile(b, music, fmt.Sprintf("%03d/%05d.wav", i/100, i), mediatest.WAV(tone))
	}
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(b.TempDir(), "attune.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	lib := media.NewLibrary(st, newPool(b, runtime.NumCPU()), media.Config{Dir: filepath.Join(b.TempDir(), "media"), Watch: []string{music}, Workers: runtime.NumCPU()})
	if sum, err := lib.Scan(ctx, nil); err != nil || sum[media.StatusAdded] != n {
		b.Fatalf("first scan: %v, %v", sum, err)
	}
	for b.Loop() {
		sum, err := lib.Scan(ctx, nil)
		if err != nil || sum[media.StatusExists] != n {
			b.Fatalf("rescan: %v, %v", sum, err)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/rescan")
}

// BenchmarkAdd measures `library add` of the same 1,000 files: Scan's work
// plus an atomic, fsynced copy of every file into the managed folder.
func BenchmarkAdd(b *testing.B) {
	const n = 1000
	music := b.TempDir()
	mixedLibrary(b, music, n)
	workers := runtime.NumCPU()
	pool := newPool(b, workers)
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		st, err := store.Open(ctx, filepath.Join(b.TempDir(), "attune.db"))
		if err != nil {
			b.Fatal(err)
		}
		lib := media.NewLibrary(st, pool, media.Config{Dir: filepath.Join(b.TempDir(), "media"), Workers: workers})
		b.StartTimer()
		sum, err := lib.Add(ctx, []string{music}, nil)
		if err != nil || sum[media.StatusAdded] != n {
			b.Fatalf("add: %v, %v", sum, err)
		}
		b.StopTimer()
		st.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "files/s")
}
