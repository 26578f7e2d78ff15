package gen

import (
	"fmt"
	"strings"
	"testing"
	"text/tabwriter"

	"github.com/carve-dev/carve/analyze/score"
)

// Layout recovery: on every layout, normal and path-blind, carve's plan must find the planted
// services with a strict ARI (service packages only) of at least layoutBar on every seed (issue
// 10). The full ARI (service and shared packages, carve's kernel as one group) is reported.
const (
	layoutSeeds = 3
	layoutBar   = 0.9
	layoutMu    = 0.2
)

// recoveryLayouts are the layouts TestLayoutRecovery plants, small enough to analyse quickly:
// 5 services of 6 packages (8 in a hexagonal context, one per slot). TestRecovery covers flat.
var recoveryLayouts = []struct {
	name string
	o    Options
}{
	// One root over service directories (cmd/server, orders/api, orders/store, ...): the
	// flat layout with names, where the structure is read.
	{"flat,named", Options{Naming: Meaningful}},
	{"mains", Options{Layout: LayoutMains}},
	{"mains,tools", Options{Layout: "mains,tools"}},
	{"workspace", Options{Layout: LayoutWorkspace}},
	{"hexagonal", Options{Layout: LayoutHexagonal, PackagesPerService: len(hexagonalSlots)}},
	{"layered", Options{Layout: LayoutLayered}},
	{"generated", Options{Layout: LayoutGenerated}},
}

// knownGaps are the runs where carve is known to miss the bar, with the floor it must still
// reach (a regression guard) and why it misses. Each is printed; none is silent.
var knownGaps = map[string]struct {
	floor float64
	why   string
}{}

// layoutRun is how well carve recovered one generated module.
type layoutRun struct {
	layout, variant string
	seed            int
	strict, full    float64
	found, planted  int
	// qFound and qPlanted are the modularity of carve's split and of the planted one on carve's
	// weighted graph: a planted split scoring higher is an optimum the clustering missed.
	qFound, qPlanted float64
}

// kernelGroup is the label carve's kernel packages get when scored: one group.
const kernelGroup = "(kernel)"

// scoreLayout generates o, runs carve's pipeline on it and scores the plan: strict ARI on the
// service packages, full ARI on service and shared packages, and the modularity of both splits.
func scoreLayout(t *testing.T, o Options, r *layoutRun) {
	t.Helper()
	dir, res := generate(t, o)
	p := proposeFor(t, dir, res)
	labels := map[string]string{}
	for _, pkg := range p.Packages {
		labels[pkg.Path] = pkg.Service
		if pkg.Kernel {
			labels[pkg.Path] = kernelGroup
		}
	}
	for want := range res.Labels() {
		if _, ok := labels[want]; !ok {
			t.Errorf("%s %+v: carve's plan does not place %s", o.Layout, o, want)
		}
	}
	r.strict, r.full, r.found = score.ARI(labels, res.Truth), score.ARI(labels, res.Labels()), len(p.Services)
	r.qFound = p.Metrics.Modularity
	r.qPlanted = plantedModularity(t, p, res.Truth)
}

func TestLayoutRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("layout recovery analyses 36 generated modules")
	}
	var runs []layoutRun
	for _, l := range recoveryLayouts {
		for seed := 1; seed <= layoutSeeds; seed++ {
			for _, blind := range []bool{false, true} {
				o := l.o
				o.Services, o.Mixing, o.Seed, o.LinesPerPackage, o.Blind = 5, layoutMu, uint64(seed), 1, blind
				if o.PackagesPerService == 0 {
					o.PackagesPerService = 6
				}
				r := layoutRun{layout: l.name, variant: "normal", seed: seed, planted: o.Services}
				if blind {
					r.variant = "blind"
				}
				scoreLayout(t, o, &r)
				runs = append(runs, r)
				bar := layoutBar
				if gap, ok := knownGaps[r.layout+" "+r.variant]; ok {
					bar = gap.floor
					t.Logf("layout %s, %s: known gap, bar lowered to %.1f: %s", r.layout, r.variant, gap.floor, gap.why)
				}
				if r.strict < bar {
					t.Errorf("layout %s, seed %d, %s: strict ARI %.3f < %.1f (full %.3f; %d services found, %d planted)",
						r.layout, seed, r.variant, r.strict, bar, r.full, r.found, r.planted)
				}
			}
		}
	}
	t.Log("\n" + layoutTable(runs))
}

// layoutTable renders the runs of TestLayoutRecovery.
func layoutTable(runs []layoutRun) string {
	var b strings.Builder
	fmt.Fprintf(&b, "carve's plan against the planted services, 5 services, μ=%.1f; strict = service packages, full = with shared;\n"+
		"Q = modularity of carve's split and of the planted one on carve's graph (bar: strict ≥ %.1f):\n", layoutMu, layoutBar)
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprint(w, "layout\tseed\tvariant\tstrict ARI\tfull ARI\tservices found/planted\tQ carve/planted\t\n")
	for _, r := range runs {
		fmt.Fprintf(w, "%s\t%d\t%s\t%.3f\t%.3f\t%d/%d\t%.3f/%.3f\t\n", r.layout, r.seed, r.variant, r.strict, r.full, r.found, r.planted, r.qFound, r.qPlanted)
	}
	w.Flush()
	return b.String()
}
