package main

import (
	"bufio"
	"context"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	mstore "attune/media/store"
	"attune/player/session"
	"attune/playlists"
)

// attuneChild starts the test binary as attune with args (see
// runMainIfAsked); its stdin is a pipe the test holds open.
func attuneChild(t *testing.T, args ...string) (cmd *exec.Cmd, stdin io.WriteCloser, stdout *bufio.Scanner, stderr *strings.Builder) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd = exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), mainEnv+"=1")
	if stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr = &strings.Builder{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return cmd, stdin, bufio.NewScanner(out), stderr
}

// wavFrames is how many frames of 24-bit stereo audio the WAV at path holds
// on disk now (its header may be stale while it is written).
func wavFrames(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil || fi.Size() < 44 {
		return 0
	}
	return (fi.Size() - 44) / 6
}

// sweepFreq is the mean frequency of x (a sine, at rate) from its upward
// zero crossings, interpolated between samples.
func sweepFreq(x []float64, rate int) float64 {
	var first, last float64
	n := 0
	for i := 1; i < len(x); i++ {
		if x[i-1] < 0 && x[i] >= 0 {
			t := float64(i-1) + x[i-1]/(x[i-1]-x[i])
			if n == 0 {
				first = t
			}
			last = t
			n++
		}
	}
	if n < 2 {
		return 0
	}
	return float64(n-1) * float64(rate) / (last - first)
}

