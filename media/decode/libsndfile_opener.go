package decode

// FLACDecoder names the decoder the Opener uses for FLAC: "libsndfile"
// (libFLAC behind libsndfile's pull API) or "mewkiz/flac".
func (o *Opener) FLACDecoder() string {
	if o != nil && o.flac != nil {
		return "libsndfile"
	}
	return "mewkiz/flac"
}
