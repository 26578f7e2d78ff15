package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/carve-dev/carve/analyze/plan"
	"github.com/carve-dev/carve/internal/pathblind"
)

func TestNewImportGraph(t *testing.T) {
	g, err := newImportGraph([]pathblind.Listed{
		{Path: "m/b", Imports: []string{"fmt", "m/a", "m/a"}},
		{Path: "m/a", Imports: []string{"m/b", "os"}},
		{Path: "m/c"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(g.paths, " ") != "m/a m/b m/c" || len(g.edges) != 1 || g.edges[0] != [2]int{0, 1} {
		t.Errorf("paths %v edges %v: want a–b once, fmt and os dropped", g.paths, g.edges)
	}
	if _, err := newImportGraph(nil); err == nil {
		t.Error("no packages: no error")
	}
}

// twoCliques: two 5-cliques joined by one edge, truth = the cliques; the first package of each
// is "shared" in the truth (it then counts for full only).
func twoCliques() (*importGraph, map[string]string) {
	g := &importGraph{}
	truth := map[string]string{}
	for i := range 10 {
		p := "m/" + string(rune('a'+i))
		g.paths = append(g.paths, p)
		truth[p] = []string{"x", "y"}[i/5]
	}
	for c := range 2 {
		for i := range 5 {
			for j := i + 1; j < 5; j++ {
				g.edges = append(g.edges, [2]int{5*c + i, 5*c + j})
			}
		}
	}
	g.edges = append(g.edges, [2]int{4, 5})
	return g, truth
}

func TestLouvainBaselineFindsCliques(t *testing.T) {
	g, truth := twoCliques()
	b, err := g.baseline(truth, 5)
	if err != nil {
		t.Fatal(err)
	}
	if b.Strict != 1 || b.Full != 1 || b.Seeds != 5 {
		t.Errorf("baseline %+v: want ARI 1 on two cliques", b)
	}
	// Against a truth that cuts across the cliques, the baseline is below 1.
	for i, p := range g.paths {
		truth[p] = []string{"x", "y"}[i%2]
	}
	b, err = g.baseline(truth, 3)
	if err != nil {
		t.Fatal(err)
	}
	if b.Strict >= 0.5 {
		t.Errorf("baseline %+v against a crossing truth", b)
	}
	if _, err := g.baseline(truth, 0); err == nil {
		t.Error("0 seeds: no error")
	}
}

func TestFindCases(t *testing.T) {
	corpus, trees := t.TempDir(), t.TempDir()
	for _, c := range []string{"one", "two"} {
		os.WriteFile(filepath.Join(corpus, c+".json"), []byte(`{"m/a": "x"}`), 0o644)
	}
	if _, err := findCases(corpus, trees); err == nil || !strings.Contains(err.Error(), "none of the corpus cases") {
		t.Errorf("no trees: %v", err)
	}
	os.MkdirAll(filepath.Join(trees, "two"), 0o755)
	os.WriteFile(filepath.Join(trees, "two", "go.mod"), []byte("module m\n"), 0o644)
	got, err := findCases(corpus, trees)
	if err != nil || strings.Join(got, ",") != "two" {
		t.Errorf("cases %v, %v: want two", got, err)
	}
	if _, err := findCases(t.TempDir(), trees); err == nil || !strings.Contains(err.Error(), "no truth files") {
		t.Errorf("empty corpus: %v", err)
	}
}

func TestPrintTable(t *testing.T) {
	strict, full := 0.5, 0.25
	rows := []row{
		{name: "jaeger", variant: "normal", metrics: plan.Metrics{ARIStrict: &strict, ARIFull: &full, KernelPackages: 0.1, KernelLines: 0.2}, services: 7, base: baseline{Strict: 0.26, Full: 0.08}, seconds: 1.25},
		{name: "jaeger", variant: "path-blind", metrics: plan.Metrics{ARIFull: &full}},
	}
	var b bytes.Buffer
	printTable(&b, rows, 20)
	out := b.String()
	for _, want := range []string{"| jaeger | normal | 0.500 | 0.250 | n/a / n/a | 0.260 | 0.080 | 7 | 10% / 20% | 1.2 |", "| jaeger | path-blind | n/a | 0.250 |", "seeds 1..20"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

// TestLoadImportGraph lists pathblind's fixture module: 4 packages, 6 non-test import edges
// (the external test's import of orders is not one).
func TestLoadImportGraph(t *testing.T) {
	g, err := loadImportGraph(context.Background(), filepath.Join("..", "..", "internal", "pathblind", "testdata", "fixture"))
	if err != nil {
		t.Fatal(err)
	}
	if len(g.paths) != 4 || len(g.edges) != 6 {
		t.Errorf("paths %v edges %v: want 4 packages and 6 edges", g.paths, g.edges)
	}
	if _, err := loadImportGraph(context.Background(), t.TempDir()); err == nil {
		t.Error("a directory without a module: no error")
	}
}

// TestBlindCopy: a copy made before is reused; without one, a copy and its truth are made in
// the scratch directory.
func TestBlindCopy(t *testing.T) {
	corpus, scratch, blind := t.TempDir(), t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(corpus, "fixture.json"), []byte(`{"example.com/fix/users": "u", "example.com/fix/orders": "shared"}`), 0o644)
	c := config{trees: filepath.Join("..", "..", "internal", "pathblind", "testdata"), corpus: corpus, scratch: scratch}
	tree, truth, err := blindCopy(context.Background(), c, "fixture")
	if err != nil {
		t.Fatal(err)
	}
	if tree != filepath.Join(scratch, "fixture-blind") {
		t.Errorf("copy at %s", tree)
	}
	data, _ := os.ReadFile(truth)
	if strings.Contains(string(data), "users") || !strings.Contains(string(data), `"shared"`) {
		t.Errorf("the copy's truth keeps old paths or loses labels: %s", data)
	}

	os.MkdirAll(filepath.Join(blind, "fixture"), 0o755)
	os.WriteFile(filepath.Join(blind, "fixture", "go.mod"), []byte("module example.com/fix\n"), 0o644)
	os.WriteFile(filepath.Join(blind, "fixture.json"), []byte(`{}`), 0o644)
	c.blind = blind
	tree, truth, err = blindCopy(context.Background(), c, "fixture")
	if err != nil || tree != filepath.Join(blind, "fixture") || truth != filepath.Join(blind, "fixture.json") {
		t.Errorf("with -blind: %s %s %v", tree, truth, err)
	}
}

// TestScoreRunsCarve: score runs the carve binary with --truth and reads the plan it writes
// (a stand-in script here), and reports carve's stderr when it fails.
func TestScoreRunsCarve(t *testing.T) {
	dir := t.TempDir()
	fake := filepath.Join(dir, "carve")
	script := `#!/bin/sh
# stand-in for carve analyze TREE -o json --out FILE --truth T --no-cache
out=$6
case "$*" in *--truth*--no-cache*) ;; *) echo "bad args: $*" >&2; exit 2 ;; esac
printf '%s' '{"schema": "carve.plan/v1", "module": "example.com/fix", "settings": {"seed": 1, "resolution": 1, "signals": {}}, "services": [{"name": "a", "packages": [], "routes": [], "tables": [], "cohesion": 1, "coupling": 0}], "kernel": [], "shared_tables": [], "edges": [], "metrics": {"modularity": 0, "icp": 0, "ifn": 0, "ari_strict": 0.75, "kernel_packages": 0.5}, "packages": [], "graph": []}' > "$out"
`
	os.WriteFile(fake, []byte(script), 0o755)
	corpus := t.TempDir()
	os.WriteFile(filepath.Join(corpus, "fixture.json"), []byte(`{"example.com/fix/users": "u", "example.com/fix/orders": "o"}`), 0o644)
	c := config{trees: filepath.Join("..", "..", "internal", "pathblind", "testdata"), corpus: corpus, carve: fake, scratch: t.TempDir(), seeds: 2}
	r, err := scoreCase(context.Background(), c, "fixture", "normal")
	if err != nil {
		t.Fatal(err)
	}
	if r.metrics.ARIStrict == nil || *r.metrics.ARIStrict != 0.75 || r.metrics.KernelPackages != 0.5 || r.services != 1 || r.base.Seeds != 2 {
		t.Errorf("row %+v", r)
	}
	os.WriteFile(fake, []byte("#!/bin/sh\necho broken tree >&2\nexit 1\n"), 0o755)
	if _, err := scoreCase(context.Background(), c, "fixture", "normal"); err == nil || !strings.Contains(err.Error(), "broken tree") {
		t.Errorf("failing carve: %v", err)
	}
}
