package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"attune/media/store"
	"attune/playlists"
	"attune/playlists/plfile"
	"attune/playlists/plstore"
)

func playlistCommand() *command {
	return &command{
		name:    "playlist",
		summary: "import, export, list, show and delete phased playlists",
		sub: []*command{playlistImportCommand(), playlistExportCommand(), playlistListCommand(),
			playlistShowCommand(), playlistDeleteCommand()},
	}
}

// withPlaylists opens the library and the playlists in the database, runs
// fn, and closes them.
func withPlaylists(ctx context.Context, e *env, fn func(*store.Store, *plstore.Store) int) int {
	st, code := openStore(ctx, e)
	if st == nil {
		return code
	}
	defer st.Close()
	pls, err := plstore.Open(ctx, st.DB())
	if err != nil {
		fmt.Fprintf(e.stderr, "attune: %v\n", err)
		return exitFailure
	}
	return fn(st, pls)
}

// oneArg reparses a command's arguments (reparse) and returns its one
// positional argument; otherwise it says what is wrong (want: "name one
// playlist") and returns false, the command exiting with exitUsage.
func oneArg(e *env, name string, args []string, register func(*flag.FlagSet), want string) (string, bool) {
	args, err := reparse(name, args, register)
	if err != nil {
		fmt.Fprintf(e.stderr, "%s: %v\n", name, err)
		return "", false
	}
	if len(args) != 1 {
		fmt.Fprintf(e.stderr, "%s: %s\n", name, want)
		return "", false
	}
	return args[0], true
}

// reparse lets a command's own flags follow its arguments ("import FILE
// --name N"): the flag package stops at the first argument. register adds
// the command's flags, bound to the values dispatch already parsed.
func reparse(name string, args []string, register func(*flag.FlagSet)) ([]string, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	register(fs)
	var pos []string
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) > 0 {
			pos, args = append(pos, args[0]), args[1:]
		}
	}
	return pos, nil
}

type importOptions struct {
	name, role, format *string
	partial, replace   *bool
}

func (o importOptions) register(fs *flag.FlagSet) {
	fs.StringVar(o.name, "name", *o.name, "the playlist's name (default: the name in the file; for M3U, #PLAYLIST or the file's name)")
	fs.StringVar(o.role, "role", *o.role, "M3U only: the role of the one phase it becomes (arrival, settling, journey, return, integration)")
	fs.StringVar(o.format, "format", *o.format, "the file's format, yaml, json or m3u (default: from its extension)")
	fs.BoolVar(o.partial, "partial", *o.partial, "import the tracks that resolve and list those left out (default: refuse the whole file)")
	fs.BoolVar(o.replace, "replace", *o.replace, "replace a stored playlist of the same name")
}

func playlistImportCommand() *command {
	return &command{
		name:    "import",
		summary: "read a playlist file (YAML, JSON, M3U/M3U8) into the library",
		usage:   "FILE [--name N] [--role R] [--partial] [--replace]",
		flags: func(fs *flag.FlagSet) any {
			o := importOptions{name: new(string), role: new(string), format: new(string), partial: new(bool), replace: new(bool)}
			o.register(fs)
			return o
		},
		run: runPlaylistImport,
	}
}

