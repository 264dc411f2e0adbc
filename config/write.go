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
	if err := l.appendRooms(root); err != nil {
		return err
	}
	if err := l.appendProfiles(root); err != nil {
		return err
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

// appendRooms adds the rooms list to root, each value with its origin.
func (l *Loaded) appendRooms(root *yaml.Node) error {
	seq := &yaml.Node{Kind: yaml.SequenceNode}
	key := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: roomsKey,
		HeadComment: "rooms come from the config file only (no env or flag form)",
		LineComment: l.Origin(roomsKey)}
	root.Content = append(root.Content, key, seq)
	for i, r := range l.Config.Rooms {
		rp := fmt.Sprintf("rooms[%d]", i)
		room := &yaml.Node{Kind: yaml.MappingNode}
		patient := &yaml.Node{Kind: yaml.MappingNode}
		outputs := &yaml.Node{Kind: yaml.SequenceNode}
		if err := l.addValues(room, rp, []keyValue{
			{"name", r.Name}, {"ceiling", numberValue(r.CeilingDB)}, {"loudness_target", numberValue(r.LoudnessTarget)},
			{"volume", numberValue(r.VolumeDB)},
		}); err != nil {
			return err
		}
		room.Content = append(room.Content, strNode("patient_volume", ""), patient)
		if err := l.addValues(patient, rp+".patient_volume", []keyValue{
			{"min", numberValue(r.Patient.MinDB)}, {"max", numberValue(r.Patient.MaxDB)},
		}); err != nil {
			return err
		}
		room.Content = append(room.Content, strNode("outputs", l.Origin(rp+".outputs")), outputs)
		for j, o := range r.Outputs {
			out := &yaml.Node{Kind: yaml.MappingNode}
			kvs := []keyValue{{"name", o.Name}, {"type", string(o.Type)}}
			switch o.Type {
			case OutputSpeaker:
				kvs = append(kvs, keyValue{"device", o.Device})
			case OutputFile:
				kvs = append(kvs, keyValue{"path", o.Path})
			case OutputStream:
				kvs = append(kvs, keyValue{"bitrate", o.Bitrate})
			}
			kvs = append(kvs, keyValue{"trim", numberValue(o.TrimDB)}, keyValue{"optional", o.Optional})
			if err := l.addValues(out, fmt.Sprintf("%s.outputs[%d]", rp, j), kvs); err != nil {
				return err
			}
			outputs.Content = append(outputs.Content, out)
		}
		seq.Content = append(seq.Content, room)
	}
	return nil
}

// appendProfiles adds the effective profiles list to root, built-ins
// included, each value with its origin.
func (l *Loaded) appendProfiles(root *yaml.Node) error {
	seq := &yaml.Node{Kind: yaml.SequenceNode}
	key := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: profilesKey,
		HeadComment: "route profiles come from the config file only; the built-ins are listed too",
		LineComment: l.Origin(profilesKey)}
	root.Content = append(root.Content, key, seq)
	for i, p := range l.Config.Profiles {
		pp := fmt.Sprintf("%s[%d]", profilesKey, i)
		m := &yaml.Node{Kind: yaml.MappingNode}
		if err := l.addValues(m, pp, []keyValue{{"name", p.Name}}); err != nil {
			return err
		}
		for _, w := range windowNames {
			win := *p.window(w)
			wm := &yaml.Node{Kind: yaml.MappingNode}
			m.Content = append(m.Content, strNode(w, ""), wm)
			if err := l.addValues(wm, pp+"."+w, []keyValue{
				{"min", formatDuration(win.Min)}, {"max", formatDuration(win.Max)},
			}); err != nil {
				return err
			}
		}
		if err := l.addValues(m, pp, []keyValue{{"observe_until", formatDuration(p.ObserveUntil)}}); err != nil {
			return err
		}
		seq.Content = append(seq.Content, m)
	}
	return nil
}

type keyValue struct {
	key   string
	value any
}

// addValues appends each key and value to the mapping m, commented with the
// origin of path.key.
func (l *Loaded) addValues(m *yaml.Node, path string, kvs []keyValue) error {
	for _, kv := range kvs {
		var val yaml.Node
		if err := val.Encode(kv.value); err != nil {
			return fmt.Errorf("config: encode %s.%s: %w", path, kv.key, err)
		}
		val.LineComment = l.Origin(path + "." + kv.key)
		m.Content = append(m.Content, strNode(kv.key, ""), &val)
	}
	return nil
}

// strNode is a plain string key with an optional line comment.
func strNode(s, comment string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s, LineComment: comment}
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
