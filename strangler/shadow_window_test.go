package strangler

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// A rollout hold counts only the shadow copies whose candidate call started in it: a copy the
// build before answered, compared after the hold began (it waited for the sync, or for the
// primary asked again), is no evidence about the build under judgement.
func TestShadowWindowCountsOnlyCopiesStartedInTheHold(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := &metrics{reg: reg, shadowCompared: counterVec("c", "c", "route"), shadowDiffering: counterVec("d", "d", "route"),
		shadowFields: counterVec("f", "f", "route", "field")}
	p := &Proxy{m: m, diffs: map[string]*diffStore{}}
	d := p.diffStore("orders")
	ex := &exchange{method: "GET", uri: "/orders/1", primary: &answer{Status: 200}}
	cand := &answer{Status: 200}
	differs := []fieldDiff{{Field: "$.currency", Path: "$.currency", Primary: `"EUR"`, Candidate: `"USD"`}}

	late := d.currentEpoch() // a copy of the faulty build, its candidate called before the hold
	d.startWindow()
	d.record(ex, cand, differs, late) // compared only now
	if c, n := d.window(); c != 0 || n != 0 {
		t.Fatalf("a copy started before the hold counted in it: compared %d, differing %d", c, n)
	}
	now := d.currentEpoch()
	d.record(ex, cand, nil, now)
	d.record(ex, cand, differs, now)
	if c, n := d.window(); c != 2 || n != 1 {
		t.Errorf("window: compared %d, differing %d; want 2 and 1", c, n)
	}
	if got := d.compared.Load(); got != 3 {
		t.Errorf("the route's totals count every copy: compared %d, want 3", got)
	}
	d.startWindow()
	if c, n := d.window(); c != 0 || n != 0 {
		t.Errorf("a new hold starts empty: compared %d, differing %d", c, n)
	}
}
