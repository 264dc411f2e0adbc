package auth

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestLimiter_AllowAt(t *testing.T) {
	l := NewLimiter(10*time.Second, 3, 100)
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	for i := range 3 {
		if !l.AllowAt("10.0.0.5", t0) {
			t.Fatalf("attempt %d of a burst of 3 refused", i+1)
		}
	}
	if l.AllowAt("10.0.0.5", t0) {
		t.Errorf("attempt 4 at once: allowed, want refused")
	}
	if !l.AllowAt("10.0.0.6", t0) {
		t.Errorf("another key: refused, want its own bucket")
	}
	if l.AllowAt("10.0.0.5", t0.Add(9*time.Second)) {
		t.Errorf("after 9 s: allowed, want refused (one per 10 s)")
	}
	if !l.AllowAt("10.0.0.5", t0.Add(10*time.Second)) {
		t.Errorf("after 10 s: refused, want one more allowed")
	}
	if l.AllowAt("10.0.0.5", t0.Add(10*time.Second)) {
		t.Errorf("second at 10 s: allowed, want refused")
	}
	// A long rest refills the burst, not more.
	later := t0.Add(time.Hour)
	allowed := 0
	for range 10 {
		if l.AllowAt("10.0.0.5", later) {
			allowed++
		}
	}
	if allowed != 3 {
		t.Errorf("after an hour's rest: %d allowed at once, want the burst of 3", allowed)
	}
}

func TestLimiter_bound(t *testing.T) {
	l := NewLimiter(time.Minute, 1, 3)
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	for _, k := range []string{"a", "b", "c"} {
		l.AllowAt(k, t0)
	}
	l.AllowAt("a", t0) // a is now the most recently used
	l.AllowAt("d", t0) // evicts b, the least recently used
	if got := l.Len(); got != 3 {
		t.Errorf("keys held: got %d, want 3", got)
	}
	if l.AllowAt("a", t0) || l.AllowAt("c", t0) {
		t.Errorf("a or c allowed again at once: they were evicted, want b evicted instead")
	}
	if !l.AllowAt("b", t0) {
		t.Errorf("b refused: want it forgotten (evicted), so a fresh bucket")
	}
	for i := range 1000 {
		l.Allow(fmt.Sprint("flood-", i))
	}
	if got := l.Len(); got != 3 {
		t.Errorf("keys held after a flood of 1000: got %d, want 3", got)
	}
}

func TestLimiter_concurrent(t *testing.T) {
	l := NewLimiter(time.Hour, 5, 10)
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	var mu sync.Mutex
	allowed := 0
	for range 8 {
		wg.Go(func() {
			for range 20 {
				if l.AllowAt("k", t0) {
					mu.Lock()
					allowed++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if allowed != 5 {
		t.Errorf("160 concurrent attempts: %d allowed, want the burst of 5", allowed)
	}
}

func TestNewLimiter_panics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Errorf("NewLimiter(0, 1, 1): no panic, want one")
		}
	}()
	NewLimiter(0, 1, 1)
}
