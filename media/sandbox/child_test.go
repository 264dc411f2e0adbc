package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"attune/media"
)

// The test binary is also the child: with childEnv set, TestMain serves the
// protocol with fakeProbe instead of running tests.
const childEnv = "ATTUNE_SANDBOX_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		if err := ServeChild(context.Background(), fakeProbe); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// fakeProbe misbehaves as the file name says: "ok-…" returns sampleInfo,
// "oom" allocates until the memory limit kills it, "hang" spins, and so on.
func fakeProbe(ctx context.Context, path string) (media.Info, error) {
	name := filepath.Base(path)
	kind, arg, _ := strings.Cut(name, "-")
	switch kind {
	case "ok":
		return sampleInfo(path), nil
	case "invalid":
		return media.Info{}, fmt.Errorf("read the header of %s: %w", path, media.ErrInvalid)
	case "unsupported":
		return media.Info{}, fmt.Errorf("%s: AAC in MP4: %w", path, media.ErrUnsupported)
	case "both":
		return media.Info{}, errors.Join(media.ErrInvalid, media.ErrUnsupported)
	case "plain":
		return media.Info{}, errors.New("disk on fire")
	case "panic":
		panic("bad frame " + arg)
	case "oom":
		// What a decoder does when a crafted header asks for 8 GiB: allocate
		// it block by block and fill it.
		var blocks [][]byte
		for range 8 << 10 {
			b := make([]byte, 1<<20)
			for i := 0; i < len(b); i += 4096 {
				b[i] = 1
			}
			blocks = append(blocks, b)
		}
		return media.Info{Stream: media.Stream{Samples: int64(len(blocks))}}, nil
	case "hang":
		for x := 0; ; x++ { // an endless decode loop
			if x < 0 {
				return media.Info{}, nil
			}
		}
	case "sleep":
		ms, _ := strconv.Atoi(arg)
		time.Sleep(time.Duration(ms) * time.Millisecond)
		return sampleInfo(path), nil
	case "exit3":
		os.Exit(3)
	case "stdout":
		// A decoder that prints debug output, some of it protocol-shaped.
		fmt.Println(`{"id":1,"info":{}}`)
		fmt.Print("junk without a newline")
		os.Stdout.Sync()
		fmt.Fprintln(os.Stderr, "panic: not really, just a log line")
		return sampleInfo(path), nil
	case "stdin":
		b, err := io.ReadAll(os.Stdin)
		if err != nil || len(b) > 0 {
			return media.Info{}, fmt.Errorf("stdin gave %q, %v", b, err)
		}
		return sampleInfo(path), nil
	case "goroutine":
		// A nil dereference in a goroutine the decoder started: no recover
		// in Serve can catch it.
		go func() {
			var s *media.Stream
			fmt.Println(s.Codec)
		}()
		time.Sleep(time.Hour)
	case "stack":
		return media.Info{}, fmt.Errorf("depth %d", recurse(0))
	case "segv":
		syscall.Kill(os.Getpid(), syscall.SIGSEGV)
		time.Sleep(time.Hour)
	case "pid":
		return media.Info{Tags: media.Tags{Title: strconv.Itoa(os.Getpid())}}, nil
	case "nonfinite":
		nan, inf, ninf, zero := math.NaN(), math.Inf(1), math.Inf(-1), 0.0
		return media.Info{Tags: media.Tags{ReplayGain: media.ReplayGain{
			TrackGain: &nan, TrackPeak: &inf, AlbumGain: &ninf, AlbumPeak: &zero,
		}}}, nil
	case "badutf8":
		return media.Info{Tags: media.Tags{Title: "caf\xe9 \xff"}}, nil
	}
	return media.Info{}, fmt.Errorf("fake probe: no case for %q", name)
}

// recurse does not return before the stack overflows.
func recurse(n int) int {
	if n < 0 {
		return 0
	}
	var pad [64]byte
	pad[n%64] = byte(n)
	return recurse(n+1) + int(pad[0])
}

// sampleInfo sets every field of Info, with values JSON could get wrong:
// int64 beyond float64 precision, a zero gain next to an absent one,
// subnormal and long floats, and strings that need escaping.
func sampleInfo(path string) media.Info {
	zero, peak, neg := 0.0, 0.98765432109876543, -5e-324
	return media.Info{
		Stream: media.Stream{
			Format: media.FormatFLAC, Codec: "flac", SampleRate: 96000, Channels: 2, BitDepth: 24,
			BitRate: 4608000, Samples: 1<<62 + 1, EncoderDelay: 576, Padding: 1105,
		},
		Tags: media.Tags{
			Title:       strconv.QuoteToASCII(path),
			Artist:      "Ólafur \"Arnalds\"\n\t<&>\u2028",
			Album:       "日本語 🎵",
			AlbumArtist: "\x00nul",
			Genre:       "Ambient",
			Comment:     strings.Repeat("long comment ", 1000),
			Year:        2024, Track: 3, TrackTotal: 12, Disc: 1, DiscTotal: 2,
			HasPicture: true,
			ReplayGain: media.ReplayGain{TrackGain: &zero, TrackPeak: &peak, AlbumGain: &neg, AlbumPeak: nil},
		},
	}
}
