//go:build linux

package output

import (
	"errors"
	"fmt"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"
)

// This file holds all the purego plumbing: loading libasound.so.2 at run
// time and calling into it, so the rest of the package is plain Go and
// CGO_ENABLED=0 builds keep working on machines without ALSA.

// Constants from alsa/pcm.h and errno.h (stable ABI values).
const (
	sndPCMStreamPlayback    = 0
	sndPCMNonblock          = 1 // SND_PCM_NONBLOCK open mode
	sndPCMFormatS16LE       = 2
	sndPCMAccessRWInterleav = 3

	errnoEAGAIN = 11
	errnoEPIPE  = 32
	errnoENOENT = 2
)

// errNoLibasound is returned when libasound.so.2 cannot be loaded.
var errNoLibasound = errors.New("libasound.so.2 not found: install libasound2")

// alsaLib is the loaded library: immutable once built, shared by every ALSA
// sink of the process.
type alsaLib struct {
	// Cold-path calls go through purego.RegisterFunc for typed arguments.
	pcmOpen      func(pcm *uintptr, name string, stream, mode int32) int32
	pcmSetParams func(pcm uintptr, format, access int32, channels, rate uint32, softResample int32, latencyUS uint32) int32
	pcmNonblock  func(pcm uintptr, nonblock int32) int32
	pcmDrain     func(pcm uintptr) int32
	pcmDrop      func(pcm uintptr) int32
	pcmClose     func(pcm uintptr) int32
	strerror     func(errnum int32) string

	// Hot-path calls use purego.SyscallN directly: RegisterFunc's wrappers
	// go through reflection and allocate on every call.
	pcmWritei  uintptr // snd_pcm_sframes_t snd_pcm_writei(snd_pcm_t*, const void*, snd_pcm_uframes_t)
	pcmRecover uintptr // int snd_pcm_recover(snd_pcm_t*, int err, int silent)
	pcmWait    uintptr // int snd_pcm_wait(snd_pcm_t*, int timeout_ms)
}

// loadALSA loads libasound.so.2 once per process. It is the package's one
// piece of package-level state: a lazily computed, never-modified function
// table. Loading once matters because the error handler installed below is a
// purego callback, of which a process can create only a limited number
// (purego guarantees 2000) and which are never freed, and because ALSA's
// error handler is process-wide anyway.
var loadALSA = sync.OnceValues(func() (*alsaLib, error) { return openALSALib("libasound.so.2") })

// openALSALib loads the library at soname (libasound.so.2 but for tests).
func openALSALib(soname string) (*alsaLib, error) {
	h, err := purego.Dlopen(soname, purego.RTLD_NOW|purego.RTLD_GLOBAL)
	if err != nil {
		return nil, fmt.Errorf("%w (%v)", errNoLibasound, err)
	}
	lib := &alsaLib{}
	for _, f := range []struct {
		name string
		fptr any
	}{
		{"snd_pcm_open", &lib.pcmOpen},
		{"snd_pcm_set_params", &lib.pcmSetParams},
		{"snd_pcm_nonblock", &lib.pcmNonblock},
		{"snd_pcm_drain", &lib.pcmDrain},
		{"snd_pcm_drop", &lib.pcmDrop},
		{"snd_pcm_close", &lib.pcmClose},
		{"snd_strerror", &lib.strerror},
	} {
		sym, err := purego.Dlsym(h, f.name)
		if err != nil {
			return nil, fmt.Errorf("libasound.so.2 lacks %s: %w", f.name, err)
		}
		purego.RegisterFunc(f.fptr, sym)
	}
	for _, f := range []struct {
		name string
		sym  *uintptr
	}{
		{"snd_pcm_writei", &lib.pcmWritei},
		{"snd_pcm_recover", &lib.pcmRecover},
		{"snd_pcm_wait", &lib.pcmWait},
	} {
		sym, err := purego.Dlsym(h, f.name)
		if err != nil {
			return nil, fmt.Errorf("libasound.so.2 lacks %s: %w", f.name, err)
		}
		*f.sym = sym
	}

	// ALSA prints its own diagnostics on stderr ("ALSA lib pcm.c:2666:
	// (snd_pcm_open_noupdate) Unknown PCM nosuch") in addition to the error
	// code it returns. We report the code through snd_strerror and the sink's
	// errors, so the handler discards the lines. The C type is variadic
	// (file, line, function, err, fmt, ...); a callback that reads only the
	// fixed arguments is safe on the Linux ABIs purego supports, where
	// variadic arguments follow the fixed ones in the same registers/stack.
	setHandler, err := purego.Dlsym(h, "snd_lib_error_set_handler")
	if err != nil {
		return nil, fmt.Errorf("libasound.so.2 lacks snd_lib_error_set_handler: %w", err)
	}
	quiet := purego.NewCallback(func(file uintptr, line int32, function uintptr, errnum int32, fmt uintptr) {})
	purego.SyscallN(setHandler, quiet)
	return lib, nil
}

// errString is ALSA's text for a negative return code.
func (l *alsaLib) errString(code int32) string {
	return fmt.Sprintf("%s (%d)", l.strerror(code), code)
}

// callArgs is a caller-owned argument block for the hot-path calls:
// purego.SyscallN's variadic slice would otherwise be allocated on every call.
type callArgs [3]uintptr

// writei writes frames interleaved S16 frames from buf, which must be heap
// memory kept alive by the caller (a sink's conversion buffer); it returns
// the number of frames written or a negative errno.
func (l *alsaLib) writei(args *callArgs, pcm uintptr, buf []int16, frames int) int64 {
	*args = callArgs{pcm, uintptr(unsafe.Pointer(&buf[0])), uintptr(frames)}
	r, _, _ := purego.SyscallN(l.pcmWritei, args[:3]...)
	return int64(r)
}

// recover lets ALSA recover from err (underrun, suspend, interrupt) without
// printing; it returns 0 or a negative errno if the stream cannot recover.
func (l *alsaLib) recover(args *callArgs, pcm uintptr, err int32) int32 {
	*args = callArgs{pcm, uintptr(err), 1}
	r, _, _ := purego.SyscallN(l.pcmRecover, args[:3]...)
	return int32(r)
}

// wait waits up to timeoutMS for room in the device buffer: 1 when ready,
// 0 on timeout, a negative errno on error.
func (l *alsaLib) wait(args *callArgs, pcm uintptr, timeoutMS int) int32 {
	*args = callArgs{pcm, uintptr(timeoutMS)}
	r, _, _ := purego.SyscallN(l.pcmWait, args[:2]...)
	return int32(r)
}
