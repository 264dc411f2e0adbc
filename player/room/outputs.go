package room

import (
	"context"
	"fmt"

	"attune/player"
	"attune/player/output"
	"attune/player/session"
	"attune/player/stream"
)

// out is one configured output as New found it. Its fields do not change
// after New.
type out struct {
	cfg     Output
	off     bool   // optional, could not be opened: not in the engine
	openErr string // why it is off, or why a speaker starts down
	sink    player.Sink
	stream  *stream.Stream // a stream output's
}

// openOutputs opens the room's outputs and returns the engine's sinks. A
// speaker that cannot be opened starts down and is retried by the engine;
// an optional output that cannot be opened is off; any other failure
// closes what was opened and names the output.
func (r *Room) openOutputs() ([]player.SinkConfig, error) {
	openSpeaker := r.cfg.OpenSpeaker
	if openSpeaker == nil {
		openSpeaker = func(dev string, rate int) (player.Sink, error) { return output.NewALSA(dev, rate) }
	}
	rate := r.cfg.Rate
	var sinks []player.SinkConfig
	for _, o := range r.cfg.Outputs {
		ot := &out{cfg: o}
		r.outs = append(r.outs, ot)
		var reopen func(context.Context) (player.Sink, error)
		var err error
		switch o.Type {
		case TypeSpeaker:
			dev := o.Device
			reopen = func(context.Context) (player.Sink, error) { return openSpeaker(dev, rate) }
			var s player.Sink
			if s, err = openSpeaker(dev, rate); err == nil {
				ot.sink = s
			}
			if err != nil && !o.Optional {
				// No sound card is not fatal: the other outputs play and
				// the engine retries the speaker with backoff.
				ot.openErr = fmt.Sprintf("speaker %q: %v", dev, err)
				r.cfg.Log.Warn("speaker cannot be opened; retrying in the background", "room", r.cfg.Name, "output", o.Name, "err", err)
				err = nil
			}
		case TypeFile:
			var w *output.WAV
			if w, err = output.CreateWAV(o.Path, rate); err == nil {
				ot.sink = w
			}
		case TypeNull:
			ot.sink = &output.Null{}
		case TypeStream:
			var s *stream.Stream
			if s, err = stream.New(stream.Config{SampleRate: rate, Bitrate: o.Bitrate, Name: "attune " + r.cfg.Name}); err == nil {
				ot.sink, ot.stream = s, s
			}
		default:
			err = fmt.Errorf("unknown output type %q (want speaker, stream, file or null)", o.Type)
		}
		if err != nil {
			if o.Optional {
				ot.off, ot.openErr = true, err.Error()
				r.cfg.Log.Warn("optional output cannot be opened; playing without it", "room", r.cfg.Name, "output", o.Name, "type", o.Type, "err", err)
				continue
			}
			r.closeOutputs()
			return nil, fmt.Errorf("output %q (%s): %w", o.Name, o.Type, err)
		}
		if ot.stream != nil && r.stream == nil {
			r.stream = ot.stream
		}
		sinks = append(sinks, player.SinkConfig{Name: o.Name, Sink: ot.sink, TrimDB: o.TrimDB, Reopen: reopen})
	}
	return sinks, nil
}

// closeOutputs closes the sinks New opened when the engine will not take
// them over.
func (r *Room) closeOutputs() {
	for _, o := range r.outs {
		if o.sink != nil {
			o.sink.Close()
		}
	}
}

// initialOutputs is the outputs' state as New leaves them.
func (r *Room) initialOutputs() []OutputState {
	st := make([]OutputState, len(r.outs))
	for i, o := range r.outs {
		st[i] = OutputState{Name: o.cfg.Name, Type: o.cfg.Type, TrimDB: o.cfg.TrimDB, Status: StatusOK}
		switch {
		case o.off:
			st[i].Status, st[i].Err = StatusOff, o.openErr
		case o.sink == nil:
			st[i].Status, st[i].Err = StatusDown, o.openErr
		}
	}
	return st
}

func (r *Room) outputIndex(name string) int {
	for i, o := range r.outs {
		if o.cfg.Name == name {
			return i
		}
	}
	return -1
}

// teeStore is the session store that also hands each stored log entry to
// onEntry, numbered as the store numbered it when the store can say
// (player/session/store can).
type teeStore struct {
	session.Store
	onEntry func(session.Entry)
}

// lastSeqer is the store's numbering of log entries.
type lastSeqer interface {
	LastSeq(ctx context.Context, id int64) (int64, error)
}

func (t teeStore) Create(ctx context.Context, rec session.Record, first session.Entry) (int64, error) {
	id, err := t.Store.Create(ctx, rec, first)
	if err == nil {
		t.hand(ctx, id, first)
	}
	return id, err
}

func (t teeStore) Save(ctx context.Context, rec session.Record, e session.Entry) error {
	err := t.Store.Save(ctx, rec, e)
	if err == nil {
		t.hand(ctx, rec.ID, e)
	}
	return err
}

func (t teeStore) Log(ctx context.Context, id int64, e session.Entry) error {
	err := t.Store.Log(ctx, id, e)
	if err == nil {
		t.hand(ctx, id, e)
	}
	return err
}

// hand gives onEntry the entry just stored for session id. Entries are
// stored one at a time by the room's runner, so the newest is this one.
func (t teeStore) hand(ctx context.Context, id int64, e session.Entry) {
	if t.onEntry == nil {
		return
	}
	e.Session = id
	if ls, ok := t.Store.(lastSeqer); ok {
		if n, err := ls.LastSeq(ctx, id); err == nil {
			e.Seq = n
		}
	}
	t.onEntry(e)
}
