package config

import (
	"cmp"
	"path/filepath"
	"strings"
	"time"
)

// Defaults of a sync config (docs/sync.md lists them with every key).
const (
	DefaultCheckpointTable  = "carve-sync"
	DefaultLeaseDuration    = 10 * time.Second
	DefaultShardSync        = 5 * time.Second
	DefaultIdleWait         = 500 * time.Millisecond
	DefaultStreamDelay      = time.Second
	DefaultBatchSize        = 1000
	DefaultWriteConcurrency = 8
	DefaultRetryAttempts    = 5
	DefaultRetryInitial     = 100 * time.Millisecond
	DefaultRetryMax         = 5 * time.Second
)

// defaults fills what the file left out. It reads nothing but the config: the worker's id, which
// needs the host name and pid, is chosen where the job starts (sync/job), when worker.id is
// empty.
func (c *Config) defaults() {
	if c.StartFrom == "" {
		c.StartFrom = "trim_horizon"
	}
	if c.Checkpoints.DynamoDB == nil && c.Checkpoints.File == "" {
		c.Checkpoints.DynamoDB = &Table{Table: DefaultCheckpointTable}
	}
	c.Source.reach(c.Checkpoints.DynamoDB)
	c.defaultDeadLetter()
	c.Source.reach(c.DeadLetter.DynamoDB)
	c.Worker.defaults()
	c.Retry.defaults()
	for i := range c.Pipelines {
		p := &c.Pipelines[i]
		if p.BothWays != nil && p.BothWays.VersionType == "" {
			p.BothWays.VersionType = "auto"
		}
		if p.Sink.Config != nil {
			p.Sink.Config.Defaults(c.source())
		}
	}
}

// reach gives t the region and endpoint of s where it names none: the tables of one job are
// usually reached the same way.
func (s Table) reach(t *Table) {
	if t == nil {
		return
	}
	t.Region = cmp.Or(t.Region, s.Region)
	t.Endpoint = cmp.Or(t.Endpoint, s.Endpoint)
}

// defaultDeadLetter keeps dead letters beside the checkpoints when the file names no store: a
// checkpoint file "state/cp.json" gets "state/cp.dead-letter.jsonl" beside it, a checkpoint
// table T gets the table "T-dead-letter" (created if missing) reached the same way. Never a
// file in whatever directory the job happens to start in.
func (c *Config) defaultDeadLetter() {
	if c.DeadLetter.File != "" || c.DeadLetter.DynamoDB != nil {
		return
	}
	if f := c.Checkpoints.File; f != "" {
		c.DeadLetter.File = strings.TrimSuffix(f, filepath.Ext(f)) + ".dead-letter.jsonl"
		return
	}
	cp := c.Checkpoints.DynamoDB
	c.DeadLetter.DynamoDB = &Table{Table: cp.Table + "-dead-letter", Region: cp.Region, Endpoint: cp.Endpoint}
}

func (w *Worker) defaults() {
	orDuration(&w.LeaseDuration, DefaultLeaseDuration)
	orDuration(&w.ShardSync, DefaultShardSync)
	orDuration(&w.IdleWait, DefaultIdleWait)
	orDuration(&w.StreamDelay, DefaultStreamDelay)
	orInt(&w.BatchSize, DefaultBatchSize)
	orInt(&w.WriteConcurrency, DefaultWriteConcurrency)
}

func (r *Retry) defaults() {
	orInt(&r.Attempts, DefaultRetryAttempts)
	orDuration(&r.Initial, DefaultRetryInitial)
	orDuration(&r.Max, DefaultRetryMax)
}

func orDuration(d *Duration, v time.Duration) {
	if d.Duration == 0 {
		d.Duration = v
	}
}

func orInt(n *int, v int) {
	if *n == 0 {
		*n = v
	}
}
