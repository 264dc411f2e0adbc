package server

import (
	"context"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode"

	"attune/media"
	"attune/player/room"
	"attune/player/session"
	"attune/playlists"
	"attune/server/auth"
)

// Room is one room as the server drives it; *room.Room implements it.
type Room interface {
	Name() string
	State() room.State
	Start(ctx context.Context, pl playlists.Playlist, prof playlists.Profile, who session.Who) error
	Do(ctx context.Context, cmd session.Command) error
	SetTrim(ctx context.Context, output string, db float64) error
	SetCeiling(ctx context.Context, db float64) error
	SetPatientRange(minDB, maxDB float64) error
	SetShowTitles(on bool)
	// Stream is the room's MP3 stream, nil when the room has none.
	Stream() http.Handler
}

// Auth keeps accounts, logins and tablet pairings; *auth.Store implements it.
type Auth interface {
	Login(ctx context.Context, name, password, device string) (string, auth.User, error)
	Session(ctx context.Context, token string) (auth.User, error)
	Logout(ctx context.Context, token string) error
	SetupToken(ctx context.Context) (string, bool, error)
	Setup(ctx context.Context, token, name, password string) error
	AddUser(ctx context.Context, name string, role auth.Role, password string) error
	SetPassword(ctx context.Context, name, password string) error
	DeleteUser(ctx context.Context, name string) error
	Users(ctx context.Context) ([]auth.User, error)
	NewPairingCode(ctx context.Context, room string, sessionID int64) (string, time.Time, error)
	Pair(ctx context.Context, code, device string) (string, auth.Grant, error)
	Patient(ctx context.Context, token string) (auth.Grant, error)
	EndSession(ctx context.Context, room string, sessionID int64) error
}

// TrackQuery selects and orders library tracks.
type TrackQuery struct {
	Text         string // full-text search; "" for all
	Instrumental media.Instrumental
	Intensity    int    // 0: any
	Sort         string // title, artist, album, duration, added, loudness, intensity
	Desc         bool
	Limit        int
	Offset       int
}

// Upload is one uploaded file, already on disk under its original name.
type Upload struct {
	Name string // the name the browser gave
	Path string // a temporary file; the library copies it in
}

// Library is the music library as the server reads and changes it.
type Library interface {
	Tracks(ctx context.Context, q TrackQuery) ([]media.Track, int, error)
	Track(ctx context.Context, id string) (media.Track, error)
	// Artwork returns the track's embedded picture and its MIME type, or
	// media.ErrNotFound-like errors when it has none.
	Artwork(ctx context.Context, id string) ([]byte, string, error)
	SetCuration(ctx context.Context, id string, c media.Curation) error
	// Import adds the uploaded files through the same path as attune
	// library add, and reports each file's outcome.
	Import(ctx context.Context, files []Upload) ([]media.Result, error)
	// Uses says which playlists name the track.
	Uses(ctx context.Context, id string) ([]string, error)
	// Delete removes the track, its files and its analysis.
	Delete(ctx context.Context, id string) error
	// Incoming is the folder uploads are streamed into (same file system
	// as the library, so importing can rename instead of copy).
	Incoming() string
}

// Playlists stores playlists; the playlists' file formats are handled here.
type Playlists interface {
	List(ctx context.Context) ([]PlaylistSummary, error)
	Get(ctx context.Context, name string) (playlists.Playlist, error)
	// Save validates and stores pl (replacing one of the same name),
	// resolving its references against the library.
	Save(ctx context.Context, pl playlists.Playlist) error
	Delete(ctx context.Context, name string) error
	// Import parses a playlist file (yaml, json or m3u) and stores it.
	Import(ctx context.Context, format, name string, r io.Reader) (playlists.Playlist, error)
	// Export writes the playlist in format (yaml, json or m3u).
	Export(ctx context.Context, name, format string, w io.Writer) error
	// Tracks returns the playable tracks of pl for planning.
	Tracks(ctx context.Context, pl playlists.Playlist) (playlists.Tracks, error)
}

// PlaylistSummary is one line of the playlist list.
type PlaylistSummary struct {
	Name        string        `json:"name"`
	Description string        `json:"description"`
	Profile     string        `json:"profile"`
	Phases      int           `json:"phases"`
	Tracks      int           `json:"tracks"`
	Length      time.Duration `json:"-"`
	Dangling    int           `json:"dangling"`
}

// Sessions reads the sessions' records and logs.
type Sessions interface {
	List(ctx context.Context, limit int) ([]session.Record, error)
	Get(ctx context.Context, id int64) (session.Record, error)
	Entries(ctx context.Context, id int64) ([]session.Entry, error)
}

// LogEntry is a session log entry with the room it happened in.
type LogEntry = session.Entry

// RoomID is the room's id in URLs and the protocol: its name in lower case,
// letters and digits kept, runs of anything else as one '-'.
func RoomID(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
			continue
		}
		dash = true
	}
	if b.Len() == 0 {
		return "room"
	}
	return b.String()
}
