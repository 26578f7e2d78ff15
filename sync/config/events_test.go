package config

import (
	"strings"
	"testing"

	"github.com/carve-dev/carve/sync/sink"
)

func TestParseEventSinks(t *testing.T) {
	c, err := Parse("sync.yaml", []byte(`
source: {table: shop, region: us-east-1, endpoint: "http://127.0.0.1:8000"}
pipelines:
  - name: events
    sink: {sns: {topic_arn: "arn:aws:sns:eu-west-1:123456789012:orders-changed.fifo"}}
  - name: queue
    sink: {sqs: {queue_url: "https://sqs.eu-central-1.amazonaws.com/123456789012/orders"}}
  - name: local
    sink: {sqs: {queue_url: "http://127.0.0.1:4100/000000000000/orders", endpoint: "http://127.0.0.1:4100"}}
`))
	if err != nil {
		t.Fatal(err)
	}
	sns, sqs := c.Pipelines[0].Sink.Config.(*sink.SNSConfig), c.Pipelines[1].Sink.Config.(*sink.SQSConfig)
	// The region comes from the topic or queue, and the endpoint never from the source's.
	if sns.Region != "eu-west-1" || sns.Endpoint != "" || sqs.Region != "eu-central-1" || sqs.Endpoint != "" {
		t.Errorf("defaults: sns %+v, sqs %+v", sns, sqs)
	}
	if local := c.Pipelines[2].Sink.Config.(*sink.SQSConfig); local.Region != "" {
		t.Errorf("an emulator's queue URL names no region: %+v", local)
	}
	if !c.Pipelines[0].Sink.Publishes() || c.Pipelines[0].Sink.Kind != "sns" || c.Pipelines[1].Sink.Kind != "sqs" {
		t.Error("Publishes/Kind")
	}
	if _, name, _ := sink.TopicParts(sns.TopicArn); !sink.IsFIFO(name) {
		t.Error("a .fifo topic is FIFO")
	}
}

func TestParseEventSinkErrors(t *testing.T) {
	head := "source: {table: s}\npipelines:\n  - name: a\n"
	for _, tc := range []struct{ name, yaml, want string }{
		{"no arn", head + "    sink:\n      sns: {}\n", "sync.yaml:5: pipelines[0].sink.sns.topic_arn: missing: name the topic"},
		{"bad arn", head + "    sink:\n      sns:\n        topic_arn: orders\n", "sync.yaml:6: pipelines[0].sink.sns.topic_arn: \"orders\" is not a topic ARN"},
		{"queue arn for topic", head + "    sink:\n      sns: {topic_arn: \"arn:aws:sqs:eu-west-1:1:q\"}\n", "sync.yaml:5: pipelines[0].sink.sns.topic_arn: \"arn:aws:sqs:eu-west-1:1:q\" is not a topic ARN"},
		{"bad url", head + "    sink:\n      sqs:\n        queue_url: sqs://x/y\n", "sync.yaml:6: pipelines[0].sink.sqs.queue_url: \"sqs://x/y\" is not a queue URL"},
		{"no url", head + "    sink: {sqs: {region: eu-west-1}}\n", "sync.yaml:4: pipelines[0].sink.sqs.queue_url: missing"},
		{"two sinks", head + "    sink: {sns: {topic_arn: \"arn:aws:sns:r:1:t\"}, dynamodb: {table: t}}\n", "sync.yaml:4: pipelines[0].sink: set exactly one of dynamodb, postgres, sns or sqs"},
		{"two ways", head + "    both_ways: {version_attribute: v, tie_winner: s}\n    sink: {sns: {topic_arn: \"arn:aws:sns:r:1:t\"}}\n", "sync.yaml:4: pipelines[0].both_ways: two-way pipelines need a dynamodb sink (the sns sink publishes events"},
		{"unknown key", head + "    sink: {sns: {topic: x}}\n", `sync.yaml:4: pipelines[0].sink.sns: unknown key "topic": did you mean "topic_arn"?`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("sync.yaml", []byte(tc.yaml))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want error containing %q, got %v", tc.want, err)
			}
		})
	}
}
