package score

import (
	"errors"
	"maps"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/carve-dev/carve/analyze/graph"

	"github.com/carve-dev/carve/analyze/plan"
)

// truthPlan: services a {a1, a2} and b {b1}, kernel {k1, k2}, w left out of both (a
// composition root), z in no truth.
func truthPlan() []plan.Package {
	return []plan.Package{
		{Path: "m/a1", Service: "a"}, {Path: "m/a2", Service: "a"}, {Path: "m/b1", Service: "b"},
		{Path: "m/w"}, {Path: "m/k1", Kernel: true}, {Path: "m/k2", Kernel: true}, {Path: "m/z", Service: "b"},
	}
}

// truthByHand: x {a1, a2}, y {b1, w}, shared {k1, k2}; m/gone is not in the module.
var truthByHand = map[string]string{"m/a1": "x", "m/a2": "x", "m/b1": "y", "m/w": "y", "m/k1": SharedLabel, "m/k2": SharedLabel, "m/gone": "x"}

// TestCompareTruthByHand checks strict and full ARI and MoJoFM computed by hand.
func TestCompareTruthByHand(t *testing.T) {
	got, err := CompareTruth(truthPlan(), truthByHand)
	if err != nil {
		t.Fatal(err)
	}
	// Strict, over a1 a2 b1 w: plan groups A A B {w}, truth x x y y. Contingency 2, 1, 1:
	// index 1; pair sums 1 (plan) and 2 (truth) of C(4,2) = 6: expected 1/3, max 1.5;
	// ARI (1 − 1/3) / (1.5 − 1/3) = 4/7. MoJo: no move; B and {w} both want y, one join:
	// mno 1; max mno 4 − 2 = 2: MoJoFM 50.
	want := Agreement{N: 4, ARI: graph.Round6(4.0 / 7), MoJoFM: 50}
	if got.Strict != want {
		t.Errorf("strict %+v, want %+v", got.Strict, want)
	}
	// Full adds k1 k2: kernel K K against shared s s. Index 2; pair sums 2 and 3 of 15:
	// expected 0.4, max 2.5; ARI 1.6 / 2.1 = 16/21. MoJo: mno 1 (the same join); max mno
	// 6 − 2 = 4: MoJoFM 75.
	want = Agreement{N: 6, ARI: graph.Round6(16.0 / 21), MoJoFM: 75}
	if got.Full != want {
		t.Errorf("full %+v, want %+v", got.Full, want)
	}
}

// TestCompareTruthKernelIsOneGroup: the plan's kernel counts for the full score only, as one
// group: splitting the shared packages between two services lowers full ARI, not strict.
func TestCompareTruthKernelIsOneGroup(t *testing.T) {
	pkgs := truthPlan()
	pkgs[4] = plan.Package{Path: "m/k1", Service: "a"}
	pkgs[5] = plan.Package{Path: "m/k2", Service: "b"}
	got, err := CompareTruth(pkgs, truthByHand)
	if err != nil {
		t.Fatal(err)
	}
	base, _ := CompareTruth(truthPlan(), truthByHand)
	if got.Strict != base.Strict {
		t.Errorf("strict changed with the kernel: %+v, was %+v", got.Strict, base.Strict)
	}
	if got.Full.ARI >= base.Full.ARI || got.Full.MoJoFM >= base.Full.MoJoFM {
		t.Errorf("shared packages spread over services scored %+v, not below the kernel's %+v", got.Full, base.Full)
	}
}

// TestCompareTruthLeftOutPackagesAreSingletons: two packages left out of every service and the
// kernel are two groups, not one: a plan cannot gain by leaving packages out together.
func TestCompareTruthLeftOutPackagesAreSingletons(t *testing.T) {
	pkgs := []plan.Package{{Path: "m/a"}, {Path: "m/b"}, {Path: "m/c", Service: "s"}, {Path: "m/d", Service: "s"}}
	truth := map[string]string{"m/a": "x", "m/b": "x", "m/c": "y", "m/d": "y"}
	got, err := CompareTruth(pkgs, truth)
	if err != nil {
		t.Fatal(err)
	}
	// Groups {a} {b} {c d} against {a b} {c d}: index 1, pair sums 1 and 2 of 6: expected 1/3,
	// max 1.5: ARI 4/7 (1 if a and b were one group).
	if got.Strict.ARI != graph.Round6(4.0/7) {
		t.Errorf("strict ARI %v, want 4/7", got.Strict.ARI)
	}
}

func TestCompareTruthOnlyShared(t *testing.T) {
	got, err := CompareTruth(truthPlan(), map[string]string{"m/k1": SharedLabel, "m/a1": SharedLabel})
	if err != nil {
		t.Fatal(err)
	}
	if got.Strict.N != 0 || got.Full.N != 2 {
		t.Errorf("strict %+v full %+v: want an empty strict set and 2 full", got.Strict, got.Full)
	}
	var m plan.Metrics
	got.setMetrics(&m)
	if m.ARIStrict != nil || m.MoJoFMStrict != nil || m.ARIFull == nil || *m.ARI != *m.ARIFull {
		t.Errorf("metrics %+v: want no strict scores and ari = ari_full", m)
	}
}

func TestCompareTruthNamesNoPackage(t *testing.T) {
	_, err := CompareTruth(truthPlan(), map[string]string{"other/x": "x"})
	if !errors.Is(err, ErrTruthMismatch) {
		t.Fatalf("err %v, want ErrTruthMismatch", err)
	}
}

// TestScoreRecordsStrictAndFull: Score puts the strict and full scores in the plan's metrics,
// and ari/mojofm keep meaning every truth package (the full set).
func TestScoreRecordsStrictAndFull(t *testing.T) {
	p := plan.New("m")
	for _, pkg := range truthPlan() {
		if pkg.Service == "" && !pkg.Kernel {
			pkg.Service = "w" // Score wants every package in a service or the kernel
		}
		p.Packages = append(p.Packages, pkg)
	}
	if err := Score(p, truthByHand); err != nil {
		t.Fatal(err)
	}
	m := p.Metrics
	if m.ARIStrict == nil || m.ARIFull == nil || m.MoJoFMStrict == nil || m.MoJoFMFull == nil {
		t.Fatalf("metrics %+v: want strict and full scores", m)
	}
	if *m.ARI != *m.ARIFull || *m.MoJoFM != *m.MoJoFMFull {
		t.Errorf("ari %v mojofm %v, want the full %v %v", *m.ARI, *m.MoJoFM, *m.ARIFull, *m.MoJoFMFull)
	}
	if math.Abs(*m.ARIStrict-graph.Round6(4.0/7)) > 1e-9 || *m.MoJoFMStrict != 50 {
		t.Errorf("strict ARI %v MoJoFM %v, want 4/7 and 50", *m.ARIStrict, *m.MoJoFMStrict)
	}
}

func TestWriteTruthRoundTrip(t *testing.T) {
	file := filepath.Join(t.TempDir(), "truth.json")
	want := map[string]string{"m/b": SharedLabel, "m/a": "x<y>"}
	if err := WriteTruth(file, want); err != nil {
		t.Fatal(err)
	}
	got, err := ReadTruth(file)
	if err != nil || !maps.Equal(got, want) {
		t.Errorf("read back %v, %v; want %v", got, err, want)
	}
	if err := WriteTruth(filepath.Join(file, "no", "dir"), want); err == nil || !strings.Contains(err.Error(), "write truth file") {
		t.Errorf("unwritable path: %v", err)
	}
}