func runPlaylistImport(ctx context.Context, e *env, opts any, args []string) int {
	o := opts.(importOptions)
	const name = "attune playlist import"
	arg, ok := oneArg(e, name, args, o.register, "name one playlist file")
	if !ok {
		return exitUsage
	}
	path := arg
	format, err := plfile.FormatOf(path)
	if *o.format != "" {
		format, err = plfile.ParseFormat(*o.format)
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "%s: %v\n", name, err)
		return exitUsage
	}
	if *o.role != "" && format != plfile.FormatM3U {
		fmt.Fprintf(e.stderr, "%s: --role is for M3U files; a %s file names its phases' roles\n", name, format)
		return exitUsage
	}
	data, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintf(e.stderr, "%s: %v\n", name, err)
		return exitFailure
	}
	doc, err := plfile.Parse(data, format, playlists.Role(*o.role))
	if err != nil {
		fmt.Fprintf(e.stderr, "%s: %s:\n%v\n", name, path, err)
		return exitFailure
	}
	if doc.Name == "" && format == plfile.FormatM3U {
		doc.Name = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	}
	if *o.name != "" {
		doc.Name = *o.name
	}
	dir, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		fmt.Fprintf(e.stderr, "%s: %v\n", name, err)
		return exitFailure
	}
	return withPlaylists(ctx, e, func(lib *store.Store, pls *plstore.Store) int {
		pl, missing, err := doc.Resolve(ctx, plfile.LibraryResolver{Lib: lib, Dir: dir}, *o.partial)
		if err != nil {
			fmt.Fprintf(e.stderr, "%s: %s: %v\n", name, path, err)
			var ue *plfile.UnresolvedError
			if errors.As(err, &ue) {
				fmt.Fprintf(e.stderr, "nothing was imported; add the missing tracks to the library, fix the references, or import the rest with --partial\n")
			}
			return exitFailure
		}
		if !*o.replace {
			if _, err := pls.Get(ctx, pl.Name); err == nil {
				fmt.Fprintf(e.stderr, "%s: playlist %q exists; give --replace to replace it, or --name to import it under another name\n", name, pl.Name)
				return exitFailure
			} else if !errors.Is(err, plstore.ErrNotFound) {
				fmt.Fprintf(e.stderr, "%s: %v\n", name, err)
				return exitFailure
			}
		}
		replaced, err := pls.Save(ctx, pl)
		if err != nil {
			fmt.Fprintf(e.stderr, "%s: %v\n", name, err)
			return exitFailure
		}
		verb := "imported"
		if replaced {
			verb = "replaced"
		}
		fmt.Fprintf(e.stdout, "%s playlist %q: %d phases, %d tracks\n", verb, pl.Name, len(pl.Phases), countTracks(pl))
		if len(missing) > 0 {
			fmt.Fprintf(e.stderr, "left out %d track reference(s) that did not resolve:\n", len(missing))
			for _, u := range missing {
				fmt.Fprintf(e.stderr, "  %s\n", u)
			}
			return exitFailure
		}
		return exitOK
	})
}

func countTracks(pl playlists.Playlist) int {
	n := 0
	for _, p := range pl.Phases {
		n += len(p.Tracks)
	}
	return n
}

type exportOptions struct{ format, out *string }

func (o exportOptions) register(fs *flag.FlagSet) {
	fs.StringVar(o.format, "format", *o.format, "yaml, json or m3u (default: from --out's extension, else yaml)")
	fs.StringVar(o.out, "out", *o.out, "write to this file (default: standard output)")
}

func playlistExportCommand() *command {
	return &command{
		name:    "export",
		summary: "write a stored playlist as YAML, JSON or M3U",
		usage:   "NAME [--format yaml|json|m3u] [--out FILE]",
		flags: func(fs *flag.FlagSet) any {
			o := exportOptions{format: new(string), out: new(string)}
			o.register(fs)
			return o
		},
		run: runPlaylistExport,
	}
}

func runPlaylistExport(ctx context.Context, e *env, opts any, args []string) int {
	o := opts.(exportOptions)
	const name = "attune playlist export"
	arg, ok := oneArg(e, name, args, o.register, "name one playlist")
	if !ok {
		return exitUsage
	}
	format, err := plfile.FormatYAML, error(nil)
	switch {
	case *o.format != "":
		format, err = plfile.ParseFormat(*o.format)
	case *o.out != "":
		format, err = plfile.FormatOf(*o.out)
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "%s: %v\n", name, err)
		return exitUsage
	}
	return withPlaylists(ctx, e, func(lib *store.Store, pls *plstore.Store) int {
		stored, err := pls.Get(ctx, arg)
		if err != nil {
			fmt.Fprintf(e.stderr, "%s: %v\n", name, err)
			return exitFailure
		}
		var b bytes.Buffer
		if err := plfile.Encode(ctx, &b, stored.Playlist, format, plfile.LibraryResolver{Lib: lib}); err != nil {
			fmt.Fprintf(e.stderr, "%s: %v\n", name, err)
			return exitFailure
		}
		for _, d := range stored.Dangling {
			fmt.Fprintf(e.stderr, "warning: %s; written as its id\n", d)
		}
		if *o.out == "" {
			if _, err := e.stdout.Write(b.Bytes()); err != nil {
				return exitFailure
			}
			return exitOK
		}
		if err := writeFileAtomic(*o.out, b.Bytes()); err != nil {
			fmt.Fprintf(e.stderr, "%s: %v\n", name, err)
			return exitFailure
		}
		fmt.Fprintf(e.stdout, "wrote playlist %q to %s\n", stored.Name, *o.out)
		return exitOK
	})
}

