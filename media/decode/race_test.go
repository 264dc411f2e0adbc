//go:build race

package decode

// raceEnabled: the race detector slows decoding about tenfold.
const raceEnabled = true
