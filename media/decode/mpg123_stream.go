//go:build darwin || freebsd || linux || netbsd

package decode

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"unsafe"

	"github.com/ebitengine/purego"
)

// mpegRates are the sample rates of MPEG-1, 2 and 2.5 audio; the decoder
// accepts any of them and Open checks the file's against the probe's.
var mpegRates = [...]int64{8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000}

// mpg123Chunk is how many frames one mpg123_read call decodes at most (see
// Stream); the buffer costs 128 KiB per open MP3 track.
const mpg123Chunk = 16384

// mpg123Decoder decodes one MP3 file with libmpg123, as a beep.StreamSeeker
// numbering samples as go-mp3 does: mpg123's own gapless trimming is off
// and the Xing/Info frame decodes as silence (MPG123_IGNORE_INFOFRAME), so
// source trims it with the probe's EncoderDelay and Samples exactly as it
// trims go-mp3. mpg123 reads and seeks the file descriptor itself
// (mpg123_open_fd), which needs no purego callbacks; seeks are exact (no
// MPG123_FUZZY), from a frame index mpg123 builds as it reads.
//
// Output is stereo float32 (mono duplicated by MPG123_FORCE_STEREO),
// decoded into a buffer and converted into the caller's frames; Stream and
// Seek allocate nothing.
type mpg123Decoder struct {
	lib     *mpg123Lib
	mh      uintptr // mpg123_handle*; 0 once closed
	file    *os.File
	fd      int32
	len     int
	chunk           // mpg123_read's output; ended: MPG123_DONE
	done    uintptr // mpg123_read's size_t *done
	args    [4]uintptr
	cleanup runtime.Cleanup
}

// mpg123Handle is what frees an mpg123 handle a caller forgot to close.
type mpg123Handle struct {
	lib *mpg123Lib
	mh  uintptr
}

// newMPG123Decoder opens f, an MP3 file, with libmpg123. length is the
// decoder's length in samples as the probe sees it (its Len, which only
// bounds seeks). It returns the file's sample rate. The decoder owns f from
// here: its Close closes both, and it closes f itself when it fails.
func newMPG123Decoder(lib *mpg123Lib, f *os.File, length int64) (*mpg123Decoder, int, error) {
	var code int32
	mh := lib.new(0, &code)
	if mh == 0 {
		return nil, 0, lib.errorf(0, code, "mpg123_new")
	}
	d := &mpg123Decoder{
		lib: lib, mh: mh, file: f, fd: int32(f.Fd()), len: int(length),
		chunk: chunk{buf: make([]float32, 2*mpg123Chunk)},
	}
	d.cleanup = runtime.AddCleanup(d, func(h mpg123Handle) {
		h.lib.close(h.mh)
		h.lib.delete(h.mh)
	}, mpg123Handle{lib, mh})
	rate, err := d.setup()
	if err != nil {
		_ = d.Close()
		return nil, 0, err
	}
	return d, rate, nil
}

// setup configures the handle, opens the file and reads its format.
func (d *mpg123Decoder) setup() (int, error) {
	l := d.lib
	for _, p := range []struct {
		what  string
		typ   int32
		value int64
	}{
		{"remove flags", mpg123RemoveFlags, mpg123Gapless | mpg123AutoResample},
		{"add flags", mpg123AddFlags, mpg123ForceStereo | mpg123Quiet | mpg123IgnoreInfo},
		// The probe accepts up to 16 KiB of junk between frames; mpg123's
		// default limit (1 KiB) would end such a file early.
		{"resync limit", mpg123ResyncLimit, 64 << 10},
	} {
		if rc := l.param(d.mh, p.typ, p.value, 0); rc != mpg123OK {
			return 0, l.errorf(d.mh, rc, "set %s", p.what)
		}
	}
	if rc := l.formatNone(d.mh); rc != mpg123OK {
		return 0, l.errorf(d.mh, rc, "mpg123_format_none")
	}
	for _, r := range mpegRates {
		if rc := l.format(d.mh, r, mpg123Stereo, mpg123EncFloat32); rc != mpg123OK {
			return 0, l.errorf(d.mh, rc, "ask for float output at %d Hz", r)
		}
	}
	if err := d.open(); err != nil {
		return 0, err
	}
	var (
		rate          int64
		channels, enc int32
	)
	switch rc := l.getformat(d.mh, &rate, &channels, &enc); rc {
	case mpg123OK:
	case mpg123Done:
		return 0, errors.New("libmpg123: no MPEG audio frame in the file")
	default:
		return 0, l.errorf(d.mh, rc, "read the first frame")
	}
	if channels != 2 || enc != mpg123EncFloat32 {
		return 0, fmt.Errorf("libmpg123: decodes to %d channels, encoding %#x; want stereo float32", channels, enc)
	}
	return int(rate), nil
}

