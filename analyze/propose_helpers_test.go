package analyze

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	"github.com/carve-dev/carve/analyze/facts"
	"github.com/carve-dev/carve/analyze/internal/factstest"

	"github.com/carve-dev/carve/analyze/plan"
)

// shopFacts is a small monolith: three services (orders, payments, users), each an HTTP package
// with routes, a domain package and a store owning a table; a logging package every package uses
// (the kernel); a main that wires everything; and the tangles of a real monolith:
//   - orders uses payments' domain package through its contract (DTOs);
//   - the orders HTTP handler reads the users store directly;
//   - orders/paymentsgw is orders' adapter to payments: it implements orders.PaymentGateway, calls
//     payments a lot and is wired only by main. It does not even import orders.
func shopFacts() *facts.Facts {
	const m = "example.com/shop"
	b := factstest.New(m)
	svcs := []string{"orders", "payments", "users"}
	b.Main(m + "/cmd/server")
	b.Pkg(m+"/platform/log", 80)
	for _, s := range svcs {
		h, d, st := m+"/"+s+"/http", m+"/"+s, m+"/"+s+"/store"
		b.Pkg(h, 200).Pkg(d, 300).Pkg(st, 150)
		b.Route(h, "GET", "/"+s+"/{id}").Route(h, "POST", "/"+s)
		b.Use(h, d, 6).Use(d, st, 5)
		b.Dep(st, d, facts.SignalImplements, 1).Dep(st, d, facts.SignalTypes, 3)
		b.Table(st, s, facts.ReadWrite)
		b.Use(m+"/cmd/server", h, 1)
		for _, p := range []string{h, d, st} {
			b.Use(p, m+"/platform/log", 2)
		}
	}
	b.Use(m+"/cmd/server", m+"/platform/log", 1)
	b.DepC(m+"/orders", m+"/payments", facts.SignalTypes, 2, true)
	b.Use(m+"/orders/http", m+"/users/store", 1)
	gw := m + "/orders/paymentsgw"
	b.Pkg(gw, 120)
	b.Dep(gw, m+"/orders", facts.SignalImplements, 1)
	b.Use(gw, m+"/payments", 8)
	b.Use(gw, m+"/platform/log", 1)
	b.Use(m+"/cmd/server", gw, 1)
	return b.F
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
	b := factstest.New(m)
	truth := map[string]string{}
	name := func(s, i int) string { return fmt.Sprintf("%s/svc%d/p%d", m, s, i) }
	for s := range k {
		for i := range n {
			p := name(s, i)
			b.Pkg(p, 50+r.IntN(400))
			truth[p] = fmt.Sprintf("svc%d", s)
			if i == 0 {
				b.Route(p, "GET", fmt.Sprintf("/svc%d/{id}", s))
			}
		}
		b.Table(name(s, n-1), fmt.Sprintf("t%d", s), facts.ReadWrite)
	}
	for j := range kernels {
		kp := fmt.Sprintf("%s/kernel/k%d", m, j)
		b.Pkg(kp, 100)
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
				b.Use(from, to, 1+r.IntN(5))
			}
			for j := range kernels {
				b.Use(from, fmt.Sprintf("%s/kernel/k%d", m, j), 1+r.IntN(3))
			}
		}
	}
	return b.F, truth
}
