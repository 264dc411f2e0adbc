//go:build darwin || freebsd || linux || netbsd

package decode

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/ebitengine/purego"
)

// This file loads libsndfile at run time with purego, so CGO_ENABLED=0
// builds keep working and a machine without the library falls back to
// mewkiz/flac (libsndfile_stream.go has the per-file decoder). libsndfile
// decodes FLAC with libFLAC, behind a pull API (sf_readf_double): unlike
// libFLAC's own, it needs no write callback, whose purego dispatch
// allocates on every FLAC frame.

// SndfileLibrary is the file name of libsndfile's shared library on this
// platform (Debian's package libsndfile1 installs it).
func SndfileLibrary() string {
	if runtime.GOOS == "darwin" {
		return "libsndfile.1.dylib"
	}
	return "libsndfile.so.1"
}

// Constants from sndfile.h (libsndfile 1.x).
const (
	sfmRead        = 0x10     // SFM_READ
	sfFormatFLAC   = 0x170000 // SF_FORMAT_FLAC
	sfFormatTypes  = 0x0FFF0000
	sfSeekSet      = 0 // SEEK_SET
	sfMaxChannels  = 1024
	sfMaxFrameRate = 1 << 20
)

// sfInfo is SF_INFO: sf_count_t frames (int64 on every platform libsndfile
// 1.x builds for), then five ints; 32 bytes with its tail padding, in C
// (gcc, x86_64 and arm64) as in Go.
type sfInfo struct {
	frames     int64
	samplerate int32
	channels   int32
	format     int32
	_          int32 // sections
	_          int32 // seekable
}

// sndfileLib is libsndfile, loaded: an immutable function table shared by
// every decoder of the process. It is never unloaded.
type sndfileLib struct {
	libraryName string

	// Cold-path calls go through purego.RegisterFunc for typed arguments.
	open     func(path string, mode int32, info *sfInfo) uintptr
	close    func(sf uintptr) int32
	strerror func(sf uintptr) string

	// The calls of a playing track go through purego.SyscallN:
	// RegisterFunc's wrappers use reflection and allocate on every call.
	readfDouble uintptr // sf_count_t sf_readf_double(SNDFILE*, double*, sf_count_t)
	seek        uintptr // sf_count_t sf_seek(SNDFILE*, sf_count_t, int)
	errno       uintptr // int sf_error(SNDFILE*)
}

// defaultSndfile loads libsndfile once per process, for the same reasons as
// defaultMPG123: a lazily computed, never-modified function table.
var defaultSndfile = sync.OnceValues(func() (*sndfileLib, error) { return loadSndfile(SndfileLibrary()) })

// loadSndfile loads the library at soname (SndfileLibrary() but for tests).
func loadSndfile(soname string) (*sndfileLib, error) {
	h, err := purego.Dlopen(soname, purego.RTLD_NOW|purego.RTLD_LOCAL)
	if err != nil {
		return nil, fmt.Errorf("load libsndfile: %s not found (apt-get install libsndfile1): %w", soname, err)
	}
	lib := &sndfileLib{libraryName: soname}
	for _, f := range []struct {
		name string
		fptr any
	}{
		{"sf_open", &lib.open},
		{"sf_close", &lib.close},
		{"sf_strerror", &lib.strerror},
	} {
		sym, err := purego.Dlsym(h, f.name)
		if err != nil {
			_ = purego.Dlclose(h)
			return nil, fmt.Errorf("load libsndfile: %s lacks %s: %w", soname, f.name, err)
		}
		purego.RegisterFunc(f.fptr, sym)
	}
	for _, f := range []struct {
		name string
		sym  *uintptr
	}{
		{"sf_readf_double", &lib.readfDouble},
		{"sf_seek", &lib.seek},
		{"sf_error", &lib.errno},
	} {
		if *f.sym, err = purego.Dlsym(h, f.name); err != nil {
			_ = purego.Dlclose(h)
			return nil, fmt.Errorf("load libsndfile: %s lacks %s: %w", soname, f.name, err)
		}
	}
	return lib, nil
}
