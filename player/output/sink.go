// Package output holds a room's local sinks: the speaker (an ALSA PCM
// device), a WAV file and a null sink. Each receives the room's mix one block
// at a time as stereo float frames at the engine rate, full scale ±1, and
// satisfies the engine's Sink interface (Write, Paced, Close).
//
// # ALSA
//
// [NewALSA] loads libasound.so.2 at run time with purego, so the package
// builds with CGO_ENABLED=0 and a machine without ALSA gets an error from the
// constructor ("libasound.so.2 not found: install libasound2"), never a crash
// or a link failure. The PCM is opened non-blocking and configured with
// snd_pcm_set_params: S16_LE, interleaved, 2 channels, the engine rate, ALSA
// soft resampling allowed, 100 ms of device buffer. Write converts into a
// reused buffer (no allocation), then loops on snd_pcm_writei, waiting with
// snd_pcm_wait while the buffer is full: that wait is what paces the engine,
// and its 200 ms timeout turns a stuck device into an error instead of a hung
// engine. An underrun (-EPIPE) is recovered with snd_pcm_recover and counted
// ([ALSA.Underruns]); an error ALSA cannot recover from (device unplugged)
// closes the PCM and is returned, and [ALSA.Reopen] opens it again. ALSA's own
// stderr diagnostics are silenced with snd_lib_error_set_handler; the sink's
// errors carry snd_strerror's text instead. The ALSA sink exists on Linux
// only; elsewhere NewALSA returns an error.
//
// Tested without a sound card through ALSA's file plugin (the "file" PCM
// defined in the stock alsa.conf, built into libasound2: libasound2-plugins
// is not needed), which writes the raw samples to a file and discards them
// through the null PCM.
//
// # WAV
//
// [NewWAV] and [CreateWAV] write 24-bit PCM stereo WAV (quantization noise at
// −144 dBFS, as the offline render writes). The header's sizes are rewritten
// every 5 s of audio and on Close, so a crash leaves a playable file missing
// at most the last few seconds. Not paced.
//
// # Null
//
// [Null] discards the mix and counts frames. Not paced.
//
// # Concurrency
//
// Write, Close (and ALSA.Reopen) are called from one goroutine, the one
// feeding the sink; the counters (Underruns, Frames) may be read from any.
package output

import "errors"

// ErrClosed is returned by a sink's Write after Close.
var ErrClosed = errors.New("output: sink closed")
