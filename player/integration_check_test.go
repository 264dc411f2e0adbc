package player_test

import (
	"encoding/binary"
	"math"
	"os"
	"testing"
	"time"

	"attune/player"
	"attune/player/timeline"
)

// Reading and checking what the live run of integration_test.go produced.

func liveReadFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// liveReference renders tl offline with no commands but play: the music
// at every timeline position, for finding where the live output was.
func liveReference(t *testing.T, tl timeline.Timeline) [][2]float64 {
	t.Helper()
	ref := &liveMemSink{}
	e, err := player.New(player.Config{
		Rate: liveRate, Block: liveBlock, PauseFade: liveFade, SkipFade: liveSkip, Opener: liveOpener{},
		Sinks: []player.SinkConfig{{Name: "ref", Sink: ref}},
	})
	if err != nil {
		t.Fatal(err)
	}
	cues := []player.Cue{{Cmd: player.Command{Op: player.OpLoad, Timeline: tl}}, {Cmd: player.Command{Op: player.OpPlay}}}
	if err := e.Render(t.Context(), 20*time.Second, cues); err != nil {
		t.Fatalf("reference render: %v", err)
	}
	return ref.out
}

// liveReadWAV24 reads the stereo 24-bit WAV that output.WAV writes.
func liveReadWAV24(t *testing.T, path string) [][2]float64 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		t.Fatalf("%s is not a WAV file", path)
	}
	for off := 12; off+8 <= len(b); {
		id, size := string(b[off:off+4]), int(binary.LittleEndian.Uint32(b[off+4:]))
		body := b[off+8 : min(off+8+size, len(b))]
		if id == "data" {
			out := make([][2]float64, len(body)/6)
			for i := range out {
				for c := range 2 {
					p := body[6*i+3*c:]
					v := int32(uint32(p[0])<<8|uint32(p[1])<<16|uint32(p[2])<<24) >> 8
					out[i][c] = float64(v) / (1 << 23)
				}
			}
			return out
		}
		off += 8 + size + size%2
	}
	t.Fatalf("%s has no data chunk", path)
	return nil
}

// liveReadS16 reads interleaved stereo S16_LE, full scale 32767.
func liveReadS16(t *testing.T, b []byte) [][2]float64 {
	t.Helper()
	if len(b)%4 != 0 {
		t.Errorf("%d bytes of S16 stereo: not whole frames", len(b))
	}
	out := make([][2]float64, len(b)/4)
	for i := range out {
		out[i][0] = float64(int16(binary.LittleEndian.Uint16(b[4*i:]))) / 32767
		out[i][1] = float64(int16(binary.LittleEndian.Uint16(b[4*i+2:]))) / 32767
	}
	return out
}

func liveDB(x float64) float64 { return 20 * math.Log10(x) }

func liveSamples(d time.Duration) int { return int(timeline.Samples(d, liveRate)) }

// liveSpan clamps [from, to) to x.
func liveSpan(x [][2]float64, from, to int) [][2]float64 {
	from, to = max(from, 0), min(to, len(x))
	if from >= to {
		return nil
	}
	return x[from:to]
}

func liveMaxStep(x [][2]float64) float64 {
	m := 0.0
	for i := 1; i < len(x); i++ {
		m = max(m, math.Abs(x[i][0]-x[i-1][0]), math.Abs(x[i][1]-x[i-1][1]))
	}
	return m
}

func liveRMS(x [][2]float64) float64 {
	s := 0.0
	for _, f := range x {
		s += f[0]*f[0] + f[1]*f[1]
	}
	return math.Sqrt(s / float64(2*max(len(x), 1)))
}

func liveFirstAbove(x [][2]float64, thr float64) int {
	for i, f := range x {
		if math.Abs(f[0]) > thr || math.Abs(f[1]) > thr {
			return i
		}
	}
	return -1
}

