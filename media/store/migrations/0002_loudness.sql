-- Loudness analysis (EBU R 128) of each track, by content id: the last
-- successful result, and the error of the last attempt if it failed (a
-- failure keeps the previous result).

CREATE TABLE track_loudness (
    track_id    TEXT    PRIMARY KEY REFERENCES tracks (id) ON DELETE CASCADE,
    -- The last successful result; analyzed_at is NULL until one succeeds.
    -- Levels that are -Inf (a silent track's loudness, digital silence's
    -- peaks) are NULL.
    integrated  REAL,
    lra         REAL,
    sample_peak REAL,
    true_peak   REAL,
    silent      INTEGER NOT NULL DEFAULT 0 CHECK (silent IN (0, 1)),
    version     INTEGER NOT NULL DEFAULT 0,
    -- UTC, nanoseconds since the Unix epoch
    analyzed_at INTEGER,
    -- why the last attempt failed; '' when it did not
    error       TEXT    NOT NULL DEFAULT '',
    error_at    INTEGER
) STRICT;
