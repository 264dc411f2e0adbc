//go:build race

package sandbox

// raceEnabled: this binary runs under the race detector, whose shadow memory
// needs terabytes of address space, so no RLIMIT_AS can be applied. Only test
// binaries are built so.
const raceEnabled = true
