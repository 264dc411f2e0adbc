// Package decode opens a library track for playback: one file decoded,
// trimmed to its real audio and resampled to the engine's rate, as a
// beep.StreamSeeker that cannot hang or crash the engine.
//
// MP3 decodes with libmpg123 (the decoder MPD uses), loaded at run time with
// purego so CGO_ENABLED=0 builds keep working; where the library is missing
// (Debian package libmpg123-0) MP3 decodes with go-mp3 instead, and
// NewOpener says so. FLAC decodes likewise with libsndfile (Debian package
// libsndfile1), which decodes it with libFLAC, the reference decoder, else
// with mewkiz/flac, and Ogg Vorbis
// with libvorbisfile (libvorbisfile3), else with oggvorbis. WAV is read
// directly (beep's wav decoder allocates on every call). MP3 encoder delay and padding, as probed from the LAME tag
// (media.Stream.EncoderDelay and Padding), are trimmed here for both MP3
// decoders (libmpg123's own gapless trimming is off, so both number samples
// alike), so a Track is exactly media.Stream.Samples long at the source rate
// and starts on the first real sample: gapless albums play gapless and
// crossfades land where planned. Resampling is Lagrange interpolation of
// order 2·Quality (beep.Resample's polynomial; see resampler), skipped when
// the rates match. Mono is duplicated to both channels.
//
// Files are untrusted and decoders have bugs. Every call into a Go decoder
// recovers panics; a decoder that fails, panics, stops producing samples
// ("stuck") or ends before the probed length (a file truncated under us)
// ends the Track, and Err says what happened. A file removed while it plays
// plays on: the open file stays readable.
//
// libmpg123 is C: a memory-safety bug in it, triggered by a crafted file,
// could crash the process or worse, where a go-mp3 bug is a recovered
// panic. We take that trade (go-mp3 costs six times the CPU and allocates
// thousands of times per second of audio) because files reach a decoder
// only after the sandboxed probe (a separate process) has walked and
// validated every frame header and test-decoded the file's start (with
// go-mp3), and because mpg123 is the long-fuzzed decoder MPD and most Linux
// players ship. A file changed on disk after its probe is not re-validated.
// The same holds for libsndfile and the libFLAC it decodes with, and for
// libvorbisfile, all fuzzed continuously by OSS-Fuzz; they reopen the file
// by path (the probe's file, unless replaced since).
//
// A Track belongs to one goroutine (the engine's decoder goroutine): it takes
// no locks, and Stream allocates nothing after its first call with
// libmpg123, libsndfile, libvorbisfile and WAV (go-mp3, mewkiz/flac and
// oggvorbis allocate inside themselves). No C library calls back into Go:
// purego's callback dispatch would allocate on every call.
package decode

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/gopxl/beep/v2"
	"github.com/gopxl/beep/v2/flac"
	"github.com/gopxl/beep/v2/mp3"
	"github.com/gopxl/beep/v2/vorbis"

	"attune/media"
	"attune/media/probe"
)

// Quality is the resampler's Lagrange half-order, as in beep.Resample. A
// 10 kHz tone resampled 44.1 → 48 kHz stands this far above the resampling
// error (TestResampler_SNR, against the ideal sine): 15 dB at quality 1,
// 42 at 4, 58 at 6, 66 at 7, 74 at 8, 136 at 16. 8 keeps a margin over the
// 60 dB we require; its cost grows only linearly with the quality here.
const Quality = 8

// mp3Preroll is how many frames before a seek target an MP3 is decoded
// from, by either decoder. go-mp3 decodes one earlier frame itself, which
// leaves the bit reservoir and the filter bank wrong for the first frames
// after the seek point (off by up to 0.2 of full scale; by 0.06 with two more frames
// decoded). Three MPEG-1 frames make a seek exact on the test fixtures; the
// bit reservoir reaches back at most 511 bytes, which at 32 kb/s is five
// frames, so this decodes eight.
const mp3Preroll = 8 * 1152

// flacTailGuard keeps FLAC seeks out of the last frames of a file: beep's
// workaround for mewkiz/flac's last-frame seek (v2.1.1) computes a negative
// offset for a target in the frame before the last, and its next Stream
// panics. A seek there goes to this many frames (one maximal FLAC block and
// one) before the end and decodes forward.
const flacTailGuard = 1<<16 + 1

// Track is one file playing: a beep.StreamSeeker at the engine rate whose
// Len, Position and Seek count frames at that rate. It is not safe for
// concurrent use.
type Track struct {
	file   io.Closer // nil for injected decoders
	src    *source
	rs     *resampler // nil when the rates match
	len    int64
	pos    int64
	done   bool
	err    error
	closed bool
}

