package analyze

import (
	"bytes"
	"errors"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/carve-dev/carve/analyze/cluster"
	"github.com/carve-dev/carve/analyze/facts"
	"github.com/carve-dev/carve/analyze/graph"
	"github.com/carve-dev/carve/analyze/internal/factstest"
	"github.com/carve-dev/carve/analyze/load"
	"github.com/carve-dev/carve/analyze/score"

	"github.com/carve-dev/carve/analyze/plan"
)

const shop = "example.com/shop"

func propose(t *testing.T, f *facts.Facts, opts Options) *plan.Plan {
	t.Helper()
	p, err := Propose(f, opts)
	if err != nil {
		t.Fatalf("Propose: %v", err)
	}
	if err := p.Validate(); err != nil {
		t.Fatalf("plan does not validate: %v", err)
	}
	return p
}

func TestProposeShop(t *testing.T) {
	p := propose(t, shopFacts(), Options{})
	if got := p.ServiceNames(); !slices.Equal(got, []string{"orders", "payments", "users"}) {
		t.Fatalf("services %v, want orders, payments, users\n%v", got, partitionOf(p))
	}
	if !slices.Equal(p.Kernel, []string{shop + "/platform/log"}) {
		t.Errorf("kernel %v, want the logging package", p.Kernel)
	}
	for _, svc := range []string{"orders", "payments", "users"} {
		for _, pkg := range []string{shop + "/" + svc, shop + "/" + svc + "/http", shop + "/" + svc + "/store"} {
			if got := serviceOf(t, p, pkg); got != svc {
				t.Errorf("%s is in %q, want %q", pkg, got, svc)
			}
		}
	}
	orders := p.Service("orders")
	if len(orders.Routes) != 2 || len(orders.Tables) != 1 || orders.Tables[0].Name != "orders" {
		t.Errorf("orders routes %v tables %v", orders.Routes, orders.Tables)
	}
	// The orders handler reads the users store directly: an edge orders → users with its site.
	var toUsers *plan.Edge
	for i, e := range p.Edges {
		if e.From == "orders" && e.To == "users" {
			toUsers = &p.Edges[i]
		}
	}
	if toUsers == nil || toUsers.Calls == 0 || len(toUsers.Sites) == 0 {
		t.Fatalf("no orders → users edge with calls and sites: %+v", p.Edges)
	}
	if p.Metrics.Modularity <= 0.3 || p.Metrics.ICP <= 0 || p.Metrics.ICP >= 0.5 {
		t.Errorf("metrics %+v: want Q > 0.3 and 0 < ICP < 0.5", p.Metrics)
	}
	if p.Metrics.ARI != nil || p.Metrics.MoJoFM != nil {
		t.Errorf("ARI/MoJoFM set without a truth")
	}
	// The plan survives a round trip through its JSON encoding.
	var buf bytes.Buffer
	if err := p.Write(&buf); err != nil {
		t.Fatal(err)
	}
	if _, err := plan.Read(&buf); err != nil {
		t.Fatalf("plan does not read back: %v", err)
	}
}

// TestAdapterJoinsItsOwner: orders/paymentsgw implements orders' port but is coupled more
// strongly to payments, which it calls; it has no import of orders, and only main wires it.
func TestAdapterJoinsItsOwner(t *testing.T) {
	f := shopFacts()
	g, err := graph.Build(f, graph.DefaultSignals(), graph.DefaultContract)
	if err != nil {
		t.Fatal(err)
	}
	gw := g.Index[shop+"/orders/paymentsgw"]
	toPayments, toOrders := g.Adj[gw][g.Index[shop+"/payments"]], g.Adj[gw][g.Index[shop+"/orders"]]
	if toPayments <= toOrders {
		t.Fatalf("fixture too easy: adapter weight to payments %.2f ≤ to orders %.2f", toPayments, toOrders)
	}
	p := propose(t, f, Options{})
	if got := serviceOf(t, p, shop+"/orders/paymentsgw"); got != "orders" {
		t.Fatalf("adapter in %q, want orders\n%v", got, partitionOf(p))
	}
}

