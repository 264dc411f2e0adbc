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
	"github.com/gopxl/beep/v2"
)

// vorbisChunk is how many frames one fill decodes at most (see Stream);
// the buffer costs 64 KiB per open Ogg track.
const vorbisChunk = 8192

// maxHoles is how many OV_HOLE results in a row one fill skips before it
// returns what it has (source counts fills that return nothing as stalls).
const maxHoles = 16

// vorbisfileDecoder decodes one Ogg Vorbis file with libvorbisfile, as a
// beep.StreamSeeker numbering samples as oggvorbis does (from the file's
// first PCM sample; libvorbisfile subtracts a non-zero starting granule
// position, as the probe's length does). libvorbisfile opens and reads the
// file itself (ov_fopen), which needs no purego callbacks; seeks are
// sample-exact (ov_pcm_seek).
//
// Output is libvorbisfile's float planes, copied into an interleaved stereo
// buffer (mono duplicated; of more channels, the front left and right, as
// beep's oggvorbis decoder picks them) and converted into the caller's
// frames; Stream and Seek allocate nothing.
type vorbisfileDecoder struct {
	lib         *vorbisfileLib
	vf          unsafe.Pointer // OggVorbis_File* in C memory; nil once closed
	path        string
	len         int64
	rate        int64 // the first section's; every section must have it
	channels    int
	left, right int            // the channels played on the left and right
	link        int32          // the section channels belongs to
	chunk                      // ended: ov_read_float returned 0
	pcm         unsafe.Pointer // ov_read_float's float ** (C memory)
	bitstream   int32          // ov_read_float's int *bitstream
	args        [4]uintptr
	cleanup     runtime.Cleanup
}

// ovFile is what frees an OggVorbis_File a caller forgot to close.
type ovFile struct {
	lib *vorbisfileLib
	vf  unsafe.Pointer
}

// openVorbisfile is Opener.Open's route to libvorbisfile for the Ogg file
// f at path: it closes f (libvorbisfile opens path itself) and returns the
// decoder as the Track's file and decoder, its sample rate, and the
// reopenFunc that restarts it.
func openVorbisfile(lib *vorbisfileLib, f *os.File, path string) (io.Closer, beep.StreamSeeker, int, reopenFunc, error) {
	f.Close()
	d, rate, err := newVorbisfileDecoder(lib, path)
	if err != nil {
		return nil, nil, 0, nil, err
	}
	return d, d, rate, func() (beep.StreamSeeker, error) { return d, d.restart() }, nil
}

// newVorbisfileDecoder opens the Ogg Vorbis file at path with
// libvorbisfile and returns the decoder and the file's sample rate.
func newVorbisfileDecoder(lib *vorbisfileLib, path string) (*vorbisfileDecoder, int, error) {
	vf := lib.calloc(1, ovFileSize)
	if vf == nil {
		return nil, 0, errors.New("libvorbisfile: calloc failed")
	}
	d := &vorbisfileDecoder{lib: lib, vf: vf, path: path, chunk: chunk{buf: make([]float32, 2*vorbisChunk)}}
	if err := d.open(); err != nil {
		lib.free(vf)
		return nil, 0, err
	}
	d.cleanup = runtime.AddCleanup(d, func(f ovFile) {
		f.lib.clear(f.vf)
		f.lib.free(f.vf)
	}, ovFile{lib, vf})
	return d, int(d.rate), nil
}

// open opens the file into d.vf, which holds no open file, and reads its
// length and format. On failure d.vf holds no open file either (ov_fopen
// clears what it opened).
func (d *vorbisfileDecoder) open() error {
	l := d.lib
	if rc := l.fopen(d.path, d.vf); rc != 0 {
		return fmt.Errorf("libvorbisfile: ov_fopen: %s", ovCodeName(int64(rc)))
	}
	d.pos, d.ended, d.err = 0, false, nil
	d.off, d.have, d.link = 0, 0, -1
	d.len = l.pcmTotal(d.vf, -1)
	info := l.info(d.vf, 0)
	switch {
	case d.len < 0:
		l.clear(d.vf)
		return fmt.Errorf("libvorbisfile: ov_pcm_total: %s", ovCodeName(d.len))
	case info == nil:
		l.clear(d.vf)
		return errors.New("libvorbisfile: ov_info: no stream information")
	}
	d.rate = info.rate
	if err := d.setChannels(0); err != nil {
		l.clear(d.vf)
		return err
	}
	return nil
}