// writeFileAtomic writes data to path through a temporary file in the same
// folder, so that a failure leaves any previous file whole.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".export-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func playlistListCommand() *command {
	return &command{
		name:    "list",
		summary: "list the stored playlists",
		run: func(ctx context.Context, e *env, _ any, args []string) int {
			if len(args) > 0 {
				fmt.Fprintln(e.stderr, "attune playlist list: takes no arguments")
				return exitUsage
			}
			return withPlaylists(ctx, e, func(_ *store.Store, pls *plstore.Store) int {
				list, err := pls.List(ctx)
				if err != nil {
					fmt.Fprintf(e.stderr, "attune playlist list: %v\n", err)
					return exitFailure
				}
				tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, "NAME\tPHASES\tTRACKS\tLENGTH\tPROFILE\tAUTHOR")
				for _, s := range list {
					tracks := fmt.Sprint(s.Tracks)
					if s.Dangling > 0 {
						tracks += fmt.Sprintf(" (%d missing)", s.Dangling)
					}
					fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\n", s.Name, s.Phases, tracks, formatDuration(s.Duration),
						profileName(s.Profile), s.Author)
				}
				tw.Flush()
				fmt.Fprintf(e.stdout, "%d playlists\n", len(list))
				return exitOK
			})
		},
	}
}

func profileName(p string) string {
	if p == "" {
		return playlists.DefaultProfile + " (default)"
	}
	return p
}

func playlistShowCommand() *command {
	return &command{
		name:    "show",
		summary: "show a stored playlist: its phases and tracks",
		usage:   "NAME",
		run: func(ctx context.Context, e *env, _ any, args []string) int {
			if len(args) != 1 {
				fmt.Fprintln(e.stderr, "attune playlist show: name one playlist")
				return exitUsage
			}
			return withPlaylists(ctx, e, func(lib *store.Store, pls *plstore.Store) int {
				stored, err := pls.Get(ctx, args[0])
				if err != nil {
					fmt.Fprintf(e.stderr, "attune playlist show: %v\n", err)
					return exitFailure
				}
				if err := printPlaylist(ctx, e.stdout, stored, plfile.LibraryResolver{Lib: lib}); err != nil {
					fmt.Fprintf(e.stderr, "attune playlist show: %v\n", err)
					return exitFailure
				}
				return exitOK
			})
		},
	}
}

func printPlaylist(ctx context.Context, w io.Writer, s plstore.Stored, d plfile.Describer) error {
	pl := s.Playlist
	fmt.Fprintf(w, "%s\n", pl.Name)
	if pl.Author != "" {
		fmt.Fprintf(w, "by %s\n", pl.Author)
	}
	if pl.Description != "" {
		fmt.Fprintf(w, "%s\n", pl.Description)
	}
	fmt.Fprintf(w, "profile %s, transition %s\n", profileName(pl.Profile), pl.TransitionOrDefault())
	for i, p := range pl.Phases {
		fmt.Fprintf(w, "\nphase %d: %s — crossfade %s, level %+g dB, fill %s, %d tracks\n", i+1, p.Role,
			p.CrossfadeOrDefault(), p.LevelDB, p.FillOrDefault(), len(p.Tracks))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for j, t := range p.Tracks {
			info, err := d.Describe(ctx, t.Track)
			label, length := info.Label(), formatDuration(info.Duration)
			switch {
			case errors.Is(err, plfile.ErrNotFound):
				label, length = "(not in the library)", "?"
			case err != nil:
				return err
			}
			must := ""
			if t.MustPlay {
				must = "must play"
			}
			fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%s\n", j+1, length, label, must, t.Track)
		}
		tw.Flush()
	}
	if len(s.Dangling) > 0 {
		fmt.Fprintf(w, "\n%d track(s) are no longer in the library and cannot play:\n", len(s.Dangling))
		for _, x := range s.Dangling {
			fmt.Fprintf(w, "  %s\n", x)
		}
	}
	return nil
}

func playlistDeleteCommand() *command {
	return &command{
		name:    "delete",
		summary: "delete a stored playlist",
		usage:   "NAME",
		run: func(ctx context.Context, e *env, _ any, args []string) int {
			if len(args) != 1 {
				fmt.Fprintln(e.stderr, "attune playlist delete: name one playlist")
				return exitUsage
			}
			return withPlaylists(ctx, e, func(_ *store.Store, pls *plstore.Store) int {
				if err := pls.Delete(ctx, args[0]); err != nil {
					fmt.Fprintf(e.stderr, "attune playlist delete: %v\n", err)
					return exitFailure
				}
				fmt.Fprintf(e.stdout, "deleted playlist %q\n", args[0])
				return exitOK
			})
		},
	}
}
