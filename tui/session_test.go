package tui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/carve-dev/carve/analyze/plan"
)

const (
	pkgCart     = "example.com/shop/cart"
	pkgNotify   = "example.com/shop/notify"
	pkgOrders   = "example.com/shop/orders"
	pkgStripe   = "example.com/shop/payments/stripe"
	pkgCatStore = "example.com/shop/catalog/store"
	pkgHTTPX    = "example.com/shop/platform/httpx"
	pkgPayments = "example.com/shop/payments"
)

func newShopSession(t testing.TB) *Session {
	t.Helper()
	s, err := NewSession(readFixture(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func serviceOf(p *plan.Plan, pkg string) string {
	for _, x := range p.Packages {
		if x.Path == pkg {
			if x.Kernel {
				return "(kernel)"
			}
			return x.Service
		}
	}
	return "(missing)"
}

func TestSessionEdits(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(s *Session) error
		check func(t *testing.T, p *plan.Plan)
	}{
		{"move to existing", func(s *Session) error { return s.Move(pkgCart, "catalog") }, func(t *testing.T, p *plan.Plan) {
			if got := serviceOf(p, pkgCart); got != "catalog" {
				t.Errorf("cart in %s", got)
			}
			if n := len(p.Service("orders").Packages); n != 3 {
				t.Errorf("orders has %d packages, want 3", n)
			}
		}},
		{"move to new", func(s *Session) error { return s.MoveToNew(pkgCart, "cart") }, func(t *testing.T, p *plan.Plan) {
			if p.Service("cart") == nil || len(p.Services) != 5 {
				t.Errorf("services = %v, want a new cart service", p.ServiceNames())
			}
		}},
		{"merge", func(s *Session) error { return s.Merge("payments", "orders") }, func(t *testing.T, p *plan.Plan) {
			if p.Service("payments") != nil || serviceOf(p, pkgStripe) != "orders" {
				t.Errorf("services = %v, stripe in %s", p.ServiceNames(), serviceOf(p, pkgStripe))
			}
		}},
		{"split", func(s *Session) error { return s.Split("orders", []string{pkgCart}, "basket") }, func(t *testing.T, p *plan.Plan) {
			if serviceOf(p, pkgCart) != "basket" || len(p.Service("basket").Routes) != 1 {
				t.Errorf("cart in %s", serviceOf(p, pkgCart))
			}
		}},
		{"rename", func(s *Session) error { return s.Rename("users", "accounts") }, func(t *testing.T, p *plan.Plan) {
			if p.Service("users") != nil || len(p.Service("accounts").Packages) != 2 {
				t.Errorf("services = %v", p.ServiceNames())
			}
		}},
		{"kernel", func(s *Session) error { return s.Kernel(pkgNotify) }, func(t *testing.T, p *plan.Plan) {
			if !contains(p.Kernel, pkgNotify) || serviceOf(p, pkgNotify) != "(kernel)" {
				t.Errorf("kernel = %v", p.Kernel)
			}
		}},
		{"kernel back to a service", func(s *Session) error { return s.Move(pkgHTTPX, "orders") }, func(t *testing.T, p *plan.Plan) {
			if contains(p.Kernel, pkgHTTPX) || serviceOf(p, pkgHTTPX) != "orders" {
				t.Errorf("kernel = %v, httpx in %s", p.Kernel, serviceOf(p, pkgHTTPX))
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newShopSession(t)
			before := s.Summary()
			if err := tt.edit(s); err != nil {
				t.Fatal(err)
			}
			tt.check(t, s.Plan())
			if err := s.Plan().Validate(); err != nil {
				t.Fatal(err)
			}
			if !s.Dirty() || !s.CanUndo() || s.CanRedo() {
				t.Errorf("dirty=%v undo=%v redo=%v after an edit", s.Dirty(), s.CanUndo(), s.CanRedo())
			}
			if s.Previous().Metrics != before.Metrics {
				t.Errorf("previous summary is not the one before the edit")
			}
			after := s.Summary()
			if _, err := s.Undo(); err != nil {
				t.Fatal(err)
			}
			if got := s.Summary(); got.Metrics != before.Metrics || !equal(s.Plan().ServiceNames(), []string{"catalog", "orders", "payments", "users"}) {
				t.Errorf("undo did not restore: %+v vs %+v", got.Metrics, before.Metrics)
			}
			if _, err := s.Redo(); err != nil {
				t.Fatal(err)
			}
			if got := s.Summary(); got.Metrics != after.Metrics {
				t.Errorf("redo did not reapply: %+v vs %+v", got.Metrics, after.Metrics)
			}
		})
	}
}

func TestSessionRejects(t *testing.T) {
	tests := []struct {
		name, want string
		edit       func(s *Session) error
	}{
		{"move to same", "already in orders", func(s *Session) error { return s.Move(pkgCart, "orders") }},
		{"move unknown", "no package", func(s *Session) error { return s.Move("nope", "orders") }},
		{"new service exists", "already exists", func(s *Session) error { return s.MoveToNew(pkgCart, "users") }},
		{"bad name", "lower-case", func(s *Session) error { return s.MoveToNew(pkgCart, "my cart") }},
		{"upper-case name", "lower-case", func(s *Session) error { return s.Rename("users", "Users") }},
		{"empty name", "needs a name", func(s *Session) error { return s.Rename("users", " ") }},
		{"merge self", "into itself", func(s *Session) error { return s.Merge("users", "users") }},
		{"merge unknown", "no service ghost", func(s *Session) error { return s.Merge("ghost", "users") }},
		{"split nothing", "mark the packages", func(s *Session) error { return s.Split("orders", nil, "x") }},
		{"split all", "leaves it empty", func(s *Session) error {
			return s.Split("payments", []string{"example.com/shop/payments", pkgStripe}, "x")
		}},
		{"split foreign", "is not in orders", func(s *Session) error { return s.Split("orders", []string{pkgStripe}, "x") }},
		{"rename onto", "already exists", func(s *Session) error { return s.Rename("users", "orders") }},
		{"kernel twice", "already kernel", func(s *Session) error { return s.Kernel(pkgHTTPX) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newShopSession(t)
			err := tt.edit(s)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.want)
			}
			if s.CanUndo() || s.Dirty() {
				t.Errorf("a refused edit left a step behind")
			}
		})
	}
	s := newShopSession(t)
	if _, err := s.Undo(); err == nil {
		t.Error("undo with nothing to undo succeeded")
	}
}

func TestSessionRefusesPlanWithoutPackages(t *testing.T) {
	if _, err := NewSession(plan.New("m"), nil); err == nil || !strings.Contains(err.Error(), "no packages") {
		t.Fatalf("err = %v", err)
	}
}

func TestSaveWritesPlanAndConstraints(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "carve.yaml")
	old := `# team decisions
services:
  users: [example.com/shop/users]
  # everything under orders
  orders: [example.com/shop/orders/...]
kernel:
  - example.com/shop/platform/log
signals: {calls: 2}
`
	if err := os.WriteFile(cfg, []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	s := newShopSession(t)
	for _, edit := range []func() error{
		func() error { return s.Move(pkgCart, "catalog") },
		func() error { return s.Move("example.com/shop/orders/store", "catalog") },
		func() error { return s.Rename("payments", "billing") },
		func() error { return s.Kernel(pkgNotify) },
	} {
		if err := edit(); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(dir, "plan.json")
	if err := s.Save(out, cfg); err != nil {
		t.Fatal(err)
	}
	if s.Dirty() {
		t.Error("still dirty after save")
	}
	p, err := plan.ReadFile(out)
	if err != nil {
		t.Fatalf("saved plan does not read: %v", err)
	}
	if serviceOf(p, pkgCart) != "catalog" || p.Service("billing") == nil || !contains(p.Kernel, pkgNotify) {
		t.Errorf("saved plan lost edits: services %v kernel %v", p.ServiceNames(), p.Kernel)
	}
	data, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// orders/... matched orders and orders/store; orders/store moved, so the pattern becomes
	// the one package it still stands for.
	want := `# team decisions
services:
  users:
    - example.com/shop/users
  # everything under orders
  orders:
    - example.com/shop/orders
  billing:
    - example.com/shop/payments
    - example.com/shop/payments/stripe
  catalog:
    - example.com/shop/cart
    - example.com/shop/orders/store
kernel:
  - example.com/shop/platform/log
  - example.com/shop/notify
signals: {calls: 2}
`
	if string(data) != want {
		t.Errorf("carve.yaml =\n%s\nwant\n%s", data, want)
	}
}

func TestWriteConstraintsErrors(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"list.yaml":     "- a\n",
		"services.yaml": "services: [a, b]\n",
		"kernel.yaml":   "kernel: {a: b}\n",
		"pins.yaml":     "services: {orders: x}\n",
		"broken.yaml":   "services: {\n",
		"unknown.yaml":  "colour: blue\n", // analyze would refuse the file: leave it alone
		"together.yaml": "together: {a: b}\n",
	} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		err := WriteConstraints(path, Constraints{Pins: map[string]string{"a": "b"}}, map[string]string{"a": "b"})
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: err = %v, want one naming the file", name, err)
		}
		if data, _ := os.ReadFile(path); string(data) != body {
			t.Errorf("%s: a refused write changed the file to %q", name, data)
		}
	}
	fresh := filepath.Join(dir, "new.yaml")
	if err := WriteConstraints(fresh, Constraints{Pins: map[string]string{"a": "b"}, Kernel: []string{"k"}}, map[string]string{"a": "b", "k": ""}); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(fresh); string(data) != "services:\n  b:\n    - a\nkernel:\n  - k\n" {
		t.Errorf("new carve.yaml = %q", data)
	}
	// A package moved out of the kernel leaves the kernel list, and an emptied list goes.
	if err := WriteConstraints(fresh, Constraints{Pins: map[string]string{"k": "b"}}, map[string]string{"a": "b", "k": "b"}); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(fresh); string(data) != "services:\n  b:\n    - a\n    - k\n" {
		t.Errorf("carve.yaml after unkernel = %q", data)
	}
}

