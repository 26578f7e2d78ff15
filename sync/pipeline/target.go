package pipeline

import (
	"context"
	"fmt"

	"github.com/carve-dev/carve/sync/config"
	"github.com/carve-dev/carve/sync/sink"
	"github.com/carve-dev/carve/sync/stream"
)

// Target is a configured pipeline opened with its sink: what `carve sync run`, backfill and
// verify all write through or read from.
type Target struct {
	*Pipeline
	Sink   sink.Sink
	Config config.Pipeline
}

// Targets are a job's pipelines with their sinks, in config order.
type Targets []Target

// Open opens every pipeline of cfg with its sink, retrying sink calls as cfg.Retry says;
// onRetry, if set, is told of each retry with the pipeline's name (metrics). On error what was
// opened is closed again.
func Open(ctx context.Context, cfg *config.Config, onRetry func(pipeline string)) (Targets, error) {
	var ts Targets
	for _, pc := range cfg.Pipelines {
		t, err := OpenTarget(ctx, cfg, pc, onRetry)
		if err != nil {
			ts.Close()
			return nil, err
		}
		ts = append(ts, t)
	}
	return ts, nil
}

// OpenTarget opens one pipeline of cfg (pc may differ from the config's, e.g. a write mode
// changed for one step) with its sink.
func OpenTarget(ctx context.Context, cfg *config.Config, pc config.Pipeline, onRetry func(pipeline string)) (Target, error) {
	b := stream.Backoff{Initial: cfg.Retry.Initial.Duration, Max: cfg.Retry.Max.Duration}
	if onRetry != nil {
		name := pc.Name
		b.OnRetry = func(error) { onRetry(name) }
	}
	s, err := sink.Open(ctx, pc.Sink.Config, sink.Env{Source: cfg.Source.Table, Pipeline: pc.Name, TwoWay: pc.TwoWay(), Concurrency: cfg.Worker.WriteConcurrency, Backoff: b})
	if err != nil {
		return Target{}, fmt.Errorf("pipeline %s: %w", pc.Name, err)
	}
	return Target{Pipeline: New(pc, cfg.Source.Table), Sink: s, Config: pc}, nil
}

// Close closes every sink.
func (ts Targets) Close() {
	for _, t := range ts {
		t.Sink.Close()
	}
}
