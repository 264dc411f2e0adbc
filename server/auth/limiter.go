package auth

import (
	"container/list"
	"fmt"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limiter is a set of token buckets by key (a client address, a user name):
// each key may act burst times at once, then once per every. It holds at
// most max keys, forgetting the least recently used beyond that, so a flood
// of distinct keys costs bounded memory. A forgotten key starts again with
// a full bucket, which is what a bucket left alone for burst×every holds
// anyway. It is safe for concurrent use.
type Limiter struct {
	every time.Duration
	burst int
	max   int

	mu sync.Mutex // guards lru and keys
	// lru holds *bucket values, most recently used at the front.
	lru  *list.List
	keys map[string]*list.Element
}

type bucket struct {
	key string
	lim *rate.Limiter
}

// NewLimiter returns a limiter allowing each key burst events at once and
// one per every after, for at most max keys. It panics if every, burst or
// max is not positive: limits are wired in, not read from users.
func NewLimiter(every time.Duration, burst int, max int) *Limiter {
	if every <= 0 || burst <= 0 || max <= 0 {
		panic(fmt.Sprintf("auth.NewLimiter(%v, %d, %d): every, burst and max must be positive", every, burst, max))
	}
	return &Limiter{every: every, burst: burst, max: max, lru: list.New(), keys: map[string]*list.Element{}}
}

// Allow reports whether key may act now, and if so spends one token.
func (l *Limiter) Allow(key string) bool { return l.AllowAt(key, time.Now()) }

// AllowAt is Allow at time t, for callers (and tests) with their own clock.
// A t earlier than a key's last refill refills nothing.
func (l *Limiter) AllowAt(key string, t time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	el, ok := l.keys[key]
	if ok {
		l.lru.MoveToFront(el)
	} else {
		if l.lru.Len() >= l.max {
			oldest := l.lru.Back()
			l.lru.Remove(oldest)
			delete(l.keys, oldest.Value.(*bucket).key)
		}
		b := &bucket{key: key, lim: rate.NewLimiter(rate.Every(l.every), l.burst)}
		el = l.lru.PushFront(b)
		l.keys[key] = el
	}
	return el.Value.(*bucket).lim.AllowN(t, 1)
}

// Len is the number of keys held.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lru.Len()
}
