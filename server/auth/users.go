package auth

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// checkName enforces the user name rules: 1 to MaxNameLen characters of
// valid UTF-8, no control characters, no space at either end.
func checkName(name string) error {
	n := utf8.RuneCountInString(name)
	switch {
	case n == 0:
		return fmt.Errorf("%w user name: empty", ErrInvalid)
	case n > MaxNameLen:
		return fmt.Errorf("%w user name: %d characters, at most %d", ErrInvalid, n, MaxNameLen)
	case !utf8.ValidString(name):
		return fmt.Errorf("%w user name: not valid UTF-8", ErrInvalid)
	case strings.TrimSpace(name) != name:
		return fmt.Errorf("%w user name %q: space at the start or end", ErrInvalid, name)
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return fmt.Errorf("%w user name %q: control characters", ErrInvalid, name)
	}
	return nil
}

// checkPassword enforces the password rules: MinPasswordLen characters or
// more, MaxPasswordBytes at most.
func checkPassword(password string) error {
	if n := utf8.RuneCountInString(password); n < MinPasswordLen {
		return fmt.Errorf("%w (got %d)", ErrWeakPassword, n)
	}
	if len(password) > MaxPasswordBytes {
		return fmt.Errorf("%w password: %d bytes, at most %d", ErrInvalid, len(password), MaxPasswordBytes)
	}
	return nil
}

func checkRole(r Role) error {
	if r != Admin && r != Therapist {
		return fmt.Errorf("%w role %q: want %s or %s", ErrInvalid, r, Admin, Therapist)
	}
	return nil
}

// AddUser creates an admin or therapist account. Names are unique ignoring
// ASCII case (ErrExists). Adding an admin voids the setup token.
func (s *Store) AddUser(ctx context.Context, name string, role Role, password string) error {
	if err := s.addUser(ctx, name, role, password, nil); err != nil {
		return fmt.Errorf("add user %q: %w", name, err)
	}
	return nil
}

