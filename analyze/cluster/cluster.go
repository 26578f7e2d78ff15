package cluster

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"maps"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sort"
	"sync"

	"github.com/carve-dev/carve/analyze/graph"
	"github.com/carve-dev/carve/analyze/internal/unionfind"

	gonumgraph "gonum.org/v1/gonum/graph"
	"gonum.org/v1/gonum/graph/community"
	"gonum.org/v1/gonum/graph/iterator"
	"gonum.org/v1/gonum/graph/simple"
)

// Clustering parameters. They are documented in docs/plan.md ("How services are found").
const (
	// louvainRuns is how many seeds (Seed, Seed+1, ...) Louvain is run with; the run with the
	// highest modularity wins, so one unlucky node order does not decide the plan.
	louvainRuns = 8
	// satelliteShare is the share of its coupling weight that a community without entry points
	// must send to other communities to be merged into its best neighbour: a community
	// more coupled outside than inside is a satellite, not a service.
	satelliteShare = 0.5
	// serviceMainShare is the share of a main package's coupling that must go into one community
	// for the main to be that community's entry point rather than a composition root.
	serviceMainShare = 0.75
)

// clusterer partitions the module's non-kernel packages into services.
//
// It works on super-nodes: packages that carve.yaml keeps together (or pins to one service) are
// contracted into one node, so that no step can separate them. Super-nodes are numbered in a
// canonical order computed from the graph's structure (not from import paths), so that renaming
// packages does not change the partition.
type clusterer struct {
	g       *graph.Graph
	cons    *Constraints
	gamma   float64
	seeds   []uint64
	members [][]int // super-node → packages
	of      []int   // package → super-node, -1 for kernel
	nbr     [][]int // sorted neighbours
	w       []map[int]float64
	self    []float64
	deg     []float64
	m       float64 // total weight: edges counted once plus self weights
	anchor  []bool  // holds a package with routes (or the target of a service main)
	// free marks nodes left out of clustering that join a service afterwards: main packages,
	// composition roots (packages wiring the entry points of many services) and packages tied
	// only to those. None is under a constraint.
	free []bool
	// wiring marks the composition roots among the free nodes: a main package or a router that
	// wires several services. Its calls are wiring, rewritten when a service is extracted, not
	// calls that become network calls.
	wiring      []bool
	constrained []bool
	pin         []string
	conflict    map[[2]int]bool // super-node pairs that must be apart
	warnings    []string
}

// Partition returns the community of each package (-1 for kernel packages), numbered 0..k-1.
// wiring[p] is true for the composition roots (see clusterer.wiring).
func Partition(g *graph.Graph, kernel []bool, cons *Constraints, gamma float64, seed int64, target int) (labels []int, wiring []bool, warnings []string, err error) {
	c := &clusterer{g: g, cons: cons, gamma: gamma, conflict: map[[2]int]bool{}}
	for r := range louvainRuns {
		c.seeds = append(c.seeds, uint64(seed)+uint64(r))
	}
	c.build(kernel)
	if len(c.members) == 0 {
		return c.packageLabels(nil), make([]bool, len(g.Paths)), c.warnings, nil
	}

	// 1. Louvain on everything but the hubs (free nodes): mains, composition roots, shared
	// leaves and packages tied only to them.
	c.markRouteAnchors()
	c.markFree()
	var core []int
	for s := range c.members {
		if !c.free[s] {
			core = append(core, s)
		}
	}
	label := make([]int, len(c.members))
	for i := range label {
		label[i] = -1
	}
	for i, l := range c.louvain(core) {
		label[core[i]] = l
	}
	// 2. A main whose coupling lies in one community is that community's entry point.
	c.markServiceMains(label)
	// 3. Entry points anchor services: give entry-less communities an entry point that sits
	// with another service, give each entry point of a community holding several its own
	// service, let packages follow, and fold what is left without entry point into its
	// neighbours.
	label = c.rehomeAnchors(label)
	label = c.seedAnchors(label)
	label = c.refine(label)
	label = c.rehomeAnchors(label)
	label = c.refine(label)
	label = c.mergeSatellites(label)
	// 4. Adapters join the service whose port they implement.
	label = c.adoptAdapters(label)
	// 5. Hubs join the service they are coupled to most.
	label = c.attachMains(label)
	// 6. Constraints: keep apart what must be apart.
	label = c.enforceApart(label)
	// 7. Target count.
	if target > 0 {
		label = c.reachTarget(label, target)
	}
	label = normalize(label)
	if err := c.check(label); err != nil {
		return nil, nil, nil, err
	}
	wiring = make([]bool, len(g.Paths))
	for p, sn := range c.of {
		wiring[p] = sn >= 0 && c.wiring[sn]
	}
	return c.packageLabels(label), wiring, c.warnings, nil
}

// build contracts constrained packages into super-nodes and orders them canonically.
func (c *clusterer) build(kernel []bool) {
	supers, constrained := c.superNodes(kernel)
	c.index(supers, c.canonicalOrder(supers))
	c.weigh(constrained)
	c.conflicts()
}

