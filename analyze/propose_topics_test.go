package analyze

import (
	"slices"
	"strings"
	"testing"

	"github.com/carve-dev/carve/analyze/facts"
	"github.com/carve-dev/carve/analyze/graph"
	"github.com/carve-dev/carve/analyze/internal/factstest"
	"github.com/carve-dev/carve/analyze/plan"
)

// busFacts is the shop with an in-process event bus below orders (shop/orders/events):
// orders publishes "order.placed", payments consumes it, a package serving no route
// (payments/worker) consumes "order.paid" that payments publishes.
func busFacts(withBus bool) *facts.Facts {
	f := shopFacts()
	b := factstest.From(f)
	ev, worker := shop+"/orders/events", shop+"/payments/worker"
	b.Pkg(ev, 60).Pkg(worker, 40)
	b.Use(shop+"/orders", ev, 10)
	b.Use(shop+"/payments", ev, 1)
	b.Use(worker, ev, 1)
	b.Use(worker, shop+"/payments", 1)
	b.Dep(ev, shop+"/orders", facts.SignalTypes, 2) // the bus carries orders' event types
	topic := func(pkg, name, role string) {
		f.Topics = append(f.Topics, facts.TopicUse{Package: pkg, Topic: name, System: "bus", Role: role, Sites: []facts.Site{{File: strings.TrimPrefix(pkg, shop+"/") + "/x.go", Line: 3}}})
	}
	topic(shop+"/orders", "order.placed", facts.Publish)
	topic(shop+"/payments", "order.placed", facts.Consume)
	topic(shop+"/payments", "order.paid", facts.Publish)
	topic(worker, "order.paid", facts.Consume)
	if withBus {
		f.Buses = []string{ev}
	}
	return f
}

func TestBusPublishIsNotACall(t *testing.T) {
	p := propose(t, busFacts(true), Options{})
	var events *plan.Package
	for i := range p.Packages {
		if p.Packages[i].Path == shop+"/orders/events" {
			events = &p.Packages[i]
		}
	}
	if events == nil || !events.Kernel || events.Why != whyBus {
		t.Fatalf("the bus package is not kernel: %+v", events)
	}
	svc := func(pkg string) string {
		for _, x := range p.Packages {
			if x.Path == pkg {
				return x.Service
			}
		}
		return ""
	}
	orders, payments := svc(shop+"/orders"), svc(shop+"/payments")
	if orders == "" || payments == "" || orders == payments {
		t.Fatalf("orders in %q, payments in %q: want two services", orders, payments)
	}
	for _, e := range p.Edges {
		if e.From == payments && e.To == orders {
			t.Errorf("payments → orders sync edge %+v: a consumer of orders' events does not call orders", e)
		}
	}
	want := plan.AsyncEdge{From: orders, To: payments, Topics: []string{"bus:order.placed"}}
	if !slices.ContainsFunc(p.AsyncEdges, func(e plan.AsyncEdge) bool {
		return e.From == want.From && e.To == want.To && slices.Equal(e.Topics, want.Topics)
	}) {
		t.Errorf("async edges %+v: want %+v", p.AsyncEdges, want)
	}
	ps := p.Service(payments)
	if got := refNames(ps.Consumes); !slices.Contains(got, "bus:order.placed") {
		t.Errorf("payments consumes %v, want bus:order.placed", got)
	}
	if got := refNames(p.Service(orders).Publishes); !slices.Equal(got, []string{"bus:order.placed"}) {
		t.Errorf("orders publishes %v, want [bus:order.placed]", got)
	}
	var placed *plan.Topic
	for i := range p.Topics {
		if p.Topics[i].Name == "order.placed" {
			placed = &p.Topics[i]
		}
	}
	if placed == nil || !slices.Equal(placed.Publishers, []string{shop + "/orders"}) || !slices.Equal(placed.Consumers, []string{shop + "/payments"}) {
		t.Errorf("topic order.placed: %+v", placed)
	}

	// Without the bus recognised, the bus joins orders and payments' consuming looks like
	// calls into orders: the case this guards against.
	q := propose(t, busFacts(false), Options{})
	if !slices.ContainsFunc(q.Edges, func(e plan.Edge) bool { return e.From == payments && e.To == orders && e.Calls > 0 }) {
		t.Errorf("control: without the bus, want a payments → orders call edge; edges %+v", q.Edges)
	}
}

func refNames(rs []plan.TopicRef) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.String())
	}
	return out
}

// An async edge weighs less than the weakest sync use (an import with one call).
func TestAsyncWeighsLessThanSync(t *testing.T) {
	b := factstest.New("m")
	b.Pkg("m/a", 10).Pkg("m/b", 10).Pkg("m/c", 10)
	b.Use("m/a", "m/b", 1)
	b.F.Topics = []facts.TopicUse{
		{Package: "m/a", Topic: "t", System: "nats", Role: facts.Publish},
		{Package: "m/c", Topic: "t", System: "nats", Role: facts.Consume},
	}
	g, err := graph.Build(b.F, graph.DefaultSignals(), graph.DefaultContract)
	if err != nil {
		t.Fatal(err)
	}
	a, bb, c := g.Index["m/a"], g.Index["m/b"], g.Index["m/c"]
	sync, async := g.Adj[a][bb], g.Adj[a][c]
	if async <= 0 || async >= sync {
		t.Errorf("async weight %v, sync %v: want 0 < async < sync", async, sync)
	}
	if !g.Entry(c) || g.Entry(a) {
		t.Errorf("entry: consumer %v (want true), publisher %v (want false)", g.Entry(c), g.Entry(a))
	}
	var sig float64
	for _, e := range g.PlanEdges() {
		if e.From == "m/a" && e.To == "m/c" {
			sig = e.Signals[facts.SignalMessaging]
			if e.Calls != 0 {
				t.Errorf("async package edge has %d calls", e.Calls)
			}
		}
	}
	if sig != 1 {
		t.Errorf("package edge a → c: messaging %v, want 1", sig)
	}
}
