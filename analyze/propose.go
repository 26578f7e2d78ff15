package analyze

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/carve-dev/carve/analyze/cluster"
	"github.com/carve-dev/carve/analyze/evidence"
	"github.com/carve-dev/carve/analyze/facts"
	"github.com/carve-dev/carve/analyze/graph"
	"github.com/carve-dev/carve/analyze/load"
	"github.com/carve-dev/carve/analyze/score"

	"github.com/carve-dev/carve/analyze/plan"
)

// ErrNoPackages is wrapped in the *InputError Propose returns when the facts hold no package:
// there is nothing to split.
var ErrNoPackages = errors.New("no Go packages to analyse")

// Options steer Propose. The zero value asks for the defaults.
type Options struct {
	// Signals overrides signal weights, after DefaultSignals and the config's signals; a signal
	// absent here keeps its weight, a weight of 0 turns the signal off.
	Signals map[string]float64
	// Contract is the factor applied to contract couplings (Dep.Contract), in (0, 1]; 0 means
	// DefaultContract.
	Contract float64
	// Seed makes clustering deterministic: the same facts, options and seed give the same plan.
	Seed int64
	// Resolution is the modularity resolution γ: above 1 favours more, smaller services; below 1
	// fewer, bigger ones. 0 means 1.
	Resolution float64
	// Services is the number of services wanted; 0 lets modularity decide.
	Services int
	// KernelShare is the share of the module's packages that must use a package for it to be
	// shared kernel; 0 means DefaultKernelShare.
	KernelShare float64
	// Config holds carve.yaml's constraints; nil for none.
	Config *Config
	// Truth is a known decomposition (package → service) to score the plan against; nil for none.
	Truth map[string]string
}

// Propose turns facts about a module into a plan: the weighted package graph, the shared kernel,
// the services found by clustering under the config's constraints, their names and the metrics.
// Errors caused by its input (no packages, a bad option, a config or truth that does not fit
// the module) are *InputError.
func Propose(f *facts.Facts, opts Options) (*plan.Plan, error) {
	if f == nil || len(f.Packages) == 0 {
		return nil, &load.InputError{Problem: "nothing to split", Err: ErrNoPackages, Hint: "is the directory the module root, and does it hold packages with Go files?"}
	}
	set, err := opts.settings()
	if err != nil {
		return nil, err
	}
	weights, err := signalWeights(opts.Config, opts.Signals)
	if err != nil {
		return nil, badOption(err)
	}
	g, err := graph.Build(f, weights, set.Contract)
	if err != nil {
		return nil, err
	}
	cons, err := opts.Config.resolve(g.Paths)
	if err != nil {
		return nil, &load.InputError{Problem: "the config does not fit the module", Err: err}
	}
	pr, err := place(g, f, cons, set, opts.Seed)
	if err != nil {
		return nil, err
	}
	set.Signals = usedWeights(weights, f.Signals)
	p := newPlan(f, g, pr, set)
	p.Warnings = append(p.Warnings, warnings(g, pr.warnings, opts.Truth)...)
	if err := score.Score(p, opts.Truth); err != nil {
		if errors.Is(err, score.ErrTruthMismatch) {
			return nil, &load.InputError{Problem: "the truth does not fit the module", Err: err}
		}
		return nil, err
	}
	return p, nil
}

// settings checks the options and fills in the defaults, as the plan records them.
func (opts Options) settings() (plan.Settings, error) {
	switch {
	case opts.Services < 0:
		return plan.Settings{}, badOption(fmt.Errorf("services: %d is not a count; use 0 to let modularity decide", opts.Services))
	case opts.Resolution < 0 || opts.Resolution != opts.Resolution:
		return plan.Settings{}, badOption(fmt.Errorf("resolution: %v must be more than 0 (1 is standard modularity)", opts.Resolution))
	case opts.Contract < 0 || opts.Contract > 1:
		return plan.Settings{}, badOption(fmt.Errorf("contract factor: %v must be in (0, 1]", opts.Contract))
	case opts.KernelShare < 0 || opts.KernelShare > 1:
		return plan.Settings{}, badOption(fmt.Errorf("kernel share: %v must be in (0, 1]", opts.KernelShare))
	}
	set := plan.Settings{Seed: opts.Seed, Resolution: opts.Resolution, Services: opts.Services, Contract: opts.Contract, KernelShare: opts.KernelShare}
	if set.Resolution == 0 {
		set.Resolution = 1
	}
	if set.Contract == 0 {
		set.Contract = graph.DefaultContract
	}
	if set.KernelShare == 0 {
		set.KernelShare = cluster.DefaultKernelShare
	}
	return set, nil
}

