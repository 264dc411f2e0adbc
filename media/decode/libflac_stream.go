//go:build darwin || freebsd || linux || netbsd

package decode

import (
	"errors"
	"fmt"
	"os"
	"runtime"

	"github.com/ebitengine/purego"
)

// flacInfo is the STREAMINFO block, as the metadata callback saw it.
type flacInfo struct {
	maxBlocksize  int
	sampleRate    int
	channels      int
	bitsPerSample int
	totalSamples  int64
	seen          bool
}

// flacStream is the part of a decoder the callbacks write: the decoded
// frame and what went wrong. It is separate from flacDecoder so that the
// registry, which holds it, does not keep the decoder reachable (the
// decoder's cleanup frees a forgotten libFLAC decoder).
type flacStream struct {
	buf  [][2]float64 // the last decoded frame, stereo
	off  int          // the next frame of buf Stream returns
	have int          // frames in buf
	err  error        // libFLAC reported an error, or a frame was refused
	info flacInfo
}

func (st *flacStream) fail(err error) {
	if st.err == nil {
		st.err = err
	}
}

// flacDecoder decodes one FLAC file with libFLAC, as a beep.StreamSeeker
// giving the same samples as beep's flac decoder (mewkiz/flac): stereo
// float64, mono duplicated, channels past the second dropped, each sample
// scaled by its bit depth to [-1, 1).
//
// libFLAC decodes a frame per FLAC__stream_decoder_process_single call and
// hands it to the write callback, which converts it into a buffer sized
// for the stream's largest block; Stream copies from there. Seeks are
// sample-accurate (FLAC__stream_decoder_seek_absolute), the last frame
// included. Any error libFLAC reports (lost sync, a bad frame header or
// CRC) ends the stream with Err set, rather than skipping the damage.
type flacDecoder struct {
	lib     *flacLib
	dec     uintptr // FLAC__StreamDecoder*; 0 once closed
	path    string
	handle  uintptr // client_data: st's key in lib's registry
	st      *flacStream
	len     int
	pos     int64
	ended   bool // libFLAC reached the end of the stream
	args    [2]uintptr
	cleanup runtime.Cleanup
}

// flacHandle is what frees a libFLAC decoder a caller forgot to close.
type flacHandle struct {
	lib    *flacLib
	dec    uintptr
	handle uintptr
}

// newFLACDecoder opens the FLAC file at path with libFLAC. f is the file
// Open opened; libFLAC opens path itself (FLAC__stream_decoder_init_file,
// which needs no read callbacks), so f is closed once it has. length is the
// decoder's length in samples as the probe sees it. It returns the file's
// sample rate.
func newFLACDecoder(lib *flacLib, f *os.File, path string, length int64) (*flacDecoder, int, error) {
	defer f.Close()
	dec := lib.newDecoder()
	if dec == 0 {
		return nil, 0, errors.New("libFLAC: FLAC__stream_decoder_new failed")
	}
	d := &flacDecoder{lib: lib, dec: dec, path: path, st: &flacStream{}, len: int(length)}
	d.handle = lib.register(d.st)
	d.cleanup = runtime.AddCleanup(d, func(h flacHandle) {
		h.lib.unregister(h.handle)
		h.lib.finish(h.dec)
		h.lib.delete(h.dec)
	}, flacHandle{lib, dec, d.handle})
	if err := d.open(); err != nil {
		_ = d.Close()
		return nil, 0, err
	}
	return d, d.st.info.sampleRate, nil
}

// open (re)starts decoding the file from its beginning and reads its
// metadata.
func (d *flacDecoder) open() error {
	l, st := d.lib, d.st
	st.err, st.info, st.off, st.have = nil, flacInfo{}, 0, 0
	d.pos, d.ended = 0, false
	if rc := l.initFile(d.dec, d.path, l.writeCallback, l.metadataCallback, l.errorCallback, d.handle); rc != flacInitOK {
		return fmt.Errorf("libFLAC: open the file: %s (init status %d)", flacInitName(rc), rc)
	}
	if !l.untilMeta(d.dec) || st.err != nil {
		return fmt.Errorf("libFLAC: read the metadata: %w", d.failure())
	}
	if !st.info.seen {
		return errors.New("libFLAC: no STREAMINFO block")
	}
	if st.buf == nil {
		n := st.info.maxBlocksize
		if n < 16 || n > flacMaxBlocksize {
			n = flacMaxBlocksize
		}
		st.buf = make([][2]float64, n)
	}
	return nil
}

