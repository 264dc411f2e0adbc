//go:build linux

package output

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// ALSABuffer is the device buffer asked of snd_pcm_set_params. A music
// room needs no low latency (every control is a ramp of seconds), but it
// must never run dry on a small machine whose two cores are busy: a quarter
// second rides out the Go scheduler's preemption slices and a garbage
// collection with room to spare (MPD asks for half a second).
const ALSABuffer = 250 * time.Millisecond

// ALSA defaults.
const (
	alsaLatency = ALSABuffer
	// alsaStall is how long Write waits for room in the device buffer before
	// it calls the device stalled: twice the buffer, so a healthy device
	// never hits it while a stuck one is reported promptly.
	alsaStall = 2 * alsaLatency
	// alsaPrealloc is the conversion buffer's initial size in frames; a
	// larger block grows it once.
	alsaPrealloc = 8192
)

// ALSA plays the mix on an ALSA PCM device ("default", "hw:1,0",
// "plughw:CARD=Device", a name from an asoundrc …) as interleaved stereo
// S16_LE at the engine rate; ALSA resamples if the device needs it. It is
// paced by the device clock.
//
// Write, Reopen and Close are called from one goroutine (the engine's);
// Underruns and Device may be called from any.
type ALSA struct {
	lib    *alsaLib
	pcmIO  pcmIO // lib, but for tests of Write's recovery
	device string
	rate   int

	pcm       uintptr  // snd_pcm_t*, 0 when closed or lost
	buf       []int16  // interleaved conversion buffer, reused by every Write
	args      callArgs // argument block for libasound calls, reused likewise
	underruns atomic.Int64
}

// pcmIO is the libasound calls Write makes while the device plays: an
// *alsaLib, or a fake that makes the device run dry on cue.
type pcmIO interface {
	writei(args *callArgs, pcm uintptr, buf []int16, frames int) int64
	wait(args *callArgs, pcm uintptr, timeoutMS int) int32
	recover(args *callArgs, pcm uintptr, err int32) int32
}

// NewALSA opens device for playback at rate Hz. Its error says whether
// libasound.so.2 is missing (install libasound2) or which device could not
// be opened and ALSA's reason.
func NewALSA(device string, rate int) (*ALSA, error) {
	if rate <= 0 {
		return nil, fmt.Errorf("alsa: open %q: invalid rate %d Hz", device, rate)
	}
	lib, err := loadALSA()
	if err != nil {
		return nil, fmt.Errorf("alsa: open %q: %w", device, err)
	}
	a := &ALSA{lib: lib, pcmIO: lib, device: device, rate: rate, buf: make([]int16, 2*alsaPrealloc)}
	if err := a.open(); err != nil {
		return nil, err
	}
	return a, nil
}

// open opens and configures the device. The PCM is opened non-blocking so
// that Write can bound its wait with snd_pcm_wait instead of hanging in
// snd_pcm_writei on a stuck device.
func (a *ALSA) open() error {
	var pcm uintptr
	if rc := a.lib.pcmOpen(&pcm, a.device, sndPCMStreamPlayback, sndPCMNonblock); rc < 0 {
		if rc == -errnoENOENT { // ALSA's text, "No such file or directory", misleads here
			return fmt.Errorf("alsa: open %q: no such PCM device or card (%s; aplay -L lists them)",
				a.device, a.lib.errString(rc))
		}
		return fmt.Errorf("alsa: open %q: %s", a.device, a.lib.errString(rc))
	}
	if rc := a.lib.pcmSetParams(pcm, sndPCMFormatS16LE, sndPCMAccessRWInterleav, 2, uint32(a.rate), 1,
		uint32(alsaLatency/time.Microsecond)); rc < 0 {
		a.lib.pcmClose(pcm)
		return fmt.Errorf("alsa: configure %q for S16_LE stereo %d Hz: %s", a.device, a.rate, a.lib.errString(rc))
	}
	a.pcm = pcm
	return nil
}

