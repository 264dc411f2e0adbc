package playlists

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the planner's golden files in testdata")

// goldenLibrary is a made-up library: ids say what they are, durations are
// typical of the music therapists use (3–12 minutes), gains of R128.
func goldenLibrary() TrackMap {
	m := TrackMap{}
	add := func(prefix string, secs ...int) {
		for i, s := range secs {
			m[fmt.Sprintf("%s%d", prefix, i+1)] = TrackInfo{Duration: time.Duration(s) * time.Second, GainDB: -float64(i%4) - 0.5}
		}
	}
	add("arr", 185, 240, 150)
	add("set", 262, 318, 201, 407, 245, 333)
	add("jou", 412, 605, 298, 533, 377, 721, 264, 480, 351, 590, 436, 312)
	add("ret", 356, 421, 298, 510, 275)
	add("int", 600, 480, 720)
	add("long", 1500, 2400)
	return m
}

func entries(ids string, must ...int) []Entry {
	var es []Entry
	for i, id := range strings.Fields(ids) {
		e := Entry{Track: id}
		for _, m := range must {
			e.MustPlay = e.MustPlay || m == i+1
		}
		es = append(es, e)
	}
	return es
}

func goldenPlaylists() []Playlist {
	return []Playlist{
		{Name: "full-arc", Phases: []Phase{
			{Role: RoleArrival, Tracks: entries("arr1 arr2 arr3")},
			{Role: RoleSettling, Tracks: entries("set1 set2 set3 set4 set5 set6", 1)},
			{Role: RoleJourney, Tracks: entries("jou1 jou2 jou3 jou4 jou5 jou6 jou7 jou8 jou9 jou10 jou11 jou12", 2, 6), Crossfade: 12 * time.Second},
			{Role: RoleReturn, Tracks: entries("ret1 ret2 ret3 ret4 ret5"), LevelDB: -2},
			{Role: RoleIntegration, Tracks: entries("int1 int2 int3"), LevelDB: -4, Fill: FillPinkNoise},
		}},
		{Name: "sparse", Phases: []Phase{
			{Role: RoleSettling, Tracks: entries("set1 set3"), Fill: FillBrownNoise},
			{Role: RoleJourney, Tracks: entries("jou1 jou3 jou5", 1), Fill: FillLoop},
			{Role: RoleReturn, Tracks: entries("long1"), Crossfade: 20 * time.Second},
			{Role: RoleIntegration, Fill: FillDrone, LevelDB: -6},
		}},
		{Name: "one-phase", Phases: []Phase{
			{Role: RoleJourney, Tracks: entries("jou1 jou2 jou3 jou4 jou5 jou6 jou7 jou8 jou9 jou10 jou11 jou12 ret1 ret2 ret3 ret4 ret5 int1 int2 int3")},
		}},
	}
}

// TestPlanner_Plan_golden plans each golden playlist under every default
// profile and compares with testdata/plan-NAME.golden (go test -update
// rewrites them).
func TestPlanner_Plan_golden(t *testing.T) {
	lib := goldenLibrary()
	for _, pl := range goldenPlaylists() {
		t.Run(pl.Name, func(t *testing.T) {
			pr := Planner{Playlist: pl, Tracks: lib}
			var b strings.Builder
			for _, prof := range DefaultProfiles() {
				bs := prof.Planned()
				plan, err := pr.Plan(bs)
				if err != nil {
					t.Fatalf("%s: %v", prof.Name, err)
				}
				checkItems(t, lib, plan.Items)
				fmt.Fprintf(&b, "== %s: onset %s, effect end %s, return end %s, observe until %s\n",
					prof.Name, clock(bs.Onset), clock(bs.EffectEnd), clock(bs.ReturnEnd), clock(bs.ObserveUntil))
				b.WriteString(formatPlan(plan))
			}
			arr, err := pr.Arrival(10 * time.Minute)
			if err != nil {
				t.Fatalf("arrival: %v", err)
			}
			checkItems(t, lib, arr)
			b.WriteString("== arrival, 10 minutes\n")
			for _, it := range arr {
				b.WriteString("  " + formatItem(it) + "\n")
			}
			golden(t, "plan-"+pl.Name+".golden", b.String())
		})
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("plan differs from %s (go test -update rewrites it):\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}
