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
	"strings"
	"sync"
	"time"

	dtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/prometheus/client_golang/prometheus"
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
	targets pipeline.Targets
	owner   string
	// table describes the source table, to notice a new stream (nil when Options.StreamArn
	// fixed the stream).
	table stream.TableAPI
	// next is the source table's new stream, once the one being read was replaced (the stream
	// disabled and enabled again): the job moves to it after finishing the old one.
	next string
	// dead remembers, per shard, the records dead-lettered since its last checkpoint
	// (pipeline|sequence number), so that a replayed batch does not dead-letter them again.
	deadMu sync.Mutex
	dead   map[string]map[string]bool
	// wm is the pipeline's applied watermark as read from the store (watermark.go).
	wm watermarkCache
}

// New connects to everything the config names: the source stream, the checkpoint store, the
// dead-letter store and every sink (creating or validating PostgreSQL tables).
func New(ctx context.Context, cfg *config.Config, opts Options) (j *Job, err error) {
	j = &Job{cfg: cfg, opts: opts, log: opts.Logger, m: metrics.New(), owner: ownerID(cfg.Worker.ID), streams: opts.Streams, arn: opts.StreamArn, dead: map[string]map[string]bool{}}
	j.m.Registry.MustRegister(j.watermarkGauge())
	if j.log == nil {
		j.log = slog.Default()
	}
	// Every error return sets j to nil: close what was opened through a copy.
	opened := j
	defer func() {
		if err != nil {
			opened.Close()
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
		j.table = ddb
		src, err := stream.Describe(ctx, ddb, cfg.Source.Table)
		if err != nil {
			return nil, err
		}
		if err := checkViewType(cfg, src); err != nil {
			return nil, err
		}
		j.arn = src.Arn
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
	if j.targets, err = pipeline.Open(ctx, cfg, func(name string) { j.m.Retries.WithLabelValues(name).Inc() }); err != nil {
		return nil, err
	}
	return j, nil
}

// checkViewType refuses, before anything runs, the pipelines the source stream cannot serve.
func checkViewType(cfg *config.Config, src stream.Source) error {
	if src.ViewType != dtypes.StreamViewTypeNewImage {
		return nil
	}
	var problems []string
	for _, pc := range cfg.Pipelines {
		if err := pipeline.New(pc, cfg.Source.Table).CheckNewImageOnly(src.Key); err != nil {
			problems = append(problems, err.Error())
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("source table %s streams NEW_IMAGE only: %s", cfg.Source.Table, strings.Join(problems, "; "))
	}
	return nil
}

// Metrics returns the job's metrics.
func (j *Job) Metrics() *metrics.Metrics { return j.m }

// Stream returns the ARN of the stream the job reads.
func (j *Job) Stream() string { return j.arn }

// Close closes the sinks and stores.
func (j *Job) Close() {
	j.targets.Close()
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
	ctx    context.Context
	cancel context.CancelCauseFunc
	mu     sync.Mutex
	lease  checkpoint.Lease
	// handover is set once another worker asked for the lease: it is no longer renewed.
	handover bool
	// pending is the creation time of the oldest record read and not yet applied (zero when
	// none): the lag of a stuck shard grows from it.
	pending time.Time
	// appliedSeq is the last record applied to every sink; mark is the shard's applied
	// watermark (see watermark.go) and published the one last written to the store; tip is the
	// latest short page read, waiting for its last record to be applied.
	appliedSeq      string
	mark, published checkpoint.Mark
	tip             struct {
		asOf time.Time
		seq  string
	}
	// streamDelay is worker.stream_delay: a read at the tip proves nothing about changes made
	// within it before the read.
	streamDelay time.Duration
}

// errHandover is the cause of a shard's context when its lease is handed to another worker.
var errHandover = errors.New("lease handed over to balance the load")

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

func (r *running) setPending(t time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pending = t
}

func (r *running) pendingSince() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.pending
}

type finished struct {
	shard string
	err   error
}

// Run processes shards until ctx ends. On the way out it lets every shard finish the batch in
// hand, checkpoints it, and hands its leases back (unless ctx's cause is ErrAbandon).
func (j *Job) Run(ctx context.Context) error {
	closeMetrics, err := j.serveMetrics()
	if err != nil {
		return err
	}
	defer closeMetrics()
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
	markT := time.NewTicker(j.markEvery())
	defer markT.Stop()

	if j.cfg.StartFrom == "latest" {
		if err := j.startAtLatest(ctx); err != nil {
			return err
		}
	}
	balance := func() {
		finishedAll, err := j.balance(ctx, held, stalled, func(sh stream.Shard, l checkpoint.Lease) {
			held[sh.ID] = j.startShard(ctx, sh, l, &wg, done)
			j.m.Leases.Set(float64(len(held)))
		})
		if err != nil && ctx.Err() == nil {
			j.log.Warn("shard sync failed; retrying", "err", err)
		}
		if err == nil && finishedAll && j.next != "" && len(held) == 0 {
			j.log.Warn("old stream finished; reading the source table's new stream", "old", j.arn, "stream", j.next)
			j.arn, j.next = j.next, ""
			clear(stalled)
		}
	}
	balance()
	for ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case <-syncT.C:
			j.watchStream(ctx)
			balance()
		case <-renewT.C:
			j.renew(ctx, held)
			j.stuckLag(held)
		case <-markT.C:
			j.publishMarks(ctx, held)
		case f := <-done:
			if ctx.Err() != nil {
				// Stopping: the shard stays in held, and its lease is handed back below.
				break
			}
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
	j.handBack(ctx, held)
	return nil
}

// startShard starts reading a shard whose lease l this worker took; its end is sent on done
// (unless ctx ended), and wg waits for it.
func (j *Job) startShard(ctx context.Context, sh stream.Shard, l checkpoint.Lease, wg *sync.WaitGroup, done chan<- finished) *running {
	sctx, cancel := context.WithCancelCause(ctx)
	// The shard's watermark goes on from where its last owner left it.
	r := &running{shard: sh, ctx: sctx, cancel: cancel, lease: l, mark: l.Mark, published: l.Mark, streamDelay: j.cfg.Worker.StreamDelay.Duration}
	wg.Add(1)
	go func() {
		defer wg.Done()
		err := j.runShard(sctx, r)
		select {
		case done <- finished{shard: sh.ID, err: err}:
		case <-ctx.Done():
		}
	}()
	return r
}

// serveMetrics serves /metrics and /watermark on metrics.listen, if set, until the returned
// function is called.
func (j *Job) serveMetrics() (closeFn func(), err error) {
	addr := j.cfg.Metrics.Listen
	if addr == "" {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics listener %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(j.m.Registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("/watermark", j.serveWatermark)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	j.log.Info("metrics listening", "addr", ln.Addr().String())
	return func() { srv.Close() }, nil
}

// handBack hands the leases still held back to the table as the worker stops, unless ctx's
// cause is ErrAbandon (then they expire on their own).
func (j *Job) handBack(ctx context.Context, held map[string]*running) {
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
}

// finish handles a shard's end: done, lease lost, or an error that stops it for a while.
func (j *Job) finish(ctx context.Context, r *running, err error, stalled map[string]time.Time) {
	id := r.shard.ID
	switch {
	case err == nil:
		j.log.Info("shard finished", "shard", id)
		j.release(ctx, r)
		// A finished shard's series would otherwise stay, frozen, for as long as the worker runs.
		j.m.Lag.DeleteLabelValues(id)
		j.m.Applied.DeletePartialMatch(prometheus.Labels{"shard": id})
	case errors.Is(context.Cause(r.ctx), errHandover):
		// The batch in hand was applied and checkpointed, or cut at the lease's fence: either way
		// this worker no longer writes the shard. Hand the lease back and let the asker take it.
		j.log.Info("lease handed over", "shard", id, "to", r.get().Handover)
		j.release(ctx, r)
		stalled[id] = time.Now().Add(2 * j.cfg.Worker.ShardSync.Duration)
	case errors.Is(err, checkpoint.ErrLeaseLost):
		j.m.ShardErrors.WithLabelValues("lease_lost").Inc()
		j.log.Warn("lease lost; stopped writing the shard", "shard", id, "err", err)
		j.release(ctx, r)
	case errors.Is(err, stream.ErrTrimmed), errors.Is(err, stream.ErrShardGone):
		// Changes past the checkpoint are gone from the stream: only a backfill repairs the
		// sinks. The shard is not marked done (its children would proceed over the gap); the
		// backfill marks it once its scan covered what was lost.
		reason := "trimmed"
		if errors.Is(err, stream.ErrShardGone) {
			reason = "gone"
		}
		j.m.ShardErrors.WithLabelValues(reason).Inc()
		j.log.Error("shard stopped: changes were lost to this consumer; run `carve sync backfill` to repair the sinks", "shard", id, "reason", reason, "err", err)
		j.report(id, err)
		j.release(ctx, r)
		stalled[id] = time.Now().Add(time.Minute)
	case ctx.Err() != nil:
	default:
		j.m.ShardErrors.WithLabelValues("failed").Inc()
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

// renew extends every held lease; a lost lease stops its shard. A lease another worker asked
// for is no longer renewed: its shard stops reading, and the batch in hand ends at the lease's
// fence at the latest, before the lease expires and the asker may take it.
func (j *Job) renew(ctx context.Context, held map[string]*running) {
	for id, r := range held {
		if r.handover {
			continue
		}
		l, err := j.store.Renew(ctx, r.get(), j.cfg.Worker.LeaseDuration.Duration)
		switch {
		case err == nil:
			r.set(l)
			if l.Handover != "" && l.Handover != j.owner {
				j.log.Info("handing lease over; finishing the batch in hand", "shard", id, "to", l.Handover)
				r.handover = true
				r.cancel(errHandover)
			}
		case errors.Is(err, checkpoint.ErrLeaseLost):
			j.log.Warn("lease taken by another worker; stopping shard", "shard", id)
			r.cancel(err)
		default:
			if time.Now().After(r.get().Expiry) {
				j.log.Warn("could not renew lease before it expired; stopping shard", "shard", id, "err", err)
				r.cancel(fmt.Errorf("shard %s: %w: renewal failed: %w", id, checkpoint.ErrLeaseLost, err))
			}
		}
	}
}

// stuckLag lets the lag of a shard whose batch is not applied yet (a sink outage, a slow
// isolation of poison records) keep growing, so that a stalled shard shows in the lag alert.
func (j *Job) stuckLag(held map[string]*running) {
	for id, r := range held {
		if p := r.pendingSince(); !p.IsZero() {
			j.m.Lag.WithLabelValues(id).Set(time.Since(p).Seconds())
		}
	}
}

// balance lists shards and leases and takes the leases this worker should hold: shards whose
// parent is done, up to an even share among the live workers; below its share with nothing
// free, it asks the busiest worker for one. finishedAll is set once every shard of the stream
// is closed and done.
func (j *Job) balance(ctx context.Context, held map[string]*running, stalled map[string]time.Time, start func(stream.Shard, checkpoint.Lease)) (finishedAll bool, err error) {
	v, err := j.survey(ctx)
	if err != nil {
		return false, err
	}
	lost := j.forgetGone(ctx, v)
	workable, candidates := j.eligible(v, lost, held, stalled)
	share := (len(workable) + len(v.owners) - 1) / len(v.owners)
	if err := j.acquire(ctx, candidates, share, held, start); err != nil {
		return false, err
	}
	if len(held) >= share || len(v.owners) < 2 {
		return v.finishedAll(), nil
	}
	return v.finishedAll(), j.askForOne(ctx, v, workable, share)
}

// leaseView is one balance round's reading of the stream's shards and their lease rows.
type leaseView struct {
	now     time.Time
	shards  []stream.Shard
	leases  []checkpoint.Lease
	byShard map[string]checkpoint.Lease
	listed  map[string]bool
	// owners are the live workers holding an unfinished lease, this one included.
	owners map[string]bool
}

// survey lists the stream's shards and their lease rows.
func (j *Job) survey(ctx context.Context) (*leaseView, error) {
	shards, err := stream.ListShards(ctx, j.streams, j.arn, stream.Backoff{OnRetry: func(error) { j.m.Retries.WithLabelValues("stream").Inc() }})
	if err != nil {
		return nil, err
	}
	leases, err := j.store.Leases(ctx, j.arn)
	if err != nil {
		return nil, err
	}
	j.wm.setShards(j.arn, shards)
	v := &leaseView{now: time.Now(), shards: shards, leases: leases, byShard: map[string]checkpoint.Lease{}, listed: map[string]bool{}, owners: map[string]bool{j.owner: true}}
	for _, l := range leases {
		v.byShard[l.Shard] = l
		if l.Owner != "" && !l.Free(v.now) && l.Checkpoint != checkpoint.ShardEnd {
			v.owners[l.Owner] = true
		}
	}
	for _, s := range shards {
		v.listed[s.ID] = true
	}
	return v, nil
}

// done reports whether the shard was read to its end.
func (v *leaseView) done(id string) bool { return v.byShard[id].Checkpoint == checkpoint.ShardEnd }

// finishedAll reports whether every shard is closed and done.
func (v *leaseView) finishedAll() bool {
	for _, s := range v.shards {
		if !s.Closed || !v.done(s.ID) {
			return false
		}
	}
	return true
}

// forgetGone deletes the rows of finished shards gone from the stream, and returns the shards
// this job began (they have a row) that left the stream unfinished: they took changes with
// them, and the shards after them must not start over the gap (see lineageGap).
func (j *Job) forgetGone(ctx context.Context, v *leaseView) (lost []string) {
	for _, l := range v.leases {
		if v.listed[l.Shard] {
			continue
		}
		if l.Checkpoint != checkpoint.ShardEnd {
			lost = append(lost, l.Shard)
		} else if err := j.store.Forget(ctx, j.arn, l.Shard); err != nil {
			// Done and gone from the stream: its row only grows the table.
			j.log.Warn("could not delete a finished shard's lease row", "shard", l.Shard, "err", err)
		}
	}
	sort.Strings(lost)
	return lost
}

// eligible returns the shards workable now (unfinished, parent done) and, among them, those this
// worker may take (not its own, not stalled, lease free), sorted.
func (j *Job) eligible(v *leaseView, lost []string, held map[string]*running, stalled map[string]time.Time) (workable, candidates []stream.Shard) {
	for _, s := range v.shards {
		if v.done(s.ID) {
			continue
		}
		if s.Parent != "" && v.listed[s.Parent] && !v.done(s.Parent) {
			continue // parent first
		}
		if s.Parent != "" && !v.listed[s.Parent] && !v.done(s.Parent) && len(lost) > 0 {
			// Its parent is gone from the stream and not known to be done, while shards this job
			// began left unfinished: the parent may be one of them, or descend from one.
			if v.now.After(stalled[s.ID]) {
				j.lineageGap(s, lost)
				stalled[s.ID] = v.now.Add(time.Minute)
			}
			continue
		}
		workable = append(workable, s)
		if _, mine := held[s.ID]; mine || v.now.Before(stalled[s.ID]) {
			continue
		}
		if l, ok := v.byShard[s.ID]; ok && l.Owner != j.owner && !l.Free(v.now) {
			continue
		}
		candidates = append(candidates, s)
	}
	sort.Slice(candidates, func(a, b int) bool { return candidates[a].ID < candidates[b].ID })
	return workable, candidates
}

// acquire takes candidates' leases until this worker holds share of them, and starts each.
func (j *Job) acquire(ctx context.Context, candidates []stream.Shard, share int, held map[string]*running, start func(stream.Shard, checkpoint.Lease)) error {
	for _, s := range candidates {
		if len(held) >= share || ctx.Err() != nil {
			break
		}
		// Not cancelled with ctx: a request cancelled in flight may still take the lease, which
		// would then be held by nobody until it expires. Once taken it is in held, and a stopping
		// worker hands it back.
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), j.cfg.Worker.LeaseDuration.Duration)
		l, ok, err := j.store.Acquire(actx, j.arn, s.ID, s.Parent, j.owner, j.cfg.Worker.LeaseDuration.Duration)
		cancel()
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
	return nil
}

// askForOne, for a worker still below an even share with nothing free, asks the busiest worker
// holding more than its share to hand one lease over (one per round, so the load evens out
// without thrashing). A live lease is never taken: its owner stops writing and hands the lease
// back (or lets it expire); a later round takes it like any free lease.
func (j *Job) askForOne(ctx context.Context, v *leaseView, workable []stream.Shard, share int) error {
	count := map[string][]checkpoint.Lease{}
	for _, s := range workable {
		if l, ok := v.byShard[s.ID]; ok && l.Owner != "" && l.Owner != j.owner && !l.Free(v.now) {
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
	l := ls[len(ls)-1]
	if l.Handover == j.owner {
		return nil
	}
	ok, err := j.store.RequestHandover(ctx, l, j.owner)
	if err != nil || !ok {
		return err
	}
	j.log.Info("asked for a lease to balance load", "shard", l.Shard, "from", victim)
	return nil
}

// watchStream notices that the source table's stream was replaced (disabled and enabled again:
// a new ARN). The old stream's shards are all closed then; the job finishes them and moves on
// (see balance). What was written while no stream was enabled is in no stream: it says so.
func (j *Job) watchStream(ctx context.Context) {
	if j.table == nil || j.next != "" {
		return
	}
	src, err := stream.Describe(ctx, j.table, j.cfg.Source.Table)
	if err != nil {
		if ctx.Err() == nil {
			j.log.Warn("could not check the source table's stream", "table", j.cfg.Source.Table, "err", err)
		}
		return
	}
	if src.Arn == j.arn {
		return
	}
	if err := checkViewType(j.cfg, src); err != nil {
		j.log.Error("the source table's new stream cannot serve the pipelines; staying on the old one", "stream", src.Arn, "err", err)
		return
	}
	j.next = src.Arn
	err = fmt.Errorf("source table %s has a new stream %s (the stream was disabled and enabled again): changes made while no stream was enabled were not captured: run `carve sync backfill` to repair the sinks; this worker finishes the old stream %s, then reads the new one", j.cfg.Source.Table, src.Arn, j.arn)
	j.m.ShardErrors.WithLabelValues("stream_replaced").Inc()
	j.log.Error("source stream replaced: changes made while it was off need a backfill", "old", j.arn, "stream", src.Arn, "err", err)
	j.report("", err)
}

// lineageGap reports a shard that cannot start: a shard before it in the lineage, which this job
// had begun, left the stream before it was read to its end (a worker down for longer than the
// stream's 24-hour retention). Starting the shard would apply later changes over the lost ones.
func (j *Job) lineageGap(s stream.Shard, lost []string) {
	err := fmt.Errorf("stream %s shard %s: %w: its parent %s is gone from the stream and shards this job had not finished (%s) left with changes it never applied; run `carve sync backfill` to repair the sinks, then the shard starts", j.arn, s.ID, stream.ErrTrimmed, s.Parent, strings.Join(lost, ", "))
	j.m.ShardErrors.WithLabelValues("parent_expired").Inc()
	j.log.Error("shard held back: changes were lost to this consumer; run `carve sync backfill` to repair the sinks", "shard", s.ID, "parent", s.Parent, "lost", lost, "err", err)
	j.report(s.ID, err)
}

// startAtLatest makes `start_from: latest` apply to every shard open when the job first starts
// (no lease row for the stream yet): each open shard's checkpoint moves to its newest record and
// each closed shard is marked done. Shards opened later (rollovers, splits) have no checkpoint
// and start at their first record: none of their changes is skipped. A concrete sequence
// number, unlike a LATEST iterator, survives a crash before the first checkpoint.
func (j *Job) startAtLatest(ctx context.Context) error {
	leases, err := j.store.Leases(ctx, j.arn)
	if err != nil || len(leases) > 0 {
		return err
	}
	b := stream.Backoff{OnRetry: func(error) { j.m.Retries.WithLabelValues("stream").Inc() }}
	shards, err := stream.ListShards(ctx, j.streams, j.arn, b)
	if err != nil {
		return err
	}
	for _, s := range shards {
		cp := checkpoint.ShardEnd
		if !s.Closed {
			last, end, err := stream.Tip(ctx, j.streams, j.arn, s.ID, "", b)
			if err != nil {
				return fmt.Errorf("start_from latest: newest record of shard %s: %w", s.ID, err)
			}
			if cp = last; end {
				cp = checkpoint.ShardEnd
			}
		}
		if cp == "" {
			continue // empty: its first record comes after the start
		}
		if err := j.store.Advance(ctx, j.arn, s.ID, cp); err != nil {
			return fmt.Errorf("start_from latest: %w", err)
		}
	}
	j.log.Info("start_from latest: every shard open now starts after its newest record", "shards", len(shards))
	return nil
}

// runShard reads one shard from its checkpoint and applies every batch.
func (j *Job) runShard(ctx context.Context, r *running) error {
	w := j.cfg.Worker
	rd := stream.Reader{
		API: j.streams, Stream: j.arn, Shard: r.shard, Limit: w.BatchSize, IdleWait: w.IdleWait.Duration,
		Backoff: stream.Backoff{OnRetry: func(error) { j.m.Retries.WithLabelValues("stream").Inc() }},
		OnIteratorRenewed: func() {
			j.log.Info("shard iterator expired; renewed after the last record read", "shard", r.shard.ID)
		},
		OnCaughtUp: r.idle,
	}
	// A lease row with a checkpoint but no high-water mark was last worked by a version that did
	// not keep one: how far it applied is unknown, so nothing is written blind until the shard is
	// acquired again (by then the mark is kept).
	legacy := r.get().Hwm == "" && r.get().Checkpoint != ""
	cp := r.get().Checkpoint
	r.mu.Lock()
	r.appliedSeq = cp // applied up to the checkpoint: the watermark starts there
	r.mu.Unlock()
	return rd.Read(ctx, r.get().Checkpoint, func(rctx context.Context, b stream.Batch) error {
		if len(b.Records) > 0 && !b.Records[0].Created.IsZero() {
			r.setPending(b.Records[0].Created)
		}
		// Finish the batch in hand even when the worker is stopping or handing the lease over,
		// but only while the lease has a third of its duration left: a successor may take it
		// only once it expired, so it never writes at the same time.
		hctx, cancel := j.fence(rctx, r)
		defer cancel()
		err := j.handle(hctx, r, b, legacy)
		if hctx.Err() != nil {
			return context.Cause(hctx)
		}
		if err == nil {
			r.setPending(time.Time{})
			j.forgetDead(r.shard.ID)
		}
		return err
	})
}

// fence returns the context a batch of r's shard is written under: detached from ctx (a
// stopping worker finishes the batch in hand), it ends when less than a third of the lease is
// left. Renewals push that moment back; when they stop (renewal failing, a handover, a stopping
// worker) every write still in flight is cancelled before the lease can expire and a successor
// start.
func (j *Job) fence(ctx context.Context, r *running) (context.Context, context.CancelFunc) {
	margin := j.cfg.Worker.LeaseDuration.Duration / 3
	fctx, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	stop := make(chan struct{})
	go func() {
		for {
			left := time.Until(r.get().Expiry) - margin
			if left <= 0 {
				cancel(fmt.Errorf("shard %s: %w: less than a third of the lease is left (renewal failing, handed over or stopping); the batch is left to the next owner", r.shard.ID, checkpoint.ErrLeaseLost))
				return
			}
			t := time.NewTimer(left)
			select {
			case <-stop:
				t.Stop()
				return
			case <-t.C:
			}
		}
	}()
	return fctx, func() { close(stop); cancel(context.Canceled) }
}

// handle applies one batch and checkpoints it.
func (j *Job) handle(ctx context.Context, r *running, b stream.Batch, legacy bool) error {
	if len(b.Records) > 0 {
		fresh := noneFresh
		if j.readsVersions() {
			var err error
			if fresh, err = j.raiseHwm(ctx, r, b.Records[len(b.Records)-1].Seq); err != nil {
				return err
			}
			if legacy {
				fresh = noneFresh
			}
		}
		if err := j.apply(ctx, r.shard.ID, b.Records, fresh); err != nil {
			return err
		}
		last := b.Records[len(b.Records)-1]
		r.applyDone(last.Seq, last.Created)
	}
	cp := checkpoint.ShardEnd
	if !b.End {
		cp = b.Records[len(b.Records)-1].Seq
	}
	// The watermark goes with the checkpoint: a busy shard's costs no write of its own.
	m := r.currentMark()
	l, err := j.store.Checkpoint(ctx, r.get(), cp, m)
	if err != nil {
		return err
	}
	r.set(l)
	r.markPublished(m)
	return nil
}

// noneFresh is above every version: no write is fresh.
const noneFresh = "\xff"

// readsVersions reports whether some sink reads versions before writing (a DynamoDB sink in batch
// mode): only then is the high-water mark kept.
func (j *Job) readsVersions() bool {
	for _, t := range j.targets {
		if rv, ok := t.Sink.(interface{ ReadsVersions() bool }); ok && rv.ReadsVersions() {
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

func (j *Job) applyTarget(ctx context.Context, t pipeline.Target, shard string, recs []stream.Record, fresh string) error {
	name := t.Name
	byRef := make(map[string]stream.Record, len(recs))
	ws := make([]sink.Write, 0, len(recs))
	for _, r := range recs {
		w, skip, err := t.Write(r)
		switch {
		case err != nil:
			// Mapping is deterministic: retrying cannot help.
			if err := j.deadLetter(ctx, name, r, err); err != nil {
				return err
			}
		case skip != pipeline.NotSkipped:
			j.m.Skipped.WithLabelValues(name, string(skip)).Inc()
		case j.wasDead(name, r):
			// Dead-lettered by an earlier attempt at this batch (which then failed on an outage
			// or a lost lease): known poison, recorded once.
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
	res, err := j.write(ctx, t, ws, j.cfg.Retry.Attempts)
	if err != nil && sink.IsPermanent(err) {
		// Some write in the batch is poison: bisect the batch to isolate it.
		res, err = j.isolate(ctx, t, ws, byRef)
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

// isolate applies ws, which the sink rejected as bad data, by halves (Lambda's bisect on error):
// a half the sink takes is applied, a half it rejects is split again, and a single write it
// rejects is dead-lettered. A batch with p poison writes among n costs about p·log2(n) writes,
// not n, and each rejected write is tried once here: it already failed retry.attempts times in
// its batch. Halves are applied in order, so a key's writes stay in order.
func (j *Job) isolate(ctx context.Context, t pipeline.Target, ws []sink.Write, byRef map[string]stream.Record) (sink.Result, error) {
	if len(ws) == 1 {
		_, err := j.write(ctx, t, ws, 1)
		if err == nil || !sink.IsPermanent(err) {
			return sink.Result{Applied: 1}, err
		}
		return sink.Result{}, j.deadLetter(ctx, t.Name, byRef[ws[0].Ref], err)
	}
	var total sink.Result
	for _, half := range [][]sink.Write{ws[:len(ws)/2], ws[len(ws)/2:]} {
		res, err := j.write(ctx, t, half, 1)
		if err != nil && sink.IsPermanent(err) {
			res, err = j.isolate(ctx, t, half, byRef)
		}
		if err != nil {
			return total, err
		}
		total.Applied += res.Applied
		total.Stale += res.Stale
	}
	return total, nil
}

// write applies ws, retrying outages until ctx ends and permanent errors up to attempts times.
func (j *Job) write(ctx context.Context, t pipeline.Target, ws []sink.Write, attempts int) (sink.Result, error) {
	wait := j.cfg.Retry.Initial.Duration
	for attempt := 1; ; attempt++ {
		res, err := t.Sink.Apply(ctx, ws)
		if err == nil {
			return res, nil
		}
		if ctx.Err() != nil || (sink.IsPermanent(err) && attempt >= attempts) {
			return res, err
		}
		j.m.Retries.WithLabelValues(t.Name).Inc()
		if attempt == 1 || attempt%10 == 0 {
			j.log.Warn("sink write failed; retrying", "pipeline", t.Name, "attempt", attempt, "err", err)
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
	j.deadMu.Lock()
	defer j.deadMu.Unlock()
	if j.dead[r.Shard] == nil {
		j.dead[r.Shard] = map[string]bool{}
	}
	j.dead[r.Shard][pipelineName+"|"+r.Seq] = true
	return nil
}

// wasDead reports whether r was dead-lettered for the pipeline since its shard's last checkpoint.
func (j *Job) wasDead(pipelineName string, r stream.Record) bool {
	j.deadMu.Lock()
	defer j.deadMu.Unlock()
	return j.dead[r.Shard][pipelineName+"|"+r.Seq]
}

// forgetDead drops what wasDead remembers of a shard once a checkpoint is past it.
func (j *Job) forgetDead(shard string) {
	j.deadMu.Lock()
	defer j.deadMu.Unlock()
	delete(j.dead, shard)
}
