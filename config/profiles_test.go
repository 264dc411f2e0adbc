package config

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"attune/playlists"
)

func TestLoad_Profiles(t *testing.T) {
	l, file, err := loadRooms(t, `profiles:
  - name: Intranasal
    onset:
      max: 16m30s
    observe_until: 150m
  - name: im-long
    onset: {min: 0s, max: 90s}
    effect: {min: 1h, max: 75m}
    return: {min: 1m, max: 1m}
    observe_until: 3h
`)
	if err != nil {
		t.Fatal(err)
	}
	m := time.Minute
	want := DefaultProfiles()
	want[0].Onset.Max = 16*m + 30*time.Second
	want[0].ObserveUntil = 150 * m
	want = append(want, Profile{Name: "im-long", Onset: ProfileWindow{0, 90 * time.Second},
		Effect: ProfileWindow{60 * m, 75 * m}, Return: ProfileWindow{m, m}, ObserveUntil: 3 * time.Hour})
	if !reflect.DeepEqual(l.Config.Profiles, want) {
		t.Errorf("Profiles =\n%+v\nwant\n%+v", l.Config.Profiles, want)
	}
	f := "file " + file + ":"
	for path, want := range map[string]string{
		"profiles":                  f + "1",
		"profiles[0]":               f + "2",
		"profiles[0].name":          f + "2", // the built-in's spelling, set by the file
		"profiles[0].onset":         f + "3",
		"profiles[0].onset.min":     "default (built-in intranasal)",
		"profiles[0].onset.max":     f + "4",
		"profiles[0].effect.max":    "default (built-in intranasal)",
		"profiles[0].observe_until": f + "5",
		"profiles[1].onset.min":     "default",
		"profiles[3].observe_until": "default",
		"profiles[4]":               f + "6",
		"profiles[4].name":          f + "6",
		"profiles[4].effect.max":    f + "8",
		"profiles[4].observe_until": f + "10",
		"profiles[5]":               "",
	} {
		if got := l.Origin(path); got != want {
			t.Errorf("Origin(%s) = %q, want %q", path, got, want)
		}
	}
	for _, tc := range []struct{ name, want string }{{"", "intranasal"}, {"IM-Long", "im-long"}, {"sublingual", "sublingual"}, {"oral", ""}} {
		p, ok := l.Config.Profile(tc.name)
		if p.Name != tc.want || ok != (tc.want != "") {
			t.Errorf("Profile(%q) = %q, %v; want %q", tc.name, p.Name, ok, tc.want)
		}
	}
}

func TestLoad_DefaultProfiles(t *testing.T) {
	for _, body := range []string{"", "profiles:\n", "profiles: []\n"} {
		l, _, err := loadRooms(t, body)
		if err != nil {
			t.Fatalf("%q: %v", body, err)
		}
		if !reflect.DeepEqual(l.Config.Profiles, DefaultProfiles()) {
			t.Errorf("%q: Profiles = %+v, want the built-ins", body, l.Config.Profiles)
		}
		if got := l.Origin("profiles[3].return.max"); got != "default" {
			t.Errorf("%q: Origin(profiles[3].return.max) = %q, want default", body, got)
		}
	}
}

// The built-ins are the planner's: config keeps its own copy so as to import
// no domain package, and this holds the two together.
func TestDefaultProfiles_MatchPlaylists(t *testing.T) {
	got, want := DefaultProfiles(), playlists.DefaultProfiles()
	if len(got) != len(want) {
		t.Fatalf("%d built-in profiles, playlists has %d", len(got), len(want))
	}
	for i := range got {
		if pp := toPlaylists(got[i]); pp != want[i] {
			t.Errorf("profile %d = %+v, playlists has %+v", i, pp, want[i])
		}
	}
	if MaxObserve != playlists.MaxObserve {
		t.Errorf("MaxObserve = %s, playlists has %s", MaxObserve, playlists.MaxObserve)
	}
}

func toPlaylists(p Profile) playlists.Profile {
	return playlists.Profile{Name: p.Name, Onset: playlists.Window(p.Onset), Effect: playlists.Window(p.Effect),
		Return: playlists.Window(p.Return), ObserveUntil: p.ObserveUntil}
}

