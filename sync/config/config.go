// Package config is the `carve sync` configuration: a YAML document decoded strictly (an unknown
// key is an error), validated as a whole, with every error naming the file and line to fix.
// docs/sync.md documents every field.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
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
	// DeadLetter receives records that kept failing, with the error (default: file
	// ./carve-sync-dead-letter.jsonl).
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
	// Region is the AWS region (default: the SDK's default chain, else us-east-1).
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
	// ID names this worker in leases (default: hostname-pid-random, unique even when containers share a hostname and pid).
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

// Sink is exactly one destination.
type Sink struct {
	DynamoDB *DynamoDBSink `yaml:"dynamodb"`
	Postgres *PostgresSink `yaml:"postgres"`
	// SNS publishes each change as an event (docs/sync.md, Events) to a topic.
	SNS *SNSSink `yaml:"sns"`
	// SQS sends each change as an event to a queue.
	SQS *SQSSink `yaml:"sqs"`
}

// SNSSink is an SNS topic receiving one event per change.
type SNSSink struct {
	// TopicArn is the topic, e.g. arn:aws:sns:eu-west-1:123456789012:orders-changed; a name
	// ending in .fifo makes delivery ordered per key (message group = the item's key).
	TopicArn string `yaml:"topic_arn"`
	// Region defaults to the topic ARN's region.
	Region string `yaml:"region"`
	// Endpoint overrides the service endpoint (an emulator); it does not default to the source's.
	Endpoint string `yaml:"endpoint"`
}

// SQSSink is an SQS queue receiving one event per change.
type SQSSink struct {
	// QueueURL is the queue, e.g. https://sqs.eu-west-1.amazonaws.com/123456789012/orders.fifo;
	// a name ending in .fifo makes delivery ordered per key.
	QueueURL string `yaml:"queue_url"`
	// Region defaults to the region in the queue URL's host (sqs.REGION.amazonaws.com).
	Region string `yaml:"region"`
	// Endpoint overrides the service endpoint (an emulator); it does not default to the source's.
	Endpoint string `yaml:"endpoint"`
}

// Kind names the configured sink: dynamodb, postgres, sns, sqs ("" when none is set).
func (s Sink) Kind() string {
	switch {
	case s.DynamoDB != nil:
		return "dynamodb"
	case s.Postgres != nil:
		return "postgres"
	case s.SNS != nil:
		return "sns"
	case s.SQS != nil:
		return "sqs"
	}
	return ""
}

// Publishes reports whether the sink publishes events (SNS, SQS) rather than storing items:
// such a sink cannot be read back, so verify and backfill's repair do not apply to it.
func (s Sink) Publishes() bool { return s.SNS != nil || s.SQS != nil }

// count is how many sinks are set.
func (s Sink) count() int {
	n := 0
	for _, set := range []bool{s.DynamoDB != nil, s.Postgres != nil, s.SNS != nil, s.SQS != nil} {
		if set {
			n++
		}
	}
	return n
}

// DynamoDBSink is a DynamoDB table receiving items.
type DynamoDBSink struct {
	Table    string `yaml:"table"`
	Region   string `yaml:"region"`
	Endpoint string `yaml:"endpoint"`
	// WriteMode is transact (default: conditional puts in TransactWriteItems, fenced by the
	// store) or batch (versions read with BatchGetItem, newer items written with
	// BatchWriteItem, fenced by the lease only); see docs/sync.md.
	WriteMode string `yaml:"write_mode"`
}

// PostgresSink is a PostgreSQL table receiving items, one column per attribute.
type PostgresSink struct {
	// DSN connects to the database; DSNEnv names an environment variable holding it instead.
	DSN    string `yaml:"dsn"`
	DSNEnv string `yaml:"dsn_env"`
	// Table is the table name (optionally schema.table); created if missing, validated if not.
	Table string `yaml:"table"`
	// Key lists the primary-key columns (attributes after mapping).
	Key []string `yaml:"key"`
	// Columns: column (= attribute after mapping) → PostgreSQL type: text, bigint, integer,
	// numeric, double precision, boolean, jsonb, bytea. Key columns default to text. Attributes
	// not listed are not copied.
	Columns map[string]string `yaml:"columns"`
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
		return fmt.Errorf("line %d: want a string, number or bool", n.Line)
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

// Duration is a time.Duration written as "500ms", "10s".
type Duration struct{ time.Duration }

// UnmarshalYAML parses a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil || v < 0 {
		return fmt.Errorf("line %d: %q is not a duration like 500ms or 10s", n.Line, n.Value)
	}
	d.Duration = v
	return nil
}

