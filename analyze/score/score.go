package score

import (
	"fmt"
	"slices"
	"sort"

	"github.com/carve-dev/carve/analyze/facts"
	"github.com/carve-dev/carve/analyze/graph"

	"github.com/carve-dev/carve/analyze/plan"
)

// kernelLabel is the group kernel packages form when a plan is compared with a truth file.
const kernelLabel = "\x00kernel"

// refSignals are the couplings counted as Edge.Refs: uses other than calls and imports.
var refSignals = [...]string{facts.SignalTypes, facts.SignalImplements, facts.SignalState}

// Score recomputes everything in p that follows from where its packages are: the services (their
// packages, routes and tables), the kernel, the shared tables, the service edges and the metrics.
// It reads only p.Packages and p.Graph, so a tool that moves a package (the TUI) calls Score and
// gets a consistent plan without loading the module again. Services keep their order in p;
// services that appear are appended by name, services left empty disappear.
//
// With a truth (package import path → service name), ARI and MoJoFM are computed over the
// packages both name; kernel packages count as one group. An error means the plan is
// inconsistent (a package in no service and not kernel, an edge naming an unknown package) or the
// truth names none of the plan's packages.
func Score(p *plan.Plan, truth map[string]string) error {
	idx, err := indexPackages(p.Packages)
	if err != nil {
		return err
	}
	names, err := serviceOrder(p)
	if err != nil {
		return err
	}
	label := labels(p.Packages, names)
	pl := placeServices(p.Packages, label, names)
	f, err := measure(p, idx, label, len(names))
	if err != nil {
		return err
	}
	metrics := f.metrics(pl.svcs, label)
	metrics.KernelPackages, metrics.KernelLines = kernelShare(p.Packages)
	metrics.ModularityAll, metrics.ICPAll = wholeMetrics(p.Packages, p.Graph)
	if truth != nil {
		ts, err := CompareTruth(p.Packages, truth)
		if err != nil {
			return err
		}
		ts.setMetrics(&metrics)
	}

	p.Services = pl.svcs
	p.Kernel = pl.kernel
	p.Wiring, p.Tools = pl.wiring, pl.tools
	p.SharedTables = pl.sharedTables()
	p.Edges = f.edges(names)
	p.Metrics = metrics
	scoreTopics(p, label)
	return nil
}

// indexPackages maps each package path to its index in pkgs, refusing duplicates.
func indexPackages(pkgs []plan.Package) (map[string]int, error) {
	idx := make(map[string]int, len(pkgs))
	for i, pkg := range pkgs {
		if _, dup := idx[pkg.Path]; dup {
			return nil, fmt.Errorf("plan: package %s is listed twice", pkg.Path)
		}
		idx[pkg.Path] = i
	}
	return idx, nil
}

// serviceOrder names the services packages are in: those of p.Services in their order, then
// new ones by name. It refuses a package both kernel and in a service, or in neither (unless
// it is wiring or a tool).
func serviceOrder(p *plan.Plan) ([]string, error) {
	present := map[string]bool{}
	for _, pkg := range p.Packages {
		switch {
		case pkg.Kernel && pkg.Service != "":
			return nil, fmt.Errorf("plan: package %s is both kernel and in service %q; clear one", pkg.Path, pkg.Service)
		case !pkg.Kernel && pkg.Service == "" && (pkg.Wiring || pkg.Tool):
			// outside every service: a composition root or a tool
		case !pkg.Kernel && pkg.Service == "":
			return nil, fmt.Errorf("plan: package %s is in no service and not kernel; put it in a service or mark it kernel", pkg.Path)
		case !pkg.Kernel:
			present[pkg.Service] = true
		}
	}
	seen := map[string]bool{}
	var names []string
	for _, s := range p.Services {
		if present[s.Name] && !seen[s.Name] {
			seen[s.Name] = true
			names = append(names, s.Name)
		}
	}
	var fresh []string
	for s := range present {
		if !seen[s] {
			fresh = append(fresh, s)
		}
	}
	sort.Strings(fresh)
	return append(names, fresh...), nil
}

// labels gives each package its service index: -1 for the kernel, graph.Outside for wiring
// and tools.
func labels(pkgs []plan.Package, names []string) []int {
	svcIdx := make(map[string]int, len(names))
	for i, n := range names {
		svcIdx[n] = i
	}
	label := make([]int, len(pkgs))
	for i, pkg := range pkgs {
		switch {
		case pkg.Kernel:
			label[i] = -1
		case pkg.Service == "":
			label[i] = graph.Outside
		default:
			label[i] = svcIdx[pkg.Service]
		}
	}
	return label
}

type tableKey struct{ store, name string }

