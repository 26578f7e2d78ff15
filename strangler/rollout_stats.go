package strangler

import (
	"math"
	"sync/atomic"
	"time"
)

// sideStats are one upstream's outcomes on one route, kept for rollout gates while a rollout
// is configured: requests, errors (5xx, which includes the proxy's 502/504 for failed or reset
// connections) and a latency histogram, all atomic counters read as differences over a hold.
type sideStats struct {
	requests atomic.Int64
	errors   atomic.Int64
	buckets  [latencyBuckets]atomic.Int64
}

// Latency buckets grow by 25% from 50µs: bucket i holds durations up to 50µs·1.25^i, the
// last everything longer (1.25^63·50µs is about 65 s). A p99 read from them is within 25%.
const (
	latencyBuckets = 64
	latencyBase    = 50 * time.Microsecond
	latencyGrowth  = 1.25
)

var logGrowth = math.Log(latencyGrowth)

func (s *sideStats) record(status int, d time.Duration) {
	s.requests.Add(1)
	if status >= 500 {
		s.errors.Add(1)
	}
	s.buckets[latencyBucket(d)].Add(1)
}

func latencyBucket(d time.Duration) int {
	if d <= latencyBase {
		return 0
	}
	i := int(math.Ceil(math.Log(float64(d)/float64(latencyBase)) / logGrowth))
	return min(i, latencyBuckets-1)
}

func bucketBound(i int) time.Duration {
	return time.Duration(float64(latencyBase) * math.Pow(latencyGrowth, float64(i)))
}

// statsSnapshot is sideStats read at one moment.
type statsSnapshot struct {
	requests, errors int64
	buckets          [latencyBuckets]int64
}

func (s *sideStats) snapshot() statsSnapshot {
	var out statsSnapshot
	if s == nil {
		return out
	}
	out.requests, out.errors = s.requests.Load(), s.errors.Load()
	for i := range s.buckets {
		out.buckets[i] = s.buckets[i].Load()
	}
	return out
}

// since is the window between an earlier snapshot and s.
func (s statsSnapshot) since(old statsSnapshot) statsSnapshot {
	out := statsSnapshot{requests: s.requests - old.requests, errors: s.errors - old.errors}
	for i := range s.buckets {
		out.buckets[i] = s.buckets[i] - old.buckets[i]
	}
	return out
}

func (s statsSnapshot) errorRate() float64 {
	if s.requests == 0 {
		return 0
	}
	return float64(s.errors) / float64(s.requests)
}

// p99 is the upper bound of the bucket holding the 99th percentile (0 without requests).
func (s statsSnapshot) p99() time.Duration {
	var n int64
	for _, c := range s.buckets {
		n += c
	}
	if n == 0 {
		return 0
	}
	rank := int64(math.Ceil(float64(n) * 0.99))
	var seen int64
	for i, c := range s.buckets {
		if seen += c; seen >= rank {
			return bucketBound(i)
		}
	}
	return bucketBound(latencyBuckets - 1)
}

// sideStats returns the stats of route's upstream, creating them on first use; they outlive
// reloads and weight changes (a split state is rebuilt for each).
func (p *Proxy) sideStats(route, upstream string) *sideStats {
	p.diffsMu.Lock()
	defer p.diffsMu.Unlock()
	k := [2]string{route, upstream}
	if s, ok := p.stats[k]; ok {
		return s
	}
	s := &sideStats{}
	p.stats[k] = s
	return s
}
