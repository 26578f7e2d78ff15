package score

import (
	"reflect"
	"testing"

	"github.com/carve-dev/carve/analyze/plan"
)

// Score derives the topics, the services' event contracts and the async edges from the
// packages, and keeps them right after a move.
func TestScoreTopics(t *testing.T) {
	p := plan.New("m")
	p.Packages = []plan.Package{
		{Path: "m/orders", Service: "orders", Topics: []plan.PackageTopic{{Name: "placed", System: "nats", Role: "publish", Sites: []string{"orders/o.go:3"}}}},
		{Path: "m/ship", Service: "shipping", Topics: []plan.PackageTopic{{Name: "placed", System: "nats", Role: "consume"}}},
		{Path: "m/mail", Service: "mail", Topics: []plan.PackageTopic{{Name: "placed", System: "nats", Role: "consume"}}},
		{Path: "m/bus", Kernel: true, Topics: []plan.PackageTopic{{Name: "placed", System: "nats", Role: "consume"}}},
	}
	if err := Score(p, nil); err != nil {
		t.Fatal(err)
	}
	wantTopic := []plan.Topic{{Name: "placed", System: "nats", Publishers: []string{"m/orders"}, Consumers: []string{"m/bus", "m/mail", "m/ship"}, Sites: []string{"orders/o.go:3"}}}
	if !reflect.DeepEqual(p.Topics, wantTopic) {
		t.Errorf("topics %+v, want %+v", p.Topics, wantTopic)
	}
	wantEdges := []plan.AsyncEdge{{From: "orders", To: "mail", Topics: []string{"nats:placed"}}, {From: "orders", To: "shipping", Topics: []string{"nats:placed"}}}
	if !reflect.DeepEqual(p.AsyncEdges, wantEdges) {
		t.Errorf("async edges %+v, want %+v", p.AsyncEdges, wantEdges)
	}
	ref := []plan.TopicRef{{Name: "placed", System: "nats"}}
	if s := p.Service("orders"); !reflect.DeepEqual(s.Publishes, ref) || s.Consumes != nil {
		t.Errorf("orders publishes %v consumes %v", s.Publishes, s.Consumes)
	}
	if s := p.Service("mail"); !reflect.DeepEqual(s.Consumes, ref) {
		t.Errorf("mail consumes %v", s.Consumes)
	}
	if len(p.Edges) != 0 {
		t.Errorf("events made sync edges: %+v", p.Edges)
	}

	// Mail joins orders: its consuming is inside the service now.
	if err := p.Move("m/mail", "orders"); err != nil {
		t.Fatal(err)
	}
	if err := Score(p, nil); err != nil {
		t.Fatal(err)
	}
	wantEdges = []plan.AsyncEdge{{From: "orders", To: "shipping", Topics: []string{"nats:placed"}}}
	if !reflect.DeepEqual(p.AsyncEdges, wantEdges) {
		t.Errorf("after the move: async edges %+v, want %+v", p.AsyncEdges, wantEdges)
	}
	if s := p.Service("orders"); !reflect.DeepEqual(s.Consumes, ref) {
		t.Errorf("after the move: orders consumes %v", s.Consumes)
	}
}