// placement is where the packages are: each service's packages, routes and tables, the kernel,
// the wiring, the tools, and per table the access of each service touching it.
type placement struct {
	svcs                  []plan.Service
	kernel, wiring, tools []string
	shared                map[tableKey]map[string]string // table → service → access
}

// placeServices fills the services from their packages.
func placeServices(pkgs []plan.Package, label []int, names []string) *placement {
	k := len(names)
	pl := &placement{svcs: make([]plan.Service, k), kernel: []string{}, shared: map[tableKey]map[string]string{}}
	svcTables := make([]map[tableKey]*plan.Table, k)
	for s := range pl.svcs {
		pl.svcs[s] = plan.Service{Name: names[s], Packages: []string{}, Routes: []plan.Route{}, Tables: []plan.Table{}}
		svcTables[s] = map[tableKey]*plan.Table{}
	}
	for i, pkg := range pkgs {
		l := label[i]
		switch {
		case l == graph.Outside && pkg.Tool:
			pl.tools = append(pl.tools, pkg.Path)
			continue
		case l == graph.Outside:
			pl.wiring = append(pl.wiring, pkg.Path)
			continue
		case l < 0:
			pl.kernel = append(pl.kernel, pkg.Path)
			continue
		}
		sv := &pl.svcs[l]
		sv.Packages = append(sv.Packages, pkg.Path)
		if !pkg.Wiring {
			// A composition root's own routes (a health check, debug endpoints) are the
			// monolith's: moving them with a service would take them from the monolith.
			sv.Routes = append(sv.Routes, pkg.Routes...)
		}
		for _, t := range pkg.Tables {
			key := tableKey{t.Store, t.Name}
			if cur, ok := svcTables[l][key]; ok {
				cur.Access = string(facts.Access(cur.Access).Merge(facts.Access(t.Access)))
				cur.KeyPrefixes = facts.MergeStrings(cur.KeyPrefixes, t.KeyPrefixes)
				cur.KeyAttributes = facts.MergeKeyAttributes(cur.KeyAttributes, t.KeyAttributes)
			} else {
				tc := t
				tc.KeyPrefixes = facts.MergeStrings(nil, t.KeyPrefixes)
				tc.KeyAttributes = facts.MergeKeyAttributes(nil, t.KeyAttributes)
				svcTables[l][key] = &tc
			}
			if pl.shared[key] == nil {
				pl.shared[key] = map[string]string{}
			}
			pl.shared[key][names[l]] = string(facts.Access(pl.shared[key][names[l]]).Merge(facts.Access(t.Access)))
		}
	}
	sort.Strings(pl.kernel)
	for s := range pl.svcs {
		sv := &pl.svcs[s]
		sort.Strings(sv.Packages)
		sort.SliceStable(sv.Routes, func(i, j int) bool {
			a, b := sv.Routes[i], sv.Routes[j]
			if a.Pattern != b.Pattern {
				return a.Pattern < b.Pattern
			}
			if a.Method != b.Method {
				return a.Method < b.Method
			}
			return a.Handler < b.Handler
		})
		for _, t := range svcTables[s] {
			sv.Tables = append(sv.Tables, *t)
		}
		sort.Slice(sv.Tables, func(i, j int) bool {
			if sv.Tables[i].Name != sv.Tables[j].Name {
				return sv.Tables[i].Name < sv.Tables[j].Name
			}
			return sv.Tables[i].Store < sv.Tables[j].Store
		})
	}
	return pl
}

// sharedTables lists the tables more than one service touches, by name.
func (pl *placement) sharedTables() []plan.SharedTable {
	out := []plan.SharedTable{}
	for key, by := range pl.shared {
		if len(by) < 2 {
			continue
		}
		st := plan.SharedTable{Name: key.name, Store: key.store}
		for svc, acc := range by {
			st.Services = append(st.Services, plan.TableAccessor{Service: svc, Access: acc})
		}
		sort.Slice(st.Services, func(i, j int) bool { return st.Services[i].Service < st.Services[j].Service })
		out = append(out, st)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].Store < out[j].Store
	})
	return out
}

// pairAcc accumulates one service edge. Example sites: calls from ordinary packages first (they
// become network calls), then calls from main packages (wiring), then other couplings.
type pairAcc struct {
	edge                         plan.Edge
	callSites, mainSites, others []string
}

// flow is what one pass over the package graph finds: the weight within and across services,
// the service edges, and which packages other services use.
type flow struct {
	pairs        map[[2]int]*pairAcc
	in, out, deg []float64
	usedOutside  []bool
	m            float64
	calls, cross int
}

