//go:build !race

package loudness

// raceEnabled says the tests run under the race detector, which slows the
// filters tenfold: the corpus tests then take one track per variant.
const raceEnabled = false
