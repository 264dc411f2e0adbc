package config

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"go.yaml.in/yaml/v3"
)

// WriteYAML writes the effective configuration as YAML, one key per line
// with a comment saying where its value came from:
//
//	data_dir: /home/x/.local/share/attune # default
//	library:
//	  dir: /srv/music # env ATTUNE_LIBRARY_DIR
//
// The output is a valid config file: loaded with --config it gives the same
// Config.
func (l *Loaded) WriteYAML(w io.Writer) error {
	root := &yaml.Node{Kind: yaml.MappingNode}
	if l.File != "" {
		root.HeadComment = "effective attune configuration; config file: " + l.File
	} else {
		root.HeadComment = "effective attune configuration; no config file"
	}
	sections := map[string]*yaml.Node{"": root}
	for _, k := range l.keys {
		parent := root
		section, leaf := "", k.Name
		if i := strings.LastIndex(k.Name, "."); i >= 0 {
			section, leaf = k.Name[:i], k.Name[i+1:]
			parent = sectionNode(sections, section)
		}
		var val yaml.Node
		if err := val.Encode(k.value(&l.Config)); err != nil {
			return fmt.Errorf("config: encode %s: %w", k.Name, err)
		}
		if val.Kind == yaml.SequenceNode {
			val.Style = yaml.FlowStyle
		}
		val.LineComment = l.Origin(k.Name)
		parent.Content = append(parent.Content,
			&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: leaf}, &val)
	}
	// Encode to memory first: yaml.v3 does not wrap the writer's errors.
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return fmt.Errorf("config: encode YAML: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("config: encode YAML: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("config: write YAML: %w", err)
	}
	return nil
}

// sectionNode returns the mapping node for a dotted section, adding it (and
// its parents) to the tree on first use.
func sectionNode(sections map[string]*yaml.Node, section string) *yaml.Node {
	if n, ok := sections[section]; ok {
		return n
	}
	parentName, leaf := "", section
	if i := strings.LastIndex(section, "."); i >= 0 {
		parentName, leaf = section[:i], section[i+1:]
	}
	parent := sectionNode(sections, parentName)
	n := &yaml.Node{Kind: yaml.MappingNode}
	parent.Content = append(parent.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: leaf}, n)
	sections[section] = n
	return n
}
