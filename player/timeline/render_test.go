package timeline

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"testing"
	"time"
)

// memFile is an in-memory io.WriteSeeker.
type memFile struct {
	b   []byte
	off int64
}

func (m *memFile) Write(p []byte) (int, error) {
	if end := m.off + int64(len(p)); end > int64(len(m.b)) {
		m.b = append(m.b, make([]byte, end-int64(len(m.b)))...)
	}
	n := copy(m.b[m.off:], p)
	m.off += int64(n)
	return n, nil
}

func (m *memFile) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		off += m.off
	case io.SeekEnd:
		off += int64(len(m.b))
	}
	if off < 0 {
		return 0, errors.New("negative seek")
	}
	m.off = off
	return off, nil
}

// discard is an io.WriteSeeker that keeps nothing, for benchmarks.
type discard struct{}

func (discard) Write(p []byte) (int, error)    { return len(p), nil }
func (discard) Seek(int64, int) (int64, error) { return 0, nil }

// readWAV checks a 24-bit stereo WAV's header and returns its rate and samples.
func readWAV(tb testing.TB, b []byte) (int, [][2]int32) {
	tb.Helper()
	le := binary.LittleEndian
	if len(b) < 44 || string(b[0:4]) != "RIFF" || string(b[8:16]) != "WAVEfmt " || string(b[36:40]) != "data" {
		tb.Fatalf("not a canonical WAV header: % x", b[:min(len(b), 44)])
	}
	if got := le.Uint32(b[4:]); int(got) != len(b)-8 {
		tb.Errorf("RIFF size %d, want %d", got, len(b)-8)
	}
	if ch, bits, format := le.Uint16(b[22:]), le.Uint16(b[34:]), le.Uint16(b[20:]); ch != 2 || bits != 24 || format != 1 {
		tb.Fatalf("format %d, %d channels, %d bits; want PCM stereo 24-bit", format, ch, bits)
	}
	data := int(le.Uint32(b[40:]))
	if data != len(b)-44 || data%6 != 0 {
		tb.Fatalf("data size %d, file has %d bytes of data", data, len(b)-44)
	}
	out := make([][2]int32, data/6)
	for i := range out {
		for c := range 2 {
			o := 44 + i*6 + c*3
			out[i][c] = int32(uint32(b[o])<<8|uint32(b[o+1])<<16|uint32(b[o+2])<<24) >> 8
		}
	}
	return int(le.Uint32(b[24:])), out
}

func TestRender_WritesTheSequencersStream(t *testing.T) {
	failErr := errors.New("corrupt frame")
	o := &fakeOpener{tracks: map[string]fakeTrack{
		"a":   {sig: sine(440, 0.5, rate), length: 60 * rate},
		"b":   {sig: sine(660, 0.5, rate), length: 60 * rate},
		"bad": {sig: dc(0.5), length: 60 * rate, failAt: 3 * rate, failErr: failErr},
	}}
	tl := Timeline{Items: []Item{
		{Track: "a", Start: sec(0.5), End: sec(6), FadeIn: sec(1), GainDB: -3, Phase: "settling"},
		{Track: "b", Start: sec(4), End: sec(10), Phase: "journey"},
		{Track: "bad", Start: sec(10), End: sec(16), FadeOut: sec(2)},
	}}
	var f memFile
	rep, err := Render(context.Background(), tl, o, rate, &f)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	gotRate, got := readWAV(t, f.b)
	if gotRate != rate {
		t.Errorf("WAV rate %d, want %d", gotRate, rate)
	}
	want, _ := play(t, tl, o, rate, 4096)
	if len(got) != len(want) || rep.Frames != int64(len(want)) {
		t.Fatalf("WAV has %d frames, report %d, want %d", len(got), rep.Frames, len(want))
	}
	for i := range want {
		for c := range 2 {
			if w := int32(math.Round(want[i][c] * (1<<23 - 1))); got[i][c] != w {
				t.Fatalf("frame %d channel %d = %d, want %d", i, c, got[i][c], w)
			}
		}
	}

	if len(rep.Items) != 3 {
		t.Fatalf("report has %d items, want 3", len(rep.Items))
	}
	a, b, bad := rep.Items[0], rep.Items[1], rep.Items[2]
	if a.Start != rate/2 || a.StartedAt != rate/2 || a.End != 6*rate || a.StoppedAt != 6*rate || a.GainDB != -3 ||
		a.FadeIn != rate || a.FadeInCurve != CurveSCurve || a.FadeOut != 2*rate || a.FadeOutCurve != CurveEqualPower || a.Error != "" {
		t.Errorf("item 1 report %+v", a)
	}
	if b.FadeIn != 2*rate || b.FadeInCurve != CurveEqualPower || b.FadeOutCurve != CurveNone || b.Phase != "journey" {
		t.Errorf("item 2 report %+v", b)
	}
	if bad.Error != failErr.Error() || bad.StoppedAt <= bad.StartedAt || bad.StoppedAt >= 13*rate {
		t.Errorf("failing item's report %+v, want its error and where it failed", bad)
	}
	if p := rep.PeakDBFS(); p > 0 || p < -7 || rep.Clipped != 0 {
		t.Errorf("peak %.2f dBFS, %d clipped; want between −7 and 0 dBFS, none clipped", p, rep.Clipped)
	}
	js, err := json.Marshal(rep)
	if err != nil {
		t.Fatalf("report does not marshal: %v", err)
	}
	for _, want := range []string{`"fade_in_curve":"s-curve"`, `"fade_out_curve":"equal-power"`, `"events":["started","ended"]`, `"events":["started","source-failed"]`} {
		if !strings.Contains(string(js), want) {
			t.Errorf("JSON report lacks %s:\n%s", want, js)
		}
	}
}

