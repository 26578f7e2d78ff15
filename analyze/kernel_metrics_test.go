package analyze

import (
	"testing"

	"github.com/carve-dev/carve/analyze/score"

	"github.com/carve-dev/carve/analyze/plan"
)

// gluePlan: x is coupled to both services (a1 and a2 call it, it calls b1).
//
//	a1 → a2: 1    a1 → x: 2    a2 → x: 2    a1 → b1: 1    x → b1: 3    b1 → b2: 3
//
// weights equal to call counts.
func gluePlan(xService string) *plan.Plan {
	p := plan.New("m")
	p.Packages = []plan.Package{
		{Path: "m/a1", Service: "a", Lines: 10}, {Path: "m/a2", Service: "a", Lines: 10},
		{Path: "m/b1", Service: "b", Lines: 25}, {Path: "m/b2", Service: "b", Lines: 25},
		{Path: "m/x", Service: xService, Kernel: xService == "", Lines: 30},
	}
	edge := func(from, to string, n int) plan.PackageEdge {
		return plan.PackageEdge{From: "m/" + from, To: "m/" + to, Weight: float64(n), Signals: map[string]float64{"calls": float64(n)}, Calls: n}
	}
	p.Graph = []plan.PackageEdge{edge("a1", "a2", 1), edge("a1", "b1", 1), edge("a1", "x", 2), edge("a2", "x", 2), edge("b1", "b2", 3), edge("x", "b1", 3)}
	return p
}

// TestKernelCannotHideCoupling: moving a package coupled to two services into the kernel makes
// the service metrics look better (they no longer see it), and the whole-module metrics worse.
// Values by hand.
func TestKernelCannotHideCoupling(t *testing.T) {
	in := gluePlan("a")
	if err := score.Score(in, nil); err != nil {
		t.Fatal(err)
	}
	// x in a: m = 12; a: inside 5, degree 14; b: inside 3, degree 10.
	// Q = 5/12 − (14/24)² + 3/12 − (10/24)² = 0.152778; ICP = 4/12.
	m := in.Metrics
	if m.Modularity != 0.152778 || m.ModularityAll != 0.152778 || m.ICP != 0.333333 || m.ICPAll != 0.333333 {
		t.Errorf("x in a: %+v, want Q 0.152778 and ICP 0.333333 both ways", m)
	}
	if m.KernelPackages != 0 || m.KernelLines != 0 {
		t.Errorf("x in a: kernel share %v %v, want 0", m.KernelPackages, m.KernelLines)
	}

	hidden := gluePlan("")
	if err := score.Score(hidden, nil); err != nil {
		t.Fatal(err)
	}
	m = hidden.Metrics
	// Service metrics without x: m = 5; a: inside 1, degree 3; b: inside 3, degree 7.
	// Q = 1/5 − 0.09 + 3/5 − 0.49 = 0.22 (better than 0.152778); ICP = 1/5 (better than 1/3).
	if m.Modularity != 0.22 || m.ICP != 0.2 {
		t.Errorf("x in the kernel, service metrics: Q %v ICP %v, want 0.22 and 0.2", m.Modularity, m.ICP)
	}
	// Whole-module metrics, the kernel {x} a group: a inside 1, degree 7; b inside 3, degree
	// 10; kernel inside 0, degree 7. Q = 1/12 − (7/24)² + 3/12 − (10/24)² − (7/24)² = −1/96;
	// ICP = (1 + 2 + 2 + 3)/12.
	if m.ModularityAll != -0.010417 || m.ICPAll != 0.666667 {
		t.Errorf("x in the kernel, whole-module metrics: Q %v ICP %v, want -0.010417 and 0.666667", m.ModularityAll, m.ICPAll)
	}
	if m.ModularityAll >= in.Metrics.ModularityAll || m.ICPAll <= in.Metrics.ICPAll {
		t.Errorf("hiding x in the kernel improved the whole-module metrics: %+v, was %+v", m, in.Metrics)
	}
	if m.KernelPackages != 0.2 || m.KernelLines != 0.3 {
		t.Errorf("kernel share %v of packages and %v of lines, want 0.2 and 0.3", m.KernelPackages, m.KernelLines)
	}
}
