//go:build darwin || freebsd || linux || netbsd

package decode

import (
	"fmt"
	"runtime"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"
)

// This file loads libFLAC at run time with purego, so CGO_ENABLED=0 builds
// keep working and a machine without the library falls back to mewkiz/flac
// (libflac_stream.go has the per-file decoder).

// FLACLibrary is the file name of libFLAC's shared library on this platform
// (Debian's package libflac12 installs it).
func FLACLibrary() string {
	if runtime.GOOS == "darwin" {
		return "libFLAC.12.dylib"
	}
	return "libFLAC.so.12"
}

// Constants from FLAC/stream_decoder.h (libFLAC 1.4; the ABI of soname 12).
const (
	flacInitOK         = 0 // FLAC__STREAM_DECODER_INIT_STATUS_OK
	flacStateEnd       = 4 // FLAC__STREAM_DECODER_END_OF_STREAM
	flacStateSeekError = 6 // FLAC__STREAM_DECODER_SEEK_ERROR
	flacWriteContinue  = 0 // FLAC__STREAM_DECODER_WRITE_STATUS_CONTINUE
	flacWriteAbort     = 1 // FLAC__STREAM_DECODER_WRITE_STATUS_ABORT
	flacStreamInfo     = 0 // FLAC__METADATA_TYPE_STREAMINFO
)

// Offsets into libFLAC's structs (FLAC/format.h), which every callback
// reads. FLAC__FrameHeader starts with six 32-bit fields: blocksize,
// sample_rate, channels, channel_assignment, bits_per_sample, number_type.
// FLAC__StreamMetadata is type, is_last and length (32 bits each), then its
// data union, aligned to 8 bytes (StreamInfo holds a FLAC__uint64):
// min_blocksize, max_blocksize, min_framesize, max_framesize, sample_rate,
// channels, bits_per_sample (32 bits each), then total_samples at 48.
const (
	flacFrameBlocksize     = 0
	flacFrameChannels      = 8
	flacFrameBitsPerSample = 16

	flacMetaType          = 0
	flacInfoMaxBlocksize  = 20
	flacInfoSampleRate    = 32
	flacInfoChannels      = 36
	flacInfoBitsPerSample = 40
	flacInfoTotalSamples  = 48
	flacMaxBlocksize      = 65535 // the format's limit
	flacMaxBitsPerSample  = 32
)

// flacLib is libFLAC, loaded: a function table and the three callbacks
// every decoder of the process shares. It is never unloaded.
//
// The callbacks are why it holds mutable state, the registry of open
// decoders. purego callbacks are limited per process (about 2000) and never
// freed, so one set is made when the library loads, not one per decoder;
// and C must not keep a Go pointer, so the client_data libFLAC hands back to
// them is a small integer, which the registry maps to its decoder's state.
// The mutex guards only the map (lookups are two map operations under it,
// no allocation); each decoder's state is touched by one goroutine only,
// the one whose call into libFLAC runs the callback.
type flacLib struct {
	libraryName string

	// Cold-path calls go through purego.RegisterFunc for typed arguments.
	newDecoder func() uintptr
	initFile   func(dec uintptr, path string, write, metadata, errcb, client uintptr) int32
	finish     func(dec uintptr) bool
	delete     func(dec uintptr)
	flush      func(dec uintptr) bool
	untilMeta  func(dec uintptr) bool

	// The calls of a playing track go through purego.SyscallN:
	// RegisterFunc's wrappers use reflection and allocate on every call.
	processSingle uintptr // FLAC__bool FLAC__stream_decoder_process_single(FLAC__StreamDecoder*)
	seekAbsolute  uintptr // FLAC__bool FLAC__stream_decoder_seek_absolute(FLAC__StreamDecoder*, FLAC__uint64)
	getState      uintptr // FLAC__StreamDecoderState FLAC__stream_decoder_get_state(const FLAC__StreamDecoder*)

	writeCallback, metadataCallback, errorCallback uintptr

	mu      sync.Mutex
	streams map[uintptr]*flacStream
	next    uintptr
}

// defaultFLAC loads libFLAC once per process, for the same reasons as
// defaultMPG123; it also makes the callbacks only once.
var defaultFLAC = sync.OnceValues(func() (*flacLib, error) { return loadFLAC(FLACLibrary()) })

// loadFLAC loads the library at soname (FLACLibrary() but for tests).
func loadFLAC(soname string) (*flacLib, error) {
	h, err := purego.Dlopen(soname, purego.RTLD_NOW|purego.RTLD_LOCAL)
	if err != nil {
		return nil, fmt.Errorf("load libFLAC: %s not found (install libflac12): %w", soname, err)
	}
	lib := &flacLib{libraryName: soname, streams: map[uintptr]*flacStream{}}
	for _, f := range []struct {
		name string
		fptr any
	}{
		{"FLAC__stream_decoder_new", &lib.newDecoder},
		{"FLAC__stream_decoder_init_file", &lib.initFile},
		{"FLAC__stream_decoder_finish", &lib.finish},
		{"FLAC__stream_decoder_delete", &lib.delete},
		{"FLAC__stream_decoder_flush", &lib.flush},
		{"FLAC__stream_decoder_process_until_end_of_metadata", &lib.untilMeta},
	} {
		sym, err := purego.Dlsym(h, f.name)
		if err != nil {
			_ = purego.Dlclose(h)
			return nil, fmt.Errorf("load libFLAC: %s lacks %s: %w", soname, f.name, err)
		}
		purego.RegisterFunc(f.fptr, sym)
	}
	for _, f := range []struct {
		name string
		sym  *uintptr
	}{
		{"FLAC__stream_decoder_process_single", &lib.processSingle},
		{"FLAC__stream_decoder_seek_absolute", &lib.seekAbsolute},
		{"FLAC__stream_decoder_get_state", &lib.getState},
	} {
		if *f.sym, err = purego.Dlsym(h, f.name); err != nil {
			_ = purego.Dlclose(h)
			return nil, fmt.Errorf("load libFLAC: %s lacks %s: %w", soname, f.name, err)
		}
	}
	lib.writeCallback = purego.NewCallback(lib.write)
	lib.metadataCallback = purego.NewCallback(lib.metadata)
	lib.errorCallback = purego.NewCallback(lib.error)
	return lib, nil
}

