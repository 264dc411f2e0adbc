package loadtest

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// recorder matches replies and pushes to the commands that caused them.
type recorder struct {
	mu      sync.Mutex
	sentAt  map[string]time.Time  // command id → sent
	byValue map[float64]time.Time // min_db → when the latest command with it was sent
	acks    []time.Duration
	pushes  []time.Duration
	errors  int
}

func newRecorder() *recorder {
	return &recorder{sentAt: map[string]time.Time{}, byValue: map[float64]time.Time{}}
}

func (r *recorder) sent(id string, v float64, at time.Time) {
	r.mu.Lock()
	r.sentAt[id], r.byValue[v] = at, at
	r.mu.Unlock()
}

func (r *recorder) acked(id string, at time.Time) {
	r.mu.Lock()
	if t, ok := r.sentAt[id]; ok {
		r.acks = append(r.acks, at.Sub(t))
		delete(r.sentAt, id)
	}
	r.mu.Unlock()
}

func (r *recorder) failed(id string) {
	r.mu.Lock()
	if _, ok := r.sentAt[id]; ok {
		r.errors++
		delete(r.sentAt, id)
	}
	r.mu.Unlock()
}

func (r *recorder) pushed(v float64, at time.Time) {
	r.mu.Lock()
	if t, ok := r.byValue[v]; ok {
		r.pushes = append(r.pushes, at.Sub(t))
	}
	r.mu.Unlock()
}

// promFigures are the daemon's metrics the report compares.
type promFigures struct {
	Underruns float64 // attune_underruns_total, all rooms and kinds
	RSS       float64 // process_resident_memory_bytes
	Heap      float64 // go_memstats_heap_inuse_bytes
	Dropped   float64 // attune_websocket_dropped_total
}

// parseProm reads the few figures it needs from the Prometheus text format.
func parseProm(r io.Reader) (promFigures, error) {
	var f promFigures
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		name, rest, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		if i := strings.IndexByte(name, '{'); i >= 0 {
			name = name[:i]
			if j := strings.LastIndexByte(line, '}'); j >= 0 {
				rest = strings.TrimSpace(line[j+1:])
			}
		}
		v, err := strconv.ParseFloat(strings.Fields(rest)[0], 64)
		if err != nil {
			continue
		}
		switch name {
		case "attune_underruns_total":
			f.Underruns += v
		case "process_resident_memory_bytes":
			f.RSS = v
		case "go_memstats_heap_inuse_bytes":
			f.Heap = v
		case "attune_websocket_dropped_total":
			f.Dropped = v
		}
	}
	return f, sc.Err()
}

// Latency summarises a set of durations in milliseconds.
type Latency struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50_ms"`
	P99 float64 `json:"p99_ms"`
	Max float64 `json:"max_ms"`
}

