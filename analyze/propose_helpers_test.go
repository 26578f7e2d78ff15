package analyze

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/carve-dev/carve/analyze/facts"

	"github.com/carve-dev/carve/analyze/plan"
)

// factsBuilder builds Facts by hand for clustering tests.
type factsBuilder struct {
	f    *facts.Facts
	line int
}

func newFacts(module string) *factsBuilder {
	return &factsBuilder{f: &facts.Facts{Modules: []string{module}, Root: "/src"}}
}

func (b *factsBuilder) pkg(path string, lines int) *factsBuilder {
	name := path[strings.LastIndex(path, "/")+1:]
	b.f.Packages = append(b.f.Packages, facts.PackageInfo{Path: path, Name: name, Dir: path, Files: 1, Lines: lines})
	return b
}

func (b *factsBuilder) main(path string) *factsBuilder {
	b.f.Packages = append(b.f.Packages, facts.PackageInfo{Path: path, Name: "main", Dir: path, Main: true, Files: 1, Lines: 50})
	return b
}

func (b *factsBuilder) dep(from, to, signal string, count int) *factsBuilder {
	return b.depC(from, to, signal, count, false)
}

func (b *factsBuilder) depC(from, to, signal string, count int, contract bool) *factsBuilder {
	b.line++
	if signal == facts.SignalImports {
		for i := range b.f.Packages {
			if p := &b.f.Packages[i]; p.Path == from && !slices.Contains(p.Imports, to) {
				p.Imports = append(p.Imports, to)
			}
		}
	}
	file := strings.TrimPrefix(from, b.f.Modules[0]+"/") + "/x.go"
	b.f.Deps = append(b.f.Deps, facts.Dep{From: from, To: to, Signal: signal, Count: count, Contract: contract, Sites: []facts.Site{{File: file, Line: b.line}}})
	return b
}

// use adds imports + calls + types from one package to another.
func (b *factsBuilder) use(from, to string, calls int) *factsBuilder {
	b.dep(from, to, facts.SignalImports, 1)
	if calls > 0 {
		b.dep(from, to, facts.SignalCalls, calls)
	}
	return b.dep(from, to, facts.SignalTypes, 1+calls/2)
}

func (b *factsBuilder) route(pkg, method, pattern string) *factsBuilder {
	b.line++
	b.f.Routes = append(b.f.Routes, facts.RouteDecl{Package: pkg, Method: method, Pattern: pattern, Handler: pkg + ".Handle", Router: "net/http", Site: facts.Site{File: "cmd/server/main.go", Line: b.line}})
	return b
}

func (b *factsBuilder) table(pkg, table string, acc facts.Access) *factsBuilder {
	b.f.Tables = append(b.f.Tables, facts.TableUse{Package: pkg, Table: table, Store: "dynamodb", Access: acc})
	return b
}

// shopFacts is a small monolith: three services (orders, payments, users), each an HTTP package
// with routes, a domain package and a store owning a table; a logging package every package uses
// (the kernel); a main that wires everything; and the tangles of a real monolith:
//   - orders uses payments' domain package through its contract (DTOs);
//   - the orders HTTP handler reads the users store directly;
//   - orders/paymentsgw is orders' adapter to payments: it implements orders.PaymentGateway, calls
//     payments a lot and is wired only by main. It does not even import orders.
func shopFacts() *facts.Facts {
	const m = "example.com/shop"
	b := newFacts(m)
	svcs := []string{"orders", "payments", "users"}
	b.main(m + "/cmd/server")
	b.pkg(m+"/platform/log", 80)
	for _, s := range svcs {
		h, d, st := m+"/"+s+"/http", m+"/"+s, m+"/"+s+"/store"
		b.pkg(h, 200).pkg(d, 300).pkg(st, 150)
		b.route(h, "GET", "/"+s+"/{id}").route(h, "POST", "/"+s)
		b.use(h, d, 6).use(d, st, 5)
		b.dep(st, d, facts.SignalImplements, 1).dep(st, d, facts.SignalTypes, 3)
		b.table(st, s, facts.ReadWrite)
		b.use(m+"/cmd/server", h, 1)
		for _, p := range []string{h, d, st} {
			b.use(p, m+"/platform/log", 2)
		}
	}
	b.use(m+"/cmd/server", m+"/platform/log", 1)
	b.depC(m+"/orders", m+"/payments", facts.SignalTypes, 2, true)
	b.use(m+"/orders/http", m+"/users/store", 1)
	gw := m + "/orders/paymentsgw"
	b.pkg(gw, 120)
	b.dep(gw, m+"/orders", facts.SignalImplements, 1)
	b.use(gw, m+"/payments", 8)
	b.use(gw, m+"/platform/log", 1)
	b.use(m+"/cmd/server", gw, 1)
	return b.f
}

// partitionOf returns a plan's services as sorted package lists, the kernel last, one string per
// group, sorted: two plans with the same partition give the same slice whatever the names.
func partitionOf(p *plan.Plan) []string {
	var out []string
	for _, s := range p.Services {
		pk := append([]string(nil), s.Packages...)
		sort.Strings(pk)
		out = append(out, strings.Join(pk, " "))
	}
	sort.Strings(out)
	k := append([]string(nil), p.Kernel...)
	sort.Strings(k)
	return append(out, "kernel: "+strings.Join(k, " "))
}

func serviceOf(t *testing.T, p *plan.Plan, pkg string) string {
	t.Helper()
	for _, x := range p.Packages {
		if x.Path == pkg {
			if x.Kernel {
				return "(kernel)"
			}
			return x.Service
		}
	}
	t.Fatalf("plan has no package %s", pkg)
	return ""
}

// plantedFacts generates a module of k services × n packages with a planted decomposition: each
// package uses four others (imports, calls, types), a share mu of them in other services; the
// first package of each service serves a route, the last owns a table; kernel packages are used
// by every package. It returns the facts and the truth.
func plantedFacts(seed uint64, k, n int, mu float64, kernels int) (*facts.Facts, map[string]string) {
	r := rand.New(rand.NewPCG(seed, 7))
	const m = "example.com/big"
	b := newFacts(m)
	truth := map[string]string{}
	name := func(s, i int) string { return fmt.Sprintf("%s/svc%d/p%d", m, s, i) }
	for s := range k {
		for i := range n {
			p := name(s, i)
			b.pkg(p, 50+r.IntN(400))
			truth[p] = fmt.Sprintf("svc%d", s)
			if i == 0 {
				b.route(p, "GET", fmt.Sprintf("/svc%d/{id}", s))
			}
		}
		b.table(name(s, n-1), fmt.Sprintf("t%d", s), facts.ReadWrite)
	}
	for j := range kernels {
		kp := fmt.Sprintf("%s/kernel/k%d", m, j)
		b.pkg(kp, 100)
		truth[kp] = "kernel"
	}
	for s := range k {
		for i := range n {
			from := name(s, i)
			for range 4 {
				ts, ti := s, r.IntN(n)
				if r.Float64() < mu {
					ts = (s + 1 + r.IntN(k-1)) % k
				}
				to := name(ts, ti)
				if to == from {
					continue
				}
				b.use(from, to, 1+r.IntN(5))
			}
			for j := range kernels {
				b.use(from, fmt.Sprintf("%s/kernel/k%d", m, j), 1+r.IntN(3))
			}
		}
	}
	return b.f, truth
}
