//go:build !(darwin || freebsd || linux || netbsd)

package decode

import (
	"errors"
	"os"
	"runtime"

	"github.com/gopxl/beep/v2"
)

// On this platform libsndfile is not loaded: FLAC decodes with mewkiz/flac.

// SndfileLibrary is the name libsndfile would have; it is not loaded here.
func SndfileLibrary() string { return "libsndfile" }

type sndfileLib struct{}

func defaultSndfile() (*sndfileLib, error) { return loadSndfile(SndfileLibrary()) }

func loadSndfile(soname string) (*sndfileLib, error) {
	return nil, errors.New("load libsndfile: " + soname + " is not loaded on " + runtime.GOOS + ": decoding FLAC with mewkiz/flac")
}

// sndfileDecoder is never created on this platform.
type sndfileDecoder struct{ beep.StreamSeeker }

func newSndfileDecoder(lib *sndfileLib, f *os.File, path string, length int64) (*sndfileDecoder, int, error) {
	f.Close()
	return nil, 0, errors.New("libsndfile: not supported on " + runtime.GOOS)
}

func (d *sndfileDecoder) restart() error { return errors.New("libsndfile: not supported") }
func (d *sndfileDecoder) Close() error   { return nil }
