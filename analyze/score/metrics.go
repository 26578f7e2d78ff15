package score

import (
	"maps"
	"slices"
	"sort"

	"github.com/carve-dev/carve/analyze/graph"

	"github.com/carve-dev/carve/analyze/plan"
)

// ARI is the adjusted Rand index (Hubert and Arabie, 1985) of two partitions given as package →
// group maps, over the packages both name: 1 when they agree exactly, about 0 when they agree as
// much as chance would, negative below chance.
func ARI(a, b map[string]string) float64 {
	la, lb := labelPair(a, b)
	return ariLabels(la, lb)
}

// MoJoFM is the MoJoFM effectiveness (Wen and Tzerpos, 2004) of partition a measured against the
// reference partition b, over the packages both name: 100 when a equals b, 0 when a is as far
// from b as any partition can be.
func MoJoFM(a, b map[string]string) float64 {
	la, lb := labelPair(a, b)
	return mojoFMLabels(la, lb)
}

// labelPair turns two maps into parallel label slices over their common keys, in key order.
func labelPair(a, b map[string]string) ([]int, []int) {
	keys := make([]string, 0, len(a))
	for k := range a {
		if _, ok := b[k]; ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	ia, ib := map[string]int{}, map[string]int{}
	la, lb := make([]int, len(keys)), make([]int, len(keys))
	for i, k := range keys {
		la[i] = intern(ia, a[k])
		lb[i] = intern(ib, b[k])
	}
	return la, lb
}

func intern(m map[string]int, s string) int {
	if i, ok := m[s]; ok {
		return i
	}
	m[s] = len(m)
	return len(m) - 1
}

func choose2(n int) float64 { return float64(n) * float64(n-1) / 2 }

// ariLabels computes the ARI from parallel label slices (labels 0..k-1).
func ariLabels(a, b []int) float64 {
	n := len(a)
	if n < 2 {
		return 1
	}
	cells := map[[2]int]int{}
	ra, rb := map[int]int{}, map[int]int{}
	for i := range a {
		cells[[2]int{a[i], b[i]}]++
		ra[a[i]]++
		rb[b[i]]++
	}
	index := 0.0
	for _, c := range cells {
		index += choose2(c)
	}
	sa, sb := 0.0, 0.0
	for _, c := range ra {
		sa += choose2(c)
	}
	for _, c := range rb {
		sb += choose2(c)
	}
	expected := sa * sb / choose2(n)
	maxIndex := (sa + sb) / 2
	if maxIndex == expected {
		// Both partitions are trivial (one group, or all singletons): they agree exactly or
		// not at all.
		if len(cells) == len(ra) && len(cells) == len(rb) {
			return 1
		}
		return 0
	}
	return (index - expected) / (maxIndex - expected)
}

// mno is the minimum number of Move and Join operations turning partition a into partition b
// (Wen and Tzerpos, "An optimal algorithm for MoJo distance", 2003): each cluster of a is tagged
// with a cluster of b it shares most objects with; objects outside their cluster's tag are moved;
// clusters with the same tag are joined. A maximum bipartite matching between clusters of a and
// the b clusters they may be tagged with maximises the number of distinct tags, hence minimises
// the joins.
func mno(a, b []int) int {
	ka, kb := 0, 0
	for i := range a {
		ka = max(ka, a[i]+1)
		kb = max(kb, b[i]+1)
	}
	counts := make([]map[int]int, ka)
	size := make([]int, ka)
	for i := range counts {
		counts[i] = map[int]int{}
	}
	for i := range a {
		counts[a[i]][b[i]]++
		size[a[i]]++
	}
	moves := 0
	tags := make([][]int, ka)
	used := 0
	for i, cs := range counts {
		if size[i] == 0 {
			continue
		}
		used++
		best := 0
		for _, c := range cs {
			best = max(best, c)
		}
		moves += size[i] - best
		for j, c := range cs {
			if c == best {
				tags[i] = append(tags[i], j)
			}
		}
		sort.Ints(tags[i])
	}
	// Kuhn's augmenting paths.
	matchB := make([]int, kb)
	for j := range matchB {
		matchB[j] = -1
	}
	var augment func(i int, seen []bool) bool
	augment = func(i int, seen []bool) bool {
		for _, j := range tags[i] {
			if seen[j] {
				continue
			}
			seen[j] = true
			if matchB[j] < 0 || augment(matchB[j], seen) {
				matchB[j] = i
				return true
			}
		}
		return false
	}
	groups := 0
	for i := range tags {
		if len(tags[i]) > 0 && augment(i, make([]bool, kb)) {
			groups++
		}
	}
	return moves + used - groups
}

// maxMNO is the largest mno(x, b) over all partitions x of the same objects: n - g, where g is
// the largest number of b's clusters that a partition can tag distinctly (Wen and Tzerpos 2004).
func maxMNO(b []int) int {
	sizes := map[int]int{}
	for _, l := range b {
		sizes[l]++
	}
	ss := make([]int, 0, len(sizes))
	for _, s := range sizes {
		ss = append(ss, s)
	}
	sort.Ints(ss)
	g := 0
	for _, s := range ss {
		if g < s {
			g++
		}
	}
	return len(b) - g
}

// mojoFMLabels computes MoJoFM of a against reference b (parallel label slices), in percent.
func mojoFMLabels(a, b []int) float64 {
	if len(a) == 0 {
		return 100
	}
	d := maxMNO(b)
	if d == 0 {
		return 100
	}
	return 100 * (1 - float64(mno(a, b))/float64(d))
}

// kernelShare is the share of pkgs, and of their lines, that the plan puts in the kernel.
func kernelShare(pkgs []plan.Package) (packages, lines float64) {
	n, kn, l, kl := 0, 0, 0, 0
	for _, p := range pkgs {
		n++
		l += p.Lines
		if p.Kernel {
			kn++
			kl += p.Lines
		}
	}
	if n > 0 {
		packages = graph.Round6(float64(kn) / float64(n))
	}
	if l > 0 {
		lines = graph.Round6(float64(kl) / float64(l))
	}
	return packages, lines
}

// wholeMetrics is modularity Q and ICP over every package, the kernel a group of its own (a
// package in neither a service nor the kernel is a group by itself): coupling into the kernel
// counts as crossing a boundary, so a plan cannot score better by moving coupled packages into
// the kernel, where the service metrics no longer see them. Calls from composition roots
// (Wiring) are left out of ICP as in the service metrics. Edges naming unknown packages are
// skipped (Score rejects them before).
func wholeMetrics(pkgs []plan.Package, edges []plan.PackageEdge) (q, icp float64) {
	group := make(map[string]string, len(pkgs))
	wiring := map[string]bool{}
	for _, p := range pkgs {
		group[p.Path] = planGroup(p)
		wiring[p.Path] = p.Wiring
	}
	in, deg := map[string]float64{}, map[string]float64{}
	m := 0.0
	calls, cross := 0, 0
	for _, e := range edges {
		gi, ok1 := group[e.From]
		gj, ok2 := group[e.To]
		if !ok1 || !ok2 || e.From == e.To {
			continue
		}
		m += e.Weight
		deg[gi] += e.Weight
		deg[gj] += e.Weight
		if gi == gj {
			in[gi] += e.Weight
		}
		if !wiring[e.From] {
			calls += e.Calls
			if gi != gj {
				cross += e.Calls
			}
		}
	}
	if m > 0 {
		for _, g := range slices.Sorted(maps.Keys(deg)) { // a fixed order: the same sum every run
			q += in[g]/m - (deg[g]/(2*m))*(deg[g]/(2*m))
		}
	}
	if calls > 0 {
		icp = float64(cross) / float64(calls)
	}
	return graph.Round6(q), graph.Round6(icp)
}
