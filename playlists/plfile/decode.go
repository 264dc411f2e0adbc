package plfile

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"attune/playlists"
)

// ErrFormat is wrapped by every error about what a playlist file says (as
// opposed to reading it, or resolving its tracks).
var ErrFormat = errors.New("bad playlist file")

// FieldError is a problem with one value of a playlist file, where it is.
type FieldError struct {
	Pos   Pos
	Field string // path of the field, e.g. "phases[2].crossfade"
	Msg   string
}

func (e *FieldError) Error() string { return fmt.Sprintf("%s: %s: %s", e.Pos, e.Field, e.Msg) }

// Unwrap makes every FieldError match ErrFormat.
func (e *FieldError) Unwrap() error { return ErrFormat }

// Document is a playlist as its file says it, before its track references
// are resolved to library ids (see Document.Resolve).
type Document struct {
	Name        string
	Description string
	Author      string
	Profile     string
	Transition  time.Duration
	Phases      []DocPhase
}

// DocPhase is a phase of a Document.
type DocPhase struct {
	Role      playlists.Role
	Crossfade time.Duration
	LevelDB   float64
	Fill      playlists.Fill
	Tracks    []Ref
	Pos       Pos
}

// Ref is a track reference as a file writes it: a library track id, a file
// path, or "Artist – Title".
type Ref struct {
	Ref      string
	MustPlay bool
	// Alt is another way to find the same track, tried when Ref does not
	// resolve: an M3U entry's #EXTINF title ("Artist - Title"), for a
	// playlist made on another machine whose paths are not ours.
	Alt string
	// Note is free text for people (exports write "Artist – Title" here
	// in JSON, which has no comments); imports ignore it.
	Note string
	Pos  Pos
}

// The fields of each object of the format, for strict decoding.
var (
	docFields   = []string{"name", "description", "author", "profile", "transition", "phases"}
	phaseFields = []string{"role", "crossfade", "level_db", "fill", "tracks"}
	trackFields = []string{"ref", "must_play", "note"}
)

// decoder collects every problem of a file, each with its position.
type decoder struct {
	errs []error // each a *FieldError
}

func (d *decoder) bad(n *node, field, format string, args ...any) {
	d.errs = append(d.errs, &FieldError{Pos: n.pos, Field: field, Msg: fmt.Sprintf(format, args...)})
}

// fields checks that n is a mapping of known, distinct keys, reporting
// unknown ones with the nearest known name, and returns key → value.
func (d *decoder) fields(n *node, path string, known []string) map[string]*node {
	if n.kind != mapNode {
		d.bad(n, path, "want a mapping of %s, got %s", strings.Join(known, ", "), n.describe())
		return nil
	}
	m := map[string]*node{}
	first := map[string]Pos{}
	for i, k := range n.keys {
		name := k.value
		field := join(path, name)
		switch {
		case k.typ != "string":
			d.bad(k, field, "a key must be a name, got %s", k.describe())
		case !contains(known, name):
			msg := fmt.Sprintf("unknown field %q", name)
			if s := suggest(name, known); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			d.bad(k, field, "%s; known: %s", msg, strings.Join(known, ", "))
		case m[name] != nil:
			d.bad(k, field, "given twice (first at %s)", first[name])
		default:
			m[name], first[name] = n.vals[i], k.pos
		}
	}
	return m
}

func join(path, field string) string {
	if path == "" {
		return field
	}
	return path + "." + field
}

func (d *decoder) str(n *node, field string) string {
	if n == nil || n.kind == nullNode {
		return ""
	}
	if n.kind != scalarNode || n.typ != "string" {
		d.bad(n, field, "want text, got %s", n.describe())
		return ""
	}
	return n.value
}

// duration reads a Go duration string ("8s", "1m30s"). A bare number is
// refused: is 8 seconds, minutes or milliseconds?
func (d *decoder) duration(n *node, field string) time.Duration {
	if n == nil || n.kind == nullNode {
		return 0
	}
	if n.kind == scalarNode && n.typ == "number" {
		d.bad(n, field, "%s is a bare number; write a duration with its unit, like \"%ss\"", n.value, n.value)
		return 0
	}
	s := d.str(n, field)
	if s == "" {
		return 0
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		d.bad(n, field, "%q is not a duration; write it like \"8s\", \"1m30s\" or \"500ms\"", s)
		return 0
	}
	if v < 0 {
		d.bad(n, field, "%q is negative", s)
		return 0
	}
	return v
}

func (d *decoder) number(n *node, field string) float64 {
	if n == nil || n.kind == nullNode {
		return 0
	}
	if n.kind != scalarNode || n.typ != "number" {
		d.bad(n, field, "want a number (of dB), got %s", n.describe())
		return 0
	}
	v, err := strconv.ParseFloat(n.value, 64)
	if err != nil {
		d.bad(n, field, "%q is not a number", n.value)
	}
	return v
}

