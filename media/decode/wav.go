package decode

import (
	"errors"
	"fmt"
	"io"

	"attune/media/probe/wavfile"
)

// pcm streams the data chunk of a PCM WAV file (8-bit unsigned, 16- or
// 24-bit signed, the encodings the library accepts). It replaces beep's wav
// decoder, which allocates a buffer on every Stream call; the conversions
// are the same as beep's.
type pcm struct {
	r        io.ReaderAt
	off      int64 // the data chunk
	frames   int64
	align    int // bytes per frame
	bytes    int // bytes per sample
	channels int
	pos      int64
	buf      []byte
	err      error
}

func newPCM(r io.ReaderAt, size int64) (*pcm, int, error) {
	info, err := wavfile.Parse(r, size)
	if err != nil {
		return nil, 0, err
	}
	bytes := info.BitDepth / 8
	if info.Codec != "pcm_u8" && info.Codec != "pcm_s16le" && info.Codec != "pcm_s24le" ||
		info.BitDepth != 8*bytes || info.Channels < 1 || info.BlockAlign < bytes*info.Channels {
		return nil, 0, fmt.Errorf("unsupported WAV encoding %s, %d bits, %d channels", info.Codec, info.BitDepth, info.Channels)
	}
	return &pcm{
		r: r, off: info.DataOffset, frames: info.DataSize / int64(info.BlockAlign),
		align: info.BlockAlign, bytes: bytes, channels: info.Channels,
		buf: make([]byte, 4096*info.BlockAlign),
	}, info.SampleRate, nil
}

func (d *pcm) Stream(samples [][2]float64) (int, bool) {
	if d.err != nil || d.pos >= d.frames {
		return 0, false
	}
	want := int(min(int64(len(samples)), d.frames-d.pos, int64(len(d.buf)/d.align)))
	got, err := d.r.ReadAt(d.buf[:want*d.align], d.off+d.pos*int64(d.align))
	n := got / d.align
	right := 0
	if d.channels > 1 {
		right = d.bytes
	}
	for i := range n {
		f := d.buf[i*d.align:]
		samples[i] = [2]float64{d.sample(f), d.sample(f[right:])}
	}
	d.pos += int64(n)
	if n < want {
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		d.err = fmt.Errorf("wav: read: %w", err)
		return n, n > 0
	}
	return n, true
}

func (d *pcm) sample(b []byte) float64 {
	switch d.bytes {
	case 1:
		return float64(b[0])/(1<<8)*2 - 1
	case 2:
		return float64(int16(uint16(b[0])|uint16(b[1])<<8)) / (1 << 15)
	default:
		return float64(int32(uint32(b[0])<<8|uint32(b[1])<<16|uint32(b[2])<<24)>>8) / (1 << 23)
	}
}

// Err is the read error that ended the stream early.
func (d *pcm) Err() error { return d.err }

func (d *pcm) Len() int      { return int(d.frames) }
func (d *pcm) Position() int { return int(d.pos) }

func (d *pcm) Seek(p int) error {
	if p < 0 || int64(p) > d.frames {
		return errors.New("wav: seek out of range")
	}
	d.pos, d.err = int64(p), nil
	return nil
}
