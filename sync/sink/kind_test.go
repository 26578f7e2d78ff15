package sink_test

import (
	"cmp"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/carve-dev/carve/internal/yamlcfg/yamlcfgtest"
	"github.com/carve-dev/carve/sync/config"
	"github.com/carve-dev/carve/sync/item"
	"github.com/carve-dev/carve/sync/sink"
)

// The "memory" kind exists only in this test binary. It is the whole of a sink kind in one
// file, as dynamodb.go or sqs.go are: settings with yaml tags, defaults, checks, what it is,
// an opener and the registration. Nothing else in the tree names it, yet sync.yaml can select
// it and every message listing the kinds lists it.
func init() { sink.Register("memory", func() sink.Config { return new(memoryConfig) }) }

// memoryConfig is the `sink: {memory: …}` block: items kept in the process.
type memoryConfig struct {
	// Name names the store in errors.
	Name string `yaml:"name"`
	// Capacity is how many items it keeps at most (default 100).
	Capacity int `yaml:"capacity"`
	// Region defaults to the source's: a default that reads the pipeline's source.
	Region string `yaml:"region"`
}

func (m *memoryConfig) Defaults(src sink.Source) {
	m.Capacity = cmp.Or(m.Capacity, 100)
	m.Region = cmp.Or(m.Region, src.Region)
}

func (m *memoryConfig) Validate(c sink.Check) {
	if m.Name == "" {
		c.Add("name", "missing: name the store")
	}
	if m.Capacity < 1 {
		c.Add("capacity", "%d: want at least 1", m.Capacity)
	}
}

func (m *memoryConfig) Publishes() bool { return false }

func (m *memoryConfig) Open(_ context.Context, env sink.Env) (sink.Sink, error) {
	return &memorySink{capacity: m.Capacity, pipeline: env.Pipeline, items: map[string]item.Item{}}, nil
}

// memorySink keeps the newest write of each id.
type memorySink struct {
	capacity int
	pipeline string
	mu       sync.Mutex
	items    map[string]item.Item
}

func (s *memorySink) Apply(_ context.Context, ws []sink.Write) (sink.Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var r sink.Result
	for _, w := range ws {
		id, ok := w.Item["id"].(*types.AttributeValueMemberS)
		switch {
		case !ok:
			return r, sink.Permanent(errors.New("memory sink: the item has no string id"))
		case w.Delete:
			delete(s.items, id.Value)
		default:
			s.items[id.Value] = w.Item
		}
		r.Applied++
	}
	return r, nil
}

func (s *memorySink) Key() []string { return []string{"id"} }
func (s *memorySink) Close()        {}

const memoryHead = "source: {table: shop, region: eu-west-1}\npipelines:\n  - name: mem\n"