// addUser checks, hashes and inserts; in the same transaction, before the
// insert, it runs check if set (Setup's token check).
func (s *Store) addUser(ctx context.Context, name string, role Role, password string, check func(*sql.Tx) error) error {
	if err := checkName(name); err != nil {
		return err
	}
	if err := checkRole(role); err != nil {
		return err
	}
	if err := checkPassword(password); err != nil {
		return err
	}
	// Refuse a duplicate before spending a hash on it; the transaction
	// checks again.
	if _, err := s.user(ctx, s.db, name); err == nil {
		return ErrExists
	} else if !errors.Is(err, ErrNotFound) {
		return err
	}
	phc, err := s.hash(ctx, password)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if check != nil {
			if err := check(tx); err != nil {
				return err
			}
		}
		if _, err := s.user(ctx, tx, name); err == nil {
			return ErrExists
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO auth_users (name, role, password, created_at) VALUES (?, ?, ?, ?)`,
			name, string(role), phc, nanos(s.now())); err != nil {
			return fmt.Errorf("insert: %w", err)
		}
		if role == Admin {
			if _, err := tx.ExecContext(ctx, `DELETE FROM auth_setup`); err != nil {
				return fmt.Errorf("void setup token: %w", err)
			}
		}
		return nil
	})
}

type queryRower interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// user reads an account (name ignoring ASCII case); ErrNotFound if none.
func (s *Store) user(ctx context.Context, q queryRower, name string) (User, error) {
	var u User
	var role string
	var created int64
	err := q.QueryRowContext(ctx, `SELECT name, role, created_at FROM auth_users WHERE name = ?`, name).
		Scan(&u.Name, &role, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, fmt.Errorf("user %w", ErrNotFound)
	}
	if err != nil {
		return User{}, fmt.Errorf("read user: %w", err)
	}
	u.Role, u.Created = Role(role), fromNanos(created)
	return u, nil
}

// SetPassword replaces a user's password and ends the user's login
// sessions: changing a password is how a leaked one is shut out.
func (s *Store) SetPassword(ctx context.Context, name, password string) error {
	if err := checkPassword(password); err != nil {
		return fmt.Errorf("set password of %q: %w", name, err)
	}
	if _, err := s.user(ctx, s.db, name); err != nil {
		return fmt.Errorf("set password of %q: %w", name, err)
	}
	phc, err := s.hash(ctx, password)
	if err != nil {
		return fmt.Errorf("set password of %q: %w", name, err)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE auth_users SET password = ? WHERE name = ?`, phc, name)
		if err != nil {
			return fmt.Errorf("update: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("user %w", ErrNotFound)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM auth_logins WHERE user_name = ?`, name); err != nil {
			return fmt.Errorf("end login sessions: %w", err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("set password of %q: %w", name, err)
	}
	return nil
}

// DeleteUser removes an account and ends its login sessions. It refuses to
// remove the last admin (ErrLastAdmin).
func (s *Store) DeleteUser(ctx context.Context, name string) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		u, err := s.user(ctx, tx, name)
		if err != nil {
			return err
		}
		if u.Role == Admin {
			var admins int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM auth_users WHERE role = 'admin'`).Scan(&admins); err != nil {
				return fmt.Errorf("count admins: %w", err)
			}
			if admins <= 1 {
				return ErrLastAdmin
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM auth_logins WHERE user_name = ?`, u.Name); err != nil {
			return fmt.Errorf("end login sessions: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM auth_users WHERE name = ?`, u.Name); err != nil {
			return fmt.Errorf("delete: %w", err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete user %q: %w", name, err)
	}
	return nil
}

// Users lists the accounts by name.
func (s *Store) Users(ctx context.Context) ([]User, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT name, role, created_at FROM auth_users ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		var u User
		var role string
		var created int64
		if err := rows.Scan(&u.Name, &role, &created); err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		u.Role, u.Created = Role(role), fromNanos(created)
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return out, nil
}

// HasAdmin reports whether an admin account exists.
func (s *Store) HasAdmin(ctx context.Context) (bool, error) {
	var ok bool
	if err := s.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM auth_users WHERE role = 'admin')`).Scan(&ok); err != nil {
		return false, fmt.Errorf("look for an admin: %w", err)
	}
	return ok, nil
}

// Login checks a name and password and opens a login session, whose token
// it returns. An unknown user and a wrong password are both ErrBadLogin and
// cost the same argon2 time. device (a browser's description) is kept with
// the session. A hash made with other parameters than the store's is
// re-made with them.
func (s *Store) Login(ctx context.Context, name, password, device string) (token string, u User, err error) {
	var stored string
	var role string
	var created int64
	err = s.db.QueryRowContext(ctx, `SELECT name, role, password, created_at FROM auth_users WHERE name = ?`, name).
		Scan(&u.Name, &role, &stored, &created)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		// Spend what checking a password costs (one argon2id derivation
		// with the store's parameters), so that the time taken does not
		// tell whether the user exists.
		if _, err := s.hash(ctx, password); err != nil {
			return "", User{}, fmt.Errorf("login: %w", err)
		}
		return "", User{}, fmt.Errorf("login: %w", ErrBadLogin)
	case err != nil:
		return "", User{}, fmt.Errorf("login: read user: %w", err)
	}
	u.Role, u.Created = Role(role), fromNanos(created)
	ok, params, err := s.verify(ctx, stored, password)
	if err != nil {
		return "", User{}, fmt.Errorf("login %q: %w", u.Name, err)
	}
	if !ok {
		return "", User{}, fmt.Errorf("login: %w", ErrBadLogin)
	}
	if params != s.opts.Argon2 {
		s.rehash(ctx, u.Name, stored, password)
	}

	token, hash := newToken()
	now := s.now()
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM auth_logins WHERE expires_at < ?`, nanos(now.Add(-purgeAfter))); err != nil {
			return fmt.Errorf("purge old sessions: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO auth_logins (token_hash, user_name, device, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?)`, hash, u.Name, truncate(device, maxDeviceBytes), nanos(now), nanos(now.Add(s.opts.SessionTTL))); err != nil {
			return fmt.Errorf("insert session: %w", err)
		}
		return nil
	})
	if err != nil {
		return "", User{}, fmt.Errorf("login %q: %w", u.Name, err)
	}
	return token, u, nil
}

