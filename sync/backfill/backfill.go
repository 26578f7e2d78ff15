// Package backfill copies the items a source table already holds into every pipeline's sink and
// hands over to the stream without a gap: it first reads every unfinished shard up to its newest
// record (the stream position), then scans the table in parallel segments and writes each item
// with that position as its version, then moves the shards' checkpoints up to the position. A
// change made during the scan is after the position, so the stream delivers it with a higher
// version; a scanned copy older than a change already applied is skipped by the version guard.
package backfill

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"golang.org/x/sync/errgroup"

	"github.com/carve-dev/carve/sync/awsconf"
	"github.com/carve-dev/carve/sync/checkpoint"
	"github.com/carve-dev/carve/sync/config"
	"github.com/carve-dev/carve/sync/item"
	"github.com/carve-dev/carve/sync/pipeline"
	"github.com/carve-dev/carve/sync/sink"
	"github.com/carve-dev/carve/sync/stream"
)

// Options tune a backfill.
type Options struct {
	// Segments is the number of parallel Scan segments (default 4).
	Segments int
	Logger   *slog.Logger
	// Streams, StreamArn and Store replace the configured ones (tests).
	Streams   stream.API
	StreamArn string
	Store     checkpoint.Store
	// AfterPosition, if set, runs after the stream position was taken and before the scan
	// (tests use it to race writes against the scan).
	AfterPosition func()
	// Repair also tombstones, after the scan, the sink items whose key the scan did not find in
	// the source (deletes lost to trimmed data or an outage). Items written by the stream after
	// the position are newer than the tombstones and stay.
	Repair bool
}

// Result says what a backfill did.
type Result struct {
	Scanned int64
	// Written and Stale count, per pipeline, the items written and the ones skipped because the
	// sink already held a newer version.
	Written map[string]int64
	Stale   map[string]int64
	Failed  map[string]int64
	// Repaired counts, per pipeline, the sink items tombstoned because their key is gone from
	// the source (Options.Repair).
	Repaired map[string]int64
	// Version is the version the scanned items were written with (the stream position).
	Version string
}