// superNodes groups the packages outside the kernel that carve.yaml keeps together (together
// groups, one pin) into super-nodes, in order of their first package, and marks every package
// a constraint names.
func (c *clusterer) superNodes(kernel []bool) (supers [][]int, constrained []bool) {
	n := len(c.g.Paths)
	sets := unionfind.New(n)
	constrained = make([]bool, n)
	for _, grp := range c.cons.Together {
		for _, m := range grp {
			sets.Union(grp[0], m)
			constrained[m] = true
		}
	}
	byPin := map[string]int{}
	for i, s := range c.cons.Pin {
		if s == "" {
			continue
		}
		constrained[i] = true
		if j, ok := byPin[s]; ok {
			sets.Union(j, i)
		} else {
			byPin[s] = i
		}
	}
	for _, p := range c.cons.Apart {
		constrained[p[0]], constrained[p[1]] = true, true
	}
	return sets.Groups(func(i int) bool { return kernel[i] }), constrained
}

// canonicalOrder orders the super-nodes by structure alone — Weisfeiler-Lehman colour refinement
// over their size, routes, tables, lines, mains and pins and their weighted neighbours — so that
// the clustering does not depend on import paths.
func (c *clusterer) canonicalOrder(supers [][]int) []int {
	g, k := c.g, len(supers)
	tmpOf := make([]int, len(g.Paths))
	for i := range tmpOf {
		tmpOf[i] = -1
	}
	for s, ms := range supers {
		for _, p := range ms {
			tmpOf[p] = s
		}
	}
	tmpW := make([]map[int]float64, k)
	for s, ms := range supers {
		tmpW[s] = map[int]float64{}
		for _, p := range ms {
			for q, w := range g.Adj[p] {
				if t := tmpOf[q]; t >= 0 && t != s {
					tmpW[s][t] += w
				}
			}
		}
	}
	color := make([]uint64, k)
	for s, ms := range supers {
		color[s] = c.initialColor(ms)
	}
	for range 4 {
		next := make([]uint64, k)
		for s := range supers {
			next[s] = refineColor(color, s, tmpW[s])
		}
		color = next
	}
	order := make([]int, k)
	for i := range order {
		order[i] = i
	}
	// Ties between structurally identical nodes fall back to the import path: any order would
	// do, and the partition does not depend on it beyond the symmetry itself.
	sort.SliceStable(order, func(a, b int) bool {
		sa, sb := order[a], order[b]
		if color[sa] != color[sb] {
			return color[sa] < color[sb]
		}
		return g.Paths[supers[sa][0]] < g.Paths[supers[sb][0]]
	})
	return order
}

// initialColor hashes what a super-node is made of.
func (c *clusterer) initialColor(ms []int) uint64 {
	g := c.g
	h := fnv.New64a()
	var routes, tables, lines, mains, pinned int
	for _, p := range ms {
		routes += len(g.Routes[p])
		tables += len(g.Tables[p])
		lines += g.Info[p].Lines
		if g.Info[p].Main {
			mains++
		}
		if c.cons.Pin[p] != "" {
			pinned++
		}
	}
	writeInts(h, len(ms), routes, tables, lines, mains, pinned)
	for _, p := range ms {
		h.Write([]byte(c.cons.Pin[p]))
	}
	return h.Sum64()
}

// refineColor hashes super-node s's colour with its neighbours' colours and weights.
func refineColor(color []uint64, s int, nbrs map[int]float64) uint64 {
	type nc struct {
		c uint64
		w int64
	}
	var ns []nc
	for t, w := range nbrs {
		ns = append(ns, nc{color[t], int64(math.Round(w * 1e6))})
	}
	sort.Slice(ns, func(i, j int) bool {
		if ns[i].c != ns[j].c {
			return ns[i].c < ns[j].c
		}
		return ns[i].w < ns[j].w
	})
	h := fnv.New64a()
	writeU64(h, color[s])
	for _, x := range ns {
		writeU64(h, x.c)
		writeU64(h, uint64(x.w))
	}
	return h.Sum64()
}

// index numbers the super-nodes in canonical order: members per super-node, super-node per
// package (-1 for the kernel).
func (c *clusterer) index(supers [][]int, order []int) {
	c.members = make([][]int, len(supers))
	c.of = make([]int, len(c.g.Paths))
	for i := range c.of {
		c.of[i] = -1
	}
	for rank, s := range order {
		c.members[rank] = supers[s]
		for _, p := range supers[s] {
			c.of[p] = rank
		}
	}
}

// weigh sums the coupling between super-nodes (and within each), their degrees and the total,
// and marks each as constrained, free (a lone main) and pinned.
func (c *clusterer) weigh(constrained []bool) {
	g, k := c.g, len(c.members)
	c.w = make([]map[int]float64, k)
	c.self = make([]float64, k)
	c.deg = make([]float64, k)
	c.nbr = make([][]int, k)
	c.anchor = make([]bool, k)
	c.free = make([]bool, k)
	c.wiring = make([]bool, k)
	c.constrained = make([]bool, k)
	c.pin = make([]string, k)
	for s, ms := range c.members {
		c.w[s] = map[int]float64{}
		for _, p := range ms {
			if c.cons.Pin[p] != "" {
				c.pin[s] = c.cons.Pin[p]
			}
			for q, w := range g.Adj[p] {
				t := c.of[q]
				switch {
				case t < 0:
				case t == s:
					if p < q {
						c.self[s] += w
					}
				default:
					c.w[s][t] += w
				}
			}
		}
		if len(ms) > 1 || constrained[ms[0]] {
			c.constrained[s] = true
		} else if g.Info[ms[0]].Main {
			c.free[s] = true
		}
	}
	for s := range k {
		c.nbr[s] = slices.Sorted(maps.Keys(c.w[s]))
		c.deg[s] = 2 * c.self[s]
		for _, t := range c.nbr[s] {
			c.deg[s] += c.w[s][t]
		}
		c.m += c.deg[s] / 2
	}
}

