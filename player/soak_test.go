package player_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"attune/media"
	"attune/media/decode"
	"attune/media/mediatest"
	"attune/media/probe"
	"attune/player"
	"attune/player/dsp"
	"attune/player/timeline"
)

const soakRate = 48000

// mixedVariants are the corpus encodings the engine plays (music/mixed minus
// AAC, Opus and the broken files).
var mixedVariants = []string{
	"flac-16-44k", "mp3-cbr320-id3v24", "ogg-vorbis-q6", "wav-s24-48k", "mp3-vbr-v6-mono-32k",
	"flac-24-96k", "wav-s16-44k", "mp3-vbr-v0", "ogg-vorbis-q2-mono-22k", "flac-24-48k-mono",
	"mp3-cbr128-id3v23-v1", "wav-s16-48k-mono", "mp3-id3v1-only",
}

// corpusMusic lists the corpus's playable music: the short mixed-format files
// (ordered so that consecutive files differ in format and rate) and the long
// Ogg tracks of music/whole.
func corpusMusic(tb testing.TB, dir string) (mixed, whole []string) {
	tb.Helper()
	for _, n := range []string{"01 - Maxstack - A New Journey", "02 - Maxstack - Awakening", "03 - Maxstack - Coherence"} {
		for _, v := range mixedVariants {
			m, err := filepath.Glob(filepath.Join(dir, "music", "mixed", v, n+".*"))
			if err != nil || len(m) != 1 {
				tb.Fatalf("corpus file %s/%s: found %v (%v), want one", v, n, m, err)
			}
			mixed = append(mixed, m[0])
		}
	}
	whole, err := filepath.Glob(filepath.Join(dir, "music", "whole", "*.ogg"))
	if err != nil || len(whole) == 0 {
		tb.Fatalf("corpus music/whole: no Ogg tracks (%v)", err)
	}
	return mixed, whole
}

// fileOpener opens timeline items whose Track is a file path, as the daemon's
// library opener does for files: probed once up front, then decode.Open.
type fileOpener struct {
	streams map[string]media.Stream
}

var _ timeline.Opener = (*fileOpener)(nil)

// newFileOpener probes every file in paths.
func newFileOpener(tb testing.TB, paths ...string) *fileOpener {
	tb.Helper()
	o := &fileOpener{streams: map[string]media.Stream{}}
	for _, p := range paths {
		if _, ok := o.streams[p]; ok {
			continue
		}
		info, err := probe.File(context.Background(), p)
		if err != nil {
			tb.Fatalf("probe %s: %v", p, err)
		}
		o.streams[p] = info.Stream
	}
	return o
}

func (o *fileOpener) Open(ctx context.Context, it timeline.Item, rate int) (timeline.Source, error) {
	s, ok := o.streams[it.Track]
	if !ok {
		return nil, fmt.Errorf("track %q was not probed", it.Track)
	}
	return decode.Open(ctx, it.Track, s, rate)
}

// mixedTimeline places music on a timeline at least length long: two short
// mixed-format items, then part of a long track, and so on, with item lengths
// from 9 s to a whole track, gains from −6 to 0 dB, and transitions cycling
// through a 3 s crossfade, a 1.5 s gap and a gapless join with short fades.
// With no long tracks it uses the short ones only.
func mixedTimeline(o *fileOpener, mixed, whole []string, length time.Duration) timeline.Timeline {
	var tl timeline.Timeline
	gains := []float64{0, -3, -1.5, -6}
	portions := []time.Duration{45 * time.Second, 100 * time.Second, 160 * time.Second, 0}
	var at, fadeIn time.Duration
	fadeIn = time.Second
	m, w := 0, 0
	for i := 0; at < length; i++ {
		var it timeline.Item
		if i%3 == 2 && len(whole) > 0 {
			path := whole[w%len(whole)]
			dur := o.streams[path].Duration()
			it = timeline.Item{Track: path, Offset: 10 * time.Second}
			if p := portions[w%len(portions)]; p > 0 && p+it.Offset < dur {
				it.End = p
			} else {
				it.Offset, it.End = 0, dur.Truncate(time.Millisecond)
			}
			w++
		} else {
			path := mixed[m%len(mixed)]
			dur := o.streams[path].Duration().Truncate(time.Millisecond)
			it = timeline.Item{Track: path, End: dur}
			if m%2 == 1 {
				it.Offset, it.End = 2*time.Second, 9*time.Second
			}
			m++
		}
		it.Start, it.End = at, at+it.End
		it.GainDB = gains[i%len(gains)]
		it.FadeIn = fadeIn
		switch i % 3 {
		case 0: // crossfade into the next
			it.FadeOut, fadeIn = 3*time.Second, 3*time.Second
			at = it.End - 3*time.Second
		case 1: // a gap
			it.FadeOut, fadeIn = time.Second, 500*time.Millisecond
			at = it.End + 1500*time.Millisecond
		default: // gapless, with short fades
			it.FadeOut, fadeIn = 300*time.Millisecond, 300*time.Millisecond
			at = it.End
		}
		tl.Items = append(tl.Items, it)
	}
	return tl
}