// liveZeroRun returns the longest run of exact digital silence in x[from:to]:
// its start and end (exclusive).
func liveZeroRun(x [][2]float64, from, to int) (int, int) {
	bs, be, s := 0, 0, -1
	for i := max(from, 0); i < min(to, len(x)); i++ {
		if x[i] == ([2]float64{}) {
			if s < 0 {
				s = i
			}
			if i+1-s > be-bs {
				bs, be = s, i+1
			}
		} else {
			s = -1
		}
	}
	return bs, be
}

// liveBestLag finds the lag L in [lo, hi] for which b[i+L] best matches a[i] over
// a[from:from+n], by normalized correlation of the channels' sums.
func liveBestLag(a, b [][2]float64, from, n, lo, hi int) (lag int, corr float64) {
	corr = -2
	if from < 0 || from+n > len(a) {
		return 0, corr
	}
	var ea float64
	for _, f := range a[from : from+n] {
		ea += (f[0] + f[1]) * (f[0] + f[1])
	}
	for L := lo; L <= hi; L++ {
		if from+L < 0 || from+L+n > len(b) {
			continue
		}
		var dot, eb float64
		for i, f := range a[from : from+n] {
			g := b[from+L+i]
			v := g[0] + g[1]
			dot += (f[0] + f[1]) * v
			eb += v * v
		}
		if c := dot / math.Sqrt(ea*eb+1e-30); c > corr {
			lag, corr = L, c
		}
	}
	return lag, corr
}

