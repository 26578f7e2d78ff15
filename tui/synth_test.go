package tui

import (
	"fmt"
	"math/rand/v2"

	"github.com/carve-dev/carve/analyze/plan"
)

// synthPlan makes a plan of k services × per packages, each package coupled to about deg
// others, a share mu of them in other services, plus a few kernel packages everyone uses. It
// stands in for a large analysed monolith in benchmarks.
func synthPlan(k, per, deg int, mu float64, seed uint64) *plan.Plan {
	r := rand.New(rand.NewPCG(seed, 1))
	p := plan.New("example.com/big")
	n := k * per
	path := func(i int) string { return fmt.Sprintf("example.com/big/s%02d/p%03d", i/per, i%per) }
	for i := range n {
		pkg := plan.Package{Path: path(i), Service: fmt.Sprintf("svc%02d", i/per), Lines: 100 + r.IntN(400)}
		if i%per == 0 {
			pkg.Routes = []plan.Route{{Method: "GET", Pattern: fmt.Sprintf("/s%02d/{id}", i/per), Handler: pkg.Path + ".Get", Package: pkg.Path}}
		}
		if i%per == 1 {
			pkg.Tables = []plan.Table{{Name: fmt.Sprintf("t%02d", i/per), Store: "dynamodb", Access: "readwrite"}}
		}
		if i%per == 2 { // a tangle: reads the next service's table
			pkg.Tables = []plan.Table{{Name: fmt.Sprintf("t%02d", (i/per+1)%k), Store: "dynamodb", Access: "read"}}
		}
		p.Packages = append(p.Packages, pkg)
	}
	for i := range 5 {
		p.Packages = append(p.Packages, plan.Package{Path: fmt.Sprintf("example.com/big/platform/k%d", i), Kernel: true, Lines: 50})
	}
	for i := range n {
		for range deg {
			j := (i/per)*per + r.IntN(per)
			if r.Float64() < mu {
				j = r.IntN(n)
			}
			if j == i {
				continue
			}
			calls := 1 + r.IntN(6)
			p.Graph = append(p.Graph, plan.PackageEdge{
				From: path(i), To: path(j), Weight: float64(calls) / 2,
				Signals: map[string]float64{"imports": 1, "calls": float64(calls), "types": float64(r.IntN(3))},
				Calls:   calls, Sites: []string{fmt.Sprintf("s%02d/p%03d/x.go:%d", i/per, i%per, 10+r.IntN(200))},
			})
		}
		p.Graph = append(p.Graph, plan.PackageEdge{From: path(i), To: fmt.Sprintf("example.com/big/platform/k%d", i%5), Weight: 1, Signals: map[string]float64{"imports": 1, "calls": 2}, Calls: 2})
	}
	return p
}
