// Package job runs `carve sync run`: it takes leases on the source stream's shards (sharing them
// with other workers through the checkpoint table), reads each shard in order with its parent
// first, passes every batch through the pipelines into their sinks, and checkpoints the shard
// only after every sink acknowledged the batch. It is named job, not sync, so that it never
// shadows the standard library's sync package.
package job

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/sync/errgroup"

	"github.com/carve-dev/carve/sync/awsconf"
	"github.com/carve-dev/carve/sync/checkpoint"
	"github.com/carve-dev/carve/sync/config"
	"github.com/carve-dev/carve/sync/deadletter"
	"github.com/carve-dev/carve/sync/metrics"
	"github.com/carve-dev/carve/sync/pipeline"
	"github.com/carve-dev/carve/sync/sink"
	"github.com/carve-dev/carve/sync/stream"
)

// ErrAbandon, as the cause of Run's context, stops the worker like a crash: leases are not handed
// back and other workers take its shards over only once the leases expire. Tests and failover
// drills use it.
var ErrAbandon = errors.New("worker abandoned its leases")

// Options are the parts of a job that tests replace.
type Options struct {
	// Logger receives JSON logs; default: slog.Default().
	Logger *slog.Logger
	// Streams replaces the DynamoDB Streams client (tests use a fake of the four calls).
	Streams stream.API
	// StreamArn skips looking the stream up on the source table.
	StreamArn string
	// OnShardError is told when a shard stops on an error (trimmed data, shard gone).
	OnShardError func(shard string, err error)
	// Store and DeadLetter replace the configured stores.
	Store      checkpoint.Store
	DeadLetter deadletter.Store
}

// target is a pipeline with its sink.
type target struct {
	p    *pipeline.Pipeline
	sink sink.Sink
}

// Job is one worker of a sync job.
type Job struct {
	cfg     *config.Config
	opts    Options
	log     *slog.Logger
	m       *metrics.Metrics
	streams stream.API
	arn     string
	store   checkpoint.Store
	dlq     deadletter.Store
	targets []target
	owner   string
}

// New connects to everything the config names: the source stream, the checkpoint store, the
// dead-letter store and every sink (creating or validating PostgreSQL tables).
func New(ctx context.Context, cfg *config.Config, opts Options) (j *Job, err error) {
	j = &Job{cfg: cfg, opts: opts, log: opts.Logger, m: metrics.New(), owner: cfg.Worker.ID, streams: opts.Streams, arn: opts.StreamArn}
	if j.log == nil {
		j.log = slog.Default()
	}
	defer func() {
		if err != nil {
			j.Close()
		}
	}()
	if j.streams == nil {
		if j.streams, err = awsconf.Streams(ctx, cfg.Source.Region, cfg.Source.Endpoint); err != nil {
			return nil, err
		}
	}
	if j.arn == "" {
		ddb, err := awsconf.DynamoDB(ctx, cfg.Source.Region, cfg.Source.Endpoint)
		if err != nil {
			return nil, err
		}
		if j.arn, err = stream.Resolve(ctx, ddb, cfg.Source.Table); err != nil {
			return nil, err
		}
	}
	if j.store = opts.Store; j.store == nil {
		if j.store, err = checkpoint.Open(ctx, cfg.Checkpoints); err != nil {
			return nil, err
		}
	}
	if j.dlq = opts.DeadLetter; j.dlq == nil {
		if j.dlq, err = deadletter.Open(ctx, cfg.DeadLetter); err != nil {
			return nil, err
		}
	}
	for _, pc := range cfg.Pipelines {
		name := pc.Name
		s, err := sink.Open(ctx, pc, cfg.Worker.WriteConcurrency, stream.Backoff{
			Initial: cfg.Retry.Initial.Duration, Max: cfg.Retry.Max.Duration,
			OnRetry: func(error) { j.m.Retries.WithLabelValues(name).Inc() },
		})
		if err != nil {
			return nil, fmt.Errorf("pipeline %s: %w", pc.Name, err)
		}
		j.targets = append(j.targets, target{p: pipeline.New(pc, cfg.Source.Table), sink: s})
	}
	return j, nil
}

// Metrics returns the job's metrics.
func (j *Job) Metrics() *metrics.Metrics { return j.m }

// Stream returns the ARN of the stream the job reads.
func (j *Job) Stream() string { return j.arn }

