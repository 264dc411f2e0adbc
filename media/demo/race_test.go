//go:build race

package demo

// raceEnabled: the race detector slows synthesis and the loudness meter
// about tenfold, so the full-length render is skipped under it.
const raceEnabled = true
