package player

import (
	"attune/player/dsp"

	"github.com/gopxl/beep/v2"
)

// blockReader streams a block that is already computed, then silence. It lets
// several stages read the same block.
type blockReader struct {
	buf [][2]float64
	pos int
}

func (r *blockReader) set(b [][2]float64) { r.buf, r.pos = b, 0 }

// Stream implements beep.Streamer; it always fills out.
func (r *blockReader) Stream(out [][2]float64) (int, bool) {
	n := copy(out, r.buf[r.pos:])
	r.pos += n
	clear(out[n:])
	return len(out), true
}

// Err implements beep.Streamer.
func (r *blockReader) Err() error { return nil }

// ceilingStage is the safety limiter with a ceiling that can change. A
// Limiter's ceiling is fixed for its life, so a new ceiling gets a new
// Limiter fed the same input; once its delay line is full the output moves
// from the old Limiter's to the new one's along a linear crossfade over
// CeilingFade. Both signals stay within their ceilings, so every mix of them
// stays within the higher one, which is never above the room's.
type ceilingStage struct {
	in       beep.Streamer
	rate     beep.SampleRate
	pre, tmp [][2]float64 // input block; the new Limiter's output

	cur, next     *dsp.Limiter
	curIn, nextIn *blockReader
	wait          int64 // samples of the new Limiter's latency still to pass
	xfPos, xfLen  int64
	queued        *float64 // ceiling asked for during a crossfade
}

func newCeilingStage(in beep.Streamer, rate beep.SampleRate, block int, ceilingDB float64) (*ceilingStage, error) {
	c := &ceilingStage{in: in, rate: rate, pre: make([][2]float64, block), tmp: make([][2]float64, block)}
	c.curIn, c.nextIn = &blockReader{}, &blockReader{}
	lim, err := c.newLimiter(c.curIn, ceilingDB)
	if err != nil {
		return nil, err
	}
	c.cur = lim
	return c, nil
}

func (c *ceilingStage) newLimiter(in *blockReader, ceilingDB float64) (*dsp.Limiter, error) {
	cfg := dsp.DefaultLimiterConfig()
	cfg.CeilingDB = ceilingDB
	return dsp.NewLimiter(in, c.rate, cfg)
}

// setCeiling starts the move to a new ceiling (or queues it behind the one
// in progress).
func (c *ceilingStage) setCeiling(db float64) error {
	if err := (dsp.LimiterConfig{CeilingDB: db, Lookahead: dsp.DefaultLimiterConfig().Lookahead, Release: dsp.DefaultLimiterConfig().Release}).Validate(); err != nil {
		return err
	}
	if c.next != nil {
		c.queued = &db
		return nil
	}
	if db == c.cur.Config().CeilingDB {
		return nil
	}
	lim, err := c.newLimiter(c.nextIn, db)
	if err != nil {
		return err
	}
	c.next = lim
	c.wait = int64(lim.Latency())
	c.xfPos, c.xfLen = 0, max(int64(c.rate.N(CeilingFade)), 1)
	return nil
}

// Stream implements beep.Streamer: it always fills out, which must be no
// longer than the block the stage was made for.
func (c *ceilingStage) Stream(out [][2]float64) (int, bool) {
	n := len(out)
	pre := c.pre[:n]
	if m, _ := c.in.Stream(pre); m < n {
		clear(pre[m:])
	}
	c.curIn.set(pre)
	c.cur.Stream(out)
	if c.next == nil {
		return n, true
	}
	tmp := c.tmp[:n]
	c.nextIn.set(pre)
	c.next.Stream(tmp)
	for i := range out {
		if c.wait > 0 {
			c.wait--
			continue
		}
		a := float64(min(c.xfPos+1, c.xfLen)) / float64(c.xfLen)
		out[i][0] = (1-a)*out[i][0] + a*tmp[i][0]
		out[i][1] = (1-a)*out[i][1] + a*tmp[i][1]
		c.xfPos++
	}
	if c.xfPos >= c.xfLen {
		c.cur, c.next = c.next, nil
		c.curIn, c.nextIn = c.nextIn, c.curIn
		if q := c.queued; q != nil {
			c.queued = nil
			_ = c.setCeiling(*q) // validated when it was queued
		}
	}
	return n, true
}

// Err implements beep.Streamer.
func (c *ceilingStage) Err() error { return nil }