func TestRender_ClipsAndCounts(t *testing.T) {
	o := &fakeOpener{tracks: map[string]fakeTrack{"loud": {sig: dc(0.9), length: rate}}}
	tl := Timeline{Items: []Item{{Track: "loud", End: sec(0.5), GainDB: 6}}}
	var f memFile
	rep, err := Render(context.Background(), tl, o, rate, &f)
	if err != nil {
		t.Fatal(err)
	}
	if _, got := readWAV(t, f.b); got[0][0] != 1<<23-1 {
		t.Errorf("clipped sample %d, want full scale %d", got[0][0], 1<<23-1)
	}
	if rep.Clipped != int64(rate) || rep.PeakDBFS() < 5 {
		t.Errorf("clipped %d, peak %.2f dBFS; want %d samples clipped and a peak above +5 dBFS", rep.Clipped, rep.PeakDBFS(), rate)
	}
}

func TestRender_Cancelled(t *testing.T) {
	o := &fakeOpener{tracks: map[string]fakeTrack{"a": {sig: dc(0.1), length: 60 * rate}}}
	tl := Timeline{Items: []Item{{Track: "a", End: sec(30)}}}
	ctx, cancel := context.WithCancel(context.Background())
	o.onOpen = func(Item) { cancel() } // cancelled once the render is under way
	var f memFile
	_, err := Render(ctx, tl, o, rate, &f)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Render error %v, want context.Canceled", err)
	}
	if _, got := readWAV(t, f.b); len(got) >= 30*rate {
		t.Errorf("cancelled render wrote %d frames, want fewer than the whole %d", len(got), 30*rate)
	}
	if opened, closed := o.counts(); opened != closed {
		t.Errorf("opened %d, closed %d", opened, closed)
	}
}

func TestRender_ClosesSourcesPromptly(t *testing.T) {
	o := &fakeOpener{tracks: map[string]fakeTrack{}}
	for i := range 4 {
		o.tracks[fmt.Sprintf("t%d", i)] = fakeTrack{sig: dc(0.1), length: 60 * rate}
	}
	tl := session(5*time.Minute, 20*time.Second, 8*time.Second) // 20 items, crossfades and gapless joins
	rep, err := Render(context.Background(), tl, o, rate, discard{})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range rep.Items {
		if it.StartedAt != it.Start || it.StoppedAt != it.End || it.Error != "" {
			t.Errorf("item %d: played %d–%d (%s), want exactly %d–%d", it.Index+1, it.StartedAt, it.StoppedAt, it.Error, it.Start, it.End)
		}
	}
	opened, closed := o.counts()
	if opened != len(tl.Items) || closed != opened {
		t.Errorf("opened %d, closed %d, want %d each", opened, closed, len(tl.Items))
	}
	if o.peak > 3 {
		t.Errorf("%d sources open at once, want at most 3 (two sounding, one pre-rolled)", o.peak)
	}
}