func summarize(ds []time.Duration) Latency {
	if len(ds) == 0 {
		return Latency{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	return Latency{N: len(s), P50: ms(s[len(s)/2]), P99: ms(s[min(len(s)-1, len(s)*99/100)]), Max: ms(s[len(s)-1])}
}

// Report is what a run measured.
type Report struct {
	Clients     int     `json:"clients"`
	Listeners   int     `json:"listeners"`
	Rate        float64 `json:"rate"`
	Duration    string  `json:"duration"`
	Sent        int     `json:"commands_sent"`
	Errors      int     `json:"command_errors"`
	Unanswered  int     `json:"commands_unanswered"`
	Ack         Latency `json:"ack"`
	Push        Latency `json:"push"`
	LostClients int     `json:"clients_lost"`
	// PushesMin is the fewest room pushes any client received.
	PushesMin      int64   `json:"pushes_min"`
	StreamFailures int     `json:"stream_failures"`
	StreamGaps     int64   `json:"stream_gaps"`
	StreamKbps     float64 `json:"stream_kbps_min"`
	Underruns      float64 `json:"underruns"`
	RSSBeforeMiB   float64 `json:"rss_before_mib"`
	RSSAfterMiB    float64 `json:"rss_after_mib"`
	HeapBeforeMiB  float64 `json:"heap_before_mib"`
	HeapAfterMiB   float64 `json:"heap_after_mib"`
	DroppedBySlow  float64 `json:"dropped_slow_clients"`
}

func (r *Report) fill(rec *recorder, clients []*wsClient, ls []*listener, start, before, after promFigures, elapsed time.Duration) {
	rec.mu.Lock()
	r.Ack, r.Push, r.Errors, r.Unanswered = summarize(rec.acks), summarize(rec.pushes), rec.errors, len(rec.sentAt)
	rec.mu.Unlock()
	r.PushesMin = -1
	for _, c := range clients {
		if c.lost.Load() {
			r.LostClients++
		}
		if n := c.pushes.Load(); r.PushesMin < 0 || n < r.PushesMin {
			r.PushesMin = n
		}
	}
	r.StreamKbps = -1
	for _, l := range ls {
		if l.failed.Load() != nil {
			r.StreamFailures++
		}
		r.StreamGaps += l.gaps.Load()
		kbps := float64(l.bytes.Load()) * 8 / 1000 / elapsed.Seconds()
		if r.StreamKbps < 0 || kbps < r.StreamKbps {
			r.StreamKbps = kbps
		}
	}
	if len(ls) == 0 {
		r.StreamKbps = 0
	}
	mib := func(b float64) float64 { return float64(int(b/(1<<20)*10)) / 10 }
	r.Underruns = after.Underruns - start.Underruns
	r.RSSBeforeMiB, r.RSSAfterMiB = mib(before.RSS), mib(after.RSS)
	r.HeapBeforeMiB, r.HeapAfterMiB = mib(before.Heap), mib(after.Heap)
	r.DroppedBySlow = after.Dropped - start.Dropped
}

// OK reports whether the run met the targets: every command answered, no
// client lost, every listener fed, no underruns, ack p99 < 10 ms and push
// p99 < 20 ms.
func (r *Report) OK() bool {
	return len(r.Problems()) == 0
}

// Problems lists what missed a target.
func (r *Report) Problems() []string {
	var p []string
	if r.Errors > 0 || r.Unanswered > 0 {
		p = append(p, fmt.Sprintf("%d commands failed and %d were not answered", r.Errors, r.Unanswered))
	}
	if r.LostClients > 0 {
		p = append(p, fmt.Sprintf("%d clients were disconnected", r.LostClients))
	}
	if r.StreamFailures > 0 || r.StreamGaps > 0 {
		p = append(p, fmt.Sprintf("%d stream listeners failed, %d waited over a second for audio", r.StreamFailures, r.StreamGaps))
	}
	if r.Underruns > 0 {
		p = append(p, fmt.Sprintf("%g underruns", r.Underruns))
	}
	if r.Ack.P99 >= 10 {
		p = append(p, fmt.Sprintf("command → ack p99 %.2f ms (target < 10 ms)", r.Ack.P99))
	}
	if r.Push.P99 >= 20 {
		p = append(p, fmt.Sprintf("state push p99 %.2f ms (target < 20 ms)", r.Push.P99))
	}
	return p
}

// Print writes the report for people.
func (r *Report) Print(w io.Writer) {
	fmt.Fprintf(w, "load: %d WebSocket clients, %d stream listeners, %g commands/s for %s (%d sent)\n",
		r.Clients, r.Listeners, r.Rate, r.Duration, r.Sent)
	fmt.Fprintf(w, "command → ack:     p50 %.2f ms, p99 %.2f ms, max %.2f ms (%d acks, %d errors, %d unanswered)\n",
		r.Ack.P50, r.Ack.P99, r.Ack.Max, r.Ack.N, r.Errors, r.Unanswered)
	fmt.Fprintf(w, "state push:        p50 %.2f ms, p99 %.2f ms, max %.2f ms (%d deliveries; fewest pushes to one client %d)\n",
		r.Push.P50, r.Push.P99, r.Push.Max, r.Push.N, r.PushesMin)
	fmt.Fprintf(w, "clients lost: %d (dropped as too slow: %g)\n", r.LostClients, r.DroppedBySlow)
	fmt.Fprintf(w, "streams: %d failed, %d gaps over 1 s, slowest listener %.0f kb/s\n", r.StreamFailures, r.StreamGaps, r.StreamKbps)
	fmt.Fprintf(w, "underruns: %g\n", r.Underruns)
	fmt.Fprintf(w, "memory, from all connected to the end: RSS %.1f → %.1f MiB, heap in use %.1f → %.1f MiB\n", r.RSSBeforeMiB, r.RSSAfterMiB, r.HeapBeforeMiB, r.HeapAfterMiB)
	if p := r.Problems(); len(p) > 0 {
		fmt.Fprintf(w, "MISSED: %s\n", strings.Join(p, "; "))
	} else {
		fmt.Fprintln(w, "all targets met")
	}
}
