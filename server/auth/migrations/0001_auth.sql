-- Accounts, browser login sessions, the first-admin setup token, tablet
-- pairing codes and patient tokens. Times are UTC nanoseconds since the Unix
-- epoch. Tokens are stored only as SHA-256 hashes of the token text: a copy
-- of the database lets no one log in or control a room.

CREATE TABLE auth_users (
    -- unique ignoring ASCII case: "Anna" and "anna" are one user
    name       TEXT    PRIMARY KEY COLLATE NOCASE CHECK (name <> ''),
    role       TEXT    NOT NULL CHECK (role IN ('admin', 'therapist')),
    -- argon2id in PHC form: $argon2id$v=19$m=..,t=..,p=..$salt$hash
    password   TEXT    NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE auth_logins (
    token_hash BLOB    PRIMARY KEY,
    user_name  TEXT    NOT NULL COLLATE NOCASE REFERENCES auth_users (name) ON DELETE CASCADE,
    device     TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX auth_logins_user ON auth_logins (user_name);
CREATE INDEX auth_logins_expires ON auth_logins (expires_at);

-- At most one setup token: issuing a new one replaces the old.
CREATE TABLE auth_setup (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    token_hash BLOB    NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

-- One unused code per room. Codes are kept as they are: hashing a 6-digit
-- code protects nothing (a million guesses), expiry and one use do.
CREATE TABLE auth_pairing_codes (
    room       TEXT    PRIMARY KEY CHECK (room <> ''),
    code       TEXT    NOT NULL UNIQUE,
    session_id INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;

CREATE TABLE auth_patient_tokens (
    token_hash BLOB    PRIMARY KEY,
    room       TEXT    NOT NULL,
    session_id INTEGER NOT NULL,
    device     TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX auth_patient_tokens_session ON auth_patient_tokens (room, session_id);
CREATE INDEX auth_patient_tokens_expires ON auth_patient_tokens (expires_at);
