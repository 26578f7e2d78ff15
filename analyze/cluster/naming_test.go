package cluster

import (
	"testing"

	"github.com/carve-dev/carve/analyze/graph"
	"github.com/carve-dev/carve/analyze/internal/factstest"
)

func TestNameOf(t *testing.T) {
	mods := []string{"example.com/shop"}
	cases := map[string]string{
		"example.com/shop/orders":                   "orders",
		"example.com/shop/orders/http":              "orders",
		"example.com/shop/internal/orders/handler":  "orders",
		"example.com/shop/ordershandler":            "orders",
		"example.com/shop/orders_repo":              "orders",
		"example.com/shop/payments-api":             "payments",
		"example.com/shop/cmd/orders-api":           "orders",
		"example.com/shop/Inventory/v2/store":       "inventory",
		"example.com/shop/api":                      "",
		"example.com/shop":                          "shop",
		"example.com/shop/internal/app/svc":         "",
		"example.com/shop/catalog/search/indexer":   "indexer",
		"example.com/shop/3d":                       "svc-3d",
		"example.com/shop/user_profiles/repository": "user-profiles",
	}
	for path, want := range cases {
		if got := NameOf(path, mods); got != want {
			t.Errorf("nameOf(%s) = %q, want %q", path, got, want)
		}
	}
}

func TestNameServicesDedupAndPins(t *testing.T) {
	f := factstest.New("example.com/shop").
		Pkg("example.com/shop/orders", 100).Pkg("example.com/shop/orders/http", 100).
		Pkg("example.com/shop/legacy/orders", 100).
		Pkg("example.com/shop/billing/store", 100).
		Pkg("example.com/shop/api", 10).F
	g, err := graph.Build(f, graph.DefaultSignals(), graph.DefaultContract)
	if err != nil {
		t.Fatal(err)
	}
	idx := g.Index
	label := make([]int, len(g.Paths))
	label[idx["example.com/shop/orders"]] = 0
	label[idx["example.com/shop/orders/http"]] = 0
	label[idx["example.com/shop/legacy/orders"]] = 1
	label[idx["example.com/shop/billing/store"]] = 2
	label[idx["example.com/shop/api"]] = 3
	pins := make([]string, len(g.Paths))
	names := NameServices(g, label, pins, f.Modules, nil)
	want := map[int]string{0: "orders", 1: "legacy", 2: "billing", 3: "shop"}
	for l, n := range want {
		if names[l] != n {
			t.Errorf("service %d named %q, want %q (all: %v)", l, names[l], n, names)
		}
	}
	// A pin wins, even over a bigger service that wanted the name.
	pins[idx["example.com/shop/billing/store"]] = "orders"
	names = NameServices(g, label, pins, f.Modules, nil)
	if names[2] != "orders" || names[0] == "orders" {
		t.Errorf("pinned names: %v, want service 2 = orders and service 0 not", names)
	}
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			t.Errorf("name %q given twice: %v", n, names)
		}
		seen[n] = true
	}
}

func TestNameQualifiedBeforeNumbered(t *testing.T) {
	f := factstest.New("example.com/shop").
		Pkg("example.com/shop/payments", 100).Pkg("example.com/shop/payments/http", 100).
		Pkg("example.com/shop/payments/store", 100).F
	g, err := graph.Build(f, graph.DefaultSignals(), graph.DefaultContract)
	if err != nil {
		t.Fatal(err)
	}
	label := []int{0, 0, 1} // payments, payments/http | payments/store
	names := NameServices(g, label, make([]string, 3), f.Modules, nil)
	if names[0] != "payments" || names[1] != "payments-store" {
		t.Fatalf("names %v, want payments and payments-store", names)
	}
}
