package config

import (
	"fmt"
	"reflect"

	"go.yaml.in/yaml/v3"

	"github.com/carve-dev/carve/internal/yamlcfg"
	"github.com/carve-dev/carve/sync/sink"
)

// Sink is exactly one destination, written `sink: {KIND: {…}}`: the kinds are those sync/sink
// registers (dynamodb, postgres, sns, sqs; sink.Kinds), each with its own settings, defaults and
// checks in its own file there. This package knows the shape, not the kinds.
type Sink struct {
	// Kind is the kind's name, the key under sink ("" when none is set).
	Kind string
	// Config is the kind's settings (nil when none is set): *sink.DynamoDBConfig and so on.
	Config sink.Config
}

// Variants lists the sink kinds, sorted (yamlcfg.Union: the strict check of the file).
func (Sink) Variants() []string { return sink.Kinds() }

// Variant returns the settings type of kind name.
func (Sink) Variant(name string) (reflect.Type, bool) {
	c, ok := sink.NewConfig(name)
	if !ok {
		return nil, false
	}
	return reflect.TypeOf(c), true
}

// UnmarshalYAML decodes the one kind set. The strict check has already refused an unknown kind
// and a second one; decoding without it refuses them too.
func (s *Sink) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("want a mapping: one of %s with its settings", yamlcfg.Either(sink.Kinds()))
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		name, v := n.Content[i].Value, n.Content[i+1]
		if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
			continue
		}
		c, ok := sink.NewConfig(name)
		switch {
		case !ok:
			return fmt.Errorf("line %d: unknown sink %q: want one of %s", n.Content[i].Line, name, yamlcfg.Either(sink.Kinds()))
		case s.Config != nil:
			return fmt.Errorf("line %d: set exactly one of %s", n.Content[i].Line, yamlcfg.Either(sink.Kinds()))
		}
		if err := v.Decode(c); err != nil {
			return err
		}
		s.Kind, s.Config = name, c
	}
	return nil
}

// Publishes reports whether the sink publishes events (SNS, SQS) rather than storing items:
// such a sink cannot be read back, so verify and backfill's repair do not apply to it.
func (s Sink) Publishes() bool { return s.Config != nil && s.Config.Publishes() }

// TwoWayTable is the table of a sink that can be one side of a two-way pipeline (a DynamoDB
// table); ok is false for any other sink.
func (s Sink) TwoWayTable() (table string, ok bool) {
	if tw, ok := s.Config.(sink.TwoWayConfig); ok {
		return tw.TwoWayTable(), true
	}
	return "", false
}

// TwoWay is the pipeline's conflict rule as the sink takes it, nil for a one-way pipeline.
func (p *Pipeline) TwoWay() *sink.TwoWay {
	if p.BothWays == nil {
		return nil
	}
	return &sink.TwoWay{VersionAttribute: p.BothWays.VersionAttribute, TieWinner: p.BothWays.TieWinner, VersionType: p.BothWays.VersionType}
}

// source is the source table as sinks take it.
func (c *Config) source() sink.Source {
	return sink.Source{Table: c.Source.Table, Region: c.Source.Region, Endpoint: c.Source.Endpoint}
}

// validateSink records the problems of a pipeline's sink: none set, the kind's own, and a
// two-way pipeline whose sink cannot be read back.
func (c *Config) validateSink(doc *yamlcfg.Doc, at string, p *Pipeline) {
	if p.Sink.Config == nil {
		doc.Add(at+".sink", "missing: set %s", yamlcfg.Either(sink.Kinds()))
		return
	}
	p.Sink.Config.Validate(sink.Check{Doc: doc, At: at + ".sink." + p.Sink.Kind, Source: c.source(), TwoWay: p.TwoWay()})
	if _, ok := p.Sink.TwoWayTable(); p.BothWays != nil && !ok {
		why := "has no stream to read back"
		if p.Sink.Publishes() {
			why = "publishes events and has no stream to read back"
		}
		doc.Add(at+".both_ways", "two-way pipelines need a %s sink (the %s sink %s)", yamlcfg.Either(sink.TwoWayKinds()), p.Sink.Kind, why)
	}
}
