package main

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"attune/media"
	"attune/media/loudness"
	"attune/media/mediatest"
)

// unanalysedAmp is the amplitude at which to write a test file, not in the
// library, that should play at amp: such a file plays at
// media.UnanalyzedGainDB (docs/loudness.md).
func unanalysedAmp(amp float64) float64 {
	return amp * math.Pow(10, -media.UnanalyzedGainDB/20)
}

// wav24 encodes mono samples as a 24-bit stereo WAV with both channels equal.
func wav24(rate int, x []float64) []byte {
	data := make([]byte, 0, len(x)*6)
	for _, v := range x {
		s := int32(math.Round(max(-1, min(v, 1-1.0/(1<<23))) * (1 << 23)))
		for range 2 {
			data = append(data, byte(s), byte(s>>8), byte(s>>16))
		}
	}
	var h []byte
	h = append(h, "RIFF"...)
	h = binary.LittleEndian.AppendUint32(h, uint32(36+len(data)))
	h = append(h, "WAVEfmt "...)
	h = binary.LittleEndian.AppendUint32(h, 16)
	h = binary.LittleEndian.AppendUint16(h, 1)
	h = binary.LittleEndian.AppendUint16(h, 2)
	h = binary.LittleEndian.AppendUint32(h, uint32(rate))
	h = binary.LittleEndian.AppendUint32(h, uint32(rate*6))
	h = binary.LittleEndian.AppendUint16(h, 6)
	h = binary.LittleEndian.AppendUint16(h, 24)
	h = append(h, "data"...)
	h = binary.LittleEndian.AppendUint32(h, uint32(len(data)))
	return append(h, data...)
}

// lufs measures mono samples played on both channels of a stereo programme.
func lufs(tb testing.TB, rate int, x []float64) loudness.Result {
	tb.Helper()
	m, err := loudness.New(rate, 2)
	if err != nil {
		tb.Fatal(err)
	}
	frames := make([][2]float64, len(x))
	for i, v := range x {
		frames[i] = [2]float64{v, v}
	}
	m.AddFrames(frames)
	return m.Result()
}

// scaleTo scales x so that it measures lufsWant.
func scaleTo(tb testing.TB, rate int, x []float64, lufsWant float64) []float64 {
	g := math.Pow(10, (lufsWant-lufs(tb, rate, x).Integrated)/20)
	for i := range x {
		x[i] *= g
	}
	return x
}

// tones is a sum of equal sines.
func tones(rate int, seconds float64, freqs ...float64) []float64 {
	x := make([]float64, int(seconds*float64(rate)))
	for i := range x {
		for k, f := range freqs {
			x[i] += math.Sin(2*math.Pi*f*float64(i)/float64(rate) + float64(k))
		}
	}
	return x
}

// pinkish is white noise through a one-pole low-pass: more energy low down,
// as music has.
func pinkish(rate int, seconds float64, seed uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, 1))
	x := make([]float64, int(seconds*float64(rate)))
	var y float64
	for i := range x {
		y = 0.9*y + 0.1*(2*r.Float64()-1)
		x[i] = y
	}
	return x
}

// listTracks runs `library list --json` and returns the tracks by id.
func listTracks(t *testing.T) map[string]trackView {
	t.Helper()
	code, out, errOut := attune(t, "library", "list", "--json")
	if code != exitOK {
		t.Fatalf("library list: exit %d: %s", code, errOut)
	}
	tracks := map[string]trackView{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var tv trackView
		if err := json.Unmarshal(sc.Bytes(), &tv); err != nil {
			t.Fatalf("list line %q: %v", sc.Text(), err)
		}
		tracks[tv.ID] = tv
	}
	return tracks
}

