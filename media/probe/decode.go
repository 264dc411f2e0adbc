package probe

import (
	"errors"
	"fmt"
	"io"

	"github.com/gopxl/beep/v2"
	"github.com/gopxl/beep/v2/flac"
	"github.com/gopxl/beep/v2/mp3"
	"github.com/gopxl/beep/v2/vorbis"
	"github.com/gopxl/beep/v2/wav"
)

// checkFrames is how much audio decodeCheck decodes: enough to run every
// decoder through its setup and first frames (where crafted headers bite),
// little enough that a probe stays cheap.
const checkFrames = 512

// decodeCheck decodes the start of a file with the decoder the engine will use,
// so that the library never accepts a file the engine cannot open. Decoders
// panic on malformed input (go-mp3, oggvorbis, mewkiz/flac); a panic is that
// file's error.
func decodeCheck(r io.ReadSeeker, k kind, wantRate int) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("decoder panic: %v", p)
		}
	}()
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return err
	}
	var (
		s      beep.StreamSeekCloser
		format beep.Format
	)
	// Every decoder closes what it reads when it is closed; the caller
	// owns the file, so each gets a wrapper whose Close does nothing.
	rc := readSeekNopCloser{r}
	switch k {
	case kindMP3:
		s, format, err = mp3.Decode(rc)
	case kindFLAC:
		s, format, err = flac.Decode(rc)
	case kindOgg:
		s, format, err = vorbis.Decode(rc)
	case kindWAV:
		s, format, err = wav.Decode(rc)
	default:
		return fmt.Errorf("no decoder for this format")
	}
	if err != nil {
		return fmt.Errorf("decoder refused the file: %w", err)
	}
	defer s.Close()
	if int(format.SampleRate) != wantRate {
		return fmt.Errorf("the decoder reports %d Hz, the headers say %d Hz", format.SampleRate, wantRate)
	}
	var buf [512][2]float64
	total, stalls := 0, 0
	for total < checkFrames {
		n, ok := s.Stream(buf[:])
		total += n
		if !ok {
			break
		}
		if n == 0 {
			// A decoder that keeps saying "more to come" and gives nothing
			// would hang the engine.
			if stalls++; stalls > 8 {
				return errors.New("the decoder returns no samples")
			}
		}
	}
	if err := s.Err(); err != nil {
		return fmt.Errorf("decoding failed: %w", err)
	}
	if total == 0 {
		return errors.New("the decoder produced no audio")
	}
	return nil
}

// readSeekNopCloser lets a decoder read (and, by type assertion, seek) a
// file it must not close.
type readSeekNopCloser struct{ io.ReadSeeker }

func (readSeekNopCloser) Close() error { return nil }