var _ beep.StreamSeekCloser = (*Track)(nil)

// Opener opens files for playback. Its zero value (and nil) decodes every
// format in pure Go (go-mp3, mewkiz/flac, oggvorbis); NewOpener's decodes MP3,
// FLAC and Ogg Vorbis with libmpg123, libsndfile and libvorbisfile when those
// libraries load. An Opener is immutable and safe for concurrent use.
type Opener struct {
	mpg123     *mpg123Lib     // nil: go-mp3
	flac       *sndfileLib    // nil: mewkiz/flac
	vorbisfile *vorbisfileLib // nil: oggvorbis
}

// NewOpener returns an Opener that decodes MP3 with libmpg123 (loaded once
// per process; see MPG123Library), or, when the library cannot be loaded,
// with go-mp3; FLAC with libsndfile (SndfileLibrary), else mewkiz/flac; and Ogg
// Vorbis with libvorbisfile (VorbisfileLibrary), else oggvorbis. The Opener
// works either way; a non-nil error says which libraries are not used and
// why, for the caller to log once.
func NewOpener() (*Opener, error) {
	lib, err := defaultMPG123()
	flacLib, flacErr := defaultSndfile()
	vf, vfErr := defaultVorbisfile()
	return &Opener{mpg123: lib, flac: flacLib, vorbisfile: vf}, errors.Join(err, flacErr, vfErr)
}

// openerFor is NewOpener with the library at soname, loaded afresh (tests
// point it at a missing one).
func openerFor(soname string) (*Opener, error) {
	lib, err := loadMPG123(soname)
	return &Opener{mpg123: lib}, err
}

// MP3Decoder names the decoder the Opener uses for MP3: "libmpg123" or
// "go-mp3".
func (o *Opener) MP3Decoder() string {
	if o != nil && o.mpg123 != nil {
		return "libmpg123"
	}
	return "go-mp3"
}

// Open opens the file at path with NewOpener's Opener: MP3, FLAC and Ogg
// Vorbis through their C libraries when they load, else in pure Go.
func Open(ctx context.Context, path string, s media.Stream, rate int) (*Track, error) {
	o, _ := NewOpener()
	return o.Open(ctx, path, s, rate)
}

// Open opens the file at path, whose probed stream is s, for playback at
// rate Hz. It fails when the file cannot be read, its decoder refuses it, or
// the decoder disagrees with the probe about the sample rate.
func (o *Opener) Open(ctx context.Context, path string, s media.Stream, rate int) (*Track, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.SampleRate <= 0 || rate <= 0 || s.Samples < 0 || s.EncoderDelay < 0 {
		return nil, fmt.Errorf("decode %s: invalid stream (%d Hz, %d samples) or engine rate %d Hz", path, s.SampleRate, s.Samples, rate)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	var (
		file    io.Closer = f
		dec     beep.StreamSeeker
		srcRate int
		reopen  reopenFunc
	)
	if s.Format == media.FormatMP3 && o != nil && o.mpg123 != nil {
		// The decoder owns f from here.
		var d *mpg123Decoder
		d, srcRate, err = newMPG123Decoder(o.mpg123, f, int64(s.EncoderDelay)+s.Samples+int64(s.Padding))
		if err != nil {
			return nil, fmt.Errorf("decode %s: %w", path, err)
		}
		file, dec = d, d
		reopen = func() (beep.StreamSeeker, error) { return d, d.restart() }
	} else if s.Format == media.FormatOgg && o != nil && o.vorbisfile != nil {
		if file, dec, srcRate, reopen, err = openVorbisfile(o.vorbisfile, f, path); err != nil {
			return nil, fmt.Errorf("decode %s: %w", path, err)
		}
	} else if s.Format == media.FormatFLAC && o != nil && o.flac != nil {
		var d *sndfileDecoder // owns f from here
		if d, srcRate, err = newSndfileDecoder(o.flac, f, path, s.Samples); err != nil {
			return nil, fmt.Errorf("decode %s: %w", path, err)
		}
		file, dec = d, d
		reopen = func() (beep.StreamSeeker, error) { return d, d.restart() }
	} else {
		fi, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("decode: %w", err)
		}
		open := func() (beep.StreamSeeker, int, error) { return openDecoder(f, fi.Size(), s.Format) }
		dec, srcRate, err = safeOpen(open)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("decode %s: %w", path, err)
		}
		reopen = func() (beep.StreamSeeker, error) {
			dec, _, err := safeOpen(open)
			return dec, err
		}
	}
	if srcRate != s.SampleRate {
		file.Close()
		return nil, fmt.Errorf("decode %s: the decoder reports %d Hz, the probe %d Hz", path, srcRate, s.SampleRate)
	}
	src := newSource(dec, reopen, int64(s.EncoderDelay), s.Samples, 0)
	switch s.Format {
	case media.FormatMP3:
		src.preroll = mp3Preroll
	case media.FormatFLAC:
		if _, ok := dec.(*sndfileDecoder); !ok { // libsndfile seeks into the last frame
			src.seekLimit = s.Samples - flacTailGuard
		}
	}
	t := newTrack(src, s.SampleRate, rate)
	t.file = file
	if err := ctx.Err(); err != nil {
		t.Close()
		return nil, err
	}
	return t, nil
}