// rehash replaces a correct password's hash by one made with the store's
// parameters. It is best effort: the login succeeds whatever happens, and
// a password changed meanwhile is left alone.
func (s *Store) rehash(ctx context.Context, name, old, password string) {
	phc, err := s.hash(ctx, password)
	if err != nil {
		return
	}
	s.db.ExecContext(ctx, `UPDATE auth_users SET password = ? WHERE name = ? AND password = ?`, phc, name, old) //nolint:errcheck // best effort, see above
}

// slideStep is the least extension Session writes.
const slideStep = time.Minute

// Session returns the user of a login session and extends the session to
// SessionTTL from now. ErrNotFound for an unknown (or logged out) token,
// ErrExpired for one that timed out.
func (s *Store) Session(ctx context.Context, token string) (User, error) {
	hash := hashToken(token)
	var u User
	var role string
	var created, expires int64
	err := s.db.QueryRowContext(ctx, `SELECT u.name, u.role, u.created_at, l.expires_at
		FROM auth_logins l JOIN auth_users u ON u.name = l.user_name WHERE l.token_hash = ?`, hash).
		Scan(&u.Name, &role, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, fmt.Errorf("login session %w", ErrNotFound)
	}
	if err != nil {
		return User{}, fmt.Errorf("read login session: %w", err)
	}
	now := s.now()
	if !now.Before(fromNanos(expires)) {
		return User{}, fmt.Errorf("login session %w", ErrExpired)
	}
	if next := nanos(now.Add(s.opts.SessionTTL)); next-expires >= int64(slideStep) {
		// Only ever later: a concurrent use may have extended it further.
		if _, err := s.db.ExecContext(ctx, `UPDATE auth_logins SET expires_at = ? WHERE token_hash = ? AND expires_at < ?`,
			next, hash, next); err != nil {
			return User{}, fmt.Errorf("extend login session: %w", err)
		}
	}
	u.Role, u.Created = Role(role), fromNanos(created)
	return u, nil
}

// Logout ends a login session; ErrNotFound if there is none.
func (s *Store) Logout(ctx context.Context, token string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM auth_logins WHERE token_hash = ?`, hashToken(token))
	if err != nil {
		return fmt.Errorf("logout: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("logout: login session %w", ErrNotFound)
	}
	return nil
}

// SetupToken issues the one-time token that creates the first admin (see
// Setup), for the link the daemon prints on a start without an admin. Each
// call issues a new token and voids the one before. ok is false, and no
// token is issued, when an admin exists.
func (s *Store) SetupToken(ctx context.Context) (token string, ok bool, err error) {
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var admin bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM auth_users WHERE role = 'admin')`).Scan(&admin); err != nil {
			return fmt.Errorf("look for an admin: %w", err)
		}
		if admin {
			return nil
		}
		var hash []byte
		token, hash = newToken()
		ok = true
		_, err := tx.ExecContext(ctx, `INSERT INTO auth_setup (id, token_hash, created_at) VALUES (1, ?, ?)
			ON CONFLICT (id) DO UPDATE SET token_hash = excluded.token_hash, created_at = excluded.created_at`,
			hash, nanos(s.now()))
		return err
	})
	if err != nil {
		return "", false, fmt.Errorf("issue setup token: %w", err)
	}
	return token, ok, nil
}

// Setup creates the first admin with the setup token, which it consumes.
// A wrong or used token, or one voided since (an admin exists), is
// ErrBadCode. A name or password the rules refuse leaves the token valid.
func (s *Store) Setup(ctx context.Context, token, name, password string) error {
	want := hashToken(token)
	check := func(q queryRower) error {
		var have []byte
		err := q.QueryRowContext(ctx, `SELECT token_hash FROM auth_setup WHERE id = 1`).Scan(&have)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("setup token: %w", ErrBadCode)
		}
		if err != nil {
			return fmt.Errorf("read setup token: %w", err)
		}
		if subtle.ConstantTimeCompare(have, want) != 1 {
			return fmt.Errorf("setup token: %w", ErrBadCode)
		}
		return nil // addUser deletes it with the admin's insert
	}
	// A wrong token costs no argon2 time; the transaction checks again.
	err := check(s.db)
	if err == nil {
		err = s.addUser(ctx, name, Admin, password, func(tx *sql.Tx) error { return check(tx) })
	}
	if err != nil {
		return fmt.Errorf("set up first admin %q: %w", name, err)
	}
	return nil
}
