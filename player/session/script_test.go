package session

import (
	"strings"
	"testing"
	"time"
)

func TestParseScript(t *testing.T) {
	evs, err := ParseScript([]byte(`{"events": [
		{"at": "30m", "do": "extend", "phase": "journey", "by": "5m"},
		{"at": "12m30s", "do": "onset"},
		{"at": "20m", "do": "pause", "role": "patient"},
		{"at": "40m", "do": "quiet", "on": true},
		{"at": "50m", "do": "volume", "db": -20}
	]}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 5 || evs[0].Kind != KindOnset || evs[0].At != 12*m+30*time.Second || evs[1].Who.Role != "patient" ||
		evs[2].By != 5*m || evs[2].Phase != "journey" || !evs[3].On || evs[4].DB != -20 {
		t.Errorf("parsed %+v", evs)
	}
	for _, tc := range []struct{ in, want string }{
		{`[{"at": 750, "do": "onset"}]`, "event 1"},
		{`[{"at": "12m", "do": "onset", "when": "now"}]`, `unknown field "when"`},
		{`[{"at": "12m", "do": "dance"}]`, `do "dance": want one of`},
		{`[{"at": "12m", "do": "extend", "phase": "journey"}]`, `by ""`},
		{`[{"at": "12m", "do": "jump"}]`, "jump: no phase"},
		{`[{"at": "12m", "do": "quiet"}]`, "quiet: say"},
		{`[{"at": "-1m", "do": "skip"}]`, `at "-1m"`},
		{`{"evnts": []}`, `unknown field "evnts"`},
	} {
		if _, err := ParseScript([]byte(tc.in)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error containing %q", tc.in, err, tc.want)
		}
	}
}

func TestRehearse(t *testing.T) {
	c := newCore(t)
	evs, err := ParseScript([]byte(`[
		{"at": "3m", "do": "pause", "role": "patient"},
		{"at": "5m", "do": "resume", "role": "patient"},
		{"at": "8m", "do": "skip", "role": "patient"},
		{"at": "11m", "do": "onset"},
		{"at": "30m", "do": "quiet", "on": true},
		{"at": "32m", "do": "quiet", "on": false}
	]`))
	if err != nil {
		t.Fatal(err)
	}
	acts, log, err := Rehearse(c, t0, evs)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 8 || log[0].Kind != KindDose || log[7].Kind != KindEnd {
		t.Errorf("log kinds: %v", kinds(log))
	}
	if last := acts[len(acts)-1]; last.Op != OpStop || last.At != c.Record().Boundaries.ObserveUntil {
		t.Errorf("last action %+v, want a stop at the end of observation", last)
	}
	if got := journeyStart(t, c); got != 11*m {
		t.Errorf("journey starts at %s, want the marked onset 11m", got)
	}
	// A patient may not mark the onset: the rehearsal says so.
	c = newCore(t)
	_, _, err = Rehearse(c, t0, []ScriptEvent{{At: 11 * m, Command: Command{Kind: KindOnset, Who: patient}}})
	if err == nil || !strings.Contains(err.Error(), "onset at +11:00.0") {
		t.Errorf("patient onset: got %v", err)
	}
}

func kinds(es []Entry) []string {
	var k []string
	for _, e := range es {
		k = append(k, e.Kind)
	}
	return k
}
