package evidence

import (
	"fmt"
	"maps"
	"slices"

	"github.com/carve-dev/carve/analyze/cluster"
	"github.com/carve-dev/carve/analyze/graph"
)

// Placement is where the evidence path puts every package.
type Placement struct {
	Label  []int // service index per package; -1 kernel, outside for wiring and tools
	Wiring []bool
	Tool   []bool
	root   []bool // the composition roots themselves (evidence.root)
}

// Place turns the evidence into a placement. Packages the structure does not Place join the
// group they are most coupled with; a group carve.yaml keeps together follows its majority, and
// of two packages kept apart but found together the second gets a service of its own. Pins and
// kernel marks are applied afterwards, to either path (applyPins).
func Place(g *graph.Graph, ev *Evidence, cons *cluster.Constraints) (*Placement, []string) {
	n := len(g.Paths)
	pl := &Placement{Label: make([]int, n), Wiring: make([]bool, n), Tool: make([]bool, n), root: ev.root}
	of := slices.Clone(ev.of)
	// Coupling decides what the structure left open, strongest tie first, until nothing moves.
	for changed := true; changed; {
		changed = false
		for i := range n {
			if of[i] != evUnplaced {
				continue
			}
			byGroup := map[int]float64{}
			for j, w := range g.Adj[i] {
				if of[j] != evUnplaced {
					byGroup[of[j]] += w
				}
			}
			best, bestW := evUnplaced, 0.0
			for _, grp := range slices.Sorted(maps.Keys(byGroup)) {
				if byGroup[grp] > bestW {
					best, bestW = grp, byGroup[grp]
				}
			}
			if best != evUnplaced {
				of[i] = best
				ev.Why[i] = ""
				changed = true
			}
		}
	}
	var warnings []string
	next := len(ev.Entries)
	for i := range n {
		if of[i] == evUnplaced {
			of[i] = evKernel // coupled to nothing: a stray library
		}
	}
	for _, grp := range cons.Together {
		votes := map[int]int{}
		for _, i := range grp {
			votes[of[i]]++
		}
		best, bestN := of[grp[0]], 0
		for _, l := range slices.Sorted(maps.Keys(votes)) {
			if votes[l] > bestN {
				best, bestN = l, votes[l]
			}
		}
		for _, i := range grp {
			of[i] = best
		}
	}
	for k, pair := range cons.Apart {
		a, b := pair[0], pair[1]
		if of[a] == of[b] && of[a] >= 0 {
			of[b] = next
			next++
			warnings = append(warnings, fmt.Sprintf("carve.yaml:%d: %s and %s must be apart; %s was given a service of its own", cons.ApartLine[k], g.Paths[a], g.Paths[b], g.Paths[b]))
		}
	}
	// Number the services densely in order of first package.
	renum := map[int]int{}
	for i := range n {
		switch l := of[i]; {
		case l >= 0:
			if _, ok := renum[l]; !ok {
				renum[l] = len(renum)
			}
			pl.Label[i] = renum[l]
		case l == evWiring:
			pl.Label[i], pl.Wiring[i] = graph.Outside, true
		case l == evTool:
			pl.Label[i], pl.Tool[i] = graph.Outside, true
		default:
			pl.Label[i] = -1
		}
	}
	return pl, warnings
}

// ExplainsRoutes reports whether the placement keeps most entry points in services. Routes label
// services: when the structure puts most of the packages that serve routes into the shared
// kernel or the wiring, the "components" it found are not the services (a main that constructs
// every store and handler itself, with a router among its imports), and coupling must decide.
// The roots' own routes (health, debug) do not count.
func (pl *Placement) ExplainsRoutes(g *graph.Graph) bool {
	serving, lost := 0, 0
	for i := range g.Paths {
		if len(g.Routes[i]) == 0 || g.Info[i].Main || pl.root[i] || pl.Tool[i] {
			continue
		}
		serving++
		if pl.Label[i] < 0 {
			lost++
		}
	}
	return float64(lost) <= maxKernelRoutes*float64(serving)
}

// Trusted reports whether the evidence is strong enough to place packages by structure: two or
// more service mains, or components of a root of which at least half own a directory subtree (a
// package below their directory). A root's imports in a flat tree may be handlers, stores and
// routers alike; the subtree is what makes them modules. Only the tree's shape counts, so a
// path-blind copy is Trusted the same.
func (ev *Evidence) Trusted(g *graph.Graph) bool {
	if len(ev.Entries) < 2 {
		return false
	}
	if ev.serviceMains >= 2 {
		return true
	}
	owning := 0
	for _, owns := range ev.ownsTree {
		if owns {
			owning++
		}
	}
	return 2*owning >= len(ev.Entries)
}
