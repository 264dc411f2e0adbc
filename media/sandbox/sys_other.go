//go:build !linux

package sandbox

import (
	"errors"
	"os"
	"syscall"
)

// envMemoryLimit carries Config.MemoryLimit to the child, in bytes.
const envMemoryLimit = "ATTUNE_SANDBOX_MEMORY_LIMIT"

// applyMemoryLimit refuses a memory limit: RLIMIT_AS handling is Linux-only.
func applyMemoryLimit() error {
	if os.Getenv(envMemoryLimit) != "" {
		return errors.New("memory limits are only supported on Linux")
	}
	return nil
}

// sysProcAttr puts a child in its own process group.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
