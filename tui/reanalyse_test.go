package tui

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/carve-dev/carve/analyze/load"
	"github.com/carve-dev/carve/analyze/signals"

	"github.com/carve-dev/carve/analyze"
	"github.com/carve-dev/carve/analyze/plan"
)

// TestEditsSurviveReanalysis closes the loop: analyse a module, reshape it in a session, save,
// then analyse again with the saved carve.yaml, as 'carve analyze --config' would. The edits
// must come back.
func TestEditsSurviveReanalysis(t *testing.T) {
	propose := proposer(t, filepath.Join("testdata", "tinymod"))
	s, err := NewSession(propose(nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	const store, api, cmdTiny = "example.com/tiny/store", "example.com/tiny/api", "example.com/tiny/cmd/tiny"
	if err := s.MoveToNew(store, "storage"); err != nil {
		t.Fatal(err)
	}
	if err := s.Rename(serviceOf(s.Plan(), api), "items"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "carve.yaml")
	if err := s.Save(filepath.Join(dir, "plan.json"), cfgPath); err != nil {
		t.Fatal(err)
	}
	cfg, err := analyze.LoadConfig(cfgPath)
	if err != nil {
		t.Fatalf("carve analyze would refuse the saved carve.yaml: %v", err)
	}
	again := propose(cfg)
	for pkg, want := range map[string]string{store: "storage", api: "items", cmdTiny: "items"} {
		if got := serviceOf(again, pkg); got != want {
			t.Errorf("after re-analysis %s is in %s, want %s (services %v)", pkg, got, want, again.ServiceNames())
		}
	}
}

// TestSavedPlanReproduces: after any edits, 'carve analyze --config' with the saved carve.yaml
// gives exactly the saved plan — every package in the same service or the kernel — not only the
// packages that were edited (a pin must not reshuffle the services around it).
func TestSavedPlanReproduces(t *testing.T) {
	propose := proposer(t, filepath.Join("..", "samples", "shop"))
	s, err := NewSession(propose(nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	const shop = "example.com/shop/"
	cart := serviceOf(s.Plan(), shop+"cart")
	steps := []func() error{
		func() error { return s.Move(shop+"shipping", cart) },
		func() error { return s.Kernel(shop + "orders/events") },
		func() error { return s.Rename(serviceOf(s.Plan(), shop+"users"), "accounts") },
		func() error { return s.MoveToNew(shop+"notifications/email", "mailer") },
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("edit %d: %v", i, err)
		}
	}
	cfgPath := filepath.Join(t.TempDir(), "carve.yaml")
	if err := s.Save(filepath.Join(filepath.Dir(cfgPath), "plan.json"), cfgPath); err != nil {
		t.Fatal(err)
	}
	cfg, err := analyze.LoadConfig(cfgPath)
	if err != nil {
		t.Fatalf("carve analyze would refuse the saved carve.yaml: %v", err)
	}
	again := propose(cfg)
	saved := map[string]plan.Package{}
	for _, p := range s.Plan().Packages {
		saved[p.Path] = p
	}
	for _, p := range again.Packages {
		want := saved[p.Path]
		if p.Service != want.Service || p.Kernel != want.Kernel {
			t.Errorf("%s: re-analysed into %q (kernel %v), saved in %q (kernel %v)", p.Path, p.Service, p.Kernel, want.Service, want.Kernel)
		}
	}
}

// proposer loads the module at dir once and returns what 'carve analyze --config' would propose
// for it with a given carve.yaml (seed 1).
func proposer(t *testing.T, dir string) func(*analyze.Config) *plan.Plan {
	t.Helper()
	m, err := load.Load(context.Background(), dir, load.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	facts, err := signals.Collect(context.Background(), m, nil)
	if err != nil {
		t.Fatal(err)
	}
	return func(cfg *analyze.Config) *plan.Plan {
		t.Helper()
		p, err := analyze.Propose(facts, analyze.Options{Seed: 1, Config: cfg})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
}
