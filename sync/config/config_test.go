package config

import (
	"strings"
	"testing"

	"github.com/carve-dev/carve/internal/yamlcfg/yamlcfgtest"
	"github.com/carve-dev/carve/sync/sink"
)

const good = `
source: {table: shop, region: us-east-1, endpoint: "http://127.0.0.1:8000"}
checkpoints: {dynamodb: {table: carve-sync}}
pipelines:
  - name: orders
    where: {key_prefix: {pk: "ORDER#"}}
    map: {rename: {amt: amount}, drop: [gsi1pk], key: {pk: order_id}}
    sink: {dynamodb: {table: orders}}
  - name: users-pg
    where: {attribute_equals: {type: user}}
    sink: {postgres: {dsn_env: USERS_DSN, table: users, key: [user_id]}}
`

func TestParseGood(t *testing.T) {
	c, err := Parse("sync.yaml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if c.Pipelines[0].Sink.Config.(*sink.DynamoDBConfig).Endpoint != "http://127.0.0.1:8000" || c.Worker.BatchSize != 1000 || c.Checkpoints.DynamoDB.Region != "us-east-1" {
		t.Fatalf("defaults not applied: %+v", c)
	}
	if c.Pipelines[1].Where.AttributeEquals["type"].Value != "user" {
		t.Fatalf("attribute_equals: %+v", c.Pipelines[1].Where)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"unknown key", "source: {table: shop, tabel: x}\npipelines: []\n", `sync.yaml:1: source: unknown key "tabel": did you mean "table"? (see docs/sync.md)`},
		{"no source", "pipelines:\n  - name: a\n    sink: {dynamodb: {table: b}}\n", "sync.yaml:1: source.table: missing"},
		{"bad sink", "source: {table: s}\npipelines:\n  - name: a\n    sink: {}\n", "sync.yaml:4: pipelines[0].sink: missing: set dynamodb, postgres, sns or sqs"},
		{"unknown sink", "source: {table: s}\npipelines:\n  - name: a\n    sink:\n      dynamo: {table: b}\n", `sync.yaml:5: pipelines[0].sink: unknown key "dynamo": did you mean "dynamodb"? want one of dynamodb, postgres, sns or sqs (see docs/sync.md)`},
		{"two sinks", "source: {table: s}\npipelines:\n  - name: a\n    sink:\n      dynamodb: {table: b}\n      postgres: {dsn: x, table: t, key: [id]}\n", "sync.yaml:4: pipelines[0].sink: set exactly one of dynamodb, postgres, sns or sqs"},
		{"pg two ways", "source: {table: s}\npipelines:\n  - name: a\n    both_ways: {version_attribute: v, tie_winner: s}\n    sink: {postgres: {dsn: x, table: t, key: [id]}}\n", "sync.yaml:4: pipelines[0].both_ways: two-way pipelines need a dynamodb sink (the postgres sink has no stream to read back)"},
		{"bad pg type", "source: {table: s}\npipelines:\n  - name: a\n    sink:\n      postgres:\n        dsn: x\n        table: t\n        key: [id]\n        columns: {n: float}\n", "sync.yaml:9: pipelines[0].sink.postgres.columns.n: type \"float\""},
		{"dup name", "source: {table: s}\npipelines:\n  - name: a\n    sink: {dynamodb: {table: b}}\n  - name: a\n    sink: {dynamodb: {table: c}}\n", "sync.yaml:5: pipelines[1].name: \"a\" used twice"},
		{"bad duration", "source: {table: s}\nworker: {lease_duration: soon}\npipelines: []\n", `sync.yaml:2: worker.lease_duration: bad duration "soon"`},
		{"empty", "", "empty config"},
		{"write mode", "source: {table: s}\npipelines:\n  - name: a\n    sink: {dynamodb: {table: b, write_mode: fast}}\n", "sync.yaml:4: pipelines[0].sink.dynamodb.write_mode: \"fast\": want transact or batch"},
		{"tie", "source: {table: s}\npipelines:\n  - name: a\n    both_ways: {version_attribute: v, tie_winner: zz}\n    sink: {dynamodb: {table: b}}\n", "sync.yaml:4: pipelines[0].both_ways.tie_winner: \"zz\" is neither"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("sync.yaml", []byte(tc.yaml))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want error containing %q, got %v", tc.want, err)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(good))
	f.Add([]byte("source: {table: s}\npipelines:\n  - name: a\n    sink: {}\n"))
	f.Add([]byte("a: [1, {b: *x}]"))
	f.Add([]byte("source: {table: s}\npipelines:\n  - name: a\n    sink: {dynamo: {table: b}, sqs: &q {queue_url: u}, sns: *q}\n"))
	f.Add([]byte("source: {table: s}\npipelines:\n  - name: e\n    sink: {sns: {topic_arn: \"arn:aws:sns:r:1:t.fifo\"}}\n  - name: q\n    sink: {sqs: {queue_url: \"https://sqs.r.amazonaws.com/1/q\"}}\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := Parse("f.yaml", b)
		if err == nil && (c.Source.Table == "" || len(c.Pipelines) == 0) {
			t.Fatalf("accepted a config without source or pipelines")
		}
	})
}

// The strict core's problems, through sync.yaml: each names its line and path.
func TestParseStrict(t *testing.T) {
	const pipes = "pipelines: [{name: a, sink: {dynamodb: {table: b}}}]\n"
	for _, tc := range []struct{ name, yaml, want string }{
		{"second document", good + "---\nsource: {table: t}\n", "sync.yaml:12: a second YAML document"},
		{"unknown key with suggestion", "source: {table: s}\ncheckpoints: {dynamodbb: {table: x}}\n" + pipes, `sync.yaml:2: checkpoints: unknown key "dynamodbb": did you mean "dynamodb"?`},
		{"bad duration", "source: {table: s}\nretry: {initial: 100}\n" + pipes, `sync.yaml:2: retry.initial: bad duration "100": write a non-negative duration with its unit`},
		{"wrong type", "source: {table: s}\nworker: {batch_size: lots}\n" + pipes, `sync.yaml:2: worker.batch_size: "lots" is a string where an integer is expected`},
		{"attribute_equals not a scalar", "source: {table: s}\npipelines:\n  - name: a\n    where: {attribute_equals: {t: [x]}}\n    sink: {dynamodb: {table: b}}\n", `sync.yaml:4: pipelines[0].where.attribute_equals.t: want a string, number or bool`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("sync.yaml", []byte(tc.yaml))
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("want an error starting %q, got %v", tc.want, err)
			}
		})
	}
}

