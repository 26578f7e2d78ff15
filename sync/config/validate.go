package config

import (
	"maps"
	"slices"
	"time"

	"github.com/carve-dev/carve/internal/yamlcfg"
)

// validate records every problem of the config in doc, each on its line. It only reads: the
// defaults are already in.
func (c *Config) validate(doc *yamlcfg.Doc) {
	c.validateStores(doc)
	c.validateWorker(doc)
	if len(c.Pipelines) == 0 {
		doc.Add("pipelines", "missing: add at least one pipeline with a name and a sink")
	}
	names := map[string]bool{}
	for i := range c.Pipelines {
		p := &c.Pipelines[i]
		at := yamlcfg.Index("pipelines", i)
		if p.Name == "" {
			doc.Add(at+".name", "missing")
		} else if names[p.Name] {
			doc.Add(at+".name", "%q used twice: pipeline names must be unique", p.Name)
		}
		names[p.Name] = true
		validateWhereAndMap(doc, at, p)
		c.validateSink(doc, at, p)
		c.validateBothWays(doc, at, p)
	}
}

// validateStores checks the source, the checkpoint store and the dead-letter store.
func (c *Config) validateStores(doc *yamlcfg.Doc) {
	if c.Source.Table == "" {
		doc.Add("source.table", "missing: name the DynamoDB table whose stream to read")
	}
	if c.Checkpoints.DynamoDB != nil && c.Checkpoints.File != "" {
		doc.Add("checkpoints", "set either dynamodb or file, not both")
	}
	if d := c.Checkpoints.DynamoDB; d != nil && d.Table == "" {
		doc.Add("checkpoints.dynamodb.table", "missing: name the checkpoint table")
	}
	if c.DeadLetter.DynamoDB != nil && c.DeadLetter.File != "" {
		doc.Add("dead_letter", "set either dynamodb or file, not both")
	}
	if d := c.DeadLetter.DynamoDB; d != nil && d.Table == "" {
		doc.Add("dead_letter.dynamodb.table", "missing: name the dead-letter table")
	}
	if c.StartFrom != "trim_horizon" && c.StartFrom != "latest" {
		doc.Add("start_from", "%q: want trim_horizon or latest", c.StartFrom)
	}
}

func (c *Config) validateWorker(doc *yamlcfg.Doc) {
	w := c.Worker
	if w.BatchSize < 1 || w.BatchSize > 1000 {
		doc.Add("worker.batch_size", "%d: want 1..1000 (GetRecords' limit)", w.BatchSize)
	}
	if w.WriteConcurrency < 1 {
		doc.Add("worker.write_concurrency", "want at least 1")
	}
	if w.LeaseDuration.Duration < 500*time.Millisecond {
		doc.Add("worker.lease_duration", "%s: want at least 500ms", w.LeaseDuration)
	}
	if d := w.StreamDelay.Duration; d > time.Minute {
		doc.Add("worker.stream_delay", "%s: want 0 to 1m", w.StreamDelay)
	}
	if c.Retry.Attempts < 1 {
		doc.Add("retry.attempts", "want at least 1")
	}
}

func validateWhereAndMap(doc *yamlcfg.Doc, at string, p *Pipeline) {
	for _, a := range slices.Sorted(maps.Keys(p.Where.KeyPrefix)) {
		if a == "" || p.Where.KeyPrefix[a] == "" {
			doc.Add(at+".where.key_prefix", "want attribute: prefix, both non-empty")
		}
	}
	seen := map[string]string{}
	for _, from := range slices.Sorted(maps.Keys(p.Map.Rename)) {
		to := p.Map.Rename[from]
		if to == "" {
			doc.Add(at+".map.rename", "%s renamed to nothing: use drop", from)
		}
		seen[to] = from
	}
	for _, from := range slices.Sorted(maps.Keys(p.Map.Key)) {
		to := p.Map.Key[from]
		if to == "" {
			doc.Add(at+".map.key", "%s mapped to nothing", from)
		}
		if other, dup := seen[to]; dup {
			doc.Add(at+".map.key", "%s and %s both become %s", from, other, to)
		}
	}
}

func (c *Config) validateBothWays(doc *yamlcfg.Doc, at string, p *Pipeline) {
	bw := p.BothWays
	if bw == nil {
		return
	}
	at += ".both_ways"
	if bw.VersionAttribute == "" {
		doc.Add(at+".version_attribute", "missing: name the attribute every writer bumps on every write")
	}
	switch bw.VersionType {
	case "", "auto", "number", "timestamp", "string":
	default:
		doc.Add(at+".version_type", "%q: want auto, number, timestamp (RFC 3339) or string", bw.VersionType)
	}
	table, twoWay := p.Sink.TwoWayTable()
	switch {
	case bw.TieWinner == "":
		doc.Add(at+".tie_winner", "missing: name the table whose write wins a tie")
	case twoWay && bw.TieWinner != c.Source.Table && bw.TieWinner != table:
		doc.Add(at+".tie_winner", "%q is neither the source %q nor the sink %q", bw.TieWinner, c.Source.Table, table)
	}
}
