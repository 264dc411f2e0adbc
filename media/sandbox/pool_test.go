package sandbox

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"attune/media"
)

// testConfig runs the test binary itself as the child.
func testConfig(workers int) Config {
	cfg := Config{
		Command: []string{os.Args[0]},
		Env:     []string{childEnv + "=1"},
		Workers: workers,
		Timeout: 20 * time.Second, // generous: -race on a loaded 2-core machine
	}
	if !raceEnabled { // the race detector's shadow memory needs more address space
		cfg.MemoryLimit = DefaultMemoryLimit
	}
	return cfg
}

// newPool starts a pool that is closed, and checked for leaks, at the end of
// the test.
func newPool(tb testing.TB, cfg Config) *Pool {
	tb.Helper()
	before := runtime.NumGoroutine()
	p, err := New(context.Background(), cfg)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	tb.Cleanup(func() {
		if err := p.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
		waitGoroutines(tb, before)
	})
	return p
}

// waitGoroutines fails tb unless the goroutine count drops to want soon.
func waitGoroutines(tb testing.TB, want int) {
	tb.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for runtime.NumGoroutine() > want {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			tb.Fatalf("goroutines: got %d, want %d\n%s", runtime.NumGoroutine(), want, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// childPID asks a child for its pid.
func childPID(tb testing.TB, p *Pool) int {
	tb.Helper()
	info, err := p.Probe(context.Background(), "/x/pid")
	if err != nil {
		tb.Fatalf("Probe(pid): %v", err)
	}
	pid, err := strconv.Atoi(info.Tags.Title)
	if err != nil {
		tb.Fatalf("pid %q: %v", info.Tags.Title, err)
	}
	return pid
}

// alive reports whether process pid exists (zombies included).
func alive(pid int) bool {
	return syscall.Kill(pid, 0) == nil
}

// probeOK fails tb unless path probes to sampleInfo(path).
func probeOK(tb testing.TB, p *Pool, path string) {
	tb.Helper()
	got, err := p.Probe(context.Background(), path)
	if err != nil {
		tb.Fatalf("Probe(%q): %v", path, err)
	}
	if want := sampleInfo(path); !reflect.DeepEqual(got, want) {
		tb.Fatalf("Probe(%q):\ngot  %+v\nwant %+v", path, got, want)
	}
}

func TestPool_Probe_info(t *testing.T) {
	p := newPool(t, testConfig(1))
	for _, path := range []string{
		"/music/ok-plain.flac",
		"/music/ok-caf\xe9 \xff latin1.mp3", // not UTF-8: must reach the child byte for byte
		"/music/ok-\"quotes\"\nnewline.ogg",
	} {
		probeOK(t, p, path)
	}
	got, err := p.Probe(context.Background(), "/music/ok-gain.flac")
	if err != nil {
		t.Fatal(err)
	}
	rg := got.Tags.ReplayGain
	if rg.TrackGain == nil || *rg.TrackGain != 0 || rg.AlbumPeak != nil {
		t.Errorf("ReplayGain: got track gain %v, album peak %v; want 0 dB and absent", rg.TrackGain, rg.AlbumPeak)
	}
}

func TestPool_Probe_nonFinite(t *testing.T) {
	p := newPool(t, testConfig(1))
	got, err := p.Probe(context.Background(), "/x/nonfinite")
	if err != nil {
		t.Fatal(err)
	}
	rg := got.Tags.ReplayGain
	if rg.TrackGain == nil || !math.IsNaN(*rg.TrackGain) {
		t.Errorf("track gain: got %v, want NaN", rg.TrackGain)
	}
	if rg.TrackPeak == nil || !math.IsInf(*rg.TrackPeak, 1) {
		t.Errorf("track peak: got %v, want +Inf", rg.TrackPeak)
	}
	if rg.AlbumGain == nil || !math.IsInf(*rg.AlbumGain, -1) {
		t.Errorf("album gain: got %v, want -Inf", rg.AlbumGain)
	}
	if rg.AlbumPeak == nil || *rg.AlbumPeak != 0 {
		t.Errorf("album peak: got %v, want 0", rg.AlbumPeak)
	}
	// Invalid UTF-8 in tags becomes U+FFFD, as through any JSON API.
	got, err = p.Probe(context.Background(), "/x/badutf8")
	if want := "caf\uFFFD \uFFFD"; err != nil || got.Tags.Title != want {
		t.Errorf("badutf8: got %q, %v; want %q", got.Tags.Title, err, want)
	}
}

func TestPool_Probe_errors(t *testing.T) {
	p := newPool(t, testConfig(1))
	pid := childPID(t, p)
	tests := []struct {
		path        string
		want        string
		invalid     bool
		unsupported bool
	}{
		{"/m/invalid-1.mp3", "read the header of /m/invalid-1.mp3: invalid file", true, false},
		{"/m/unsupported-1.m4a", "/m/unsupported-1.m4a: AAC in MP4: unsupported format", false, true},
		{"/m/both", "invalid file\nunsupported format", true, true},
		{"/m/plain", "disk on fire", false, false},
		{"/m/panic-7.mp3", "decoder panic: bad frame 7.mp3", false, false},
	}
	for _, tt := range tests {
		_, err := p.Probe(context.Background(), tt.path)
		if err == nil || err.Error() != tt.want {
			t.Errorf("Probe(%q): got error %v, want %q", tt.path, err, tt.want)
			continue
		}
		if got := errors.Is(err, media.ErrInvalid); got != tt.invalid {
			t.Errorf("Probe(%q): errors.Is(err, ErrInvalid) = %v, want %v", tt.path, got, tt.invalid)
		}
		if got := errors.Is(err, media.ErrUnsupported); got != tt.unsupported {
			t.Errorf("Probe(%q): errors.Is(err, ErrUnsupported) = %v, want %v", tt.path, got, tt.unsupported)
		}
		if errors.Is(err, ErrCrashed) {
			t.Errorf("Probe(%q): an ordinary error is ErrCrashed", tt.path)
		}
	}
	if got := childPID(t, p); got != pid {
		t.Errorf("child pid after ordinary errors and a panic: got %d, want %d (no restart)", got, pid)
	}
}

func TestPool_Probe_crash(t *testing.T) {
	tests := []struct {
		name   string
		path   string
		prefix string // of the error text
		needs  string // "" or why the case cannot run here
	}{
		{"out of memory", "/m/oom", "probe crashed: fatal error: ", noLimitUnderRace()},
		{"stack overflow", "/m/stack", "probe crashed: fatal error: stack overflow", ""},
		{"exit", "/m/exit3", "probe crashed: exit status 3", ""},
		{"nil pointer in a goroutine", "/m/goroutine",
			"probe crashed: panic: runtime error: invalid memory address or nil pointer dereference", ""},
		{"segfault", "/m/segv", "probe crashed: SIGSEGV: segmentation violation", ""},
	}
	p := newPool(t, testConfig(1))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.needs != "" {
				t.Skip(tt.needs)
			}
			pid := childPID(t, p)
			_, err := p.Probe(context.Background(), tt.path)
			if err == nil || !strings.HasPrefix(err.Error(), tt.prefix) {
				t.Fatalf("Probe(%q): got error %v, want prefix %q", tt.path, err, tt.prefix)
			}
			if !errors.Is(err, ErrCrashed) {
				t.Errorf("Probe(%q): errors.Is(err, ErrCrashed) = false", tt.path)
			}
			if alive(pid) {
				t.Errorf("crashed child %d is still there", pid)
			}
			probeOK(t, p, "/m/ok-after")
			if got := childPID(t, p); got == pid {
				t.Errorf("child pid after the crash: got %d again, want a new child", got)
			}
		})
	}
}