// The crash test: attune is SIGKILLed mid-session; started again
// with only the room, it carries the session on within 3 s of output, on
// the item and at the position the stored plan gives for the drug clock
// then (±1 s), fading in from silence, and the log says it recovered.
func TestMain_crashRecovery(t *testing.T) {
	cfg := liveLibrary(t)
	dir := t.TempDir()
	file1, file2 := filepath.Join(dir, "file1.wav"), filepath.Join(dir, "file2.wav")
	const rate = 48000
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("still waiting for %s after 30 s", what)
			}
		}
	}

	// The first attune: a session of Crash arc, dosed 40 s ago (so the
	// plan is well into its second track), killed after a second of music.
	c1, in1, out1, err1 := attuneChild(t, append([]string{"play", "--playlist", "Crash arc", "--room", "Cedar", "--speaker", "none", "--out", file1}, cfg...)...)
	if _, err := io.WriteString(in1, "dose 40s\n"); err != nil {
		t.Fatal(err)
	}
	if !out1.Scan() || out1.Text() != "ok" {
		c1.Process.Kill()
		c1.Wait()
		t.Fatalf("dose: answered %q; stderr:\n%s", out1.Text(), err1.String())
	}
	waitFor("file1.wav to hold 1.5 s", func() bool { return wavFrames(file1) >= rate*3/2 })
	if err := c1.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	c1.Wait()

	ctx := context.Background()
	st := openSessions(t)
	live, err := st.Live(ctx)
	if err != nil || len(live) != 1 {
		t.Fatalf("live sessions after the kill: %v, %v; want one", live, err)
	}
	rec := live[0]
	core, err := session.Restore(rec, playlists.TrackMap{}, session.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	plan := core.Plan()
	lib, err := mstore.Open(ctx, dbPath(os.Getenv("ATTUNE_DATA_DIR")))
	if err != nil {
		t.Fatal(err)
	}
	defer lib.Close()
	tracks, err := loadPlaylistTracks(ctx, lib, rec.Playlist)
	if err != nil {
		t.Fatal(err)
	}

	// The second attune carries the room's session on.
	started := time.Now()
	c2, _, _, err2 := attuneChild(t, append([]string{"play", "--room", "Cedar", "--speaker", "none", "--out", file2}, cfg...)...)
	type poll struct {
		wall   time.Time
		frames int64
	}
	var polls []poll
	waitFor("file2.wav to hold 4 s", func() bool {
		n := wavFrames(file2)
		if n > 0 {
			polls = append(polls, poll{time.Now(), n})
		}
		return n >= 4*rate
	})
	if err := c2.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	c2.Wait()
	if code := c2.ProcessState.ExitCode(); code != exitInterrupt {
		t.Fatalf("second attune: exit %d, want %d; stderr:\n%s", code, exitInterrupt, err2.String())
	}
	// The file's first sample was made no earlier than this: the engine
	// runs in real time, and a poll sees what it made less what is still
	// buffered, so the tightest poll bounds it closely.
	t0 := polls[0].wall
	for _, p := range polls {
		if w := p.wall.Add(-time.Duration(p.frames) * time.Second / rate); w.Before(t0) {
			t0 = w
		}
	}
	t.Logf("second attune: first audio on disk %s after its start", polls[0].wall.Sub(started).Round(time.Millisecond))

	got, left := readWAV24(t, file2)
	if got != rate {
		t.Fatalf("file2.wav at %d Hz, want %d", got, rate)
	}
	sA := -1
	for i, v := range left {
		if math.Abs(v) > 1e-4 {
			sA = i
			break
		}
	}
	if sA < 0 || sA >= 3*rate || len(left) < sA+2*rate {
		t.Fatalf("music starts at sample %d of %d; want within 3 s (%d) and 2 s of it recorded", sA, len(left), 3*rate)
	}
	t.Logf("second attune: music from %.2f s of its output", float64(sA)/rate)
	// From silence: the first 20 ms are far below the level a second on.
	if early, full := maxAbs(left[sA:sA+rate/50]), maxAbs(left[sA+rate:sA+rate*3/2]); early > 0.1*full {
		t.Errorf("first 20 ms peak %.4f, a second later %.4f: want a fade in from silence", early, full)
	}

	// What plays 1.25 s into the music, and what the stored plan says.
	mid := sA + rate*5/4
	f := sweepFreq(left[mid-rate/4:mid+rate/4], rate)
	at := t0.Add(time.Duration(mid) * time.Second / rate).Sub(rec.DosedAt)
	var item *playlists.Item
	for i := range plan.Items {
		if it := plan.Items[i]; it.Start <= at && at < it.End {
			item = &plan.Items[i]
		}
	}
	if item == nil || item.Start+item.FadeIn > at-time.Second || at+time.Second > item.End-item.FadeOut {
		t.Fatalf("at drug clock %s the plan has %+v; the test wants one track sounding steadily there", at, item)
	}
	var want chirp
	for _, c := range liveChirps() {
		if tracks.Label(item.Track) == "Chirp – "+c.title {
			want = c
		}
	}
	var heard *chirp
	for _, c := range liveChirps() {
		if f >= c.f0-5 && f <= c.f0+chirpRate*float64(c.secs)+5 {
			heard = &c
		}
	}
	wantPos := at - item.Start + item.Offset
	if heard == nil || heard.title != want.title {
		t.Fatalf("at drug clock %s: heard %.1f Hz (%+v); the plan has %s at %s into it", at, f, heard, want.title, wantPos)
	}
	pos := time.Duration((f - want.f0) / chirpRate * float64(time.Second))
	if d := pos - wantPos; d < -time.Second || d > time.Second {
		t.Errorf("at drug clock %s: %s is at %s, want %s ±1s", at, want.title, pos.Round(10*time.Millisecond), wantPos.Round(10*time.Millisecond))
	}
	t.Logf("at drug clock %s: %s at %s, the plan says %s", at.Round(10*time.Millisecond), want.title,
		pos.Round(10*time.Millisecond), wantPos.Round(10*time.Millisecond))

	// The log says so, and the session is still live after Ctrl-C.
	code, stdout, stderr := attune(t, append(append([]string{"session", "log"}, cfg...), "1")...)
	if code != exitOK || !strings.Contains(stdout, "recovered resumed at +00:") {
		t.Errorf("session log: exit %d, no recovered entry:\n%s%s", code, stdout, stderr)
	}
	es, _ := st.Entries(ctx, rec.ID)
	recovered, logged := false, false
	for _, e := range es {
		recovered = recovered || e.Kind == session.KindRecovered
		logged = logged || recovered && e.Kind == session.KindItem && e.Track == item.Track
	}
	if !logged {
		t.Errorf("no item entry for %s after the recovery: %+v", want.title, es)
	}
	if live, err := st.Live(ctx); err != nil || len(live) != 1 {
		t.Errorf("after Ctrl-C: live sessions %v, %v; want the session still live", live, err)
	}
	code, _, stderr = attune(t, append([]string{"play", "--playlist", "Crash arc", "--room", "Cedar", "--speaker", "none"}, cfg...)...)
	if code != exitUsage || !strings.Contains(stderr, "already has a live session") {
		t.Errorf("a new session in the busy room: exit %d, stderr %q", code, stderr)
	}
}
