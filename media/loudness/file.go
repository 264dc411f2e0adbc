package loudness

import (
	"context"
	"fmt"

	"attune/media"
	"attune/media/decode"
)

// fileChunk is how many frames MeasureFile decodes between looks at its
// context: 4096 frames is under 0.1 s of audio, a few milliseconds of work.
const fileChunk = 4096

// MeasureFile measures the file at path, whose probed stream is s, at its own
// sample rate (no resampling: decode.Open at s.SampleRate leaves the samples
// as decoded). Mono and stereo files are measured; files of more channels
// fail with media.ErrUnsupported, as media/decode gives only two of them. It
// stops with ctx's error when ctx ends, and fails when the file cannot be
// decoded to its end.
func MeasureFile(ctx context.Context, path string, s media.Stream) (Result, error) {
	if s.Channels < 1 || s.Channels > 2 {
		return Result{}, fmt.Errorf("measure loudness of %s: %w", path,
			media.Unsupportedf("%d channels: only mono and stereo are decoded", s.Channels))
	}
	m, err := New(s.SampleRate, s.Channels)
	if err != nil {
		return Result{}, fmt.Errorf("measure loudness of %s: %w", path, err)
	}
	tr, err := decode.Open(ctx, path, s, s.SampleRate)
	if err != nil {
		return Result{}, fmt.Errorf("measure loudness of %s: %w", path, err)
	}
	defer tr.Close()
	buf := make([][2]float64, fileChunk)
	for {
		if err := ctx.Err(); err != nil {
			return Result{}, fmt.Errorf("measure loudness of %s: %w", path, err)
		}
		n, ok := tr.Stream(buf)
		m.AddFrames(buf[:n])
		if !ok {
			break
		}
	}
	if err := tr.Err(); err != nil {
		return Result{}, fmt.Errorf("measure loudness of %s: %w", path, err)
	}
	if m.frames != int64(tr.Len()) {
		return Result{}, fmt.Errorf("measure loudness of %s: %w", path,
			media.Invalidf("decoded %d of its %d frames", m.frames, tr.Len()))
	}
	return m.Result(), nil
}
