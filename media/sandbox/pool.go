// Package sandbox runs an untrusted-file probe in child processes, so that
// whatever a hostile file does to a decoder (a panic, "fatal error: out of
// memory", a stack overflow, a hang, a crash) costs that one file an error
// and never the daemon or the import.
//
// The parent side is a Pool of long-lived children of the same binary; the
// child side is ServeChild, called by a hidden subcommand. Each child probes
// one file at a time under an address-space limit (RLIMIT_AS); a child that
// dies or overruns its time is replaced for the next file.
package sandbox

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"attune/media"
)

// Defaults for Config.
const (
	// DefaultTimeout is long enough for any legitimate probe, which reads
	// headers and test-decodes a little.
	DefaultTimeout = 10 * time.Second

	// DefaultMemoryLimit is the address space of one child. Measured with Go
	// 1.26 on linux/amd64 (ulimit -v on a program that allocates and touches
	// 1 MiB blocks until it dies): under a limit the runtime reserves about
	// 686 MiB at start-up, so it does not start below ~700 MiB; 768 MiB
	// leaves ~80 MB of heap, 1 GiB ~350–400 MB, 2 GiB ~900 MB. Between about
	// 1.1 and 1.25 GiB the runtime makes its larger 1.17 GiB reservation and
	// starves. attune itself links cgo (through net), so every thread also
	// reserves a pthread stack: under 1 GiB, 4 of 40 probe workers died at
	// start-up in pthread_create, 5 of 40 under 1.5 GiB, none under 2 GiB.
	// 2 GiB still kills a decoder that believes a crafted header (the known
	// case asks for ~11 GB) within a fraction of a second, and two children
	// cannot exhaust a small machine's RAM.
	DefaultMemoryLimit = 2 << 30
)

// Limits of the protocol and of child start-up.
const (
	maxResponse  = 16 << 20         // bytes of one response line (tags with a long comment fit)
	startTimeout = 10 * time.Second // a child must say hello within this
	waitDelay    = time.Second      // after a child exits, how long its output pipe may stay open
	exitGrace    = time.Second      // after a child closes fd 4, how long it may take to exit
)

// Config says how to start children and what they may use.
type Config struct {
	// Command starts a child that calls ServeChild, e.g.
	// {os.Executable(), "probe-worker"}.
	Command []string
	// Env is extra environment for the child, added to the parent's.
	Env []string
	// Workers is how many children may run at once (≥ 1); Probe calls
	// beyond that wait for a free child.
	Workers int
	// Timeout bounds one probe; past it the child is killed and the file
	// gets "probe timed out after <Timeout>". 0 means no limit.
	Timeout time.Duration
	// MemoryLimit is each child's address space in bytes (RLIMIT_AS); see
	// DefaultMemoryLimit. 0 means no limit.
	MemoryLimit int64
}

// Pool probes files in child processes. Its methods are safe for concurrent
// use.
type Pool struct {
	cfg     Config
	idle    chan *child   // free slots, Workers of them; nil: no child running in that slot
	closing chan struct{} // closed by Close
	stop    sync.Once     // closes closing
	procs   sync.WaitGroup

	mu       sync.Mutex // protects the fields below
	closed   bool
	children map[*child]struct{} // started and not yet reaped
}

var _ media.Prober = (*Pool)(nil)

// New starts a pool and its first child, so that a command that cannot
// serve (a wrong Command, a MemoryLimit too low for Go to start) fails here
// and not on every file.
func New(ctx context.Context, cfg Config) (*Pool, error) {
	switch {
	case len(cfg.Command) == 0:
		return nil, errors.New("sandbox: no command to start a child")
	case cfg.Workers < 1:
		return nil, fmt.Errorf("sandbox: %d workers, need at least 1", cfg.Workers)
	case cfg.Timeout < 0:
		return nil, fmt.Errorf("sandbox: negative timeout %v", cfg.Timeout)
	case cfg.MemoryLimit < 0:
		return nil, fmt.Errorf("sandbox: negative memory limit %d", cfg.MemoryLimit)
	}
	p := &Pool{
		cfg:      cfg,
		idle:     make(chan *child, cfg.Workers),
		closing:  make(chan struct{}),
		children: make(map[*child]struct{}),
	}
	c, err := p.spawn(ctx)
	if err != nil {
		return nil, err
	}
	p.idle <- c
	for range cfg.Workers - 1 {
		p.idle <- nil
	}
	return p, nil
}

// Probe reads what the file at path is, in a child process. A probe error
// keeps its text and its media.ErrInvalid / media.ErrUnsupported identity; a
// child's death is an ErrCrashed error ("probe crashed: fatal error: out of
// memory"), an overrun an ErrTimeout error ("probe timed out after 10s").
// When ctx ends, the child working for this call is killed and Probe returns
// ctx.Err(); after Close it returns ErrClosed.
func (p *Pool) Probe(ctx context.Context, path string) (media.Info, error) {
	if err := p.usable(ctx); err != nil {
		return media.Info{}, err
	}
	var c *child
	select {
	case c = <-p.idle:
	case <-ctx.Done():
		return media.Info{}, ctx.Err()
	case <-p.closing:
		return media.Info{}, ErrClosed
	}
	c, info, err := p.probeWith(ctx, c, path)
	p.idle <- c
	return info, err
}

