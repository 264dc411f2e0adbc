-- Sessions on the drug clock and their logs. Times are Unix nanoseconds
-- (wall clock) or nanoseconds of drug clock; snapshots are JSON.
CREATE TABLE sessions (
	id           INTEGER PRIMARY KEY,
	room         TEXT    NOT NULL,
	playlist     TEXT    NOT NULL,
	profile      TEXT    NOT NULL,
	status       TEXT    NOT NULL CHECK (status IN ('arrival', 'running', 'ended')),
	created_ns   INTEGER NOT NULL,
	dosed_ns     INTEGER,
	ended_ns     INTEGER,
	boundaries   TEXT    NOT NULL,
	paused       INTEGER NOT NULL,
	paused_at_ns INTEGER NOT NULL,
	quiet        INTEGER NOT NULL,
	volume_db    REAL    NOT NULL,
	plan         TEXT    NOT NULL
) STRICT;

-- A room runs one session at a time.
CREATE UNIQUE INDEX sessions_live_room ON sessions (room) WHERE status != 'ended';

CREATE TABLE session_log (
	session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
	seq        INTEGER NOT NULL,
	wall_ns    INTEGER NOT NULL,
	clock_ns   INTEGER NOT NULL,
	dosed      INTEGER NOT NULL,
	role       TEXT    NOT NULL,
	device     TEXT    NOT NULL,
	kind       TEXT    NOT NULL,
	detail     TEXT    NOT NULL,
	phase      TEXT    NOT NULL,
	track      TEXT    NOT NULL,
	PRIMARY KEY (session_id, seq)
) STRICT;
