package config

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Profile is a route profile (DESIGN.md §2): how a route of administration
// acts over time on the drug clock, whose zero is the dose. It is the plain
// form of playlists.Profile (config imports no domain package; cmd/attune
// converts it) and is valid by the same rules.
type Profile struct {
	// Name identifies the profile (a playlist's profile, attune plan
	// --profile): letters, digits, '-' and '_'.
	Name string
	// Onset is when effects begin, after the dose.
	Onset ProfileWindow
	// Effect is how long they last, after the onset.
	Effect ProfileWindow
	// Return is how long the way back takes, after the effect.
	Return ProfileWindow
	// ObserveUntil is when the clinic's observation ends, after the dose.
	ObserveUntil time.Duration
}

// ProfileWindow is a span of time a pharmacological event falls in:
// 0 ≤ Min ≤ Max.
type ProfileWindow struct {
	Min, Max time.Duration
}

// MaxObserve bounds a profile's observe_until, as playlists.MaxObserve does:
// longer is a unit mistake.
const MaxObserve = 12 * time.Hour

// DefaultProfiles returns the built-in route profiles, the default
// (intranasal) first: the table of DESIGN.md §2, equal to
// playlists.DefaultProfiles (a test holds them together). The config file's
// profiles list overrides and adds to them.
func DefaultProfiles() []Profile {
	m := time.Minute
	return []Profile{
		{Name: "intranasal", Onset: ProfileWindow{10 * m, 15 * m}, Effect: ProfileWindow{30 * m, 45 * m}, Return: ProfileWindow{15 * m, 20 * m}, ObserveUntil: 120 * m},
		{Name: "intramuscular", Onset: ProfileWindow{2 * m, 5 * m}, Effect: ProfileWindow{45 * m, 60 * m}, Return: ProfileWindow{15 * m, 20 * m}, ObserveUntil: 120 * m},
		{Name: "intravenous", Onset: ProfileWindow{1 * m, 5 * m}, Effect: ProfileWindow{35 * m, 45 * m}, Return: ProfileWindow{20 * m, 30 * m}, ObserveUntil: 120 * m},
		{Name: "sublingual", Onset: ProfileWindow{15 * m, 20 * m}, Effect: ProfileWindow{40 * m, 60 * m}, Return: ProfileWindow{20 * m, 30 * m}, ObserveUntil: 150 * m},
	}
}

// profilesKey is the top-level key of the profiles list, which, like rooms,
// is read from the config file only.
const profilesKey = "profiles"

// Allowed values, for errors and docs.
const (
	allowedProfiles    = "a list of profiles, each a mapping with a name and the values it sets"
	allowedProfileName = "a name of letters, digits, - and _, unique among profiles (case-insensitive); a built-in's name overrides it"
	allowedWindow      = "a mapping with min and max, each a duration with a unit like 10m"
	allowedWindowEnd   = "a duration with a unit like 10m, from 0, min not above max"
	allowedEffectMin   = "a duration with a unit like 30m, above 0 and not above max"
)

var (
	profileKeys = []string{"name", "onset", "effect", "return", "observe_until"}
	windowKeys  = []string{"min", "max"}
	// windowNames are the profile's windows, in the order they are read.
	windowNames = []string{"onset", "effect", "return"}
	// profileLeaves are the paths of a profile's values, below profiles[i].
	profileLeaves = []string{"name", "onset", "onset.min", "onset.max", "effect", "effect.min", "effect.max",
		"return", "return.min", "return.max", "observe_until"}
)

// window returns p's window named name (one of windowNames).
func (p *Profile) window(name string) *ProfileWindow {
	switch name {
	case "onset":
		return &p.Onset
	case "effect":
		return &p.Effect
	}
	return &p.Return
}

// latestReturn is the latest the return can end: where observation must
// last to.
func (p Profile) latestReturn() time.Duration {
	return p.Onset.Max + p.Effect.Max + p.Return.Max
}

