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
	idx := make(map[string]int, len(p.Packages))
	for i, pkg := range p.Packages {
		if _, dup := idx[pkg.Path]; dup {
			return fmt.Errorf("plan: package %s is listed twice", pkg.Path)
		}
		idx[pkg.Path] = i
	}

	// Services, in their previous order, then new ones by name.
	present := map[string]bool{}
	for _, pkg := range p.Packages {
		switch {
		case pkg.Kernel && pkg.Service != "":
			return fmt.Errorf("plan: package %s is both kernel and in service %q; clear one", pkg.Path, pkg.Service)
		case !pkg.Kernel && pkg.Service == "" && (pkg.Wiring || pkg.Tool):
			// outside every service: a composition root or a tool
		case !pkg.Kernel && pkg.Service == "":
			return fmt.Errorf("plan: package %s is in no service and not kernel; put it in a service or mark it kernel", pkg.Path)
		case !pkg.Kernel:
			present[pkg.Service] = true
		}
	}
	svcIdx := map[string]int{}
	var names []string
	for _, s := range p.Services {
		if _, dup := svcIdx[s.Name]; present[s.Name] && !dup {
			svcIdx[s.Name] = len(names)
			names = append(names, s.Name)
		}
	}
	var fresh []string
	for s := range present {
		if _, ok := svcIdx[s]; !ok {
			fresh = append(fresh, s)
		}
	}
	sort.Strings(fresh)
	for _, s := range fresh {
		svcIdx[s] = len(names)
		names = append(names, s)
	}
	label := make([]int, len(p.Packages))
	for i, pkg := range p.Packages {
		switch {
		case pkg.Kernel:
			label[i] = -1
		case pkg.Service == "":
			label[i] = graph.Outside
		default:
			label[i] = svcIdx[pkg.Service]
		}
	}

	k := len(names)
	svcs := make([]plan.Service, k)
	type tableKey struct{ store, name string }
	svcTables := make([]map[tableKey]*plan.Table, k)
	for s := range svcs {
		svcs[s] = plan.Service{Name: names[s], Packages: []string{}, Routes: []plan.Route{}, Tables: []plan.Table{}}
		svcTables[s] = map[tableKey]*plan.Table{}
	}
	kernel := []string{}
	var wiring, tools []string
	shared := map[tableKey]map[string]string{} // table → service → access
	for i, pkg := range p.Packages {
		l := label[i]
		switch {
		case l == graph.Outside && pkg.Tool:
			tools = append(tools, pkg.Path)
			continue
		case l == graph.Outside:
			wiring = append(wiring, pkg.Path)
			continue
		case l < 0:
			kernel = append(kernel, pkg.Path)
			continue
		}
		sv := &svcs[l]
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
			if shared[key] == nil {
				shared[key] = map[string]string{}
			}
			shared[key][names[l]] = string(facts.Access(shared[key][names[l]]).Merge(facts.Access(t.Access)))
		}
	}
	sort.Strings(kernel)
	for s := range svcs {
		sv := &svcs[s]
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
	sharedTables := []plan.SharedTable{}
	for key, by := range shared {
		if len(by) < 2 {
			continue
		}
		st := plan.SharedTable{Name: key.name, Store: key.store}
		for svc, acc := range by {
			st.Services = append(st.Services, plan.TableAccessor{Service: svc, Access: acc})
		}
		sort.Slice(st.Services, func(i, j int) bool { return st.Services[i].Service < st.Services[j].Service })
		sharedTables = append(sharedTables, st)
	}
	sort.Slice(sharedTables, func(i, j int) bool {
		if sharedTables[i].Name != sharedTables[j].Name {
			return sharedTables[i].Name < sharedTables[j].Name
		}
		return sharedTables[i].Store < sharedTables[j].Store
	})

	// One pass over the package graph for edges and metrics.
	type pairAcc struct {
		edge plan.Edge
		// Example sites: calls from ordinary packages first (they become network calls), then
		// calls from main packages (wiring), then other couplings.
		callSites, mainSites, others []string
	}
	pairs := map[[2]int]*pairAcc{}
	in := make([]float64, k)
	out := make([]float64, k)
	deg := make([]float64, k)
	usedOutside := make([]bool, len(p.Packages))
	m := 0.0
	calls, cross := 0, 0
	for _, e := range p.Graph {
		i, ok := idx[e.From]
		if !ok {
			return fmt.Errorf("plan: graph edge %s → %s names a package not in the plan's packages", e.From, e.To)
		}
		j, ok := idx[e.To]
		if !ok {
			return fmt.Errorf("plan: graph edge %s → %s names a package not in the plan's packages", e.From, e.To)
		}
		li, lj := label[i], label[j]
		if li < 0 || lj < 0 || i == j {
			continue
		}
		w := e.Weight
		m += w
		deg[li] += w
		deg[lj] += w
		if li == lj {
			in[li] += w
			if !p.Packages[i].Wiring {
				calls += e.Calls
			}
			continue
		}
		out[li] += w
		out[lj] += w
		if p.Packages[i].Wiring {
			continue // a composition root's calls are wiring, not future network calls
		}
		calls += e.Calls
		cross += e.Calls
		uses := false
		refs := 0
		for s, c := range e.Signals {
			if c > 0 && graph.IsUseSignal(s) {
				uses = true
			}
		}
		for _, s := range refSignals {
			refs += int(e.Signals[s])
		}
		if !uses {
			continue // data or co-change only: no dependency of one service on the other
		}
		usedOutside[j] = true
		acc := pairs[[2]int{li, lj}]
		if acc == nil {
			acc = &pairAcc{edge: plan.Edge{From: names[li], To: names[lj]}}
			pairs[[2]int{li, lj}] = acc
		}
		acc.edge.Calls += e.Calls
		acc.edge.Refs += refs
		dst := &acc.others
		switch {
		case e.Calls > 0 && p.Packages[i].Main:
			dst = &acc.mainSites
		case e.Calls > 0:
			dst = &acc.callSites
		}
		if len(*dst) < facts.MaxSites {
			*dst = append(*dst, e.Sites[:min(len(e.Sites), facts.MaxSites-len(*dst))]...)
		}
	}
	edges := make([]plan.Edge, 0, len(pairs))
	for _, acc := range pairs {
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

	q := 0.0
	if m > 0 {
		for s := range k {
			q += in[s]/m - (deg[s]/(2*m))*(deg[s]/(2*m))
		}
	}
	ifn := make([]int, k)
	for i, u := range usedOutside {
		if u {
			ifn[label[i]]++
		}
	}
	meanIFN := 0.0
	for s := range svcs {
		meanIFN += float64(ifn[s])
		if t := in[s] + out[s]; t > 0 {
			svcs[s].Cohesion = graph.Round6(in[s] / t)
			svcs[s].Coupling = graph.Round6(out[s] / t)
		} else {
			svcs[s].Cohesion, svcs[s].Coupling = 1, 0
		}
	}
	if k > 0 {
		meanIFN /= float64(k)
	}
	metrics := plan.Metrics{Modularity: graph.Round6(q), IFN: graph.Round6(meanIFN)}
	if calls > 0 {
		metrics.ICP = graph.Round6(float64(cross) / float64(calls))
	}
	metrics.KernelPackages, metrics.KernelLines = kernelShare(p.Packages)
	metrics.ModularityAll, metrics.ICPAll = wholeMetrics(p.Packages, p.Graph)
	if truth != nil {
		ts, err := CompareTruth(p.Packages, truth)
		if err != nil {
			return err
		}
		ts.setMetrics(&metrics)
	}

	p.Services = svcs
	p.Kernel = kernel
	p.Wiring, p.Tools = wiring, tools
	p.SharedTables = sharedTables
	p.Edges = edges
	p.Metrics = metrics
	scoreTopics(p, label)
	return nil
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
