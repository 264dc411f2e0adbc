package plfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Pos is where something is in a playlist file: a line (YAML, M3U) or a
// byte offset (JSON, which also gets the line it falls on).
type Pos struct {
	Line   int // 1-based; 0 if unknown
	Offset int // 0-based byte offset; meaningful only when JSON
	JSON   bool
}

func (p Pos) String() string {
	switch {
	case p.JSON:
		return fmt.Sprintf("offset %d (line %d)", p.Offset, p.Line)
	case p.Line > 0:
		return fmt.Sprintf("line %d", p.Line)
	}
	return "(unknown position)"
}

type nodeKind int

const (
	nullNode nodeKind = iota
	scalarNode
	mapNode
	seqNode
)

// node is a YAML or JSON value with where it was written, so that one
// schema walk decodes both formats and reports positions for both.
type node struct {
	kind nodeKind
	pos  Pos
	// scalars: the text, and what it was written as ("string", "number",
	// "bool"), so a duration written as a bare number is caught.
	value string
	typ   string
	// maps: keys (scalars, in file order) and their values; sequences:
	// items in vals.
	keys []*node
	vals []*node
}

func (n *node) describe() string {
	switch n.kind {
	case nullNode:
		return "nothing (null)"
	case mapNode:
		return "a mapping"
	case seqNode:
		return "a list"
	}
	return fmt.Sprintf("the %s %s", n.typ, quoteIfString(n))
}

func quoteIfString(n *node) string {
	if n.typ == "string" {
		return fmt.Sprintf("%q", n.value)
	}
	return n.value
}

// parseYAML reads one YAML document into a node tree.
func parseYAML(data []byte) (*node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%w: YAML: %w", ErrFormat, err)
	}
	if doc.Kind == 0 {
		return &node{kind: nullNode, pos: Pos{Line: 1}}, nil
	}
	return fromYAML(&doc, 0)
}

// maxDepth bounds nesting (and alias expansion) far beyond any playlist.
const maxDepth = 20

func fromYAML(y *yaml.Node, depth int) (*node, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("%w: line %d: nested too deeply", ErrFormat, y.Line)
	}
	for y.Kind == yaml.AliasNode && y.Alias != nil {
		y = y.Alias
	}
	n := &node{pos: Pos{Line: y.Line}}
	switch y.Kind {
	case yaml.DocumentNode:
		if len(y.Content) == 0 {
			return &node{kind: nullNode, pos: n.pos}, nil
		}
		return fromYAML(y.Content[0], depth+1)
	case yaml.ScalarNode:
		n.kind, n.value = scalarNode, y.Value
		switch y.ShortTag() {
		case "!!null":
			n.kind = nullNode
		case "!!int", "!!float":
			n.typ = "number"
		case "!!bool":
			n.typ = "bool"
		default:
			n.typ = "string"
		}
	case yaml.MappingNode:
		n.kind = mapNode
		for i := 0; i+1 < len(y.Content); i += 2 {
			k, err := fromYAML(y.Content[i], depth+1)
			if err != nil {
				return nil, err
			}
			v, err := fromYAML(y.Content[i+1], depth+1)
			if err != nil {
				return nil, err
			}
			n.keys, n.vals = append(n.keys, k), append(n.vals, v)
		}
	case yaml.SequenceNode:
		n.kind = seqNode
		for _, c := range y.Content {
			v, err := fromYAML(c, depth+1)
			if err != nil {
				return nil, err
			}
			n.vals = append(n.vals, v)
		}
	default:
		return nil, fmt.Errorf("%w: line %d: unsupported YAML node", ErrFormat, y.Line)
	}
	return n, nil
}

// parseJSON reads one JSON value into a node tree, with byte offsets.
func parseJSON(data []byte) (*node, error) {
	p := &jsonParser{data: data, dec: json.NewDecoder(bytes.NewReader(data))}
	p.dec.UseNumber()
	n, err := p.value(0)
	if err != nil {
		return nil, err
	}
	end := p.start()
	if _, err := p.dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: JSON: %s: data after the top-level value", ErrFormat, p.pos(end))
	}
	return n, nil
}

type jsonParser struct {
	data []byte
	dec  *json.Decoder
}

// start is the offset of the next token: the decoder's offset is the end of
// the previous one, before any space or separator.
func (p *jsonParser) start() int {
	off := int(p.dec.InputOffset())
	for off < len(p.data) && strings.IndexByte(" \t\r\n,:", p.data[off]) >= 0 {
		off++
	}
	return off
}

func (p *jsonParser) pos(off int) Pos {
	return Pos{Line: 1 + bytes.Count(p.data[:min(off, len(p.data))], []byte("\n")), Offset: off, JSON: true}
}

func (p *jsonParser) syntax(off int, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		off = int(se.Offset)
	}
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("%w: JSON: %s: %w", ErrFormat, p.pos(off), err)
}

func (p *jsonParser) value(depth int) (*node, error) {
	off := p.start()
	if depth > maxDepth {
		return nil, fmt.Errorf("%w: JSON: %s: nested too deeply", ErrFormat, p.pos(off))
	}
	tok, err := p.dec.Token()
	if err != nil {
		return nil, p.syntax(off, err)
	}
	n := &node{pos: p.pos(off)}
	switch t := tok.(type) {
	case nil:
		n.kind = nullNode
	case string:
		n.kind, n.typ, n.value = scalarNode, "string", t
	case json.Number:
		n.kind, n.typ, n.value = scalarNode, "number", t.String()
	case bool:
		n.kind, n.typ, n.value = scalarNode, "bool", fmt.Sprint(t)
	case json.Delim:
		switch t {
		case '{':
			n.kind = mapNode
			for p.dec.More() {
				koff := p.start()
				k, err := p.dec.Token()
				if err != nil {
					return nil, p.syntax(koff, err)
				}
				ks, _ := k.(string)
				v, err := p.value(depth + 1)
				if err != nil {
					return nil, err
				}
				n.keys = append(n.keys, &node{kind: scalarNode, typ: "string", value: ks, pos: p.pos(koff)})
				n.vals = append(n.vals, v)
			}
		case '[':
			n.kind = seqNode
			for p.dec.More() {
				v, err := p.value(depth + 1)
				if err != nil {
					return nil, err
				}
				n.vals = append(n.vals, v)
			}
		}
		end := p.start()
		if _, err := p.dec.Token(); err != nil { // the closing delimiter
			return nil, p.syntax(end, err)
		}
	}
	return n, nil
}