// soakCues is the scripted session: load and play, then every 40 s (shifted
// a little each time) skip, seek, volume down, ceiling down, pause, resume,
// quiet, back from quiet, volume up and ceiling up.
func soakCues(tl timeline.Timeline, length time.Duration) []player.Cue {
	cues := []player.Cue{
		{At: 0, Cmd: player.Command{Op: player.OpLoad, Timeline: tl}},
		{At: 0, Cmd: player.Command{Op: player.OpPlay}},
	}
	s := func(x float64) time.Duration { return time.Duration(x * float64(time.Second)) }
	for k := 0; ; k++ {
		c := s(10+40*float64(k)) + time.Duration(k%5)*370*time.Millisecond
		if c+38*time.Second > length {
			return cues
		}
		for _, q := range []struct {
			at  float64
			cmd player.Command
		}{
			{0, player.Command{Op: player.OpSkip}},
			// The skip's item started 6 s ago (its crossfade is over);
			// every item is at least 9 s long.
			{6, player.Command{Op: player.OpSeek, At: s(2.5 + float64(k%3)/2)}},
			{10, player.Command{Op: player.OpSetVolume, DB: -12}},
			{14, player.Command{Op: player.OpSetCeiling, DB: -6}},
			{17, player.Command{Op: player.OpPause}},
			{21, player.Command{Op: player.OpResume}},
			{26, player.Command{Op: player.OpQuiet, On: true}},
			{30, player.Command{Op: player.OpQuiet, On: false}},
			{33, player.Command{Op: player.OpSetVolume, DB: 0}},
			{36, player.Command{Op: player.OpSetCeiling, DB: player.DefaultCeilingDB}},
		} {
			cues = append(cues, player.Cue{At: c + s(q.at), Cmd: q.cmd})
		}
	}
}

// blockStat is what soakSink keeps of one output block.
type blockStat struct {
	pos  int64   // engine's timeline position after rendering the block
	step float64 // largest sample-to-sample step, from the previous block's last sample on
	peak float64
	zero bool // exact digital silence
}

// soakSink measures each block as it comes: 30 minutes of samples are too
// many to keep.
type soakSink struct {
	eng    *player.Engine
	last   [2]float64
	blocks []blockStat
}

func (s *soakSink) Write(b [][2]float64) error {
	st := blockStat{pos: timeline.Samples(s.eng.Position(), soakRate), zero: true}
	prev := s.last
	for _, x := range b {
		for c := range 2 {
			st.step = max(st.step, math.Abs(x[c]-prev[c]))
			st.peak = max(st.peak, math.Abs(x[c]))
			if x[c] != 0 {
				st.zero = false
			}
		}
		prev = x
	}
	s.last = prev
	s.blocks = append(s.blocks, st)
	return nil
}
func (s *soakSink) Paced() bool  { return false }
func (s *soakSink) Close() error { return nil }

// profBlock is the resolution of a track profile: 10 ms at soakRate.
const profBlock = 480

// profile is a track's own largest step and peak in each profBlock of it,
// decoded and resampled to soakRate as the engine plays it. It is decoded as
// far as asked, no further: most of a long track is never played.
type profile struct {
	src        timeline.Source
	prev       [2]float64
	buf        [][2]float64
	step, peak []float64
	ended      bool
}

