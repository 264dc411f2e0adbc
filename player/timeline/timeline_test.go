package timeline

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func TestSamples_Rounding(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		rate int
		want int64
	}{
		{time.Second, 48000, 48000},
		{12*time.Minute + 30500*time.Millisecond, 48000, 36024000},
		{500 * time.Microsecond, 1000, 1},              // a half rounds away from zero
		{499999 * time.Nanosecond, 1000, 0},            // just under a half rounds down
		{-500 * time.Microsecond, 1000, -1},            // symmetric for negatives
		{time.Second / 44100, 44100, 1},                // truncated to whole ns, still one sample
		{10416 * time.Nanosecond, 48000, 0},            // 0.4999… of a sample
		{10417 * time.Nanosecond, 48000, 1},            // 0.5000… of a sample
		{1<<63 - 1, 384000, 3541774862152234},          // the largest Duration, no overflow
		{100 * time.Hour, 384000, 100 * 3600 * 384000}, //
	} {
		if got := Samples(tc.d, tc.rate); got != tc.want {
			t.Errorf("Samples(%v, %d) = %d, want %d", tc.d, tc.rate, got, tc.want)
		}
	}
}

func TestParse_Errors(t *testing.T) {
	item := func(fields string) string { return `{"version":1,"items":[` + fields + `]}` }
	for _, tc := range []struct {
		name, json, want string
	}{
		{"bare number", item(`{"track":"a","start":0,"end":"1s"}`), `item 1 (track "a"): start: 0 is not a duration string`},
		{"bare number fade", item(`{"track":"a","start":"0s","end":"1s","fade_in":4}`), `item 1 (track "a"): fade_in: 4 is not a duration string`},
		{"bad string", item(`{"track":"a","start":"0s","end":"1 minute"}`), `item 1 (track "a"): end: "1 minute" is not a duration`},
		{"missing start", item(`{"track":"a","end":"1s"}`), `item 1 (track "a"): start: missing`},
		{"missing track", item(`{"start":"0s","end":"1s"}`), `item 1: track: missing`},
		{"unknown field", item(`{"track":"a","start":"0s","end":"1s","fadein":"1s"}`), `item 1: json: unknown field "fadein"`},
		{"negative", item(`{"track":"a","start":"0s","end":"1s","offset":"-2s"}`), `item 1 (track "a"): offset: negative duration -2s`},
		{"end before start", item(`{"track":"a","start":"5s","end":"4s"}`), `item 1 (track "a"): end: 4s is not after start 5s`},
		{"empty item", item(`{"track":"a","start":"5s","end":"5s"}`), `end: 5s is not after start 5s`},
		{"fade longer", item(`{"track":"a","start":"0s","end":"3s","fade_out":"4s"}`), `item 1 (track "a"): fade_out: 4s is longer than the item's 3s`},
		{"fades longer", item(`{"track":"a","start":"0s","end":"3s","fade_in":"2s","fade_out":"2s"}`), `item 1 (track "a"): fade in 2s plus fade out 2s (crossfades included) is longer than the item's 3s`},
		{"crossfade longer", item(`{"track":"a","start":"0s","end":"3s","fade_in":"2.5s"},{"track":"b","start":"2s","end":"9s"}`), `item 1 (track "a"): fade in 2.5s plus fade out 1s (crossfades included)`},
		{"gain", item(`{"track":"a","start":"0s","end":"3s","gain_db":50}`), `item 1 (track "a"): gain_db: 50 dB is outside -80…30 dB`},
		{"order", item(`{"track":"a","start":"5s","end":"9s"},{"track":"b","start":"4s","end":"10s"}`), `item 2 (track "b"): start: 4s is not after item 1's start 5s`},
		{"same start", item(`{"track":"a","start":"5s","end":"9s"},{"track":"b","start":"5s","end":"10s"}`), `item 2 (track "b"): start: 5s is not after item 1's start 5s`},
		{"nested", item(`{"track":"a","start":"0s","end":"9s"},{"track":"b","start":"4s","end":"6s"}`), `item 2 (track "b"): end: 6s is not after item 1's end 9s: an item may not lie inside another`},
		{"three at once", item(`{"track":"a","start":"0s","end":"10s"},{"track":"b","start":"8s","end":"20s"},{"track":"c","start":"9s","end":"30s"}`), `item 3 (track "c"): start: 9s is before item 1's end 10s, and item 2 also sounds then: at most two items may sound at once`},
		{"crossfade fade_out", item(`{"track":"a","start":"0s","end":"10s","fade_out":"3s"},{"track":"b","start":"8s","end":"20s"}`), `item 1 (track "a"): fade_out: 3s, but the item overlaps item 2 by 2s`},
		{"crossfade fade_in", item(`{"track":"a","start":"0s","end":"10s"},{"track":"b","start":"8s","end":"20s","fade_in":"1s"}`), `item 2 (track "b"): fade_in: 1s, but item 1 overlaps this one by 2s`},
		{"no items", `{"version":1,"items":[]}`, `timeline: no items`},
		{"version", `{"version":2,"items":[]}`, `timeline: version 2, want 1`},
		{"no version", `{"items":[]}`, `timeline: version 0, want 1`},
		{"trailing", `{"version":1,"items":[{"track":"a","start":"0s","end":"1s"}]} {}`, `data after the top-level object`},
		{"not json", `items: []`, `timeline: parse: invalid character`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.json))
			if err == nil {
				t.Fatalf("Parse succeeded, want error containing %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q\nwant it to contain %q", err, tc.want)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("errors.Is(%v, ErrInvalid) = false, want true", err)
			}
		})
	}
}

