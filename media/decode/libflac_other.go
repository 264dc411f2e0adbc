//go:build !(darwin || freebsd || linux || netbsd)

package decode

import (
	"errors"
	"os"
	"runtime"

	"github.com/gopxl/beep/v2"
)

// On this platform libFLAC is not loaded: FLAC decodes with mewkiz/flac.

// FLACLibrary is the name libFLAC would have; it is not loaded here.
func FLACLibrary() string { return "libFLAC" }

type flacLib struct{}

func defaultFLAC() (*flacLib, error) { return loadFLAC(FLACLibrary()) }

func loadFLAC(soname string) (*flacLib, error) {
	return nil, errors.New("load libFLAC: " + soname + " is not loaded on " + runtime.GOOS + ": decoding FLAC with mewkiz/flac")
}

// flacDecoder is never created on this platform.
type flacDecoder struct{ beep.StreamSeeker }

func newFLACDecoder(lib *flacLib, f *os.File, path string, length int64) (*flacDecoder, int, error) {
	f.Close()
	return nil, 0, errors.New("libFLAC: not supported on " + runtime.GOOS)
}

func (d *flacDecoder) restart() error { return errors.New("libFLAC: not supported") }
func (d *flacDecoder) Close() error   { return nil }