func TestPool_Probe_outOfMemoryReason(t *testing.T) {
	if why := noLimitUnderRace(); why != "" {
		t.Skip(why)
	}
	p := newPool(t, testConfig(1))
	start := time.Now()
	_, err := p.Probe(context.Background(), "/m/oom")
	if err == nil || !strings.Contains(err.Error(), "out of memory") {
		t.Fatalf("Probe(oom): got error %v, want one mentioning out of memory", err)
	}
	t.Logf("%v after %v", err, time.Since(start))
}

func TestPool_Probe_timeout(t *testing.T) {
	cfg := testConfig(1)
	cfg.Timeout = 300 * time.Millisecond
	p := newPool(t, cfg)
	pid := childPID(t, p)
	start := time.Now()
	_, err := p.Probe(context.Background(), "/m/hang")
	elapsed := time.Since(start)
	if want := "probe timed out after 300ms"; err == nil || err.Error() != want {
		t.Fatalf("Probe(hang): got error %v, want %q", err, want)
	}
	if !errors.Is(err, ErrTimeout) {
		t.Errorf("Probe(hang): errors.Is(err, ErrTimeout) = false")
	}
	if elapsed < cfg.Timeout || elapsed > cfg.Timeout+2*time.Second {
		t.Errorf("Probe(hang) took %v, want about %v", elapsed, cfg.Timeout)
	}
	if alive(pid) {
		t.Errorf("timed-out child %d is still there", pid)
	}
	probeOK(t, p, "/m/ok-after")
}

func TestPool_Probe_guardsStdio(t *testing.T) {
	p := newPool(t, testConfig(1))
	probeOK(t, p, "/m/stdout")
	probeOK(t, p, "/m/stdin")
	probeOK(t, p, "/m/ok-after")
	// The log line that looks like a panic must not be kept as the reason of
	// a later crash in the same child.
	_, err := p.Probe(context.Background(), "/m/exit3")
	if want := "probe crashed: exit status 3"; err == nil || err.Error() != want {
		t.Errorf("Probe(exit3): got error %v, want %q", err, want)
	}
}