// conflicts records the super-node pairs that must stay apart: carve.yaml's apart pairs and
// nodes pinned to different services.
func (c *clusterer) conflicts() {
	for _, p := range c.cons.Apart {
		a, b := c.of[p[0]], c.of[p[1]]
		c.conflict[[2]int{min(a, b), max(a, b)}] = true
	}
	var pinned []int
	for s := range c.members {
		if c.pin[s] != "" {
			pinned = append(pinned, s)
		}
	}
	for i, a := range pinned {
		for _, b := range pinned[i+1:] {
			if c.pin[a] != c.pin[b] {
				c.conflict[[2]int{min(a, b), max(a, b)}] = true
			}
		}
	}
}

func writeInts(h interface{ Write([]byte) (int, error) }, xs ...int) {
	for _, x := range xs {
		writeU64(h, uint64(x))
	}
}

func writeU64(h interface{ Write([]byte) (int, error) }, x uint64) {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], x)
	h.Write(b[:])
}

// packageLabels maps super-node labels back to packages.
func (c *clusterer) packageLabels(label []int) []int {
	out := make([]int, len(c.g.Paths))
	for p := range out {
		out[p] = -1
		if s := c.of[p]; s >= 0 && label != nil {
			out[p] = label[s]
		}
	}
	return out
}

// louvainGraph is the subgraph Louvain sees, with nodes 0..n-1 and neighbours in ascending
// order, so that a run depends only on the seed.
type louvainGraph struct {
	nbr [][]int64
	w   []map[int64]float64
}

var _ gonumgraph.WeightedUndirected = (*louvainGraph)(nil)

func (l *louvainGraph) valid(id int64) bool { return id >= 0 && id < int64(len(l.nbr)) }

func (l *louvainGraph) Node(id int64) gonumgraph.Node {
	if !l.valid(id) {
		return nil
	}
	return simple.Node(id)
}

func (l *louvainGraph) Nodes() gonumgraph.Nodes {
	ns := make([]gonumgraph.Node, len(l.nbr))
	for i := range ns {
		ns[i] = simple.Node(i)
	}
	return iterator.NewOrderedNodes(ns)
}

func (l *louvainGraph) From(id int64) gonumgraph.Nodes {
	if !l.valid(id) {
		return gonumgraph.Empty
	}
	ns := make([]gonumgraph.Node, len(l.nbr[id]))
	for i, v := range l.nbr[id] {
		ns[i] = simple.Node(v)
	}
	return iterator.NewOrderedNodes(ns)
}

func (l *louvainGraph) HasEdgeBetween(x, y int64) bool {
	if !l.valid(x) || !l.valid(y) {
		return false
	}
	_, ok := l.w[x][y]
	return ok
}

func (l *louvainGraph) Edge(u, v int64) gonumgraph.Edge {
	if e := l.WeightedEdge(u, v); e != nil {
		return e
	}
	return nil
}

func (l *louvainGraph) EdgeBetween(x, y int64) gonumgraph.Edge { return l.Edge(x, y) }

func (l *louvainGraph) WeightedEdge(u, v int64) gonumgraph.WeightedEdge {
	if !l.HasEdgeBetween(u, v) {
		return nil
	}
	return simple.WeightedEdge{F: simple.Node(u), T: simple.Node(v), W: l.w[u][v]}
}

func (l *louvainGraph) WeightedEdgeBetween(x, y int64) gonumgraph.WeightedEdge {
	return l.WeightedEdge(x, y)
}

func (l *louvainGraph) Weight(x, y int64) (float64, bool) {
	if x == y {
		return 0, l.valid(x)
	}
	if !l.valid(x) || !l.valid(y) {
		return 0, false
	}
	w, ok := l.w[x][y]
	return w, ok
}