// Close closes the sinks and stores.
func (j *Job) Close() {
	for _, t := range j.targets {
		t.sink.Close()
	}
	if j.opts.Store == nil && j.store != nil {
		j.store.Close()
	}
	if j.opts.DeadLetter == nil && j.dlq != nil {
		j.dlq.Close()
	}
}

// running is a shard this worker processes.
type running struct {
	shard  stream.Shard
	cancel context.CancelFunc
	mu     sync.Mutex
	lease  checkpoint.Lease
}

func (r *running) get() checkpoint.Lease {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lease
}

func (r *running) set(l checkpoint.Lease) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lease = l
}

type finished struct {
	shard string
	err   error
}

// Run processes shards until ctx ends. On the way out it lets every shard finish the batch in
// hand, checkpoints it, and hands its leases back (unless ctx's cause is ErrAbandon).
func (j *Job) Run(ctx context.Context) error {
	var srv *http.Server
	if addr := j.cfg.Metrics.Listen; addr != "" {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("metrics listener %s: %w", addr, err)
		}
		mux := http.NewServeMux()
		mux.Handle("/metrics", promhttp.HandlerFor(j.m.Registry, promhttp.HandlerOpts{}))
		srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		go srv.Serve(ln)
		j.log.Info("metrics listening", "addr", ln.Addr().String())
		defer srv.Close()
	}
	j.log.Info("sync worker starting", "worker", j.owner, "stream", j.arn, "pipelines", len(j.targets))

	held := map[string]*running{}
	stalled := map[string]time.Time{} // shard → not before
	done := make(chan finished)
	var wg sync.WaitGroup
	leaseDur := j.cfg.Worker.LeaseDuration.Duration
	syncT := time.NewTicker(j.cfg.Worker.ShardSync.Duration)
	defer syncT.Stop()
	renewT := time.NewTicker(leaseDur / 3)
	defer renewT.Stop()

	balance := func() {
		if err := j.balance(ctx, held, stalled, func(sh stream.Shard, l checkpoint.Lease) {
			sctx, cancel := context.WithCancel(ctx)
			r := &running{shard: sh, cancel: cancel, lease: l}
			held[sh.ID] = r
			j.m.Leases.Set(float64(len(held)))
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := j.runShard(sctx, r)
				select {
				case done <- finished{shard: sh.ID, err: err}:
				case <-ctx.Done():
				}
			}()
		}); err != nil && ctx.Err() == nil {
			j.log.Warn("shard sync failed; retrying", "err", err)
		}
	}
	balance()
	for ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case <-syncT.C:
			balance()
		case <-renewT.C:
			j.renew(ctx, held)
		case f := <-done:
			r := held[f.shard]
			delete(held, f.shard)
			j.m.Leases.Set(float64(len(held)))
			j.finish(ctx, r, f.err, stalled)
			balance() // a finished parent makes its children eligible now
		}
	}
	// Shutdown: shard contexts are children of ctx, so readers stop; each finishes and
	// checkpoints the batch in hand first (runShard detaches that from ctx).
	wg.Wait()
	abandon := errors.Is(context.Cause(ctx), ErrAbandon)
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	for id, r := range held {
		if abandon {
			continue
		}
		if err := j.store.Release(rctx, r.get()); err != nil {
			j.log.Warn("could not hand lease back; it expires on its own", "shard", id, "err", err)
		}
	}
	j.m.Leases.Set(0)
	j.log.Info("sync worker stopped", "worker", j.owner, "handed_back", !abandon, "leases", len(held))
	return nil
}

// finish handles a shard's end: done, lease lost, or an error that stops it for a while.
func (j *Job) finish(ctx context.Context, r *running, err error, stalled map[string]time.Time) {
	id := r.shard.ID
	switch {
	case err == nil:
		j.log.Info("shard finished", "shard", id)
		j.release(ctx, r)
	case errors.Is(err, checkpoint.ErrLeaseLost):
		j.log.Info("lease lost; another worker owns the shard now", "shard", id)
	case errors.Is(err, stream.ErrTrimmed):
		j.m.ShardErrors.WithLabelValues("trimmed").Inc()
		j.log.Error("shard stopped: data trimmed", "shard", id, "err", err)
		j.report(id, err)
		j.release(ctx, r)
		stalled[id] = time.Now().Add(time.Minute)
	case errors.Is(err, stream.ErrShardGone):
		// The shard expired: nothing more can be read from it. Mark it done so its children
		// proceed; whatever it still held is lost to this consumer.
		j.m.ShardErrors.WithLabelValues("gone").Inc()
		j.log.Error("shard gone before it was fully read; run `carve sync backfill` to repair the sinks", "shard", id, "err", err)
		j.report(id, err)
		if _, cerr := j.store.Checkpoint(ctx, r.get(), checkpoint.ShardEnd); cerr != nil {
			j.log.Warn("could not mark gone shard done", "shard", id, "err", cerr)
		}
		j.release(ctx, r)
	case ctx.Err() != nil:
	default:
		j.log.Error("shard failed; retrying", "shard", id, "err", err)
		j.report(id, err)
		j.release(ctx, r)
		stalled[id] = time.Now().Add(time.Second + rand.N(time.Second))
	}
}