// MarshalYAML writes the duration string.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// Load reads, decodes, defaults and validates the config at path.
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read sync config: %w", err)
	}
	return Parse(path, b)
}

// Parse decodes, defaults and validates a config; file names it in errors.
func Parse(file string, b []byte) (*Config, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		return nil, fmt.Errorf("%s: %s", file, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if root.Kind == 0 || len(root.Content) == 0 {
		return nil, fmt.Errorf("%s: empty config: want source and pipelines (see docs/sync.md)", file)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var c Config
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %s", file, strings.TrimPrefix(strings.ReplaceAll(err.Error(), "\n  ", "; "), "yaml: unmarshal errors:; "))
	}
	c.File = file
	c.setDefaults()
	if err := c.validate(&root); err != nil {
		return nil, err
	}
	return &c, nil
}

func (c *Config) setDefaults() {
	if c.StartFrom == "" {
		c.StartFrom = "trim_horizon"
	}
	if c.Checkpoints.DynamoDB == nil && c.Checkpoints.File == "" {
		c.Checkpoints.DynamoDB = &Table{Table: "carve-sync"}
	}
	if d := c.Checkpoints.DynamoDB; d != nil {
		if d.Region == "" {
			d.Region = c.Source.Region
		}
		if d.Endpoint == "" {
			d.Endpoint = c.Source.Endpoint
		}
	}
	if c.DeadLetter.File == "" && c.DeadLetter.DynamoDB == nil {
		c.DeadLetter.File = "carve-sync-dead-letter.jsonl"
	}
	if d := c.DeadLetter.DynamoDB; d != nil {
		if d.Region == "" {
			d.Region = c.Source.Region
		}
		if d.Endpoint == "" {
			d.Endpoint = c.Source.Endpoint
		}
	}
	w := &c.Worker
	if w.ID == "" {
		// Containers often share a hostname pattern and run as pid 1: a random suffix (as the
		// Kinesis Client Library adds) keeps two workers from taking each other for themselves.
		h, _ := os.Hostname()
		w.ID = fmt.Sprintf("%s-%d-%08x", h, os.Getpid(), rand.Uint32())
	}
	def := func(d *Duration, v time.Duration) {
		if d.Duration == 0 {
			d.Duration = v
		}
	}
	def(&w.LeaseDuration, 10*time.Second)
	def(&w.ShardSync, 5*time.Second)
	def(&w.IdleWait, 500*time.Millisecond)
	def(&w.StreamDelay, time.Second)
	if w.BatchSize == 0 {
		w.BatchSize = 1000
	}
	if w.WriteConcurrency == 0 {
		w.WriteConcurrency = 8
	}
	if c.Retry.Attempts == 0 {
		c.Retry.Attempts = 5
	}
	def(&c.Retry.Initial, 100*time.Millisecond)
	def(&c.Retry.Max, 5*time.Second)
	for i := range c.Pipelines {
		p := &c.Pipelines[i]
		if p.BothWays != nil && p.BothWays.VersionType == "" {
			p.BothWays.VersionType = "auto"
		}
		setEventDefaults(&p.Sink)
		if d := p.Sink.DynamoDB; d != nil {
			if d.Region == "" {
				d.Region = c.Source.Region
			}
			if d.Endpoint == "" {
				d.Endpoint = c.Source.Endpoint
			}
		}
	}
}

// errs collects validation errors with the line of the offending node.
type errs struct {
	file string
	root *yaml.Node
	list []string
}

func (e *errs) add(path string, format string, a ...any) {
	line := lineOf(e.root, path)
	msg := fmt.Sprintf(format, a...)
	if line > 0 {
		e.list = append(e.list, fmt.Sprintf("%s:%d: %s: %s", e.file, line, path, msg))
	} else {
		e.list = append(e.list, fmt.Sprintf("%s: %s: %s", e.file, path, msg))
	}
}

// lineOf finds the line of a dotted path like pipelines.0.sink.postgres.table, falling back to
// the nearest ancestor that exists.
func lineOf(root *yaml.Node, path string) int {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := n.Line
	for _, part := range strings.Split(path, ".") {
		var next *yaml.Node
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == part {
					line = n.Content[i].Line
					next = n.Content[i+1]
					break
				}
			}
		case yaml.SequenceNode:
			if i, err := strconv.Atoi(part); err == nil && i < len(n.Content) {
				next = n.Content[i]
				line = next.Line
			}
		}
		if next == nil {
			return line
		}
		n = next
	}
	return line
}