// louvain partitions the induced subgraph on nodes (super-node ids, ascending) and returns a
// label per node, parallel to nodes. Of louvainRuns seeded runs it keeps the one with the
// highest modularity of the subgraph.
func (c *clusterer) louvain(nodes []int) []int {
	k := len(nodes)
	labels := make([]int, k)
	if k < 2 {
		return labels
	}
	local := make(map[int]int, k)
	for i, s := range nodes {
		local[s] = i
	}
	lg := &louvainGraph{nbr: make([][]int64, k), w: make([]map[int64]float64, k)}
	edges := false
	for i, s := range nodes {
		lg.w[i] = map[int64]float64{}
		for _, t := range c.nbr[s] {
			if j, ok := local[t]; ok && c.w[s][t] > 0 {
				lg.nbr[i] = append(lg.nbr[i], int64(j))
				lg.w[i][int64(j)] = c.w[s][t]
				edges = true
			}
		}
		slices.Sort(lg.nbr[i])
	}
	if !edges {
		for i := range labels {
			labels[i] = i
		}
		return labels
	}
	// The seeds run in parallel (the graph is only read); the best is chosen in seed order, so
	// the result does not depend on which finishes first.
	cands := make([][]int, len(c.seeds))
	qs := make([]float64, len(c.seeds))
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(1, runtime.GOMAXPROCS(0)))
	for i, seed := range c.seeds {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			red := community.Modularize(lg, c.gamma, rand.NewPCG(seed, 0x9e3779b97f4a7c15))
			cand := make([]int, k)
			for ci, comm := range red.Communities() {
				for _, n := range comm {
					cand[n.ID()] = ci
				}
			}
			cands[i] = normalize(cand)
			qs[i] = c.subQ(nodes, cands[i])
		})
	}
	wg.Wait()
	var best []int
	bestQ := math.Inf(-1)
	for i, cand := range cands {
		if qs[i] > bestQ+1e-12 {
			best, bestQ = cand, qs[i]
		}
	}
	return best
}

// subQ is the modularity of the induced subgraph on nodes split by labels (parallel to nodes).
func (c *clusterer) subQ(nodes []int, labels []int) float64 {
	local := make(map[int]int, len(nodes))
	for i, s := range nodes {
		local[s] = i
	}
	in := map[int]float64{}
	tot := map[int]float64{}
	m := 0.0
	for i, s := range nodes {
		in[labels[i]] += c.self[s]
		tot[labels[i]] += 2 * c.self[s]
		m += c.self[s]
		for _, t := range c.nbr[s] {
			j, ok := local[t]
			if !ok {
				continue
			}
			w := c.w[s][t]
			tot[labels[i]] += w
			if s < t {
				m += w
				if labels[i] == labels[j] {
					in[labels[i]] += w
				}
			}
		}
	}
	if m == 0 {
		return 0
	}
	q := 0.0
	for l, t := range tot {
		q += in[l]/m - c.gamma*(t/(2*m))*(t/(2*m))
	}
	return q
}

// normalize renumbers labels 0..k-1 in order of first appearance; negative labels stay.
func normalize(label []int) []int {
	out := make([]int, len(label))
	seen := map[int]int{}
	for i, l := range label {
		if l < 0 {
			out[i] = l
			continue
		}
		if _, ok := seen[l]; !ok {
			seen[l] = len(seen)
		}
		out[i] = seen[l]
	}
	return out
}

// groupsOf returns the members of each label, labels in ascending order of their first member.
func groupsOf(label []int) [][]int {
	idx := map[int]int{}
	var out [][]int
	for s, l := range label {
		if l < 0 {
			continue
		}
		i, ok := idx[l]
		if !ok {
			i = len(out)
			idx[l] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], s)
	}
	return out
}

// markServiceMains makes the main packages whose coupling lies in one community entry points of
// that community: the package the main uses most there becomes an anchor.
func (c *clusterer) markServiceMains(label []int) {
	for s := range c.members {
		if !c.free[s] || !c.g.Info[c.members[s][0]].Main {
			continue
		}
		byComm := map[int]float64{}
		total := 0.0
		for _, t := range c.nbr[s] {
			if label[t] >= 0 {
				byComm[label[t]] += c.w[s][t]
				total += c.w[s][t]
			}
		}
		if total == 0 {
			continue
		}
		best, bestW := -1, 0.0
		for _, l := range slices.Sorted(maps.Keys(byComm)) {
			if byComm[l] > bestW {
				best, bestW = l, byComm[l]
			}
		}
		if bestW < serviceMainShare*total {
			c.wiring[s] = true // a composition root: it wires several services
			continue
		}
		top, topW := -1, 0.0
		for _, t := range c.nbr[s] {
			if label[t] == best && c.w[s][t] > topW {
				top, topW = t, c.w[s][t]
			}
		}
		if top >= 0 {
			c.anchor[top] = true
		}
	}
}

// commStats are the aggregates of a partition needed for modularity gains.
type commStats struct {
	tot     map[int]float64         // sum of degrees per community
	between map[int]map[int]float64 // weight between two communities
	ext     map[int]float64         // weight leaving each community
}

func (c *clusterer) stats(label []int) commStats {
	st := commStats{tot: map[int]float64{}, between: map[int]map[int]float64{}, ext: map[int]float64{}}
	for s, l := range label {
		if l < 0 {
			continue
		}
		st.tot[l] += c.deg[s]
		for _, t := range c.nbr[s] {
			lt := label[t]
			if lt < 0 || lt == l {
				continue
			}
			w := c.w[s][t]
			st.ext[l] += w
			if st.between[l] == nil {
				st.between[l] = map[int]float64{}
			}
			st.between[l][lt] += w
		}
	}
	return st
}

// mergeGain is the change of modularity when communities a and b are merged.
func (c *clusterer) mergeGain(st commStats, a, b int) float64 {
	if c.m == 0 {
		return 0
	}
	return st.between[a][b]/c.m - c.gamma*st.tot[a]*st.tot[b]/(2*c.m*c.m)
}

