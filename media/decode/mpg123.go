//go:build darwin || freebsd || linux || netbsd

package decode

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/ebitengine/purego"
)

// This file loads libmpg123 at run time with purego, so CGO_ENABLED=0
// builds keep working and a machine without the library falls back to
// go-mp3 (mpg123_stream.go has the per-file decoder).

// MPG123Library is the file name of libmpg123's shared library on this
// platform (Debian's package libmpg123-0 installs it).
func MPG123Library() string {
	if runtime.GOOS == "darwin" {
		return "libmpg123.0.dylib"
	}
	return "libmpg123.so.0"
}

// Constants from mpg123.h (a stable ABI since mpg123 1.x).
const (
	mpg123OK        = 0
	mpg123Err       = -1
	mpg123NewFormat = -11
	mpg123Done      = -12

	mpg123AddFlags    = 2  // MPG123_ADD_FLAGS
	mpg123RemoveFlags = 13 // MPG123_REMOVE_FLAGS
	mpg123ResyncLimit = 14 // MPG123_RESYNC_LIMIT

	mpg123ForceStereo    = 0x8    // MPG123_FORCE_STEREO: mono decodes to both channels
	mpg123Quiet          = 0x20   // MPG123_QUIET: nothing on stderr
	mpg123Gapless        = 0x40   // MPG123_GAPLESS
	mpg123IgnoreInfo     = 0x4000 // MPG123_IGNORE_INFOFRAME
	mpg123AutoResample   = 0x8000 // MPG123_AUTO_RESAMPLE
	mpg123Stereo         = 2      // MPG123_STEREO
	mpg123EncFloat32     = 0x200  // MPG123_ENC_FLOAT_32
	mpg123SeekSet        = 0      // SEEK_SET
	mpg123FloatFrameSize = 8      // bytes of one stereo float32 frame
)

// mpg123Lib is libmpg123, loaded: an immutable function table shared by
// every decoder of the process. It is never unloaded.
type mpg123Lib struct {
	// Cold-path calls go through purego.RegisterFunc for typed arguments.
	new         func(decoder uintptr, errcode *int32) uintptr
	param       func(mh uintptr, typ int32, value int64, fvalue float64) int32
	formatNone  func(mh uintptr) int32
	format      func(mh uintptr, rate int64, channels, encodings int32) int32
	openFD      func(mh uintptr, fd int32) int32
	getformat   func(mh uintptr, rate *int64, channels, encoding *int32) int32
	close       func(mh uintptr) int32
	delete      func(mh uintptr)
	plainStrerr func(code int32) string
	errcode     func(mh uintptr) int32
	libraryName string
	// The calls of a playing track go through purego.SyscallN:
	// RegisterFunc's wrappers use reflection and allocate on every call.
	readFunction uintptr // int mpg123_read(mpg123_handle*, void*, size_t, size_t*)
	seekFunction uintptr // off_t mpg123_seek(mpg123_handle*, off_t, int)
}

// defaultMPG123 loads libmpg123 once per process. It is the package's one
// piece of package-level state, a lazily computed, never-modified function
// table (as player/output loads libasound): the dynamic linker's copy of the
// library is process-wide anyway, and loading it once lets the package's
// Open use it without every caller holding an Opener.
var defaultMPG123 = sync.OnceValues(func() (*mpg123Lib, error) { return loadMPG123(MPG123Library()) })

// loadMPG123 loads the library at soname (MPG123Library() but for tests).
func loadMPG123(soname string) (*mpg123Lib, error) {
	h, err := purego.Dlopen(soname, purego.RTLD_NOW|purego.RTLD_LOCAL)
	if err != nil {
		return nil, fmt.Errorf("load libmpg123: %s not found (install libmpg123-0): %w", soname, err)
	}
	lib := &mpg123Lib{libraryName: soname}
	for _, f := range []struct {
		name string
		fptr any
	}{
		{"mpg123_new", &lib.new},
		{"mpg123_param", &lib.param},
		{"mpg123_format_none", &lib.formatNone},
		{"mpg123_format", &lib.format},
		{"mpg123_open_fd", &lib.openFD},
		{"mpg123_getformat", &lib.getformat},
		{"mpg123_close", &lib.close},
		{"mpg123_delete", &lib.delete},
		{"mpg123_plain_strerror", &lib.plainStrerr},
		{"mpg123_errcode", &lib.errcode},
	} {
		sym, err := purego.Dlsym(h, f.name)
		if err != nil {
			_ = purego.Dlclose(h)
			return nil, fmt.Errorf("load libmpg123: %s lacks %s (mpg123 1.14 or later needed): %w", soname, f.name, err)
		}
		purego.RegisterFunc(f.fptr, sym)
	}
	for _, f := range []struct {
		name string
		sym  *uintptr
	}{
		{"mpg123_read", &lib.readFunction},
		{"mpg123_seek", &lib.seekFunction},
	} {
		if *f.sym, err = purego.Dlsym(h, f.name); err != nil {
			_ = purego.Dlclose(h)
			return nil, fmt.Errorf("load libmpg123: %s lacks %s: %w", soname, f.name, err)
		}
	}
	// mpg123_init is needed before mpg123 1.27 and a no-op since; it is not
	// safe to call concurrently, which loading once guarantees for the
	// process's default library.
	if init, err := purego.Dlsym(h, "mpg123_init"); err == nil {
		if r, _, _ := purego.SyscallN(init); int32(r) != mpg123OK {
			_ = purego.Dlclose(h)
			return nil, fmt.Errorf("load libmpg123: mpg123_init failed (code %d)", int32(r))
		}
	}
	return lib, nil
}

// errorf describes a failed call on handle mh that returned code: what
// failed, and mpg123's reason. MPG123_ERR means the reason is the handle's
// (mpg123_strerror); other codes explain themselves
// (mpg123_plain_strerror).
func (l *mpg123Lib) errorf(mh uintptr, code int32, what string, args ...any) error {
	if mh != 0 && code == mpg123Err {
		code = l.errcode(mh)
	}
	// mpg123's messages end with "(code N)".
	return fmt.Errorf("libmpg123: "+what+": %s", append(args, l.plainStrerr(code))...)
}