var pgTypes = map[string]bool{"text": true, "bigint": true, "integer": true, "numeric": true, "double precision": true, "boolean": true, "jsonb": true, "bytea": true}

func (c *Config) validate(root *yaml.Node) error {
	e := &errs{file: c.File, root: root}
	if c.Source.Table == "" {
		e.add("source.table", "missing: name the DynamoDB table whose stream to read")
	}
	if c.Checkpoints.DynamoDB != nil && c.Checkpoints.File != "" {
		e.add("checkpoints", "set either dynamodb or file, not both")
	}
	if d := c.Checkpoints.DynamoDB; d != nil && d.Table == "" {
		e.add("checkpoints.dynamodb.table", "missing: name the checkpoint table")
	}
	if c.DeadLetter.DynamoDB != nil && c.DeadLetter.File != "" {
		e.add("dead_letter", "set either dynamodb or file, not both")
	}
	if d := c.DeadLetter.DynamoDB; d != nil && d.Table == "" {
		e.add("dead_letter.dynamodb.table", "missing: name the dead-letter table")
	}
	if c.StartFrom != "trim_horizon" && c.StartFrom != "latest" {
		e.add("start_from", "%q: want trim_horizon or latest", c.StartFrom)
	}
	if c.Worker.BatchSize < 1 || c.Worker.BatchSize > 1000 {
		e.add("worker.batch_size", "%d: want 1..1000 (GetRecords' limit)", c.Worker.BatchSize)
	}
	if c.Worker.WriteConcurrency < 1 {
		e.add("worker.write_concurrency", "want at least 1")
	}
	if c.Worker.LeaseDuration.Duration < 500*time.Millisecond {
		e.add("worker.lease_duration", "%s: want at least 500ms", c.Worker.LeaseDuration)
	}
	if d := c.Worker.StreamDelay.Duration; d < 0 || d > time.Minute {
		e.add("worker.stream_delay", "%s: want 0 to 1m", c.Worker.StreamDelay)
	}
	if c.Retry.Attempts < 1 {
		e.add("retry.attempts", "want at least 1")
	}
	if len(c.Pipelines) == 0 {
		e.add("pipelines", "missing: add at least one pipeline with a name and a sink")
	}
	names := map[string]bool{}
	for i, p := range c.Pipelines {
		at := func(s string) string { return fmt.Sprintf("pipelines.%d.%s", i, s) }
		if p.Name == "" {
			e.add(at("name"), "missing")
		} else if names[p.Name] {
			e.add(at("name"), "%q used twice: pipeline names must be unique", p.Name)
		}
		names[p.Name] = true
		for a, pre := range p.Where.KeyPrefix {
			if a == "" || pre == "" {
				e.add(at("where.key_prefix"), "want attribute: prefix, both non-empty")
			}
		}
		seen := map[string]string{}
		for from, to := range p.Map.Rename {
			if to == "" {
				e.add(at("map.rename"), "%s renamed to nothing: use drop", from)
			}
			seen[to] = from
		}
		for from, to := range p.Map.Key {
			if to == "" {
				e.add(at("map.key"), "%s mapped to nothing", from)
			}
			if other, dup := seen[to]; dup {
				e.add(at("map.key"), "%s and %s both become %s", from, other, to)
			}
		}
		switch {
		case p.Sink.count() == 0:
			e.add(at("sink"), "missing: set dynamodb, postgres, sns or sqs")
		case p.Sink.count() > 1:
			e.add(at("sink"), "set exactly one of dynamodb, postgres, sns or sqs")
		case p.Sink.Publishes():
			validateEvents(e, at, p)
		case p.Sink.DynamoDB != nil:
			if p.Sink.DynamoDB.Table == "" {
				e.add(at("sink.dynamodb.table"), "missing")
			}
			switch p.Sink.DynamoDB.WriteMode {
			case "", "transact":
			case "batch":
				if p.BothWays != nil {
					e.add(at("sink.dynamodb.write_mode"), "a two-way pipeline needs transact: its conflict rule is a condition")
				}
			default:
				e.add(at("sink.dynamodb.write_mode"), "%q: want transact or batch", p.Sink.DynamoDB.WriteMode)
			}
		case p.Sink.Postgres != nil:
			pg := p.Sink.Postgres
			if pg.DSN == "" && pg.DSNEnv == "" {
				e.add(at("sink.postgres"), "missing dsn or dsn_env")
			}
			if pg.DSN != "" && pg.DSNEnv != "" {
				e.add(at("sink.postgres"), "set either dsn or dsn_env, not both")
			}
			if pg.Table == "" {
				e.add(at("sink.postgres.table"), "missing")
			}
			if len(pg.Key) == 0 {
				e.add(at("sink.postgres.key"), "missing: list the primary-key columns")
			}
			for col, typ := range pg.Columns {
				if !pgTypes[strings.ToLower(typ)] {
					e.add(at("sink.postgres.columns."+col), "type %q: want one of text, bigint, integer, numeric, double precision, boolean, jsonb, bytea", typ)
				}
				if strings.HasPrefix(col, "_carve_") {
					e.add(at("sink.postgres.columns."+col), "columns starting with _carve_ are sync's own")
				}
			}
			if p.BothWays != nil {
				e.add(at("both_ways"), "two-way pipelines need a DynamoDB sink (a PostgreSQL table has no stream to read back)")
			}
		}
		if bw := p.BothWays; bw != nil {
			if bw.VersionAttribute == "" {
				e.add(at("both_ways.version_attribute"), "missing: name the attribute every writer bumps on every write")
			}
			switch bw.VersionType {
			case "", "auto", "number", "timestamp", "string":
			default:
				e.add(at("both_ways.version_type"), "%q: want auto, number, timestamp (RFC 3339) or string", bw.VersionType)
			}
			if bw.TieWinner == "" {
				e.add(at("both_ways.tie_winner"), "missing: name the table whose write wins a tie")
			} else if p.Sink.DynamoDB != nil && bw.TieWinner != c.Source.Table && bw.TieWinner != p.Sink.DynamoDB.Table {
				e.add(at("both_ways.tie_winner"), "%q is neither the source %q nor the sink %q", bw.TieWinner, c.Source.Table, p.Sink.DynamoDB.Table)
			}
		}
	}
	if len(e.list) > 0 {
		return &Error{Problems: e.list}
	}
	return nil
}

// Error lists every problem found in a config, one per line, each with file:line.
type Error struct{ Problems []string }

func (e *Error) Error() string {
	if len(e.Problems) == 1 {
		return "invalid sync config: " + e.Problems[0]
	}
	return "invalid sync config:\n  " + strings.Join(e.Problems, "\n  ")
}

// PostgresDSN resolves the sink's DSN, from the environment if DSNEnv is set.
func (p *PostgresSink) PostgresDSN() (string, error) {
	if p.DSN != "" {
		return p.DSN, nil
	}
	v := os.Getenv(p.DSNEnv)
	if v == "" {
		return "", fmt.Errorf("postgres sink %s: environment variable %s is empty: export the DSN in it", p.Table, p.DSNEnv)
	}
	return v, nil
}