// Config accepts a profile exactly when playlists.Profile.Validate does,
// over random profiles near the edges (seeded).
func TestLoad_ProfilesAgreeWithValidate(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	o := testOptions(t)
	o.Dirs = []string{o.WorkDir}
	grid := []time.Duration{0, time.Minute, 5 * time.Minute, 30 * time.Minute, time.Hour, 5 * time.Hour}
	pick := func() time.Duration { return grid[rng.IntN(len(grid))] }
	accepted, rejected := 0, 0
	for i := range 300 {
		p := Profile{Name: "p", Onset: ProfileWindow{pick(), pick()}, Effect: ProfileWindow{pick(), pick()},
			Return: ProfileWindow{pick(), pick()}, ObserveUntil: []time.Duration{2 * time.Hour, 12 * time.Hour, 13 * time.Hour, 20 * time.Minute}[rng.IntN(4)]}
		body := fmt.Sprintf("profiles:\n  - name: p\n    onset: {min: %s, max: %s}\n    effect: {min: %s, max: %s}\n"+
			"    return: {min: %s, max: %s}\n    observe_until: %s\n",
			p.Onset.Min, p.Onset.Max, p.Effect.Min, p.Effect.Max, p.Return.Min, p.Return.Max, p.ObserveUntil)
		writeFile(t, o.WorkDir, FileName, body)
		_, err := Load(o)
		verr := toPlaylists(p).Validate()
		if (err == nil) != (verr == nil) {
			t.Fatalf("case %d: %+v: config says %v, playlists says %v", i, p, err, verr)
		}
		if err == nil {
			accepted++
		} else {
			rejected++
			if !errors.Is(err, ErrInvalid) || strings.Contains(err.Error(), "\n") {
				t.Errorf("case %d: error %q, want one line matching ErrInvalid", i, err)
			}
		}
	}
	if accepted < 10 || rejected < 10 {
		t.Errorf("%d accepted, %d rejected: the cases do not reach both sides", accepted, rejected)
	}
}

// newProfile is a file with one valid new profile, "slow", on lines 2–6.
const newProfile = "profiles:\n  - name: slow\n    onset: {min: 10m, max: 20m}\n    effect: {min: 30m, max: 40m}\n" +
	"    return: {min: 10m, max: 20m}\n    observe_until: 2h\n"

// Every error about profiles is one line naming the path, the value, where
// it came from and what is allowed. F stands for the file's path.
func TestLoad_ProfileErrors(t *testing.T) {
	observe := func(latest string) string {
		return "a duration with a unit like 2h, from the latest end of the return (onset.max + effect.max + return.max: " + latest + ") to 12h"
	}
	for _, tc := range []struct {
		name, body, want string
	}{
		{"profiles not a list", "profiles: intranasal\n",
			`config: profiles: "intranasal" from file F:1 is not allowed (not a list): want ` + allowedProfiles},
		{"profile not a mapping", "profiles:\n  - intranasal\n",
			`config: profiles[0]: "intranasal" from file F:2 is not allowed (not a mapping): want a mapping with name, onset, effect, return, observe_until`},
		{"no name", "profiles:\n  - observe_until: 3h\n",
			`config: profiles[0].name: not set in file F:2: want ` + allowedProfileName},
		{"name with a space", "profiles:\n  - name: nasal spray\n",
			`config: profiles[0].name: "nasal spray" from file F:2 is not allowed (a character other than a letter, digit, - or _): want ` + allowedProfileName},
		{"name empty", "profiles:\n  - name: ''\n",
			`config: profiles[0].name: "" from file F:2 is not allowed (empty): want ` + allowedProfileName},
		{"duplicate name", "profiles:\n  - {name: intravenous, observe_until: 3h}\n  - {name: IntraVenous}\n",
			`config: profiles[1].name: "IntraVenous" from file F:3 is not allowed (profiles[0] has that name already): want ` + allowedProfileName},
		{"new without a window", "profiles:\n  - name: slow\n    onset: {min: 1m, max: 2m}\n",
			`config: profiles[0].effect: not set in file F:2: want ` + allowedWindow},
		{"new without an end", "profiles:\n  - name: slow\n    onset: {min: 1m}\n",
			`config: profiles[0].onset.max: not set in file F:3: want ` + allowedWindowEnd},
		{"new without observe_until", strings.Replace(newProfile, "    observe_until: 2h\n", "", 1),
			`config: profiles[0].observe_until: not set in file F:2: want ` + observe("1h20m")},
		{"window not a mapping", "profiles:\n  - name: intranasal\n    onset: 12m\n",
			`config: profiles[0].onset: "12m" from file F:3 is not allowed (not a mapping): want ` + allowedWindow},
		{"bare number", "profiles:\n  - name: intranasal\n    onset: {max: 15}\n",
			`config: profiles[0].onset.max: "15" from file F:3 is not allowed (a bare number has no unit): want ` + allowedWindowEnd},
		{"not a duration", "profiles:\n  - name: intranasal\n    return: {min: soon}\n",
			`config: profiles[0].return.min: "soon" from file F:3 is not allowed (not a duration): want ` + allowedWindowEnd},
		{"negative", "profiles:\n  - name: intranasal\n    onset: {min: -1m}\n",
			`config: profiles[0].onset.min: "-1m" from file F:3 is not allowed (negative): want ` + allowedWindowEnd},
		{"max below min", strings.Replace(newProfile, "max: 40m", "max: 20m", 1),
			`config: profiles[0].effect.max: "20m" from file F:4 is not allowed (below min, which is 30m): want ` + allowedWindowEnd},
		{"min above the built-in max", "profiles:\n  - name: intramuscular\n    onset: {min: 6m}\n",
			`config: profiles[0].onset.min: "6m" from file F:3 is not allowed (above max, which is 5m): want ` + allowedWindowEnd},
		{"max below the built-in min", "profiles:\n  - name: intramuscular\n    onset:\n      max: 1m\n",
			`config: profiles[0].onset.max: "1m" from file F:4 is not allowed (below min, which is 2m): want ` + allowedWindowEnd},
		{"effect does not last", strings.Replace(newProfile, "effect: {min: 30m", "effect: {min: 0s", 1),
			`config: profiles[0].effect.min: "0s" from file F:4 is not allowed (the effect must last): want ` + allowedEffectMin},
		{"observe before the return", strings.Replace(newProfile, "observe_until: 2h", "observe_until: 1h", 1),
			`config: profiles[0].observe_until: "1h" from file F:6 is not allowed (before the latest end of the return, 1h20m): want ` + observe("1h20m")},
		{"observe too long", strings.Replace(newProfile, "observe_until: 2h", "observe_until: 13h", 1),
			`config: profiles[0].observe_until: "13h" from file F:6 is not allowed (out of range): want ` + observe("1h20m")},
		{"built-in observe outrun by a window", "profiles:\n  - name: intranasal\n    effect: {max: 100m}\n",
			`config: profiles[0].observe_until: "2h" from default (built-in intranasal) is not allowed (before the latest end of the return, 2h15m): want ` + observe("2h15m")},
		{"error in the second entry", "profiles:\n  - name: intranasal\n  - name: sublingual\n    return: {max: 10m}\n",
			`config: profiles[1].return.max: "10m" from file F:4 is not allowed (below min, which is 20m): want ` + allowedWindowEnd},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, file, err := loadRooms(t, tc.body)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Load = %v, want a *Error", err)
			}
			if want := strings.ReplaceAll(tc.want, "file F:", "file "+file+":"); err.Error() != want {
				t.Errorf("error\n got %s\nwant %s", err, want)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("errors.Is(%v, ErrInvalid) = false", err)
			}
		})
	}
}

