package config

import (
	"strings"
	"testing"
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
	if c.Pipelines[0].Sink.DynamoDB.Endpoint != "http://127.0.0.1:8000" || c.Worker.BatchSize != 1000 || c.Checkpoints.DynamoDB.Region != "us-east-1" {
		t.Fatalf("defaults not applied: %+v", c)
	}
	if c.Pipelines[1].Where.AttributeEquals["type"].Value != "user" {
		t.Fatalf("attribute_equals: %+v", c.Pipelines[1].Where)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"unknown key", "source: {table: shop, tabel: x}\npipelines: []\n", "sync.yaml: line 1: field tabel not found"},
		{"no source", "pipelines:\n  - name: a\n    sink: {dynamodb: {table: b}}\n", "sync.yaml:1: source.table: missing"},
		{"bad sink", "source: {table: s}\npipelines:\n  - name: a\n    sink: {}\n", "sync.yaml:4: pipelines.0.sink: missing"},
		{"bad pg type", "source: {table: s}\npipelines:\n  - name: a\n    sink:\n      postgres:\n        dsn: x\n        table: t\n        key: [id]\n        columns: {n: float}\n", "sync.yaml:9: pipelines.0.sink.postgres.columns.n: type \"float\""},
		{"dup name", "source: {table: s}\npipelines:\n  - name: a\n    sink: {dynamodb: {table: b}}\n  - name: a\n    sink: {dynamodb: {table: c}}\n", "sync.yaml:5: pipelines.1.name: \"a\" used twice"},
		{"bad duration", "source: {table: s}\nworker: {lease_duration: soon}\npipelines: []\n", "line 2: \"soon\" is not a duration"},
		{"empty", "", "empty config"},
		{"write mode", "source: {table: s}\npipelines:\n  - name: a\n    sink: {dynamodb: {table: b, write_mode: fast}}\n", "sync.yaml:4: pipelines.0.sink.dynamodb.write_mode: \"fast\": want transact or batch"},
		{"tie", "source: {table: s}\npipelines:\n  - name: a\n    both_ways: {version_attribute: v, tie_winner: zz}\n    sink: {dynamodb: {table: b}}\n", "sync.yaml:4: pipelines.0.both_ways.tie_winner: \"zz\" is neither"},
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
	f.Add([]byte("source: {table: s}\npipelines:\n  - name: e\n    sink: {sns: {topic_arn: \"arn:aws:sns:r:1:t.fifo\"}}\n  - name: q\n    sink: {sqs: {queue_url: \"https://sqs.r.amazonaws.com/1/q\"}}\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := Parse("f.yaml", b)
		if err == nil && (c.Source.Table == "" || len(c.Pipelines) == 0) {
			t.Fatalf("accepted a config without source or pipelines")
		}
	})
}

// TestWorkerIDUniqueInOneProcess: two workers started with the same hostname and pid (containers
// often run as pid 1 under one hostname pattern) must not share a lease owner id.
func TestWorkerIDUniqueInOneProcess(t *testing.T) {
	a, err := Parse("sync.yaml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Parse("sync.yaml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if a.Worker.ID == b.Worker.ID {
		t.Fatalf("two workers of one host and pid both got the id %q", a.Worker.ID)
	}
}
