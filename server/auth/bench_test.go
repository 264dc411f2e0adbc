package auth

import "testing"

// BenchmarkHashPassword_default is one argon2id hash with the default
// parameters: the time a login costs.
func BenchmarkHashPassword_default(b *testing.B) {
	p := withDefaults(Options{}).Argon2
	for b.Loop() {
		hashPassword(p, "correct horse battery")
	}
}