// checkLiveOutputs runs the sound-safety checks on what the three outputs got.
func checkLiveOutputs(t *testing.T, r liveRun, ref [][2]float64) {
	t.Helper()
	m, lat := r.marks, r.latency
	q := 5*liveBlock + lat // a command shows in the WAV at most q after its liveMark
	if len(r.wav) < 20*liveRate || len(r.alsa) == 0 || len(r.mp3) == 0 {
		t.Fatalf("outputs too short: WAV %d, ALSA %d, MP3 %d frames", len(r.wav), len(r.alsa), len(r.mp3))
	}
	t.Logf("frames: WAV %d, ALSA %d, MP3 %d; limiter latency %d", len(r.wav), len(r.alsa), len(r.mp3), lat)

	// The ceiling in force, on the WAV's clock; the stream's trim lowers it.
	ceilAt := m["ceiling"].w + q + lat + liveSamples(player.CeilingFade) + liveBlock
	ceilDB := func(i int) float64 {
		if i < ceilAt {
			return -1
		}
		return -6
	}
	checkLiveCeiling(t, "file", r.wav, 0, ceilDB, 1.0/(1<<23), 0)
	checkLiveCeiling(t, "speaker", r.alsa, 0, ceilDB, 1.0/32767, 0)
	if r.dropped > 0 {
		t.Fatalf("%d blocks dropped after play: the outputs no longer match, so the sample-level checks would only repeat that", r.dropped)
	}

	// The speaker got exactly what the file got, from the same block.
	if len(r.alsa) != len(r.wav) {
		t.Errorf("ALSA captured %d frames, WAV has %d; want the same blocks", len(r.alsa), len(r.wav))
	}
	on := liveFirstAbove(r.wav, 1e-3)
	alsaLag, best := 0, math.Inf(1)
	for L := -4 * liveBlock; L <= 4*liveBlock; L++ {
		var d float64
		for i := on; i < on+4800 && i+L >= 0 && i+L < len(r.alsa); i++ {
			d += math.Abs(r.alsa[i+L][0]-r.wav[i][0]) + math.Abs(r.alsa[i+L][1]-r.wav[i][1])
		}
		if d < best {
			alsaLag, best = L, d
		}
	}
	worst := 0.0
	for i := range min(len(r.wav), len(r.alsa)) {
		worst = max(worst, math.Abs(r.alsa[i][0]-r.wav[i][0]), math.Abs(r.alsa[i][1]-r.wav[i][1]))
	}
	t.Logf("ALSA vs WAV: lag %d frames, largest difference %.2f LSB of 16 bits", alsaLag, worst*32767)
	if alsaLag != 0 || worst > 1.0/32767 {
		t.Errorf("ALSA capture vs WAV: lag %d frames, largest difference %.2f LSB; want 0 and at most 1 LSB", alsaLag, worst*32767)
	}

	// The stream decodes to the same music at a lag that never moves by
	// more than one block.
	guess := liveFirstAbove(r.mp3, 1e-3) - on
	lag, c0 := liveBestLag(r.wav, r.mp3, on+liveSamples(1200*time.Millisecond), 4800, guess-2400, guess+2400)
	lo, hi, worstCorr := lag, lag, c0
	for at := on + 2*liveRate; at+4800 < m["stop"].w; at += liveRate {
		if liveRMS(liveSpan(r.wav, at, at+4800)) < 0.01 {
			continue
		}
		l, c := liveBestLag(r.wav, r.mp3, at, 4800, lag-2*liveBlock, lag+2*liveBlock)
		lo, hi, worstCorr = min(lo, l), max(hi, l), min(worstCorr, c)
	}
	t.Logf("stream vs WAV: lag %d…%d frames, lowest correlation %.4f", lo, hi, worstCorr)
	if hi-lo > liveBlock || worstCorr < 0.9 {
		t.Errorf("stream vs WAV: lag drifts over %d…%d frames (want within one block, %d), correlation down to %.3f (want ≥ 0.9)",
			lo, hi, liveBlock, worstCorr)
	}

	trimAt := m["trim"].w + q + liveSamples(time.Second) + liveBlock
	checkLiveCeiling(t, "stream", r.mp3, lag, func(i int) float64 {
		if i >= trimAt {
			return ceilDB(i) - 6
		}
		return ceilDB(i)
	}, 1.0/32767, liveMP3OvershootDB)

	// Exact silence while paused (and while quiet), on the file and the speaker.
	for _, p := range [][2]string{{"pause", "resume"}, {"quiet-on", "quiet-off"}} {
		from, to := m[p[0]].w+q+liveSamples(liveFade)+liveBlock, m[p[1]].w
		for name, x := range map[string][][2]float64{"file": r.wav, "speaker": r.alsa} {
			for i, f := range liveSpan(x, from, to) {
				if f != ([2]float64{}) {
					t.Errorf("%s: frame %d = %v between %s and %s, want exact silence", name, from+i, f, p[0], p[1])
					break
				}
			}
		}
		if to-from < liveSamples(300*time.Millisecond) {
			t.Errorf("%s: only %d frames between %s's fade and %s", p[0], to-from, p[0], p[1])
		}
	}

	// Where the live output is on the reference render's clock: ref[i+d] is
	// the music of wav[i], with d constant between the commands that move
	// the music (pause, skip, seek). Volume ramps are the ratio of the two.
	refOn := liveFirstAbove(ref, 1e-3)
	dPre, c := liveBestLag(r.wav, ref, m["volume-6"].w-liveSamples(400*time.Millisecond), 4800, refOn-on-2400, refOn-on+2400)
	t.Logf("WAV vs reference before the pause: lag %d (correlation %.4f)", dPre, c)
	gainAt := func(i int) float64 {
		return liveDB(liveRMS(liveSpan(r.wav, i, i+2400)) / liveRMS(liveSpan(ref, i+dPre, i+dPre+2400)))
	}
	checkLiveSlew(t, "volume -6 dB", m["volume-6"].w, 0, -6, gainAt)
	checkLiveSlew(t, "volume 0 dB", m["volume0"].w, -6, 0, gainAt)
	checkLiveSlew(t, "stream trim -6 dB", m["trim"].w, 0, -6, func(i int) float64 {
		return liveDB(liveRMS(liveSpan(r.mp3, i+lag, i+lag+2400)) / liveRMS(liveSpan(r.wav, i, i+2400)))
	})

	// Resume continues where the pause stopped the music.
	zs, ze := liveZeroRun(r.wav, m["pause"].w, m["resume"].w+q)
	want := dPre - (ze - zs)
	dPost, c := liveBestLag(r.wav, ref, m["resume"].w+q+liveSamples(1200*time.Millisecond), 4800, want-4800, want+4800)
	t.Logf("resume: held %d frames of silence; music continues %+d frames from where it stopped (correlation %.4f)", ze-zs, dPost-want, c)
	if d := dPost - want; d < -livePosTol || d > livePosTol || c < 0.9 {
		t.Errorf("resume: music continues %+d frames from where the pause stopped it (correlation %.3f); want within ±%d", d, c, livePosTol)
	}
	segs := []liveSegment{{from: 0, to: zs, d: dPre}, {from: ze, d: dPost}}

	// Skip crossfades: the next item (timeline 12 s) starts on its first
	// sample once its deck is ready, at most liveSkipReady after the
	// command, while the music before it plays on and fades out.
	skipTo := liveSamples(12*time.Second) + lat // its index in the reference
	d, c := liveBestLag(r.wav, ref, m["skip"].w+q+liveSamples(liveSkip+100*time.Millisecond), 4800,
		skipTo-m["skip"].w-liveSamples(time.Second), skipTo-m["skip"].w+liveSamples(time.Second))
	landed := skipTo - d // where in the WAV the crossfade starts
	t.Logf("skip: 12s sounds at frame %d, %d frames after the command's mark (correlation %.4f)", landed, landed-m["skip"].w, c)
	if landed < m["skip"].w || landed > m["skip"].w+q+liveSamples(liveSkipReady) || c < 0.9 {
		t.Errorf("skip: timeline 12s sounds at frame %d, want from the command's mark %d to %d later (correlation %.3f)",
			landed, m["skip"].w, q+liveSamples(liveSkipReady), c)
	}
	segs[len(segs)-1].to = landed + liveSamples(liveSkip)
	segs[len(segs)-1].add = true // the outgoing deck, under the incoming one
	segs = append(segs, liveSegment{from: landed, d: d})

	// Seek switches, at the quietest point of its fades, to the timeline
	// position it asks for.
	sw := liveQuietest(r.wav, m["seek"].w+liveSamples(liveFade/2), m["seek"].w+q+liveSamples(liveFade*3/2))
	target := liveSamples(13*time.Second) + lat
	d, c = liveBestLag(r.wav, ref, sw+liveSamples(1300*time.Millisecond), 4800, target-sw-9600, target-sw+9600)
	landed = target - d
	t.Logf("seek: switched at frame %d, 13s sounds at frame %d (%+d; correlation %.4f)", sw, landed, landed-sw, c)
	if landed < sw-livePosTol || landed > sw+livePosTol || c < 0.9 {
		t.Errorf("seek: timeline 13s sounds at frame %d, want at the switch, frame %d ±%d (correlation %.3f)",
			landed, sw, livePosTol, c)
	}
	segs[len(segs)-1].to = sw
	segs = append(segs, liveSegment{from: sw, d: d})
	segs[len(segs)-1].to = len(r.wav)

	// No step anywhere beyond the music's own at that point: each 50 ms of
	// output against the same music in the reference.
	checkLiveSteps(t, "file", r.wav, 0, ref, segs, liveStepFactor, 2.0/(1<<23))
	checkLiveSteps(t, "speaker", r.alsa, 0, ref, segs, liveStepFactor, 2.0/32767)
	checkLiveSteps(t, "stream", r.mp3, lag, ref, segs, liveStreamStepFactor, 2.0/32767)
}

