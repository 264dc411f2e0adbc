-- The media library: tracks (identified by content), the files that hold
-- them, the moods curators tag them with, and a full-text index over the
-- names people search for.

CREATE TABLE tracks (
    -- seq is the stable rowid the FTS index refers to (an implicit rowid
    -- may be renumbered by VACUUM).
    seq           INTEGER PRIMARY KEY,
    id            TEXT    NOT NULL UNIQUE CHECK (id <> ''),
    -- stream
    format        TEXT    NOT NULL DEFAULT '',
    codec         TEXT    NOT NULL DEFAULT '',
    sample_rate   INTEGER NOT NULL DEFAULT 0,
    channels      INTEGER NOT NULL DEFAULT 0,
    bit_depth     INTEGER NOT NULL DEFAULT 0,
    bit_rate      INTEGER NOT NULL DEFAULT 0,
    samples       INTEGER NOT NULL DEFAULT 0,
    encoder_delay INTEGER NOT NULL DEFAULT 0,
    padding       INTEGER NOT NULL DEFAULT 0,
    -- tags
    title         TEXT    NOT NULL DEFAULT '',
    artist        TEXT    NOT NULL DEFAULT '',
    album         TEXT    NOT NULL DEFAULT '',
    album_artist  TEXT    NOT NULL DEFAULT '',
    genre         TEXT    NOT NULL DEFAULT '',
    comment       TEXT    NOT NULL DEFAULT '',
    year          INTEGER NOT NULL DEFAULT 0,
    track_no      INTEGER NOT NULL DEFAULT 0,
    track_total   INTEGER NOT NULL DEFAULT 0,
    disc_no       INTEGER NOT NULL DEFAULT 0,
    disc_total    INTEGER NOT NULL DEFAULT 0,
    has_picture   INTEGER NOT NULL DEFAULT 0 CHECK (has_picture IN (0, 1)),
    -- ReplayGain: NULL means the tag is absent; 0.0 is a real value.
    rg_track_gain REAL,
    rg_track_peak REAL,
    rg_album_gain REAL,
    rg_album_peak REAL,
    -- curation
    instrumental  TEXT    NOT NULL DEFAULT 'unknown' CHECK (instrumental IN ('unknown', 'yes', 'no')),
    intensity     INTEGER NOT NULL DEFAULT 0 CHECK (intensity BETWEEN 0 AND 5),
    notes         TEXT    NOT NULL DEFAULT '',
    -- UTC, nanoseconds since the Unix epoch
    added_at      INTEGER NOT NULL
) STRICT;

CREATE INDEX tracks_order ON tracks (artist COLLATE NOCASE, album COLLATE NOCASE, disc_no, track_no, title COLLATE NOCASE);

CREATE TABLE files (
    path     TEXT    PRIMARY KEY CHECK (path <> ''),
    track_id TEXT    NOT NULL REFERENCES tracks (id) ON DELETE CASCADE,
    size     INTEGER NOT NULL,
    -- UTC, nanoseconds since the Unix epoch; NULL for an unknown time
    mtime    INTEGER
) STRICT;

CREATE INDEX files_track ON files (track_id, path);

CREATE TABLE track_moods (
    track_id TEXT    NOT NULL REFERENCES tracks (id) ON DELETE CASCADE,
    pos      INTEGER NOT NULL,
    mood     TEXT    NOT NULL CHECK (mood <> ''),
    PRIMARY KEY (track_id, pos),
    UNIQUE (track_id, mood)
) STRICT;

CREATE INDEX track_moods_mood ON track_moods (mood);

-- remove_diacritics 2 folds "Für" to "fur" and "Beyoncé" to "beyonce".
CREATE VIRTUAL TABLE tracks_fts USING fts5 (
    title, artist, album, album_artist,
    content = 'tracks', content_rowid = 'seq',
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER tracks_fts_insert AFTER INSERT ON tracks BEGIN
    INSERT INTO tracks_fts (rowid, title, artist, album, album_artist)
    VALUES (new.seq, new.title, new.artist, new.album, new.album_artist);
END;

CREATE TRIGGER tracks_fts_delete AFTER DELETE ON tracks BEGIN
    INSERT INTO tracks_fts (tracks_fts, rowid, title, artist, album, album_artist)
    VALUES ('delete', old.seq, old.title, old.artist, old.album, old.album_artist);
END;

CREATE TRIGGER tracks_fts_update AFTER UPDATE OF title, artist, album, album_artist ON tracks BEGIN
    INSERT INTO tracks_fts (tracks_fts, rowid, title, artist, album, album_artist)
    VALUES ('delete', old.seq, old.title, old.artist, old.album, old.album_artist);
    INSERT INTO tracks_fts (rowid, title, artist, album, album_artist)
    VALUES (new.seq, new.title, new.artist, new.album, new.album_artist);
END;