// placement is where Propose puts each package: its service label (-1 kernel), whether it is
// wiring or a tool, why, and the services' names.
type placement struct {
	labels       []int
	wiring, tool []bool
	why          []string
	names        map[int]string
	warnings     []string
}

// place decides the services: by the module's structure when it is trusted and explains the
// entry points, else by modularity clustering of the weighted graph; then the bus packages go
// to the kernel, the services are named, and carve.yaml's pins and kernel marks are applied.
// Pins and kernel marks are applied over the proposal made without them, so that the packages
// carve.yaml does not name sit exactly where they sat: a plan edited in the TUI and saved comes
// back as saved.
func place(g *graph.Graph, f *facts.Facts, cons *cluster.Constraints, set plan.Settings, seed int64) (*placement, error) {
	ev := evidence.Gather(g, evidence.RoleDecl{Tool: cons.Tool, Root: cons.Root, Main: cons.Main}, f.Modules)
	base := cons.WithoutPlacements()
	pr := &placement{}
	var entry map[int]int // service label → its entry package, where the structure gave one
	if pl, warns := byStructure(g, ev, base, set.Services); pl != nil {
		pr.labels, pr.wiring, pr.tool, pr.warnings = pl.Label, pl.Wiring, pl.Tool, warns
		entry = map[int]int{}
		for _, p := range ev.Entries {
			if l := pr.labels[p]; l >= 0 {
				if _, ok := entry[l]; !ok {
					entry[l] = p
				}
			}
		}
	} else {
		// No structure to go by (one main, a flat tree) or a service count the structure does
		// not give: modularity clustering on the weighted graph decides.
		ev.Why = make([]string, len(g.Paths))
		barred := make([]bool, len(g.Paths))
		for _, grp := range cons.Together {
			for _, i := range grp {
				barred[i] = true
			}
		}
		for _, pair := range cons.Apart {
			barred[pair[0]], barred[pair[1]] = true, true
		}
		kernel := cluster.DetectKernel(g, set.KernelShare, base.Kernel, barred)
		var err error
		pr.labels, pr.wiring, pr.warnings, err = cluster.Partition(g, kernel, base, set.Resolution, seed, set.Services)
		if err != nil {
			return nil, err
		}
		pr.tool = make([]bool, len(g.Paths))
	}
	busKernel(g, f.Buses, pr.labels, ev.Why)
	names := cluster.NameServices(g, pr.labels, base.Pin, f.Modules, entry)
	pr.labels, pr.names = cluster.ApplyPins(pr.labels, names, cons)
	pr.why = ev.Why
	return pr, nil
}

// byStructure places the packages by the structural evidence, or returns nil when it is not
// trusted, gives another service count than asked, or contradicts the entry points.
func byStructure(g *graph.Graph, ev *evidence.Evidence, base *cluster.Constraints, services int) (*evidence.Placement, []string) {
	if !ev.Trusted(g) || (services != 0 && services != len(ev.Entries)) {
		return nil, nil
	}
	pl, warns := evidence.Place(g, ev, base)
	if !pl.ExplainsRoutes(g) {
		return nil, nil // the structure contradicts the entry points: coupling decides
	}
	return pl, warns
}

