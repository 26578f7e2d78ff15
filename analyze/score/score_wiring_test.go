package score

import (
	"testing"

	"github.com/carve-dev/carve/analyze/facts"
	"github.com/carve-dev/carve/analyze/graph"

	"github.com/carve-dev/carve/analyze/plan"
)

// A composition root's calls into other services are wiring: they are not service edges, nor
// counted in ICP, though the root's coupling still counts toward modularity.
func TestScoreLeavesWiringOutOfEdges(t *testing.T) {
	mk := func(wiring bool) *plan.Plan {
		p := plan.New("example.com/m")
		p.Packages = []plan.Package{
			{Path: "example.com/m/a", Service: "a"},
			{Path: "example.com/m/root", Service: "a", Main: true, Wiring: wiring, Routes: []plan.Route{{Method: "GET", Pattern: "/healthz", Package: "example.com/m/root"}}},
			{Path: "example.com/m/b", Service: "b"},
		}
		p.Graph = []plan.PackageEdge{
			{From: "example.com/m/a", To: "example.com/m/b", Weight: 1, Signals: map[string]float64{facts.SignalCalls: 1}, Calls: 1, Sites: []string{"a/a.go:3"}},
			{From: "example.com/m/root", To: "example.com/m/b", Weight: 2, Signals: map[string]float64{facts.SignalCalls: 5}, Calls: 5, Sites: []string{"root/main.go:9"}},
			{From: "example.com/m/root", To: "example.com/m/a", Weight: 2, Signals: map[string]float64{facts.SignalCalls: 3}, Calls: 3, Sites: []string{"root/main.go:8"}},
		}
		if err := Score(p, nil); err != nil {
			t.Fatal(err)
		}
		return p
	}
	plain, wired := mk(false), mk(true)
	if len(plain.Edges) != 1 || plain.Edges[0].Calls != 6 {
		t.Fatalf("without wiring: edges %+v, want a→b with 6 calls", plain.Edges)
	}
	if len(wired.Edges) != 1 || wired.Edges[0].Calls != 1 || wired.Edges[0].Sites[0] != "a/a.go:3" {
		t.Fatalf("with wiring: edges %+v, want a→b with the 1 call from a", wired.Edges)
	}
	if plain.Metrics.ICP != graph.Round6(6.0/9) {
		t.Errorf("ICP without wiring = %v, want 6/9", plain.Metrics.ICP)
	}
	if wired.Metrics.ICP != 1 {
		t.Errorf("ICP with wiring = %v, want 1 (the one non-wiring call crosses)", wired.Metrics.ICP)
	}
	if n := len(plain.Service("a").Routes); n != 1 {
		t.Errorf("without wiring service a has %d routes, want the root's 1", n)
	}
	if n := len(wired.Service("a").Routes); n != 0 {
		t.Errorf("with wiring service a has %d routes, want 0: a composition root's routes stay with the monolith", n)
	}
	if plain.Metrics.Modularity != wired.Metrics.Modularity {
		t.Errorf("wiring changed modularity: %v vs %v", plain.Metrics.Modularity, wired.Metrics.Modularity)
	}
}
