package decode

// OggDecoder names the decoder the Opener uses for Ogg Vorbis:
// "libvorbisfile" or "oggvorbis".
func (o *Opener) OggDecoder() string {
	if o != nil && o.vorbisfile != nil {
		return "libvorbisfile"
	}
	return "oggvorbis"
}