// TestWriteConstraintsReleasesGroups: an edit wins over a together or apart group it
// contradicts, so that 'carve analyze' can still honour the file.
func TestWriteConstraintsReleasesGroups(t *testing.T) {
	path := filepath.Join(t.TempDir(), "carve.yaml")
	old := `together:
  - [m/cart, m/orders]
  - [m/x/..., m/orders]
  - [m/users, m/notify]
apart:
  - [m/users, m/payments]
  - [m/catalog, m/orders]
`
	if err := os.WriteFile(path, []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	where := map[string]string{
		"m/cart": "catalog", "m/orders": "orders", "m/x/a": "orders", "m/x/b": "catalog",
		"m/users": "users", "m/notify": "", "m/payments": "users", "m/catalog": "catalog",
	}
	c := Constraints{Pins: map[string]string{"m/cart": "catalog", "m/x/b": "catalog", "m/payments": "users"}, Kernel: []string{"m/notify"}}
	if err := WriteConstraints(path, c, where); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	// cart left orders: its group goes; x/b left orders: the pattern keeps x/a; notify is
	// kernel: its group goes; payments joined users: that apart goes; catalog/orders stays.
	want := `together:
  - [m/x/a, m/orders]
apart:
  - [m/catalog, m/orders]
services:
  catalog:
    - m/cart
    - m/x/b
  users:
    - m/payments
kernel:
  - m/notify
`
	if string(data) != want {
		t.Errorf("carve.yaml =\n%s\nwant\n%s", data, want)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Undoing back to where the plan was saved (or opened) leaves nothing unsaved.
func TestUndoBackToSavedIsClean(t *testing.T) {
	s := newShopSession(t)
	if err := s.Move(pkgCart, "users"); err != nil {
		t.Fatal(err)
	}
	if !s.Dirty() {
		t.Fatal("a move left the session clean")
	}
	if _, err := s.Undo(); err != nil {
		t.Fatal(err)
	}
	if s.Dirty() {
		t.Error("undoing the only edit left the session edited")
	}
	if _, err := s.Redo(); err != nil {
		t.Fatal(err)
	}
	s.Saved()
	if s.Dirty() {
		t.Error("saved, still edited")
	}
	if _, err := s.Undo(); err != nil {
		t.Fatal(err)
	}
	if !s.Dirty() {
		t.Error("undoing past the save left the session clean")
	}
}

// A plan without its package graph is refused: every score would be made up.
func TestSessionRefusesPlanWithoutGraph(t *testing.T) {
	p := readFixture(t)
	p.Graph = nil
	if _, err := NewSession(p, nil); err == nil || !strings.Contains(err.Error(), "no package graph") {
		t.Fatalf("NewSession without a graph: %v", err)
	}
	p.Graph = []plan.PackageEdge{} // present and empty: a module without couplings
	if _, err := NewSession(p, nil); err != nil {
		t.Fatalf("NewSession with an empty graph: %v", err)
	}
}

// A renamed service keeps its scores' history: its Δ is 0, not "new".
func TestRenameKeepsPreviousScores(t *testing.T) {
	s := newShopSession(t)
	old := serviceOf(s.Plan(), pkgPayments)
	before := s.Summary().Services[old]
	if err := s.Rename(old, "billing"); err != nil {
		t.Fatal(err)
	}
	prev, ok := s.Previous().Services["billing"]
	if !ok || prev != before {
		t.Errorf("previous scores of billing: %+v (present %v), want %+v", prev, ok, before)
	}
}

// TryMoves scores each possible move without making it.
func TestTryMovesChangesNothing(t *testing.T) {
	s := newShopSession(t)
	before := s.Summary()
	out, err := s.TryMoves(pkgCart, []string{"catalog", "users"})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 2 || out[0].Service != "catalog" || out[0].Modularity == before.Metrics.Modularity {
		t.Errorf("outcomes %+v (modularity now %.3f)", out, before.Metrics.Modularity)
	}
	if s.Dirty() || s.Summary().Metrics != before.Metrics || serviceOf(s.Plan(), pkgCart) == "catalog" {
		t.Error("trying moves changed the session")
	}
}