// canMerge reports whether communities a and b may become one: no pair across them must be
// apart, and they are not pinned to two different services.
func (c *clusterer) canMerge(label []int, a, b int) bool {
	for pair := range c.conflict {
		la, lb := label[pair[0]], label[pair[1]]
		if (la == a && lb == b) || (la == b && lb == a) {
			return false
		}
	}
	return true
}

func (c *clusterer) canJoin(label []int, s, dest int) bool {
	for pair := range c.conflict {
		var other int
		switch s {
		case pair[0]:
			other = pair[1]
		case pair[1]:
			other = pair[0]
		default:
			continue
		}
		if label[other] == dest {
			return false
		}
	}
	return true
}

// mergeSatellites folds each community that has no entry point and sends at least
// satelliteShare of its coupling outside into the neighbour with the best modularity gain.
// Nothing is folded when the module has no entry points at all.
func (c *clusterer) mergeSatellites(label []int) []int {
	if !slices.Contains(c.anchor, true) {
		return label
	}
	for changed := true; changed; {
		changed = false
		st := c.stats(label)
		for _, grp := range groupsOf(label) {
			l := label[grp[0]]
			anchored := false
			for _, s := range grp {
				anchored = anchored || c.anchor[s] || c.pin[s] != ""
			}
			if anchored || st.tot[l] == 0 || st.ext[l] < satelliteShare*st.tot[l] {
				continue
			}
			dest, gain := -1, math.Inf(-1)
			for _, o := range slices.Sorted(maps.Keys(st.between[l])) {
				if g := c.mergeGain(st, l, o); g > gain && c.canMerge(label, l, o) {
					dest, gain = o, g
				}
			}
			if dest < 0 {
				continue
			}
			for _, s := range grp {
				label[s] = dest
			}
			changed = true
			break
		}
	}
	return label
}

// adoptAdapters moves each adapter to the service whose port it implements. An adapter is a
// package (not an entry point, not pinned) that implements an interface declared in another
// community X (more implements couplings than into its own community), that is wired by X or by
// a main package (something uses it, and every user that is not a main package is in X), and
// that is not the only user of any package of its current community (else it is that
// community's core, not its adapter).
func (c *clusterer) adoptAdapters(label []int) []int {
	users, wired := c.usersOf()
	for s := range c.members {
		if c.anchor[s] || c.pin[s] != "" || c.free[s] || label[s] < 0 || !wired[s] {
			continue
		}
		dest := c.portOwner(label, s)
		if dest < 0 || !c.adoptable(label, users, s, dest) {
			continue
		}
		if c.canJoin(label, s, dest) {
			label[s] = dest
		}
	}
	return label
}

// usersOf returns, for each super-node s, the super-nodes using it (main packages excluded), and
// whether anything uses it at all (main packages included).
func (c *clusterer) usersOf() (users []map[int]bool, wired []bool) {
	g := c.g
	users = make([]map[int]bool, len(c.members))
	wired = make([]bool, len(c.members))
	for s, ms := range c.members {
		users[s] = map[int]bool{}
		for _, p := range ms {
			for _, q := range g.Uses[p] {
				if t := c.of[q]; t != s && !slices.Contains(ms, q) {
					wired[s] = true
				}
				if t := c.of[q]; t >= 0 && t != s && !g.Info[q].Main {
					users[s][t] = true
				}
			}
		}
	}
	return users, wired
}

// portOwner returns the community whose interfaces s implements more than its own community's,
// the most implemented first (lowest label on a tie), or -1.
func (c *clusterer) portOwner(label []int, s int) int {
	impl := map[int]int{}
	for _, p := range c.members[s] {
		for q, n := range c.g.Impl[p] {
			if t := c.of[q]; t >= 0 && t != s && label[t] >= 0 {
				impl[label[t]] += n
			}
		}
	}
	own := label[s]
	dest, destN := -1, impl[own]
	for _, l := range slices.Sorted(maps.Keys(impl)) {
		if l != own && impl[l] > destN {
			dest, destN = l, impl[l]
		}
	}
	return dest
}

// adoptable reports whether s may move to dest: every user of s is in dest, and s is not the
// only user of a package of its own community (the core of it, not an adapter).
func (c *clusterer) adoptable(label []int, users []map[int]bool, s, dest int) bool {
	for u := range users[s] {
		if label[u] != dest {
			return false
		}
	}
	for t := range c.members {
		if t != s && label[t] == label[s] && len(users[t]) == 1 && users[t][s] {
			return false
		}
	}
	return true
}

// attachMains puts each free node (main packages, composition roots, packages tied only to
// them) into the community it is coupled to most, those tied to clustered packages first, then
// those tied only to other free nodes; a node coupled to nothing is a service of its own.
func (c *clusterer) attachMains(label []int) []int {
	next := slices.Max(label) + 1
	for {
		changed := false
		for s := range c.members {
			if !c.free[s] || label[s] >= 0 {
				continue
			}
			byComm := map[int]float64{}
			for _, t := range c.nbr[s] {
				if l := label[t]; l >= 0 {
					byComm[l] += c.w[s][t]
				}
			}
			best, bestW := -1, 0.0
			for _, l := range slices.Sorted(maps.Keys(byComm)) {
				if byComm[l] > bestW {
					best, bestW = l, byComm[l]
				}
			}
			if best >= 0 {
				label[s] = best
				changed = true
			}
		}
		if !changed {
			break
		}
	}
	for s := range c.members {
		if c.free[s] && label[s] < 0 {
			label[s] = next
			next++
		}
	}
	return label
}