// Device is the ALSA device name the sink was opened with.
func (a *ALSA) Device() string { return a.device }

// Paced reports true: Write blocks while the device buffer is full, so the
// device clock paces the engine.
func (a *ALSA) Paced() bool { return true }

// Underruns is the number of buffer underruns (the device ran dry and ALSA
// recovered) since the sink was created, across Reopen.
func (a *ALSA) Underruns() int64 { return a.underruns.Load() }

// Write converts block to S16 (clamping to ±1, rounding to nearest) and
// writes it to the device, waiting while the device buffer is full. It
// allocates nothing unless block is longer than any before (and 8192
// frames). An underrun is recovered and counted; an error that ALSA cannot
// recover from (the device was unplugged, the driver failed) or a device that
// accepts nothing for 200 ms closes the PCM and is returned: Reopen (or
// NewALSA) opens it again.
func (a *ALSA) Write(block [][2]float64) error {
	if a.pcm == 0 {
		return fmt.Errorf("alsa: write to %q: %w", a.device, ErrClosed)
	}
	if len(block) == 0 {
		return nil
	}
	if cap(a.buf) < 2*len(block) {
		a.buf = make([]int16, 2*len(block))
	}
	buf := a.buf[:2*len(block)]
	toS16(buf, block)

	for off := 0; off < len(block); {
		n := a.pcmIO.writei(&a.args, a.pcm, buf[2*off:], len(block)-off)
		switch {
		case n > 0:
			off += int(n)
			continue
		case n == 0 || n == -errnoEAGAIN:
			rc := a.pcmIO.wait(&a.args, a.pcm, int(alsaStall/time.Millisecond))
			if rc == 0 {
				return a.lost(fmt.Errorf("alsa: write to %q: device accepted nothing for %v", a.device, alsaStall))
			}
			if rc > 0 {
				continue
			}
			n = int64(rc) // an error from wait, e.g. -EPIPE: recover below
		}
		code := int32(n)
		if code == -errnoEPIPE {
			a.underruns.Add(1)
		}
		if rc := a.pcmIO.recover(&a.args, a.pcm, code); rc < 0 {
			return a.lost(fmt.Errorf("alsa: write to %q: %s", a.device, a.lib.errString(code)))
		}
	}
	return nil
}

// lost closes the PCM without draining after an unrecoverable error.
func (a *ALSA) lost(err error) error {
	a.lib.pcmDrop(a.pcm)
	a.lib.pcmClose(a.pcm)
	a.pcm = 0
	return err
}

// Reopen closes the device (without draining) if it is open and opens it
// again, after a write error or to recover a device that came back.
func (a *ALSA) Reopen() error {
	if a.pcm != 0 {
		a.lib.pcmDrop(a.pcm)
		a.lib.pcmClose(a.pcm)
		a.pcm = 0
	}
	return a.open()
}

// Close plays out what is buffered (at most the ALSABuffer device buffer) and
// closes the device. It is idempotent.
func (a *ALSA) Close() error {
	if a.pcm == 0 {
		return nil
	}
	pcm := a.pcm
	a.pcm = 0
	var errs []error
	// Drain must block: in non-blocking mode it returns -EAGAIN at once and
	// the close that follows would drop the buffered audio.
	if rc := a.lib.pcmNonblock(pcm, 0); rc < 0 {
		errs = append(errs, fmt.Errorf("alsa: close %q: set blocking: %s", a.device, a.lib.errString(rc)))
	} else if rc := a.lib.pcmDrain(pcm); rc < 0 {
		errs = append(errs, fmt.Errorf("alsa: close %q: drain: %s", a.device, a.lib.errString(rc)))
	}
	if rc := a.lib.pcmClose(pcm); rc < 0 {
		errs = append(errs, fmt.Errorf("alsa: close %q: %s", a.device, a.lib.errString(rc)))
	}
	return errors.Join(errs...)
}
