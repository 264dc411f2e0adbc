package plfile

import (
	"context"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"attune/playlists"
)

// The file format's shapes, for writing JSON; fields in the order the
// documentation gives them, zero values left out.
type (
	jsonDoc struct {
		Name        string      `json:"name"`
		Description string      `json:"description,omitempty"`
		Author      string      `json:"author,omitempty"`
		Profile     string      `json:"profile,omitempty"`
		Transition  string      `json:"transition,omitempty"`
		Phases      []jsonPhase `json:"phases"`
	}
	jsonPhase struct {
		Role      playlists.Role `json:"role"`
		Crossfade string         `json:"crossfade,omitempty"`
		LevelDB   float64        `json:"level_db,omitempty"`
		Fill      playlists.Fill `json:"fill,omitempty"`
		Tracks    []any          `json:"tracks"`
	}
	jsonTrack struct {
		Ref      string `json:"ref"`
		MustPlay bool   `json:"must_play,omitempty"`
		Note     string `json:"note,omitempty"`
	}
)

func durationText(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return d.String()
}

func writeJSON(ctx context.Context, w io.Writer, pl playlists.Playlist, d Describer) error {
	doc := jsonDoc{Name: pl.Name, Description: pl.Description, Author: pl.Author, Profile: pl.Profile,
		Transition: durationText(pl.Transition), Phases: []jsonPhase{}}
	for _, p := range pl.Phases {
		jp := jsonPhase{Role: p.Role, Crossfade: durationText(p.Crossfade), LevelDB: p.LevelDB, Fill: p.Fill, Tracks: []any{}}
		for _, e := range p.Tracks {
			info, err := describe(ctx, d, e.Track)
			if err != nil {
				return err
			}
			if !e.MustPlay && info.Label() == "" {
				jp.Tracks = append(jp.Tracks, e.Track)
				continue
			}
			jp.Tracks = append(jp.Tracks, jsonTrack{Ref: e.Track, MustPlay: e.MustPlay, Note: info.Label()})
		}
		doc.Phases = append(doc.Phases, jp)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}

func writeYAML(ctx context.Context, w io.Writer, pl playlists.Playlist, d Describer) error {
	root := &yaml.Node{Kind: yaml.MappingNode}
	add := func(m *yaml.Node, key string, v *yaml.Node) {
		m.Content = append(m.Content, str(key), v)
	}
	addStr := func(m *yaml.Node, key, v string) {
		if v != "" {
			add(m, key, str(v))
		}
	}
	addStr(root, "name", pl.Name)
	addStr(root, "description", pl.Description)
	addStr(root, "author", pl.Author)
	addStr(root, "profile", pl.Profile)
	addStr(root, "transition", durationText(pl.Transition))
	phases := &yaml.Node{Kind: yaml.SequenceNode}
	for _, p := range pl.Phases {
		ph := &yaml.Node{Kind: yaml.MappingNode}
		addStr(ph, "role", string(p.Role))
		addStr(ph, "crossfade", durationText(p.Crossfade))
		if p.LevelDB != 0 {
			v := strconv.FormatFloat(p.LevelDB, 'g', -1, 64)
			tag := "!!float"
			if !strings.ContainsAny(v, ".eE") {
				tag = "!!int" // else the encoder tags -3 as !!float explicitly
			}
			add(ph, "level_db", &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: v})
		}
		addStr(ph, "fill", string(p.Fill))
		tracks := &yaml.Node{Kind: yaml.SequenceNode}
		for _, e := range p.Tracks {
			info, err := describe(ctx, d, e.Track)
			if err != nil {
				return err
			}
			ref := str(e.Track)
			if e.MustPlay {
				m := &yaml.Node{Kind: yaml.MappingNode}
				add(m, "ref", ref)
				add(m, "must_play", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "true"})
				ref = m
			}
			if l := info.Label(); l != "" {
				// On the ref itself, so the comment stays on the id's line.
				refNode := ref
				if e.MustPlay {
					refNode = ref.Content[1]
				}
				refNode.LineComment = "# " + oneLine(l)
			}
			tracks.Content = append(tracks.Content, ref)
		}
		if len(tracks.Content) == 0 {
			tracks.Style = yaml.FlowStyle // "tracks: []"
		}
		add(ph, "tracks", tracks)
		phases.Content = append(phases.Content, ph)
	}
	add(root, "phases", phases)
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return err
	}
	return enc.Close()
}

func str(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }
