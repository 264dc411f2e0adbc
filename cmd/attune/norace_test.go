//go:build !race

package main

// raceEnabled says the tests run under the race detector, which slows
// decoding and the loudness meter tenfold.
const raceEnabled = false