// TestKernelDoesNotGlue: a utility every package uses is kernel, and the services stay apart
// even though each is tied to the others through it.
func TestKernelDoesNotGlue(t *testing.T) {
	b := factstest.New("example.com/m")
	svcs := []string{"alpha", "beta", "gamma", "delta"}
	for _, s := range svcs {
		h, d := "example.com/m/"+s+"/web", "example.com/m/"+s
		b.Pkg(h, 100).Pkg(d, 100).Route(h, "GET", "/"+s)
		b.Use(h, d, 3)
	}
	b.Pkg("example.com/m/util", 50)
	for _, s := range svcs {
		// Heavy use of the utility: without a kernel it would be the module's hub.
		b.Use("example.com/m/"+s+"/web", "example.com/m/util", 20)
		b.Use("example.com/m/"+s, "example.com/m/util", 20)
	}
	p := propose(t, b.F, Options{})
	if !slices.Equal(p.Kernel, []string{"example.com/m/util"}) {
		t.Fatalf("kernel %v, want the utility", p.Kernel)
	}
	if len(p.Services) != len(svcs) {
		t.Fatalf("%d services, want %d: %v", len(p.Services), len(svcs), partitionOf(p))
	}
	for _, s := range p.Services {
		if len(s.Packages) != 2 || !strings.HasPrefix(s.Packages[1], s.Packages[0]) {
			t.Errorf("service %s = %v, want one domain and its web package", s.Name, s.Packages)
		}
	}
	// Marked as a service package, the utility is not kernel.
	cfg := mustConfig(t, "services:\n  util: [example.com/m/util]\n")
	p = propose(t, b.F, Options{Config: cfg})
	if len(p.Kernel) != 0 || serviceOf(t, p, "example.com/m/util") != "util" {
		t.Fatalf("pinned utility: kernel %v, service %q", p.Kernel, serviceOf(t, p, "example.com/m/util"))
	}
}

func TestKernelNeedsLeaf(t *testing.T) {
	// A package used by everyone but using many non-kernel packages itself is a hub of the
	// domain, not a library.
	b := factstest.New("example.com/m")
	var all []string
	for i := range 6 {
		p := "example.com/m/p" + string(rune('a'+i))
		b.Pkg(p, 10)
		all = append(all, p)
	}
	b.Pkg("example.com/m/hub", 10)
	for _, p := range all {
		b.Use(p, "example.com/m/hub", 1)
		b.Use("example.com/m/hub", p, 1)
	}
	g, err := graph.Build(b.F, graph.DefaultSignals(), graph.DefaultContract)
	if err != nil {
		t.Fatal(err)
	}
	k := cluster.DetectKernel(g, 0, make([]bool, len(g.Paths)), make([]bool, len(g.Paths)))
	if slices.Contains(k, true) {
		t.Fatalf("kernel %v, want none: the hub uses six packages", k)
	}
}

func TestProposeDeterministic(t *testing.T) {
	f, truth := plantedFacts(3, 6, 8, 0.25, 2)
	var first []byte
	for i := range 3 {
		p := propose(t, f, Options{Seed: 42, Truth: truth})
		var buf bytes.Buffer
		if err := p.Write(&buf); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = buf.Bytes()
		} else if !bytes.Equal(first, buf.Bytes()) {
			t.Fatalf("run %d gave a different plan for the same seed", i)
		}
	}
	// Shuffling the order of the facts changes nothing either.
	r := rand.New(rand.NewPCG(1, 2))
	g := *f
	g.Packages = slices.Clone(f.Packages)
	g.Deps = slices.Clone(f.Deps)
	r.Shuffle(len(g.Packages), func(i, j int) { g.Packages[i], g.Packages[j] = g.Packages[j], g.Packages[i] })
	r.Shuffle(len(g.Deps), func(i, j int) { g.Deps[i], g.Deps[j] = g.Deps[j], g.Deps[i] })
	p := propose(t, &g, Options{Seed: 42, Truth: truth})
	var buf bytes.Buffer
	p.Write(&buf)
	if !bytes.Equal(first, buf.Bytes()) {
		t.Fatalf("shuffled facts gave a different plan")
	}
}

// rename applies a bijection of import paths to facts.
func rename(f *facts.Facts, to map[string]string) *facts.Facts {
	g := &facts.Facts{Modules: f.Modules, Root: f.Root}
	for _, p := range f.Packages {
		if p.Dir == p.Path {
			p.Dir = to[p.Path]
		}
		p.Path = to[p.Path]
		var imports []string
		for _, imp := range p.Imports {
			if nw, ok := to[imp]; ok {
				imp = nw
			}
			imports = append(imports, imp)
		}
		p.Imports = imports
		g.Packages = append(g.Packages, p)
	}
	for _, d := range f.Deps {
		d.From, d.To = to[d.From], to[d.To]
		g.Deps = append(g.Deps, d)
	}
	for _, u := range f.Tables {
		u.Package = to[u.Package]
		g.Tables = append(g.Tables, u)
	}
	for _, r := range f.Routes {
		r.Package = to[r.Package]
		g.Routes = append(g.Routes, r)
	}
	return g
}

