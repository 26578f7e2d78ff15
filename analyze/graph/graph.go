package graph

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"

	"github.com/carve-dev/carve/analyze/facts"
	"github.com/carve-dev/carve/analyze/signals"

	"github.com/carve-dev/carve/analyze/plan"
)

// DefaultContract is the factor applied to a coupling that goes through a contract of the package
// depended upon (a DTO, a client, an interface: Dep.Contract) rather than its implementation.
// Services talk to each other through contracts, so a contract binds two packages a quarter as
// much as reaching into the implementation does.
const DefaultContract = 0.25

// DefaultSignals returns the default weight of each signal, a fresh map the caller may change.
// Each signal declares its weight, and why, in its own file (signals.Signal.Weight).
//
// A weight multiplies the damped count of a coupling (1+ln(count): the first call site counts 1,
// ten call sites 3.3, a hundred 5.6), so one package calling another a thousand times cannot
// outweigh the rest of the module. The import carries the unit weight and the other signals add
// to it; data and messaging add their own edges (see Build and buildAsync).
func DefaultSignals() map[string]float64 { return signals.DefaultWeights() }

// SignalOrder fixes the order in which signals are summed, so that weights are bit-for-bit the
// same whatever the order of Facts.Deps: the weighted signals, by name.
var SignalOrder = signals.Weighted()

// KnownSignal reports whether name is one of the signal names.
func KnownSignal(name string) bool { return slices.Contains(SignalOrder[:], name) }

// IsUseSignal reports whether s is a signal by which one package uses another: the direction
// means "From depends on To". Each signal says so itself (signals.IsUse): data, co-change and
// messaging are undirected.
func IsUseSignal(s string) bool { return useSignals[s] }

// useSignals are the names of the signals for which signals.IsUse holds.
var useSignals = func() map[string]bool {
	m := map[string]bool{}
	for _, s := range signals.Signals() {
		if signals.IsUse(s) {
			m[s.Name()] = true
		}
	}
	return m
}()

// damp turns a count into a weight: 0 for none, 1 for one, growing with the logarithm after.
func damp(n int) float64 {
	if n <= 0 {
		return 0
	}
	return 1 + math.Log(float64(n))
}

// dirEdge is everything the signals found from one package to another.
type dirEdge struct {
	from, to int
	plain    map[string]int // count per signal, implementation couplings
	contract map[string]int // count per signal, contract couplings
	data     int            // tables shared (stored on the pair's lower index → higher index)
	async    int            // topics From publishes and To consumes
	asyncW   float64        // async weight already multiplied by the messaging signal's weight
	dataW    float64        // data weight already multiplied by the data signal's weight
	weight   float64        // combined weight of this direction
	calls    int
	callSite []facts.Site
	other    []facts.Site
}

// Graph is the module's packages and the couplings between them.
type Graph struct {
	Paths  []string // sorted import paths
	Index  map[string]int
	Info   []facts.PackageInfo
	Routes [][]facts.RouteDecl
	Tables [][]facts.TableUse
	// Topics are each package's topic uses (messaging signal).
	Topics [][]facts.TopicUse
	edges  map[[2]int]*dirEdge // directed, keyed by (from, to)
	// Adj is the undirected combined weight between two packages: both directions summed.
	Adj []map[int]float64
	// Uses[to] lists the packages that use to (use signals only, either kind).
	Uses [][]int
	// Impl[from][to] counts implements couplings.
	Impl []map[int]int
	// Ignored counts deps that name a package outside the module.
	Ignored int
}

// Build combines the facts into a weighted package graph. weights maps signal → weight;
// contract is the factor for contract couplings.
func Build(f *facts.Facts, weights map[string]float64, contract float64) (*Graph, error) {
	g, err := newGraph(f)
	if err != nil {
		return nil, err
	}
	g.addDeps(f.Deps)
	g.addData(weights[facts.SignalData])
	g.buildAsync(f, weights[facts.SignalMessaging], g.edge)
	g.combine(weights, contract)
	return g, nil
}

