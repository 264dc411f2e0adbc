//go:build race

package output

// raceEnabled reports whether the test binary was built with -race.
const raceEnabled = true