// markFree leaves composition roots out of clustering, and the packages tied only to free
// nodes: three steps, each seeing what the one before freed.
func (c *clusterer) markFree() {
	c.freeCompositionRoots()
	c.freeSharedLeaves()
	c.freeUntied()
}

// freeCompositionRoots frees the composition roots. A composition root is a package that uses
// the entry points of at least half the services (and at least three): the router that
// registers every handler. Like a main package it is a hub by construction and would glue
// services together; the routes it serves itself (a health check) do not make it a service's
// entry point.
func (c *clusterer) freeCompositionRoots() {
	g := c.g
	// wired[s] lists the entry points s uses by something else than implementing their
	// interfaces (a handler implementing the router's interface does not wire the router).
	wired := make([][]int, len(c.members))
	for s, ms := range c.members {
		if c.free[s] || c.constrained[s] {
			continue
		}
		for t := range c.members {
			if t != s && c.anchor[t] && g.Wires(ms[0], c.members[t]) {
				wired[s] = append(wired[s], t)
			}
		}
	}
	order := make([]int, len(c.members))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return len(wired[order[a]]) > len(wired[order[b]]) })
	for _, s := range order {
		if len(wired[s]) < 3 {
			break
		}
		anchors, used := 0, 0
		for t := range c.members {
			if t != s && c.anchor[t] {
				anchors++
			}
		}
		for _, t := range wired[s] {
			if c.anchor[t] {
				used++
			}
		}
		if used >= max(3, (anchors+1)/2) {
			c.free[s] = true
			c.wiring[s] = true
			c.anchor[s] = false
		}
	}
}

// freeSharedLeaves frees shared leaves: a package that uses no other clustered package and is
// used by at least three, two of them entry points of services (a logging helper the kernel rule
// missed, a package of message types), says little about which of its users belong together,
// but as a hub it would glue them; it joins its strongest user's service afterwards.
func (c *clusterer) freeSharedLeaves() {
	g := c.g
	for s, ms := range c.members {
		if c.free[s] || c.anchor[s] || c.constrained[s] || len(g.Tables[ms[0]]) > 0 {
			continue
		}
		users, entries, leaf := 0, 0, true
		for _, t := range c.nbr[s] {
			if g.Wires(ms[0], c.members[t]) {
				leaf = false
				break
			}
			if g.Wires(c.members[t][0], ms) {
				users++
				if c.anchor[t] {
					entries++
				}
			}
		}
		if leaf && users >= 3 && entries >= 2 {
			c.free[s] = true
		}
	}
}

// freeUntied frees the packages coupled only to free nodes.
func (c *clusterer) freeUntied() {
	for s := range c.members {
		if c.free[s] || c.anchor[s] || c.constrained[s] {
			continue
		}
		tied := false
		for _, t := range c.nbr[s] {
			if !c.free[t] && c.w[s][t] > 0 {
				tied = true
				break
			}
		}
		if !tied && len(c.nbr[s]) > 0 {
			c.free[s] = true
		}
	}
}

// enforceApart splits every community that holds a pair that must be apart: the constrained
// nodes are spread over as few groups as a greedy colouring finds, and the others follow the
// group they are most coupled to.
func (c *clusterer) enforceApart(label []int) []int {
	next := slices.Max(label) + 1
	for _, grp := range groupsOf(label) {
		in := map[int]bool{}
		for _, s := range grp {
			in[s] = true
		}
		bad := map[int]bool{}
		for pair := range c.conflict {
			if in[pair[0]] && in[pair[1]] && label[pair[0]] == label[pair[1]] {
				bad[pair[0]], bad[pair[1]] = true, true
			}
		}
		if len(bad) == 0 {
			continue
		}
		group := map[int]int{}
		var sets [][]int
		for _, s := range grp {
			if !bad[s] {
				continue
			}
			placed := false
			for gi, set := range sets {
				clash := false
				for _, t := range set {
					if c.conflict[[2]int{min(s, t), max(s, t)}] {
						clash = true
						break
					}
				}
				if !clash {
					sets[gi] = append(sets[gi], s)
					group[s] = gi
					placed = true
					break
				}
			}
			if !placed {
				group[s] = len(sets)
				sets = append(sets, []int{s})
			}
		}
		c.growGroups(grp, group, in, len(sets), true)
		base := label[grp[0]]
		ids := make([]int, len(sets))
		for gi := range ids {
			if gi == 0 {
				ids[gi] = base
			} else {
				ids[gi] = next
				next++
			}
		}
		for _, s := range grp {
			label[s] = ids[group[s]]
		}
	}
	return label
}

