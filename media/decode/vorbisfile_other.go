//go:build !(darwin || freebsd || linux || netbsd)

package decode

import (
	"errors"
	"io"
	"os"
	"runtime"

	"github.com/gopxl/beep/v2"
)

// On this platform libvorbisfile is not loaded: Ogg Vorbis decodes with
// oggvorbis.

// VorbisfileLibrary is the name libvorbisfile would have; it is not loaded
// here.
func VorbisfileLibrary() string { return "libvorbisfile" }

type vorbisfileLib struct{}

func defaultVorbisfile() (*vorbisfileLib, error) { return loadVorbisfile(VorbisfileLibrary()) }

func loadVorbisfile(soname string) (*vorbisfileLib, error) {
	return nil, errors.New("load libvorbisfile: " + soname + " is not loaded on " + runtime.GOOS + ": decoding Ogg Vorbis with oggvorbis")
}

// openVorbisfile is never called on this platform (no library loads).
func openVorbisfile(lib *vorbisfileLib, f *os.File, path string) (io.Closer, beep.StreamSeeker, int, reopenFunc, error) {
	f.Close()
	return nil, nil, 0, nil, errors.New("libvorbisfile: not supported on " + runtime.GOOS)
}
