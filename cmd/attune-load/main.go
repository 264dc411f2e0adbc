// Command attune-load puts a running attune daemon under the load of a busy
// clinic and reports how it held up: WebSocket clients connected, stream
// listeners, a steady rate of control commands. It talks only to loopback
// addresses: it is for measuring this machine's daemon, not anyone else's.
//
//	attune-load --addr 127.0.0.1:8480 --user dana --password-stdin \
//	    --clients 200 --listeners 20 --rate 50 --duration 60s
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"attune/server/loadtest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("attune-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg loadtest.Config
	fs.StringVar(&cfg.Addr, "addr", "127.0.0.1:8480", "the daemon's address (loopback only)")
	fs.StringVar(&cfg.User, "user", "", "a therapist or admin account")
	pwStdin := fs.Bool("password-stdin", false, "read the password from the first line of stdin")
	fs.StringVar(&cfg.Room, "room", "", "the room id to steer (default: the first room)")
	fs.StringVar(&cfg.Playlist, "playlist", "", "start a session of this playlist if the room has none (default: the first playlist; - for none)")
	fs.IntVar(&cfg.Clients, "clients", 200, "WebSocket clients to connect")
	fs.IntVar(&cfg.Listeners, "listeners", 20, "stream listeners")
	fs.Float64Var(&cfg.Rate, "rate", 50, "control commands per second")
	fs.DurationVar(&cfg.Duration, "duration", 60*time.Second, "how long to keep the load on")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if cfg.User == "" || !*pwStdin {
		fmt.Fprintln(stderr, "attune-load: give --user NAME and --password-stdin (the password on stdin)")
		return 2
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && line == "" {
		fmt.Fprintf(stderr, "attune-load: read the password from stdin: %v\n", err)
		return 2
	}
	cfg.Password = strings.TrimRight(line, "\r\n")
	cfg.Progress = stderr
	rep, err := loadtest.Run(ctx, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "attune-load: %v\n", err)
		return 1
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rep)
	} else {
		rep.Print(stdout)
	}
	if !rep.OK() {
		return 1
	}
	return 0
}