func TestRun_libraryAnalyze(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	t.Setenv("ATTUNE_DATA_DIR", filepath.Join(dir, "data"))
	src := filepath.Join(dir, "src")
	// A 1 kHz sine at -12 dBFS in both channels reads -12 LUFS (EBU Tech
	// 3341 case 1 at another level); silence is silent.
	sine := tones(48000, 3, 1000)
	for i := range sine {
		sine[i] *= math.Pow(10, -12.0/20)
	}
	mediatest.WriteFile(t, src, "sine.wav", wav24(48000, sine))
	mediatest.WriteFile(t, src, "silence.wav", wav24(48000, make([]float64, 48000*2)))
	mediatest.WriteFile(t, src, "noise.wav", wav24(48000, scaleTo(t, 48000, pinkish(48000, 3, 1), -20)))

	code, out, errOut := attune(t, "library", "add", "--no-analyze", "--json", src)
	if code != exitOK || strings.Contains(errOut, "analyze") {
		t.Fatalf("add --no-analyze: exit %d, stderr %q; want 0 and no analysis", code, errOut)
	}
	ids := map[string]string{}
	for name, r := range decodeResults(t, out) {
		ids[name] = r.ID
	}
	for _, tv := range listTracks(t) {
		if tv.Loudness != nil {
			t.Errorf("%s before analysis: loudness %+v, want null", tv.ID, tv.Loudness)
		}
	}

	code, out, errOut = attune(t, "library", "analyze", "--json")
	if code != exitOK || !strings.Contains(errOut, "analyze: 3 analysed, 0 failed") {
		t.Fatalf("analyze: exit %d, stderr:\n%s", code, errOut)
	}
	if n := strings.Count(out, "\n"); n != 3 {
		t.Errorf("analyze --json printed %d lines, want 3:\n%s", n, out)
	}
	tracks := listTracks(t)
	check := func(name string, want float64) {
		t.Helper()
		l := tracks[ids[name]].Loudness
		if l == nil || l.Integrated == nil || math.Abs(*l.Integrated-want) > 0.1 || l.Version != media.AnalyzerVersion {
			t.Errorf("%s: loudness %+v, want %.1f LUFS", name, l, want)
		}
	}
	check("sine.wav", -12)
	check("noise.wav", -20)
	if l := tracks[ids["silence.wav"]].Loudness; l == nil || !l.Silent || l.Integrated != nil || l.TruePeak != nil {
		t.Errorf("silence.wav: loudness %+v, want silent with null levels", l)
	}
	if l := tracks[ids["sine.wav"]].Loudness; l == nil || l.TruePeak == nil || math.Abs(*l.TruePeak-(-12)) > 0.1 {
		t.Errorf("sine.wav: true peak %+v, want -12 dBTP", l)
	}

	// Nothing is left to do; --all does it all again.
	if code, _, errOut = attune(t, "library", "analyze"); code != exitOK || !strings.Contains(errOut, "every track has a current loudness analysis") {
		t.Errorf("second analyze: exit %d, stderr %q", code, errOut)
	}

	// A file that no longer decodes fails, keeps its previous result, and
	// the failure shows in list (text and JSON); the exit status is 1.
	sinePath := tracks[ids["sine.wav"]].Path
	b, err := os.ReadFile(sinePath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(sinePath, b[:len(b)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = attune(t, "library", "analyze", "--all")
	if code != exitFailure || !strings.Contains(errOut, "2 analysed, 1 failed") || !strings.Contains(errOut, sinePath+": ") {
		t.Errorf("analyze --all with a damaged file: exit %d, stderr:\n%s", code, errOut)
	}
	tracks = listTracks(t)
	if tv := tracks[ids["sine.wav"]]; tv.LoudnessError == "" || tv.Loudness == nil || math.Abs(*tv.Loudness.Integrated-(-12)) > 0.1 {
		t.Errorf("damaged sine.wav: loudness %+v, error %q; want the old -12 LUFS and the error", tv.Loudness, tv.LoudnessError)
	}
	code, out, _ = attune(t, "library", "list")
	if code != exitOK || !strings.Contains(out, "-12.0 (failed)") || !strings.Contains(out, ids["sine.wav"][:12]+": loudness analysis failed: ") {
		t.Errorf("list does not show the failure:\n%s", out)
	}

	// A plain add analyses what it added.
	mediatest.WriteFile(t, src, "more/sine2.wav", wav24(44100, scaleTo(t, 44100, tones(44100, 2, 500, 1500), -16)))
	code, out, errOut = attune(t, "library", "add", "--json", filepath.Join(src, "more"))
	if code != exitOK || !strings.Contains(errOut, "analyze: 1 analysed, 0 failed") {
		t.Fatalf("add: exit %d, stderr:\n%s", code, errOut)
	}
	id := decodeResults(t, out)["sine2.wav"].ID
	if l := listTracks(t)[id].Loudness; l == nil || l.Integrated == nil || math.Abs(*l.Integrated-(-16)) > 0.1 {
		t.Errorf("added sine2.wav: loudness %+v, want -16 LUFS", l)
	}
}

// renderedItem is an item of `attune render --json`'s report.
type renderedItem struct {
	Index    int        `json:"index"`
	Start    int64      `json:"start"`
	End      int64      `json:"end"`
	GainDB   float64    `json:"gain_db"`
	Loudness media.Gain `json:"loudness"`
	Error    string     `json:"error"`
}

// The acceptance test for normalization: a timeline of tracks whose
// own loudness spans 22 LU comes out level, measured on the rendered output;
// the one whose true peak forbids reaching the target comes out exactly as
// loud as the peak limit allows, and the report says so.
func TestRun_renderNormalized(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	t.Setenv("ATTUNE_DATA_DIR", filepath.Join(dir, "data"))
	t.Setenv("ATTUNE_AUDIO_PAUSE_FADE", "200ms")
	src := filepath.Join(dir, "src")
	const secs = 4
	// A quiet bed with a 0.25 ms burst of 8 kHz at -3 dBFS every 250 ms:
	// about -29 LUFS with a true peak near -3 dBTP, so reaching -18 LUFS
	// would need some +11 dB and put the bursts at +8 dBTP.
	crest := scaleTo(t, 48000, tones(48000, secs, 220, 660, 1800), -40)
	for i := range crest {
		if i%12000 < 12 {
			crest[i] += 0.7 * math.Sin(2*math.Pi*8000*float64(i)/48000)
		}
	}
	files := []struct {
		name   string
		rate   int
		x      []float64
		gainDB float64 // the timeline item's own offset
	}{
		{"loud.wav", 48000, scaleTo(t, 48000, tones(48000, secs, 1000, 2500), -8), 0},
		{"noise.wav", 44100, scaleTo(t, 44100, pinkish(44100, secs, 7), -15), 0},
		{"quiet.wav", 48000, scaleTo(t, 48000, tones(48000, secs, 100, 440, 1000, 3000), -23), -4},
		{"crest.wav", 48000, crest, 0},
	}
	for _, f := range files {
		mediatest.WriteFile(t, src, f.name, wav24(f.rate, f.x))
	}
	code, out, errOut := attune(t, "library", "add", "--json", src)
	if code != exitOK {
		t.Fatalf("add: exit %d: %s", code, errOut)
	}
	added := decodeResults(t, out)
	tracks := listTracks(t)

	var items []string
	for i, f := range files {
		items = append(items, fmt.Sprintf(`{"track": %q, "start": "%ds", "end": "%ds", "gain_db": %g}`,
			added[f.name].ID, i*secs, (i+1)*secs, f.gainDB))
	}
	tl := mediatest.WriteFile(t, dir, "t.json", []byte(`{"version": 1, "items": [`+strings.Join(items, ",")+`]}`))
	wav := filepath.Join(dir, "out.wav")
	code, out, errOut = attune(t, "render", "--json", "--timeline", tl, "--out", wav)
	if code != exitOK {
		t.Fatalf("render: exit %d: %s", code, errOut)
	}
	var rep struct {
		Items []renderedItem `json:"items"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || len(rep.Items) != len(files) {
		t.Fatalf("render report (%v):\n%s", err, out)
	}
	rate, left := readWAV24(t, wav)

	lo, hi := math.Inf(1), math.Inf(-1)
	for i, f := range files {
		l := tracks[added[f.name].ID].Loudness
		if l == nil || l.Integrated == nil || l.TruePeak == nil {
			t.Fatalf("%s: not analysed: %+v", f.name, l)
		}
		lo, hi = min(lo, *l.Integrated), max(hi, *l.Integrated)
		it := rep.Items[i]
		// Skip the first half second (the start fade, the step between
		// items) of each item.
		got := lufs(t, rate, left[it.Start+int64(rate)/2:it.End]).Integrated
		g := it.Loudness
		t.Logf("%-9s %6.2f LUFS %6.2f dBTP: gain %+6.2f dB (wanted %+6.2f, limited %v), item %+g dB: output %6.2f LUFS",
			f.name, *l.Integrated, *l.TruePeak, g.DB, g.WantDB, g.PeakLimited, f.gainDB, got)
		if g.Source != media.GainMeasured {
			t.Errorf("%s: gain source %q, want %q", f.name, g.Source, media.GainMeasured)
		}
		if f.name == "crest.wav" {
			if !g.PeakLimited || math.Abs(g.DB-(-1-*l.TruePeak)) > 1e-6 || g.WantDB < g.DB+5 {
				t.Errorf("%s: report %+v; want peak-limited to -1 dBTP - %.2f dBTP", f.name, g, *l.TruePeak)
			}
			want := *l.Integrated + g.DB + f.gainDB
			if math.Abs(got-want) > 0.5 || got > -18-1 {
				t.Errorf("%s: rendered at %.2f LUFS, want the peak-limited %.2f ±0.5 (below the target)", f.name, got, want)
			}
			continue
		}
		if g.PeakLimited || math.Abs(g.DB-(-18-*l.Integrated)) > 1e-6 {
			t.Errorf("%s: report %+v; want %+.2f dB, not limited", f.name, g, -18-*l.Integrated)
		}
		if want := -18 + f.gainDB; math.Abs(got-want) > 1 {
			t.Errorf("%s (%.1f LUFS): rendered at %.2f LUFS, want %.1f ±1", f.name, *l.Integrated, got, want)
		}
	}
	if hi-lo < 15 {
		t.Errorf("the tracks span %.1f LU, want at least 15", hi-lo)
	}
}

// The acceptance test for analysis: `attune library analyze` over
// the real library agrees with ffmpeg's ebur128 (the manifest's lufs) within
// ±0.1 LU on every playable track.
func TestCorpus_libraryAnalyze(t *testing.T) {
	corpus := mediatest.Corpus(t)
	rows := mediatest.Manifest(t)
	if raceEnabled {
		t.Skip("skipped under -race (decoding 36 tracks is 10× slower); media/loudness checks the corpus per variant")
	}
	isolate(t)
	t.Setenv("ATTUNE_DATA_DIR", filepath.Join(t.TempDir(), "data"))
	music := filepath.Join(corpus, "music")
	_, out, _ := attune(t, "library", "add", "--no-analyze", "--json", music)
	results := map[string]media.Result{}
	for _, r := range decodeResultsByPath(t, out) {
		rel, _ := filepath.Rel(filepath.Join(music, "mixed"), r.Path)
		results[filepath.ToSlash(rel)] = r
	}
	if code, _, errOut := attune(t, "library", "analyze"); code != exitOK {
		t.Fatalf("analyze: exit %d:\n%s", code, errOut)
	}
	tracks := listTracks(t)
	checked := 0
	for _, row := range rows {
		r, ok := results[row.Path]
		if !ok || (r.Status != media.StatusAdded && r.Status != media.StatusExists) || math.IsNaN(row.LUFS) {
			continue
		}
		checked++
		l := tracks[r.ID].Loudness
		if l == nil || l.Integrated == nil {
			t.Errorf("%s: loudness %+v, error %q", row.Path, l, tracks[r.ID].LoudnessError)
			continue
		}
		if math.Abs(*l.Integrated-row.LUFS) > 0.1 {
			t.Errorf("%s: %.2f LUFS, ffmpeg %.1f", row.Path, *l.Integrated, row.LUFS)
		}
	}
	if checked < 30 {
		t.Errorf("checked %d tracks, want every playable one (36)", checked)
	}
}
