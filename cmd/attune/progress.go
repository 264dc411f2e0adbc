package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"

	"attune/media"
)

// reporter prints a long library operation as it goes: a progress bar on a
// terminal, a log line every few seconds elsewhere, every rejected file on
// its own line (`path: reason`), and with --json one object per file on out.
type reporter struct {
	verb     string    // "add" or "scan"
	out      io.Writer // JSON lines, when asJSON
	msg      io.Writer // human messages, rejections, progress
	asJSON   bool
	terminal bool
	every    time.Duration // time between plain progress lines

	mu      sync.Mutex // the library calls from one goroutine; mu guards against the ticker-less writes anyway
	bar     *progressbar.ProgressBar
	total   int
	done    int
	started time.Time
	last    time.Time
	enc     *json.Encoder
}

func newReporter(verb string, out, msg io.Writer, asJSON, terminal bool) *reporter {
	return &reporter{verb: verb, out: out, msg: msg, asJSON: asJSON, terminal: terminal, every: 2 * time.Second, enc: json.NewEncoder(out)}
}

// Start implements media.Reporter.
func (r *reporter) Start(total int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.total, r.started, r.last = total, time.Now(), time.Now()
	if r.terminal && total > 0 {
		r.bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(r.msg),
			progressbar.OptionSetDescription(r.verb),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("files"),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionFullWidth(),
		)
		return
	}
	if !r.asJSON || !r.terminal {
		fmt.Fprintf(r.msg, "%s: %d files to examine\n", r.verb, total)
	}
}

// Done implements media.Reporter.
func (r *reporter) Done(res media.Result) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.done++
	if r.asJSON {
		_ = r.enc.Encode(res)
	}
	if res.Status == media.StatusRejected {
		if r.bar != nil {
			_ = r.bar.Clear()
		}
		fmt.Fprintf(r.msg, "%s: %s\n", res.Path, res.Error)
	}
	if r.bar != nil {
		_ = r.bar.Add(1)
		return
	}
	if now := time.Now(); now.Sub(r.last) >= r.every && r.done < r.total {
		r.last = now
		rate := float64(r.done) / now.Sub(r.started).Seconds()
		eta := time.Duration(float64(r.total-r.done)/rate) * time.Second
		fmt.Fprintf(r.msg, "%s: %d/%d files, %.0f files/s, about %s left\n", r.verb, r.done, r.total, rate, eta.Round(time.Second))
	}
}

// finish removes the bar and prints the summary line.
func (r *reporter) finish(sum media.Summary) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.bar != nil {
		_ = r.bar.Finish()
		_ = r.bar.Clear()
	}
	elapsed := time.Since(r.started).Round(time.Millisecond)
	fmt.Fprintf(r.msg, "%s: %s in %s\n", r.verb, describeSummary(sum), elapsed)
}

// describeSummary says how many files ended how, e.g.
// "12 added, 3 already in the library, 2 rejected".
func describeSummary(sum media.Summary) string {
	parts := []struct {
		s    media.Status
		text string
	}{
		{media.StatusAdded, "added"},
		{media.StatusUpdated, "updated"},
		{media.StatusExists, "already in the library"},
		{media.StatusRemoved, "removed"},
		{media.StatusRejected, "rejected"},
	}
	out := ""
	for _, p := range parts {
		if n := sum[p.s]; n > 0 || p.s == media.StatusAdded {
			if out != "" {
				out += ", "
			}
			out += fmt.Sprintf("%d %s", n, p.text)
		}
	}
	return out
}
