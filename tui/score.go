package tui

import (
	"sort"

	"github.com/carve-dev/carve/analyze/plan"
)

// Scorer recomputes everything in a plan that follows from where its packages sit: the services
// (packages, routes, tables, cohesion, coupling), the kernel list, the shared tables, the
// service edges and the metrics. It reads only Packages and Graph, so a plan can be rescored
// without loading the module again. analyze.Score is the one carve analyze uses; Rescore is the
// TUI's own, used when no other is given.
type Scorer func(p *plan.Plan) error

// refSignals are the signals counted as a service edge's Refs: couplings other than calls that a
// split would have to turn into a contract.
var refSignals = [...]string{"types", "implements", "state"}

// Rescore is a Scorer computed from scratch in one pass over the packages and one over the
// package graph. Definitions (docs/plan.md): modularity is Newman's Q on the undirected weighted
// graph of the non-kernel packages; ICP is the share of static call sites that cross services;
// IFN is the mean, over services, of their packages used from another service; a service's
// cohesion is the share of its packages' coupling weight that stays inside it and its coupling
// the share that crosses to other services (edges to the kernel count for neither).
func Rescore(p *plan.Plan) error {
	svcOf := make(map[string]string, len(p.Packages))
	for _, pkg := range p.Packages {
		if !pkg.Kernel && pkg.Service != "" {
			svcOf[pkg.Path] = pkg.Service
		}
	}

	type acc struct {
		svc      plan.Service
		tables   map[string]int // table key → index in svc.Tables
		in, out  float64
		exported map[string]bool // packages used from another service
		intra    float64         // undirected weight inside (for Q)
		degree   float64         // sum of degrees (for Q)
	}
	byName := map[string]*acc{}
	var names []string
	kernel := []string{}
	for _, pkg := range p.Packages {
		if pkg.Kernel {
			kernel = append(kernel, pkg.Path)
			continue
		}
		if pkg.Service == "" {
			continue
		}
		a := byName[pkg.Service]
		if a == nil {
			a = &acc{svc: plan.Service{Name: pkg.Service, Packages: []string{}, Routes: []plan.Route{}, Tables: []plan.Table{}}, tables: map[string]int{}, exported: map[string]bool{}}
			byName[pkg.Service] = a
			names = append(names, pkg.Service)
		}
		a.svc.Packages = append(a.svc.Packages, pkg.Path)
		a.svc.Routes = append(a.svc.Routes, pkg.Routes...)
		for _, t := range pkg.Tables {
			k := t.Store + "\x00" + t.Name
			if i, ok := a.tables[k]; ok {
				have := &a.svc.Tables[i]
				have.Access = mergeAccess(have.Access, t.Access)
				have.KeyPrefixes = unionSorted(have.KeyPrefixes, t.KeyPrefixes)
				continue
			}
			a.tables[k] = len(a.svc.Tables)
			t.KeyPrefixes = unionSorted(nil, t.KeyPrefixes)
			a.svc.Tables = append(a.svc.Tables, t)
		}
	}
	sort.Strings(names)
	sort.Strings(kernel)

	type pair struct{ from, to string }
	edges := map[pair]*plan.Edge{}
	var total, totalCalls, crossCalls float64
	for _, e := range p.Graph {
		fs, fok := svcOf[e.From]
		ts, tok := svcOf[e.To]
		if !fok || !tok || e.From == e.To {
			continue
		}
		total += e.Weight
		totalCalls += float64(e.Calls)
		fa, ta := byName[fs], byName[ts]
		fa.degree += e.Weight
		ta.degree += e.Weight
		if fs == ts {
			fa.in += e.Weight
			fa.intra += e.Weight
			continue
		}
		fa.out += e.Weight
		ta.out += e.Weight
		crossCalls += float64(e.Calls)
		ta.exported[e.To] = true
		se := edges[pair{fs, ts}]
		if se == nil {
			se = &plan.Edge{From: fs, To: ts, Sites: []string{}}
			edges[pair{fs, ts}] = se
		}
		se.Calls += e.Calls
		for _, s := range refSignals {
			se.Refs += int(e.Signals[s])
		}
		for _, site := range e.Sites {
			if len(se.Sites) >= maxSites {
				break
			}
			se.Sites = append(se.Sites, site)
		}
	}

	p.Services = make([]plan.Service, 0, len(names))
	var q, ifn float64
	owners := map[string][]plan.TableAccessor{}
	stores := map[string]string{}
	for _, n := range names {
		a := byName[n]
		sort.Strings(a.svc.Packages)
		sort.SliceStable(a.svc.Routes, func(i, j int) bool {
			ri, rj := a.svc.Routes[i], a.svc.Routes[j]
			if ri.Pattern != rj.Pattern {
				return ri.Pattern < rj.Pattern
			}
			return ri.Method < rj.Method
		})
		sort.Slice(a.svc.Tables, func(i, j int) bool { return a.svc.Tables[i].Name < a.svc.Tables[j].Name })
		a.svc.Cohesion, a.svc.Coupling = 1, 0
		if w := a.in + a.out; w > 0 {
			a.svc.Cohesion, a.svc.Coupling = a.in/w, a.out/w
		}
		if total > 0 {
			q += a.intra/total - (a.degree/(2*total))*(a.degree/(2*total))
		}
		ifn += float64(len(a.exported))
		for _, t := range a.svc.Tables {
			k := t.Store + "\x00" + t.Name
			stores[k] = t.Store
			owners[k] = append(owners[k], plan.TableAccessor{Service: n, Access: t.Access})
		}
		p.Services = append(p.Services, a.svc)
	}

	p.Kernel = kernel
	p.SharedTables = []plan.SharedTable{}
	for k, acc := range owners {
		if len(acc) > 1 {
			name := k[len(stores[k])+1:]
			p.SharedTables = append(p.SharedTables, plan.SharedTable{Name: name, Store: stores[k], Services: acc})
		}
	}
	sort.Slice(p.SharedTables, func(i, j int) bool {
		a, b := p.SharedTables[i], p.SharedTables[j]
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.Store < b.Store
	})

	p.Edges = make([]plan.Edge, 0, len(edges))
	for _, e := range edges {
		p.Edges = append(p.Edges, *e)
	}
	sort.Slice(p.Edges, func(i, j int) bool {
		a, b := p.Edges[i], p.Edges[j]
		if a.From != b.From {
			return a.From < b.From
		}
		return a.To < b.To
	})

	p.Metrics.Modularity = q
	p.Metrics.ICP = 0
	if totalCalls > 0 {
		p.Metrics.ICP = crossCalls / totalCalls
	}
	p.Metrics.IFN = 0
	if len(names) > 0 {
		p.Metrics.IFN = ifn / float64(len(names))
	}
	// Agreement with a ground truth no longer describes an edited plan.
	p.Metrics.ARI, p.Metrics.MoJoFM = nil, nil
	return p.Validate()
}

// maxSites is how many example call sites a service edge keeps, as in analyze.
const maxSites = 5

func mergeAccess(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "" || a == b:
		return a
	default:
		return "readwrite"
	}
}

func unionSorted(a, b []string) []string {
	if len(b) == 0 {
		return a
	}
	seen := make(map[string]bool, len(a)+len(b))
	out := make([]string, 0, len(a)+len(b))
	for _, s := range append(append([]string(nil), a...), b...) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}