// measure makes the pass over p.Graph.
func measure(p *plan.Plan, idx map[string]int, label []int, k int) (*flow, error) {
	f := &flow{pairs: map[[2]int]*pairAcc{}, in: make([]float64, k), out: make([]float64, k), deg: make([]float64, k), usedOutside: make([]bool, len(p.Packages))}
	for _, e := range p.Graph {
		i, ok := idx[e.From]
		if !ok {
			return nil, fmt.Errorf("plan: graph edge %s → %s names a package not in the plan's packages", e.From, e.To)
		}
		j, ok := idx[e.To]
		if !ok {
			return nil, fmt.Errorf("plan: graph edge %s → %s names a package not in the plan's packages", e.From, e.To)
		}
		li, lj := label[i], label[j]
		if li < 0 || lj < 0 || i == j {
			continue
		}
		w := e.Weight
		f.m += w
		f.deg[li] += w
		f.deg[lj] += w
		if li == lj {
			f.in[li] += w
			if !p.Packages[i].Wiring {
				f.calls += e.Calls
			}
			continue
		}
		f.out[li] += w
		f.out[lj] += w
		if p.Packages[i].Wiring {
			continue // a composition root's calls are wiring, not future network calls
		}
		f.calls += e.Calls
		f.cross += e.Calls
		f.cross1(e, li, lj, j, p.Packages[i].Main)
	}
	return f, nil
}

// cross1 records an edge between packages of two services (li → lj, j the used package).
func (f *flow) cross1(e plan.PackageEdge, li, lj, j int, fromMain bool) {
	uses := false
	for s, c := range e.Signals {
		if c > 0 && graph.IsUseSignal(s) {
			uses = true
		}
	}
	if !uses {
		return // data or co-change only: no dependency of one service on the other
	}
	refs := 0
	for _, s := range refSignals {
		refs += int(e.Signals[s])
	}
	f.usedOutside[j] = true
	acc := f.pairs[[2]int{li, lj}]
	if acc == nil {
		acc = &pairAcc{}
		f.pairs[[2]int{li, lj}] = acc
	}
	acc.edge.Calls += e.Calls
	acc.edge.Refs += refs
	dst := &acc.others
	switch {
	case e.Calls > 0 && fromMain:
		dst = &acc.mainSites
	case e.Calls > 0:
		dst = &acc.callSites
	}
	if len(*dst) < facts.MaxSites {
		*dst = append(*dst, e.Sites[:min(len(e.Sites), facts.MaxSites-len(*dst))]...)
	}
}

// edges lists the service edges by name, each with up to facts.MaxSites example sites.
func (f *flow) edges(names []string) []plan.Edge {
	edges := make([]plan.Edge, 0, len(f.pairs))
	for pair, acc := range f.pairs {
		acc.edge.From, acc.edge.To = names[pair[0]], names[pair[1]]
		acc.edge.Sites = []string{}
		seen := map[string]bool{}
		for _, site := range slices.Concat(acc.callSites, acc.mainSites, acc.others) {
			if !seen[site] && len(acc.edge.Sites) < facts.MaxSites {
				seen[site] = true
				acc.edge.Sites = append(acc.edge.Sites, site)
			}
		}
		edges = append(edges, acc.edge)
	}
	sort.Slice(edges, func(i, j int) bool {
		if edges[i].From != edges[j].From {
			return edges[i].From < edges[j].From
		}
		return edges[i].To < edges[j].To
	})
	return edges
}

// metrics computes modularity, ICP and IFN, and sets each service's cohesion and coupling.
func (f *flow) metrics(svcs []plan.Service, label []int) plan.Metrics {
	k := len(svcs)
	q := 0.0
	if f.m > 0 {
		for s := range k {
			q += f.in[s]/f.m - (f.deg[s]/(2*f.m))*(f.deg[s]/(2*f.m))
		}
	}
	ifn := make([]int, k)
	for i, u := range f.usedOutside {
		if u {
			ifn[label[i]]++
		}
	}
	meanIFN := 0.0
	for s := range svcs {
		meanIFN += float64(ifn[s])
		if t := f.in[s] + f.out[s]; t > 0 {
			svcs[s].Cohesion = graph.Round6(f.in[s] / t)
			svcs[s].Coupling = graph.Round6(f.out[s] / t)
		} else {
			svcs[s].Cohesion, svcs[s].Coupling = 1, 0
		}
	}
	if k > 0 {
		meanIFN /= float64(k)
	}
	metrics := plan.Metrics{Modularity: graph.Round6(q), IFN: graph.Round6(meanIFN)}
	if f.calls > 0 {
		metrics.ICP = graph.Round6(float64(f.cross) / float64(f.calls))
	}
	return metrics
}

func anyKey(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) == 0 {
		return "(none)"
	}
	return keys[0]
}