// Every problem is reported at once, one a line, in line order.
func TestParseAllProblemsInLineOrder(t *testing.T) {
	_, err := Parse("sync.yaml", []byte(`source: {region: us-east-1}
start_from: oldest
pipelines:
  - name: a
    sink: {dynamodb: {table: b, write_mode: fast}}
  - name: a
    sink: {}
worker: {batch_size: 5000}
`))
	if err == nil {
		t.Fatal("accepted")
	}
	want := []string{
		"sync.yaml:1: source.table: missing",
		"sync.yaml:2: start_from: \"oldest\": want trim_horizon or latest",
		"sync.yaml:5: pipelines[0].sink.dynamodb.write_mode: \"fast\": want transact or batch",
		"sync.yaml:6: pipelines[1].name: \"a\" used twice",
		"sync.yaml:7: pipelines[1].sink: missing",
		"sync.yaml:8: worker.batch_size: 5000: want 1..1000",
	}
	yamlcfgtest.WantProblems(t, err, want...)
}

// Dead letters default to beside the checkpoints, never to the working directory; the worker's
// id is left to the job (loading reads nothing of the environment).
func TestDefaultsBesideCheckpoints(t *testing.T) {
	c, err := Parse("sync.yaml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if d := c.DeadLetter; d.File != "" || d.DynamoDB == nil || *d.DynamoDB != (Table{Table: "carve-sync-dead-letter", Region: "us-east-1", Endpoint: "http://127.0.0.1:8000"}) {
		t.Errorf("dead letters with checkpoints in DynamoDB: %+v %+v", d, d.DynamoDB)
	}
	if c.Worker.ID != "" {
		t.Errorf("worker.id %q chosen while loading", c.Worker.ID)
	}
	c, err = Parse("sync.yaml", []byte("source: {table: s}\ncheckpoints: {file: /var/lib/carve/cp.json}\npipelines: [{name: a, sink: {dynamodb: {table: b}}}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if d := c.DeadLetter; d.File != "/var/lib/carve/cp.dead-letter.jsonl" || d.DynamoDB != nil {
		t.Errorf("dead letters with a checkpoint file: %+v", d)
	}
	c, err = Parse("sync.yaml", []byte("source: {table: s}\ndead_letter: {file: /tmp/dl.jsonl}\npipelines: [{name: a, sink: {dynamodb: {table: b}}}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if d := c.DeadLetter; d.File != "/tmp/dl.jsonl" || d.DynamoDB != nil {
		t.Errorf("an explicit dead-letter file was changed: %+v", d)
	}
}
