package analyze

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/carve-dev/carve/analyze/score"

	"github.com/carve-dev/carve/analyze/plan"
)

// TestScoreAfterMove: moving a package and rescoring gives the same plan as proposing with the
// package pinned there, for everything Score computes.
func TestScoreAfterMove(t *testing.T) {
	p := propose(t, shopFacts(), Options{})
	if err := p.Move(shop+"/users/store", "orders"); err != nil {
		t.Fatal(err)
	}
	before := p.Metrics
	if err := score.Score(p, nil); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(p.Service("orders").Packages, shop+"/users/store") || slices.Contains(p.Service("users").Packages, shop+"/users/store") {
		t.Fatalf("move not reflected: %v", partitionOf(p))
	}
	if !slices.ContainsFunc(p.Service("orders").Tables, func(tb plan.Table) bool { return tb.Name == "users" }) {
		t.Errorf("orders does not own the users table after the move: %v", p.Service("orders").Tables)
	}
	if p.Metrics.Modularity >= before.Modularity {
		t.Errorf("moving a store away from its service did not lower Q: %v → %v", before.Modularity, p.Metrics.Modularity)
	}
	// Moving it back restores the metrics exactly.
	p.Move(shop+"/users/store", "users")
	if err := score.Score(p, nil); err != nil {
		t.Fatal(err)
	}
	if p.Metrics != before {
		t.Errorf("metrics after moving back %+v, want %+v", p.Metrics, before)
	}
	// To the kernel and to a new service.
	p.Move(shop+"/users/store", "")
	p.Move(shop+"/orders/paymentsgw", "gateway")
	if err := score.Score(p, nil); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(p.Kernel, shop+"/users/store") || p.Service("gateway") == nil || p.ServiceNames()[0] != "gateway" {
		t.Errorf("kernel %v services %v", p.Kernel, p.ServiceNames())
	}
	if p.Services[len(p.Services)-1].Name != "gateway" {
		t.Errorf("a new service goes last, keeping the others' order: %v", p.Services)
	}
}

// TestScoreByHand checks every number of a tiny plan computed by hand.
//
//	a1 → a2: weight 2, 3 calls           (inside a)
//	a1 → b1: weight 1, 1 call, 1 types   (a → b)
//	b1 → b2: weight 2, 1 call            (inside b)
//	b2 → k : weight 5, 4 calls           (kernel: ignored)
//	a2 ~ b2: data 1, weight 0.5          (a table they share: no dependency)
func TestScoreByHand(t *testing.T) {
	p := plan.New("m")
	p.Packages = []plan.Package{
		{Path: "m/a1", Service: "a"}, {Path: "m/a2", Service: "a", Tables: []plan.Table{{Name: "t", Store: "sql", Access: "write"}}},
		{Path: "m/b1", Service: "b"}, {Path: "m/b2", Service: "b", Tables: []plan.Table{{Name: "t", Store: "sql", Access: "read"}}},
		{Path: "m/k", Kernel: true},
	}
	p.Graph = []plan.PackageEdge{
		{From: "m/a1", To: "m/a2", Weight: 2, Signals: map[string]float64{"imports": 1, "calls": 3}, Calls: 3},
		{From: "m/a1", To: "m/b1", Weight: 1, Signals: map[string]float64{"imports": 1, "calls": 1, "types": 1}, Calls: 1, Sites: []string{"a1/x.go:3"}},
		{From: "m/a2", To: "m/b2", Weight: 0.5, Signals: map[string]float64{"data": 1}},
		{From: "m/b1", To: "m/b2", Weight: 2, Signals: map[string]float64{"calls": 1}, Calls: 1},
		{From: "m/b2", To: "m/k", Weight: 5, Signals: map[string]float64{"calls": 4}, Calls: 4},
	}
	truth := map[string]string{"m/a1": "x", "m/a2": "x", "m/b1": "y", "m/b2": "x"}
	if err := score.Score(p, truth); err != nil {
		t.Fatal(err)
	}
	// m = 5.5; a: in 2, degree 2·2 + 1 + 0.5 = 5.5; b: in 2, degree 5.5.
	// Q = 2·(2/5.5 − (5.5/11)²) = 2·(0.363636 − 0.25).
	want := 2 * (2/5.5 - 0.25)
	if math.Abs(p.Metrics.Modularity-want) > 1e-6 {
		t.Errorf("Q = %v, want %v", p.Metrics.Modularity, want)
	}
	if p.Metrics.ICP != 0.2 { // 1 cross call of 5 between non-kernel packages
		t.Errorf("ICP = %v, want 0.2", p.Metrics.ICP)
	}
	if p.Metrics.IFN != 0.5 { // b1 is used from a; nothing of a is used from b
		t.Errorf("IFN = %v, want 0.5", p.Metrics.IFN)
	}
	if len(p.Edges) != 1 || p.Edges[0].From != "a" || p.Edges[0].To != "b" || p.Edges[0].Calls != 1 || p.Edges[0].Refs != 1 || !slices.Equal(p.Edges[0].Sites, []string{"a1/x.go:3"}) {
		t.Errorf("edges %+v", p.Edges)
	}
	a := p.Service("a")
	if math.Abs(a.Cohesion-2/3.5) > 1e-6 || math.Abs(a.Coupling-1.5/3.5) > 1e-6 {
		t.Errorf("a cohesion %v coupling %v, want %v %v", a.Cohesion, a.Coupling, 2/3.5, 1.5/3.5)
	}
	if len(p.SharedTables) != 1 || p.SharedTables[0].Name != "t" || len(p.SharedTables[0].Services) != 2 || p.SharedTables[0].Services[1].Access != "read" {
		t.Errorf("shared tables %+v", p.SharedTables)
	}
	if !slices.Equal(p.Kernel, []string{"m/k"}) {
		t.Errorf("kernel %v", p.Kernel)
	}
	// Truth {a1,a2,b2}{b1} against plan {a1,a2}{b1,b2}: contingency 2,1,1; index 1, pair sums
	// 2 (plan) and 3 (truth) of 6, expected 1, max 2.5: ARI 0. MoJo: {b1,b2} ties x and y, the
	// matching tags it y: move b2 (1), no join: mno 1 of max 4 − 2 = 2: MoJoFM 50.
	if p.Metrics.ARI == nil || math.Abs(*p.Metrics.ARI) > 1e-6 || math.Abs(*p.Metrics.MoJoFM-50) > 1e-6 {
		t.Errorf("ARI %v MoJoFM %v, want 0 and 50", *p.Metrics.ARI, *p.Metrics.MoJoFM)
	}
}

