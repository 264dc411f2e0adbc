// Package auth keeps who may use attune: admin and therapist accounts with
// argon2id password hashes, browser login sessions, the one-time token that
// creates the first admin, and tablets paired to one room with a short
// code. Everything lives in the one attune database, so it survives a
// restart; tokens are stored only as SHA-256 hashes.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"attune/media/store"
)

// Owner is the name under which the auth tables' migrations are recorded.
const Owner = "auth"

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Role is what a caller may do (DESIGN.md §6).
type Role string

// The roles. Only admins and therapists are accounts; a patient is a paired
// tablet.
const (
	Admin     Role = "admin"
	Therapist Role = "therapist"
	Patient   Role = "patient"
)

// User is an account, without its password hash.
type User struct {
	Name    string
	Role    Role
	Created time.Time
}

// Errors, for errors.Is. The store wraps them with what was asked.
var (
	// ErrBadLogin: unknown user or wrong password; the two are not told
	// apart.
	ErrBadLogin = errors.New("wrong user name or password")
	// ErrExists: a user of that name exists already (names ignore ASCII
	// case).
	ErrExists = errors.New("user already exists")
	// ErrNotFound: no such user, login session or patient token.
	ErrNotFound = errors.New("not found")
	// ErrLastAdmin: the change would leave no admin.
	ErrLastAdmin = errors.New("cannot remove the last admin: add another admin first")
	// ErrBadCode: a pairing code or setup token that is wrong, used or
	// expired; the three are not told apart.
	ErrBadCode = errors.New("wrong, used or expired code")
	// ErrExpired: a login session or patient token that has expired.
	ErrExpired = errors.New("expired")
	// ErrWeakPassword: a password shorter than MinPasswordLen.
	ErrWeakPassword = fmt.Errorf("password too short: use at least %d characters", MinPasswordLen)
	// ErrInvalid: a malformed argument (user name, role, room, overlong
	// password); the message says which rule it broke.
	ErrInvalid = errors.New("invalid")
)

// Limits on names and passwords.
const (
	MinPasswordLen   = 10   // characters
	MaxPasswordBytes = 1024 // longer is surely a paste accident
	MaxNameLen       = 64   // characters
	maxDeviceBytes   = 200
)

// Defaults for Options.
const (
	DefaultSessionTTL    = 12 * time.Hour
	DefaultPairTTL       = 10 * time.Minute
	DefaultPatientGrace  = 30 * time.Minute
	DefaultPatientTTL    = 12 * time.Hour
	DefaultPatientMaxAge = 24 * time.Hour
	DefaultMaxHashes     = 1
)

// Options tune a Store; zero fields take the defaults.
type Options struct {
	// Now is the clock (time.Now); tests inject theirs.
	Now func() time.Time
	// SessionTTL is how long a login session lives unused: each use
	// extends it to SessionTTL from then (sliding, in steps of a minute
	// so that a busy browser does not write on every request).
	SessionTTL time.Duration
	// PairTTL is how long a pairing code can be used.
	PairTTL time.Duration
	// PatientGrace is how long a session's patient tokens keep working
	// after EndSession.
	PatientGrace time.Duration
	// PatientTTL is the life of a patient token paired when no session
	// runs (session id 0).
	PatientTTL time.Duration
	// PatientMaxAge bounds the life of a patient token paired during a
	// session, should EndSession never come for it.
	PatientMaxAge time.Duration
	// Argon2 are the parameters of new password hashes (DefaultArgon2*
	// when zero). Tests pass cheap ones.
	Argon2 Argon2Params
	// MaxHashes bounds the argon2 computations running at once: each
	// takes Argon2.MemoryKiB of memory and a whole core for its duration
	// (0.43 s with the defaults on a 2-core machine), so the default of
	// one leaves the other core to the audio.
	MaxHashes int
}

// Store is the accounts, login sessions and tablet pairings in an SQLite
// database. It is safe for concurrent use.
type Store struct {
	db   *sql.DB
	now  func() time.Time
	opts Options
	// hashes is a semaphore of MaxHashes slots around argon2.
	hashes chan struct{}
}

// Open brings the auth tables in db up to date and returns the store. db
// must come from store.OpenDB (foreign keys on, immediate transactions);
// closing it is the caller's job.
func Open(ctx context.Context, db *sql.DB, opts Options) (*Store, error) {
	opts = withDefaults(opts)
	if err := opts.Argon2.validate(); err != nil {
		return nil, fmt.Errorf("open auth: %w", err)
	}
	migs, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("open auth: %w", err)
	}
	if err := store.Migrate(ctx, db, Owner, migs); err != nil {
		return nil, fmt.Errorf("open auth: %w", err)
	}
	return &Store{db: db, now: opts.Now, opts: opts, hashes: make(chan struct{}, opts.MaxHashes)}, nil
}

func withDefaults(o Options) Options {
	if o.Now == nil {
		o.Now = time.Now
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.SessionTTL, DefaultSessionTTL)
	def(&o.PairTTL, DefaultPairTTL)
	def(&o.PatientGrace, DefaultPatientGrace)
	def(&o.PatientTTL, DefaultPatientTTL)
	def(&o.PatientMaxAge, DefaultPatientMaxAge)
	if o.Argon2 == (Argon2Params{}) {
		o.Argon2 = Argon2Params{Time: DefaultArgon2Time, MemoryKiB: DefaultArgon2MemoryKiB, Threads: DefaultArgon2Threads}
	}
	if o.MaxHashes <= 0 {
		o.MaxHashes = DefaultMaxHashes
	}
	return o
}

// hash derives password's PHC string, waiting for a free slot.
func (s *Store) hash(ctx context.Context, password string) (string, error) {
	if err := s.acquire(ctx); err != nil {
		return "", err
	}
	defer s.release()
	return hashPassword(s.opts.Argon2, password), nil
}

// verify checks password against a stored PHC string, waiting for a free
// slot.
func (s *Store) verify(ctx context.Context, stored, password string) (bool, Argon2Params, error) {
	if err := s.acquire(ctx); err != nil {
		return false, Argon2Params{}, err
	}
	defer s.release()
	return verifyPassword(stored, password)
}

func (s *Store) acquire(ctx context.Context) error {
	select {
	case s.hashes <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wait for a password hashing slot: %w", ctx.Err())
	}
}

func (s *Store) release() { <-s.hashes }

// newToken returns a fresh 256-bit random token, base64url without
// padding, and the hash under which it is stored.
func newToken() (token string, hash []byte) {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand, Go ≥ 1.24)
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, hashToken(token)
}

// hashToken is what is stored of a token. A plain SHA-256 suffices: tokens
// carry 256 random bits, there is nothing to brute-force.
func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// nanos is t as stored.
func nanos(t time.Time) int64 { return t.UnixNano() }

func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }

// purgeAfter is how long expired tokens are kept, so that for a day a
// client hears ErrExpired rather than ErrNotFound.
const purgeAfter = 24 * time.Hour

// inTx runs fn in a transaction and commits it if fn returns nil.
func (s *Store) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback() //nolint:errcheck // the first error is the one to report
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// truncate cuts s to at most n bytes on a character boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
