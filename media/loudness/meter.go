// Package loudness measures the loudness of a programme as ITU-R BS.1770-4
// and EBU R 128 define it: integrated loudness (LUFS), loudness range (LU,
// EBU Tech 3342), sample peak (dBFS) and true peak (dBTP, BS.1770-4 Annex
// 2). A Meter is fed blocks of samples at the programme's own rate, any
// number of channels; MeasureFile runs one over a library file. It is pure
// Go and meant for background analysis: nothing here is real-time safe, but
// a Meter allocates nothing per sample.
//
// See docs/loudness.md for the method, the conformance results and the
// speed.
package loudness

import (
	"fmt"
	"math"
	"slices"
)

// Gating constants of BS.1770-4 §5.1 and EBU Tech 3342.
const (
	absoluteGate = -70.0 // LUFS, for integrated loudness and loudness range
	relativeGate = -10.0 // LU below the absolutely gated level (BS.1770-4)
	rangeGate    = -20.0 // LU below the absolutely gated level (Tech 3342)
	// Loudness of a mean square z is offset + 10·log10(z).
	offset = -0.691
	// Blocks are segments long: 400 ms blocks overlapping by 75 % step
	// by one 100 ms segment; Tech 3342's 3 s short-term blocks step by
	// one segment too (10 Hz, as ffmpeg's ebur128 filter does).
	blockSegments = 4
	shortSegments = 30
	// chunkFrames is the most a Meter filters at once: the
	// per-channel buffers hold this much.
	chunkFrames = 4096
)

// Surround is the BS.1770-4 weight of the surround channels (Ls, Rs): +1.5 dB.
const Surround = 1.41

// Result is what a Meter measured.
type Result struct {
	// Integrated is the gated loudness of the whole programme in LUFS;
	// −Inf when Silent.
	Integrated float64
	// Range is the loudness range (LRA) in LU; 0 when the programme has
	// fewer than two short-term blocks above the gates.
	Range float64
	// SamplePeak is the largest |sample| in dBFS, TruePeak the largest
	// |value| of the 4× (or more) oversampled signal in dBTP, over all
	// channels; −Inf for digital silence.
	SamplePeak float64
	TruePeak   float64
	// Silent is true when no 400 ms block reaches the −70 LUFS absolute
	// gate, or the programme is shorter than one block: there is no
	// loudness to normalise to.
	Silent bool
	// Frames is how many sample frames were measured.
	Frames int64
}

// Meter measures one programme. It is not safe for concurrent use.
type Meter struct {
	rate    int
	weights []float64
	kw      kWeighting
	tp      *truePeak
	// Per channel: K-weighting memory, and the true-peak buffer: the
	// last taps−1 samples of the previous chunk (the interpolation
	// filter's history), then the current chunk.
	state []kState
	buf   [][]float64
	gmax  []float64 // scratch for truePeak.scan

	// The current 100 ms segment: its index, how many frames it has so
	// far, and their weighted sum of squared K-weighted samples.
	seg       int64
	segFrames int
	segEnergy float64
	// The last shortSegments segments' energies and lengths, by seg
	// index modulo shortSegments.
	ringEnergy [shortSegments]float64
	ringFrames [shortSegments]int
	// Mean squares of every 400 ms block and 3 s short-term block.
	blocks []float64
	shorts []float64

	samplePeak, truePeak float64
	frames               int64
}

// New returns a Meter for rate Hz and the given number of channels in the
// usual order: 1 mono; 2 L R; 3 L R C; 4 L R Ls Rs; 5 L R C Ls Rs; 6 L R C
// LFE Ls Rs (5.1, as in WAV and FLAC). Ls and Rs weigh Surround, the LFE
// nothing. Other layouts need NewWeighted.
func New(rate, channels int) (*Meter, error) {
	var w []float64
	switch channels {
	case 1:
		w = []float64{1}
	case 2:
		w = []float64{1, 1}
	case 3:
		w = []float64{1, 1, 1}
	case 4:
		w = []float64{1, 1, Surround, Surround}
	case 5:
		w = []float64{1, 1, 1, Surround, Surround}
	case 6:
		w = []float64{1, 1, 1, 0, Surround, Surround}
	default:
		return nil, fmt.Errorf("loudness: no standard layout of %d channels; give their weights", channels)
	}
	return NewWeighted(rate, w)
}