func (j *Job) report(shard string, err error) {
	if j.opts.OnShardError != nil {
		j.opts.OnShardError(shard, err)
	}
}

func (j *Job) release(ctx context.Context, r *running) {
	if err := j.store.Release(ctx, r.get()); err != nil && !errors.Is(err, checkpoint.ErrLeaseLost) {
		j.log.Warn("release lease", "shard", r.shard.ID, "err", err)
	}
}

// renew extends every held lease; a lost lease stops its shard.
func (j *Job) renew(ctx context.Context, held map[string]*running) {
	for id, r := range held {
		l, err := j.store.Renew(ctx, r.get(), j.cfg.Worker.LeaseDuration.Duration)
		switch {
		case err == nil:
			r.set(l)
		case errors.Is(err, checkpoint.ErrLeaseLost):
			j.log.Warn("lease taken by another worker; stopping shard", "shard", id)
			r.cancel()
		default:
			if time.Now().After(r.get().Expiry) {
				j.log.Warn("could not renew lease before it expired; stopping shard", "shard", id, "err", err)
				r.cancel()
			}
		}
	}
}

// balance lists shards and leases and takes the leases this worker should hold: shards whose
// parent is done, up to an even share among the live workers.
func (j *Job) balance(ctx context.Context, held map[string]*running, stalled map[string]time.Time, start func(stream.Shard, checkpoint.Lease)) error {
	shards, err := stream.ListShards(ctx, j.streams, j.arn, stream.Backoff{OnRetry: func(error) { j.m.Retries.WithLabelValues("stream").Inc() }})
	if err != nil {
		return err
	}
	leases, err := j.store.Leases(ctx, j.arn)
	if err != nil {
		return err
	}
	now := time.Now()
	byShard := map[string]checkpoint.Lease{}
	owners := map[string]bool{j.owner: true}
	for _, l := range leases {
		byShard[l.Shard] = l
		if l.Owner != "" && !l.Free(now) && l.Checkpoint != checkpoint.ShardEnd {
			owners[l.Owner] = true
		}
	}
	listed := map[string]bool{}
	for _, s := range shards {
		listed[s.ID] = true
	}
	isDone := func(id string) bool { return byShard[id].Checkpoint == checkpoint.ShardEnd }
	var workable, candidates []stream.Shard
	for _, s := range shards {
		if isDone(s.ID) {
			continue
		}
		if s.Parent != "" && listed[s.Parent] && !isDone(s.Parent) {
			continue // parent first
		}
		workable = append(workable, s)
		if _, mine := held[s.ID]; mine || now.Before(stalled[s.ID]) {
			continue
		}
		if l, ok := byShard[s.ID]; ok && l.Owner != j.owner && !l.Free(now) {
			continue
		}
		candidates = append(candidates, s)
	}
	share := (len(workable) + len(owners) - 1) / len(owners)
	sort.Slice(candidates, func(a, b int) bool { return candidates[a].ID < candidates[b].ID })
	for _, s := range candidates {
		if len(held) >= share {
			break
		}
		l, ok, err := j.store.Acquire(ctx, j.arn, s.ID, s.Parent, j.owner, j.cfg.Worker.LeaseDuration.Duration)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		if l.Checkpoint == checkpoint.ShardEnd {
			j.store.Release(ctx, l)
			continue
		}
		j.log.Info("lease taken", "shard", s.ID, "parent", s.Parent, "checkpoint", l.Checkpoint)
		start(s, l)
	}
	if len(held) >= share || len(owners) < 2 {
		return nil
	}
	// Still below an even share and nothing free: steal one lease from the busiest worker that
	// holds more than its share (one per round, so the load evens out without thrashing).
	count := map[string][]checkpoint.Lease{}
	for _, s := range workable {
		if l, ok := byShard[s.ID]; ok && l.Owner != "" && l.Owner != j.owner && !l.Free(now) {
			count[l.Owner] = append(count[l.Owner], l)
		}
	}
	var victim string
	for o, ls := range count {
		if len(ls) > share && (victim == "" || len(ls) > len(count[victim])) {
			victim = o
		}
	}
	if victim == "" {
		return nil
	}
	ls := count[victim]
	sort.Slice(ls, func(a, b int) bool { return ls[a].Shard < ls[b].Shard })
	l, ok, err := j.store.Steal(ctx, ls[len(ls)-1], j.owner, j.cfg.Worker.LeaseDuration.Duration)
	if err != nil || !ok {
		return err
	}
	for _, s := range workable {
		if s.ID == l.Shard {
			j.log.Info("lease stolen to balance load", "shard", s.ID, "from", victim, "checkpoint", l.Checkpoint)
			start(s, l)
		}
	}
	return nil
}

