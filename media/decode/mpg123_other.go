//go:build !(darwin || freebsd || linux || netbsd)

package decode

import (
	"errors"
	"os"
	"runtime"

	"github.com/gopxl/beep/v2"
)

// On this platform libmpg123 is not loaded: MP3 decodes with go-mp3.

// MPG123Library is the name libmpg123 would have; it is not loaded here.
func MPG123Library() string { return "libmpg123" }

type mpg123Lib struct{}

func defaultMPG123() (*mpg123Lib, error) { return loadMPG123(MPG123Library()) }

func loadMPG123(soname string) (*mpg123Lib, error) {
	return nil, errors.New("load libmpg123: " + soname + " is not loaded on " + runtime.GOOS + ": decoding MP3 with go-mp3")
}

// mpg123Decoder is never created on this platform.
type mpg123Decoder struct{ beep.StreamSeeker }

func newMPG123Decoder(lib *mpg123Lib, f *os.File, length int64) (*mpg123Decoder, int, error) {
	f.Close()
	return nil, 0, errors.New("libmpg123: not supported on " + runtime.GOOS)
}

func (d *mpg123Decoder) restart() error { return errors.New("libmpg123: not supported") }
func (d *mpg123Decoder) Close() error   { return nil }
