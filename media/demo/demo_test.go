package demo

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"attune/examples"
	"attune/media"
	"attune/media/decode"
	"attune/media/loudness"
)

// stepLimit is the largest sample-to-sample step a piece may take: the
// pads' steepest slopes (all voices at a peak together, partials of a few
// kHz) measure up to 0.06.
const stepLimit = 0.08

// clickLimit is the largest third difference a piece may have. The
// music's is under 0.0035 (its partials are smooth curves; the brightest
// piece's top partials near 10 kHz make the most); a click, a jump between
// unrelated values, shows as about its own size, so any jump above −40
// dBFS fails.
const clickLimit = 0.01

// Loudness a piece must fall in (before the library normalizes it): quiet
// and calm, but not a whisper.
const minLUFS, maxLUFS = -26.0, -12.0

func TestPieces_catalogue(t *testing.T) {
	ps := Pieces()
	want := []string{"Slow Tide", "Open Sky", "Deep Field", "Lantern", "Still Water", "Low Clouds",
		"First Light", "Morning Room", "Harbour Light", "Homeward"}
	if len(ps) != len(want) {
		t.Fatalf("got %d pieces, want %d", len(ps), len(want))
	}
	titles := map[string]bool{}
	wavs := 0
	for i, p := range ps {
		if p.Title != want[i] {
			t.Errorf("piece %d: got title %q, want %q", i, p.Title, want[i])
		}
		titles[p.Title] = true
		if p.Artist != "Attune Demo" || p.Album != "Attune Demo" {
			t.Errorf("%s: got artist %q, album %q, want both \"Attune Demo\"", p.Title, p.Artist, p.Album)
		}
		switch p.Format {
		case media.FormatWAV:
			wavs++
		case media.FormatFLAC:
		default:
			t.Errorf("%s: got format %q, want flac or wav", p.Title, p.Format)
		}
		if p.Length < 2*time.Minute || p.Length > 4*time.Minute {
			t.Errorf("%s: got length %s, want 2–4 min", p.Title, p.Length)
		}
		if p.Intensity < 1 || p.Intensity > 5 {
			t.Errorf("%s: got intensity %d, want 1–5", p.Title, p.Intensity)
		}
		if p.Instrumental != media.InstrumentalYes || len(p.Moods) == 0 {
			t.Errorf("%s: got instrumental %q, moods %q; want yes and some moods", p.Title, p.Instrumental, p.Moods)
		}
		if got, want := p.FileName(), "Attune Demo – "+p.Title+"."+string(p.Format); got != want {
			t.Errorf("got file name %q, want %q", got, want)
		}
	}
	if wavs < 2 || wavs > 3 {
		t.Errorf("got %d WAV pieces, want 2 or 3", wavs)
	}

	// Every example playlist names only demo pieces.
	ref := regexp.MustCompile(`Attune Demo – ([^\n"]+)`)
	files, err := fs.Glob(examples.FS(), "*.yaml")
	if err != nil || len(files) != 4 {
		t.Fatalf("example playlists: got %q, %v; want 4 files", files, err)
	}
	for _, f := range files {
		data, err := fs.ReadFile(examples.FS(), f)
		if err != nil {
			t.Fatal(err)
		}
		refs := ref.FindAllStringSubmatch(string(data), -1)
		if len(refs) == 0 {
			t.Errorf("%s: names no demo piece", f)
		}
		for _, m := range refs {
			if title := strings.TrimSpace(m[1]); !titles[title] {
				t.Errorf("%s: names %q, which is not a demo piece", f, title)
			}
		}
	}
}

// TestRender_audio renders every piece, 30 s long, and checks each as the
// library and the engine will see it.
func TestRender_audio(t *testing.T) {
	pieces := shortened(30 * time.Second)
	if raceEnabled {
		// The race detector slows synthesis and metering tenfold: three
		// pieces (the first, the brightest and a WAV) keep the test quick.
		t.Log("race detector: checking 3 of the 10 pieces")
		pieces = []Piece{pieces[0], pieces[2], pieces[3]}
	}
	dir := t.TempDir()
	paths, err := Render(context.Background(), dir, pieces)
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != len(pieces) {
		t.Fatalf("got %d paths, want %d", len(paths), len(pieces))
	}
	all := make([][][2]float64, len(pieces))
	for i, p := range pieces {
		if got, want := paths[i], filepath.Join(dir, p.FileName()); got != want {
			t.Errorf("got path %q, want %q", got, want)
		}
		d := decodeFile(t, paths[i], nil)
		checkAudio(t, p, d, true)
		all[i] = d.samples
	}
	// Different keys, modes and voicings: no two pieces are alike.
	for i := range all {
		for j := i + 1; j < len(all); j++ {
			if c := correlation(all[i], all[j]); c > 0.3 || c < -0.3 {
				t.Errorf("%s and %s: got correlation %.2f, want under 0.3 in size", pieces[i].Title, pieces[j].Title, c)
			}
		}
	}
}

