package sandbox

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"attune/media"
)

// ProbeFunc reads what a file is. It runs inside a child process; see Serve.
type ProbeFunc func(ctx context.Context, path string) (media.Info, error)

// The child's end of the protocol pipes (Config.Command inherits them).
const (
	requestFD  = 3
	responseFD = 4
)

// maxStack bounds a child's goroutine stacks, so that runaway recursion in a
// decoder dies as "fatal error: stack overflow" long before the stack eats
// the address space (Go's default is 1 GB).
const maxStack = 64 << 20

// maxRequest bounds one request line (a path, base64-encoded, and an id).
const maxRequest = 1 << 20

// ServeChild is the whole child side: the hidden subcommand that
// Config.Command starts calls it and exits with its error. It applies the
// memory limit the parent asked for (re-executing the binary so that the Go
// runtime starts under it), then serves requests on fd 3 and answers on fd 4
// until the parent closes fd 3. The child's stdin, stdout and stderr are not
// part of the protocol: whatever the probe prints there is harmless.
func ServeChild(ctx context.Context, probe ProbeFunc) error {
	if err := applyMemoryLimit(); err != nil {
		return fmt.Errorf("sandbox: limit memory: %w", err)
	}
	debug.SetMaxStack(maxStack)
	// The pipes are not closed on return: the process is about to exit, and
	// closing fd 4 while a fatal panic unwinds would hide its message.
	in := os.NewFile(requestFD, "sandbox-requests")
	out := os.NewFile(responseFD, "sandbox-responses")
	return Serve(ctx, in, out, probe)
}

// Serve answers probe requests read from in, one at a time, on out, until in
// ends (it then returns nil) or ctx is done (checked between requests; ctx is
// also passed to probe). A panic in probe is recovered and answered as the
// error "decoder panic: <value>", so it costs neither the process nor the
// next file. Fatal errors (out of memory, stack overflow, a crash in another
// goroutine) kill the process; the parent Pool reports them.
func Serve(ctx context.Context, in io.Reader, out io.Writer, probe ProbeFunc) error {
	write := func(r response) error {
		line, err := json.Marshal(r)
		if err != nil {
			// Only Info could fail to encode; answer with the reason instead.
			line, err = json.Marshal(response{ID: r.ID, Error: encodeError(fmt.Errorf("encode probe result: %w", err))})
			if err != nil {
				return fmt.Errorf("sandbox: encode response: %w", err)
			}
		}
		if _, err := out.Write(append(line, '\n')); err != nil {
			return fmt.Errorf("sandbox: write response: %w", err)
		}
		return nil
	}
	if err := write(response{Ready: true}); err != nil {
		return err
	}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 4<<10), maxRequest)
	for sc.Scan() {
		if err := ctx.Err(); err != nil {
			return err
		}
		var req request
		if err := json.Unmarshal(sc.Bytes(), &req); err != nil {
			return fmt.Errorf("sandbox: decode request: %w", err)
		}
		if err := write(handle(ctx, probe, req)); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("sandbox: read request: %w", err)
	}
	return nil
}

// handle probes one file, turning a panic into an error.
func handle(ctx context.Context, probe ProbeFunc, req request) (resp response) {
	resp.ID = req.ID
	defer func() {
		if v := recover(); v != nil {
			resp.Info, resp.NonFinite = nil, nil
			resp.Error = encodeError(fmt.Errorf("decoder panic: %v", v))
		}
	}()
	info, err := probe(ctx, string(req.Path))
	if err != nil {
		resp.Error = encodeError(err)
		return resp
	}
	resp.Info, resp.NonFinite = encodeInfo(info)
	return resp
}
