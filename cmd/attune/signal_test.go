package main

import (
	"bufio"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"attune/media/mediatest"
	"attune/media/store"
)

// mainEnv makes the test binary run attune's main, so a test can start the
// real command as a process and signal it.
const mainEnv = "ATTUNE_TEST_RUN_MAIN"

// Ctrl-C in the middle of an import: attune stops promptly with status 130,
// and every file is wholly in the library or not at all — each managed copy
// has its row, each row its copy, and no temporary file is left.
func TestMain_interruptedAdd(t *testing.T) {
	isolate(t)
	src := t.TempDir()
	data := filepath.Join(t.TempDir(), "data")
	for i := range 400 {
		tone := mediatest.Tone{SampleRate: 44100, Channels: 2, Samples: 44100 / 2, Freq: 200 + float64(i)}
		mediatest.WriteFile(t, src, fmt.Sprintf("%03d.wav", i), mediatest.WAV(tone))
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "library", "add", "--json", src)
	cmd.Env = append(os.Environ(), mainEnv+"=1", "ATTUNE_DATA_DIR="+data)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Interrupt once a few files are in.
	sc := bufio.NewScanner(stdout)
	for lines := 0; lines < 5 && sc.Scan(); lines++ {
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	for sc.Scan() {
	}
	err = cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != exitInterrupt {
		t.Fatalf("exit status %d (%v), want %d; stderr:\n%s", code, err, exitInterrupt, stderr.String())
	}
	if !strings.Contains(stderr.String(), "interrupted") {
		t.Errorf("stderr does not say it was interrupted:\n%s", stderr.String())
	}

	st, err := store.Open(context.Background(), filepath.Join(data, "attune.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rows, err := st.Files(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 || len(rows) >= 400 {
		t.Fatalf("%d rows after the interrupt; want some but not all 400", len(rows))
	}
	inDB := map[string]bool{}
	for _, f := range rows {
		inDB[f.Path] = true
	}
	var onDisk []string
	filepath.WalkDir(filepath.Join(data, "media"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			onDisk = append(onDisk, p)
		}
		return nil
	})
	for _, p := range onDisk {
		if !inDB[p] {
			t.Errorf("%s is on disk without a row (a partial import)", p)
		}
	}
	if len(onDisk) != len(rows) {
		t.Errorf("%d files on disk, %d rows", len(onDisk), len(rows))
	}
	t.Logf("interrupted after %d of 400 files", len(rows))
}

// runMainIfAsked is called from TestMain: in a child started by a test, it
// runs attune's main exactly as the binary would, signals included.
func runMainIfAsked() {
	if os.Getenv(mainEnv) != "1" {
		return
	}
	done := make(chan struct{})
	go func() {
		// A stuck shutdown must not hang the test run.
		select {
		case <-done:
		case <-time.After(time.Minute):
			fmt.Fprintln(os.Stderr, "attune test main: still running after a minute")
			os.Exit(3)
		}
	}()
	main()
	close(done)
}