// upTo decodes until block k is profiled or the track ends.
func (p *profile) upTo(k int64) {
	for !p.ended && int64(len(p.step)) <= k {
		n, ok := p.src.Stream(p.buf)
		if n > 0 {
			st, pk := 0.0, 0.0
			for _, x := range p.buf[:n] {
				for c := range 2 {
					st = max(st, math.Abs(x[c]-p.prev[c]))
					pk = max(pk, math.Abs(x[c]))
				}
				p.prev = x
			}
			p.step, p.peak = append(p.step, st), append(p.peak, pk)
		}
		p.ended = !ok || n < len(p.buf)
	}
}

// musicBound is the music's own largest step (and peak) over timeline samples
// [a, b): the sum, over the items sounding there, of each track's profile
// around the matching track samples times the item's gain. Fades and the
// master volume (never above 0 dB here) only lower it.
type musicBound struct {
	tb       testing.TB
	o        *fileOpener
	pl       []timeline.Placement
	profiles map[string]*profile
}

// profile returns path's profile, opening the track the first time.
func (m *musicBound) profile(path string) *profile {
	if p, ok := m.profiles[path]; ok {
		return p
	}
	src, err := m.o.Open(context.Background(), timeline.Item{Track: path}, soakRate)
	if err != nil {
		m.tb.Fatalf("open %s to profile it: %v", path, err)
	}
	p := &profile{src: src, buf: make([][2]float64, profBlock)}
	m.profiles[path] = p
	return p
}

// close closes every track opened.
func (m *musicBound) close() {
	for _, p := range m.profiles {
		p.src.Close()
	}
}

func (m *musicBound) at(a, b int64) (step, peak float64) {
	i := sort.Search(len(m.pl), func(i int) bool { return m.pl[i].End > a-profBlock })
	for ; i < len(m.pl) && m.pl[i].Start < b+profBlock; i++ {
		p := m.pl[i]
		prof := m.profile(p.Item.Track)
		// ±1 profile block: seeking and resampling may shift a sample.
		lo := max((p.Offset+a-p.Start)/profBlock-1, 0)
		prof.upTo((p.Offset+b-p.Start)/profBlock + 1)
		hi := min((p.Offset+b-p.Start)/profBlock+1, int64(len(prof.step)-1))
		st, pk := 0.0, 0.0
		for k := lo; k <= hi; k++ {
			st, pk = max(st, prof.step[k]), max(pk, prof.peak[k])
		}
		step += p.Gain * st
		peak += p.Gain * pk
	}
	return step, peak
}