// newTrack plays src, at srcRate Hz, at rate Hz.
func newTrack(src *source, srcRate, rate int) *Track {
	t := &Track{src: src, len: src.samples}
	if srcRate != rate {
		t.rs = newResampler(src, srcRate, rate, Quality)
		t.len = t.rs.outLen(src.samples)
	}
	return t
}

// openDecoder opens the decoder for format on a fresh buffered reader of r.
func openDecoder(r io.ReaderAt, size int64, format media.Format) (beep.StreamSeeker, int, error) {
	var (
		dec beep.StreamSeeker
		f   beep.Format
		err error
	)
	switch format {
	case media.FormatMP3:
		dec, f, err = mp3.Decode(probe.NewBufferedReader(r))
	case media.FormatFLAC:
		dec, f, err = flac.Decode(probe.NewBufferedReader(r))
	case media.FormatOgg:
		dec, f, err = vorbis.Decode(probe.NewBufferedReader(r))
	case media.FormatWAV:
		return newPCM(r, size)
	default:
		return nil, 0, fmt.Errorf("%w: %q", media.ErrUnsupported, format)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("the decoder refused the file: %w", err)
	}
	return dec, int(f.SampleRate), nil
}

func safeOpen(open func() (beep.StreamSeeker, int, error)) (dec beep.StreamSeeker, rate int, err error) {
	defer func() {
		if p := recover(); p != nil {
			dec, rate, err = nil, 0, fmt.Errorf("decoder panic: %v", p)
		}
	}()
	return open()
}

// Stream fills samples at the engine rate. When the track ends early, the
// call that returns (0, false) makes Err non-nil.
func (t *Track) Stream(samples [][2]float64) (n int, ok bool) {
	if t.done {
		return 0, false
	}
	want := int(min(int64(len(samples)), t.len-t.pos))
	if want > 0 {
		if t.rs != nil {
			n = t.rs.stream(samples[:want])
		} else {
			n = t.src.read(samples[:want])
		}
	}
	t.pos += int64(n)
	if n == 0 {
		t.done, t.err = true, t.src.err
		return 0, false
	}
	return n, true
}

// Err says why the track ended early: the file is truncated or damaged, the
// decoder failed, panicked or got stuck, or a seek failed. It is nil while
// the track plays and after a complete one.
func (t *Track) Err() error { return t.err }

// Len is the track's length in frames at the engine rate.
func (t *Track) Len() int { return int(t.len) }

// Position is the next frame Stream returns, at the engine rate.
func (t *Track) Position() int { return int(t.pos) }

// Seek makes frame p (at the engine rate, 0 ≤ p ≤ Len) the next one Stream
// returns; the samples are those a continuous run would give there (an MP3
// is decoded from mp3Preroll frames before p for that). A track that has
// failed or is closed does not seek. If the decoder cannot seek there,
// even from the start of the file, the track fails with that error.
func (t *Track) Seek(p int) error {
	switch {
	case t.closed:
		return errors.New("seek: track closed")
	case t.err != nil:
		return fmt.Errorf("seek: the track has failed: %w", t.err)
	case p < 0 || int64(p) > t.len:
		return fmt.Errorf("seek: position %d out of range [0, %d]", p, t.len)
	}
	at := int64(p)
	if t.rs != nil {
		at = max(t.rs.start(int64(p)), 0)
	}
	if err := t.src.seek(at); err != nil {
		t.done, t.err = true, err
		return err
	}
	if t.rs != nil {
		t.rs.reset(int64(p), at)
	}
	t.pos, t.done = int64(p), false
	return nil
}

// Close releases the file. The track streams nothing after it.
func (t *Track) Close() error {
	if t.closed {
		return nil
	}
	t.closed, t.done = true, true
	if t.file != nil {
		return t.file.Close()
	}
	return nil
}
