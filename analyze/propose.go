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
	switch {
	case opts.Services < 0:
		return nil, badOption(fmt.Errorf("services: %d is not a count; use 0 to let modularity decide", opts.Services))
	case opts.Resolution < 0 || opts.Resolution != opts.Resolution:
		return nil, badOption(fmt.Errorf("resolution: %v must be more than 0 (1 is standard modularity)", opts.Resolution))
	case opts.Contract < 0 || opts.Contract > 1:
		return nil, badOption(fmt.Errorf("contract factor: %v must be in (0, 1]", opts.Contract))
	case opts.KernelShare < 0 || opts.KernelShare > 1:
		return nil, badOption(fmt.Errorf("kernel share: %v must be in (0, 1]", opts.KernelShare))
	}
	gamma := opts.Resolution
	if gamma == 0 {
		gamma = 1
	}
	contract := opts.Contract
	if contract == 0 {
		contract = graph.DefaultContract
	}
	share := opts.KernelShare
	if share == 0 {
		share = cluster.DefaultKernelShare
	}
	weights, err := signalWeights(opts.Config, opts.Signals)
	if err != nil {
		return nil, badOption(err)
	}
	g, err := graph.Build(f, weights, contract)
	if err != nil {
		return nil, err
	}
	cons, err := opts.Config.resolve(g.Paths)
	if err != nil {
		return nil, &load.InputError{Problem: "the config does not fit the module", Err: err}
	}
	ev := evidence.Gather(g, evidence.RoleDecl{Tool: cons.Tool, Root: cons.Root, Main: cons.Main}, f.Modules)
	var (
		labels   []int
		wiring   []bool
		tool     []bool
		warnings []string
		entry    map[int]int // service label → its entry package, where the structure gave one
	)
	// Pins and kernel marks are applied over the proposal made without them, so that the
	// packages carve.yaml does not name sit exactly where they sat: a plan edited in the TUI
	// and saved comes back as saved.
	base := cons.WithoutPlacements()
	var pl *evidence.Placement
	if ev.Trusted(g) && (opts.Services == 0 || opts.Services == len(ev.Entries)) {
		var warns []string
		pl, warns = evidence.Place(g, ev, base)
		if !pl.ExplainsRoutes(g) {
			pl = nil // the structure contradicts the entry points: coupling decides
		} else {
			warnings = warns
		}
	}
	if pl != nil {
		labels, wiring, tool = pl.Label, pl.Wiring, pl.Tool
		entry = map[int]int{}
		for _, p := range ev.Entries {
			if l := labels[p]; l >= 0 {
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
		kernel := cluster.DetectKernel(g, share, base.Kernel, barred)
		labels, wiring, warnings, err = cluster.Partition(g, kernel, base, gamma, opts.Seed, opts.Services)
		if err != nil {
			return nil, err
		}
		tool = make([]bool, len(g.Paths))
	}
	busKernel(g, f.Buses, labels, ev.Why)
	names := cluster.NameServices(g, labels, base.Pin, f.Modules, entry)
	labels, names = cluster.ApplyPins(labels, names, cons)

	module := ""
	if len(f.Modules) > 0 {
		module = f.Modules[0]
	}
	p := plan.New(module)
	if len(f.Modules) > 1 {
		p.Modules = append([]string(nil), f.Modules...)
	}
	p.Settings = plan.Settings{Seed: opts.Seed, Resolution: gamma, Services: opts.Services, Signals: usedWeights(weights, f.Signals), Contract: contract, KernelShare: share}
	for i, path := range g.Paths {
		pkg := plan.Package{Path: path, Main: g.Info[i].Main, Wiring: wiring[i], Tool: tool[i], Why: ev.Why[i], Lines: g.Info[i].Lines, Kernel: labels[i] == -1}
		if labels[i] >= 0 {
			pkg.Service = names[labels[i]]
		}
		for _, r := range g.Routes[i] {
			pr := plan.Route{Method: r.Method, Pattern: r.Pattern, Host: r.Host, Handler: r.Handler, Package: r.Package,
				Router: r.Router, PrefixUnresolved: r.PrefixUnresolved != "", PrefixExpr: r.PrefixUnresolved}
			if r.Site.File != "" {
				pr.Site = r.Site.String()
			}
			pkg.Routes = append(pkg.Routes, pr)
		}
		pkg.Tables = packageTables(g.Tables[i])
		pkg.Topics = packageTopics(g.Topics[i])
		p.Packages = append(p.Packages, pkg)
	}
	p.Graph = g.PlanEdges()
	p.Coverage = planCoverage(f.Coverage)

	for i, info := range g.Info {
		if len(info.Errors) > 0 {
			p.Warnings = append(p.Warnings, fmt.Sprintf("package %s has %d load error(s), analysed as far as possible; first: %s", g.Paths[i], len(info.Errors), info.Errors[0]))
		}
	}
	if g.Ignored > 0 {
		p.Warnings = append(p.Warnings, fmt.Sprintf("%d coupling(s) name packages outside the analysed packages and were ignored", g.Ignored))
	}
	p.Warnings = append(p.Warnings, warnings...)
	if opts.Truth != nil {
		var missing []string
		for path := range opts.Truth {
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
			p.Warnings = append(p.Warnings, fmt.Sprintf("truth: %d package(s) of the truth file are not in the module and were not scored: %s%s", len(missing), strings.Join(shown, ", "), more))
		}
	}
	if err := score.Score(p, opts.Truth); err != nil {
		if errors.Is(err, score.ErrTruthMismatch) {
			return nil, &load.InputError{Problem: "the truth does not fit the module", Err: err}
		}
		return nil, err
	}
	return p, nil
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