// usable returns why no probe can start now, if so.
func (p *Pool) usable(ctx context.Context) error {
	select {
	case <-p.closing:
		return ErrClosed
	default:
		return ctx.Err()
	}
}

// probeWith probes path on c, replacing c first if it is not running, and
// returns the child to keep in the slot (nil if none is running).
func (p *Pool) probeWith(ctx context.Context, c *child, path string) (*child, media.Info, error) {
	for attempt := 0; ; attempt++ {
		if c == nil || c.exited() {
			var err error
			if c, err = p.spawn(ctx); err != nil {
				return nil, media.Info{}, err
			}
		}
		info, err := p.roundTrip(ctx, c, path)
		if errors.Is(err, errNotSent) && attempt == 0 {
			c = nil // it died before it got the request: not this file's fault
			continue
		}
		if c.exited() {
			c = nil
		}
		return c, info, err
	}
}

// errNotSent: the request could not be written because the child is gone.
var errNotSent = errors.New("child gone before the request")

// roundTrip sends one request to c and waits for its answer, c's death, the
// timeout, ctx or Close. Whenever it gives up on c, c is killed and reaped
// before it returns.
func (p *Pool) roundTrip(ctx context.Context, c *child, path string) (media.Info, error) {
	c.log.reset()
	c.lastID++
	line, err := json.Marshal(request{ID: c.lastID, Path: []byte(path)})
	if err != nil {
		return media.Info{}, fmt.Errorf("sandbox: encode request: %w", err)
	}
	if _, err := c.requests.Write(append(line, '\n')); err != nil {
		c.kill()
		<-c.done
		return media.Info{}, errNotSent
	}
	var timeout <-chan time.Time
	if p.cfg.Timeout > 0 {
		t := time.NewTimer(p.cfg.Timeout)
		defer t.Stop()
		timeout = t.C
	}
	var fail error
	select {
	case resp := <-c.responses:
		if resp.ID == c.lastID {
			return decodeResponse(resp)
		}
		fail = crashed(fmt.Sprintf("protocol error: answer %d to request %d", resp.ID, c.lastID))
	case <-c.done:
		fail = crashed(c.reason)
	case <-timeout:
		fail = &failure{kind: ErrTimeout, msg: fmt.Sprintf("probe timed out after %v", p.cfg.Timeout)}
	case <-ctx.Done():
	case <-p.closing:
	}
	c.kill()
	<-c.done
	return media.Info{}, p.outcome(ctx, fail)
}

// outcome picks the error for a call that gave up on its child: the caller's
// reason if it stopped waiting, ErrClosed if the pool is closing (which
// kills children, so their death is no crash), else fail.
func (p *Pool) outcome(ctx context.Context, fail error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case <-p.closing:
		return ErrClosed
	default:
		return fail
	}
}

// decodeResponse turns a child's answer into Probe's results.
func decodeResponse(resp response) (media.Info, error) {
	switch {
	case resp.Error != nil:
		return media.Info{}, resp.Error.decode()
	case resp.Info != nil:
		info, err := decodeInfo(resp.Info, resp.NonFinite)
		if err != nil {
			return media.Info{}, crashed("protocol error: " + err.Error())
		}
		return info, nil
	}
	return media.Info{}, crashed("protocol error: answer with neither info nor error")
}

// Close kills every child and waits until all are reaped and their
// goroutines have ended. Probe calls in flight return ErrClosed. Close is
// idempotent and always returns nil.
func (p *Pool) Close() error {
	p.stop.Do(func() { close(p.closing) })
	p.mu.Lock()
	p.closed = true
	running := make([]*child, 0, len(p.children))
	for c := range p.children {
		running = append(running, c)
	}
	p.mu.Unlock()
	for _, c := range running {
		c.kill()
	}
	p.procs.Wait()
	return nil
}

// child is one running child process.
type child struct {
	cmd       *exec.Cmd
	requests  *os.File      // the parent's end of the child's fd 3
	responses chan response // answers, in order, from the reader goroutine
	log       *crashLog     // the child's stdout and stderr
	killed    chan struct{} // closed by kill
	killOnce  sync.Once
	done      chan struct{} // closed when the child is reaped and reason set
	reason    string        // why it exited; read only after done is closed
	lastID    uint64        // the last request's id; used by the slot's owner only
}

