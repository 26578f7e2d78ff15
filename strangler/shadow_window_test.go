package strangler

import (
	"fmt"
	"sync"
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

// A candidate restarted under shadow traffic (every kept-alive connection to it closed) is
// not reported different: the copies pass over the closed connections as the primary's
// requests do, instead of answering 502 once two in a row are found closed.
func TestShadowPassesOverClosedConnections(t *testing.T) {
	fe := frontEnds(t)[0]
	mono, cand := newItemsBackend(t, 10), newItemsBackend(t, 10)
	r := start(t, shadowConfig(fe, mono.srv.URL, cand.srv.URL, "{upstream: orders, sample: 1, noise_warmup: 3, noise: 0}"), startOpts{env: token})
	c := feClient(fe)
	send := func(from, n int) {
		var wg sync.WaitGroup
		for g := range 8 { // in parallel, so that the copies keep several connections to the candidate
			wg.Go(func() {
				for i := from + g; i < from+n; i += 8 {
					if resp, _ := get(t, c, r.url+"/items?n="+fmt.Sprint(i), nil); resp.StatusCode != 200 {
						t.Errorf("request %d: %d", i, resp.StatusCode)
					}
				}
			})
		}
		wg.Wait()
	}
	compared := func(n int64) DiffReport {
		var rep DiffReport
		waitFor(t, fmt.Sprint(n, " comparisons"), func() bool {
			var err error
			rep, err = r.p.Diff("items", 10)
			return err == nil && rep.Compared >= n
		})
		return rep
	}
	send(0, 64)
	// A copy compared before the timestamp was learned as noise may differ: count from here.
	before := compared(64)
	cand.srv.CloseClientConnections() // the candidate restarts: its idle connections close
	send(64, 64)
	if rep := compared(128); rep.Differing != before.Differing {
		t.Errorf("%d of %d copies differ after the candidate closed its connections: %+v", rep.Differing-before.Differing, rep.Compared-before.Compared, rep.Fields)
	}
}