func TestEngine_Render_Soak30MinMixedFormats(t *testing.T) {
	dir := mediatest.Corpus(t)
	length := 30 * time.Minute
	if raceEnabled {
		// One cue cycle: every kind of cue once. Decoding runs about ten
		// times slower under the race detector, and the check decodes
		// everything played a second time.
		length = 50 * time.Second
		t.Logf("race detector on: rendering %s (one cycle of cues) instead of 30 minutes; the full soak runs without -race", length)
	}
	mixed, whole := corpusMusic(t, dir)
	o := newFileOpener(t, append(append([]string(nil), mixed...), whole...)...)
	// Skips eat the rest of an item, so the timeline is longer than the render.
	tl := mixedTimeline(o, mixed, whole, 5*length)
	cues := soakCues(tl, length)

	events := make(chan player.Event, 256)
	var underruns, failed []player.Event
	states := map[player.State]int{}
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		for ev := range events {
			switch ev.Kind {
			case player.EventUnderrun:
				underruns = append(underruns, ev)
			case player.EventItemFailed:
				failed = append(failed, ev)
			case player.EventState:
				states[ev.State]++
			}
		}
	}()
	sink := &soakSink{blocks: make([]blockStat, 0, timeline.Samples(length, soakRate)/480+1)}
	eng, err := player.New(player.Config{
		Rate: soakRate, Opener: o, Events: events,
		Sinks: []player.SinkConfig{{Name: "capture", Sink: sink}},
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	sink.eng = eng
	start := time.Now()
	err = eng.Render(context.Background(), length, cues)
	took := time.Since(start)
	close(events)
	<-drained
	if err != nil {
		t.Fatalf("Render: %v (every cue must apply)", err)
	}
	t.Logf("rendered %s with %d cues in %s (%.0fx real time)", length, len(cues), took.Round(time.Millisecond), length.Seconds()/took.Seconds())
	if eng.Dropped() > 0 {
		t.Errorf("%d events dropped; the counts below may be short", eng.Dropped())
	}
	if len(underruns) > 0 {
		t.Errorf("%d underruns, want 0; first: %v", len(underruns), underruns[0])
	}
	if len(failed) > 0 {
		t.Errorf("%d items failed, want 0; first: %v", len(failed), failed[0])
	}
	var pauses, quiets int
	for _, c := range cues {
		switch {
		case c.Cmd.Op == player.OpPause:
			pauses++
		case c.Cmd.Op == player.OpQuiet && c.Cmd.On:
			quiets++
		}
	}
	if states[player.StatePaused] != pauses || states[player.StateQuiet] != quiets {
		t.Errorf("went paused %d and quiet %d times, want %d and %d (one per cue)",
			states[player.StatePaused], states[player.StateQuiet], pauses, quiets)
	}

	blk := int64(soakRate / 100) // the default 10 ms block
	if got, want := int64(len(sink.blocks))*blk, timeline.Samples(length, soakRate); got != want {
		t.Fatalf("rendered %d samples, want %d", got, want)
	}
	applied := func(c player.Cue) int64 { // the block start Render applied c at
		s := timeline.Samples(c.At, soakRate)
		return (s + blk - 1) / blk * blk
	}
	checkCeiling(t, sink.blocks, blk, int64(eng.Latency()), cues, applied)
	checkPausedSilence(t, sink.blocks, blk, int64(eng.Latency()), cues, applied)

	pl, err := tl.Place(soakRate)
	if err != nil {
		t.Fatalf("Place: %v", err)
	}
	mb := &musicBound{tb: t, o: o, pl: pl, profiles: map[string]*profile{}}
	defer mb.close()
	checkSteps(t, sink.blocks, blk, int64(eng.Latency()), cues, applied, mb)
}

// checkCeiling asserts that no block's peak is above the ceiling in force:
// the lower of two ceilings only once the move to it (CeilingFade, through
// the limiter's delay) is over.
func checkCeiling(t *testing.T, blocks []blockStat, blk, lat int64, cues []player.Cue, applied func(player.Cue) int64) {
	t.Helper()
	type change struct {
		at int64
		db float64
	}
	changes := []change{{0, player.DefaultCeilingDB}}
	for _, c := range cues {
		if c.Cmd.Op == player.OpSetCeiling {
			changes = append(changes, change{applied(c), c.Cmd.DB})
		}
	}
	grace := timeline.Samples(player.CeilingFade, soakRate) + lat
	worst := math.Inf(-1)
	for k, b := range blocks {
		from, to := int64(k)*blk-grace, int64(k+1)*blk
		db := math.Inf(-1)
		for i, c := range changes {
			inForce := c.at <= from && (i+1 == len(changes) || changes[i+1].at > from)
			if inForce || (c.at > from && c.at < to) {
				db = max(db, c.db)
			}
		}
		if lim := dsp.DBToGain(db); b.peak > lim {
			t.Fatalf("block at %s peaks at %.6f, above the %v dBFS ceiling in force (%.6f)",
				time.Duration(int64(k)*blk*int64(time.Second)/soakRate), b.peak, db, lim)
		}
		if b.peak > 0 {
			worst = max(worst, dsp.GainToDB(b.peak)-db)
		}
	}
	t.Logf("ceiling: highest peak %.3f dB relative to the ceiling in force", worst)
}

// checkPausedSilence asserts exact silence from the end of each pause's
// fade-out (through the limiter's delay) until its resume.
func checkPausedSilence(t *testing.T, blocks []blockStat, blk, lat int64, cues []player.Cue, applied func(player.Cue) int64) {
	t.Helper()
	fade := timeline.Samples(player.DefaultPauseFade, soakRate)
	checked := 0
	for i, c := range cues {
		if c.Cmd.Op != player.OpPause {
			continue
		}
		from, to := applied(c)+fade+lat, int64(len(blocks))*blk
		for _, r := range cues[i+1:] {
			if r.Cmd.Op == player.OpResume {
				to = applied(r)
				break
			}
		}
		n := 0
		for k := (from + blk - 1) / blk; (k+1)*blk <= to; k++ {
			if !blocks[k].zero {
				t.Fatalf("pause at %s: block at %s not silent (peak %v), want silence until the resume",
					c.At, time.Duration(k*blk*int64(time.Second)/soakRate), blocks[k].peak)
			}
			n++
		}
		if n == 0 {
			t.Fatalf("pause at %s: no block between the fade-out's end and the resume to check", c.At)
		}
		checked += n
		if k := to / blk; to < int64(len(blocks))*blk {
			sound := false
			for ; k < min(int64(len(blocks)), (to+5*soakRate)/blk); k++ {
				sound = sound || !blocks[k].zero
			}
			if !sound {
				t.Errorf("resume after the pause at %s: still silent 5 s later", c.At)
			}
		}
	}
	t.Logf("paused silence: %d blocks (%s) exactly silent", checked, time.Duration(int64(checked)*blk*int64(time.Second)/soakRate))
}

// checkSteps asserts that no output block has a sample-to-sample step larger
// than the music's own in the samples it came from (see musicBound), plus
// what a level change may add: the peak times the steepest gain slope in the
// graph (the limiter's attack ramp over half its lookahead, the shortest fade
// of 0.3 s). A click — a cut, a jump, a step in the gain — is a step far
// above the music's own. It reports the worst ratio near cues and elsewhere.
func checkSteps(t *testing.T, blocks []blockStat, blk, lat int64, cues []player.Cue, applied func(player.Cue) int64, m *musicBound) {
	t.Helper()
	slope := 2/float64(lat) + math.Pi/2/(0.3*soakRate)
	near := make([]bool, len(blocks)) // within 6 s after a cue: its whole transition
	// outgoing maps the pre-limiter blocks of each skip's crossfade to the
	// timeline sample the outgoing deck plays there: it runs on from where
	// the skip found it (Render starts the crossfade on the cue's block).
	outgoing := map[int64]int64{}
	for _, c := range cues {
		for k := applied(c) / blk; k < min(int64(len(blocks)), (applied(c)+6*soakRate)/blk); k++ {
			near[k] = true
		}
		if j0 := applied(c) / blk; c.Cmd.Op == player.OpSkip && j0 > 0 {
			for j := j0; j < min(int64(len(blocks)), j0+(timeline.Samples(player.DefaultSkipFade, soakRate)+blk-1)/blk); j++ {
				outgoing[j] = blocks[j0-1].pos + (j-j0)*blk
			}
		}
	}
	// music returns the timeline samples pre-limiter block j played.
	music := func(j int64) (a, b int64) {
		cur, prev := blocks[j].pos, int64(0)
		if j > 0 {
			prev = blocks[j-1].pos
		}
		if d := cur - prev; d >= 0 && d <= blk {
			return prev, cur
		}
		return cur - blk, cur // a jump: the block is all the new position's
	}
	var worstNear, worstElse float64
	var worstAt int64
	for k := int64(0); k < int64(len(blocks)); k++ {
		// Output block k carries the mix's samples [k·blk−lat−1, (k+1)·blk−lat).
		first, last := (k*blk-lat-1)/blk, ((k+1)*blk-lat-1)/blk
		step, peak := 0.0, 0.0
		for j := max(first, 0); j <= last; j++ {
			s, p := m.at(music(j))
			if o, ok := outgoing[j]; ok { // two decks: the sum bounds the mix
				so, po := m.at(o, o+blk)
				s, p = s+so, p+po
			}
			step, peak = max(step, s), max(peak, p)
		}
		bound := step + peak*slope + 1e-6
		r := blocks[k].step / bound
		if near[k] {
			worstNear = max(worstNear, r)
		} else {
			worstElse = max(worstElse, r)
		}
		if r > 1 {
			t.Errorf("block at %s: step %.5f, above the music's own %.5f (+%.5f for gain slopes)",
				time.Duration(k*blk*int64(time.Second)/soakRate), blocks[k].step, step, peak*slope)
			if worstAt++; worstAt > 10 {
				t.FailNow()
			}
		}
	}
	t.Logf("steps: largest step/music's own %.3f within 6 s of a cue, %.3f elsewhere", worstNear, worstElse)
}

// corpusOrNot returns the corpus folder and whether it is there, without
// skipping: the benchmarks fall back to generated files.
func corpusOrNot() (string, bool) {
	dir := os.Getenv(mediatest.CorpusEnv)
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "corpus")
	}
	_, err := os.Stat(filepath.Join(dir, "music", "mixed", "manifest.tsv"))
	return dir, err == nil
}
