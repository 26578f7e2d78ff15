package signals

import (
	"testing"

	"github.com/carve-dev/carve/analyze/facts"
)

func TestImports(t *testing.T) {
	f := collect(t, "shop", Imports{})
	checkDeps(t, f, facts.SignalImports, "example.com/shop/", []depWant{
		{from: "orders", to: "inventory", count: 1},
		{from: "ordersdb", to: "orders", count: 1},
		{from: "cmd/shop", to: "platform/store", count: 1},
		{from: "cart", to: "orders", count: 1},
		// notify implements orders.Notifier without importing orders.
		{from: "notify", to: "orders"},
		// Imports of dependencies are context, not couplings.
		{from: "ordersdb", to: "github.com/aws/aws-sdk-go-v2/service/dynamodb"},
	})
	// orders has two files; only http.go... neither imports inventory twice, but the count
	// stays 1 per pair whatever the files.
	for _, d := range f.Deps {
		if d.Count != 1 {
			t.Errorf("import %s → %s: count %d, want 1", d.From, d.To, d.Count)
		}
	}
	if d := dep(f, facts.SignalImports, "example.com/shop/orders", "example.com/shop/inventory", false); d != nil {
		if d.Sites[0] != (facts.Site{File: "orders/orders.go", Line: 8}) {
			t.Errorf("import site: got %v, want orders/orders.go:8", d.Sites[0])
		}
	}
}
