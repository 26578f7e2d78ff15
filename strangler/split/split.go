// Package split divides a route's traffic among upstreams by integer weights, either at random
// per request or sticky per user key.
//
// The sticky decision is a pure function of (route, key, weights): weighted rendezvous
// hashing. Every side gets a score from hash(route, key, side) scaled by its weight and the
// best score wins. Raising one side's weight only raises that side's scores, so a user can
// only move to the side whose weight rose; lowering a weight only moves users away from that
// side. With two sides this is the same as comparing hash(route, key) against the cumulative
// weights with the growing side's interval extended; unlike cumulative intervals it stays
// monotone with three or more sides, where shifting one interval would move users between
// sides whose weights did not change.
package split

import (
	"math"
	"sort"
)

type side struct {
	name   string
	weight int
	seed   uint64 // hash of the side's name
	invW   float64
}

// Split is an immutable set of weights for one route.
type Split struct {
	route string
	rh    uint64 // FNV-1a state after the route name
	sides []side
	total int
}

// New returns the split of route among weights (names sorted, so equal inputs give equal
// splits). Zero weights are kept so they show in reports but never chosen.
func New(route string, weights map[string]int) *Split {
	s := &Split{route: route, rh: fnvString(fnvOffset, route)}
	names := make([]string, 0, len(weights))
	for n := range weights {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		w := weights[n]
		sd := side{name: n, weight: w, seed: mix(fnvString(fnvOffset, n))}
		if w > 0 {
			sd.invW = 1 / float64(w)
		}
		s.sides = append(s.sides, sd)
		s.total += w
	}
	return s
}

// Len is the number of sides.
func (s *Split) Len() int { return len(s.sides) }

// Name returns side i's upstream name.
func (s *Split) Name(i int) string { return s.sides[i].name }

// Weight returns side i's weight.
func (s *Split) Weight(i int) int { return s.sides[i].weight }

// Weights returns a copy of the weights.
func (s *Split) Weights() map[string]int {
	m := make(map[string]int, len(s.sides))
	for _, sd := range s.sides {
		m[sd.name] = sd.weight
	}
	return m
}

// Equal reports whether two splits have the same weights.
func (s *Split) Equal(o *Split) bool {
	if len(s.sides) != len(o.sides) {
		return false
	}
	for i := range s.sides {
		if s.sides[i].name != o.sides[i].name || s.sides[i].weight != o.sides[i].weight {
			return false
		}
	}
	return true
}

// PickRandom chooses a side for a non-sticky request from a uniformly random r.
func (s *Split) PickRandom(r uint64) int {
	if len(s.sides) == 1 {
		return 0
	}
	x := int(r % uint64(s.total))
	for i, sd := range s.sides {
		if x < sd.weight {
			return i
		}
		x -= sd.weight
	}
	return len(s.sides) - 1
}

// PickKey chooses the side of the user with key: the same answer for the same (route, key,
// weights) on every replica. It allocates nothing.
func (s *Split) PickKey(key string) int {
	if len(s.sides) == 1 {
		return 0
	}
	kh := fnvString(s.rh^0xff, key) // 0xff separates route from key
	best, bestScore := -1, math.Inf(1)
	for i := range s.sides {
		sd := &s.sides[i]
		if sd.weight == 0 {
			continue
		}
		// u uniform in (0,1); -ln(u)/w is an exponential race: P(side wins) = w/total.
		u := (float64(mix(kh^sd.seed)>>11) + 0.5) / (1 << 53)
		if score := -math.Log(u) * sd.invW; score < bestScore {
			best, bestScore = i, score
		}
	}
	return best
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func fnvString(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime
	}
	return h
}

// mix is splitmix64's finaliser: spreads FNV's weak low bits over the whole word.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
