//go:build darwin || freebsd || linux || netbsd

package stream

import (
	"errors"
	"fmt"
	"runtime"
	"unsafe"

	"github.com/ebitengine/purego"
)

// lameLibrary is the file name of LAME's shared library on this platform.
func lameLibrary() string {
	if runtime.GOOS == "darwin" {
		return "libmp3lame.0.dylib"
	}
	return "libmp3lame.so.0"
}

// lameSymbols are the LAME functions the encoder calls, in the order of the
// fields of lameFuncs.
var lameSymbols = [...]string{
	"lame_init",
	"lame_set_in_samplerate",
	"lame_set_out_samplerate",
	"lame_set_num_channels",
	"lame_set_VBR",
	"lame_set_brate",
	"lame_set_quality",
	"lame_set_bWriteVbrTag",
	"lame_init_params",
	"lame_get_out_samplerate",
	"lame_encode_buffer_interleaved_ieee_float",
	"lame_close",
}

// lameFuncs holds the addresses of the LAME functions, indexed like lameSymbols.
type lameFuncs [len(lameSymbols)]uintptr

const (
	fnInit = iota
	fnSetInSamplerate
	fnSetOutSamplerate
	fnSetNumChannels
	fnSetVBR
	fnSetBrate
	fnSetQuality
	fnSetWriteVbrTag
	fnInitParams
	fnGetOutSamplerate
	fnEncodeFloat
	fnClose
)

// encoder is one LAME encoder instance producing CBR stereo MP3. It is not
// safe for concurrent use; Stream serialises calls with its encMu.
type encoder struct {
	lib    uintptr
	fn     lameFuncs
	gfp    uintptr
	outHz  int
	closed bool
	args   []uintptr // encode's argument list, reused
}

// newEncoder loads LAME and configures a stereo CBR encoder for float input at
// inHz. Its outHz is the MP3 sample rate: inHz when MP3 supports it, else LAME's choice.
// library is the file name of LAME's shared library (lameLibrary()).
func newEncoder(library string, inHz, kbps, quality int) (*encoder, error) {
	lib, err := purego.Dlopen(library, purego.RTLD_NOW|purego.RTLD_LOCAL)
	if err != nil {
		return nil, fmt.Errorf("stream: load MP3 encoder: %s not found: install libmp3lame0: %w", library, err)
	}
	e := &encoder{lib: lib, args: make([]uintptr, 0, 5)}
	for i, name := range lameSymbols {
		addr, err := purego.Dlsym(lib, name)
		if err != nil {
			_ = purego.Dlclose(lib)
			return nil, fmt.Errorf("stream: %s lacks %s (LAME 3.99 or later needed): %w", library, name, err)
		}
		e.fn[i] = addr
	}
	r, _, _ := purego.SyscallN(e.fn[fnInit])
	if r == 0 {
		_ = purego.Dlclose(lib)
		return nil, errors.New("stream: lame_init failed (out of memory?)")
	}
	e.gfp = r
	out := 0
	switch inHz {
	case 32000, 44100, 48000, 16000, 22050, 24000:
		out = inHz
	}
	const vbrOff = 0
	steps := []struct {
		what string
		fn   int
		arg  int
	}{
		{"input sample rate", fnSetInSamplerate, inHz},
		{"output sample rate", fnSetOutSamplerate, out},
		{"channels", fnSetNumChannels, 2},
		{"VBR mode", fnSetVBR, vbrOff},
		{"bitrate", fnSetBrate, kbps},
		{"quality", fnSetQuality, quality},
		// No Xing/Info frame: a live stream has no start to rewrite.
		{"VBR tag", fnSetWriteVbrTag, 0},
	}
	for _, st := range steps {
		if rc := e.call(st.fn, uintptr(st.arg)); rc < 0 {
			e.close()
			return nil, fmt.Errorf("stream: LAME rejected %s %d (code %d)", st.what, st.arg, rc)
		}
	}
	if rc := e.call(fnInitParams); rc < 0 {
		e.close()
		return nil, fmt.Errorf("stream: LAME rejected the settings (%d Hz, %d kb/s, quality %d): lame_init_params code %d",
			inHz, kbps, quality, rc)
	}
	e.outHz = int(e.call(fnGetOutSamplerate))
	return e, nil
}

// call calls LAME function fn with the encoder handle and args and returns its
// C int result.
func (e *encoder) call(fn int, args ...uintptr) int32 {
	var a [4]uintptr
	a[0] = e.gfp
	n := copy(a[1:], args)
	r, _, _ := purego.SyscallN(e.fn[fn], a[:1+n]...)
	return int32(r)
}

// maxMP3Bytes is LAME's documented worst case for the output of n frames.
func maxMP3Bytes(frames int) int { return frames*5/4 + 7200 }

// encode encodes frames stereo frames of interleaved float32 pcm (full scale
// ±1) into out, which must hold maxMP3Bytes(frames), and returns the bytes
// written. It allocates nothing.
//
// The arguments go to SyscallN in a slice kept in e, because a variadic
// argument list escapes (purego marks SyscallN go:uintptrescapes) and would
// cost an allocation per call. Passing the buffers' addresses as stored
// uintptrs is safe here: pcm and out are heap slices that the caller keeps
// referenced (and KeepAlive keeps alive) across the call, and Go's heap does
// not move objects.
func (e *encoder) encode(pcm []float32, frames int, out []byte) (int, error) {
	if frames == 0 {
		return 0, nil
	}
	e.args = append(e.args[:0],
		e.gfp,
		uintptr(unsafe.Pointer(&pcm[0])),
		uintptr(frames),
		uintptr(unsafe.Pointer(&out[0])),
		uintptr(len(out)))
	r, _, _ := purego.SyscallN(e.fn[fnEncodeFloat], e.args...)
	runtime.KeepAlive(pcm)
	runtime.KeepAlive(out)
	if n := int32(r); n < 0 {
		return 0, lameError(n)
	}
	return int(int32(r)), nil
}

// lameError describes a negative return code of lame_encode_buffer*.
type lameError int32

func (c lameError) Error() string {
	switch c {
	case -1:
		return "LAME: output buffer too small"
	case -2:
		return "LAME: out of memory"
	case -3:
		return "LAME: lame_init_params not called"
	case -4:
		return "LAME: psychoacoustic problem"
	}
	return fmt.Sprintf("LAME: error code %d", int32(c))
}

// close frees the encoder and drops the library reference; it is idempotent.
func (e *encoder) close() {
	if e.closed {
		return
	}
	e.closed = true
	if e.gfp != 0 {
		e.call(fnClose)
		e.gfp = 0
	}
	_ = purego.Dlclose(e.lib)
}
