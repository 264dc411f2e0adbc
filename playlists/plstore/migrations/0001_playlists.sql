-- Phased playlists. Track ids are not foreign keys to media's tracks table:
-- a key would make deleting a library track either fail (RESTRICT) or
-- silently drop it from playlists (CASCADE), and would tie media's own
-- migrations (SQLite rebuilds a table to alter it) to this package. Entries
-- whose track is gone are reported as dangling when a playlist is read.

CREATE TABLE playlists (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE CHECK (name <> ''),
    description TEXT    NOT NULL DEFAULT '',
    author      TEXT    NOT NULL DEFAULT '',
    profile     TEXT    NOT NULL DEFAULT '',
    -- nanoseconds; 0 means the default
    transition  INTEGER NOT NULL DEFAULT 0,
    -- UTC, nanoseconds since the Unix epoch
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE playlist_phases (
    playlist_id INTEGER NOT NULL REFERENCES playlists (id) ON DELETE CASCADE,
    pos         INTEGER NOT NULL,
    role        TEXT    NOT NULL CHECK (role <> ''),
    -- nanoseconds; 0 means the default
    crossfade   INTEGER NOT NULL DEFAULT 0,
    level_db    REAL    NOT NULL DEFAULT 0,
    fill        TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (playlist_id, pos)
) STRICT;

CREATE TABLE playlist_entries (
    playlist_id INTEGER NOT NULL,
    phase_pos   INTEGER NOT NULL,
    pos         INTEGER NOT NULL,
    track_id    TEXT    NOT NULL CHECK (track_id <> ''),
    must_play   INTEGER NOT NULL DEFAULT 0 CHECK (must_play IN (0, 1)),
    PRIMARY KEY (playlist_id, phase_pos, pos),
    FOREIGN KEY (playlist_id, phase_pos) REFERENCES playlist_phases (playlist_id, pos) ON DELETE CASCADE
) STRICT;

CREATE INDEX playlist_entries_track ON playlist_entries (track_id);
