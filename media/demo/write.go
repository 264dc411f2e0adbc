package demo

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/mewkiz/flac"
	"github.com/mewkiz/flac/frame"
	"github.com/mewkiz/flac/meta"

	"attune/media"
)

// blockFrames is the FLAC block size, and the frames rendered at a time.
const blockFrames = 4096

// Write renders every piece of Pieces into dir, which must exist, as
// "Attune Demo – Title.flac" (or .wav), and returns their paths in the
// order of Pieces. See Render.
func Write(ctx context.Context, dir string) ([]string, error) {
	return Render(ctx, dir, Pieces())
}

// Render renders pieces into dir, which must exist, on as many goroutines
// as GOMAXPROCS allows, and returns their paths in the order given. Each
// file appears whole (written aside, then renamed) and replaces a file of
// its name. On error, including ctx ending, no file of this call is left.
func Render(ctx context.Context, dir string, pieces []Piece) ([]string, error) {
	paths := make([]string, len(pieces))
	errs := make([]error, len(pieces))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(pieces)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				paths[i], errs[i] = writePiece(ctx, dir, pieces[i])
			}
		}()
	}
	for i := range pieces {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		for _, p := range paths {
			if p != "" {
				_ = os.Remove(p)
			}
		}
		return nil, err
	}
	return paths, nil
}

// writePiece renders p into dir and returns its path.
func writePiece(ctx context.Context, dir string, p Piece) (path string, err error) {
	path = filepath.Join(dir, p.FileName())
	tmp, err := os.CreateTemp(dir, ".demo-*")
	if err != nil {
		return "", fmt.Errorf("render %s: %w", p.FileName(), err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	w := &fileBuffer{Writer: bufio.NewWriterSize(tmp, 1<<16), f: tmp}
	switch p.Format {
	case media.FormatFLAC:
		err = encodeFLAC(ctx, w, p)
	case media.FormatWAV:
		err = encodeWAV(ctx, w, p)
	default:
		err = fmt.Errorf("format %q: want flac or wav", p.Format)
	}
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = tmp.Chmod(0o644)
	}
	if err == nil {
		err = tmp.Close()
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return "", fmt.Errorf("render %s: %w", p.FileName(), err)
	}
	return path, nil
}

// fileBuffer buffers writes to a file and can seek it, for the FLAC
// encoder, which rewrites its header when it closes.
type fileBuffer struct {
	*bufio.Writer
	f *os.File
}

// Seek flushes what is buffered and seeks the file.
func (b *fileBuffer) Seek(offset int64, whence int) (int64, error) {
	if err := b.Flush(); err != nil {
		return 0, err
	}
	return b.f.Seek(offset, whence)
}

// blocks renders p a block at a time, as 16-bit samples, and hands each
// block's left and right channels to fn.
func blocks(ctx context.Context, p Piece, fn func(l, r []int32) error) error {
	s := newSynth(p)
	fl, fr := make([]float64, blockFrames), make([]float64, blockFrames)
	il, ir := make([]int32, blockFrames), make([]int32, blockFrames)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := s.render(fl, fr)
		if n == 0 {
			return nil
		}
		for i := range n {
			il[i], ir[i] = quantize(fl[i]), quantize(fr[i])
		}
		if err := fn(il[:n], ir[:n]); err != nil {
			return err
		}
	}
}

// quantize rounds a sample to 16 bits (no dither: the output must be the
// same bytes every run, and the pieces never come near full scale).
func quantize(x float64) int32 {
	return int32(min(max(math.Round(x*32767), -32768), 32767))
}