// failure is the error that stopped libFLAC.
func (d *flacDecoder) failure() error {
	if d.st.err != nil {
		return d.st.err
	}
	if state := d.state(); state != flacStateEnd {
		return fmt.Errorf("libFLAC: decoder state %d", state)
	}
	return errors.New("libFLAC: the file ends early")
}

// state is FLAC__stream_decoder_get_state.
func (d *flacDecoder) state() int32 {
	d.args[0] = d.dec
	r, _, _ := purego.SyscallN(d.lib.getState, d.args[:1]...)
	return int32(r)
}

// restart is source's reopenFunc: the same decoder, decoding from the start
// of the file again.
func (d *flacDecoder) restart() error {
	if d.dec == 0 {
		return errors.New("libFLAC: decoder closed")
	}
	d.lib.finish(d.dec)
	return d.open()
}

// Stream returns up to len(samples) frames from the decoded FLAC frame,
// decoding the next one when it has been read.
func (d *flacDecoder) Stream(samples [][2]float64) (int, bool) {
	st := d.st
	if d.dec == 0 {
		return 0, false
	}
	if st.off == st.have {
		if st.err != nil || d.ended {
			return 0, false
		}
		d.fill()
		if st.off == st.have {
			// Nothing decoded: the end or an error (reported now), or
			// neither (source counts such stalls).
			return 0, st.err == nil && !d.ended
		}
	}
	n := copy(samples, st.buf[st.off:st.have])
	st.off += n
	d.pos += int64(n)
	return n, true
}

// fill decodes the next frame into the buffer, noting the end of the
// stream or an error. A process_single call can decode no audio (a
// metadata block, a resync); a few calls find the next frame.
//
// It allocates nothing: the arguments live in d, not in a variadic slice
// (purego marks SyscallN uintptrescapes, so a literal argument list escapes
// to the heap). The one FLAC frame per call into C (4096 samples, 93 ms at
// 44.1 kHz, typically) keeps the calls, each of which may wait for a P on
// its way back to Go, rare.
func (d *flacDecoder) fill() {
	st := d.st
	st.off, st.have = 0, 0
	for range 4 {
		d.args[0] = d.dec
		r, _, _ := purego.SyscallN(d.lib.processSingle, d.args[:1]...)
		switch {
		case st.have > 0 || st.err != nil:
			return
		case uint32(r) == 0:
			st.fail(fmt.Errorf("libFLAC: decoding failed: %w", d.failure()))
			return
		case d.state() == flacStateEnd:
			d.ended = true
			return
		}
	}
}

// Err is the error that ended decoding early.
func (d *flacDecoder) Err() error { return d.st.err }

// Len is the decoder's length as the probe sees it; it bounds seeks only.
func (d *flacDecoder) Len() int { return d.len }

// Position is the next sample Stream decodes.
func (d *flacDecoder) Position() int { return int(d.pos) }

// Seek makes sample p the next one Stream decodes, exactly: libFLAC finds
// the frame holding p and hands the write callback that frame from p on.
// Like Stream, it allocates nothing when it succeeds.
func (d *flacDecoder) Seek(p int) error {
	if d.dec == 0 {
		return errors.New("libFLAC: decoder closed")
	}
	st := d.st
	st.off, st.have, st.err = 0, 0, nil
	if p >= d.len {
		// libFLAC refuses a seek to the end; there is nothing to decode.
		d.pos, d.ended = int64(p), true
		return nil
	}
	d.args = [2]uintptr{d.dec, uintptr(p)}
	r, _, _ := purego.SyscallN(d.lib.seekAbsolute, d.args[:2]...)
	if uint32(r) == 0 || st.err != nil {
		err := d.failure()
		// A failed seek leaves the decoder in FLAC__STREAM_DECODER_SEEK_ERROR
		// until it is flushed.
		if d.state() == flacStateSeekError {
			d.lib.flush(d.dec)
		}
		st.off, st.have, st.err = 0, 0, nil
		return fmt.Errorf("libFLAC: seek to sample %d: %w", p, err)
	}
	d.pos, d.ended = int64(p), false
	return nil
}

// Close frees the libFLAC decoder, which closes the file. It is idempotent.
func (d *flacDecoder) Close() error {
	if d.dec == 0 {
		return nil
	}
	d.cleanup.Stop()
	d.lib.unregister(d.handle)
	d.lib.finish(d.dec)
	d.lib.delete(d.dec)
	d.dec = 0
	return nil
}

// flacInitName names a FLAC__StreamDecoderInitStatus.
func flacInitName(code int32) string {
	switch code {
	case 1:
		return "unsupported container"
	case 2:
		return "invalid callbacks"
	case 3:
		return "out of memory"
	case 4:
		return "error opening the file"
	case 5:
		return "already initialized"
	}
	return "unknown status"
}