// TestRenamingKeepsPartition: the partition must not depend on package names. Each case renames
// the path elements by a random bijection (the directory tree keeps its shape, as in a
// path-blind copy: the structure may read the shape, never the names) and checks that the same
// packages end up together.
func TestRenamingKeepsPartition(t *testing.T) {
	planted, _ := plantedFacts(5, 5, 6, 0.2, 1)
	for name, f := range map[string]*facts.Facts{"shop": shopFacts(), "planted": planted} {
		t.Run(name, func(t *testing.T) {
			base := partitionOf(propose(t, f, Options{Seed: 7}))
			var paths []string
			for _, p := range f.Packages {
				paths = append(paths, p.Path)
			}
			for perm := range uint64(4) {
				r := rand.New(rand.NewPCG(perm, 99))
				elems := map[string]bool{}
				for _, p := range paths {
					for _, el := range strings.Split(p, "/")[1:] {
						elems[el] = true
					}
				}
				names := slices.Sorted(maps.Keys(elems))
				shuffled := slices.Clone(names)
				r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
				swap := map[string]string{}
				for i, n := range names {
					swap[n] = shuffled[i]
				}
				to, back := map[string]string{}, map[string]string{}
				for _, p := range paths {
					els := strings.Split(p, "/")
					for k := 1; k < len(els); k++ {
						els[k] = swap[els[k]]
					}
					to[p], back[strings.Join(els, "/")] = strings.Join(els, "/"), p
				}
				p := propose(t, rename(f, to), Options{Seed: 7})
				// Map the renamed plan back to the original names.
				for i := range p.Packages {
					p.Packages[i].Path = back[p.Packages[i].Path]
				}
				for i := range p.Graph {
					p.Graph[i].From, p.Graph[i].To = back[p.Graph[i].From], back[p.Graph[i].To]
				}
				if err := score.Score(p, nil); err != nil {
					t.Fatal(err)
				}
				if got := partitionOf(p); !slices.Equal(got, base) {
					t.Fatalf("permutation %d changed the partition:\n got %v\nwant %v", perm, got, base)
				}
			}
		})
	}
}

func TestProposeWithTruth(t *testing.T) {
	f := shopFacts()
	truth := map[string]string{}
	for _, s := range []string{"orders", "payments", "users"} {
		for _, suffix := range []string{"", "/http", "/store"} {
			truth[shop+"/"+s+suffix] = s
		}
	}
	truth[shop+"/orders/paymentsgw"] = "orders"
	truth[shop+"/gone"] = "orders"
	p := propose(t, f, Options{Truth: truth})
	if p.Metrics.ARI == nil || *p.Metrics.ARI != 1 || *p.Metrics.MoJoFM != 100 {
		t.Fatalf("ARI %v MoJoFM %v, want 1 and 100", p.Metrics.ARI, p.Metrics.MoJoFM)
	}
	if !slices.ContainsFunc(p.Warnings, func(w string) bool { return strings.Contains(w, shop+"/gone") }) {
		t.Errorf("no warning about the truth's package missing from the module: %v", p.Warnings)
	}
	if _, err := Propose(f, Options{Truth: map[string]string{"other.org/x": "a"}}); !errors.Is(err, score.ErrTruthMismatch) || !load.IsInputError(err) || !strings.Contains(err.Error(), "other.org/x") {
		t.Fatalf("unrelated truth: %v", err)
	}
}

func TestProposeRecoversPlanted(t *testing.T) {
	for seed := range uint64(3) {
		f, truth := plantedFacts(seed, 8, 10, 0.1, 2)
		p := propose(t, f, Options{Seed: 1, Truth: truth})
		if *p.Metrics.ARI < 0.95 {
			t.Errorf("seed %d: ARI %.3f < 0.95 at μ=0.1 (%d services)", seed, *p.Metrics.ARI, len(p.Services))
		}
		if !slices.Equal(p.Kernel, []string{"example.com/big/kernel/k0", "example.com/big/kernel/k1"}) {
			t.Errorf("seed %d: kernel %v", seed, p.Kernel)
		}
	}
}

