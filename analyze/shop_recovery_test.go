package analyze

import (
	"context"
	"testing"

	"github.com/carve-dev/carve/analyze/load"
	"github.com/carve-dev/carve/analyze/score"
	"github.com/carve-dev/carve/analyze/signals"
)

// TestShopSampleRecovery: carve's plan of samples/shop agrees with its intended decomposition
// (issue 2 asks for ARI ≥ 0.8). It loads the sample with the real loader and signals.
func TestShopSampleRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("loads samples/shop")
	}
	truth, err := score.ReadTruth("../samples/shop/decomposition.json")
	if err != nil {
		t.Skip(err)
	}
	ctx := context.Background()
	mod, err := load.Load(ctx, "../samples/shop", load.LoadOptions{Env: []string{"GOWORK=off", "GOFLAGS=-mod=mod", "GOPROXY=off"}})
	if err != nil {
		t.Fatalf("load samples/shop: %v", err)
	}
	facts, err := signals.Collect(ctx, mod, nil)
	if err != nil {
		t.Fatalf("collect: %v", err)
	}
	for _, seed := range []int64{0, 1, 2} {
		p, err := Propose(facts, Options{Seed: seed, Truth: truth})
		if err != nil {
			t.Fatal(err)
		}
		if *p.Metrics.ARI < 0.8 {
			t.Errorf("seed %d: ARI %.3f < 0.8 (MoJoFM %.1f); services %v", seed, *p.Metrics.ARI, *p.Metrics.MoJoFM, partitionOf(p))
		} else {
			t.Logf("seed %d: ARI %.3f MoJoFM %.1f, %d services", seed, *p.Metrics.ARI, *p.Metrics.MoJoFM, len(p.Services))
		}
	}
}