// runShard reads one shard from its checkpoint and applies every batch.
func (j *Job) runShard(ctx context.Context, r *running) error {
	w := j.cfg.Worker
	rd := stream.Reader{
		API: j.streams, Stream: j.arn, Shard: r.shard, Limit: w.BatchSize, IdleWait: w.IdleWait.Duration,
		Latest:  r.shard.Parent == "" && j.cfg.StartFrom == "latest",
		Backoff: stream.Backoff{OnRetry: func(error) { j.m.Retries.WithLabelValues("stream").Inc() }},
		OnIteratorRenewed: func() {
			j.log.Info("shard iterator expired; renewed after the last record read", "shard", r.shard.ID)
		},
	}
	// A lease row with a checkpoint but no high-water mark was last worked by a version that did
	// not keep one: how far it applied is unknown, so nothing is written blind until the shard is
	// acquired again (by then the mark is kept).
	legacy := r.get().Hwm == "" && r.get().Checkpoint != ""
	return rd.Read(ctx, r.get().Checkpoint, func(rctx context.Context, b stream.Batch) error {
		// Finish the batch in hand even when the worker is stopping: it is applied and
		// checkpointed, or (after the timeout) left to be replayed.
		hctx, cancel := context.WithTimeout(context.WithoutCancel(rctx), 30*time.Second)
		defer cancel()
		// Fence: write only while the lease has a third of its duration left, so that a
		// successor (which may take it only after it expired) never writes at the same time.
		if left := time.Until(r.get().Expiry); left < j.cfg.Worker.LeaseDuration.Duration/3 {
			return fmt.Errorf("shard %s: %w (lease expires in %s, renewal is failing)", r.shard.ID, checkpoint.ErrLeaseLost, left.Round(time.Millisecond))
		}
		if len(b.Records) > 0 {
			fresh := noneFresh
			if j.readsVersions() {
				var err error
				if fresh, err = j.raiseHwm(hctx, r, b.Records[len(b.Records)-1].Seq); err != nil {
					return err
				}
				if legacy {
					fresh = noneFresh
				}
			}
			if err := j.apply(hctx, r.shard.ID, b.Records, fresh); err != nil {
				return err
			}
		}
		cp := checkpoint.ShardEnd
		if !b.End {
			cp = b.Records[len(b.Records)-1].Seq
		}
		l, err := j.store.Checkpoint(hctx, r.get(), cp)
		if err != nil {
			return err
		}
		r.set(l)
		return nil
	})
}

// noneFresh is above every version: no write is fresh.
const noneFresh = "\xff"

// readsVersions reports whether some sink reads versions before writing (a DynamoDB sink in batch
// mode): only then is the high-water mark kept.
func (j *Job) readsVersions() bool {
	for _, t := range j.targets {
		if rv, ok := t.sink.(interface{ ReadsVersions() bool }); ok && rv.ReadsVersions() {
			return true
		}
	}
	return false
}

// raiseHwm makes sure the shard's applied high-water mark is at or above last (the batch's
// highest sequence number) before any of the batch is written, and returns the mark as it stood
// before: records above it cannot have been applied by anyone (whoever applies a record raises
// the mark first), so they are fresh. One conditional write per batch, fenced on the lease; none
// when the mark is already high enough (a replay).
func (j *Job) raiseHwm(ctx context.Context, r *running, last string) (string, error) {
	l := r.get()
	if checkpoint.PadSeq(last) <= l.Hwm {
		return l.Hwm, nil
	}
	prev, nl, err := j.store.RaiseHwm(ctx, l, last)
	if err != nil {
		return "", err
	}
	r.set(nl)
	return prev, nil
}

