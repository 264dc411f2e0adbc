// Package probe reads what an audio file is — format, stream parameters,
// exact length, tags — and whether attune can play it, from the file's own
// bytes (never its name). Files are untrusted: the format parsers in the
// subpackages validate structure without trusting sizes, and this package
// turns every failure into one clear error. It runs inside media/sandbox's
// child processes, which catch what no parser can (a fatal out-of-memory).
package probe

import (
	"context"
	"fmt"
	"io"
	"os"

	"attune/media"
	"attune/media/probe/flacfile"
	"attune/media/probe/mpeg"
	"attune/media/probe/oggfile"
	"attune/media/probe/wavfile"
)

// File probes the file at path. Errors wrap media.ErrUnsupported (a format
// attune recognizes but does not play) or media.ErrInvalid (damaged, or not
// audio), and say why in one line without the path.
func File(ctx context.Context, path string) (media.Info, error) {
	f, err := os.Open(path)
	if err != nil {
		return media.Info{}, fmt.Errorf("%w: %v", media.ErrInvalid, unwrapPath(err))
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return media.Info{}, fmt.Errorf("%w: %v", media.ErrInvalid, unwrapPath(err))
	}
	info, err := Reader(ctx, NewBufferedReader(f), fi.Size())
	if err != nil {
		return media.Info{}, err
	}
	if info.Tags.Title == "" {
		info.Tags.Title = titleFromPath(path)
	}
	return info, nil
}

// ReadSeekerAt is what Reader needs of a file.
type ReadSeekerAt interface {
	io.ReadSeeker
	io.ReaderAt
}

// Reader probes a file's bytes. The title is left empty when the file has
// none; File falls back to the file's name.
func Reader(ctx context.Context, r ReadSeekerAt, size int64) (media.Info, error) {
	if size == 0 {
		return media.Info{}, invalid("empty file (0 bytes)")
	}
	head := make([]byte, sniffLen)
	n, err := r.ReadAt(head, 0)
	if err != nil && err != io.EOF {
		return media.Info{}, invalid("read: %v", err)
	}
	head = head[:n]
	k, name := sniff(head)
	if tagLen := id3v2Size(head); tagLen > 0 {
		// An ID3v2 tag comes before MP3 audio, and sometimes before FLAC.
		if tagLen >= size {
			return media.Info{}, invalid("MP3: truncated inside the ID3v2 tag (it claims %d bytes, the file has %d)", tagLen, size)
		}
		after := make([]byte, sniffLen)
		n, err := r.ReadAt(after, tagLen)
		if err != nil && err != io.EOF {
			return media.Info{}, invalid("read: %v", err)
		}
		k, name = sniff(after[:n])
		if k == kindUnknown || k == kindText {
			k, name = kindMP3, "MP3" // let the MPEG parser find (or not find) frames after junk
		}
	}
	switch k {
	case kindUnsupported:
		return media.Info{}, fmt.Errorf("%w: %s", media.ErrUnsupported, name)
	case kindText:
		return media.Info{}, invalid("not an audio file: it contains text")
	case kindUnknown:
		return media.Info{}, invalid("not an audio file: its contents match no known audio format")
	}
	if err := ctx.Err(); err != nil {
		return media.Info{}, err
	}

	var info media.Info
	switch k {
	case kindMP3:
		info, err = probeMP3(r, size)
	case kindFLAC:
		info, err = probeFLAC(r, size)
	case kindOgg:
		info, err = probeOgg(r, size)
	case kindWAV:
		info, err = probeWAV(r, size)
	}
	if err != nil {
		return media.Info{}, err
	}
	if k != kindWAV {
		// Damaged tags on playable audio cost the tags, not the music.
		if tags, err := readTags(r); err == nil {
			info.Tags = tags
		}
	}
	if err := ctx.Err(); err != nil {
		return media.Info{}, err
	}
	if err := decodeCheck(r, k, info.Stream.SampleRate); err != nil {
		return media.Info{}, invalid("%s: %v", formatName(k), err)
	}
	return info, nil
}