// spawn starts a child and waits for its hello.
func (p *Pool) spawn(ctx context.Context) (*child, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, ErrClosed
	}
	p.procs.Add(1) // before Close can Wait: it holds mu to set closed
	p.mu.Unlock()

	c, respR, err := p.start()
	if err != nil {
		p.procs.Done()
		return nil, err
	}
	p.mu.Lock()
	if !p.closed {
		p.children[c] = struct{}{}
	}
	closed := p.closed
	p.mu.Unlock()
	go p.read(c, respR) // owner: c; ends when the child's fd 4 closes, which kill forces

	if closed {
		c.kill()
		<-c.done
		return nil, ErrClosed
	}
	t := time.NewTimer(startTimeout)
	defer t.Stop()
	var fail error
	select {
	case resp := <-c.responses:
		if resp.Ready {
			return c, nil
		}
		fail = errors.New("its first answer was not a hello")
	case <-c.done:
		fail = errors.New(c.reason)
		if p.cfg.MemoryLimit > 0 && strings.Contains(c.reason, "fatal error: ") {
			fail = fmt.Errorf("%s (is the memory limit of %d MiB too low? see DefaultMemoryLimit)", c.reason, p.cfg.MemoryLimit>>20)
		}
	case <-t.C:
		fail = fmt.Errorf("no hello within %v", startTimeout)
	case <-ctx.Done():
	case <-p.closing:
	}
	c.kill()
	<-c.done
	if err := p.outcome(ctx, fail); err != fail {
		return nil, err
	}
	return nil, fmt.Errorf("sandbox: start %s: %w", p.cfg.Command[0], fail)
}

// start starts a child process with the protocol pipes as its fds 3 and 4.
// It returns the parent's end of fd 4.
func (p *Pool) start() (*child, *os.File, error) {
	reqR, reqW, err := os.Pipe()
	if err != nil {
		return nil, nil, fmt.Errorf("sandbox: make a pipe: %w", err)
	}
	respR, respW, err := os.Pipe()
	if err != nil {
		reqR.Close()
		reqW.Close()
		return nil, nil, fmt.Errorf("sandbox: make a pipe: %w", err)
	}
	c := &child{
		requests:  reqW,
		responses: make(chan response),
		log:       &crashLog{},
		killed:    make(chan struct{}),
		done:      make(chan struct{}),
	}
	cmd := exec.Command(p.cfg.Command[0], p.cfg.Command[1:]...)
	cmd.Env = append(os.Environ(), p.cfg.Env...)
	if p.cfg.MemoryLimit > 0 {
		cmd.Env = append(cmd.Env, envMemoryLimit+"="+strconv.FormatInt(p.cfg.MemoryLimit, 10))
	}
	cmd.Stdout, cmd.Stderr = c.log, c.log // one writer: one pipe, one copying goroutine
	cmd.ExtraFiles = []*os.File{reqR, respW}
	cmd.SysProcAttr = sysProcAttr()
	cmd.WaitDelay = waitDelay
	c.cmd = cmd
	err = cmd.Start()
	reqR.Close() // the child has its own copies now
	respW.Close()
	if err != nil {
		reqW.Close()
		respR.Close()
		return nil, nil, fmt.Errorf("sandbox: start %s: %w", p.cfg.Command[0], err)
	}
	return c, respR, nil
}

// read is a child's only goroutine: it passes answers on until the child's
// fd 4 closes or breaks the protocol, then kills and reaps the child.
func (p *Pool) read(c *child, respR *os.File) {
	defer p.procs.Done()
	sc := bufio.NewScanner(respR)
	sc.Buffer(make([]byte, 0, 4<<10), maxResponse)
	var protocolErr string
	for sc.Scan() {
		var resp response
		if err := json.Unmarshal(sc.Bytes(), &resp); err != nil {
			protocolErr = "protocol error: " + err.Error()
			break
		}
		select {
		case c.responses <- resp:
		case <-c.killed: // nobody is waiting any more: drain until it is gone
		}
	}
	if err := sc.Err(); err != nil && protocolErr == "" {
		protocolErr = "protocol error: " + err.Error()
	}
	// It can no longer answer. A dying child closes fd 4 before it has
	// printed why (deferred closes run before Go prints a panic), so give it
	// a moment to finish on its own before killing it.
	if protocolErr != "" {
		c.kill()
	}
	grace := time.AfterFunc(exitGrace, c.kill)
	respR.Close()
	waitErr := c.cmd.Wait()
	grace.Stop()
	c.requests.Close()
	switch {
	case protocolErr != "":
		c.reason = protocolErr
	case waitErr != nil:
		c.reason = c.log.reason(waitErr.Error())
	default:
		c.reason = c.log.reason("exited")
	}
	p.mu.Lock()
	delete(p.children, c)
	p.mu.Unlock()
	close(c.done)
}

// kill stops the child at once. It is safe to call any number of times, also
// after the child is reaped (os.Process uses a pidfd, so a reused pid is
// never hit).
func (c *child) kill() {
	c.killOnce.Do(func() {
		close(c.killed)
		_ = c.cmd.Process.Kill() // fails only if it already exited
	})
}

// exited reports whether the child is reaped.
func (c *child) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}