// newGraph indexes the packages by import path, sorted, with their routes and tables.
func newGraph(f *facts.Facts) (*Graph, error) {
	g := &Graph{Index: map[string]int{}, edges: map[[2]int]*dirEdge{}}
	infos := slices.Clone(f.Packages)
	sort.Slice(infos, func(i, j int) bool { return infos[i].Path < infos[j].Path })
	for _, p := range infos {
		if p.Path == "" {
			return nil, fmt.Errorf("facts: a package has an empty import path (dir %q)", p.Dir)
		}
		if _, dup := g.Index[p.Path]; dup {
			return nil, fmt.Errorf("facts: package %s is listed twice", p.Path)
		}
		g.Index[p.Path] = len(g.Paths)
		g.Paths = append(g.Paths, p.Path)
		g.Info = append(g.Info, p)
	}
	n := len(g.Paths)
	g.Routes = make([][]facts.RouteDecl, n)
	g.Tables = make([][]facts.TableUse, n)
	g.Adj = make([]map[int]float64, n)
	g.Uses = make([][]int, n)
	g.Impl = make([]map[int]int, n)
	for i := range n {
		g.Adj[i] = map[int]float64{}
		g.Impl[i] = map[int]int{}
	}
	for _, r := range f.Routes {
		if i, ok := g.Index[r.Package]; ok {
			g.Routes[i] = append(g.Routes[i], r)
		}
	}
	for _, t := range f.Tables {
		if i, ok := g.Index[t.Package]; ok {
			g.Tables[i] = append(g.Tables[i], t)
		}
	}
	return g, nil
}

// edge returns the directed edge a → b, made on first use.
func (g *Graph) edge(a, b int) *dirEdge {
	k := [2]int{a, b}
	e := g.edges[k]
	if e == nil {
		e = &dirEdge{from: a, to: b, plain: map[string]int{}, contract: map[string]int{}}
		g.edges[k] = e
	}
	return e
}

// addDeps counts the coupling signals' dependencies on the directed edges; deps naming a
// package outside the module are counted in Ignored.
func (g *Graph) addDeps(deps []facts.Dep) {
	for _, d := range deps {
		a, okA := g.Index[d.From]
		b, okB := g.Index[d.To]
		if !okA || !okB {
			g.Ignored++
			continue
		}
		if a == b || d.Count <= 0 {
			continue
		}
		if !KnownSignal(d.Signal) || d.Signal == facts.SignalData || d.Signal == facts.SignalMessaging {
			// Data coupling is derived from Tables below; a dep that claims it is ignored so
			// that tables are not counted twice.
			continue
		}
		e := g.edge(a, b)
		if d.Contract {
			e.contract[d.Signal] += d.Count
		} else {
			e.plain[d.Signal] += d.Count
		}
		if d.Signal == facts.SignalCalls {
			e.calls += d.Count
			e.callSite = append(e.callSite, d.Sites...)
		} else {
			e.other = append(e.other, d.Sites...)
		}
		if d.Signal == facts.SignalImplements {
			g.Impl[a][b] += d.Count
		}
	}
}

// addData couples the packages touching the same table. Each package's coupling through one
// table is worth one data unit (weight) in total, shared among the other packages touching it,
// so a table every package touches does not glue the module into one lump.
func (g *Graph) addData(weight float64) {
	byTable := map[string][]int{}
	for i, ts := range g.Tables {
		for _, t := range ts {
			k := t.Store + "\x00" + t.Table
			if l := byTable[k]; len(l) == 0 || l[len(l)-1] != i {
				byTable[k] = append(byTable[k], i)
			}
		}
	}
	for _, k := range slices.Sorted(maps.Keys(byTable)) {
		ps := byTable[k]
		if len(ps) < 2 {
			continue
		}
		share := weight / float64(len(ps)-1)
		for x := range ps {
			for y := x + 1; y < len(ps); y++ {
				e := g.edge(ps[x], ps[y])
				e.data++
				e.dataW += share
			}
		}
	}
}

// combine weighs each directed edge, in a fixed order, and fills the undirected adjacency and
// who uses whom.
func (g *Graph) combine(weights map[string]float64, contract float64) {
	keys := slices.SortedFunc(maps.Keys(g.edges), func(a, b [2]int) int {
		if a[0] != b[0] {
			return a[0] - b[0]
		}
		return a[1] - b[1]
	})
	for _, k := range keys {
		e := g.edges[k]
		e.weight = e.combined(weights, contract)
		if e.weight > 0 {
			g.Adj[e.from][e.to] += e.weight
			g.Adj[e.to][e.from] += e.weight
		}
		if e.used() {
			g.Uses[e.to] = append(g.Uses[e.to], e.from)
		}
	}
}

