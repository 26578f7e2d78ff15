package demo

import (
	"context"
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

// TestMigrationEndToEnd runs the demo's flow with smaller numbers against real processes
// (DynamoDB Local, the monolith, the extracted service, two carve sync jobs, carve proxy) and
// asserts what the migration promises: no request fails through any weight change; every
// order written on either side reaches the other table within the lag bound; verify finds no
// drift; after rollback the monolith serves every order, including those the service placed.
func TestMigrationEndToEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	const lagBound = 5 * time.Second
	// Customers pause 300ms between rounds: read_your_writes keeps a customer who just wrote on
	// that side until the sync's watermark passes the write, so one writing faster than the
	// watermark moves (a few hundred ms under a loaded CI) would stay until max_wait.
	sum, err := Run(ctx, Options{
		Dir: t.TempDir(), Users: 8, SeedOrders: 8, Step: 3 * time.Second, Pace: 300 * time.Millisecond,
		LagBound: lagBound, Out: testLog{t},
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

	if len(sum.Steps) != len(steps) {
		t.Fatalf("%d steps, want %d", len(sum.Steps), len(steps))
	}
	for _, st := range sum.Steps {
		if st.Errors != 0 {
			t.Errorf("step %s: %d failed requests: %v", st.Name, st.Errors, st.ErrorSamples)
		}
		if st.Requests == 0 || st.Placed == 0 {
			t.Errorf("step %s: %d requests, %d orders placed: no traffic", st.Name, st.Requests, st.Placed)
		}
		if st.StaleReads != 0 {
			t.Errorf("step %s: %d stale reads: a user read older data than they wrote (read_your_writes)", st.Name, st.StaleReads)
		}
		if st.Late != 0 || st.LagMax > lagBound {
			t.Errorf("step %s: %d writes over the lag bound (max %v)", st.Name, st.Late, st.LagMax)
		}
	}
	byName := map[string]StepSummary{}
	for _, st := range sum.Steps {
		byName[st.Name] = st
	}
	if s := byName["0%"]; s.ByService != 0 {
		t.Errorf("at 0%% the service answered %d requests", s.ByService)
	}
	if s := byName["50%"]; s.ByService == 0 || s.ByMonolith == 0 {
		t.Errorf("at 50%%: monolith %d, service %d: want both sides", s.ByMonolith, s.ByService)
	}
	for _, name := range []string{"100%", "forward"} {
		// Requests in flight when the weight changed may still be answered by the monolith, and
		// read_your_writes keeps a user who just wrote there until the sync has the write
		// (within its stream delay, 100ms here, and a poll).
		if s := byName[name]; s.ByService < s.Requests*8/10 {
			t.Errorf("at %s the service answered %d of %d requests", name, s.ByService, s.Requests)
		}
	}
	if s := byName["rollback"]; s.ByMonolith < s.Requests*8/10 {
		t.Errorf("after rollback the monolith answered %d of %d requests", s.ByMonolith, s.Requests)
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
		t.Errorf("after rollback the monolith served %d of %d orders: %v", sum.RollbackChecked-len(sum.RollbackBad), sum.RollbackChecked, sum.RollbackBad)
	}
	if sum.RollbackByService == 0 {
		t.Error("no order placed through the service was checked after rollback")
	}
	if sum.FinalChecked != sum.Orders || len(sum.FinalBad) != 0 {
		t.Errorf("at the end the service served %d of %d orders (of %d): %v", sum.FinalChecked-len(sum.FinalBad), sum.FinalChecked, sum.Orders, sum.FinalBad)
	}
	if sum.Elapsed > 3*time.Minute {
		t.Errorf("took %v", sum.Elapsed)
	}
}
