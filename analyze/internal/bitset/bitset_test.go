package bitset

import "testing"

func TestSet(t *testing.T) {
	a, b := New(130), New(130)
	for _, i := range []int{0, 63, 64, 129} {
		a.Add(i)
	}
	b.Add(5)
	b.Add(129)
	if !a.Has(63) || !a.Has(64) || a.Has(65) || a.Has(5) {
		t.Fatalf("membership wrong: %v", a)
	}
	if a.Count() != 4 {
		t.Fatalf("count %d, want 4", a.Count())
	}
	a.Or(b)
	if !a.Has(5) || a.Count() != 5 {
		t.Fatalf("after Or: has 5 %v, count %d, want 5", a.Has(5), a.Count())
	}
}
