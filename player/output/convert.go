package output

// toS16 converts frames to interleaved signed 16-bit samples in dst
// (len(dst) == 2*len(src)), clamping to ±1 and rounding to the nearest step.
// Without dither the quantization noise is −101 dBFS, below the noise floor
// of the rooms and amplifiers this plays through.
func toS16(dst []int16, src [][2]float64) {
	_ = dst[2*len(src)-1]
	for i, f := range src {
		dst[2*i] = s16(f[0])
		dst[2*i+1] = s16(f[1])
	}
}

func s16(x float64) int16 {
	if x != x { // NaN: silence rather than an undefined conversion
		return 0
	}
	x = max(-1, min(1, x)) * 32767
	if x >= 0 {
		return int16(x + 0.5)
	}
	return int16(x - 0.5)
}
