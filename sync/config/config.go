// Package config is the `carve sync` configuration: a YAML document decoded strictly (an unknown
// key is an error), validated as a whole, with every error naming the file and line to fix.
// docs/sync.md documents every field.
package config

import (
	"fmt"
	"os"

	"go.yaml.in/yaml/v3"

	"github.com/carve-dev/carve/internal/yamlcfg"
)

// Config is one sync job: a source table's stream, where checkpoints and leases live, and the
// pipelines that carry its changes to sinks.
type Config struct {
	// Source is the DynamoDB table whose stream is read.
	Source Table `yaml:"source"`
	// Checkpoints says where per-shard checkpoints and leases are kept (default: a DynamoDB
	// table named carve-sync in the source's region and endpoint).
	Checkpoints Checkpoints `yaml:"checkpoints"`
	// Pipelines filter and map the source's changes into sinks; at least one.
	Pipelines []Pipeline `yaml:"pipelines"`
	// StartFrom is where a shard without a checkpoint starts: trim_horizon (default: everything
	// the stream still holds) or latest. Child shards always start at trim_horizon.
	StartFrom string `yaml:"start_from"`
	// Worker tunes this process's part of the job.
	Worker Worker `yaml:"worker"`
	// Retry is how a failing batch is retried before its records are dead-lettered.
	Retry Retry `yaml:"retry"`
	// DeadLetter receives records that kept failing, with the error (default: beside the
	// checkpoints: the file <checkpoint file without extension>.dead-letter.jsonl, or the table
	// <checkpoint table>-dead-letter).
	DeadLetter DeadLetter `yaml:"dead_letter"`
	// Metrics is the Prometheus listener.
	Metrics Metrics `yaml:"metrics"`

	// File is where the config was read from, for error messages.
	File string `yaml:"-"`
}

// Table names a DynamoDB table and how to reach it.
type Table struct {
	// Table is the table name.
	Table string `yaml:"table"`
	// Region is the AWS region (default: AWS_REGION or AWS_DEFAULT_REGION or the profile's; a
	// loopback endpoint, an emulator, defaults to us-east-1; see internal/awsclient).
	Region string `yaml:"region"`
	// Endpoint overrides the service endpoint, e.g. http://127.0.0.1:8000 for DynamoDB Local.
	Endpoint string `yaml:"endpoint"`
}

// Checkpoints is exactly one checkpoint store.
type Checkpoints struct {
	// DynamoDB keeps checkpoints and leases in a table (created if missing); several workers can
	// share it.
	DynamoDB *Table `yaml:"dynamodb"`
	// File keeps checkpoints in a local JSON file; one worker only.
	File string `yaml:"file"`
}

// Worker tunes one `carve sync run` process.
type Worker struct {
	// ID names this worker in leases (default: chosen when the job starts, hostname-pid-random,
	// unique even when containers share a hostname and pid).
	ID string `yaml:"id"`
	// LeaseDuration is how long a lease lasts without renewal; a dead worker's shards are taken
	// over after it (default 10s). Renewal runs every third of it.
	LeaseDuration Duration `yaml:"lease_duration"`
	// ShardSync is how often the stream's shard list is re-read to find new shards (default 5s).
	ShardSync Duration `yaml:"shard_sync"`
	// BatchSize is GetRecords' Limit, 1..1000 (default 1000).
	BatchSize int `yaml:"batch_size"`
	// IdleWait is the longest pause between polls of an idle shard (default 500ms); the pause
	// starts at a tenth of it and doubles while pages come back empty. At the tip of a busy
	// shard (a partial page) the pause is a tenth of it; while a backlog drains there is none.
	IdleWait Duration `yaml:"idle_wait"`
	// WriteConcurrency is how many sink requests one batch may have in flight (default 8).
	WriteConcurrency int `yaml:"write_concurrency"`
	// StreamDelay bounds how long after a write its change may take to show in the stream
	// (default 1s): the applied watermark counts a change as applied only that long behind a
	// read that found the shard's tip (docs/sync.md).
	StreamDelay Duration `yaml:"stream_delay"`
}

// Retry is the backoff for failing sink writes.
type Retry struct {
	// Attempts before a record is dead-lettered (default 5).
	Attempts int `yaml:"attempts"`
	// Initial backoff (default 100ms), doubled per attempt with jitter up to Max (default 5s).
	Initial Duration `yaml:"initial"`
	Max     Duration `yaml:"max"`
}

