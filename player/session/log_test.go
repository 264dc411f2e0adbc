package session

import (
	"bytes"
	"encoding/csv"
	"testing"
	"time"
)

func TestSummarize(t *testing.T) {
	m := time.Minute
	es := []Entry{
		{Kind: KindStart, Clock: -2 * m},
		{Kind: KindItem, Clock: -2 * m, Phase: "arrival", Track: "a"},
		{Kind: KindDose, Clock: 0, Dosed: true},
		{Kind: KindItem, Clock: 0, Phase: "settling", Track: "b"},
		{Kind: KindPause, Clock: 3 * m, Role: "patient"},
		{Kind: KindPause, Clock: 3*m + time.Second, Role: "patient"}, // a double tap is one pause
		{Kind: KindResume, Clock: 5 * m, Role: "patient"},
		{Kind: KindSkip, Clock: 6 * m, Phase: "settling", Track: "b"},
		{Kind: KindItem, Clock: 6 * m, Phase: "settling", Track: "c"},
		{Kind: KindVolume, Clock: 7 * m, Detail: VolumeDetail(-15), Role: "patient"},
		{Kind: KindOnset, Clock: 11 * m},
		{Kind: KindItem, Clock: 11 * m, Phase: "journey", Track: "d"},
		{Kind: KindQuiet, Clock: 20 * m, Detail: "on"},
		{Kind: KindQuiet, Clock: 22 * m, Detail: "off"},
		{Kind: KindFailed, Clock: 30 * m, Detail: "file vanished"},
		{Kind: KindQuiet, Clock: 40 * m, Detail: "on"},
	}
	s := Summarize(es)
	if len(s.Played) != 4 || s.Played[2].Track != "c" || s.Played[3].Phase != "journey" {
		t.Errorf("played: got %+v", s.Played)
	}
	if len(s.Pauses) != 1 || s.Pauses[0] != (Span{From: 3 * m, To: 5 * m}) {
		t.Errorf("pauses: got %+v, want one from 3m to 5m", s.Pauses)
	}
	if len(s.Skips) != 1 || s.Skips[0].Track != "b" || s.Skips[0].At != 6*m {
		t.Errorf("skips: got %+v", s.Skips)
	}
	if len(s.Volume) != 1 || s.Volume[0].DB != -15 || s.Volume[0].Role != "patient" {
		t.Errorf("volume: got %+v", s.Volume)
	}
	if !s.Marked || s.Onset != 11*m {
		t.Errorf("onset: got %v marked %v", s.Onset, s.Marked)
	}
	want := []Span{{From: 20 * m, To: 22 * m}, {From: 40 * m, To: 40 * m, Open: true}}
	if len(s.Quiet) != 2 || s.Quiet[0] != want[0] || s.Quiet[1] != want[1] {
		t.Errorf("quiet: got %+v, want %+v", s.Quiet, want)
	}
	if s.Failed != 1 || s.Ended != "" || s.Entries != len(es) {
		t.Errorf("failed %d ended %q entries %d", s.Failed, s.Ended, s.Entries)
	}
}

func TestClock(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                                       "+00:00.0",
		12*time.Minute + 30*time.Second:         "+12:30.0",
		-2 * time.Minute:                        "-02:00.0",
		125*time.Minute + 1234*time.Millisecond: "+125:01.2",
	} {
		if got := Clock(d); got != want {
			t.Errorf("Clock(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestWriteCSV(t *testing.T) {
	wall := time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)
	es := []Entry{{Seq: 1, Wall: wall, Clock: time.Minute, Dosed: true, Role: "therapist", Device: "console",
		Kind: KindPause, Detail: `said "stop", please`, Phase: "settling", Track: "t1"}}
	var b bytes.Buffer
	if err := WriteCSV(&b, es); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatalf("read back: %v", err)
	}
	if len(rows) != 2 || len(rows[1]) != 10 {
		t.Fatalf("got %d rows: %q", len(rows), rows)
	}
	if r := rows[1]; r[1] != "2026-11-29T09:00:00Z" || r[2] != "+01:00.0" || r[7] != `said "stop", please` || r[9] != "t1" {
		t.Errorf("row: got %q", r)
	}
}
