package tui

import (
	"bytes"
	"math"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/carve-dev/carve/analyze/plan"
)

func readFixture(t testing.TB) *plan.Plan {
	t.Helper()
	p, err := plan.ReadFile("testdata/shop.plan.json")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-6 } // analyze rounds to 6 decimals

// TestRescoreShop pins the scores the TUI shows for the fixture, worked out by hand.
func TestRescoreShop(t *testing.T) {
	p := readFixture(t)
	if err := Rescore(p); err != nil {
		t.Fatal(err)
	}
	if got, want := p.ServiceNames(), []string{"catalog", "orders", "payments", "users"}; !equal(got, want) {
		t.Fatalf("services = %v, want %v", got, want)
	}
	if got, want := p.Kernel, []string{"example.com/shop/platform/httpx", "example.com/shop/platform/log"}; !equal(got, want) {
		t.Errorf("kernel = %v, want %v", got, want)
	}
	// Non-kernel calls: 12+3+2+10+4+3+2+2+5+6+1+2+0+1+1+1+1 = 56; across services:
	// orders→catalog 3, orders→payments 2, orders/store→inventory 2, cart→catalog 5,
	// payments→users 1, notify→orders 0, cmd→catalog/payments/users 3 = 16.
	if !near(p.Metrics.ICP, 16.0/56) {
		t.Errorf("ICP = %v, want %v", p.Metrics.ICP, 16.0/56)
	}
	cat := p.Service("catalog")
	// catalog: inside 8+3+1.5 = 12.5; crossing 2.5 (orders) + 2 (orders/store) + 3.5 (cart) + 1 (cmd) = 9.
	if !near(cat.Cohesion, 12.5/21.5) || !near(cat.Coupling, 9/21.5) {
		t.Errorf("catalog cohesion/coupling = %v/%v, want %v/%v", cat.Cohesion, cat.Coupling, 12.5/21.5, 9/21.5)
	}
	if len(cat.Routes) != 2 || len(cat.Tables) != 2 {
		t.Errorf("catalog routes/tables = %d/%d, want 2/2", len(cat.Routes), len(cat.Tables))
	}
	if cat.Tables[0].Name != "products" || cat.Tables[0].Access != "readwrite" {
		t.Errorf("catalog products table = %+v, want merged readwrite", cat.Tables[0])
	}
	// stock (catalog rw, orders r) and users (users rw and r: one service) → only stock is shared.
	if len(p.SharedTables) != 1 || p.SharedTables[0].Name != "stock" || len(p.SharedTables[0].Services) != 2 {
		t.Errorf("shared tables = %+v, want stock shared by catalog and orders", p.SharedTables)
	}
	var oc *plan.Edge
	for i := range p.Edges {
		if p.Edges[i].From == "orders" && p.Edges[i].To == "catalog" {
			oc = &p.Edges[i]
		}
	}
	if oc == nil || oc.Calls != 3+2+5+1 || oc.Refs != 2+1+1 {
		t.Errorf("orders→catalog edge = %+v, want 11 calls, 4 refs", oc)
	}
	if p.Metrics.Modularity <= 0.2 || p.Metrics.Modularity >= 1 {
		t.Errorf("modularity = %v, want a clear community structure", p.Metrics.Modularity)
	}
	var buf bytes.Buffer
	if err := p.Write(&buf); err != nil {
		t.Fatal(err)
	}
	if _, err := plan.Read(&buf); err != nil {
		t.Fatalf("rescored plan does not read back: %v", err)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// BenchmarkRescoreAfterMove is the cost of one what-if step on a 1,000-package plan (20
// services × 50 packages, about 8,000 package edges): move a package, rescore everything.
func BenchmarkRescoreAfterMove(b *testing.B) {
	p := synthPlan(20, 50, 8, 0.2, 1)
	s, err := NewSession(p, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(len(p.Packages)), "packages")
	b.ReportMetric(float64(len(p.Graph)), "edges")
	targets := []string{"svc01", "svc02"}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if err := s.Move("example.com/big/s00/p007", targets[i%2]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMoveInTUI is the same step as the user sees it: the move, the rescore and every view
// rebuilt (the packages tab lists all 1,000 packages) and the screen drawn.
func BenchmarkMoveInTUI(b *testing.B) {
	m, err := New(Options{Plan: synthPlan(20, 50, 8, 0.2, 1), PlanPath: b.TempDir() + "/plan.json"})
	if err != nil {
		b.Fatal(err)
	}
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	m.Update(keyMsg("tab"))
	targets := []string{"svc01", "svc02"}
	for i := 0; b.Loop(); i++ {
		m.edit("move", m.Session().Move("example.com/big/s00/p007", targets[i%2]))
		if m.statusErr {
			b.Fatal(m.status)
		}
		_ = m.View()
	}
}
