package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// findFile returns the config file to use and its bytes: opts.File, which
// must exist, else the first attune.yaml in the search dirs, else "".
func findFile(opts Options, f *facts) (string, []byte, error) {
	if opts.File != "" {
		name, err := parsePath(opts.File, f)
		if err != nil {
			return "", nil, &FileError{File: opts.File, Msg: fmt.Sprintf("config file given with --config: %v", err)}
		}
		data, err := os.ReadFile(name)
		if err != nil {
			return "", nil, &FileError{File: name, Msg: fmt.Sprintf("cannot read config file given with --config: %v", err), Err: err}
		}
		return name, data, nil
	}
	for _, dir := range opts.SearchDirs() {
		if !filepath.IsAbs(dir) && f.workDir != "" {
			dir = filepath.Join(f.workDir, dir)
		}
		name := filepath.Join(dir, FileName)
		data, err := os.ReadFile(name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return "", nil, &FileError{File: name, Msg: fmt.Sprintf("cannot read config file: %v", err), Err: err}
		}
		return name, data, nil
	}
	return "", nil, nil
}

// checkFile parses a config file and checks that every key in it is known,
// appears once (keys are case-insensitive) and that sections are mappings.
// It returns the line of each key the file sets to a non-null value. The
// rooms and profiles lists are not checked here but returned as their key
// and value nodes (nil if the file has none), for nodeParser.
func checkFile(name string, data []byte, keys []Key) (*fileKeys, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		// yaml.v3 syntax errors read "yaml: line N: what".
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		line := 0
		if rest, ok := strings.CutPrefix(msg, "line "); ok {
			if n, what, ok := strings.Cut(rest, ": "); ok {
				if l, err := strconv.Atoi(n); err == nil {
					line, msg = l, what
				}
			}
		}
		return nil, &FileError{File: name, Line: line, Msg: "not valid YAML: " + msg, Err: err}
	}
	c := checker{file: name, keys: map[string]bool{}, sections: map[string]bool{},
		out: &fileKeys{lines: map[string]int{}}, seen: map[string]int{}}
	for _, k := range keys {
		c.keys[k.Name] = true
		parts := strings.Split(k.Name, ".")
		for i := 1; i < len(parts); i++ {
			c.sections[strings.Join(parts[:i], ".")] = true
		}
	}
	if len(doc.Content) == 0 { // empty or only comments
		return c.out, nil
	}
	root := resolve(doc.Content[0])
	if isNull(root) {
		return c.out, nil
	}
	if root.Kind != yaml.MappingNode {
		return nil, &FileError{File: name, Line: root.Line, Msg: "want a mapping of keys to values at the top"}
	}
	if err := c.walk(root, ""); err != nil {
		return nil, err
	}
	return c.out, nil
}

// fileKeys is what checkFile found in a config file.
type fileKeys struct {
	lines                   map[string]int // key → line, for keys set to a value
	roomsKey, roomsAt       *yaml.Node     // the rooms key and its value; nil if unset
	profilesKey, profilesAt *yaml.Node     // the profiles key and its value; nil if unset
}

// roomsKey is the top-level key of the rooms list, which is not in the
// table of keys: it has no env or flag form.
const roomsKey = "rooms"

type checker struct {
	file     string
	keys     map[string]bool // the known keys
	sections map[string]bool // their prefixes: "library"
	out      *fileKeys
	seen     map[string]int // key or section → line where it first appeared
}

func (c *checker) walk(m *yaml.Node, prefix string) error {
	for i := 0; i+1 < len(m.Content); i += 2 {
		kn, vn := m.Content[i], resolve(m.Content[i+1])
		if kn.Kind != yaml.ScalarNode {
			return &FileError{File: c.file, Line: kn.Line, Msg: "a key must be a plain name"}
		}
		full := strings.ToLower(kn.Value)
		if prefix != "" {
			full = prefix + "." + full
		}
		if prev, dup := c.seen[full]; dup {
			return &FileError{File: c.file, Line: kn.Line, Key: full,
				Msg: fmt.Sprintf("key %q given twice (first on line %d; keys are case-insensitive)", full, prev)}
		}
		c.seen[full] = kn.Line
		switch {
		case full == roomsKey:
			if !isNull(vn) {
				c.out.roomsKey, c.out.roomsAt = kn, vn
			}
		case full == profilesKey:
			if !isNull(vn) {
				c.out.profilesKey, c.out.profilesAt = kn, vn
			}
		case c.keys[full]:
			if !isNull(vn) {
				c.out.lines[full] = kn.Line
			}
		case c.sections[full]:
			if isNull(vn) {
				continue
			}
			if vn.Kind != yaml.MappingNode {
				return &FileError{File: c.file, Line: kn.Line, Key: full,
					Msg: fmt.Sprintf("%q is a section: want keys under it, such as %s", full, c.childOf(full))}
			}
			if err := c.walk(vn, full); err != nil {
				return err
			}
		default:
			msg := fmt.Sprintf("unknown key %q", full)
			if s := c.suggest(full); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			return &FileError{File: c.file, Line: kn.Line, Key: full, Msg: msg}
		}
	}
	return nil
}

// childOf returns a known key under section, for a hint.
func (c *checker) childOf(section string) string {
	best := ""
	for k := range c.keys {
		if strings.HasPrefix(k, section+".") && (best == "" || k < best) {
			best = k
		}
	}
	return strconv.Quote(strings.TrimPrefix(best, section+"."))
}

// suggest returns the known key or section nearest to an unknown one, or ""
// if none is near: one with the same last part ("workers" →
// "library.workers"), else one within a few edits.
func (c *checker) suggest(unknown string) string {
	leaf := unknown[strings.LastIndex(unknown, ".")+1:]
	var names []string
	for k := range c.keys {
		names = append(names, k)
	}
	for s := range c.sections {
		names = append(names, s)
	}
	names = append(names, roomsKey, profilesKey)
	best, bestDist := "", len(unknown)/3+2
	for _, n := range names {
		d := editDistance(unknown, n)
		if n[strings.LastIndex(n, ".")+1:] == leaf {
			d = 0
		}
		if d < bestDist || (d == bestDist && n < best) {
			best, bestDist = n, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// resolve follows an alias to the node it names.
func resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}