func probeMP3(r io.ReaderAt, size int64) (media.Info, error) {
	m, err := mpeg.Parse(r, size)
	if err != nil {
		return media.Info{}, invalid("MP3: %v", err)
	}
	if m.Layer != 3 {
		return media.Info{}, fmt.Errorf("%w: MPEG-%s Layer %s audio (MP%d); attune plays Layer III (MP3)",
			media.ErrUnsupported, m.Version, roman(m.Layer), m.Layer)
	}
	// go-mp3 decodes every frame, the Xing/Info frame too (as silence);
	// say where in its output the real audio lies.
	decoded := m.Frames * int64(m.SamplesPerFrame)
	if m.Tag != "" {
		decoded += int64(m.SamplesPerFrame)
	}
	lead := m.LeadingSamples()
	return media.Info{Stream: media.Stream{
		Format:       media.FormatMP3,
		Codec:        "mp3",
		SampleRate:   m.SampleRate,
		Channels:     m.Channels,
		BitRate:      m.BitRate,
		Samples:      m.Samples,
		EncoderDelay: int(lead),
		Padding:      int(max(decoded-lead-m.Samples, 0)),
	}}, nil
}

func probeFLAC(r io.ReaderAt, size int64) (media.Info, error) {
	fl, err := flacfile.Parse(r, size)
	if err != nil {
		return media.Info{}, invalid("FLAC: %v", err)
	}
	return media.Info{Stream: media.Stream{
		Format:     media.FormatFLAC,
		Codec:      "flac",
		SampleRate: fl.SampleRate,
		Channels:   fl.Channels,
		BitDepth:   fl.BitDepth,
		BitRate:    fl.BitRate,
		Samples:    fl.Samples,
	}}, nil
}

func probeOgg(r io.ReaderAt, size int64) (media.Info, error) {
	o, err := oggfile.Parse(r, size)
	if err != nil {
		return media.Info{}, invalid("Ogg: %v", err)
	}
	switch o.Codec {
	case "vorbis":
	case "opus":
		return media.Info{}, fmt.Errorf("%w: Opus (in Ogg)", media.ErrUnsupported)
	case "flac":
		return media.Info{}, fmt.Errorf("%w: FLAC in an Ogg container (use native .flac)", media.ErrUnsupported)
	case "":
		return media.Info{}, invalid("Ogg: the stream holds no audio codec attune knows")
	default:
		return media.Info{}, fmt.Errorf("%w: %s (in Ogg)", media.ErrUnsupported, o.Codec)
	}
	return media.Info{Stream: media.Stream{
		Format:     media.FormatOgg,
		Codec:      "vorbis",
		SampleRate: o.SampleRate,
		Channels:   o.Channels,
		BitRate:    o.BitRate,
		Samples:    o.Samples,
	}}, nil
}

func probeWAV(r io.ReaderAt, size int64) (media.Info, error) {
	w, err := wavfile.Parse(r, size)
	if err != nil {
		return media.Info{}, invalid("WAV: %v", err)
	}
	return media.Info{
		Stream: media.Stream{
			Format:     media.FormatWAV,
			Codec:      w.Codec,
			SampleRate: w.SampleRate,
			Channels:   w.Channels,
			BitDepth:   w.BitDepth,
			BitRate:    w.BitRate,
			Samples:    w.Samples,
		},
		Tags: media.Tags{
			Title:      w.Tags.Title,
			Artist:     w.Tags.Artist,
			Album:      w.Tags.Album,
			Genre:      w.Tags.Genre,
			Comment:    w.Tags.Comment,
			Year:       w.Tags.Year,
			Track:      w.Tags.Track,
			HasPicture: w.Tags.HasPicture,
		},
	}, nil
}

// invalid is a media.ErrInvalid with a reason.
func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", media.ErrInvalid, fmt.Sprintf(format, args...))
}

func formatName(k kind) string {
	switch k {
	case kindMP3:
		return "MP3"
	case kindFLAC:
		return "FLAC"
	case kindOgg:
		return "Ogg Vorbis"
	case kindWAV:
		return "WAV"
	}
	return "audio"
}

func roman(layer int) string {
	return [...]string{"?", "I", "II", "III"}[min(max(layer, 0), 3)]
}

// unwrapPath drops the path from an *os.PathError: callers print it already.
func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
