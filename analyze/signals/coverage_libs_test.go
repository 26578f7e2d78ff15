package signals

import (
	"slices"
	"testing"

	"github.com/carve-dev/carve/analyze/facts"
)

// The coverage report names the libraries seen and the call sites whose table or topic is not
// a constant.
func TestLibCoverage(t *testing.T) {
	data := libFixture(t, "data", "sqlx", Data{}).Coverage
	if !slices.Contains(data.Frameworks, facts.Framework{Name: "sqlx", Kind: "data", Uses: 4}) {
		t.Errorf("frameworks %+v: want sqlx used at 4 sites", data.Frameworks)
	}
	want := facts.Unresolved{Kind: "data", Site: facts.Site{File: "reports/reports.go", Line: 20}, Call: "sqlx.DB.Select", Why: whyTable}
	if !slices.Equal(data.Unresolved, []facts.Unresolved{want}) {
		t.Errorf("unresolved %+v, want [%+v]", data.Unresolved, want)
	}

	// ent: the five client calls of the app packages, none of the generated code's own calls.
	ent := libFixture(t, "data", "ent", Data{}).Coverage
	if !slices.Contains(ent.Frameworks, facts.Framework{Name: "ent", Kind: "data", Uses: 5}) {
		t.Errorf("frameworks %+v: want ent used at 5 sites", ent.Frameworks)
	}
	if len(ent.Unresolved) != 0 {
		t.Errorf("ent unresolved %+v, want none", ent.Unresolved)
	}

	msg := libFixture(t, "messaging", "nats", Messaging{}).Coverage
	if !slices.Contains(msg.Frameworks, facts.Framework{Name: "nats", Kind: "messaging", Uses: 5}) {
		t.Errorf("frameworks %+v: want nats used at 5 sites", msg.Frameworks)
	}
	wantMsg := facts.Unresolved{Kind: "messaging", Site: facts.Site{File: "sub/sub.go", Line: 18}, Call: "nats.Conn.SubscribeSync", Why: whyTopic}
	if !slices.Equal(msg.Unresolved, []facts.Unresolved{wantMsg}) {
		t.Errorf("unresolved %+v, want [%+v]", msg.Unresolved, wantMsg)
	}

	bus := libFixture(t, "messaging", "bus", Messaging{}).Coverage
	if len(bus.Frameworks) != 1 || bus.Frameworks[0].Name != "in-process bus example.com/bus/events" || bus.Frameworks[0].Uses != 4 {
		t.Errorf("bus frameworks %+v", bus.Frameworks)
	}
	if len(bus.Unresolved) != 0 {
		t.Errorf("bus unresolved %+v, want none", bus.Unresolved)
	}
}
