package signals

import (
	"testing"

	"github.com/carve-dev/carve/analyze/facts"
)

func TestCalls(t *testing.T) {
	f := collect(t, "shop", Calls{})
	checkDeps(t, f, facts.SignalCalls, "example.com/shop/", []depWant{
		// A static method call, resolved through the field's type.
		{from: "orders", to: "inventory", count: 1},
		// Interface call s.store.Save: of the two types with Store's methods only ordersdb's
		// Repo is used as a Store (memstore.Mem never is), so the call goes there alone, as a
		// contract coupling (through a port).
		{from: "orders", to: "ordersdb", contract: true, count: 1},
		{from: "orders", to: "memstore"},
		{from: "orders", to: "ordersdb"},
		// s.notify.Notify reaches notify, which does not import orders.
		{from: "orders", to: "notify", contract: true, count: 1},
		// Constructors are implementation calls; Order.Key is a trivial method of a DTO.
		{from: "cmd/shop", to: "orders", count: 2},
		{from: "cmd/shop", to: "orders", contract: true, count: 1},
		{from: "cart", to: "orders", contract: true, count: 1},
		{from: "cart", to: "orders"},
		// The shared wrapper is called, its package variables are not calls.
		{from: "catalog", to: "platform/store", count: 1},
		{from: "inventory", to: "platform/store"},
	})
	d := dep(f, facts.SignalCalls, "example.com/shop/orders", "example.com/shop/inventory", false)
	if d != nil && (len(d.Sites) != 1 || d.Sites[0] != (facts.Site{File: "orders/orders.go", Line: 47})) {
		t.Errorf("call site: got %v, want [orders/orders.go:47]", d.Sites)
	}
}

func TestCallsInterfaceWeight(t *testing.T) {
	// Three call sites through a port with two adapters weigh 1.5 → 2 per adapter, not 3.
	ds := newDepSet(facts.SignalCalls)
	for range 3 {
		for _, to := range []string{"b", "c"} {
			ds.add("a", to, true, 0.5, facts.Site{File: "a.go", Line: 1})
		}
	}
	var f facts.Facts
	ds.emit(&f)
	if len(f.Deps) != 2 || f.Deps[0].Count != 2 || f.Deps[1].Count != 2 {
		t.Fatalf("got %+v, want two deps of count 2", f.Deps)
	}
}

// Dynamic dispatch stays inside one program and the module's own interfaces: acaller, built
// only by cmd/a, reaches a's Greet and not b's; calls through error reach nothing; iface, built
// by both programs, reaches both adapters.
func TestCallsDispatchWithinOneProgram(t *testing.T) {
	f := collect(t, "dispatch", Calls{})
	checkDeps(t, f, facts.SignalCalls, "example.com/dispatch/", []depWant{
		{from: "acaller", to: "a", contract: true, count: 1},
		{from: "acaller", to: "b", contract: true},
		{from: "iface", to: "a", contract: true, count: 1},
		{from: "iface", to: "b", contract: true, count: 1},
	})
}