// DeadLetter is exactly one dead-letter store.
type DeadLetter struct {
	// File appends one JSON line per dead-lettered record.
	File string `yaml:"file"`
	// DynamoDB puts one item per dead-lettered record into a table (created if missing).
	DynamoDB *Table `yaml:"dynamodb"`
}

// Metrics is the Prometheus listener.
type Metrics struct {
	// Listen is the address serving /metrics, e.g. 127.0.0.1:9464; empty disables it.
	Listen string `yaml:"listen"`
}

// Pipeline carries the source's changes that match Where, mapped by Map, into Sink.
type Pipeline struct {
	// Name identifies the pipeline in metrics, logs and dead letters.
	Name string `yaml:"name"`
	// Where selects changes; all its conditions must hold (empty: every change).
	Where Where `yaml:"where"`
	// Map reshapes the item before it is written.
	Map Map `yaml:"map"`
	// Sink is where the items go.
	Sink Sink `yaml:"sink"`
	// BothWays makes this pipeline one half of a two-way pair; see docs/sync.md.
	BothWays *BothWays `yaml:"both_ways"`
}

// Where is a filter on the item (the new image, or the old image for a delete).
type Where struct {
	// KeyPrefix: attribute → prefix its string value must start with.
	KeyPrefix map[string]string `yaml:"key_prefix"`
	// AttributeEquals: attribute → value (string, number or bool) it must equal.
	AttributeEquals map[string]Scalar `yaml:"attribute_equals"`
	// AttributeExists: attributes that must be present.
	AttributeExists []string `yaml:"attribute_exists"`
}

// Map reshapes an item: Drop, then Rename, then Key.
type Map struct {
	// Rename: source attribute → sink attribute.
	Rename map[string]string `yaml:"rename"`
	// Drop: source attributes not copied.
	Drop []string `yaml:"drop"`
	// Key: source key attribute → sink key attribute (a rename that also names the sink key).
	Key map[string]string `yaml:"key"`
}

// BothWays marks a pipeline as one direction of a two-way pair between DynamoDB tables.
type BothWays struct {
	// VersionAttribute is the attribute every writer on both sides sets to a newer value on every
	// write (a number or a sortable string such as an RFC 3339 UTC timestamp). The higher value
	// wins a conflict.
	VersionAttribute string `yaml:"version_attribute"`
	// TieWinner is the table whose write wins when both sides wrote the same version value; it
	// must be the same in both pipelines of the pair.
	TieWinner string `yaml:"tie_winner"`
	// VersionType is how version values compare: auto (default: numbers by value, RFC 3339
	// strings in time order, other strings byte by byte), number, timestamp (RFC 3339 strings, in
	// time order whatever their fractional digits or offset) or string (byte order). A value of
	// another type, or a number on one side and a string on the other, is refused
	// (dead-lettered) on every record.
	VersionType string `yaml:"version_type"`
}

// Scalar is a string, number or bool from YAML, kept with its YAML tag.
type Scalar struct {
	Value string
	Kind  string // "string", "number", "bool"
}

// UnmarshalYAML accepts a scalar only.
func (s *Scalar) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("want a string, number or bool")
	}
	s.Value = n.Value
	switch n.Tag {
	case "!!int", "!!float":
		s.Kind = "number"
	case "!!bool":
		s.Kind = "bool"
	default:
		s.Kind = "string"
	}
	return nil
}

// Duration is a duration written as "500ms", "10s" (the one type of every carve config).
type Duration = yamlcfg.Duration

// Load reads, decodes, defaults and validates the config at path.
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read sync config: %w", err)
	}
	return Parse(path, b)
}

// Parse decodes a config strictly, fills its defaults and validates it as a whole; file names
// it in errors. The error lists every problem, one a line, as "file:line: path: what to do".
func Parse(file string, b []byte) (*Config, error) {
	var c Config
	doc := yamlcfg.Decode(file, b, &c, yamlcfg.Options{Docs: "docs/sync.md"})
	if doc.Empty() {
		return nil, yamlcfg.Problems{{File: file, Msg: "empty config: want source and pipelines (see docs/sync.md)"}}
	}
	if doc.Failed() {
		return nil, doc.Err()
	}
	c.File = file
	c.defaults()
	c.validate(doc)
	if err := doc.Err(); err != nil {
		return nil, err
	}
	return &c, nil
}