// reachTarget merges (or splits) communities until there are target of them, greedily by the
// best modularity gain, never breaking a constraint.
func (c *clusterer) reachTarget(label []int, target int) []int {
	count := func() int { return len(groupsOf(label)) }
	for count() > target {
		st := c.stats(label)
		grps := groupsOf(label)
		ba, bb, gain := -1, -1, math.Inf(-1)
		for i, ga := range grps {
			for _, gb := range grps[i+1:] {
				a, b := label[ga[0]], label[gb[0]]
				if g := c.mergeGain(st, a, b); g > gain && c.canMerge(label, a, b) {
					ba, bb, gain = a, b, g
				}
			}
		}
		if ba < 0 {
			c.warnings = append(c.warnings, fmt.Sprintf("asked for %d services but constraints (apart, pinned services) keep %d apart", target, count()))
			break
		}
		for s := range label {
			if label[s] == bb {
				label[s] = ba
			}
		}
	}
	for count() < target {
		q0 := c.modularity(label)
		var best []int
		bestGain := math.Inf(-1)
		next := slices.Max(label) + 1
		for _, grp := range groupsOf(label) {
			if len(grp) < 2 {
				continue
			}
			parts := c.bisect(grp)
			cand := slices.Clone(label)
			for i, s := range grp {
				if parts[i] == 1 {
					cand[s] = next
				}
			}
			if g := c.modularity(cand) - q0; g > bestGain {
				best, bestGain = cand, g
			}
		}
		if best == nil {
			c.warnings = append(c.warnings, fmt.Sprintf("asked for %d services but the module has only %d groups of packages that can be told apart", target, count()))
			break
		}
		label = best
	}
	return label
}

// bisect splits a community in two: Louvain on its subgraph, merged back greedily to two parts;
// when Louvain sees one part, the node least tied to the rest goes alone.
func (c *clusterer) bisect(grp []int) []int {
	sub := c.louvain(grp)
	for {
		parts := map[int]bool{}
		for _, l := range sub {
			parts[l] = true
		}
		if len(parts) <= 2 {
			break
		}
		// Merge the two parts whose merge loses the least subgraph modularity.
		keys := slices.Sorted(maps.Keys(parts))
		ba, bb, bq := -1, -1, math.Inf(-1)
		for i, a := range keys {
			for _, b := range keys[i+1:] {
				cand := slices.Clone(sub)
				for j := range cand {
					if cand[j] == b {
						cand[j] = a
					}
				}
				if q := c.subQ(grp, cand); q > bq {
					ba, bb, bq = a, b, q
				}
			}
		}
		for j := range sub {
			if sub[j] == bb {
				sub[j] = ba
			}
		}
	}
	sub = normalize(sub)
	if slices.Max(sub) == 1 {
		return sub
	}
	// One part: cut off the node with the smallest share of its weight inside the group.
	in := map[int]bool{}
	for _, s := range grp {
		in[s] = true
	}
	cut, cutShare := 0, math.Inf(1)
	for i, s := range grp {
		inside := 0.0
		for _, t := range c.nbr[s] {
			if in[t] {
				inside += c.w[s][t]
			}
		}
		share := 0.0
		if c.deg[s] > 0 {
			share = inside / c.deg[s]
		}
		if share < cutShare {
			cut, cutShare = i, share
		}
	}
	out := make([]int, len(grp))
	out[cut] = 1
	return out
}

// modularity is Q of the whole super-node graph under label.
func (c *clusterer) modularity(label []int) float64 {
	if c.m == 0 {
		return 0
	}
	in := map[int]float64{}
	tot := map[int]float64{}
	for s, l := range label {
		in[l] += c.self[s]
		tot[l] += c.deg[s]
		for _, t := range c.nbr[s] {
			if s < t && label[t] == l {
				in[l] += c.w[s][t]
			}
		}
	}
	q := 0.0
	for l, t := range tot {
		q += in[l]/c.m - c.gamma*(t/(2*c.m))*(t/(2*c.m))
	}
	return q
}

// check verifies every constraint on the final partition. A failure is a bug in the clustering,
// reported rather than hidden.
func (c *clusterer) check(label []int) error {
	for pair := range c.conflict {
		if label[pair[0]] == label[pair[1]] {
			return fmt.Errorf("internal error: packages %s and %s must be apart but were put together; please report this", c.g.Paths[c.members[pair[0]][0]], c.g.Paths[c.members[pair[1]][0]])
		}
	}
	byPin := map[string]int{}
	for s, p := range c.pin {
		if p == "" {
			continue
		}
		if l, ok := byPin[p]; ok && l != label[s] {
			return fmt.Errorf("internal error: service %q was split; please report this", p)
		}
		byPin[p] = label[s]
	}
	return nil
}

// rehomeAnchors gives entry points to communities that have none. Louvain sometimes leaves a
// service's entry point (a package that uses its service but that its service does not use: the
// HTTP handler) with another service, or alone, and the rest of the service as a community
// without entry point. An entry point of a community holding several, or alone in its
// community, moves to an entry-less community it is tied to, when its ties there are at least
// half its ties to the rest of its own community; the most tied such move is made first.
func (c *clusterer) rehomeAnchors(label []int) []int {
	for moved := true; moved; {
		moved = false
		anchors := map[int][]int{}
		for s, l := range label {
			if l >= 0 && c.anchor[s] && !c.free[s] {
				anchors[l] = append(anchors[l], s)
			}
		}
		bestA, bestC, bestW := -1, -1, 0.0
		for _, grp := range groupsOf(label) {
			l := label[grp[0]]
			if len(anchors[l]) > 0 || c.free[grp[0]] || slices.ContainsFunc(grp, func(s int) bool { return c.pin[s] != "" }) {
				continue
			}
			for _, d := range slices.Sorted(maps.Keys(anchors)) {
				// An entry point may leave a community holding another, or one it holds alone
				// (a handler without its body).
				if len(anchors[d]) < 2 && !c.alone(label, anchors[d][0]) {
					continue
				}
				for _, a := range anchors[d] {
					if c.pin[a] != "" {
						continue
					}
					toC, toD := 0.0, 0.0
					for _, t := range c.nbr[a] {
						switch label[t] {
						case l:
							toC += c.w[a][t]
						case d:
							toD += c.w[a][t]
						}
					}
					if toC > 0 && toC >= 0.5*toD && toC > bestW && c.canJoin(label, a, l) {
						bestA, bestC, bestW = a, l, toC
					}
				}
			}
		}
		if bestA >= 0 {
			label[bestA] = bestC
			moved = true
		}
	}
	return label
}

