package playlists

import "time"

// grid is the resolution of the fitting: a phase's tracks are chosen so
// that their total length is closest to the window on this grid. 100 ms is
// far below what a listener notices at a phase boundary, and it keeps the
// subset-sum table of a two-hour phase to 72,000 bits per track.
const grid = 100 * time.Millisecond

// pick is one candidate of the subset-sum: a track's contribution to the
// phase's length (its duration less the crossfade it shares with the next
// track), and whether it must be kept.
type pick struct {
	w    int64 // contribution, in grid units (≥ 1)
	must bool
}

// choose solves the ordered subset-sum of a phase exactly: it keeps every
// must-play candidate and the optional ones whose contributions bring the
// total closest to target (grid units). empty, when not nil, allows choosing
// nothing and gives where that choice ends on the same axis (it is not a
// zero sum: with no track chosen there is no crossfade to share); when nil,
// at least one candidate is kept.
//
// Ties are broken deterministically: a total short of the target beats one
// as far past it (nothing is cut), and among choices with the same total
// the earlier curated tracks are kept (the lexicographically first set).
func choose(cands []pick, target int64, empty *int64) []bool {
	keep := make([]bool, len(cands))
	var must, maxW int64
	var opt []int
	for i, c := range cands {
		if c.must {
			keep[i] = true
			must += c.w
			continue
		}
		opt = append(opt, i)
		maxW = max(maxW, c.w)
	}
	if len(cands) == 0 {
		return keep
	}
	r := target - must // what the optional tracks should add
	// A total beyond r+maxW is never best: dropping any one of its tracks
	// comes closer. So sums above that need no bits.
	size := max(r, 0) + maxW + 1
	words := int((size + 63) / 64)
	n := len(opt)
	// suf[i] is the set of sums reachable with opt[i:], so the forward walk
	// below can ask "can the rest still make this?" at each track.
	suf := make([]uint64, (n+1)*words)
	suf[n*words] = 1
	for i := n - 1; i >= 0; i-- {
		dst, src := suf[i*words:(i+1)*words], suf[(i+1)*words:(i+2)*words]
		copy(dst, src)
		orShifted(dst, src, cands[opt[i]].w)
	}
	reach := suf[:words]
	// allowed reports whether sum s (of optional tracks) may be chosen.
	allowed := func(s int64) bool {
		if s < 0 || s >= size || !hasBit(reach, s) {
			return false
		}
		return s > 0 || must > 0 || empty != nil
	}
	// cost of choosing optional sum s: distance of the end from the target.
	cost := func(s int64) int64 {
		if s == 0 && must == 0 {
			return abs(*empty - target)
		}
		return abs(s - r)
	}
	best, bestCost := int64(-1), int64(0)
	better := func(s int64) {
		if !allowed(s) {
			return
		}
		c := cost(s)
		if best < 0 || c < bestCost || (c == bestCost && s < best) {
			best, bestCost = s, c
		}
	}
	// Scan outwards from r; the first hit on each side is the closest on
	// that side. The empty choice is scored on its own end.
	better(0)
	for d := int64(0); d <= size+abs(r); d++ {
		lo, hi := r-d, r+d
		if lo >= 0 && lo < size && hasBit(reach, lo) && lo != 0 {
			better(lo)
		}
		if hi >= 0 && hi < size && hasBit(reach, hi) && hi != 0 {
			better(hi)
		}
		if best >= 0 && d > bestCost {
			break
		}
	}
	if best < 0 {
		return keep // only the empty choice, and it is not allowed: keep the musts
	}
	rem := best
	for k, i := range opt {
		w := cands[i].w
		if rem >= w && hasBit(suf[(k+1)*words:(k+2)*words], rem-w) {
			keep[i] = true
			rem -= w
		}
	}
	return keep
}

// orShifted sets dst |= src << k (bit i of src lands on bit i+k), dropping
// bits past the end.
func orShifted(dst, src []uint64, k int64) {
	ws, bs := int(k/64), uint(k%64)
	for j := len(dst) - 1; j >= ws; j-- {
		v := src[j-ws] << bs
		if bs > 0 && j-ws-1 >= 0 {
			v |= src[j-ws-1] >> (64 - bs)
		}
		dst[j] |= v
	}
}

func hasBit(set []uint64, i int64) bool { return set[i/64]&(1<<uint(i%64)) != 0 }

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// units converts d to grid units, rounded to the nearest.
func units(d time.Duration) int64 {
	if d < 0 {
		return -int64((-d + grid/2) / grid)
	}
	return int64((d + grid/2) / grid)
}