// encodeFLAC writes p as a 16-bit stereo FLAC file with a Vorbis comment.
// Each channel is a fixed predictor of order 2 or 3 (whichever leaves the
// smaller residual) with one Rice parameter: mewkiz/flac's own analysis
// tries every order and parameter and is four times slower, for files a
// few percent smaller.
func encodeFLAC(ctx context.Context, w io.Writer, p Piece) error {
	info := &meta.StreamInfo{
		BlockSizeMin: blockFrames, BlockSizeMax: blockFrames, SampleRate: SampleRate,
		NChannels: 2, BitsPerSample: 16, NSamples: uint64(frames(p.Length)),
	}
	vc := &meta.VorbisComment{Vendor: "attune demo", Tags: [][2]string{
		{"TITLE", p.Title}, {"ARTIST", p.Artist}, {"ALBUM", p.Album},
	}}
	n := 4 + len(vc.Vendor) + 4
	for _, kv := range vc.Tags {
		n += 4 + len(kv[0]) + 1 + len(kv[1])
	}
	// The encoder writes the block header as given: the length is ours to set.
	block := &meta.Block{Header: meta.Header{Type: meta.TypeVorbisComment, Length: int64(n)}, Body: vc}
	enc, err := flac.NewEncoder(w, info, block)
	if err != nil {
		return fmt.Errorf("start FLAC stream: %w", err)
	}
	enc.EnablePredictionAnalysis(false)
	err = blocks(ctx, p, func(l, r []int32) error {
		f := &frame.Frame{
			Header: frame.Header{HasFixedBlockSize: true, BlockSize: uint16(len(l)), SampleRate: SampleRate,
				Channels: frame.ChannelsLR, BitsPerSample: 16},
			Subframes: []*frame.Subframe{subframe(l), subframe(r)},
		}
		if err := enc.WriteFrame(f); err != nil {
			return fmt.Errorf("write FLAC frame: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("finish FLAC stream: %w", err)
	}
	return nil
}

// subframe codes one channel of a block with a fixed predictor.
func subframe(x []int32) *frame.Subframe {
	sf := &frame.Subframe{Samples: x, NSamples: len(x)}
	if len(x) <= 3 {
		sf.Pred = frame.PredVerbatim
		return sf
	}
	var sum2, sum3 uint64
	for i := 3; i < len(x); i++ {
		e2 := x[i] - 2*x[i-1] + x[i-2]
		e3 := x[i] - 3*x[i-1] + 3*x[i-2] - x[i-3]
		sum2 += uint64(zigzag(e2))
		sum3 += uint64(zigzag(e3))
	}
	order, sum := 2, sum2
	if sum3 < sum2 {
		order, sum = 3, sum3
	}
	// The Rice parameter that codes residuals of this mean size best is
	// about log2 of the mean (FLAC's own estimate).
	k := uint(0)
	if mean := sum / uint64(len(x)-3); mean > 0 {
		k = uint(min(bits.Len64(mean)-1, 14))
	}
	sf.Pred, sf.Order = frame.PredFixed, order
	sf.ResidualCodingMethod = frame.ResidualCodingMethodRice1
	sf.RiceSubframe = &frame.RiceSubframe{Partitions: []frame.RicePartition{{Param: k}}}
	return sf
}

func zigzag(x int32) uint32 { return uint32(x<<1) ^ uint32(x>>31) }

// encodeWAV writes p as a 16-bit stereo PCM WAV file whose LIST/INFO chunk
// names the title, artist and album (media/probe reads them).
func encodeWAV(ctx context.Context, w io.Writer, p Piece) error {
	var info bytes.Buffer
	info.WriteString("INFO")
	for _, f := range [][2]string{{"INAM", p.Title}, {"IART", p.Artist}, {"IPRD", p.Album}} {
		writeChunk(&info, f[0], append([]byte(f[1]), 0))
	}
	dataSize := frames(p.Length) * 4
	var head bytes.Buffer
	head.WriteString("RIFF")
	riff := 4 + (8 + 16) + (8 + int64(info.Len())) + (8 + dataSize)
	if riff > math.MaxUint32 {
		return fmt.Errorf("%s is too long for a WAV file", p.Length)
	}
	head.Write(binary.LittleEndian.AppendUint32(nil, uint32(riff)))
	head.WriteString("WAVE")
	fmtChunk := make([]byte, 16)
	binary.LittleEndian.PutUint16(fmtChunk[0:], 1) // PCM
	binary.LittleEndian.PutUint16(fmtChunk[2:], 2)
	binary.LittleEndian.PutUint32(fmtChunk[4:], SampleRate)
	binary.LittleEndian.PutUint32(fmtChunk[8:], SampleRate*4)
	binary.LittleEndian.PutUint16(fmtChunk[12:], 4)
	binary.LittleEndian.PutUint16(fmtChunk[14:], 16)
	writeChunk(&head, "fmt ", fmtChunk)
	writeChunk(&head, "LIST", info.Bytes())
	head.WriteString("data")
	head.Write(binary.LittleEndian.AppendUint32(nil, uint32(dataSize)))
	if _, err := w.Write(head.Bytes()); err != nil {
		return fmt.Errorf("write WAV header: %w", err)
	}
	buf := make([]byte, 0, blockFrames*4)
	return blocks(ctx, p, func(l, r []int32) error {
		buf = buf[:0]
		for i := range l {
			buf = binary.LittleEndian.AppendUint16(buf, uint16(int16(l[i])))
			buf = binary.LittleEndian.AppendUint16(buf, uint16(int16(r[i])))
		}
		if _, err := w.Write(buf); err != nil {
			return fmt.Errorf("write WAV samples: %w", err)
		}
		return nil
	})
}

// writeChunk appends a RIFF chunk, padded to an even length.
func writeChunk(b *bytes.Buffer, id string, body []byte) {
	b.WriteString(id)
	b.Write(binary.LittleEndian.AppendUint32(nil, uint32(len(body))))
	b.Write(body)
	if len(body)%2 == 1 {
		b.WriteByte(0)
	}
}
