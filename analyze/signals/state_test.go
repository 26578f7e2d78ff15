package signals

import (
	"testing"

	"github.com/carve-dev/carve/analyze/facts"
)

func TestState(t *testing.T) {
	f := collect(t, "shop", State{})
	checkDeps(t, f, facts.SignalState, "example.com/shop/", []depWant{
		{from: "inventory", to: "platform/store", count: 2}, // store.Calls++ and a read of store.Client
		{from: "cmd/shop", to: "platform/store", count: 1},  // store.Client = client
		// platform/store's own accesses are not couplings.
		{from: "platform/store", to: "platform/store"},
		// Constants are not state.
		{from: "cart", to: "orders"},
		{from: "cart", to: "orders", contract: true},
		// A variable nothing writes is a constant in all but name: a contract.
		{from: "orders", to: "inventory", contract: true, count: 1},
		{from: "orders", to: "inventory"},
	})
	for _, c := range []struct {
		from   string
		writes int
	}{{"inventory", 1}, {"cmd/shop", 1}} {
		d := dep(f, facts.SignalState, "example.com/shop/"+c.from, "example.com/shop/platform/store", false)
		if d != nil && d.Writes != c.writes {
			t.Errorf("state %s → platform/store: %d writes, want %d", c.from, d.Writes, c.writes)
		}
	}
}
