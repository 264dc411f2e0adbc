//go:build darwin || freebsd || linux || netbsd

package decode

import (
	"fmt"
	"runtime"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"
)

// This file loads libvorbisfile at run time with purego, so CGO_ENABLED=0
// builds keep working and a machine without the library falls back to
// oggvorbis (vorbisfile_stream.go has the per-file decoder).

// VorbisfileLibrary is the file name of libvorbisfile's shared library on
// this platform (Debian's package libvorbisfile3 installs it).
func VorbisfileLibrary() string {
	if runtime.GOOS == "darwin" {
		return "libvorbisfile.3.dylib"
	}
	return "libvorbisfile.so.3"
}

// ovFileSize is how many bytes are allocated for an OggVorbis_File.
// sizeof(OggVorbis_File) is 944 on x86_64 and arm64 glibc (libvorbis
// 1.3.7's vorbisfile.h, compiled); it holds only fixed-size libogg and
// libvorbis state, so twice that leaves room for other ABIs.
// TestVorbisfile_structSize checks the library writes nothing past 944.
const ovFileSize = 2048

// Return codes from vorbis/codec.h.
const (
	ovFalse      = -1
	ovEOF        = -2
	ovHole       = -3
	ovERead      = -128
	ovEFault     = -129
	ovEImpl      = -130
	ovEInval     = -131
	ovENotVorbis = -132
	ovEBadHeader = -133
	ovEVersion   = -134
	ovENotAudio  = -135
	ovEBadPacket = -136
	ovEBadLink   = -137
	ovENoSeek    = -138
)

// ovCodeName names a libvorbisfile return code and what it means.
func ovCodeName(code int64) string {
	switch code {
	case ovFalse:
		return "OV_FALSE (the file cannot be opened or read)"
	case ovEOF:
		return "OV_EOF (end of file)"
	case ovHole:
		return "OV_HOLE (data missing or corrupt)"
	case ovERead:
		return "OV_EREAD (read error)"
	case ovEFault:
		return "OV_EFAULT (internal fault)"
	case ovEImpl:
		return "OV_EIMPL (feature not implemented)"
	case ovEInval:
		return "OV_EINVAL (invalid argument)"
	case ovENotVorbis:
		return "OV_ENOTVORBIS (not Vorbis data)"
	case ovEBadHeader:
		return "OV_EBADHEADER (invalid Vorbis header)"
	case ovEVersion:
		return "OV_EVERSION (Vorbis version mismatch)"
	case ovENotAudio:
		return "OV_ENOTAUDIO (packet is not audio)"
	case ovEBadPacket:
		return "OV_EBADPACKET (invalid packet)"
	case ovEBadLink:
		return "OV_EBADLINK (invalid stream section)"
	case ovENoSeek:
		return "OV_ENOSEEK (stream not seekable)"
	}
	return fmt.Sprintf("code %d", code)
}

// vorbisInfo is the head of libvorbis's vorbis_info (codec.h): int version,
// int channels, long rate.
type vorbisInfo struct {
	_        int32 // version
	channels int32
	rate     int64
}

// vorbisfileLib is libvorbisfile, loaded: an immutable function table
// shared by every decoder of the process. It is never unloaded.
type vorbisfileLib struct {
	// Cold-path calls go through purego.RegisterFunc for typed arguments.
	fopen    func(path string, vf unsafe.Pointer) int32
	info     func(vf unsafe.Pointer, link int32) *vorbisInfo
	pcmTotal func(vf unsafe.Pointer, link int32) int64
	clear    func(vf unsafe.Pointer) int32
	// calloc and free are the C library's, found through libvorbisfile's
	// dependencies: the OggVorbis_File lives in C memory, as libvorbisfile
	// keeps pointers to it and into it between calls.
	calloc func(n, size uintptr) unsafe.Pointer
	free   func(p unsafe.Pointer)
	// The calls of a playing track go through purego.SyscallN:
	// RegisterFunc's wrappers use reflection and allocate on every call.
	readFloat uintptr // long ov_read_float(OggVorbis_File*, float***, int, int*)
	pcmSeek   uintptr // int ov_pcm_seek(OggVorbis_File*, ogg_int64_t)
}

// defaultVorbisfile loads libvorbisfile once per process: like
// defaultMPG123, a lazily computed, never-modified function table.
var defaultVorbisfile = sync.OnceValues(func() (*vorbisfileLib, error) { return loadVorbisfile(VorbisfileLibrary()) })

// loadVorbisfile loads the library at soname (VorbisfileLibrary() but for
// tests).
func loadVorbisfile(soname string) (*vorbisfileLib, error) {
	h, err := purego.Dlopen(soname, purego.RTLD_NOW|purego.RTLD_LOCAL)
	if err != nil {
		return nil, fmt.Errorf("load libvorbisfile: %s not found (install libvorbisfile3): %w", soname, err)
	}
	lib := &vorbisfileLib{}
	for _, f := range []struct {
		name string
		fptr any
	}{
		{"ov_fopen", &lib.fopen},
		{"ov_info", &lib.info},
		{"ov_pcm_total", &lib.pcmTotal},
		{"ov_clear", &lib.clear},
		{"calloc", &lib.calloc},
		{"free", &lib.free},
	} {
		sym, err := purego.Dlsym(h, f.name)
		if err != nil {
			_ = purego.Dlclose(h)
			return nil, fmt.Errorf("load libvorbisfile: %s lacks %s (libvorbisfile 1.3 or later needed): %w", soname, f.name, err)
		}
		purego.RegisterFunc(f.fptr, sym)
	}
	for _, f := range []struct {
		name string
		sym  *uintptr
	}{
		{"ov_read_float", &lib.readFloat},
		{"ov_pcm_seek", &lib.pcmSeek},
	} {
		if *f.sym, err = purego.Dlsym(h, f.name); err != nil {
			_ = purego.Dlclose(h)
			return nil, fmt.Errorf("load libvorbisfile: %s lacks %s: %w", soname, f.name, err)
		}
	}
	return lib, nil
}
