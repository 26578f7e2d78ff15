package graph

import (
	"math"
	"testing"

	"github.com/carve-dev/carve/analyze/facts"
	"github.com/carve-dev/carve/analyze/internal/factstest"
)

func TestBuildGraphWeights(t *testing.T) {
	b := factstest.New("m")
	for _, p := range []string{"m/a", "m/b", "m/c", "m/d", "m/e"} {
		b.Pkg(p, 10)
	}
	b.Dep("m/a", "m/b", facts.SignalImports, 1)
	b.Dep("m/a", "m/b", facts.SignalCalls, 10)
	b.DepC("m/a", "m/b", facts.SignalTypes, 4, true)
	b.Dep("m/b", "m/a", facts.SignalImplements, 1)
	// A table three packages share, and one only c and d share.
	b.Table("m/c", "wide", facts.Read).Table("m/d", "wide", facts.Write).Table("m/e", "wide", facts.Read)
	b.Table("m/c", "narrow", facts.Write).Table("m/d", "narrow", facts.ReadWrite)
	w := map[string]float64{facts.SignalImports: 1, facts.SignalCalls: 2, facts.SignalTypes: 1, facts.SignalImplements: 3, facts.SignalData: 1}
	g, err := Build(b.F, w, 0.25)
	if err != nil {
		t.Fatal(err)
	}
	ab := 1 + 2*(1+math.Log(10)) + 0.25*(1+math.Log(4))
	ba := 3.0
	if got := g.Adj[g.Index["m/a"]][g.Index["m/b"]]; math.Abs(got-(ab+ba)) > 1e-9 {
		t.Errorf("a–b weight %v, want %v", got, ab+ba)
	}
	// c–d share two tables: the wide one (3 packages: 1/2 each pair) and the narrow one (1).
	if got := g.Adj[g.Index["m/c"]][g.Index["m/d"]]; math.Abs(got-1.5) > 1e-9 {
		t.Errorf("c–d data weight %v, want 1.5", got)
	}
	if got := g.Adj[g.Index["m/c"]][g.Index["m/e"]]; math.Abs(got-0.5) > 1e-9 {
		t.Errorf("c–e data weight %v, want 0.5", got)
	}
	edges := g.PlanEdges()
	var cd, abEdge bool
	for _, e := range edges {
		switch {
		case e.From == "m/c" && e.To == "m/d":
			cd = e.Signals[facts.SignalData] == 2
		case e.From == "m/a" && e.To == "m/b":
			abEdge = e.Calls == 10 && e.Signals[facts.SignalTypes] == 4 && math.Abs(e.Weight-Round6(ab)) < 1e-9 && len(e.Sites) == 3 && e.Sites[0] == "a/x.go:2"
		}
	}
	if !cd || !abEdge {
		t.Errorf("plan graph %+v", edges)
	}
	// A dep to a package outside the facts is counted, not an edge.
	b.Dep("m/a", "other/x", facts.SignalCalls, 1)
	g, _ = Build(b.F, w, 0.25)
	if g.Ignored != 1 {
		t.Errorf("ignored = %d, want 1", g.Ignored)
	}
}

func TestBuildGraphRejectsDuplicates(t *testing.T) {
	f := factstest.New("m").Pkg("m/a", 1).Pkg("m/a", 1).F
	if _, err := Build(f, DefaultSignals(), DefaultContract); err == nil {
		t.Fatal("a package listed twice was accepted")
	}
}