func TestParse_CrossfadeFadesMayBeGiven(t *testing.T) {
	tl, err := Parse([]byte(`{"version":1,"items":[
		{"track":"a","start":"0s","end":"10s","fade_out":"2s"},
		{"track":"b","start":"8s","end":"20s","fade_in":"2s"}]}`))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	ps, err := tl.Place(rate)
	if err != nil {
		t.Fatalf("Place: %v", err)
	}
	if ps[0].FadeOut != 2*rate || ps[0].FadeOutCurve != CurveEqualPower || ps[1].FadeIn != 2*rate || ps[1].FadeInCurve != CurveEqualPower {
		t.Errorf("placements %+v, want a 2 s equal-power crossfade", ps)
	}
}

func TestTimeline_MarshalJSON_RoundTrip(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "example.json"))
	if err != nil {
		t.Fatal(err)
	}
	tl, err := Parse(data)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	out, err := tl.MarshalJSON()
	if err != nil {
		t.Fatalf("MarshalJSON: %v", err)
	}
	back, err := Parse(out)
	if err != nil {
		t.Fatalf("Parse(MarshalJSON): %v\n%s", err, out)
	}
	if !reflect.DeepEqual(back, tl) {
		t.Errorf("round trip changed the timeline:\n got %+v\nwant %+v", back, tl)
	}
	if !bytes.Contains(out, []byte(`"offset": "1m5.25s"`)) || bytes.Contains(out, []byte(`"offset": "0s"`)) {
		t.Errorf("marshalled form should spell durations as strings and omit zero offsets:\n%s", out)
	}
}

func TestParse_Golden(t *testing.T) {
	tl, err := ReadFile(filepath.Join("testdata", "example.json"))
	if err != nil {
		t.Fatal(err)
	}
	ps, err := tl.Place(rate)
	if err != nil {
		t.Fatal(err)
	}
	got := formatPlacements(ps)
	golden := filepath.Join("testdata", "example.golden")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("placements differ from %s (go test -update rewrites it):\n got:\n%s\nwant:\n%s", golden, got, want)
	}
}

// formatPlacements prints placements one item per line, for golden files.
func formatPlacements(ps []Placement) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# item track phase | start end (samples @%d) | offset | fade in | fade out | gain\n", rate)
	for _, p := range ps {
		fmt.Fprintf(&b, "%d %s %s | %d %d | %d | %d %s | %d %s | %+.2f dB x%.6f\n",
			p.Index+1, p.Item.Track, p.Item.Phase, p.Start, p.End, p.Offset,
			p.FadeIn, p.FadeInCurve, p.FadeOut, p.FadeOutCurve, p.Item.GainDB, p.Gain)
	}
	return b.Bytes()
}

func TestTimeline_Place_RejectsRate(t *testing.T) {
	tl := Timeline{Items: []Item{{Track: "a", End: time.Second}}}
	if _, err := tl.Place(0); err == nil {
		t.Errorf("Place(0) succeeded, want an error")
	}
}

func TestTimeline_Place_LoneFadesFitAfterRounding(t *testing.T) {
	// At 8 kHz a sample is 125 µs: the 1 ms item is 8 samples, its fades
	// 562.5 µs and 437.5 µs (together exactly 1 ms) round up to 5 and 4.
	// The fade out is shortened by one sample so they still fit.
	tl := Timeline{Items: []Item{{Track: "a", End: time.Millisecond, FadeIn: 562500, FadeOut: 437500}}}
	ps, err := tl.Place(8000)
	if err != nil {
		t.Fatal(err)
	}
	if p := ps[0]; p.Len() != 8 || p.FadeIn != 5 || p.FadeOut != 3 {
		t.Errorf("len %d, fades %d+%d, want 8 samples with fades 5+3", p.Len(), p.FadeIn, p.FadeOut)
	}
}

func TestDocs_ExampleParses(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "timeline.md"))
	if err != nil {
		t.Fatalf("the format's documentation: %v", err)
	}
	_, rest, ok := bytes.Cut(doc, []byte("```json\n"))
	if !ok {
		t.Fatal("docs/timeline.md has no ```json example")
	}
	example, _, _ := bytes.Cut(rest, []byte("```"))
	if _, err := Parse(example); err != nil {
		t.Errorf("the example in docs/timeline.md does not parse: %v", err)
	}
}