// checkLiveCeiling checks that x (at WAV index i+lag) never exceeds the ceiling
// ceilDB(i) by more than quant (quantization) plus overDB.
func checkLiveCeiling(t *testing.T, name string, x [][2]float64, lag int, ceilDB func(int) float64, quant, overDB float64) {
	t.Helper()
	worst, at := math.Inf(-1), 0
	for j, f := range x {
		i := j - lag
		v := max(math.Abs(f[0]), math.Abs(f[1]))
		if v == 0 {
			continue
		}
		if o := liveDB(v / (math.Pow(10, ceilDB(i)/20) + quant)); o > worst {
			worst, at = o, i
		}
	}
	t.Logf("%s: peak %+.3f dB against the ceiling in force (at WAV frame %d)", name, worst, at)
	if worst > overDB {
		t.Errorf("%s: %+.3f dB over the ceiling of %v dBFS at frame %d, want at most %+.1f dB", name, worst, ceilDB(at), at, overDB)
	}
}

// liveSegment is a stretch of the WAV output [from, to) that plays the
// reference's music at ref[i+d]. An add segment sounds under the others (a
// skip's outgoing deck): its music's steps add to theirs.
type liveSegment struct {
	from, to, d int
	add         bool
}

// liveQuietest returns the middle of the quietest 2 ms of x[from:to].
func liveQuietest(x [][2]float64, from, to int) int {
	best, at := math.Inf(1), from
	for i := max(from, 0); i+96 <= min(to, len(x)); i += 24 {
		if r := liveRMS(x[i : i+96]); r < best {
			best, at = r, i+48
		}
	}
	return at
}

