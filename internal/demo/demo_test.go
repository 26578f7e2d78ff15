package demo

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"
)

// testLog writes the demo's narration to the test log.
type testLog struct{ t *testing.T }

func (w testLog) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// TestMigrationEndToEnd runs the demo's phases with smaller numbers against real processes
// (DynamoDB Local, the monolith, the extracted service and its faulty builds, two carve sync
// jobs, carve proxy) and asserts what the migration promises: the shadow phase compares copies
// and finds no difference; the automatic rollout takes the good build to 100% with no hand
// step; each faulty build is rolled back to 0% by the gates at its first step, the one changing
// a field by the shadow diff gate, the one failing requests by the error-rate gate; no request
// fails but the injected ones and no read is stale; every order written on either side reaches
// the other table within the lag bound; verify finds no drift; with the service taken out the
// monolith serves every order, also those the service placed.
// Long on purpose: one scenario told in order, each step needing the state the one before left.
func TestMigrationEndToEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	const lagBound = 5 * time.Second
	hold := 4 * time.Second
	// Customers pause 300ms between rounds: read_your_writes keeps a customer who just wrote on
	// that side until the sync's watermark passes the write, so one writing faster than the
	// watermark moves (a few hundred ms under a loaded CI) would stay until max_wait.
	// The faulty build failing requests fails 30% of them: with the 20 requests a hold needs,
	// the error-rate gate misses it with a chance of 0.7^20 (0.08%); make demo's 5% is caught
	// by whichever gate sees it first.
	faults := []Fault{
		{Name: "30% of requests fail", Args: []string{"-fault-rate", "0.3"}, Gate: "max_error_rate_ratio"},
		{Name: "currency reported as USD", Args: []string{"-fault-field", "currency=USD"}, Gate: "max_diff_rate"},
	}
	sum, err := Run(ctx, Options{
		Dir: t.TempDir(), Users: 8, SeedOrders: 8, Step: 3 * time.Second, Pace: 300 * time.Millisecond,
		LagBound: lagBound, RolloutSteps: []int{25, 100}, Hold: hold, MinRequests: 20, Faults: faults, Out: testLog{t},
	})
	var table strings.Builder
	sum.WriteTable(&table)
	t.Logf("summary:\n%s", table.String())
	if err != nil {
		t.Fatal(err)
	}
	if p := sum.Problems(); len(p) > 0 {
		t.Errorf("problems:\n%s", strings.Join(p, "\n"))
	}

	// The shadow phase: copies compared, none differing (replication lag is waited out, not
	// counted; nothing is hidden as noise but what differs between two monolith answers).
	if sh := sum.Shadow; sh == nil || sh.Compared == 0 || sh.Differing != 0 {
		t.Errorf("shadow: %+v, want copies compared and 0 differing", sh)
	}
	// Both rollouts of the good build: every step entered by the proxy, to 100%.
	if len(sum.Rollouts) != 2 {
		t.Fatalf("%d rollouts of the good build, want 2 (the first and the fixed build's)", len(sum.Rollouts))
	}
	for _, ro := range sum.Rollouts {
		var pcts []int
		for _, st := range ro.Steps {
			pcts = append(pcts, st.Percent)
		}
		if ro.State != "done" || ro.Percent != 100 || !slices.Equal(pcts, []int{25, 100}) || ro.RolledBack {
			t.Errorf("%s rollout: %s at %d%%, steps %v, rolled back %v: want done at 100%% through 25, 100", ro.Phase, ro.State, ro.Percent, pcts, ro.RolledBack)
		}
		for _, st := range ro.Steps[1:] {
			for _, g := range st.Passed {
				if !g.Pass {
					t.Errorf("%s rollout: step %d%% entered after a failing gate %+v", ro.Phase, st.Percent, g)
				}
			}
		}
	}
	// Each faulty build: rolled back from its first step to 0% by the gate expected, the
	// proxy's log event naming it with its figures.
	if len(sum.Faults) != len(faults) {
		t.Fatalf("%d faulty builds deployed, want %d", len(sum.Faults), len(faults))
	}
	for i, f := range sum.Faults {
		ro := f.Rollout
		if !ro.RolledBack || ro.From != 25 || ro.To != 0 || ro.Gate.Gate != faults[i].Gate || ro.Gate.Pass || ro.Gate.Candidate <= ro.Gate.Limit {
			t.Errorf("faulty build %q: rolled back %v from %d%% to %d%% by %+v, want from 25%% to 0%% by %s over its limit", f.Fault.Name, ro.RolledBack, ro.From, ro.To, ro.Gate, faults[i].Gate)
		}
		for _, want := range []string{`"msg":"rollout rolled back: gate failed"`, `"gate":"` + faults[i].Gate + `"`, `"from_percent":25`, `"to_percent":0`, `"candidate_value":`, `"limit":`} {
			if !strings.Contains(ro.Event, want) {
				t.Errorf("faulty build %q: the proxy's log event %q lacks %s", f.Fault.Name, ro.Event, want)
			}
		}
	}
	if f := sum.Faults[1]; !slices.ContainsFunc(f.Diff, func(d string) bool { return strings.Contains(d, `.currency`) && strings.Contains(d, `"EUR" → "USD"`) }) {
		t.Errorf("the field fault's shadow differences %v do not show currency EUR → USD", f.Diff)
	}

	injected := 0
	for _, st := range sum.Steps {
		injected += st.Faults
		if st.Errors != 0 {
			t.Errorf("step %s: %d failed requests: %v", st.Name, st.Errors, st.ErrorSamples)
		}
		if st.StaleReads != 0 {
			t.Errorf("step %s: %d stale reads: a user read older data than they wrote (read_your_writes)", st.Name, st.StaleReads)
		}
		if st.Late != 0 || st.LagMax > lagBound {
			t.Errorf("step %s: %d writes over the lag bound (max %v)", st.Name, st.Late, st.LagMax)
		}
		if st.Faults > 0 && !strings.HasPrefix(st.Name, "fault1") {
			t.Errorf("step %s: %d injected faults outside the faulty build's steps", st.Name, st.Faults)
		}
	}
	if injected == 0 {
		t.Error("no customer met the faulty build's injected failures")
	}
	byName := map[string]StepSummary{}
	for _, st := range sum.Steps {
		byName[st.Name] = st
	}
	if s := byName["shadow"]; s.ByService != 0 || s.Requests == 0 || s.Placed == 0 {
		t.Errorf("shadow phase: %d requests, %d placed, %d answered by the service: want traffic, all the monolith's", s.Requests, s.Placed, s.ByService)
	}
	if s := byName["rollout 25%"]; s.ByService == 0 || s.ByMonolith == 0 {
		t.Errorf("at 25%%: monolith %d, service %d: want both sides", s.ByMonolith, s.ByService)
	}
	for _, name := range []string{"rollout 100%", "fixed 100%"} {
		// Requests in flight when the weight changed may still be answered by the monolith, and
		// read_your_writes keeps a user who just wrote there until the sync has the write
		// (within its stream delay, 100ms here, and a poll).
		if s := byName[name]; s.Requests == 0 || s.ByService < s.Requests*8/10 {
			t.Errorf("at %s the service answered %d of %d requests", name, s.ByService, s.Requests)
		}
	}

	// Both directions: every write, on either side, reached both tables (Unreplicated counts
	// those that never did, including the orders placed before sync, which backfill copies).
	if sum.Unreplicated != 0 {
		t.Errorf("%d writes never reached both tables: %v", sum.Unreplicated, sum.UnreplicatedSamples)
	}
	if sum.Orders <= sum.SeedOrders {
		t.Errorf("%d orders, %d of them before sync", sum.Orders, sum.SeedOrders)
	}
	if len(sum.Verify) != 4 {
		t.Errorf("%d verify runs, want forward and reverse at 100%% and at the end", len(sum.Verify))
	}
	for _, v := range sum.Verify {
		if v.Drift || v.Missing+v.Extra+v.Different != 0 || v.Source == 0 {
			t.Errorf("verify %s %s: %+v", v.Name, v.When, v)
		}
	}

	if sum.RollbackChecked == 0 || len(sum.RollbackBad) != 0 {
		t.Errorf("with the service taken out the monolith served %d of %d orders: %v", sum.RollbackChecked-len(sum.RollbackBad), sum.RollbackChecked, sum.RollbackBad)
	}
	if sum.RollbackByService == 0 {
		t.Error("no order placed through the service was checked with the service taken out")
	}
	if sum.FinalChecked != sum.Orders || len(sum.FinalBad) != 0 {
		t.Errorf("at the end the service served %d of %d orders (of %d): %v", sum.FinalChecked-len(sum.FinalBad), sum.FinalChecked, sum.Orders, sum.FinalBad)
	}
}