// alone reports whether s is the only clustered node of its community.
func (c *clusterer) alone(label []int, s int) bool {
	for t, l := range label {
		if t != s && l == label[s] && !c.free[t] {
			return false
		}
	}
	return true
}

// refine is Louvain's local moving phase on the current partition with entry points fixed: each
// other node moves to the neighbouring community with the best modularity gain, if positive,
// until nothing moves. It lets the packages of a re-homed or split service follow their entry
// point, and it never breaks a constraint.
func (c *clusterer) refine(label []int) []int {
	if c.m == 0 {
		return label
	}
	tot := map[int]float64{}
	for s, l := range label {
		if l >= 0 && !c.free[s] {
			tot[l] += c.deg[s]
		}
	}
	size := map[int]int{}
	for s, l := range label {
		if l >= 0 && !c.free[s] {
			size[l]++
		}
	}
	for sweep := 0; sweep < 50; sweep++ {
		moved := false
		for s := range c.members {
			l := label[s]
			if l < 0 || c.free[s] || c.anchor[s] || size[l] == 1 {
				continue
			}
			toward := map[int]float64{}
			for _, t := range c.nbr[s] {
				if lt := label[t]; lt >= 0 && !c.free[t] {
					toward[lt] += c.w[s][t]
				}
			}
			k := c.deg[s]
			// Gain of joining community x from isolation: w(s,x)/m - γ k tot_x / (2m²).
			gain := func(x int, totX float64) float64 {
				return toward[x]/c.m - c.gamma*k*totX/(2*c.m*c.m)
			}
			stay := gain(l, tot[l]-k)
			best, bestG := l, stay
			for _, x := range slices.Sorted(maps.Keys(toward)) {
				if x == l {
					continue
				}
				if g := gain(x, tot[x]); g > bestG+1e-12 && c.canJoin(label, s, x) {
					best, bestG = x, g
				}
			}
			if best != l {
				tot[l] -= k
				tot[best] += k
				size[l]--
				size[best]++
				label[s] = best
				moved = true
			}
		}
		if !moved {
			break
		}
	}
	return label
}

// markRouteAnchors marks the super-nodes holding a package with routes as entry points.
func (c *clusterer) markRouteAnchors() {
	for s, ms := range c.members {
		for _, p := range ms {
			if len(c.g.Routes[p]) > 0 && !c.free[s] {
				c.anchor[s] = true
			}
		}
	}
}

// seedAnchors gives every entry point of a community holding several its own community, and
// shares the other packages of the community among them: repeatedly, the package most tied to
// one of the entry points' groups joins it.
func (c *clusterer) seedAnchors(label []int) []int {
	next := slices.Max(label) + 1
	for _, grp := range groupsOf(label) {
		var anchors []int
		for _, s := range grp {
			if c.anchor[s] {
				anchors = append(anchors, s)
			}
		}
		if len(anchors) < 2 {
			continue
		}
		in := map[int]bool{}
		for _, s := range grp {
			in[s] = true
		}
		group := map[int]int{}
		ids := make([]int, len(anchors))
		for i, a := range anchors {
			group[a] = i
			ids[i] = label[a]
			if i > 0 {
				ids[i] = next
				next++
			}
		}
		c.growGroups(grp, group, in, len(anchors), false)
		for _, s := range grp {
			if gi, ok := group[s]; ok {
				label[s] = ids[gi]
			}
		}
	}
	return label
}

// growGroups assigns the members of grp not yet in a group, one at a time, to the group they are
// most strongly tied to (through neighbours in the community, in[t]), strongest tie first, so
// that groups grow outward from their seeds. With all, members with no tie to any group still
// join one (group 0 first); without it they are left out.
func (c *clusterer) growGroups(grp []int, group map[int]int, in map[int]bool, groups int, all bool) {
	minW := 0.0
	if all {
		minW = -1
	}
	for {
		best, bestG, bestW := -1, 0, minW
		for _, s := range grp {
			if _, ok := group[s]; ok {
				continue
			}
			toward := make([]float64, groups)
			for _, t := range c.nbr[s] {
				if gi, ok := group[t]; ok && in[t] {
					toward[gi] += c.w[s][t]
				}
			}
			for gi, w := range toward {
				if w > bestW {
					best, bestG, bestW = s, gi, w
				}
			}
		}
		if best < 0 {
			return
		}
		group[best] = bestG
	}
}
