package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
	"strings"

	"golang.org/x/term"

	"attune/config"
)

// version is attune's release; the build adds the VCS revision if it has one.
const version = "0.1.0-dev"

// Exit statuses.
const (
	exitOK        = 0
	exitFailure   = 1 // something failed, or a file was rejected
	exitUsage     = 2 // bad command line or configuration
	exitInterrupt = 130
)

// env is what a command runs with: the process's streams and the loaded
// configuration. Commands take it instead of reaching for globals, so tests
// run them in-process.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	cfg            *config.Loaded
	// cfgErr is why the configuration did not load, for commands marked
	// configErrOK; cfg is nil then.
	cfgErr error
	// terminal reports whether stderr is a terminal (progress bars).
	terminal bool
	// log is the structured log on stderr, at log.level (info for commands
	// without configuration): text on a terminal, JSON otherwise, secrets
	// redacted. Long-running commands (serve) log here; one-shot commands
	// print plain lines.
	log *slog.Logger
}

// command is one subcommand.
type command struct {
	name    string
	summary string
	usage   string // arguments after the name, for the usage line
	hidden  bool
	// flags adds the command's own flags; nil for none.
	flags func(fs *flag.FlagSet) any
	// run does the work; opts is what flags returned.
	run func(ctx context.Context, e *env, opts any, args []string) int
	// sub holds subcommands (library add|scan|list); run is nil then.
	sub []*command
	// noConfig marks commands that must work whatever the configuration
	// says (version, the probe worker).
	noConfig bool
	// configErrOK runs the command even when the configuration does not
	// load, with the error in env.cfgErr (doctor reports it in its words).
	configErrOK bool
}

func commands() []*command {
	return []*command{
		libraryCommand(),
		playlistCommand(),
		planCommand(),
		playCommand(),
		renderCommand(),
		sessionCommand(),
		userCommand(),
		serveCommand(),
		configCommand(),
		doctorCommand(),
		versionCommand(),
		probeWorkerCommand(),
	}
}

// run is attune's whole command line, testable: it returns the exit status.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := &command{name: "attune", summary: "music for ketamine-assisted therapy sessions", sub: commands()}
	code := dispatch(ctx, root, []string{"attune"}, args, stdin, stdout, stderr)
	if ctx.Err() != nil && code != exitOK {
		return exitInterrupt
	}
	return code
}

// dispatch walks down the command tree and runs the command the arguments name.
func dispatch(ctx context.Context, cmd *command, path, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if cmd.sub != nil {
		if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
			w := stdout
			code := exitOK
			if len(args) == 0 {
				w, code = stderr, exitUsage
			}
			printGroupUsage(w, cmd, path)
			return code
		}
		for _, sub := range cmd.sub {
			if sub.name == args[0] {
				return dispatch(ctx, sub, append(path, sub.name), args[1:], stdin, stdout, stderr)
			}
		}
		fmt.Fprintf(stderr, "%s: unknown command %q\n", strings.Join(path, " "), args[0])
		printGroupUsage(stderr, cmd, path)
		return exitUsage
	}

	name := strings.Join(path, " ")
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var opts any
	if cmd.flags != nil {
		opts = cmd.flags(fs)
	}
	var cf *configFlags
	if !cmd.noConfig {
		cf = addConfigFlags(fs)
	}
	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printCommandUsage(stdout, cmd, fs, name)
			return exitOK
		}
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		printCommandUsage(stderr, cmd, fs, name)
		return exitUsage
	}
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, terminal: isTerminal(stderr)}
	level := slog.LevelInfo
	if cf != nil {
		loaded, err := config.Load(cf.options())
		switch {
		case err != nil && cmd.configErrOK:
			e.cfgErr = err
		case err != nil:
			fmt.Fprintf(stderr, "attune: %v\n", err)
			return exitUsage
		default:
			e.cfg = loaded
			level = loaded.Config.Log.Level
		}
	}
	e.log = newLogger(stderr, e.terminal, level)
	return cmd.run(ctx, e, opts, fs.Args())
}

func printGroupUsage(w io.Writer, cmd *command, path []string) {
	fmt.Fprintf(w, "%s — %s\n\nUsage:\n  %s <command> [flags] [arguments]\n\nCommands:\n", strings.Join(path, " "), cmd.summary, strings.Join(path, " "))
	for _, sub := range cmd.sub {
		if !sub.hidden {
			fmt.Fprintf(w, "  %-10s %s\n", sub.name, sub.summary)
		}
	}
	fmt.Fprintf(w, "\nRun '%s <command> --help' for a command's flags.\n", strings.Join(path, " "))
}

func printCommandUsage(w io.Writer, cmd *command, fs *flag.FlagSet, name string) {
	fmt.Fprintf(w, "%s — %s\n\nUsage:\n  %s [flags] %s\n\nFlags:\n", name, cmd.summary, name, cmd.usage)
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}

func versionCommand() *command {
	return &command{
		name:     "version",
		summary:  "print attune's version",
		noConfig: true,
		run: func(_ context.Context, e *env, _ any, args []string) int {
			if len(args) > 0 {
				fmt.Fprintln(e.stderr, "attune version: takes no arguments")
				return exitUsage
			}
			rev := ""
			if bi, ok := debug.ReadBuildInfo(); ok {
				for _, s := range bi.Settings {
					if s.Key == "vcs.revision" && len(s.Value) >= 12 {
						rev = " " + s.Value[:12]
					}
				}
			}
			fmt.Fprintf(e.stdout, "attune %s%s (%s, %s/%s)\n", version, rev, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return exitOK
		},
	}
}

func configCommand() *command {
	return &command{
		name:    "config",
		summary: "print the effective configuration and where each value came from",
		run: func(_ context.Context, e *env, _ any, args []string) int {
			if len(args) > 0 {
				fmt.Fprintln(e.stderr, "attune config: takes no arguments")
				return exitUsage
			}
			if err := e.cfg.WriteYAML(e.stdout); err != nil {
				fmt.Fprintf(e.stderr, "attune config: %v\n", err)
				return exitFailure
			}
			return exitOK
		},
	}
}

// isTerminal reports whether w is a terminal, for progress bars.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