func TestTargetCount(t *testing.T) {
	for _, n := range []int{1, 2, 3, 4, 5} {
		p := propose(t, shopFacts(), Options{Services: n})
		if len(p.Services) != n {
			t.Errorf("Services: %d gave %d services: %v", n, len(p.Services), partitionOf(p))
		}
	}
	// Merging keeps the strongest pair: asked for two, orders and payments (tied by the adapter
	// and a contract) should not be the ones left apart from each other while users joins one.
	f, _ := plantedFacts(1, 6, 6, 0.1, 1)
	p := propose(t, f, Options{Services: 12})
	if len(p.Services) != 12 {
		t.Errorf("split to 12 gave %d", len(p.Services))
	}
}

func TestProposeBadInput(t *testing.T) {
	if _, err := Propose(&facts.Facts{Modules: []string{"x"}}, Options{}); !errors.Is(err, ErrNoPackages) || !load.IsInputError(err) {
		t.Fatalf("empty facts: %v", err)
	}
	if _, err := Propose(nil, Options{}); !errors.Is(err, ErrNoPackages) {
		t.Fatalf("nil facts: %v", err)
	}
	cases := map[string]Options{
		"negative services":   {Services: -1},
		"negative resolution": {Resolution: -1},
		"unknown signal":      {Signals: map[string]float64{"vibes": 1}},
		"negative weight":     {Signals: map[string]float64{"calls": -1}},
	}
	for name, o := range cases {
		if _, err := Propose(shopFacts(), o); !load.IsInputError(err) {
			t.Errorf("%s: %v, want an input error", name, err)
		}
	}
	// One package, no edges: one service, no panic.
	p := propose(t, factstest.New("example.com/one").Pkg("example.com/one", 10).F, Options{})
	if len(p.Services) != 1 || p.Services[0].Name != "one" {
		t.Fatalf("one package: %+v", p.Services)
	}
	// Deps naming unknown packages are ignored with a warning.
	f := shopFacts()
	f.Deps = append(f.Deps, facts.Dep{From: shop + "/orders", To: "github.com/x/y", Signal: facts.SignalCalls, Count: 3})
	p = propose(t, f, Options{})
	if !slices.ContainsFunc(p.Warnings, func(w string) bool { return strings.Contains(w, "ignored") }) {
		t.Errorf("no warning for an unknown package: %v", p.Warnings)
	}
}

func TestSignalsOff(t *testing.T) {
	// With every signal off there is no coupling: each package is its own service, no panic.
	off := map[string]float64{}
	for _, s := range graph.SignalOrder {
		off[s] = 0
	}
	p := propose(t, shopFacts(), Options{Signals: off})
	if p.Metrics.Modularity != 0 {
		t.Errorf("Q = %v with no weights", p.Metrics.Modularity)
	}
	if p.Settings.Signals[facts.SignalCalls] != 0 {
		t.Errorf("settings do not record the weights: %v", p.Settings.Signals)
	}
}

// TestHubsDoNotGlue: a router package that registers every handler (a composition root, not
// main) and a logging helper every handler calls, too few users to be kernel, leave the
// services as they are.
func TestHubsDoNotGlue(t *testing.T) {
	base := propose(t, shopFacts(), Options{})
	f := shopFacts()
	b := factstest.From(f)
	b.Pkg(shop+"/router", 100).Pkg(shop+"/platform/trace", 40)
	for _, s := range []string{"orders", "payments", "users"} {
		b.Use(shop+"/router", shop+"/"+s+"/http", 3)
		b.Dep(shop+"/"+s+"/http", shop+"/router", facts.SignalImplements, 1)
		b.Use(shop+"/"+s+"/http", shop+"/platform/trace", 4)
	}
	b.Use(shop+"/cmd/server", shop+"/router", 1)
	p := propose(t, f, Options{})
	for _, s := range base.Services {
		for _, pkg := range s.Packages {
			if pkg == shop+"/cmd/server" {
				continue // a composition root goes where it is most coupled: any service
			}
			if got := serviceOf(t, p, pkg); got != s.Name {
				t.Errorf("%s moved from %s to %s with the hubs", pkg, s.Name, got)
			}
		}
	}
	if len(p.Services) != len(base.Services) {
		t.Errorf("%d services with the hubs, %d without: %v", len(p.Services), len(base.Services), partitionOf(p))
	}
}