// NewWeighted returns a Meter for rate Hz with one channel per weight
// (BS.1770-4 Table 3: 1 for front channels, Surround for those at
// 60°–120°, 0 to leave a channel such as the LFE out of the loudness; its
// peaks still count).
func NewWeighted(rate int, weights []float64) (*Meter, error) {
	if rate < 8000 || rate > 768000 {
		return nil, fmt.Errorf("loudness: sample rate %d Hz out of range", rate)
	}
	if len(weights) == 0 {
		return nil, fmt.Errorf("loudness: no channels")
	}
	for _, w := range weights {
		if !(w >= 0) || math.IsInf(w, 0) {
			return nil, fmt.Errorf("loudness: channel weight %v", w)
		}
	}
	m := &Meter{
		rate:    rate,
		weights: slices.Clone(weights),
		kw:      newKWeighting(rate),
		tp:      newTruePeak(rate),
		state:   make([]kState, len(weights)),
		buf:     make([][]float64, len(weights)),
		gmax:    make([]float64, (tapsPerPhase-1+chunkFrames)/groupSize+1),
	}
	for c := range m.buf {
		m.buf[c] = make([]float64, tapsPerPhase-1+chunkFrames)
	}
	return m, nil
}

// Channels is the number of channels the Meter takes.
func (m *Meter) Channels() int { return len(m.weights) }

// Add measures interleaved samples (frame after frame, Channels() values
// each); a trailing partial frame is a programmer error and panics.
func (m *Meter) Add(samples []float64) {
	nc := len(m.weights)
	if len(samples)%nc != 0 {
		panic(fmt.Sprintf("loudness: %d samples are not whole frames of %d channels", len(samples), nc))
	}
	for len(samples) > 0 {
		n := m.chunk(len(samples) / nc)
		for c, b := range m.buf {
			dst := b[tapsPerPhase-1 : tapsPerPhase-1+n]
			for i := range dst {
				dst[i] = samples[i*nc+c]
			}
		}
		m.process(n)
		samples = samples[n*nc:]
	}
}

// AddFrames measures frames of a mono or stereo programme, as
// media/decode delivers them: a stereo Meter takes both channels, a mono
// one the left (decode copies mono to both). A Meter of more channels
// panics.
func (m *Meter) AddFrames(frames [][2]float64) {
	if len(m.weights) > 2 {
		panic(fmt.Sprintf("loudness: AddFrames on a meter of %d channels", len(m.weights)))
	}
	for len(frames) > 0 {
		n := m.chunk(len(frames))
		for c, b := range m.buf {
			dst := b[tapsPerPhase-1 : tapsPerPhase-1+n]
			for i := range dst {
				dst[i] = frames[i][c]
			}
		}
		m.process(n)
		frames = frames[n:]
	}
}

// chunk is how many of avail frames to take next: no more than the buffers
// hold, and none past the end of the current segment, so that each chunk's
// energy belongs to one segment.
func (m *Meter) chunk(avail int) int {
	return min(avail, chunkFrames, m.segmentLength(m.seg)-m.segFrames)
}

// segmentLength is the number of frames in segment i. Segments are 100 ms
// long; at rates that are not a multiple of 10 Hz their lengths alternate so
// that segment boundaries stay within a frame of the exact times.
func (m *Meter) segmentLength(i int64) int {
	r := int64(m.rate)
	return int((i+1)*r/10 - i*r/10)
}

// process measures the n frames at the end of the history in each buffer.
func (m *Meter) process(n int) {
	for c, b := range m.buf {
		energy, peak := m.kw.filter(&m.state[c], b[tapsPerPhase-1:tapsPerPhase-1+n])
		m.segEnergy += m.weights[c] * energy
		m.samplePeak = max(m.samplePeak, peak)
		m.truePeak = max(m.truePeak, peak)
		if m.tp != nil { // nil only in tests of loudness alone
			m.truePeak = m.tp.scan(b[:tapsPerPhase-1+n], n, m.truePeak, m.gmax)
		}
		copy(b, b[n:tapsPerPhase-1+n])
	}
	m.frames += int64(n)
	m.segFrames += n
	if m.segFrames == m.segmentLength(m.seg) {
		m.endSegment()
	}
}

