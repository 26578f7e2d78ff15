package signals

import (
	"go/types"
	"testing"

	"github.com/carve-dev/carve/analyze/facts"
)

func TestTypeUse(t *testing.T) {
	f := collect(t, "shop", TypeUse{})
	checkDeps(t, f, facts.SignalTypes, "example.com/shop/", []depWant{
		// Fields of type *inventory.Service and a parameter: implementation.
		{from: "orders", to: "inventory", count: 2},
		// orders.Order is plain data: a contract.
		{from: "ordersdb", to: "orders", contract: true, count: 1},
		{from: "memstore", to: "orders", contract: true, count: 2},
		{from: "cart", to: "orders", contract: true, count: 1},
		// inventory.Service has an unexported field: not a DTO.
		{from: "cmd/shop", to: "inventory", count: 1},
		{from: "cmd/shop", to: "inventory", contract: true},
		// A struct without fields is not plain data.
		{from: "cmd/shop", to: "notify", count: 1},
	})
}

func TestImplements(t *testing.T) {
	f := collect(t, "shop", Implements{})
	checkDeps(t, f, facts.SignalImplements, "example.com/shop/", []depWant{
		{from: "ordersdb", to: "orders", count: 1}, // *Repo implements orders.Store
		// memstore.Mem has orders.Store's methods but nothing uses it as one: not wired, no edge.
		{from: "memstore", to: "orders"},
		{from: "notify", to: "orders", count: 1}, // SMS implements orders.Notifier, no import
		{from: "orders", to: "orders"},
		// inventory.Service satisfies orders.Stock, but orders takes it as *inventory.Service,
		// never as a Stock: a coincidence, not an implementation.
		{from: "inventory", to: "orders", contract: true},
		{from: "inventory", to: "orders"},
		// http.Handler is not the module's: the catalog handler implements nothing of ours.
		{from: "catalog", to: "net/http"},
	})
	d := dep(f, facts.SignalImplements, "example.com/shop/notify", "example.com/shop/orders", false)
	if d != nil && d.Sites[0] != (facts.Site{File: "notify/notify.go", Line: 5}) {
		t.Errorf("implements site: got %v, want the type declaration notify/notify.go:5", d.Sites[0])
	}
}

func TestContractTypes(t *testing.T) {
	m := loadFixture(t, "shop")
	ix := m.Types()
	cases := []struct {
		pkg, name string
		want      bool
	}{
		{"orders", "Order", true},      // exported fields, a one-line method
		{"orders", "Store", true},      // an interface
		{"orders", "Service", false},   // unexported fields
		{"cart", "Config", true},       // exported fields only
		{"notify", "SMS", false},       // no fields: behaviour, not data
		{"ordersdb", "Repo", false},    // unexported fields
		{"payments", "Handler", false}, // unexported field
	}
	for _, c := range cases {
		p := m.Package("example.com/shop/" + c.pkg)
		if p == nil {
			t.Fatalf("no package %s", c.pkg)
		}
		tn, ok := p.Types.Scope().Lookup(c.name).(*types.TypeName)
		if !ok {
			t.Fatalf("no type %s.%s", c.pkg, c.name)
		}
		if got := ix.IsContract(tn); got != c.want {
			t.Errorf("%s.%s: contract %v, want %v", c.pkg, c.name, got, c.want)
		}
	}
}