func TestPool_Probe_concurrent(t *testing.T) {
	p := newPool(t, testConfig(3))
	const goroutines, files = 8, 15
	var wg sync.WaitGroup
	errs := make(chan error, goroutines*files)
	for g := range goroutines {
		wg.Go(func() {
			for i := range files {
				var path, want string
				switch i % 3 {
				case 0:
					path = fmt.Sprintf("/m/ok-%d-%d.flac", g, i)
				case 1:
					path = fmt.Sprintf("/m/invalid-%d-%d.mp3", g, i)
					want = "read the header of " + path + ": invalid file"
				case 2:
					path = fmt.Sprintf("/m/panic-%d-%d", g, i)
					want = fmt.Sprintf("decoder panic: bad frame %d-%d", g, i)
				}
				info, err := p.Probe(context.Background(), path)
				switch {
				case want == "" && err != nil:
					errs <- fmt.Errorf("Probe(%q): %v", path, err)
				case want == "" && info.Tags.Title != strconv.QuoteToASCII(path):
					errs <- fmt.Errorf("Probe(%q): got title %s, want the path", path, info.Tags.Title)
				case want != "" && (err == nil || err.Error() != want):
					errs <- fmt.Errorf("Probe(%q): got error %v, want %q", path, err, want)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestPool_Probe_cancel(t *testing.T) {
	p := newPool(t, testConfig(1))
	pid := childPID(t, p)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err := p.Probe(ctx, "/m/hang")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Probe(hang) with ctx cancelled: got %v, want context.Canceled", err)
	}
	if elapsed := time.Since(start); elapsed > time.Second {
		t.Errorf("Probe returned %v after the cancel, want promptly", elapsed-100*time.Millisecond)
	}
	if alive(pid) {
		t.Errorf("child %d of a cancelled probe is still there", pid)
	}

	// A call waiting for a free child gives up too.
	ctx, cancel = context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	busy := make(chan error, 1)
	go func() {
		_, err := p.Probe(ctx, "/m/hang")
		busy <- err
	}()
	time.Sleep(50 * time.Millisecond)
	if _, err := p.Probe(ctx, "/m/ok-waiting"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Probe waiting for a child: got %v, want context.DeadlineExceeded", err)
	}
	if err := <-busy; !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Probe(hang): got %v, want context.DeadlineExceeded", err)
	}
	probeOK(t, p, "/m/ok-after")
}

func TestPool_Close(t *testing.T) {
	before := runtime.NumGoroutine()
	p, err := New(context.Background(), testConfig(2))
	if err != nil {
		t.Fatal(err)
	}
	// Two slow probes at once make both children run; each reports its pid.
	pids := make(chan int, 2)
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			if _, err := p.Probe(context.Background(), "/m/sleep-200"); err != nil {
				t.Error(err)
			}
			pids <- childPID(t, p)
		})
	}
	wg.Wait()
	close(pids)
	// A probe in flight when Close comes.
	hung := make(chan error, 1)
	go func() {
		_, err := p.Probe(context.Background(), "/m/hang")
		hung <- err
	}()
	time.Sleep(100 * time.Millisecond)

	if err := p.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := <-hung; !errors.Is(err, ErrClosed) {
		t.Errorf("Probe in flight during Close: got %v, want ErrClosed", err)
	}
	for pid := range pids {
		if alive(pid) {
			t.Errorf("child %d still there after Close", pid)
		}
	}
	waitGoroutines(t, before)
	if err := p.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := p.Probe(context.Background(), "/m/ok-late"); !errors.Is(err, ErrClosed) {
		t.Errorf("Probe after Close: got %v, want ErrClosed", err)
	}
}

func TestNew_errors(t *testing.T) {
	ok := testConfig(1)
	tests := []struct {
		name string
		edit func(*Config)
		want string // in the error text
	}{
		{"no command", func(c *Config) { c.Command = nil }, "no command"},
		{"no workers", func(c *Config) { c.Workers = 0 }, "0 workers"},
		{"negative timeout", func(c *Config) { c.Timeout = -time.Second }, "negative timeout"},
		{"negative memory", func(c *Config) { c.MemoryLimit = -1 }, "negative memory limit"},
		{"missing binary", func(c *Config) { c.Command = []string{"/nonexistent/attune"} }, "no such file"},
		{"not a child", func(c *Config) { c.Command = []string{"/bin/sh", "-c", "echo usage: attune >&2; exit 2"} },
			"exit status 2; last output: usage: attune"},
		{"memory limit too low for Go", func(c *Config) { c.MemoryLimit = 256 << 20 }, "fatal error: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if why := noLimitUnderRace(); why != "" && strings.HasPrefix(tt.name, "memory limit") {
				t.Skip(why)
			}
			cfg := ok
			tt.edit(&cfg)
			p, err := New(context.Background(), cfg)
			if err == nil {
				p.Close()
				t.Fatalf("New: got no error, want one containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New: got %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// noLimitUnderRace says why a test that needs a memory limit cannot run.
func noLimitUnderRace() string {
	if raceEnabled {
		return "the race detector's shadow memory leaves no room for a memory limit; run without -race"
	}
	return ""
}

// BenchmarkPool_Probe measures files per second through the protocol, with
// a trivial probe and 2 children.
func BenchmarkPool_Probe(b *testing.B) {
	cfg := testConfig(2)
	p := newPool(b, cfg)
	b.SetParallelism(2)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := p.Probe(context.Background(), "/m/pid"); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "files/s")
}
