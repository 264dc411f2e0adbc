package timeline

import (
	"encoding/json"
	"reflect"
	"testing"
)

// A report written as JSON (attune render --json) reads back the same.
func TestReport_jsonRoundTrip(t *testing.T) {
	want := Report{Rate: 48000, Frames: 96000, Peak: 0.5, Items: []ItemReport{{
		Index: 1, Track: "a.flac", Start: 0, End: 96000, StartedAt: 0, StoppedAt: 90000,
		FadeIn: 100, FadeInCurve: CurveSCurve, FadeOut: 200, FadeOutCurve: CurveEqualPower,
		Events: []EventKind{ItemStarted, SourceFailed}, Error: "boom",
	}}}
	b, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	var got Report
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, want)
	}
	if err := json.Unmarshal([]byte(`{"items":[{"fade_in_curve":"wobbly"}]}`), &got); err == nil {
		t.Errorf("an unknown curve name was accepted")
	}
}
