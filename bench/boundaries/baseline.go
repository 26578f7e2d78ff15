package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"

	"github.com/carve-dev/carve/analyze/score"

	"gonum.org/v1/gonum/graph/community"
	"gonum.org/v1/gonum/graph/simple"

	"github.com/carve-dev/carve/analyze/plan"
	"github.com/carve-dev/carve/internal/pathblind"
)

// importGraph is the non-test import graph of a module's own packages: packages sorted by
// path, each edge once (i < j), undirected and unweighted.
type importGraph struct {
	paths []string
	edges [][2]int
}

// loadImportGraph lists the packages of the module at dir and their non-test imports.
func loadImportGraph(ctx context.Context, dir string) (*importGraph, error) {
	pkgs, err := pathblind.GoList(ctx, dir, false)
	if err != nil {
		return nil, err
	}
	return newImportGraph(pkgs)
}

// newImportGraph builds the graph of the listed packages: imports of packages not listed (the
// standard library, dependencies) are dropped.
func newImportGraph(pkgs []pathblind.Listed) (*importGraph, error) {
	if len(pkgs) == 0 {
		return nil, errors.New("go list found no packages")
	}
	imports := map[string][]string{}
	for _, p := range pkgs {
		imports[p.Path] = p.Imports
	}
	g := &importGraph{}
	for p := range imports {
		g.paths = append(g.paths, p)
	}
	sort.Strings(g.paths)
	idx := map[string]int{}
	for i, p := range g.paths {
		idx[p] = i
	}
	seen := map[[2]int]bool{}
	for _, p := range g.paths {
		i := idx[p]
		for _, imp := range imports[p] {
			j, ok := idx[imp]
			if !ok || i == j {
				continue
			}
			e := [2]int{min(i, j), max(i, j)}
			if !seen[e] {
				seen[e] = true
				g.edges = append(g.edges, e)
			}
		}
	}
	sort.Slice(g.edges, func(a, b int) bool {
		if g.edges[a][0] != g.edges[b][0] {
			return g.edges[a][0] < g.edges[b][0]
		}
		return g.edges[a][1] < g.edges[b][1]
	})
	return g, nil
}

// louvain partitions g with gonum's Louvain at resolution 1 and the given seed, as plan packages
// each in the service named after its community, so that analyze.CompareTruth scores it the
// same way it scores a plan (no kernel: plain Louvain has none).
func (g *importGraph) louvain(seed uint64) []plan.Package {
	ug := simple.NewUndirectedGraph()
	for i := range g.paths {
		ug.AddNode(simple.Node(i))
	}
	for _, e := range g.edges {
		ug.SetEdge(simple.Edge{F: simple.Node(e[0]), T: simple.Node(e[1])})
	}
	red := community.Modularize(ug, 1, rand.NewPCG(seed, 0))
	pkgs := make([]plan.Package, len(g.paths))
	for c, comm := range red.Communities() {
		for _, n := range comm {
			pkgs[n.ID()] = plan.Package{Path: g.paths[n.ID()], Service: "c" + strconv.Itoa(c)}
		}
	}
	return pkgs
}

// baseline is the mean agreement of plain Louvain with a truth over seeds 1..seeds.
type baseline struct {
	Strict, Full float64 // mean ARI
	Seeds        int
}

func (g *importGraph) baseline(truth map[string]string, seeds int) (baseline, error) {
	if seeds < 1 {
		return baseline{}, fmt.Errorf("baseline: %d seeds; want at least 1", seeds)
	}
	var b baseline
	for s := 1; s <= seeds; s++ {
		ts, err := score.CompareTruth(g.louvain(uint64(s)), truth)
		if err != nil {
			return baseline{}, err
		}
		b.Strict += ts.Strict.ARI
		b.Full += ts.Full.ARI
	}
	b.Strict /= float64(seeds)
	b.Full /= float64(seeds)
	b.Seeds = seeds
	return b, nil
}
