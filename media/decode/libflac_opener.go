package decode

// FLACDecoder names the decoder the Opener uses for FLAC: "libFLAC" or
// "mewkiz/flac".
func (o *Opener) FLACDecoder() string {
	if o != nil && o.flac != nil {
		return "libFLAC"
	}
	return "mewkiz/flac"
}