func (d *decoder) boolean(n *node, field string) bool {
	if n == nil || n.kind == nullNode {
		return false
	}
	if n.kind != scalarNode || n.typ != "bool" {
		d.bad(n, field, "want true or false, got %s", n.describe())
		return false
	}
	return n.value == "true"
}

// oneOf reads a name from a fixed set, suggesting the nearest on a typo.
func (d *decoder) oneOf(n *node, field, what string, known []string) string {
	s := d.str(n, field)
	if s == "" || contains(known, s) {
		return s
	}
	msg := fmt.Sprintf("unknown %s %q", what, s)
	if sug := suggest(s, known); sug != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", sug)
	}
	d.bad(n, field, "%s; want one of %s", msg, strings.Join(known, ", "))
	return ""
}

// decodeDocument walks the tree of a YAML or JSON file into a Document.
func decodeDocument(root *node) (Document, error) {
	d := &decoder{}
	var doc Document
	f := d.fields(root, "", docFields)
	if f == nil {
		return Document{}, d.err()
	}
	doc.Name = d.str(f["name"], "name")
	doc.Description = d.str(f["description"], "description")
	doc.Author = d.str(f["author"], "author")
	doc.Profile = d.str(f["profile"], "profile")
	doc.Transition = d.duration(f["transition"], "transition")
	switch ph := f["phases"]; {
	case ph == nil || ph.kind == nullNode:
		d.errs = append(d.errs, &FieldError{Pos: root.pos, Field: "phases", Msg: "missing: a playlist needs at least one phase"})
	case ph.kind != seqNode:
		d.bad(ph, "phases", "want a list of phases, got %s", ph.describe())
	default:
		for i, pn := range ph.vals {
			doc.Phases = append(doc.Phases, d.phase(pn, fmt.Sprintf("phases[%d]", i+1)))
		}
	}
	return doc, d.err()
}

// err joins the problems found, in the order they appear in the file.
func (d *decoder) err() error {
	sort.SliceStable(d.errs, func(i, j int) bool {
		a, b := d.errs[i].(*FieldError).Pos, d.errs[j].(*FieldError).Pos
		return a.Line < b.Line || a.Line == b.Line && a.Offset < b.Offset
	})
	return errors.Join(d.errs...)
}

func (d *decoder) phase(n *node, path string) DocPhase {
	p := DocPhase{Pos: n.pos}
	f := d.fields(n, path, phaseFields)
	if f == nil {
		return p
	}
	if f["role"] == nil {
		d.bad(n, join(path, "role"), "missing; want one of %s", strings.Join(roleNames(), ", "))
	}
	p.Role = playlists.Role(d.oneOf(f["role"], join(path, "role"), "role", roleNames()))
	p.Crossfade = d.duration(f["crossfade"], join(path, "crossfade"))
	p.LevelDB = d.number(f["level_db"], join(path, "level_db"))
	p.Fill = playlists.Fill(d.oneOf(f["fill"], join(path, "fill"), "fill", fillNames()))
	switch tn := f["tracks"]; {
	case tn == nil || tn.kind == nullNode:
	case tn.kind != seqNode:
		d.bad(tn, join(path, "tracks"), "want a list of tracks, got %s", tn.describe())
	default:
		for i, t := range tn.vals {
			p.Tracks = append(p.Tracks, d.track(t, fmt.Sprintf("%s.tracks[%d]", path, i+1)))
		}
	}
	return p
}

// track reads a reference written alone ("Artist – Title") or as a mapping
// ({ref: ..., must_play: true}).
func (d *decoder) track(n *node, path string) Ref {
	r := Ref{Pos: n.pos}
	before := len(d.errs)
	if n.kind == scalarNode {
		r.Ref = strings.TrimSpace(d.str(n, path))
	} else if f := d.fields(n, path, trackFields); f != nil {
		r.Ref = strings.TrimSpace(d.str(f["ref"], join(path, "ref")))
		r.MustPlay = d.boolean(f["must_play"], join(path, "must_play"))
		r.Note = d.str(f["note"], join(path, "note"))
		if f["ref"] == nil {
			d.bad(n, join(path, "ref"), "missing: which track?")
			return r
		}
	}
	if r.Ref == "" && len(d.errs) == before {
		d.bad(n, path, "empty track reference")
	}
	return r
}

func roleNames() []string {
	var s []string
	for _, r := range playlists.Roles() {
		s = append(s, string(r))
	}
	return s
}

func fillNames() []string {
	var s []string
	for _, f := range playlists.Fills() {
		s = append(s, string(f))
	}
	return s
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// suggest returns the known name nearest to an unknown one, or "" if none
// is near (a few edits, ignoring case).
func suggest(unknown string, known []string) string {
	u := strings.ToLower(unknown)
	best, bestDist := "", len(u)/3+2
	for _, k := range known {
		dist := editDistance(u, k)
		if strings.HasPrefix(k, u) && len(u) >= 3 {
			dist = min(dist, 1)
		}
		if dist < bestDist {
			best, bestDist = k, dist
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
