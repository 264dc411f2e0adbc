// Package dsp holds the small beep.Streamer stages of attune's audio graph
// that change level: a slew-limited Gain (master volume, per-output trims), a
// fade Envelope (per-item fades, pause/resume, skip and quiet), a lookahead
// safety Limiter (the room's peak ceiling) and a Meter.
//
// Every level change these stages make is a ramp; none of them ever steps the
// gain (DESIGN.md §5). Each stage wraps another beep.Streamer, like
// beep.Ctrl and effects.Volume, and follows beep's Stream/Err contract.
//
// Real-time rules, shared by every stage: Stream allocates nothing, takes no
// locks and does no I/O. A stage is not safe for concurrent use: its settings
// are changed by the goroutine that owns the stage and calls its Stream
// method (the engine goroutine), between Stream calls.
//
// Samples are beep frames ([2]float64, full scale ±1.0) at the engine rate;
// positions and lengths are sample counts at that rate.
package dsp

import "math"

// DBToGain converts a level in dB to a linear amplitude gain. -Inf gives 0.
func DBToGain(db float64) float64 {
	return math.Pow(10, db/20)
}

// GainToDB converts a linear amplitude gain to dB. A gain of 0 gives -Inf.
func GainToDB(gain float64) float64 {
	return 20 * math.Log10(gain)
}

// scale multiplies every sample in buf by gain. A gain of exactly 1 leaves
// the samples bit-exact and a gain of 0 writes true zeros.
func scale(buf [][2]float64, gain float64) {
	switch gain {
	case 1:
		return
	case 0:
		clear(buf)
		return
	}
	for i := range buf {
		buf[i][0] *= gain
		buf[i][1] *= gain
	}
}