// checkAudio checks a decoded piece: stream, tags, length, level, clicks,
// fades and, with measure, loudness.
func checkAudio(t *testing.T, p Piece, d decoded, measure bool) {
	t.Helper()
	s, g := d.info.Stream, d.info.Tags
	wantCodec := map[media.Format]string{media.FormatFLAC: "flac", media.FormatWAV: "pcm_s16le"}[p.Format]
	if s.Format != p.Format || s.Codec != wantCodec || s.SampleRate != SampleRate || s.Channels != 2 || s.BitDepth != 16 {
		t.Errorf("%s: got %s/%s %d Hz %d ch %d bit, want %s/%s 44100 Hz 2 ch 16 bit", p.Title,
			s.Format, s.Codec, s.SampleRate, s.Channels, s.BitDepth, p.Format, wantCodec)
	}
	if g.Title != p.Title || g.Artist != Artist || g.Album != Album {
		t.Errorf("%s: got tags %q / %q / %q, want %q / %q / %q", p.FileName(), g.Artist, g.Title, g.Album,
			Artist, p.Title, Album)
	}
	want := int64(p.Length / time.Second * SampleRate)
	if s.Samples != want || int64(len(d.samples)) != want {
		t.Errorf("%s: got %d frames in the headers, %d decoded; want %d", p.Title, s.Samples, len(d.samples), want)
	}
	if len(d.samples) == 0 {
		return
	}
	if pk := peakDB(d.samples); pk >= -1 {
		t.Errorf("%s: got peak %.2f dBFS, want under −1", p.Title, pk)
	}
	if step, at := maxStep(d.samples); step > stepLimit {
		t.Errorf("%s: got a step of %.4f at frame %d, want none over %g", p.Title, step, at, stepLimit)
	}
	if third, at := maxThirdDiff(d.samples); third > clickLimit {
		t.Errorf("%s: got a third difference of %.5f at frame %d, want none over %g (a click)", p.Title, third, at, clickLimit)
	}
	first, last := d.samples[0], d.samples[len(d.samples)-1]
	if first != [2]float64{} || last != [2]float64{} {
		t.Errorf("%s: got first frame %v, last %v; want silence at both ends (fades)", p.Title, first, last)
	}
	// The fade in: the first half second is far below the middle.
	mid := len(d.samples) / 2
	if head, body := rmsDB(d.samples[:SampleRate/2]), rmsDB(d.samples[mid-SampleRate/2:mid+SampleRate/2]); head > body-30 {
		t.Errorf("%s: got %.1f dBFS in the first 0.5 s, %.1f in the middle; want the start 30 dB below", p.Title, head, body)
	}
	if !measure {
		return
	}
	m, err := loudness.New(SampleRate, 2)
	if err != nil {
		t.Fatal(err)
	}
	m.AddFrames(d.samples)
	if l := m.Result().Integrated; l < minLUFS || l > maxLUFS {
		t.Errorf("%s: got %.1f LUFS, want %g to %g", p.Title, l, minLUFS, maxLUFS)
	}
}

func TestRender_deterministic(t *testing.T) {
	ps := shortened(12 * time.Second)
	ps = []Piece{ps[0], ps[3]} // a FLAC and a WAV
	var got [2][][]byte
	for run := range got {
		paths, err := Render(context.Background(), t.TempDir(), ps)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			got[run] = append(got[run], b)
		}
	}
	for i, p := range ps {
		if !bytes.Equal(got[0][i], got[1][i]) {
			t.Errorf("%s: two renders differ (%d and %d bytes), want the same bytes", p.FileName(), len(got[0][i]), len(got[1][i]))
		}
	}
}

// TestRender_flacDecoders decodes a FLAC piece with mewkiz/flac (pure Go)
// and with the default decoder (libsndfile when it loads): the same samples.
func TestRender_flacDecoders(t *testing.T) {
	p := shortened(12 * time.Second)[1]
	paths, err := Render(context.Background(), t.TempDir(), []Piece{p})
	if err != nil {
		t.Fatal(err)
	}
	pure := decodeFile(t, paths[0], &decode.Opener{})
	dflt := decodeFile(t, paths[0], nil)
	if len(pure.samples) != len(dflt.samples) {
		t.Fatalf("got %d frames from mewkiz/flac, %d from the default decoder; want the same", len(pure.samples), len(dflt.samples))
	}
	for i := range pure.samples {
		if pure.samples[i] != dflt.samples[i] {
			t.Fatalf("frame %d: got %v from mewkiz/flac, %v from the default decoder; want the same", i, pure.samples[i], dflt.samples[i])
		}
	}
}

func TestSynth_render_blockSizeIndependent(t *testing.T) {
	p := shortened(15 * time.Second)[2]
	collect := func(block int) []float64 {
		s := newSynth(p)
		l, r := make([]float64, block), make([]float64, block)
		var out []float64
		for {
			n := s.render(l, r)
			if n == 0 {
				return out
			}
			for i := range n {
				out = append(out, l[i], r[i])
			}
		}
	}
	a, b := collect(blockFrames), collect(1000)
	if len(a) != len(b) {
		t.Fatalf("got %d samples in blocks of %d, %d in blocks of 1000; want the same", len(a), blockFrames, len(b))
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("sample %d: got %v in blocks of %d, %v in blocks of 1000; want the same", i, a[i], blockFrames, b[i])
		}
	}
}

func TestRender_canceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dir := t.TempDir()
	paths, err := Render(ctx, dir, shortened(30*time.Second))
	if !errors.Is(err, context.Canceled) || paths != nil {
		t.Errorf("got %q, %v; want no paths and context.Canceled", paths, err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("got %d files left in the folder, want none", len(left))
	}
}

// TestWrite_fullLength renders the ten pieces at their real lengths.
func TestWrite_fullLength(t *testing.T) {
	if raceEnabled || testing.Short() {
		t.Skip("skipped under the race detector and -short: renders 25 minutes of audio (TestRender_audio covers the same checks on 30 s pieces)")
	}
	paths, err := Write(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range Pieces() {
		checkAudio(t, p, decodeFile(t, paths[i], nil), false)
	}
}
