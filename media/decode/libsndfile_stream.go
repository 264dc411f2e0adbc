//go:build darwin || freebsd || linux || netbsd

package decode

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"unsafe"

	"github.com/ebitengine/purego"
)

// sndfileChunk is how many frames one sf_readf_double call decodes at
// most: about one FLAC block (4096 samples, 93 ms at 44.1 kHz, is the
// usual size), so the calls into C, each of which may wait for a P on its
// way back to Go, stay rare. The buffer costs 32 KiB per open stereo track.
const sndfileChunk = 4096

// sndfileDecoder decodes one FLAC file with libsndfile (which decodes it
// with libFLAC), as a beep.StreamSeeker giving the same samples as beep's
// flac decoder (mewkiz/flac): stereo float64, mono duplicated, channels
// past the second dropped, each sample scaled by its bit depth to [-1, 1)
// (libsndfile's default normalization multiplies by 1/2^(bits-1), exactly
// beep's arithmetic).
//
// libsndfile opens and reads the file itself (sf_open) and is pulled from
// (sf_readf_double into a preallocated interleaved buffer), so no purego
// callback is involved and Stream and Seek allocate nothing. Seeks are
// sample-accurate (sf_seek, libFLAC's seek_absolute), the last frame
// included. Any error libsndfile reports while decoding (libFLAC's lost
// sync, bad header or CRC mismatch) ends the stream with Err set, rather
// than playing on past the damage; the chunk it occurred in is dropped.
type sndfileDecoder struct {
	lib      *sndfileLib
	sf       uintptr // SNDFILE*; 0 once closed
	path     string
	len      int64 // the probe's length
	frames   int64 // the file's, as libsndfile reads it from STREAMINFO
	rate     int
	channels int
	pos      int64
	ended    bool      // sf_readf_double returned no frames
	err      error     // libsndfile failed, or the file ended early
	raw      []float64 // interleaved, sndfileChunk frames of channels samples
	off      int       // the next frame of raw Stream returns
	have     int       // frames in raw
	args     [3]uintptr
	cleanup  runtime.Cleanup
}

// sndfileHandle is what closes a SNDFILE a caller forgot to close.
type sndfileHandle struct {
	lib *sndfileLib
	sf  uintptr
}

// newSndfileDecoder opens the FLAC file at path with libsndfile. f is the
// file Open opened; libsndfile opens path itself, so f is closed. length
// is the decoder's length in samples as the probe sees it. It returns the
// file's sample rate.
func newSndfileDecoder(lib *sndfileLib, f *os.File, path string, length int64) (*sndfileDecoder, int, error) {
	f.Close()
	d := &sndfileDecoder{lib: lib, path: path, len: length}
	if err := d.open(); err != nil {
		return nil, 0, err
	}
	return d, d.rate, nil
}

// open (re)opens the file, positioned at its start, into d, which holds no
// open SNDFILE.
func (d *sndfileDecoder) open() error {
	l := d.lib
	var info sfInfo
	sf := l.open(d.path, sfmRead, &info)
	if sf == 0 {
		// sf_strerror(NULL) is the last sf_open failure of the process:
		// another goroutine's, in a rare race, which only garbles the
		// message.
		return fmt.Errorf("libsndfile: sf_open: %s", l.strerror(0))
	}
	var err error
	switch {
	case info.format&sfFormatTypes != sfFormatFLAC:
		err = fmt.Errorf("libsndfile: not a FLAC file (format %#x)", info.format)
	case info.channels < 1 || info.channels > sfMaxChannels:
		err = fmt.Errorf("libsndfile: %d channels", info.channels)
	case info.samplerate <= 0 || info.samplerate > sfMaxFrameRate:
		err = fmt.Errorf("libsndfile: a sample rate of %d Hz", info.samplerate)
	case info.frames < 0:
		err = fmt.Errorf("libsndfile: a length of %d frames", info.frames)
	}
	if err != nil {
		l.close(sf)
		return err
	}
	d.sf, d.frames, d.rate, d.channels = sf, info.frames, int(info.samplerate), int(info.channels)
	d.cleanup = runtime.AddCleanup(d, func(h sndfileHandle) { h.lib.close(h.sf) }, sndfileHandle{l, sf})
	if n := sndfileChunk * d.channels; len(d.raw) != n {
		d.raw = make([]float64, n)
	}
	d.pos, d.ended, d.err, d.off, d.have = 0, false, nil, 0, 0
	return nil
}