// TestKindIsOneFile: a kind registered from one file is decoded, defaulted, validated and
// opened through config.Parse and sink.Open like the built-in ones.
func TestKindIsOneFile(t *testing.T) {
	c, err := config.Parse("sync.yaml", []byte(memoryHead+"    sink: {memory: {name: m}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	s := c.Pipelines[0].Sink
	m, ok := s.Config.(*memoryConfig)
	if s.Kind != "memory" || !ok {
		t.Fatalf("decoded %q %T", s.Kind, s.Config)
	}
	if m.Name != "m" || m.Capacity != 100 || m.Region != "eu-west-1" {
		t.Errorf("decoded and defaulted %+v", m)
	}
	if s.Publishes() {
		t.Error("a memory sink stores items")
	}
	opened, err := sink.Open(context.Background(), s.Config, sink.Env{Source: c.Source.Table, Pipeline: c.Pipelines[0].Name, Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer opened.Close()
	if _, err := opened.Apply(context.Background(), []sink.Write{{Item: item.Item{"id": &types.AttributeValueMemberS{Value: "a"}, "n": &types.AttributeValueMemberN{Value: "1"}}}}); err != nil {
		t.Fatal(err)
	}
	if ms := opened.(*memorySink); ms.pipeline != "mem" || ms.capacity != 100 || ms.items["a"]["n"].(*types.AttributeValueMemberN).Value != "1" {
		t.Errorf("opened %+v", ms)
	}
}

// Every problem of the new kind, and every message listing the kinds, names its line.
func TestKindProblems(t *testing.T) {
	for _, tc := range []struct{ name, yaml string }{
		{"its own check", "    sink:\n      memory:\n        name: m\n        capacity: -1\n"},
		{"strict inside", "    sink:\n      memory: {name: m, capacty: 3}\n"},
		{"unknown kind", "    sink:\n      memmory: {name: m}\n"},
		{"no kind", "    sink: {}\n"},
		{"two kinds", "    sink:\n      memory: {name: m}\n      sqs: {queue_url: \"https://sqs.eu-west-1.amazonaws.com/1/q\"}\n"},
		{"two ways", "    both_ways: {version_attribute: v, tie_winner: shop}\n    sink: {memory: {name: m}}\n"},
	} {
		want := map[string]string{
			"its own check": "sync.yaml:7: pipelines[0].sink.memory.capacity: -1: want at least 1",
			"strict inside": `sync.yaml:5: pipelines[0].sink.memory: unknown key "capacty": did you mean "capacity"?`,
			"unknown kind":  `sync.yaml:5: pipelines[0].sink: unknown key "memmory": did you mean "memory"? want one of dynamodb, memory, postgres, sns or sqs (see docs/sync.md)`,
			"no kind":       "sync.yaml:4: pipelines[0].sink: missing: set dynamodb, memory, postgres, sns or sqs",
			"two kinds":     "sync.yaml:4: pipelines[0].sink: set exactly one of dynamodb, memory, postgres, sns or sqs",
			"two ways":      "sync.yaml:4: pipelines[0].both_ways: two-way pipelines need a dynamodb sink (the memory sink has no stream to read back)",
		}[tc.name]
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.Parse("sync.yaml", []byte(memoryHead+tc.yaml))
			yamlcfgtest.WantProblems(t, err, want)
		})
	}
}

func TestKindsSorted(t *testing.T) {
	if got := strings.Join(sink.Kinds(), " "); got != "dynamodb memory postgres sns sqs" {
		t.Errorf("Kinds() = %s", got)
	}
	if got := strings.Join(sink.TwoWayKinds(), " "); got != "dynamodb" {
		t.Errorf("TwoWayKinds() = %s", got)
	}
	if _, ok := sink.NewConfig("kinesis"); ok {
		t.Error("an unregistered kind")
	}
}

// Registering is for init functions; a mistake in it is a programming error and panics there.
func TestRegisterRefusesMistakes(t *testing.T) {
	for name, register := range map[string]func(){
		"duplicate":   func() { sink.Register("sqs", func() sink.Config { return new(sink.SQSConfig) }) },
		"empty name":  func() { sink.Register("", func() sink.Config { return new(memoryConfig) }) },
		"nil":         func() { sink.Register("nil", nil) },
		"not pointer": func() { sink.Register("value", func() sink.Config { return valueConfig{} }) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			register()
		})
	}
	if strings.Join(sink.Kinds(), " ") != "dynamodb memory postgres sns sqs" {
		t.Errorf("a refused registration changed the kinds: %v", sink.Kinds())
	}
}

// valueConfig is a Config that is not a pointer: the strict decoder could not fill it.
type valueConfig struct{}

func (valueConfig) Defaults(sink.Source)                              {}
func (valueConfig) Validate(sink.Check)                               {}
func (valueConfig) Publishes() bool                                   { return false }
func (valueConfig) Open(context.Context, sink.Env) (sink.Sink, error) { return nil, nil }

func TestOpenWithoutConfig(t *testing.T) {
	if _, err := sink.Open(context.Background(), nil, sink.Env{}); err == nil || !strings.Contains(err.Error(), "no sink configured") {
		t.Errorf("got %v", err)
	}
}
