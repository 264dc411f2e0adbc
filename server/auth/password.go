package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Argon2Params are the argon2id cost parameters new password hashes are
// made with. Hashes already stored keep their own parameters (they are in
// the PHC string) and are re-made with these at the user's next login.
type Argon2Params struct {
	Time      uint32 // passes over memory
	MemoryKiB uint32 // memory per hash, in KiB
	Threads   uint8  // lanes
}

// Default argon2id parameters: RFC 9106's second recommended option
// (t=3, m=64 MiB) with one lane, so that one hash never takes more than one
// core from the audio.
const (
	DefaultArgon2Time      = 3
	DefaultArgon2MemoryKiB = 64 * 1024
	DefaultArgon2Threads   = 1
)

const (
	saltLen = 16
	keyLen  = 32
	// Limits on parameters read from the database, so that a tampered
	// hash cannot make a login allocate gigabytes or spin for minutes.
	maxMemoryKiB = 1 << 20 // 1 GiB
	maxTime      = 64
)

// errBadHash reports a stored password hash that is not a well-formed
// argon2id PHC string within our limits.
var errBadHash = errors.New("stored password hash is not a valid argon2id PHC string")

func (p Argon2Params) validate() error {
	switch {
	case p.Time < 1 || p.Time > maxTime:
		return fmt.Errorf("argon2 time %d: want 1 to %d", p.Time, maxTime)
	case p.MemoryKiB < 8*uint32(max(p.Threads, 1)) || p.MemoryKiB > maxMemoryKiB:
		return fmt.Errorf("argon2 memory %d KiB: want 8×threads to %d KiB", p.MemoryKiB, maxMemoryKiB)
	case p.Threads < 1:
		return fmt.Errorf("argon2 threads %d: want at least 1", p.Threads)
	}
	return nil
}

// hashPassword derives password's argon2id hash with a fresh random salt
// and returns it as a PHC string.
func hashPassword(p Argon2Params, password string) string {
	salt := make([]byte, saltLen)
	rand.Read(salt) // never fails (crypto/rand, Go ≥ 1.24)
	key := argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, keyLen)
	return formatPHC(p, salt, key)
}

func formatPHC(p Argon2Params, salt, key []byte) string {
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.MemoryKiB, p.Time, p.Threads, enc.EncodeToString(salt), enc.EncodeToString(key))
}

// phc is a parsed argon2id PHC string.
type phc struct {
	params    Argon2Params
	salt, key []byte
}

// parsePHC parses "$argon2id$v=19$m=M,t=T,p=P$salt$hash" (salt and hash in
// unpadded standard base64), as the reference implementation writes it.
func parsePHC(s string) (phc, error) {
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" {
		return phc{}, fmt.Errorf("%w: want 5 '$'-separated fields", errBadHash)
	}
	if parts[1] != "argon2id" {
		return phc{}, fmt.Errorf("%w: algorithm %q, want argon2id", errBadHash, parts[1])
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return phc{}, fmt.Errorf("%w: version field %q, want v=%d", errBadHash, parts[2], argon2.Version)
	}
	var h phc
	var seen [3]bool
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, _ := strings.Cut(kv, "=")
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return phc{}, fmt.Errorf("%w: parameter %q is not a number", errBadHash, kv)
		}
		var i int
		switch k {
		case "m":
			i, h.params.MemoryKiB = 0, uint32(n)
		case "t":
			i, h.params.Time = 1, uint32(n)
		case "p":
			if n > 255 {
				return phc{}, fmt.Errorf("%w: parallelism %d over 255", errBadHash, n)
			}
			i, h.params.Threads = 2, uint8(n)
		default:
			return phc{}, fmt.Errorf("%w: unknown parameter %q", errBadHash, kv)
		}
		if seen[i] {
			return phc{}, fmt.Errorf("%w: parameter %q repeated", errBadHash, k)
		}
		seen[i] = true
	}
	if seen != [3]bool{true, true, true} {
		return phc{}, fmt.Errorf("%w: parameters %q lack one of m, t, p", errBadHash, parts[3])
	}
	if err := h.params.validate(); err != nil {
		return phc{}, fmt.Errorf("%w: %w", errBadHash, err)
	}
	var err error
	if h.salt, err = base64.RawStdEncoding.Strict().DecodeString(parts[4]); err != nil || len(h.salt) < 8 {
		return phc{}, fmt.Errorf("%w: salt is not unpadded base64 of at least 8 bytes", errBadHash)
	}
	if h.key, err = base64.RawStdEncoding.Strict().DecodeString(parts[5]); err != nil || len(h.key) < 16 {
		return phc{}, fmt.Errorf("%w: hash is not unpadded base64 of at least 16 bytes", errBadHash)
	}
	return h, nil
}

// verifyPassword reports whether password matches the PHC string stored,
// and the parameters the stored hash was made with. err is set only for a
// malformed stored hash.
func verifyPassword(stored, password string) (ok bool, p Argon2Params, err error) {
	h, err := parsePHC(stored)
	if err != nil {
		return false, Argon2Params{}, err
	}
	key := argon2.IDKey([]byte(password), h.salt, h.params.Time, h.params.MemoryKiB, h.params.Threads, uint32(len(h.key)))
	return subtle.ConstantTimeCompare(key, h.key) == 1, h.params, nil
}
