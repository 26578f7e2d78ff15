package sink

import (
	"context"
	"errors"
	"maps"
	"reflect"
	"slices"

	"github.com/carve-dev/carve/internal/yamlcfg"
	"github.com/carve-dev/carve/sync/stream"
)

// Config is one sink kind's settings: what sync.yaml holds under `sink: {KIND: …}`, decoded
// strictly into the kind's documented struct (a pointer to it). Each kind is one file of this
// package holding its Config type, its defaults, its checks, what it is and how it opens, and an
// init function registering it (Register); sync/config knows no kind by name.
type Config interface {
	// Defaults fills what the file left out; src is the pipeline's source table.
	Defaults(src Source)
	// Validate records every problem of the settings in c, each on its line. It only reads:
	// the defaults are in.
	Validate(c Check)
	// Publishes reports whether the sink publishes each change as an event (SNS, SQS) rather
	// than storing items: such a sink cannot be read back, so verify and backfill's repair do
	// not apply to it.
	Publishes() bool
	// Open connects to the sink and checks that it is there and fits.
	Open(ctx context.Context, env Env) (Sink, error)
}

// TwoWayConfig is a Config whose sink can be one side of a two-way pipeline: a table with a
// stream of its own, which the other direction reads back.
type TwoWayConfig interface {
	Config
	// TwoWayTable is the table the sink writes: a two-way pipeline skips the changes it finds
	// stamped with it (its own writes coming back), and both_ways.tie_winner names it or the
	// source.
	TwoWayTable() string
}

// RepairConfig is a Config whose writes are not all conditional on the version the sink holds;
// backfill's repair writes its tombstones through Conditional's sink instead, so that an item
// the stream wrote meanwhile keeps its newer value.
type RepairConfig interface {
	Config
	// Conditional returns a copy of the settings whose every write is conditional.
	Conditional() Config
}

// Source is the pipeline's source table and how it is reached: a sink of the same service
// takes its region and endpoint where it names none.
type Source struct {
	Table    string
	Region   string
	Endpoint string
}

// Check is what a kind's Validate needs: the decoded file to record problems in, where the
// kind's settings are, and the pipeline around them.
type Check struct {
	// Doc records the problems with their lines.
	Doc *yamlcfg.Doc
	// At is the path of the kind's settings, e.g. "pipelines[0].sink.sqs".
	At string
	// Source is the source table.
	Source Source
	// TwoWay is the pipeline's both_ways, nil for a one-way pipeline.
	TwoWay *TwoWay
}

// Add records a problem about key of the settings ("" for the settings as a whole), on its
// line.
func (c Check) Add(key, format string, args ...any) {
	at := c.At
	if key != "" {
		at = yamlcfg.Join(at, key)
	}
	c.Doc.Add(at, format, args...)
}

// Env is what opening a sink needs besides its settings.
type Env struct {
	// Source is the source table, named in events.
	Source string
	// Pipeline is the pipeline's name, named in events.
	Pipeline string
	// TwoWay is the pipeline's conflict rule, nil for a one-way pipeline.
	TwoWay *TwoWay
	// Concurrency is how many requests one batch may have in flight.
	Concurrency int
	// Backoff retries failing calls.
	Backoff stream.Backoff
}

// Open opens the sink that c describes.
func Open(ctx context.Context, c Config, env Env) (Sink, error) {
	if c == nil {
		return nil, errors.New("no sink configured: set one under the pipeline's sink")
	}
	return c.Open(ctx, env)
}

// kinds maps a kind's name to a function returning its zero Config. It is written only by
// Register, from init functions, before main runs; afterwards it is only read, so it needs no
// lock and holds no state that changes while the program runs.
var kinds = map[string]func() Config{}

// Register makes a sink kind known under name, the key that selects it in sync.yaml
// (`sink: {NAME: …}`); newConfig returns its zero settings, a pointer to the kind's struct.
// Call it only from the init function of the kind's file (as database/sql drivers register):
// the set of kinds is fixed before main runs and never changes at run time. A duplicate name,
// an empty one or a nil newConfig is a programming error and panics at init.
func Register(name string, newConfig func() Config) {
	switch {
	case name == "":
		panic("sink.Register: empty kind name")
	case newConfig == nil:
		panic("sink.Register: nil config constructor for kind " + name)
	case kinds[name] != nil:
		panic("sink.Register: kind " + name + " registered twice")
	}
	if t := reflect.TypeOf(newConfig()); t == nil || t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
		panic("sink.Register: kind " + name + ": the config must be a pointer to a struct")
	}
	kinds[name] = newConfig
}

// Kinds lists the registered kinds' names, sorted.
func Kinds() []string { return slices.Sorted(maps.Keys(kinds)) }

// NewConfig returns the zero settings of kind name; ok is false for an unknown kind.
func NewConfig(name string) (c Config, ok bool) {
	f := kinds[name]
	if f == nil {
		return nil, false
	}
	return f(), true
}

// TwoWayKinds lists the kinds that can be one side of a two-way pipeline, sorted.
func TwoWayKinds() []string {
	var out []string
	for _, name := range Kinds() {
		if _, ok := kinds[name]().(TwoWayConfig); ok {
			out = append(out, name)
		}
	}
	return out
}

// opened keeps a failed open from returning a Sink holding a nil pointer.
func opened[S Sink](s S, err error) (Sink, error) {
	if err != nil {
		return nil, err
	}
	return s, nil
}
