package tui

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/carve-dev/carve/analyze"
	"github.com/carve-dev/carve/analyze/plan"
)

// TestEditsSurviveReanalysis closes the loop: analyse a module, reshape it in a session, save,
// then analyse again with the saved carve.yaml, as 'carve analyze --config' would. The edits
// must come back.
func TestEditsSurviveReanalysis(t *testing.T) {
	propose := func(cfg *analyze.Config) *plan.Plan {
		t.Helper()
		m, err := analyze.Load(context.Background(), filepath.Join("testdata", "tinymod"), analyze.LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		facts, err := analyze.Collect(context.Background(), m, nil)
		if err != nil {
			t.Fatal(err)
		}
		p, err := analyze.Propose(facts, analyze.Options{Seed: 1, Config: cfg})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
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