// register gives st a client_data handle for the callbacks.
func (l *flacLib) register(st *flacStream) uintptr {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.next++
	l.streams[l.next] = st
	return l.next
}

func (l *flacLib) unregister(handle uintptr) {
	l.mu.Lock()
	delete(l.streams, handle)
	l.mu.Unlock()
}

func (l *flacLib) lookup(handle uintptr) *flacStream {
	l.mu.Lock()
	st := l.streams[handle]
	l.mu.Unlock()
	return st
}

// write is libFLAC's write callback:
//
//	FLAC__StreamDecoderWriteStatus (*)(const FLAC__StreamDecoder *decoder,
//	    const FLAC__Frame *frame, const FLAC__int32 *const buffer[], void *client_data)
//
// It converts the frame's samples into the decoder's buffer, which Stream
// has emptied before the call that decodes a frame. A frame larger than
// the buffer or with an impossible sample size aborts decoding.
func (l *flacLib) write(_ uintptr, frame, buffer unsafe.Pointer, client uintptr) uintptr {
	st := l.lookup(client)
	if st == nil {
		return flacWriteAbort
	}
	blocksize := int(*(*uint32)(unsafe.Add(frame, flacFrameBlocksize)))
	channels := int(*(*uint32)(unsafe.Add(frame, flacFrameChannels)))
	bps := int(*(*uint32)(unsafe.Add(frame, flacFrameBitsPerSample)))
	if blocksize > len(st.buf) || channels < 1 || bps < 1 || bps > flacMaxBitsPerSample {
		st.fail(fmt.Errorf("libFLAC: a frame of %d samples, %d channels, %d bits (buffer %d samples)", blocksize, channels, bps, len(st.buf)))
		return flacWriteAbort
	}
	chans := (*[2]*int32)(buffer)
	left := unsafe.Slice(chans[0], blocksize)
	right := left
	if channels > 1 {
		right = unsafe.Slice(chans[1], blocksize)
	}
	// The same arithmetic as beep's flac decoder, so both decoders give
	// the same float64 samples.
	q := 1 / float64(int64(1)<<(bps-1))
	out := st.buf[:blocksize]
	for i := range out {
		out[i] = [2]float64{float64(left[i]) * q, float64(right[i]) * q}
	}
	st.off, st.have = 0, blocksize
	return flacWriteContinue
}

// metadata is libFLAC's metadata callback, which receives STREAMINFO only
// (libFLAC's default):
//
//	void (*)(const FLAC__StreamDecoder *decoder, const FLAC__StreamMetadata *metadata, void *client_data)
func (l *flacLib) metadata(_ uintptr, meta unsafe.Pointer, client uintptr) {
	st := l.lookup(client)
	if st == nil || *(*uint32)(unsafe.Add(meta, flacMetaType)) != flacStreamInfo {
		return
	}
	st.info = flacInfo{
		maxBlocksize:  int(*(*uint32)(unsafe.Add(meta, flacInfoMaxBlocksize))),
		sampleRate:    int(*(*uint32)(unsafe.Add(meta, flacInfoSampleRate))),
		channels:      int(*(*uint32)(unsafe.Add(meta, flacInfoChannels))),
		bitsPerSample: int(*(*uint32)(unsafe.Add(meta, flacInfoBitsPerSample))),
		totalSamples:  int64(*(*uint64)(unsafe.Add(meta, flacInfoTotalSamples))),
		seen:          true,
	}
}

// error is libFLAC's error callback:
//
//	void (*)(const FLAC__StreamDecoder *decoder, FLAC__StreamDecoderErrorStatus status, void *client_data)
//
// libFLAC would resynchronise and go on; a damaged file ends the track
// instead, as it does with mewkiz/flac, so the engine fades it out.
func (l *flacLib) error(_ uintptr, status uintptr, client uintptr) {
	st := l.lookup(client)
	if st == nil {
		return
	}
	code := int32(uint32(status)) // an enum: only the low 32 bits are defined
	st.fail(fmt.Errorf("libFLAC: %s (status %d)", flacErrorName(code), code))
}

// flacErrorName names a FLAC__StreamDecoderErrorStatus.
func flacErrorName(code int32) string {
	switch code {
	case 0:
		return "lost sync"
	case 1:
		return "bad header"
	case 2:
		return "frame CRC mismatch"
	case 3:
		return "unparseable stream"
	case 4:
		return "bad metadata"
	case 5:
		return "out of bounds"
	case 6:
		return "missing frame"
	}
	return "unknown error"
}
