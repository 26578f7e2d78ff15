package job

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/carve-dev/carve/sync/checkpoint"
	"github.com/carve-dev/carve/sync/stream"
)

// The applied watermark is the promise the proxy's read_your_writes acts on: every change of
// the source table created at or before it is applied to every sink of every pipeline. Each
// worker keeps its shards' watermarks with their checkpoints in the checkpoint store; any
// worker answers for the whole job by reading them all back, so a proxy that asks one worker
// is never told a time another worker's shard has not reached.

// applyDone records that every record up to the one with sequence number seq, created at
// created, is applied.
func (r *running) applyDone(seq string, created time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.appliedSeq = seq
	if created.After(r.mark.Applied) {
		r.mark.Applied = created
	}
	if !r.tip.asOf.IsZero() && !seqAfter(r.tip.seq, seq) {
		r.caughtUpAt(r.tip.asOf)
		r.tip.asOf = time.Time{}
	}
}

// caughtUpAt records that every change made streamDelay before asOf is applied.
func (r *running) caughtUpAt(asOf time.Time) {
	if at := asOf.Add(-r.streamDelay); at.After(r.mark.CaughtUp) {
		r.mark.CaughtUp = at
	}
}

// seqAfter reports whether stream sequence number a comes after b (both decimal strings).
func seqAfter(a, b string) bool {
	if len(a) != len(b) {
		return len(a) > len(b)
	}
	return a > b
}

// idle records that the shard had no record after last at asOf: once last is applied, every
// change made streamDelay before asOf is.
func (r *running) idle(asOf time.Time, last string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if last == "" || !seqAfter(last, r.appliedSeq) {
		r.caughtUpAt(asOf)
		return
	}
	r.tip.asOf, r.tip.seq = asOf, last
}

// currentMark is the shard's applied watermark now.
func (r *running) currentMark() checkpoint.Mark {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.mark
}

// markPublished records that m is in the store.
func (r *running) markPublished(m checkpoint.Mark) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if m.After(r.published) {
		r.published = m
	}
}

// unpublished returns the shard's watermark when it is ahead of the one in the store.
func (r *running) unpublished() (checkpoint.Mark, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.mark, r.mark.After(r.published)
}

// markEvery is how often an idle shard's watermark is written to the store, and half of it how
// long a read of the job's watermark is reused: worker.stream_delay, within 100ms..1s. The
// watermark already trails the clock by the stream delay; publishing as often at most doubles
// that, and costs an idle shard one write per interval (a busy shard's goes with its
// checkpoints).
func (j *Job) markEvery() time.Duration {
	return min(max(j.cfg.Worker.StreamDelay.Duration, 100*time.Millisecond), time.Second)
}

// publishMarks writes the watermark of every held shard that moved since it was last written
// (an idle shard: its caught-up time follows the clock). A lost lease is left to renew.
func (j *Job) publishMarks(ctx context.Context, held map[string]*running) {
	for id, r := range held {
		m, moved := r.unpublished()
		if !moved || r.handover {
			continue
		}
		l, err := j.store.SetMark(ctx, r.get(), m)
		if err != nil {
			if ctx.Err() == nil {
				j.log.Debug("could not publish the shard's applied watermark", "shard", id, "err", err)
			}
			continue
		}
		r.set(l)
		r.markPublished(m)
	}
}

// Watermark is a sync job's applied watermark as its checkpoint store holds it.
type Watermark struct {
	// At: every change of the source table created at or before At is applied to every sink
	// of every pipeline. Zero while unknown (a shard not started, or last worked by a carve that
	// kept no watermark): it then passes no write.
	At time.Time
	// Shards is how many shards it covers: those not finished, and finished ones whose
	// children are not known yet.
	Shards int
	// Behind is the shard holding it back: the lowest, or the first whose watermark is unknown.
	Behind string
}