// Profile returns the effective profile named name (case-insensitively);
// "" names the default, the first.
func (c *Config) Profile(name string) (Profile, bool) {
	for _, p := range c.Profiles {
		if name == "" || strings.EqualFold(p.Name, name) {
			return p, true
		}
	}
	return Profile{}, false
}

// profiles reads the profiles list at n (given at key) over the built-ins.
// Errors name the entry's place in the file's list (profiles[1].onset.max);
// origins are recorded at its place in the effective list, where the
// built-ins come first and new profiles follow in file order.
func (p *nodeParser) profiles(key, n *yaml.Node) ([]Profile, error) {
	out := DefaultProfiles()
	defaultProfileOrigins(out, p.origins)
	if n.Kind != yaml.SequenceNode {
		return nil, p.invalid(profilesKey, key, n, "not a list", allowedProfiles)
	}
	p.origins[profilesKey] = p.at(key)
	names := map[string]string{} // lower-case name → path of the entry
	for i, pn := range n.Content {
		path := fmt.Sprintf("%s[%d]", profilesKey, i)
		// The entry's origins are read under its file path, then moved to
		// its effective one.
		sub := *p
		sub.origins = map[string]origin{}
		prof, idx, err := sub.profile(path, resolve(pn), out, names)
		if err != nil {
			return nil, err
		}
		if idx == len(out) {
			out = append(out, prof)
		} else {
			out[idx] = prof
		}
		eff := fmt.Sprintf("%s[%d]", profilesKey, idx)
		for k, o := range sub.origins {
			p.origins[eff+strings.TrimPrefix(k, path)] = o
		}
	}
	return out, nil
}