// newPlan writes the plan's packages, with their routes, tables and topics, and its graph.
func newPlan(f *facts.Facts, g *graph.Graph, pr *placement, set plan.Settings) *plan.Plan {
	module := ""
	if len(f.Modules) > 0 {
		module = f.Modules[0]
	}
	p := plan.New(module)
	if len(f.Modules) > 1 {
		p.Modules = append([]string(nil), f.Modules...)
	}
	p.Settings = set
	for i, path := range g.Paths {
		pkg := plan.Package{Path: path, Main: g.Info[i].Main, Wiring: pr.wiring[i], Tool: pr.tool[i], Why: pr.why[i], Lines: g.Info[i].Lines, Kernel: pr.labels[i] == -1}
		if pr.labels[i] >= 0 {
			pkg.Service = pr.names[pr.labels[i]]
		}
		for _, r := range g.Routes[i] {
			route := plan.Route{Method: r.Method, Pattern: r.Pattern, Host: r.Host, Handler: r.Handler, Package: r.Package,
				Router: r.Router, PrefixUnresolved: r.PrefixUnresolved != "", PrefixExpr: r.PrefixUnresolved}
			if r.Site.File != "" {
				route.Site = r.Site.String()
			}
			pkg.Routes = append(pkg.Routes, route)
		}
		pkg.Tables = packageTables(g.Tables[i])
		pkg.Topics = packageTopics(g.Topics[i])
		p.Packages = append(p.Packages, pkg)
	}
	p.Graph = g.PlanEdges()
	p.Coverage = planCoverage(f.Coverage)
	return p
}

// warnings are the plan's warnings: packages with load errors, couplings ignored, what placing
// the packages warned of, and truth packages not in the module.
func warnings(g *graph.Graph, placed []string, truth map[string]string) []string {
	var out []string
	for i, info := range g.Info {
		if len(info.Errors) > 0 {
			out = append(out, fmt.Sprintf("package %s has %d load error(s), analysed as far as possible; first: %s", g.Paths[i], len(info.Errors), info.Errors[0]))
		}
	}
	if g.Ignored > 0 {
		out = append(out, fmt.Sprintf("%d coupling(s) name packages outside the analysed packages and were ignored", g.Ignored))
	}
	out = append(out, placed...)
	var missing []string
	for path := range truth {
		if _, ok := g.Index[path]; !ok {
			missing = append(missing, path)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		shown := missing[:min(len(missing), 3)]
		more := ""
		if len(missing) > 3 {
			more = fmt.Sprintf(" and %d more", len(missing)-3)
		}
		out = append(out, fmt.Sprintf("truth: %d package(s) of the truth file are not in the module and were not scored: %s%s", len(missing), strings.Join(shown, ", "), more))
	}
	return out
}

// badOption reports an option the caller got wrong as bad input.
func badOption(err error) error { return &load.InputError{Problem: "bad option", Err: err} }

// packageTables merges a package's uses of each table.
func packageTables(uses []facts.TableUse) []plan.Table {
	type key struct{ store, name string }
	byKey := map[key]*plan.Table{}
	var keys []key
	for _, u := range uses {
		k := key{u.Store, u.Table}
		t, ok := byKey[k]
		if !ok {
			t = &plan.Table{Name: u.Table, Store: u.Store}
			byKey[k] = t
			keys = append(keys, k)
		}
		t.Access = string(facts.Access(t.Access).Merge(u.Access))
		t.KeyPrefixes = facts.MergeStrings(t.KeyPrefixes, u.KeyPrefixes)
		t.KeyAttributes = facts.MergeKeyAttributes(t.KeyAttributes, u.KeyAttributes)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].name != keys[j].name {
			return keys[i].name < keys[j].name
		}
		return keys[i].store < keys[j].store
	})
	out := make([]plan.Table, 0, len(keys))
	for _, k := range keys {
		out = append(out, *byKey[k])
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// planCoverage is the plan's form of the facts' coverage: nil when there is nothing to say.
func planCoverage(c facts.Coverage) *plan.Coverage {
	if len(c.Frameworks) == 0 && len(c.Unresolved) == 0 {
		return nil
	}
	out := &plan.Coverage{Frameworks: []plan.Framework{}}
	for _, fw := range c.Frameworks {
		out.Frameworks = append(out.Frameworks, plan.Framework{Name: fw.Name, Kind: fw.Kind, Uses: fw.Uses})
	}
	for _, u := range c.Unresolved {
		out.Unresolved = append(out.Unresolved, plan.Unresolved{Kind: u.Kind, Site: u.Site.String(), Call: u.Call, Why: u.Why})
	}
	return out
}
