package sandbox

import (
	"fmt"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// envMemoryLimit carries Config.MemoryLimit to the child, in bytes.
const envMemoryLimit = "ATTUNE_SANDBOX_MEMORY_LIMIT"

// applyMemoryLimit puts the child under the RLIMIT_AS its parent asked for.
//
// The limit must be in force before the Go runtime starts: at start-up the
// runtime reserves about 1.17 GiB of address space when it can, and about
// 686 MiB when a limit forbids more, so lowering the limit in a running
// process below ~1.2 GiB leaves it no room to grow its heap at all. So the
// first run sets the limit (soft and hard: the probe cannot raise it again)
// and re-executes the binary, which inherits the limit; the second run finds
// it in force and only tunes the garbage collector.
func applyMemoryLimit() error {
	s := os.Getenv(envMemoryLimit)
	if s == "" || raceEnabled {
		return nil
	}
	limit, err := strconv.ParseUint(s, 10, 64)
	if err != nil || limit == 0 {
		return fmt.Errorf("%s=%q: not a positive number of bytes", envMemoryLimit, s)
	}
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_AS, &rl); err != nil {
		return fmt.Errorf("read RLIMIT_AS: %w", err)
	}
	if rl.Cur > limit { // a lower limit inherited from elsewhere is kept
		if err := unix.Setrlimit(unix.RLIMIT_AS, &unix.Rlimit{Cur: limit, Max: limit}); err != nil {
			return fmt.Errorf("set RLIMIT_AS to %d bytes: %w", limit, err)
		}
		// Exec keeps fds 3 and 4: the parent made them without close-on-exec.
		// In a cgo binary (net links runtime/cgo) every thread is a pthread,
		// and glibc reserves a 64 MiB malloc arena per thread: under a
		// tight limit pthread_create can fail and the runtime aborts
		// (measured with attune itself). One arena is plenty for a prober.
		env := append(os.Environ(), "MALLOC_ARENA_MAX=1")
		err := unix.Exec("/proc/self/exe", os.Args, env)
		return fmt.Errorf("re-execute under the memory limit: %w", err)
	}
	setSoftLimit(rl.Cur)
	return nil
}

// setSoftLimit sets the garbage collector's soft memory limit to 3/4 of the
// address space the process has left under limit, so that garbage alone does
// not push a legitimate probe over the hard limit. (RLIMIT_AS counts address
// space, of which the runtime's start-up reservation is most; the soft limit
// counts memory in use, so it is set against what is left.)
func setSoftLimit(limit uint64) {
	used, err := addressSpace()
	if err != nil || used >= limit {
		return
	}
	debug.SetMemoryLimit(int64((limit - used) / 4 * 3))
}

// addressSpace returns the bytes of address space the process uses now
// (VmSize, the first field of /proc/self/statm, in pages).
func addressSpace() (uint64, error) {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0, err
	}
	pages, err := strconv.ParseUint(strings.Fields(string(b) + " 0")[0], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("parse /proc/self/statm: %w", err)
	}
	return pages * uint64(os.Getpagesize()), nil
}

// sysProcAttr puts a child in its own process group, so that a Ctrl-C at the
// terminal reaches only the parent (which then stops its children itself),
// and has the kernel kill it if the parent dies. Pdeathsig fires when the
// parent thread that started the child exits; Go threads exit only when a
// goroutine locked to one ends without unlocking, so at worst a child dies
// early and its file reports a crash. An idle child also exits on its own
// when fd 3 reaches end of file.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