// setChannels reads the channel count of section link (chained files can
// change it between sections; not the rate, which the engine's resampler
// fixes at open).
func (d *vorbisfileDecoder) setChannels(link int32) error {
	info := d.lib.info(d.vf, link)
	if info == nil {
		return fmt.Errorf("libvorbisfile: ov_info: no information on stream section %d", link)
	}
	if info.rate != d.rate {
		return fmt.Errorf("libvorbisfile: stream section %d is at %d Hz, the file starts at %d Hz", link, info.rate, d.rate)
	}
	d.link, d.channels = link, int(info.channels)
	switch d.channels {
	case 0:
		return fmt.Errorf("libvorbisfile: stream section %d has no channels", link)
	case 1:
		d.left, d.right = 0, 0
	case 2, 4: // L R; FL FR RL RR
		d.left, d.right = 0, 1
	default: // L C R …
		d.left, d.right = 0, 2
	}
	return nil
}

// restart is source's reopenFunc: the same decoder on the file opened
// afresh.
func (d *vorbisfileDecoder) restart() error {
	if d.vf == nil {
		return errors.New("libvorbisfile: decoder closed")
	}
	d.lib.clear(d.vf)
	if err := d.open(); err != nil {
		d.err = err
		return err
	}
	return nil
}

// Stream returns up to len(samples) frames from the decoded buffer,
// refilling it when it is empty (one ov_read_float call per Vorbis packet,
// up to vorbisChunk frames).
func (d *vorbisfileDecoder) Stream(samples [][2]float64) (int, bool) {
	if d.vf == nil {
		return 0, false
	}
	return d.serve(samples, d)
}

// fill decodes into d.buf until it is full, the stream ends or fails.
//
// It allocates nothing: the arguments live in d, which is on the heap (Go's
// heap does not move objects) and kept alive across each call, and the
// float planes ov_read_float points d.pcm to are libvorbis's own memory,
// valid until the next call.
func (d *vorbisfileDecoder) fill() {
	d.off, d.have = 0, 0
	for holes := 0; d.have < vorbisChunk && holes < maxHoles; {
		d.args = [4]uintptr{
			uintptr(d.vf), uintptr(unsafe.Pointer(&d.pcm)),
			uintptr(vorbisChunk - d.have), uintptr(unsafe.Pointer(&d.bitstream)),
		}
		r, _, _ := purego.SyscallN(d.lib.readFloat, d.args[:]...)
		runtime.KeepAlive(d)
		n := int64(r)
		switch {
		case n == 0:
			d.ended = true
			return
		case n == ovHole:
			// A gap in the data (a lost or damaged page): decoding
			// resumes after it, as MPD's does; source reports the
			// shortfall at the end.
			holes++
			continue
		case n < 0:
			d.err = fmt.Errorf("libvorbisfile: decoding at sample %d: %s", d.pos+int64(d.have), ovCodeName(n))
			return
		case n > int64(vorbisChunk-d.have):
			d.err = fmt.Errorf("libvorbisfile: ov_read_float returned %d samples for %d", n, vorbisChunk-d.have)
			return
		}
		holes = 0
		if d.bitstream != d.link {
			if err := d.setChannels(d.bitstream); err != nil {
				d.err = err
				return
			}
		}
		planes := unsafe.Slice((**float32)(d.pcm), d.channels)
		left := unsafe.Slice(planes[d.left], n)
		right := unsafe.Slice(planes[d.right], n)
		out := d.buf[2*d.have : 2*(d.have+int(n))]
		for i := range left {
			out[2*i], out[2*i+1] = left[i], right[i]
		}
		d.have += int(n)
	}
}

// Err is the error that ended decoding early.
func (d *vorbisfileDecoder) Err() error { return d.err }

// Len is the file's length in samples (ov_pcm_total).
func (d *vorbisfileDecoder) Len() int { return int(d.len) }

// Position is the next sample Stream returns.
func (d *vorbisfileDecoder) Position() int { return int(d.pos) }

// Seek makes sample p the next one Stream returns, exactly (ov_pcm_seek
// decodes the packet before p for the overlap). It allocates nothing.
func (d *vorbisfileDecoder) Seek(p int) error {
	if d.vf == nil {
		return errors.New("libvorbisfile: decoder closed")
	}
	d.args = [4]uintptr{uintptr(d.vf), uintptr(p)}
	r, _, _ := purego.SyscallN(d.lib.pcmSeek, d.args[:2]...)
	if rc := int32(r); rc != 0 {
		return fmt.Errorf("libvorbisfile: seek to sample %d: %s", p, ovCodeName(int64(rc)))
	}
	d.pos, d.ended, d.err = int64(p), false, nil
	d.off, d.have = 0, 0
	return nil
}

// Close closes the file and frees the decoder's state. It is idempotent.
func (d *vorbisfileDecoder) Close() error {
	if d.vf == nil {
		return nil
	}
	d.cleanup.Stop()
	d.lib.clear(d.vf)
	d.lib.free(d.vf)
	d.vf = nil
	return nil
}