// endSegment files the finished segment and the blocks that end with it.
func (m *Meter) endSegment() {
	i := m.seg % shortSegments
	m.ringEnergy[i], m.ringFrames[i] = m.segEnergy, m.segFrames
	m.seg++
	m.segEnergy, m.segFrames = 0, 0
	if m.seg >= blockSegments {
		m.blocks = append(m.blocks, m.meanSquare(blockSegments))
	}
	if m.seg >= shortSegments {
		m.shorts = append(m.shorts, m.meanSquare(shortSegments))
	}
}

// meanSquare is the weighted mean square over the last k segments.
func (m *Meter) meanSquare(k int) float64 {
	var e float64
	var n int
	for j := m.seg - int64(k); j < m.seg; j++ {
		e += m.ringEnergy[j%shortSegments]
		n += m.ringFrames[j%shortSegments]
	}
	return e / float64(n)
}

// Result measures what was added so far. It does not change the Meter:
// more can be added and Result called again.
func (m *Meter) Result() Result {
	r := Result{
		SamplePeak: decibels(m.samplePeak),
		Frames:     m.frames,
	}
	r.TruePeak = decibels(m.tailPeak())
	r.Integrated, r.Silent = integrated(m.blocks)
	r.Range = loudnessRange(m.shorts)
	return r
}

// tailPeak is the true peak including the interpolated values after the
// last samples added, which need the filter's look-ahead: the signal is
// taken to fall silent there.
func (m *Meter) tailPeak() float64 {
	peak := m.truePeak
	if m.frames == 0 || m.tp == nil {
		return peak
	}
	tail := make([]float64, tapsPerPhase-1+tapsPerPhase/2)
	for _, b := range m.buf {
		copy(tail, b[:tapsPerPhase-1])
		clear(tail[tapsPerPhase-1:])
		// Position q interpolates after tail[q+taps/2−1]: the last
		// taps/2 samples, after which process could not yet look.
		peak = m.tp.scanAll(tail, tapsPerPhase/2, peak)
	}
	return peak
}

// decibels is 20·log10(v): −Inf for 0.
func decibels(v float64) float64 {
	return 20 * math.Log10(v)
}

// loudness is the loudness of mean square z in LUFS.
func loudness(z float64) float64 {
	return offset + 10*math.Log10(z)
}

// meanSquareOf is the mean square whose loudness is l LUFS.
func meanSquareOf(l float64) float64 {
	return math.Pow(10, (l-offset)/10)
}

// integrated is the gated loudness of BS.1770-4 §5.1 over the 400 ms
// blocks' mean squares, and whether none passed the absolute gate.
func integrated(blocks []float64) (lufs float64, silent bool) {
	abs := meanSquareOf(absoluteGate)
	sum, n := 0.0, 0
	for _, z := range blocks {
		if z > abs {
			sum += z
			n++
		}
	}
	if n == 0 {
		return math.Inf(-1), true
	}
	rel := sum / float64(n) * meanSquareOf(offset+relativeGate)
	sum, n = 0, 0
	for _, z := range blocks {
		if z > abs && z > rel {
			sum += z
			n++
		}
	}
	return loudness(sum / float64(n)), false
}

// loudnessRange is EBU Tech 3342's LRA over the short-term blocks' mean
// squares: the spread between the 10th and 95th percentiles of the
// short-term loudness above the absolute gate and 20 LU below the
// absolutely gated level. The percentiles are the nearest ranks, as in the
// specification's pseudo-code.
func loudnessRange(shorts []float64) float64 {
	abs := meanSquareOf(absoluteGate)
	sum, n := 0.0, 0
	for _, z := range shorts {
		if z > abs {
			sum += z
			n++
		}
	}
	if n == 0 {
		return 0
	}
	rel := sum / float64(n) * meanSquareOf(offset+rangeGate)
	var gated []float64
	for _, z := range shorts {
		if z > abs && z > rel {
			gated = append(gated, z)
		}
	}
	if len(gated) < 2 {
		return 0
	}
	slices.Sort(gated)
	lo := gated[int(float64(len(gated)-1)*0.10+0.5)]
	hi := gated[int(float64(len(gated)-1)*0.95+0.5)]
	return loudness(hi) - loudness(lo)
}