// open (re)starts decoding the file from its beginning.
func (d *mpg123Decoder) open() error {
	if _, err := d.file.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("libmpg123: rewind the file: %w", err)
	}
	if rc := d.lib.openFD(d.mh, d.fd); rc != mpg123OK {
		return d.lib.errorf(d.mh, rc, "mpg123_open_fd")
	}
	d.pos, d.ended, d.err = 0, false, nil
	d.off, d.have = 0, 0
	return nil
}

// restart is source's reopenFunc: the same decoder, decoding from the start
// of the file again.
func (d *mpg123Decoder) restart() error {
	if d.mh == 0 {
		return errors.New("libmpg123: decoder closed")
	}
	return d.open()
}

// Stream returns up to len(samples) frames from the decoded buffer,
// refilling it with one mpg123_read call (mpg123Chunk frames, 0.37 s at
// 44.1 kHz) when it is empty.
func (d *mpg123Decoder) Stream(samples [][2]float64) (int, bool) {
	if d.mh == 0 {
		return 0, false
	}
	return d.serve(samples, d)
}

// fill decodes up to a buffer of frames with mpg123_read, noting the end
// of the stream or an error for when the buffer has been read.
//
// It allocates nothing: the arguments of mpg123_read live in d, not in a
// variadic slice (purego marks SyscallN uintptrescapes, so a literal
// argument list escapes to the heap). Passing d.buf's and d.done's
// addresses as stored uintptrs is safe because d is heap-allocated, Go's
// heap does not move objects, and KeepAlive keeps d alive across the call.
func (d *mpg123Decoder) fill() {
	d.off, d.have = 0, 0
	for range 2 { // a format notice can come with no samples; the next call has them
		d.done = 0
		d.args = [4]uintptr{d.mh, uintptr(unsafe.Pointer(&d.buf[0])), uintptr(len(d.buf) * 4), uintptr(unsafe.Pointer(&d.done))}
		r, _, _ := purego.SyscallN(d.lib.readFunction, d.args[:]...)
		runtime.KeepAlive(d)
		d.have = min(int(d.done)/mpg123FloatFrameSize, len(d.buf)/2)
		switch code := int32(r); code {
		case mpg123OK:
			return
		case mpg123NewFormat:
			if d.have > 0 {
				return
			}
		case mpg123Done:
			d.ended = true
			return
		default:
			d.err = d.lib.errorf(d.mh, code, "decoding")
			return
		}
	}
}

// Err is the error that ended decoding early.
func (d *mpg123Decoder) Err() error { return d.err }

// Len is the decoder's length as the probe sees it; it bounds seeks only.
func (d *mpg123Decoder) Len() int { return d.len }

// Position is the next sample Stream decodes.
func (d *mpg123Decoder) Position() int { return int(d.pos) }

// Seek makes sample p the next one Stream decodes, exactly: mpg123 seeks to
// the frame holding p (decoding a few frames before it for the bit
// reservoir) and drops the samples before p. Like Stream, it allocates
// nothing.
func (d *mpg123Decoder) Seek(p int) error {
	if d.mh == 0 {
		return errors.New("libmpg123: decoder closed")
	}
	d.args = [4]uintptr{d.mh, uintptr(p), mpg123SeekSet}
	r, _, _ := purego.SyscallN(d.lib.seekFunction, d.args[:3]...)
	if got := int64(r); got < 0 {
		return d.lib.errorf(d.mh, int32(got), "seek to sample %d", p)
	} else if got != int64(p) {
		return fmt.Errorf("libmpg123: seek to sample %d reached sample %d", p, got)
	}
	d.pos, d.ended, d.err = int64(p), false, nil
	d.off, d.have = 0, 0
	return nil
}

// Close frees the mpg123 handle, then closes the file. It is idempotent.
func (d *mpg123Decoder) Close() error {
	if d.mh == 0 {
		return nil
	}
	d.cleanup.Stop()
	d.lib.close(d.mh)
	d.lib.delete(d.mh)
	d.mh = 0
	return d.file.Close()
}