// Run backfills every pipeline of cfg.
func Run(ctx context.Context, cfg *config.Config, opts Options) (*Result, error) {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	segments := opts.Segments
	if segments <= 0 {
		segments = 4
	}
	ddb, err := awsconf.DynamoDB(ctx, cfg.Source.Region, cfg.Source.Endpoint)
	if err != nil {
		return nil, err
	}
	api := opts.Streams
	if api == nil {
		if api, err = awsconf.Streams(ctx, cfg.Source.Region, cfg.Source.Endpoint); err != nil {
			return nil, err
		}
	}
	arn := opts.StreamArn
	if arn == "" {
		if arn, err = stream.Resolve(ctx, ddb, cfg.Source.Table); err != nil {
			return nil, err
		}
	}
	store := opts.Store
	if store == nil {
		if store, err = checkpoint.Open(ctx, cfg.Checkpoints); err != nil {
			return nil, err
		}
		defer store.Close()
	}

	srcKey, err := stream.TableKey(ctx, ddb, cfg.Source.Table)
	if err != nil {
		return nil, err
	}

	// 1. The stream position: the newest record of every unfinished shard.
	shards, err := stream.ListShards(ctx, api, arn, stream.Backoff{})
	if err != nil {
		return nil, err
	}
	leases, err := store.Leases(ctx, arn)
	if err != nil {
		return nil, err
	}
	cps := map[string]string{}
	for _, l := range leases {
		cps[l.Shard] = l.Checkpoint
	}
	listed := map[string]bool{}
	for _, s := range shards {
		listed[s.ID] = true
	}
	type tip struct {
		seq string
		end bool
	}
	tips := map[string]tip{}
	version := strings.Repeat("0", item.SeqWidth)
	for _, s := range shards {
		cp := cps[s.ID]
		if cp == checkpoint.ShardEnd {
			continue
		}
		last, end, err := stream.Tip(ctx, api, arn, s.ID, cp, stream.Backoff{})
		if errors.Is(err, stream.ErrShardGone) {
			// Expired while listed: whatever it held is older than the scan, which covers it.
			tips[s.ID] = tip{end: true}
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("backfill: stream position of shard %s: %w", s.ID, err)
		}
		tips[s.ID] = tip{last, end}
		for _, seq := range []string{last, cp} {
			if seq == "" {
				continue
			}
			if v, err := item.PadSeq(seq); err == nil && v > version {
				version = v
			}
		}
	}
	// Raise every unfinished shard's applied high-water mark to the version before writing
	// anything: a worker then reads the sink's version before writing any record at or below it
	// (in batch mode it would otherwise write records above the old mark blind, over the scanned
	// copies). See docs/sync.md, Backfill.
	for id := range tips {
		if err := store.RaiseHwmAny(ctx, arn, id, version); err != nil {
			return nil, err
		}
	}
	log.Info("backfill: stream position taken", "stream", arn, "shards", len(tips), "version", version)
	if opts.AfterPosition != nil {
		opts.AfterPosition()
	}

	// 2. The scan, segments in parallel, each page applied to every pipeline.
	type target struct {
		p    *pipeline.Pipeline
		sink sink.Sink
	}
	var targets []target
	defer func() {
		for _, t := range targets {
			t.sink.Close()
		}
	}()
	for _, pc := range cfg.Pipelines {
		s, err := sink.Open(ctx, pc, cfg.Source.Table, cfg.Worker.WriteConcurrency, stream.Backoff{Initial: cfg.Retry.Initial.Duration, Max: cfg.Retry.Max.Duration})
		if err != nil {
			return nil, fmt.Errorf("pipeline %s: %w", pc.Name, err)
		}
		targets = append(targets, target{pipeline.New(pc, cfg.Source.Table), s})
	}
	res := &Result{Written: map[string]int64{}, Stale: map[string]int64{}, Failed: map[string]int64{}, Repaired: map[string]int64{}, Version: version}
	// Repair: per pipeline, the keys (as the sink spells them) of the items the scan selected.
	repair := make([]*repairSet, len(targets))
	if opts.Repair {
		for i, t := range targets {
			repair[i] = newRepairSet(t.p, cfg.Pipelines[i], t.sink, log)
		}
	}
	counters := make([][3]atomic.Int64, len(targets))
	var scanned atomic.Int64
	g, gctx := errgroup.WithContext(ctx)
	for seg := 0; seg < segments; seg++ {
		g.Go(func() error {
			p := dynamodb.NewScanPaginator(ddb, &dynamodb.ScanInput{
				TableName: aws.String(cfg.Source.Table), Segment: aws.Int32(int32(seg)), TotalSegments: aws.Int32(int32(segments)),
				ConsistentRead: aws.Bool(true),
			})
			for p.HasMorePages() {
				page, err := p.NextPage(gctx)
				if err != nil {
					return fmt.Errorf("backfill: scan %s segment %d: %w", cfg.Source.Table, seg, err)
				}
				scanned.Add(int64(len(page.Items)))
				for i, t := range targets {
					var ws []sink.Write
					for _, it := range page.Items {
						if !t.p.Selects(it) {
							continue
						}
						w := sink.Write{Item: t.p.Map(it), Version: version, Origin: cfg.Source.Table, Ref: "scan/" + item.KeyString(it, srcKey),
							Keys: t.p.Map(keyOf(it, srcKey)), Event: sink.Snapshot}
						repair[i].saw(w.Item)
						if bw := cfg.Pipelines[i].BothWays; bw != nil {
							w.Clock = it[bw.VersionAttribute]
						}
						ws = append(ws, w)
					}
					if len(ws) == 0 {
						continue
					}
					r, err := t.sink.Apply(gctx, ws)
					if err != nil && sink.IsPermanent(err) {
						// Isolate the items the sink rejects; report them, write the rest.
						r = sink.Result{}
						for _, w := range ws {
							r1, err := t.sink.Apply(gctx, []sink.Write{w})
							if err != nil {
								if !sink.IsPermanent(err) {
									return err
								}
								log.Error("backfill: item rejected by sink", "pipeline", t.p.Name, "item", w.Ref, "err", err)
								counters[i][2].Add(1)
								continue
							}
							r.Applied += r1.Applied
							r.Stale += r1.Stale
						}
					} else if err != nil {
						return fmt.Errorf("backfill: pipeline %s: %w", t.p.Name, err)
					}
					counters[i][0].Add(int64(r.Applied))
					counters[i][1].Add(int64(r.Stale))
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	res.Scanned = scanned.Load()
	for i, r := range repair {
		n, err := r.run(ctx, version, cfg, cfg.Pipelines[i])
		if err != nil {
			return nil, err
		}
		res.Repaired[targets[i].p.Name] = n
	}
	for i, t := range targets {
		res.Written[t.p.Name] = counters[i][0].Load()
		res.Stale[t.p.Name] = counters[i][1].Load()
		res.Failed[t.p.Name] = counters[i][2].Load()
	}

	// 3. Hand over: checkpoints move up to the position (never back); what the stream holds
	// after it is delivered by `carve sync run` as usual.
	for id, tp := range tips {
		cp := tp.seq
		if tp.end {
			cp = checkpoint.ShardEnd
		}
		if cp == "" {
			continue
		}
		if err := store.Advance(ctx, arn, id, cp); err != nil {
			return res, err
		}
	}
	// Shards the job began that left the stream unfinished hold the job's later shards back (their
	// changes were lost); the scan covered them: mark them done.
	for _, l := range leases {
		if !listed[l.Shard] && l.Checkpoint != checkpoint.ShardEnd {
			if err := store.Advance(ctx, arn, l.Shard, checkpoint.ShardEnd); err != nil {
				return res, err
			}
			log.Info("backfill: a shard that left the stream unfinished is covered by the scan; marked done", "shard", l.Shard)
		}
	}
	log.Info("backfill done", "scanned", res.Scanned, "written", res.Written, "stale", res.Stale, "failed", res.Failed, "repaired", res.Repaired)
	var failed int64
	for _, n := range res.Failed {
		failed += n
	}
	if failed > 0 {
		return res, fmt.Errorf("backfill: %d items rejected by their sink (see the log): fix the mapping or the sink table and run the backfill again", failed)
	}
	return res, nil
}

// repairSet collects the keys a pipeline's scan selected and then tombstones the sink's live items
// whose key it did not see. A nil *repairSet does nothing.
type repairSet struct {
	p    *pipeline.Pipeline
	fp   sink.Fingerprinter
	keys sink.KeyLister
	mu   sync.Mutex
	seen map[string]bool
}

// newRepairSet returns nil (no repair) for a pipeline whose sink items cannot be told apart from
// other entities' items in a shared table (its filter reads an attribute the mapping drops), or
// whose tombstones need a version value (two-way), logging why.
func newRepairSet(p *pipeline.Pipeline, pc config.Pipeline, s sink.Sink, log *slog.Logger) *repairSet {
	fp, ok1 := s.(sink.Fingerprinter)
	kl, ok2 := s.(sink.KeyLister)
	switch {
	case pc.Sink.Publishes():
		log.Warn("backfill: repair skipped: an "+pc.Sink.Kind()+" sink publishes events and cannot be read back; its consumers learned of deletions from REMOVE events", "pipeline", p.Name)
	case !ok1 || !ok2:
		log.Warn("backfill: repair skipped: the sink cannot list its keys", "pipeline", p.Name)
	case pc.BothWays != nil:
		log.Warn("backfill: repair skipped for a two-way pipeline: a tombstone needs the deleted item's version value; delete the extra items on the side that still has them", "pipeline", p.Name)
	case !p.FilterSurvivesMapping():
		log.Warn("backfill: repair skipped: the mapping drops an attribute the filter reads, so the sink's items of this pipeline cannot be told from others'", "pipeline", p.Name)
	default:
		return &repairSet{p: p, fp: fp, keys: kl, seen: map[string]bool{}}
	}
	return nil
}

// keyOf is the key attributes of a source item.
func keyOf(it item.Item, key []string) item.Item {
	k := make(item.Item, len(key))
	for _, a := range key {
		if v, ok := it[a]; ok {
			k[a] = v
		}
	}
	return k
}

func (r *repairSet) saw(mapped item.Item) {
	if r == nil {
		return
	}
	k, _, err := r.fp.Fingerprint(mapped)
	if err != nil {
		return // unmappable: the sink has no item for it either
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen[k] = true
}

// run tombstones, at the backfill's version, every live sink item whose key the scan did not
// see. The tombstones are conditional writes in every write mode: an item the stream wrote
// after the position (a newer version) keeps its value.
func (r *repairSet) run(ctx context.Context, version string, cfg *config.Config, pc config.Pipeline) (int64, error) {
	if r == nil {
		return 0, nil
	}
	var ws []sink.Write
	err := r.keys.ListKeys(ctx, r.p.SelectsMapped, func(key string, k item.Item) {
		if !r.seen[key] {
			ws = append(ws, sink.Write{Item: k, Delete: true, Version: version, Ref: "repair/" + key})
		}
	})
	if err != nil || len(ws) == 0 {
		return 0, err
	}
	if d := pc.Sink.DynamoDB; d != nil && d.WriteMode == string(sink.Batch) {
		conditional := *d
		conditional.WriteMode = string(sink.Transact)
		pc.Sink.DynamoDB = &conditional
	}
	s, err := sink.Open(ctx, pc, cfg.Source.Table, cfg.Worker.WriteConcurrency, stream.Backoff{Initial: cfg.Retry.Initial.Duration, Max: cfg.Retry.Max.Duration})
	if err != nil {
		return 0, fmt.Errorf("backfill repair: pipeline %s: %w", r.p.Name, err)
	}
	defer s.Close()
	res, err := s.Apply(ctx, ws)
	if err != nil {
		return int64(res.Applied), fmt.Errorf("backfill repair: pipeline %s: %w", r.p.Name, err)
	}
	return int64(res.Applied), nil
}