// combined is the edge's weight: each signal's damped counts by its weight, contract couplings
// discounted, plus the data and async weights.
func (e *dirEdge) combined(weights map[string]float64, contract float64) float64 {
	// When everything A uses of B is B's contract (its DTOs, messages, interfaces), the
	// import itself is a contract coupling: A depends on B's published language only.
	onlyContract, anyContract := true, false
	for _, s := range SignalOrder {
		if s == facts.SignalImports || s == facts.SignalData || s == facts.SignalCoChange || s == facts.SignalMessaging {
			continue
		}
		if e.plain[s] > 0 {
			onlyContract = false
		}
		if e.contract[s] > 0 {
			anyContract = true
		}
	}
	w := 0.0
	for _, s := range SignalOrder {
		if s == facts.SignalData || s == facts.SignalMessaging {
			continue
		}
		plain, con := e.plain[s], e.contract[s]
		if s == facts.SignalImports && onlyContract && anyContract {
			plain, con = 0, plain+con
		}
		w += weights[s] * (damp(plain) + contract*damp(con))
	}
	return w + e.dataW + e.asyncW
}

// used reports whether the edge is a use (a call, a type, an implementation, shared state).
func (e *dirEdge) used() bool {
	for s, c := range e.plain {
		if c > 0 && IsUseSignal(s) {
			return true
		}
	}
	for s, c := range e.contract {
		if c > 0 && IsUseSignal(s) {
			return true
		}
	}
	return false
}

// PlanEdges returns the package edges of the plan: one per directed pair with any coupling,
// sorted by From then To.
func (g *Graph) PlanEdges() []plan.PackageEdge {
	keys := slices.SortedFunc(maps.Keys(g.edges), func(a, b [2]int) int {
		if c := cmpString(g.Paths[a[0]], g.Paths[b[0]]); c != 0 {
			return c
		}
		return cmpString(g.Paths[a[1]], g.Paths[b[1]])
	})
	out := make([]plan.PackageEdge, 0, len(keys))
	for _, k := range keys {
		e := g.edges[k]
		sig := map[string]float64{}
		for _, s := range SignalOrder {
			if c := e.plain[s] + e.contract[s]; c > 0 {
				sig[s] = float64(c)
			}
		}
		if e.data > 0 {
			sig[facts.SignalData] = float64(e.data)
		}
		if e.async > 0 {
			sig[facts.SignalMessaging] = float64(e.async)
		}
		if len(sig) == 0 {
			continue
		}
		out = append(out, plan.PackageEdge{
			From:    g.Paths[e.from],
			To:      g.Paths[e.to],
			Weight:  Round6(e.weight),
			Signals: sig,
			Calls:   e.calls,
			Sites:   siteStrings(e.callSite, e.other),
		})
	}
	return out
}

// siteStrings returns up to MaxSites distinct sites, call sites first, sorted within each kind.
func siteStrings(first, then []facts.Site) []string {
	var out []string
	seen := map[string]bool{}
	for _, group := range [][]facts.Site{first, then} {
		ss := slices.Clone(group)
		sort.Slice(ss, func(i, j int) bool {
			if ss[i].File != ss[j].File {
				return ss[i].File < ss[j].File
			}
			return ss[i].Line < ss[j].Line
		})
		for _, s := range ss {
			if len(out) == facts.MaxSites {
				return out
			}
			str := s.String()
			if s.File == "" || seen[str] {
				continue
			}
			seen[str] = true
			out = append(out, str)
		}
	}
	return out
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Round6 keeps six decimals: enough for any weight, and stable JSON.
func Round6(x float64) float64 { return math.Round(x*1e6) / 1e6 }

// Outside is the label Score gives a package in no service and not kernel: a composition root
// or a tool.
const Outside = -2

// Wires reports whether package from uses any of the packages to by imports, calls, type use or
// state, not only by implementing their interfaces.
func (g *Graph) Wires(from int, to []int) bool {
	for _, t := range to {
		e := g.edges[[2]int{from, t}]
		if e == nil {
			continue
		}
		for _, s := range [...]string{facts.SignalImports, facts.SignalCalls, facts.SignalTypes, facts.SignalState} {
			if e.plain[s]+e.contract[s] > 0 {
				return true
			}
		}
	}
	return false
}
