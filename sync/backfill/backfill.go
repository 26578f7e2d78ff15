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

// Run backfills every pipeline of cfg: connect, take the stream position, scan the table into
// every sink, repair (Options.Repair), hand over to the stream.
func Run(ctx context.Context, cfg *config.Config, opts Options) (*Result, error) {
	b, err := connect(ctx, cfg, opts)
	if err != nil {
		return nil, err
	}
	defer b.close()
	if err := b.position(ctx); err != nil {
		return nil, err
	}
	if opts.AfterPosition != nil {
		opts.AfterPosition()
	}
	if b.targets, err = pipeline.Open(ctx, cfg, nil); err != nil {
		return nil, err
	}
	res, err := b.scan(ctx)
	if err != nil {
		return nil, err
	}
	if err := b.repair(ctx, res); err != nil {
		return nil, err
	}
	if err := b.handOver(ctx); err != nil {
		return res, err
	}
	return b.report(res)
}

// backfill is one run's connections and what each step hands the next.
type backfill struct {
	cfg      *config.Config
	opts     Options
	log      *slog.Logger
	segments int
	ddb      *dynamodb.Client
	api      stream.API
	arn      string
	store    checkpoint.Store
	ownStore bool
	srcKey   []string
	targets  pipeline.Targets
	// repairs is, per pipeline, the keys its scan selected (nil without Options.Repair).
	repairs []*repairSet
	// Set by position: the lease rows and listed shards of the stream, the newest record of
	// every unfinished shard, and the version the scanned items are written with.
	leases  []checkpoint.Lease
	listed  map[string]bool
	tips    map[string]tip
	version string
}

// tip is a shard's position: its newest record, and whether that is its end.
type tip struct {
	seq string
	end bool
}

// connect opens the source table, its stream and the checkpoint store (options override each).
func connect(ctx context.Context, cfg *config.Config, opts Options) (*backfill, error) {
	b := &backfill{cfg: cfg, opts: opts, log: opts.Logger, segments: opts.Segments, api: opts.Streams, arn: opts.StreamArn, store: opts.Store}
	if b.log == nil {
		b.log = slog.Default()
	}
	if b.segments <= 0 {
		b.segments = 4
	}
	var err error
	if b.ddb, err = awsconf.DynamoDB(ctx, cfg.Source.Region, cfg.Source.Endpoint); err != nil {
		return nil, err
	}
	if b.api == nil {
		if b.api, err = awsconf.Streams(ctx, cfg.Source.Region, cfg.Source.Endpoint); err != nil {
			return nil, err
		}
	}
	if b.arn == "" {
		if b.arn, err = stream.Resolve(ctx, b.ddb, cfg.Source.Table); err != nil {
			return nil, err
		}
	}
	if b.store == nil {
		if b.store, err = checkpoint.Open(ctx, cfg.Checkpoints); err != nil {
			return nil, err
		}
		b.ownStore = true
	}
	if b.srcKey, err = stream.TableKey(ctx, b.ddb, cfg.Source.Table); err != nil {
		b.close()
		return nil, err
	}
	return b, nil
}

// close closes the sinks, and the store if connect opened it.
func (b *backfill) close() {
	b.targets.Close()
	if b.ownStore {
		b.store.Close()
	}
}

// position takes the stream position: the newest record of every unfinished shard; the highest
// (or the highest checkpoint) is the version of every scanned item. Every unfinished shard's
// applied high-water mark is raised to it before anything is written: a worker then reads the
// sink's version before writing any record at or below it (in batch mode it would otherwise
// write records above the old mark blind, over the scanned copies). See docs/sync.md, Backfill.
func (b *backfill) position(ctx context.Context) error {
	shards, err := stream.ListShards(ctx, b.api, b.arn, stream.Backoff{})
	if err != nil {
		return err
	}
	if b.leases, err = b.store.Leases(ctx, b.arn); err != nil {
		return err
	}
	cps := map[string]string{}
	for _, l := range b.leases {
		cps[l.Shard] = l.Checkpoint
	}
	b.listed, b.tips = map[string]bool{}, map[string]tip{}
	b.version = strings.Repeat("0", item.SeqWidth)
	for _, s := range shards {
		b.listed[s.ID] = true
		if err := b.shardTip(ctx, s.ID, cps[s.ID]); err != nil {
			return err
		}
	}
	for id := range b.tips {
		if err := b.store.RaiseHwmAny(ctx, b.arn, id, b.version); err != nil {
			return err
		}
	}
	b.log.Info("backfill: stream position taken", "stream", b.arn, "shards", len(b.tips), "version", b.version)
	return nil
}

