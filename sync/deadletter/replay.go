package deadletter

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/carve-dev/carve/sync/config"
	"github.com/carve-dev/carve/sync/pipeline"
	"github.com/carve-dev/carve/sync/sink"
)

// ReplayResult counts what a replay did with the store's entries.
type ReplayResult struct {
	// Replayed were written; Stale were older than what the sink holds now (a newer change of
	// the item reached it since) or no longer selected; both are done.
	Replayed int `json:"replayed"`
	Stale    int `json:"stale"`
	// Failed still fail (the cause is not fixed yet); Unknown name a pipeline the config does
	// not have. Both stay in the store.
	Failed  int `json:"failed"`
	Unknown int `json:"unknown_pipeline"`
	// Removed is how many done entries left the store (a file store keeps them: a worker may be
	// appending to it; replaying them again is harmless).
	Removed int `json:"removed"`
}

// Replay re-applies the dead-letter store's entries through their pipelines into the sinks, once
// the cause (a mapping, a column type, a writer) is fixed. Each write keeps the record's version,
// so an entry older than what the sink now holds is skipped by the version guard: a replay never
// undoes a later change. An outage stops the replay with an error; it can be run again.
func Replay(ctx context.Context, cfg *config.Config, log *slog.Logger) (*ReplayResult, error) {
	store, err := Open(ctx, cfg.DeadLetter)
	if err != nil {
		return nil, err
	}
	defer store.Close()
	entries, err := store.Entries(ctx)
	if err != nil {
		return nil, err
	}
	targets := map[string]*pipeline.Target{}
	defer func() {
		for _, t := range targets {
			t.Sink.Close()
		}
	}()
	res := &ReplayResult{}
	for _, e := range entries {
		t := targets[e.Pipeline]
		if t == nil {
			for _, pc := range cfg.Pipelines {
				if pc.Name != e.Pipeline {
					continue
				}
				opened, err := pipeline.OpenTarget(ctx, cfg, pc, nil)
				if err != nil {
					return res, fmt.Errorf("replay: %w", err)
				}
				t = &opened
				targets[e.Pipeline] = t
			}
		}
		if t == nil {
			res.Unknown++
			log.Warn("replay: the config has no pipeline of this name; entry kept", "entry", e.ID())
			continue
		}
		stale, err := replayOne(ctx, t.Pipeline, t.Sink, e)
		switch {
		case err != nil && !sink.IsPermanent(err):
			return res, fmt.Errorf("replay %s: %w", e.ID(), err)
		case err != nil:
			res.Failed++
			log.Error("replay: the record still fails; entry kept", "entry", e.ID(), "err", err)
			continue
		case stale:
			res.Stale++
		default:
			res.Replayed++
		}
		removed, err := store.Remove(ctx, e)
		if err != nil {
			return res, err
		}
		if removed {
			res.Removed++
		}
	}
	return res, nil
}

// replayOne applies one entry; errors of the record itself are permanent.
func replayOne(ctx context.Context, p *pipeline.Pipeline, s sink.Sink, e Entry) (stale bool, err error) {
	r, err := e.Record()
	if err != nil {
		return false, sink.Permanent(err)
	}
	w, skip, err := p.Write(r)
	if err != nil {
		return false, sink.Permanent(err)
	}
	if skip != pipeline.NotSkipped {
		return true, nil
	}
	res, err := s.Apply(ctx, []sink.Write{w})
	return res.Stale > 0, err
}
