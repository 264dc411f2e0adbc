package probe

import (
	"errors"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/dhowden/tag"

	"attune/media"
)

// readTags reads ID3v1/v2, FLAC and Vorbis comments with dhowden/tag. Damaged
// tags on a playable file are not a reason to refuse the music: the file
// keeps the tags that could be read (none) and is titled by its name.
func readTags(r io.ReadSeeker) (t media.Tags, err error) {
	defer func() {
		if p := recover(); p != nil {
			t, err = media.Tags{}, errors.New("tag reader panicked")
		}
	}()
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return media.Tags{}, err
	}
	m, err := tag.ReadFrom(r)
	if err != nil {
		if errors.Is(err, tag.ErrNoTagsFound) {
			return media.Tags{}, nil
		}
		return media.Tags{}, err
	}
	t = media.Tags{
		Title:       clean(m.Title()),
		Artist:      clean(m.Artist()),
		Album:       clean(m.Album()),
		AlbumArtist: clean(m.AlbumArtist()),
		Genre:       clean(m.Genre()),
		Comment:     clean(m.Comment()),
		Year:        m.Year(),
		HasPicture:  m.Picture() != nil,
	}
	t.Track, t.TrackTotal = m.Track()
	t.Disc, t.DiscTotal = m.Disc()
	t.ReplayGain = replayGain(m.Raw())
	return t, nil
}

// replayGain finds the ReplayGain 2.0 values in raw tag frames: TXXX frames in
// ID3v2 (the description names the field) or plain fields in Vorbis comments.
func replayGain(raw map[string]any) media.ReplayGain {
	var rg media.ReplayGain
	set := func(name, value string) {
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "replaygain_track_gain":
			rg.TrackGain = parseGain(value)
		case "replaygain_track_peak":
			rg.TrackPeak = parsePeak(value)
		case "replaygain_album_gain":
			rg.AlbumGain = parseGain(value)
		case "replaygain_album_peak":
			rg.AlbumPeak = parsePeak(value)
		}
	}
	for k, v := range raw {
		switch v := v.(type) {
		case *tag.Comm: // ID3v2 TXXX (and COMM) frames, keyed "TXXX", "TXXX_0", ...
			if strings.HasPrefix(k, "TXX") {
				set(v.Description, v.Text)
			}
		case string: // Vorbis comments, keyed by lower-case field name
			set(k, v)
		}
	}
	return rg
}

// parseGain reads "-6.48 dB", "+1.2dB" or "-6.48". Absurd values are ignored
// rather than trusted: a tag must never be able to make a track loud.
func parseGain(s string) *float64 {
	s = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), "db")
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || f < -60 || f > 60 {
		return nil
	}
	return &f
}

// parsePeak reads a linear peak such as "0.988831".
func parsePeak(s string) *float64 {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || f < 0 || f > 100 {
		return nil
	}
	return &f
}

// clean trims white space and the NUL padding some taggers leave.
func clean(s string) string {
	return strings.TrimSpace(strings.TrimRight(s, "\x00"))
}

// titleFromPath is the fallback title: the file's name without extension.
func titleFromPath(path string) string {
	base := filepath.Base(path)
	return strings.TrimSpace(strings.TrimSuffix(base, filepath.Ext(base)))
}