func TestScoreRejectsInconsistentPlans(t *testing.T) {
	p := plan.New("m")
	p.Packages = []plan.Package{{Path: "m/a"}}
	if err := score.Score(p, nil); err == nil {
		t.Error("a package in no service and not kernel was accepted")
	}
	p.Packages = []plan.Package{{Path: "m/a", Service: "a"}}
	p.Graph = []plan.PackageEdge{{From: "m/a", To: "m/zz", Weight: 1}}
	if err := score.Score(p, nil); err == nil {
		t.Error("an edge to an unknown package was accepted")
	}
}

// syntheticPlan builds a plan of n packages in n/20 services with about 10 edges per package.
func syntheticPlan(n int) *plan.Plan {
	r := rand.New(rand.NewPCG(1, 1))
	p := plan.New("example.com/big")
	for i := range n {
		pkg := plan.Package{Path: fmt.Sprintf("example.com/big/p%04d", i), Service: fmt.Sprintf("s%02d", i/20), Lines: 100}
		if i%20 == 0 {
			pkg.Routes = []plan.Route{{Method: "GET", Pattern: fmt.Sprintf("/s%d", i), Handler: "h", Package: pkg.Path}}
		}
		if i%20 == 19 {
			pkg.Tables = []plan.Table{{Name: fmt.Sprintf("t%d", i%7), Store: "dynamodb", Access: "readwrite"}}
		}
		if i%100 == 99 {
			pkg.Service, pkg.Kernel = "", true
		}
		p.Packages = append(p.Packages, pkg)
	}
	for i := range n {
		for range 10 {
			j := i/20*20 + r.IntN(20)
			if r.Float64() < 0.3 {
				j = r.IntN(n)
			}
			if j == i {
				continue
			}
			p.Graph = append(p.Graph, plan.PackageEdge{
				From: p.Packages[i].Path, To: p.Packages[j].Path, Weight: 1 + r.Float64(),
				Signals: map[string]float64{"imports": 1, "calls": 2, "types": 1}, Calls: 2,
				Sites: []string{"x.go:1", "x.go:2"},
			})
		}
	}
	return p
}

func BenchmarkScore(b *testing.B) {
	p := syntheticPlan(1000)
	truth := map[string]string{}
	for _, pkg := range p.Packages {
		truth[pkg.Path] = pkg.Service
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := score.Score(p, truth); err != nil {
			b.Fatal(err)
		}
	}
}

// Score runs on every move in the TUI, so its work must grow linearly with the plan, not
// faster: four times the packages may cost at most six times the allocations. (Counted, not
// timed: a timing bound would fail on a loaded machine; BenchmarkScore gives the time.)
func TestScoreScalesLinearly(t *testing.T) {
	allocs := func(n int) float64 {
		p := syntheticPlan(n)
		truth := map[string]string{}
		for _, pkg := range p.Packages {
			truth[pkg.Path] = pkg.Service
		}
		return testing.AllocsPerRun(3, func() {
			if err := score.Score(p, truth); err != nil {
				t.Fatal(err)
			}
		})
	}
	small, big := allocs(500), allocs(2000)
	if big > 6*small {
		t.Errorf("Score allocates %.0f times on 500 packages and %.0f on 2,000: %.1fx for 4x the packages, want at most 6x", small, big, big/small)
	}
}
