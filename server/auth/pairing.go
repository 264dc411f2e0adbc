package auth

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// Grant is what a patient token allows: steering one room. SessionID is
// the session it was paired during, 0 for none. Expires is when the token
// stops working as far as is known now: before its session ends, the
// PatientMaxAge bound; after EndSession, the end plus PatientGrace.
type Grant struct {
	Room      string
	SessionID int64
	Expires   time.Time
}

// codeDigits is the length of a pairing code.
const codeDigits = 6

// maxCodeTries bounds the draws for a code no other room holds. With a few
// rooms a collision is a one-in-a-million event; 20 in a row means the
// random source is broken.
const maxCodeTries = 20

// newCode draws a uniformly random 6-digit code.
func newCode() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", fmt.Errorf("draw a pairing code: %w", err)
	}
	return fmt.Sprintf("%0*d", codeDigits, n.Int64()), nil
}

// isCode reports whether s has the form of a pairing code.
func isCode(s string) bool {
	if len(s) != codeDigits {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// NewPairingCode issues a one-use code that pairs a tablet with room for
// PairTTL, within the session sessionID (0: no session). It replaces the
// room's unused code, if any: the console shows one code per room.
func (s *Store) NewPairingCode(ctx context.Context, room string, sessionID int64) (code string, expires time.Time, err error) {
	if room == "" {
		return "", time.Time{}, fmt.Errorf("new pairing code: %w room: empty", ErrInvalid)
	}
	if sessionID < 0 {
		return "", time.Time{}, fmt.Errorf("new pairing code for room %q: %w session id %d", room, ErrInvalid, sessionID)
	}
	now := s.now()
	expires = now.Add(s.opts.PairTTL).UTC()
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM auth_pairing_codes WHERE room = ? OR expires_at <= ?`, room, nanos(now)); err != nil {
			return fmt.Errorf("drop old codes: %w", err)
		}
		for range maxCodeTries {
			c, err := newCode()
			if err != nil {
				return err
			}
			var taken bool
			if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM auth_pairing_codes WHERE code = ?)`, c).Scan(&taken); err != nil {
				return fmt.Errorf("check code: %w", err)
			}
			if taken {
				continue
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO auth_pairing_codes (room, code, session_id, expires_at) VALUES (?, ?, ?, ?)`,
				room, c, sessionID, nanos(expires)); err != nil {
				return fmt.Errorf("insert code: %w", err)
			}
			code = c
			return nil
		}
		return fmt.Errorf("no free code after %d draws", maxCodeTries)
	})
	if err != nil {
		return "", time.Time{}, fmt.Errorf("new pairing code for room %q: %w", room, err)
	}
	return code, expires, nil
}

// Pair consumes a pairing code and returns a patient token for its room.
// A wrong, used or expired code is ErrBadCode alike. device (the tablet's
// description) is kept with the token.
func (s *Store) Pair(ctx context.Context, code, device string) (token string, g Grant, err error) {
	if !isCode(code) {
		return "", Grant{}, fmt.Errorf("pair: %w", ErrBadCode)
	}
	now := s.now()
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var expires int64
		err := tx.QueryRowContext(ctx, `SELECT room, session_id, expires_at FROM auth_pairing_codes WHERE code = ?`, code).
			Scan(&g.Room, &g.SessionID, &expires)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrBadCode
		}
		if err != nil {
			return fmt.Errorf("read code: %w", err)
		}
		if !now.Before(fromNanos(expires)) {
			return ErrBadCode // NewPairingCode drops it
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM auth_pairing_codes WHERE code = ?`, code); err != nil {
			return fmt.Errorf("use code: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM auth_patient_tokens WHERE expires_at < ?`, nanos(now.Add(-purgeAfter))); err != nil {
			return fmt.Errorf("purge old tokens: %w", err)
		}
		g.Expires = now.Add(s.opts.PatientMaxAge)
		if g.SessionID == 0 {
			g.Expires = now.Add(s.opts.PatientTTL)
		}
		var hash []byte
		token, hash = newToken()
		if _, err := tx.ExecContext(ctx, `INSERT INTO auth_patient_tokens (token_hash, room, session_id, device, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?)`, hash, g.Room, g.SessionID, truncate(device, maxDeviceBytes), nanos(now), nanos(g.Expires)); err != nil {
			return fmt.Errorf("insert token: %w", err)
		}
		return nil
	})
	if err != nil {
		return "", Grant{}, fmt.Errorf("pair: %w", err)
	}
	g.Expires = g.Expires.UTC()
	return token, g, nil
}

// Patient returns what a patient token allows. ErrNotFound for an unknown
// token, ErrExpired for one whose session ended more than PatientGrace ago
// (or that outlived its bound).
func (s *Store) Patient(ctx context.Context, token string) (Grant, error) {
	var g Grant
	var expires int64
	err := s.db.QueryRowContext(ctx, `SELECT room, session_id, expires_at FROM auth_patient_tokens WHERE token_hash = ?`,
		hashToken(token)).Scan(&g.Room, &g.SessionID, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return Grant{}, fmt.Errorf("patient token %w", ErrNotFound)
	}
	if err != nil {
		return Grant{}, fmt.Errorf("read patient token: %w", err)
	}
	g.Expires = fromNanos(expires)
	if !s.now().Before(g.Expires) {
		return Grant{}, fmt.Errorf("patient token for room %q %w", g.Room, ErrExpired)
	}
	return g, nil
}

// EndSession marks the end of a room's session: the tokens paired during
// it expire PatientGrace from now (or sooner, if due sooner), and its
// unused pairing code is void. sessionID 0 ends the tokens paired outside
// a session.
func (s *Store) EndSession(ctx context.Context, room string, sessionID int64) error {
	end := nanos(s.now().Add(s.opts.PatientGrace))
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE auth_patient_tokens SET expires_at = min(expires_at, ?)
			WHERE room = ? AND session_id = ?`, end, room, sessionID); err != nil {
			return fmt.Errorf("expire tokens: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM auth_pairing_codes WHERE room = ? AND session_id = ?`, room, sessionID); err != nil {
			return fmt.Errorf("void code: %w", err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("end session %d of room %q: %w", sessionID, room, err)
	}
	return nil
}