// shardTip records the position of one shard checkpointed at cp, raising the version to it.
func (b *backfill) shardTip(ctx context.Context, id, cp string) error {
	if cp == checkpoint.ShardEnd {
		return nil
	}
	last, end, err := stream.Tip(ctx, b.api, b.arn, id, cp, stream.Backoff{})
	if errors.Is(err, stream.ErrShardGone) {
		// Expired while listed: whatever it held is older than the scan, which covers it.
		b.tips[id] = tip{end: true}
		return nil
	}
	if err != nil {
		return fmt.Errorf("backfill: stream position of shard %s: %w", id, err)
	}
	b.tips[id] = tip{last, end}
	for _, seq := range []string{last, cp} {
		if seq == "" {
			continue
		}
		if v, err := item.PadSeq(seq); err == nil && v > b.version {
			b.version = v
		}
	}
	return nil
}

// counts are one pipeline's scan counters.
type counts struct{ written, stale, failed atomic.Int64 }

// scan reads the source table in parallel segments and applies each page to every pipeline.
func (b *backfill) scan(ctx context.Context) (*Result, error) {
	b.repairs = make([]*repairSet, len(b.targets))
	if b.opts.Repair {
		for i, t := range b.targets {
			b.repairs[i] = newRepairSet(t.Pipeline, t.Config, t.Sink, b.log)
		}
	}
	cs := make([]counts, len(b.targets))
	var scanned atomic.Int64
	g, gctx := errgroup.WithContext(ctx)
	for seg := range b.segments {
		g.Go(func() error { return b.scanSegment(gctx, seg, cs, &scanned) })
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	res := &Result{Scanned: scanned.Load(), Version: b.version,
		Written: map[string]int64{}, Stale: map[string]int64{}, Failed: map[string]int64{}, Repaired: map[string]int64{}}
	for i, t := range b.targets {
		res.Written[t.Name], res.Stale[t.Name], res.Failed[t.Name] = cs[i].written.Load(), cs[i].stale.Load(), cs[i].failed.Load()
	}
	return res, nil
}

// scanSegment scans one segment of the source table.
func (b *backfill) scanSegment(ctx context.Context, seg int, cs []counts, scanned *atomic.Int64) error {
	p := dynamodb.NewScanPaginator(b.ddb, &dynamodb.ScanInput{
		TableName: aws.String(b.cfg.Source.Table), Segment: aws.Int32(int32(seg)), TotalSegments: aws.Int32(int32(b.segments)),
		ConsistentRead: aws.Bool(true),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("backfill: scan %s segment %d: %w", b.cfg.Source.Table, seg, err)
		}
		scanned.Add(int64(len(page.Items)))
		for i, t := range b.targets {
			if err := b.applyPage(ctx, t, b.repairs[i], page.Items, &cs[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

// applyPage writes the items of a page that t selects, each with the backfill's version.
func (b *backfill) applyPage(ctx context.Context, t pipeline.Target, rs *repairSet, items []item.Item, c *counts) error {
	var ws []sink.Write
	for _, it := range items {
		if !t.Selects(it) {
			continue
		}
		w := sink.Write{Item: t.Map(it), Version: b.version, Origin: b.cfg.Source.Table, Ref: "scan/" + item.KeyString(it, b.srcKey),
			Keys: t.Map(keyOf(it, b.srcKey)), Event: sink.Snapshot}
		rs.saw(w.Item)
		if bw := t.Config.BothWays; bw != nil {
			w.Clock = it[bw.VersionAttribute]
		}
		ws = append(ws, w)
	}
	if len(ws) == 0 {
		return nil
	}
	r, err := t.Sink.Apply(ctx, ws)
	if err != nil && sink.IsPermanent(err) {
		r, err = b.applyEach(ctx, t, ws, c)
	}
	if err != nil {
		return fmt.Errorf("backfill: pipeline %s: %w", t.Name, err)
	}
	c.written.Add(int64(r.Applied))
	c.stale.Add(int64(r.Stale))
	return nil
}

// applyEach writes ws one at a time, after the sink rejected the batch: the items it rejects are
// reported and counted as failed, the rest written.
func (b *backfill) applyEach(ctx context.Context, t pipeline.Target, ws []sink.Write, c *counts) (sink.Result, error) {
	var r sink.Result
	for _, w := range ws {
		r1, err := t.Sink.Apply(ctx, []sink.Write{w})
		if err != nil {
			if !sink.IsPermanent(err) {
				return r, err
			}
			b.log.Error("backfill: item rejected by sink", "pipeline", t.Name, "item", w.Ref, "err", err)
			c.failed.Add(1)
			continue
		}
		r.Applied += r1.Applied
		r.Stale += r1.Stale
	}
	return r, nil
}

// repair tombstones, per pipeline, the sink items whose key the scan did not see.
func (b *backfill) repair(ctx context.Context, res *Result) error {
	for i, r := range b.repairs {
		n, err := r.run(ctx, b.version, b.cfg, b.targets[i].Config)
		if err != nil {
			return err
		}
		res.Repaired[b.targets[i].Name] = n
	}
	return nil
}

// handOver moves the checkpoints up to the position (never back): what the stream holds after it
// is delivered by `carve sync run` as usual.
func (b *backfill) handOver(ctx context.Context) error {
	for id, tp := range b.tips {
		cp := tp.seq
		if tp.end {
			cp = checkpoint.ShardEnd
		}
		if cp == "" {
			continue
		}
		if err := b.store.Advance(ctx, b.arn, id, cp); err != nil {
			return err
		}
	}
	// Shards the job began that left the stream unfinished hold the job's later shards back
	// (their changes were lost); the scan covered them: mark them done.
	for _, l := range b.leases {
		if !b.listed[l.Shard] && l.Checkpoint != checkpoint.ShardEnd {
			if err := b.store.Advance(ctx, b.arn, l.Shard, checkpoint.ShardEnd); err != nil {
				return err
			}
			b.log.Info("backfill: a shard that left the stream unfinished is covered by the scan; marked done", "shard", l.Shard)
		}
	}
	return nil
}

// report logs what the backfill did and fails it if a sink rejected items.
func (b *backfill) report(res *Result) (*Result, error) {
	b.log.Info("backfill done", "scanned", res.Scanned, "written", res.Written, "stale", res.Stale, "failed", res.Failed, "repaired", res.Repaired)
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
		log.Warn("backfill: repair skipped: the "+pc.Sink.Kind+" sink publishes events and cannot be read back; its consumers learned of deletions from REMOVE events", "pipeline", p.Name)
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
	if rc, ok := pc.Sink.Config.(sink.RepairConfig); ok {
		pc.Sink.Config = rc.Conditional()
	}
	t, err := pipeline.OpenTarget(ctx, cfg, pc, nil)
	if err != nil {
		return 0, fmt.Errorf("backfill repair: %w", err)
	}
	defer t.Sink.Close()
	res, err := t.Sink.Apply(ctx, ws)
	if err != nil {
		return int64(res.Applied), fmt.Errorf("backfill repair: pipeline %s: %w", r.p.Name, err)
	}
	return int64(res.Applied), nil
}
