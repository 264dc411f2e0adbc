//go:build !linux

package output

import (
	"errors"
	"fmt"
)

// ALSA is the speaker sink; ALSA exists on Linux only.
type ALSA struct{}

// NewALSA returns an error: ALSA exists on Linux only.
func NewALSA(device string, rate int) (*ALSA, error) {
	return nil, fmt.Errorf("alsa: open %q: %w", device, errors.ErrUnsupported)
}

// Device is the empty string.
func (a *ALSA) Device() string { return "" }

// Paced reports true, as a sound card paces the engine.
func (a *ALSA) Paced() bool { return true }

// Underruns is 0.
func (a *ALSA) Underruns() int64 { return 0 }

// Write returns ErrClosed.
func (a *ALSA) Write(block [][2]float64) error { return ErrClosed }

// Reopen returns an error: ALSA exists on Linux only.
func (a *ALSA) Reopen() error { return errors.ErrUnsupported }

// Close does nothing.
func (a *ALSA) Close() error { return nil }