func TestRender_InvalidTimeline(t *testing.T) {
	_, err := Render(context.Background(), Timeline{}, &fakeOpener{}, rate, &memFile{})
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("Render of an empty timeline: %v, want ErrInvalid", err)
	}
}

// session builds a timeline of n tracks of the given length, crossfading by
// xf, alternating gapless joins and crossfades.
func session(total, each, xf time.Duration) Timeline {
	var tl Timeline
	var at time.Duration
	for i := 0; at < total; i++ {
		end := min(at+each, total)
		it := Item{Track: fmt.Sprintf("t%d", i%4), Start: at, End: end, GainDB: -2, Offset: sec(1)}
		tl.Items = append(tl.Items, it)
		at = end
		if i%2 == 0 && at < total {
			at -= xf
		}
	}
	tl.Items[0].FadeIn = 4 * time.Second
	return tl
}

func BenchmarkRender_60min(b *testing.B) {
	o := &fakeOpener{tracks: map[string]fakeTrack{}}
	for i := range 4 {
		o.tracks[fmt.Sprintf("t%d", i)] = fakeTrack{sig: sine(220*float64(i+1), 0.4, rate), length: 600 * rate}
	}
	// The fake's sine costs a math.Sin per sample; precompute a table so
	// the benchmark measures the sequencer and the WAV writer.
	for name, tr := range o.tracks {
		tab := make([][2]float64, tr.length)
		for i := range tab {
			tab[i] = tr.sig(i)
		}
		tr.sig = func(i int) [2]float64 { return tab[i] }
		o.tracks[name] = tr
	}
	tl := session(60*time.Minute, 5*time.Minute, 8*time.Second)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := Render(context.Background(), tl, o, rate, discard{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(3600*float64(b.N)/b.Elapsed().Seconds(), "x-realtime")
}

// benchStream streams a 10-hour timeline of 4 DC tracks in blocks of 512,
// calling Prepare every 16 blocks (170 ms, the live cadence) on the clock
// or off it.
func benchStream(b *testing.B, prepareOnClock bool) {
	o := &fakeOpener{tracks: map[string]fakeTrack{}}
	for i := range 4 {
		o.tracks[fmt.Sprintf("t%d", i)] = fakeTrack{sig: dc(0.1 * float64(i+1)), length: 3600 * rate}
	}
	tl := session(10*time.Hour, 5*time.Minute, 8*time.Second)
	ch := make(chan Event, 1<<16)
	s, err := NewSequencer(tl, Config{Rate: rate, Opener: o, Events: ch})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	buf := make([][2]float64, 512)
	ctx := context.Background()
	if err := s.Prepare(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		if _, ok := s.Stream(buf); !ok {
			b.Fatal("timeline ended; make it longer")
		}
		if i++; i%16 == 0 {
			if !prepareOnClock {
				b.StopTimer()
			}
			if err := s.Prepare(ctx); err != nil {
				b.Fatal(err)
			}
			if !prepareOnClock {
				b.StartTimer()
			}
		}
	}
	b.ReportMetric(float64(b.N)*512/rate/b.Elapsed().Seconds(), "x-realtime")
	b.StopTimer()
	close(ch)
	for ev := range ch {
		if ev.Kind == Underrun || ev.Kind == Missed {
			b.Fatalf("%v: the benchmark measured silence", ev)
		}
	}
}

// BenchmarkSequencer_Stream measures the audio goroutine's share: Stream
// alone, with Prepare off the clock.
func BenchmarkSequencer_Stream(b *testing.B) { benchStream(b, false) }

// BenchmarkSequencer_StreamPrepare measures the whole sequencer: Stream and
// Prepare (all the decoding) on the clock.
func BenchmarkSequencer_StreamPrepare(b *testing.B) { benchStream(b, true) }
