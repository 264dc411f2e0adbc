package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"golang.org/x/term"

	"attune/server/auth"
)

func userCommand() *command {
	return &command{
		name:    "user",
		summary: "add, list and delete the admin and therapist accounts, and set their passwords",
		sub:     []*command{userAddCommand(), userListCommand(), userDeleteCommand(), userPasswdCommand()},
	}
}

// withAuth opens the database and its accounts, runs fn, and closes them.
func withAuth(ctx context.Context, e *env, fn func(*auth.Store) int) int {
	st, code := openStore(ctx, e)
	if st == nil {
		return code
	}
	defer st.Close()
	users, err := auth.Open(ctx, st.DB(), auth.Options{})
	if err != nil {
		fmt.Fprintf(e.stderr, "attune: %v\n", err)
		return exitFailure
	}
	return fn(users)
}

type userAddOptions struct{ role *string }

func (o userAddOptions) register(fs *flag.FlagSet) {
	fs.StringVar(o.role, "role", *o.role, "the account's role: admin or therapist (required)")
}

func userAddCommand() *command {
	return &command{
		name:    "add",
		summary: "add an account; the password is asked twice on a terminal, else read as one line from stdin",
		usage:   "NAME --role admin|therapist",
		flags: func(fs *flag.FlagSet) any {
			o := userAddOptions{role: new(string)}
			o.register(fs)
			return o
		},
		run: runUserAdd,
	}
}

func runUserAdd(ctx context.Context, e *env, opts any, args []string) int {
	o := opts.(userAddOptions)
	const name = "attune user add"
	arg, ok := oneArg(e, name, args, o.register, "name one user (quote a name with spaces)")
	if !ok {
		return exitUsage
	}
	role := auth.Role(*o.role)
	if role != auth.Admin && role != auth.Therapist {
		fmt.Fprintf(e.stderr, "%s: --role must be admin or therapist, got %q\n", name, *o.role)
		return exitUsage
	}
	return withAuth(ctx, e, func(users *auth.Store) int {
		password, err := readPassword(e, fmt.Sprintf("Password for %s: ", arg))
		if err != nil {
			fmt.Fprintf(e.stderr, "%s: %v\n", name, err)
			return exitFailure
		}
		if err := users.AddUser(ctx, arg, role, password); err != nil {
			return userError(e, name, err, password)
		}
		fmt.Fprintf(e.stdout, "added %s %q\n", role, arg)
		return exitOK
	})
}

// userError reports a refusal of the accounts store: a user name the rules
// refuse is a usage error, anything else (a weak password, a duplicate,
// the last admin) a failure.
func userError(e *env, name string, err error, password string) int {
	fmt.Fprintf(e.stderr, "%s: %v\n", name, err)
	if errors.Is(err, auth.ErrInvalid) && len(password) <= auth.MaxPasswordBytes {
		return exitUsage
	}
	return exitFailure
}

func userListCommand() *command {
	return &command{
		name:    "list",
		summary: "list the accounts",
		run: func(ctx context.Context, e *env, _ any, args []string) int {
			if len(args) > 0 {
				fmt.Fprintln(e.stderr, "attune user list: takes no arguments")
				return exitUsage
			}
			return withAuth(ctx, e, func(users *auth.Store) int {
				list, err := users.Users(ctx)
				if err != nil {
					fmt.Fprintf(e.stderr, "attune user list: %v\n", err)
					return exitFailure
				}
				tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, "NAME\tROLE\tCREATED")
				for _, u := range list {
					fmt.Fprintf(tw, "%s\t%s\t%s\n", u.Name, u.Role, u.Created.Local().Format("2006-01-02 15:04"))
				}
				tw.Flush()
				fmt.Fprintf(e.stdout, "%d users\n", len(list))
				return exitOK
			})
		},
	}
}

func userDeleteCommand() *command {
	return &command{
		name:    "delete",
		summary: "delete an account and end its browser sessions (never the last admin)",
		usage:   "NAME",
		run: func(ctx context.Context, e *env, _ any, args []string) int {
			const name = "attune user delete"
			if len(args) != 1 {
				fmt.Fprintf(e.stderr, "%s: name one user\n", name)
				return exitUsage
			}
			return withAuth(ctx, e, func(users *auth.Store) int {
				if err := users.DeleteUser(ctx, args[0]); err != nil {
					return userError(e, name, err, "")
				}
				fmt.Fprintf(e.stdout, "deleted user %q\n", args[0])
				return exitOK
			})
		},
	}
}

func userPasswdCommand() *command {
	return &command{
		name:    "passwd",
		summary: "set an account's password and end its browser sessions",
		usage:   "NAME",
		run: func(ctx context.Context, e *env, _ any, args []string) int {
			const name = "attune user passwd"
			if len(args) != 1 {
				fmt.Fprintf(e.stderr, "%s: name one user\n", name)
				return exitUsage
			}
			return withAuth(ctx, e, func(users *auth.Store) int {
				password, err := readPassword(e, fmt.Sprintf("New password for %s: ", args[0]))
				if err != nil {
					fmt.Fprintf(e.stderr, "%s: %v\n", name, err)
					return exitFailure
				}
				if err := users.SetPassword(ctx, args[0], password); err != nil {
					return userError(e, name, err, password)
				}
				fmt.Fprintf(e.stdout, "password of %q changed; its browser sessions are ended\n", args[0])
				return exitOK
			})
		},
	}
}

// readPassword asks for a password twice without echo when stdin is a
// terminal, else reads one line from stdin (for scripts: the line's end is
// not part of the password).
func readPassword(e *env, prompt string) (string, error) {
	if f, ok := e.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(e.stderr, prompt)
		first, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(e.stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		fmt.Fprint(e.stderr, "Again: ")
		second, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(e.stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		if string(first) != string(second) {
			return "", errors.New("the two passwords differ")
		}
		return string(first), nil
	}
	line, err := bufio.NewReader(e.stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from stdin: %w", err)
	}
	line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	if line == "" {
		return "", errors.New("no password: stdin is not a terminal, so give the password as one line on stdin")
	}
	return line, nil
}