// profile reads the entry at path. An entry named like a profile in have
// overrides the values it sets and returns that profile's index; a new one
// must set every value and returns len(have). names holds the entries
// before it.
func (p *nodeParser) profile(path string, n *yaml.Node, have []Profile, names map[string]string) (Profile, int, error) {
	fs, err := p.fields(n, path, "a mapping with "+strings.Join(profileKeys, ", "), profileKeys)
	if err != nil {
		return Profile{}, 0, err
	}
	p.origins[path] = p.at(n)
	fd, ok := fs["name"]
	if !ok {
		return Profile{}, 0, p.missing(path+".name", n, allowedProfileName)
	}
	name, err := p.text(path+".name", fd, allowedProfileName)
	if err != nil {
		return Profile{}, 0, err
	}
	if strings.Trim(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != "" {
		return Profile{}, 0, p.invalid(path+".name", fd.key, fd.val, "a character other than a letter, digit, - or _", allowedProfileName)
	}
	if prev, dup := names[strings.ToLower(name)]; dup {
		return Profile{}, 0, p.invalid(path+".name", fd.key, fd.val, prev+" has that name already", allowedProfileName)
	}
	names[strings.ToLower(name)] = path

	idx := slices.IndexFunc(have, func(q Profile) bool { return strings.EqualFold(q.Name, name) })
	isNew := idx < 0
	prof := Profile{Name: name}
	from := origin{source: SourceDefault}
	if isNew {
		idx = len(have)
	} else {
		// The built-in's own spelling, which playlists name it by.
		prof = have[idx]
		from = origin{SourceDefault, "(built-in " + prof.Name + ")"}
		for _, leaf := range profileLeaves[1:] {
			p.origins[path+"."+leaf] = from
		}
	}

	// given holds the values the entry sets, by leaf ("onset.min").
	given := map[string]field{}
	for _, w := range windowNames {
		wfd, ok := fs[w]
		if !ok {
			if isNew {
				return prof, idx, p.missing(path+"."+w, n, allowedWindow)
			}
			continue
		}
		wfs, err := p.fields(wfd.val, path+"."+w, allowedWindow, windowKeys)
		if err != nil {
			return prof, idx, err
		}
		p.origins[path+"."+w] = p.at(wfd.key)
		win := prof.window(w)
		for _, end := range windowKeys {
			leaf := w + "." + end
			efd, ok := wfs[end]
			if !ok {
				if isNew {
					return prof, idx, p.missing(path+"."+leaf, wfd.val, allowedLeaf(leaf))
				}
				continue
			}
			d, err := p.duration(path+"."+leaf, efd, allowedLeaf(leaf))
			if err != nil {
				return prof, idx, err
			}
			if end == "min" {
				win.Min = d
			} else {
				win.Max = d
			}
			given[leaf] = efd
		}
	}
	if ofd, ok := fs["observe_until"]; ok {
		if prof.ObserveUntil, err = p.duration(path+".observe_until", ofd, allowedObserve(prof)); err != nil {
			return prof, idx, err
		}
		given["observe_until"] = ofd
	} else if isNew {
		return prof, idx, p.missing(path+".observe_until", n, allowedObserve(prof))
	}
	return prof, idx, p.checkProfile(path, prof, given, from)
}

// duration reads a duration of 0 or more at path, recording its origin.
func (p *nodeParser) duration(path string, fd field, allowed string) (time.Duration, error) {
	d, err := parseDuration(scalar(fd.val))
	if err != nil {
		return 0, p.invalid(path, fd.key, fd.val, err.Error(), allowed)
	}
	if d < 0 {
		return 0, p.invalid(path, fd.key, fd.val, "negative", allowed)
	}
	p.origins[path] = p.at(fd.key)
	return d, nil
}

// checkProfile checks the profile as a whole by playlists.Profile.Validate's
// rules, blaming a value the entry gives where it can: windows ordered,
// the effect lasting, observation from the latest end of the return to
// MaxObserve. from is the origin of the values it does not give.
func (p *nodeParser) checkProfile(path string, prof Profile, given map[string]field, from origin) error {
	// blame is the error for leaf, reason and allowed, at the value given
	// or, when the entry leaves it to the built-in, at that.
	blame := func(leaf, reason, allowed string, value time.Duration) error {
		if fd, ok := given[leaf]; ok {
			return p.invalid(path+"."+leaf, fd.key, fd.val, reason, allowed)
		}
		return &Error{Key: path + "." + leaf, Value: formatDuration(value), Origin: from.String(), Allowed: allowed, Reason: reason}
	}
	for _, w := range windowNames {
		win := *prof.window(w)
		if win.Max >= win.Min {
			continue
		}
		if _, ok := given[w+".max"]; ok {
			return blame(w+".max", fmt.Sprintf("below min, which is %s", formatDuration(win.Min)), allowedLeaf(w+".max"), win.Max)
		}
		return blame(w+".min", fmt.Sprintf("above max, which is %s", formatDuration(win.Max)), allowedLeaf(w+".min"), win.Min)
	}
	if prof.Effect.Min <= 0 {
		return blame("effect.min", "the effect must last", allowedEffectMin, prof.Effect.Min)
	}
	if latest := prof.latestReturn(); prof.ObserveUntil < latest {
		return blame("observe_until", fmt.Sprintf("before the latest end of the return, %s", formatDuration(latest)),
			allowedObserve(prof), prof.ObserveUntil)
	}
	if prof.ObserveUntil > MaxObserve {
		return blame("observe_until", "out of range", allowedObserve(prof), prof.ObserveUntil)
	}
	return nil
}

// allowedLeaf is what a window's end allows.
func allowedLeaf(leaf string) string {
	if leaf == "effect.min" {
		return allowedEffectMin
	}
	return allowedWindowEnd
}

// allowedObserve is what observe_until allows in prof.
func allowedObserve(prof Profile) string {
	return fmt.Sprintf("a duration with a unit like 2h, from the latest end of the return "+
		"(onset.max + effect.max + return.max: %s) to %s", formatDuration(prof.latestReturn()), formatDuration(MaxObserve))
}

// defaultProfileOrigins records every path of profiles as a default.
func defaultProfileOrigins(profiles []Profile, origins map[string]origin) {
	def := origin{source: SourceDefault}
	origins[profilesKey] = def
	for i := range profiles {
		pp := fmt.Sprintf("%s[%d]", profilesKey, i)
		origins[pp] = def
		for _, leaf := range profileLeaves {
			origins[pp+"."+leaf] = def
		}
	}
}