// Unknown and repeated keys in profiles are file errors at their line, with
// a suggestion when one is near.
func TestLoad_ProfileFileErrors(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		wantLine   int
		wantKey    string
		wantMsg    string
	}{
		{"profiles typo", "profile:\n  - name: intranasal\n", 1, "profile", `unknown key "profile" (did you mean "profiles"?)`},
		{"profile key typo", "profiles:\n  - name: intranasal\n    onste: {max: 12m}\n", 3, "profiles[0].onste",
			`unknown key "profiles[0].onste" (did you mean "onset"?)`},
		{"observe typo", "profiles:\n  - name: intranasal\n    observe: 3h\n", 3, "profiles[0].observe",
			`unknown key "profiles[0].observe" (did you mean "observe_until"?)`},
		{"window key typo", "profiles:\n  - name: intranasal\n    effect:\n      mx: 50m\n", 4, "profiles[0].effect.mx",
			`unknown key "profiles[0].effect.mx" (did you mean "max"?)`},
		{"key far off", "profiles:\n  - name: intranasal\n    colour: red\n", 3, "profiles[0].colour",
			`unknown key "profiles[0].colour" (want name, onset, effect, return, observe_until)`},
		{"key twice", "profiles:\n  - name: intranasal\n    Name: x\n", 3, "profiles[0].name",
			`key "profiles[0].name" given twice (first on line 2; keys are case-insensitive)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, file, err := loadRooms(t, tc.body)
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("Load = %v, want a *FileError", err)
			}
			if fe.File != file || fe.Line != tc.wantLine || fe.Key != tc.wantKey {
				t.Errorf("got file %q line %d key %q, want %q line %d key %q (%v)",
					fe.File, fe.Line, fe.Key, file, tc.wantLine, tc.wantKey, err)
			}
			if msg := err.Error(); !strings.Contains(msg, tc.wantMsg) || strings.Contains(msg, "\n") {
				t.Errorf("error %q, want one line containing %q", msg, tc.wantMsg)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("errors.Is(%v, ErrInvalid) = false", err)
			}
		})
	}
}

// The docs describe every profile key, what each allows and the built-ins.
func TestDocs_DescribeProfiles(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "docs", "configuration.md"))
	if err != nil {
		t.Fatalf("read the docs: %v", err)
	}
	doc := string(data)
	want := []string{allowedProfiles, allowedProfileName, allowedWindow, allowedWindowEnd, allowedEffectMin}
	for _, k := range profileLeaves {
		want = append(want, "`"+k+"`")
	}
	for _, p := range DefaultProfiles() {
		want = append(want, "`"+p.Name+"`")
	}
	for _, s := range want {
		if !strings.Contains(doc, s) {
			t.Errorf("docs/configuration.md lacks %q", s)
		}
	}
}