// apply passes records through every pipeline into its sink, in parallel across pipelines. A
// write whose version is above fresh is marked Fresh (see raiseHwm).
func (j *Job) apply(ctx context.Context, shard string, recs []stream.Record, fresh string) error {
	g, gctx := errgroup.WithContext(ctx)
	for _, t := range j.targets {
		g.Go(func() error { return j.applyTarget(gctx, t, shard, recs, fresh) })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	if last := recs[len(recs)-1]; !last.Created.IsZero() {
		j.m.Lag.WithLabelValues(shard).Set(time.Since(last.Created).Seconds())
	}
	return nil
}

func (j *Job) applyTarget(ctx context.Context, t target, shard string, recs []stream.Record, fresh string) error {
	name := t.p.Name
	byRef := make(map[string]stream.Record, len(recs))
	ws := make([]sink.Write, 0, len(recs))
	for _, r := range recs {
		w, skip, err := t.p.Write(r)
		switch {
		case err != nil:
			// Mapping is deterministic: retrying cannot help.
			if err := j.deadLetter(ctx, name, r, err); err != nil {
				return err
			}
		case skip != pipeline.NotSkipped:
			j.m.Skipped.WithLabelValues(name, string(skip)).Inc()
		default:
			w.Fresh = w.Version > fresh
			byRef[w.Ref] = r
			ws = append(ws, w)
		}
	}
	if len(ws) == 0 {
		return nil
	}
	start := time.Now()
	res, err := j.write(ctx, t, ws)
	if err != nil && sink.IsPermanent(err) {
		// Some write in the batch is poison: apply them one by one to isolate it.
		res = sink.Result{}
		for _, w := range ws {
			r1, err := j.write(ctx, t, []sink.Write{w})
			if err != nil && sink.IsPermanent(err) {
				if err := j.deadLetter(ctx, name, byRef[w.Ref], err); err != nil {
					return err
				}
				continue
			}
			if err != nil {
				return err
			}
			res.Applied += r1.Applied
			res.Stale += r1.Stale
		}
		err = nil
	}
	if err != nil {
		return err
	}
	j.m.BatchSeconds.WithLabelValues(name).Observe(time.Since(start).Seconds())
	j.m.Applied.WithLabelValues(name, shard).Add(float64(res.Applied))
	if res.Stale > 0 {
		j.m.Skipped.WithLabelValues(name, "stale").Add(float64(res.Stale))
	}
	return nil
}

// write applies ws, retrying outages until ctx ends and permanent errors Retry.Attempts times.
func (j *Job) write(ctx context.Context, t target, ws []sink.Write) (sink.Result, error) {
	wait := j.cfg.Retry.Initial.Duration
	for attempt := 1; ; attempt++ {
		res, err := t.sink.Apply(ctx, ws)
		if err == nil {
			return res, nil
		}
		if ctx.Err() != nil || (sink.IsPermanent(err) && attempt >= j.cfg.Retry.Attempts) {
			return res, err
		}
		j.m.Retries.WithLabelValues(t.p.Name).Inc()
		if attempt == 1 || attempt%10 == 0 {
			j.log.Warn("sink write failed; retrying", "pipeline", t.p.Name, "attempt", attempt, "err", err)
		}
		if err := stream.Sleep(ctx, time.Duration(rand.Int64N(int64(wait)))+wait/2); err != nil {
			return res, err
		}
		wait = min(wait*2, j.cfg.Retry.Max.Duration)
	}
}

func (j *Job) deadLetter(ctx context.Context, pipelineName string, r stream.Record, cause error) error {
	j.log.Error("record dead-lettered", "pipeline", pipelineName, "shard", r.Shard, "seq", r.Seq, "err", cause)
	if err := j.dlq.Put(ctx, deadletter.NewEntry(pipelineName, j.arn, r, cause)); err != nil {
		return fmt.Errorf("dead-letter record %s/%s of pipeline %s: %w", r.Shard, r.Seq, pipelineName, err)
	}
	j.m.DeadLettered.WithLabelValues(pipelineName).Inc()
	return nil
}