// checkLiveSteps checks every 50 ms of x (WAV frame i at x[i+lag]): its
// largest sample-to-sample step is at most factor times (plus quant) the
// largest step of the music it plays, in the reference, 10 ms either side.
func checkLiveSteps(t *testing.T, name string, x [][2]float64, lag int, ref [][2]float64, segs []liveSegment, factor, quant float64) {
	t.Helper()
	const chunk, pad = liveRate / 20, liveBlock
	worst, worstAt, worstIn, worstRef := 0.0, 0, 0.0, 0.0
	fails := 0
	for i := segs[0].from; i+chunk <= segs[len(segs)-1].to; i += chunk {
		in := liveMaxStep(liveSpan(x, i+lag-1, i+lag+chunk))
		music, under := 0.0, 0.0
		for _, s := range segs {
			if s.from < i+chunk && i < s.to {
				st := liveMaxStep(liveSpan(ref, max(i, s.from)+s.d-pad, min(i+chunk, s.to)+s.d+pad))
				if s.add {
					under += st
				} else {
					music = max(music, st)
				}
			}
		}
		music += under
		if ratio := in / (music + quant); ratio > worst {
			worst, worstAt, worstIn, worstRef = ratio, i, in, music
		}
		if in > factor*music+quant {
			if fails++; fails <= 5 {
				t.Errorf("%s: largest step %.4f at %.2f s of output, %.2f× the music's own %.4f there; want at most %.1f×",
					name, in, float64(i)/liveRate, in/music, music, factor)
			}
		}
	}
	t.Logf("%s: largest step / the music's own, worst %.3f× (%.4f / %.4f at %.2f s); %d chunks over %.1f×",
		name, worst, worstIn, worstRef, float64(worstAt)/liveRate, fails, factor)
}

// checkLiveSlew checks a level change that starts at WAV frame w, from fromDB
// to toDB, with gainAt(i) the level of the 50 ms from frame i: it never
// changes faster than the slew limit, and it arrives.
func checkLiveSlew(t *testing.T, name string, w int, fromDB, toDB float64, gainAt func(int) float64) {
	t.Helper()
	const win = liveRate / 20
	var g []float64
	for i := w - 6*win; i < w+liveSamples(1600*time.Millisecond); i += win {
		g = append(g, gainAt(i))
	}
	fastest := 0.0
	for i := range g {
		for j := i + 1; j < len(g); j++ {
			rate := math.Abs(g[j]-g[i]) - liveSlewTolDB
			fastest = max(fastest, rate/(float64(j-i)*0.05))
			if rate > liveSlewDBps*float64(j-i)*0.05 {
				t.Errorf("%s: level moved %.2f dB in %d ms, faster than %v dB/s (+%v dB)", name, g[j]-g[i], (j-i)*50, liveSlewDBps, liveSlewTolDB)
				return
			}
		}
	}
	start, end := (g[0]+g[1]+g[2])/3, (g[len(g)-1]+g[len(g)-2]+g[len(g)-3])/3
	t.Logf("%s: level %+.2f → %+.2f dB; fastest move %.2f dB/s beyond the %v dB measurement tolerance", name, start, end, fastest, liveSlewTolDB)
	if math.Abs(start-fromDB) > 0.5 || math.Abs(end-toDB) > 0.5 {
		t.Errorf("%s: level %+.2f → %+.2f dB, want %+v → %+v ±0.5", name, start, end, fromDB, toDB)
	}
}
