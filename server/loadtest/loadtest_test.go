package loadtest

import (
	"strings"
	"testing"
	"time"
)

func TestNumberAfter(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
		ok   bool
	}{
		{`{"type":"room","room":{"patient_min_db":-39.95,"x":1}}`, -39.95, true},
		{`{"patient_min_db": -30}`, -30, true},
		{`{"patient_max_db":-6}`, 0, false},
		{`{"patient_min_db":"x"}`, 0, false},
	} {
		got, ok := numberAfter([]byte(tc.in), `"patient_min_db":`)
		if got != tc.want || ok != tc.ok {
			t.Errorf("numberAfter(%s) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestParseProm(t *testing.T) {
	in := `# HELP attune_underruns_total x
attune_underruns_total{kind="item",room="room-1"} 2
attune_underruns_total{kind="sink",room="room-1"} 3
process_resident_memory_bytes 1.048576e+08
go_memstats_heap_inuse_bytes 5.24288e+07
attune_websocket_dropped_total 1
`
	f, err := parseProm(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if want := (promFigures{Underruns: 5, RSS: 104857600, Heap: 52428800, Dropped: 1}); f != want {
		t.Errorf("parseProm = %+v, want %+v", f, want)
	}
}

func TestReport_Problems(t *testing.T) {
	ok := Report{Ack: Latency{P99: 2}, Push: Latency{P99: 5}}
	if p := ok.Problems(); len(p) != 0 {
		t.Errorf("Problems of a good run = %q, want none", p)
	}
	bad := Report{Ack: Latency{P99: 12}, Push: Latency{P99: 25}, Underruns: 1, LostClients: 2, Unanswered: 1}
	if p := bad.Problems(); len(p) != 5 {
		t.Errorf("Problems = %q, want 5 (answers, clients, underruns, ack, push)", p)
	}
	if s := summarize([]time.Duration{3 * time.Millisecond, time.Millisecond, 2 * time.Millisecond}); s.P50 != 2 || s.Max != 3 || s.N != 3 {
		t.Errorf("summarize = %+v, want p50 2 ms, max 3 ms, n 3", s)
	}
}

func TestCheckLoopback(t *testing.T) {
	for _, a := range []string{"127.0.0.1:8480", "[::1]:8480", "localhost:1"} {
		if err := checkLoopback(a); err != nil {
			t.Errorf("checkLoopback(%s) = %v, want nil", a, err)
		}
	}
	for _, a := range []string{"10.0.0.2:8480", "example.com:80", "8480"} {
		if err := checkLoopback(a); err == nil {
			t.Errorf("checkLoopback(%s) = nil, want an error", a)
		}
	}
}
