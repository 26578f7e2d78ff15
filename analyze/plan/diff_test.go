package plan

import (
	"slices"
	"testing"
)

func diffPlan(places map[string]string, q float64) *Plan {
	p := New("m")
	svcs := map[string][]string{}
	for _, path := range []string{"m/a", "m/b", "m/c", "m/k"} {
		pl, ok := places[path]
		if !ok {
			continue
		}
		pkg := Package{Path: path}
		if pl == "(kernel)" {
			pkg.Kernel = true
			p.Kernel = append(p.Kernel, path)
		} else {
			pkg.Service = pl
			svcs[pl] = append(svcs[pl], path)
		}
		p.Packages = append(p.Packages, pkg)
	}
	for _, name := range []string{"orders", "users", "accounts", "mail"} {
		if ps, ok := svcs[name]; ok {
			p.Services = append(p.Services, Service{Name: name, Packages: ps})
		}
	}
	p.Metrics.Modularity = q
	return p
}

func TestCompare(t *testing.T) {
	a := diffPlan(map[string]string{"m/a": "orders", "m/b": "orders", "m/c": "users", "m/k": "(kernel)"}, 0.3)
	// users renamed to accounts (same packages); m/b moved to a new service; m/k out of the kernel.
	b := diffPlan(map[string]string{"m/a": "orders", "m/b": "mail", "m/c": "accounts", "m/k": "orders"}, 0.4)
	d := Compare(a, b)
	if !slices.Equal(d.Renamed, []Rename{{From: "users", To: "accounts"}}) {
		t.Errorf("renamed %v", d.Renamed)
	}
	want := []Move{{Path: "m/b", From: "orders", To: "mail"}, {Path: "m/k", From: "(kernel)", To: "orders"}}
	if !slices.Equal(d.Moved, want) {
		t.Errorf("moved %v, want %v", d.Moved, want)
	}
	if !slices.Equal(d.Added, []string{"mail"}) || len(d.Removed) != 0 {
		t.Errorf("added %v removed %v", d.Added, d.Removed)
	}
	if len(d.Metrics) == 0 || d.Metrics[0].Name != "modularity" || d.Metrics[0].B != 0.4 {
		t.Errorf("metrics %v", d.Metrics)
	}
	if d.Empty() {
		t.Error("a diff with moves is empty")
	}
	if same := Compare(a, a); !same.Empty() {
		t.Errorf("a plan differs from itself: %+v", same)
	}
	// A package only one plan has is reported, not taken for a move.
	c := diffPlan(map[string]string{"m/a": "orders", "m/b": "orders", "m/c": "users"}, 0.3)
	if d := Compare(a, c); !slices.Equal(d.OnlyA, []string{"m/k"}) {
		t.Errorf("only in a: %v", d.OnlyA)
	}
}
