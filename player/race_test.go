//go:build race

package player_test

// raceEnabled: the race detector slows decoding and the engine about tenfold,
// so the soak test renders one cue cycle instead of 30 minutes under it.
const raceEnabled = true