// pipelineWatermark is the lowest watermark over the stream's shards, from the shard list and
// the lease rows:
//   - a finished shard with a known child is left out: its children hold every later change;
//   - a finished shard without one counts with its last watermark (its children, if any, hold
//     only changes made after it closed, so they are not behind it);
//   - a shard waiting for its unfinished parent is left out: the parent is counted, and every
//     change of the child comes after every change of the parent;
//   - a shard that has no watermark yet starts where its finished parent ended (it was not
//     read, but none of its changes is older); without such a parent it is unknown, and an
//     unknown shard makes the whole watermark unknown.
func pipelineWatermark(shards []stream.Shard, leases []checkpoint.Lease) Watermark {
	rows := map[string]checkpoint.Lease{}
	parent := map[string]string{}
	known := map[string]bool{}
	for _, l := range leases {
		rows[l.Shard], parent[l.Shard], known[l.Shard] = l, l.Parent, true
	}
	for _, s := range shards {
		known[s.ID] = true
		if s.Parent != "" {
			parent[s.ID] = s.Parent
		}
	}
	hasChild := map[string]bool{}
	for id := range known {
		hasChild[parent[id]] = true
	}
	done := func(id string) bool { return rows[id].Checkpoint == checkpoint.ShardEnd }
	var wm Watermark
	unknown := false
	for _, id := range slices.Sorted(maps.Keys(known)) {
		if done(id) && hasChild[id] {
			continue
		}
		at := rows[id].Mark.Time()
		if p := parent[id]; at.IsZero() && known[p] {
			if !done(p) {
				continue
			}
			at = rows[p].Mark.Time()
		}
		wm.Shards++
		switch {
		case unknown:
		case at.IsZero():
			unknown, wm.At, wm.Behind = true, time.Time{}, id
		case wm.Behind == "" || at.Before(wm.At):
			wm.At, wm.Behind = at, id
		}
	}
	return wm
}

// watermarkCache holds the shard list of the last balance and the last watermark read.
type watermarkCache struct {
	mu     sync.Mutex
	arn    string
	shards []stream.Shard
	listed bool
	read   time.Time
	last   Watermark
}

// setShards records the stream's shard list (balance lists it every worker.shard_sync).
func (c *watermarkCache) setShards(arn string, shards []stream.Shard) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if arn != c.arn {
		c.read = time.Time{}
	}
	c.arn, c.shards, c.listed = arn, shards, true
}

// Watermark returns the job's applied watermark, read from the checkpoint store at most once
// per half worker.stream_delay (100ms..1s): the same for every worker of the job. It is unknown
// (zero) until the worker has listed the stream's shards.
func (j *Job) Watermark(ctx context.Context) (Watermark, error) {
	c := &j.wm
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.listed {
		return Watermark{}, nil
	}
	if time.Since(c.read) < j.markEvery()/2 {
		return c.last, nil
	}
	leases, err := j.store.Leases(ctx, c.arn)
	if err != nil {
		return Watermark{}, err
	}
	c.last, c.read = pipelineWatermark(c.shards, leases), time.Now()
	return c.last, nil
}

// watermarkJSON is the answer of GET /watermark; strangler/ryw reads watermark_unix_ms.
type watermarkJSON struct {
	UnixMs int64  `json:"watermark_unix_ms"`
	Shards int    `json:"shards"`
	Behind string `json:"behind,omitempty"`
	Error  string `json:"error,omitempty"`
}

// serveWatermark answers GET /watermark: {"watermark_unix_ms": N, "shards": K, "behind": S},
// the job's applied watermark the proxy's read_your_writes reads (docs/sync.md); 0 while
// unknown. A store that cannot be read gives 503: the proxy then keeps users where they are.
func (j *Job) serveWatermark(w http.ResponseWriter, r *http.Request) {
	wm, err := j.Watermark(r.Context())
	body := watermarkJSON{Shards: wm.Shards, Behind: wm.Behind}
	if !wm.At.IsZero() {
		body.UnixMs = wm.At.UnixMilli()
	}
	w.Header().Set("Content-Type", "application/json")
	if err != nil {
		body.Error = err.Error()
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	json.NewEncoder(w).Encode(body)
}

// watermarkGauge is carve_sync_applied_watermark_seconds. A scrape carries no context: the read
// of the store it may trigger is bounded on its own.
func (j *Job) watermarkGauge() prometheus.Collector {
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "carve_sync_applied_watermark_seconds",
		Help: "Unix time up to which every change of the source table is applied to every sink of every pipeline, over all workers of the job (from the checkpoint store; 0 while unknown)."},
		func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if wm, err := j.Watermark(ctx); err == nil && !wm.At.IsZero() {
				return float64(wm.At.UnixMilli()) / 1000
			}
			return 0
		})
}