// restart is source's reopenFunc: the same decoder, decoding from the start
// of the file again, on a fresh SNDFILE (a failed seek can leave libFLAC's
// decoder unusable).
func (d *sndfileDecoder) restart() error {
	if d.sf == 0 {
		return errors.New("libsndfile: decoder closed")
	}
	_ = d.Close()
	return d.open()
}

// Stream returns up to len(samples) frames from the decoded chunk,
// decoding the next one when it has been read.
func (d *sndfileDecoder) Stream(samples [][2]float64) (int, bool) {
	if d.sf == 0 {
		return 0, false
	}
	if d.off == d.have {
		if d.err != nil || d.ended {
			return 0, false
		}
		d.fill()
		if d.off == d.have {
			return 0, false // the end, or an error (in Err)
		}
	}
	n := min(len(samples), d.have-d.off)
	ch, right := d.channels, 0
	if ch > 1 {
		right = 1
	}
	raw := d.raw[d.off*ch : (d.off+n)*ch]
	for i := range samples[:n] {
		samples[i] = [2]float64{raw[i*ch], raw[i*ch+right]}
	}
	d.off += n
	d.pos += int64(n)
	return n, true
}

// fill decodes the next chunk into raw, noting the end of the stream or an
// error. It allocates nothing: the arguments live in d, not in a variadic
// slice (purego marks SyscallN uintptrescapes, so a literal argument list
// escapes to the heap).
func (d *sndfileDecoder) fill() {
	d.off, d.have = 0, 0
	d.args = [3]uintptr{d.sf, uintptr(unsafe.Pointer(&d.raw[0])), sndfileChunk}
	r, _, _ := purego.SyscallN(d.lib.readfDouble, d.args[:]...)
	runtime.KeepAlive(d.raw)
	n := int(int64(r))
	if code := d.errno(); code != 0 {
		// sf_readf_double clears the error as it starts: this one is its own.
		d.err = fmt.Errorf("libsndfile: decoding at sample %d: %s (error %d)", d.pos, d.lib.strerror(d.sf), code)
		return
	}
	if n > 0 {
		d.have = min(n, sndfileChunk)
		return
	}
	d.ended = true
	if d.pos < d.len {
		d.err = fmt.Errorf("libsndfile: the file ends at sample %d, the probe counts %d (libsndfile %d)", d.pos, d.len, d.frames)
	}
}

// errno is sf_error: the error of the last call on d.sf, 0 for none.
func (d *sndfileDecoder) errno() int32 {
	d.args[0] = d.sf
	r, _, _ := purego.SyscallN(d.lib.errno, d.args[:1]...)
	return int32(r)
}

// Err is the error that ended decoding early.
func (d *sndfileDecoder) Err() error { return d.err }

// Len is the decoder's length as the probe sees it; it bounds seeks only.
func (d *sndfileDecoder) Len() int { return int(d.len) }

// Position is the next sample Stream decodes.
func (d *sndfileDecoder) Position() int { return int(d.pos) }

// Seek makes sample p the next one Stream decodes, exactly. Like Stream, it
// allocates nothing when it succeeds.
func (d *sndfileDecoder) Seek(p int) error {
	if d.sf == 0 {
		return errors.New("libsndfile: decoder closed")
	}
	d.off, d.have, d.err = 0, 0, nil
	if int64(p) >= d.len {
		// Nothing to decode; libFLAC refuses a seek to the very end.
		d.pos, d.ended = int64(p), true
		return nil
	}
	d.args = [3]uintptr{d.sf, uintptr(p), sfSeekSet}
	r, _, _ := purego.SyscallN(d.lib.seek, d.args[:]...)
	if int64(r) != int64(p) {
		return fmt.Errorf("libsndfile: seek to sample %d: %s", p, d.lib.strerror(d.sf))
	}
	d.pos, d.ended = int64(p), false
	return nil
}

// Close closes the SNDFILE, which closes the file. It is idempotent.
func (d *sndfileDecoder) Close() error {
	if d.sf == 0 {
		return nil
	}
	d.cleanup.Stop()
	d.lib.close(d.sf)
	d.sf = 0
	return nil
}
