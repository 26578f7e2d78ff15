package split

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

func keys(n int) []string {
	ks := make([]string, n)
	for i := range ks {
		ks[i] = "user-" + strconv.Itoa(i)
	}
	return ks
}

// chiSquare of observed counts against weights; df = sides-1.
func chiSquare(t *testing.T, s *Split, counts []int, n int) float64 {
	t.Helper()
	x := 0.0
	for i, c := range counts {
		exp := float64(n) * float64(s.Weight(i)) / float64(s.total)
		if exp == 0 {
			if c != 0 {
				t.Fatalf("side %s has weight 0 but got %d requests", s.Name(i), c)
			}
			continue
		}
		d := float64(c) - exp
		x += d * d / exp
	}
	return x
}

// 99.9% quantiles of chi-square for df 1..3: a correct split fails 1 time in 1000 per case,
// and the keys are fixed, so the test is deterministic.
var chi999 = []float64{0, 10.83, 13.82, 16.27}

func TestStickyDistribution(t *testing.T) {
	for _, w := range []map[string]int{
		{"orders": 25, "monolith": 75},
		{"orders": 1, "monolith": 99},
		{"a": 50, "b": 30, "c": 20},
		{"a": 10, "b": 0, "c": 90},
	} {
		s := New("orders", w)
		counts := make([]int, s.Len())
		const n = 10000
		for _, k := range keys(n) {
			counts[s.PickKey(k)]++
		}
		if x := chiSquare(t, s, counts, n); x > chi999[s.Len()-1] {
			t.Errorf("weights %v: counts %v, chi-square %.2f above %.2f", w, counts, x, chi999[s.Len()-1])
		}
	}
}

func TestRandomDistribution(t *testing.T) {
	s := New("r", map[string]int{"a": 25, "b": 75})
	rng := rand.New(rand.NewPCG(1, 2))
	counts := make([]int, 2)
	const n = 10000
	for range n {
		counts[s.PickRandom(rng.Uint64())]++
	}
	// ±3σ of a binomial.
	p := 0.25
	sigma := math.Sqrt(n * p * (1 - p))
	if d := math.Abs(float64(counts[0]) - n*p); d > 3*sigma {
		t.Errorf("a got %d of %d, more than 3σ (%.0f) from %.0f", counts[0], n, 3*sigma, n*p)
	}
}

func TestStickyIsPure(t *testing.T) {
	a := New("orders", map[string]int{"orders": 30, "monolith": 70})
	b := New("orders", map[string]int{"monolith": 70, "orders": 30})
	other := New("payments", map[string]int{"orders": 30, "monolith": 70})
	differ := 0
	for _, k := range keys(2000) {
		if a.Name(a.PickKey(k)) != b.Name(b.PickKey(k)) {
			t.Fatalf("key %s: same weights gave different sides", k)
		}
		if a.Name(a.PickKey(k)) != other.Name(other.PickKey(k)) {
			differ++
		}
	}
	// The route is part of the hash: another route splits users independently.
	if differ == 0 {
		t.Error("two routes with the same weights put every user on the same side; the route must be part of the hash")
	}
}

// Raising the new side's weight step by step only ever moves users to it.
func TestStickyMonotone(t *testing.T) {
	for _, others := range [][]string{{"monolith"}, {"monolith", "legacy"}} {
		ks := keys(5000)
		prev := map[string]string{}
		for w := 0; w <= 100; w += 5 {
			weights := map[string]int{"orders": w}
			for _, o := range others {
				weights[o] = (100 - w) / len(others)
			}
			if w == 100 {
				for _, o := range others {
					weights[o] = 0
				}
			}
			s := New("orders", weights)
			onNew := 0
			for _, k := range ks {
				got := s.Name(s.PickKey(k))
				if old, ok := prev[k]; ok && old != got && got != "orders" {
					t.Fatalf("others %v, orders weight %d: key %s moved from %s to %s, not to orders", others, w, k, old, got)
				}
				if old := prev[k]; old == "orders" && got != "orders" {
					t.Fatalf("key %s flipped back from orders to %s at weight %d", k, got, w)
				}
				prev[k] = got
				if got == "orders" {
					onNew++
				}
			}
			if w == 0 && onNew != 0 || w == 100 && onNew != len(ks) {
				t.Fatalf("weight %d: %d of %d keys on orders", w, onNew, len(ks))
			}
		}
	}
}

func TestPickKeyAllocatesNothing(t *testing.T) {
	s := New("orders", map[string]int{"orders": 25, "monolith": 75})
	if n := testing.AllocsPerRun(100, func() { s.PickKey("user-42") }); n != 0 {
		t.Errorf("PickKey allocates %v times per call", n)
	}
}

func BenchmarkPickKey(b *testing.B) {
	s := New("orders", map[string]int{"orders": 25, "monolith": 75})
	b.ReportAllocs()
	for b.Loop() {
		s.PickKey("user-42")
	}
}
