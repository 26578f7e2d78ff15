package score

import (
	"math"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestARIAndMoJoFM(t *testing.T) {
	cases := []struct {
		name        string
		a, b        map[string]string
		ari, mojofm float64
	}{
		{
			name: "identical partitions, other names",
			a:    map[string]string{"p1": "x", "p2": "x", "p3": "y", "p4": "y", "p5": "z"},
			b:    map[string]string{"p1": "orders", "p2": "orders", "p3": "users", "p4": "users", "p5": "cart"},
			ari:  1, mojofm: 100,
		},
		{
			// A = {1,2,3}{4,5}, B = {1,2}{3,4,5}. Contingency rows (2,1)(0,2): index 2, sums of
			// pairs 4 and 4 of 10, expected 1.6, max 4: ARI = 0.4/2.4. MoJo: move 3 (1 move),
			// no join: mno 1; max mno = n − g = 5 − 2 = 3: MoJoFM = 100·(1 − 1/3).
			name: "one object misplaced",
			a:    map[string]string{"1": "a", "2": "a", "3": "a", "4": "b", "5": "b"},
			b:    map[string]string{"1": "A", "2": "A", "3": "B", "4": "B", "5": "B"},
			ari:  0.4 / 2.4, mojofm: 100 * (1 - 1.0/3),
		},
		{
			// A all singletons, B = {1,2,3}{4,5,6}: ARI 0 (index 0 = expected 0). MoJo: 6
			// clusters tagged, 2 groups, 4 joins, 0 moves: mno 4; max = 6 − 2 = 4: MoJoFM 0.
			name: "all singletons against two groups",
			a:    map[string]string{"1": "1", "2": "2", "3": "3", "4": "4", "5": "5", "6": "6"},
			b:    map[string]string{"1": "A", "2": "A", "3": "A", "4": "B", "5": "B", "6": "B"},
			ari:  0, mojofm: 0,
		},
		{
			// A one group, B = {1,2}{3,4}: index 2, a = 6, b = 2, n pairs 6, expected 2,
			// max 4: ARI 0. MoJo: tag B1 (tie, either), move 2 objects: mno 2; max = 4 − 2 = 2:
			// MoJoFM 0.
			name: "one group against two",
			a:    map[string]string{"1": "x", "2": "x", "3": "x", "4": "x"},
			b:    map[string]string{"1": "A", "2": "A", "3": "B", "4": "B"},
			ari:  0, mojofm: 0,
		},
		{
			// A = {1,2}{3,4}{5,6}, B = {1,2,3,4}{5,6}: index 3, a = 3, b = 7, expected 21/15,
			// max 5: ARI = (3 − 1.4)/(5 − 1.4) = 1.6/3.6. MoJo: A1, A2 both tag B1 (one
			// join), A3 tags B2: mno 1; max = 6 − 2 = 4: MoJoFM 75.
			name: "a service split in two",
			a:    map[string]string{"1": "a", "2": "a", "3": "b", "4": "b", "5": "c", "6": "c"},
			b:    map[string]string{"1": "A", "2": "A", "3": "A", "4": "A", "5": "B", "6": "B"},
			ari:  1.6 / 3.6, mojofm: 75,
		},
		{
			// Packages only one side names are ignored.
			name: "only common packages count",
			a:    map[string]string{"1": "a", "2": "a", "3": "b", "extra": "z"},
			b:    map[string]string{"1": "A", "2": "A", "3": "B", "other": "A"},
			ari:  1, mojofm: 100,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := ARI(c.a, c.b); !near(got, c.ari) {
				t.Errorf("ARI = %v, want %v", got, c.ari)
			}
			if got := MoJoFM(c.a, c.b); !near(got, c.mojofm) {
				t.Errorf("MoJoFM = %v, want %v", got, c.mojofm)
			}
		})
	}
}

// TestMNOMatchingBeatsGreedy: a greedy tagger that gives both A1 and A2 the tag B1 (both share
// two objects with it, A1 shares two with B2 as well) needs a join the optimal tagging avoids.
func TestMNOMatchingBeatsGreedy(t *testing.T) {
	// A1 = {1,2,3,4} (B1: 1,2; B2: 3,4), A2 = {5,6} (B1: 5,6). Optimal: A1→B2 (2 moves),
	// A2→B1, no join: mno 2. Tagging A1→B1 would cost 2 moves + 1 join.
	a := []int{0, 0, 0, 0, 1, 1}
	b := []int{0, 0, 1, 1, 0, 0}
	if got := mno(a, b); got != 2 {
		t.Fatalf("mno = %d, want 2", got)
	}
}

func TestMoJoFMSymmetricCases(t *testing.T) {
	// MoJoFM of identical one-object partitions is 100, not a division by zero.
	if got := MoJoFM(map[string]string{"a": "x"}, map[string]string{"a": "y"}); got != 100 {
		t.Fatalf("MoJoFM of one object = %v, want 100", got)
	}
	if got := ARI(map[string]string{"a": "x"}, map[string]string{"a": "y"}); got != 1 {
		t.Fatalf("ARI of one object = %v, want 1", got)
	}
}
