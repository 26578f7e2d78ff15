package config

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/carve-dev/carve/analyze/plan"
)

// FromPlan says how to build a sync config for one service of a plan.
type FromPlan struct {
	// Service is the plan's service whose data moves.
	Service string
	// SourceTable is the monolith's table to replicate; it must be one of the service's tables
	// in the plan. Empty picks the service's only DynamoDB table.
	SourceTable string
	// TargetTable is the service's own table (default: the service's name).
	TargetTable string
	// KeyAttribute is the attribute the plan's key prefixes apply to (default "pk").
	KeyAttribute string
	// KeyPrefixes overrides the prefixes read from the plan (e.g. when the plan's include sort
	// key prefixes).
	KeyPrefixes []string
	// Region and Endpoint reach DynamoDB (Endpoint: e.g. DynamoDB Local).
	Region, Endpoint string
	// CheckpointTable holds checkpoints and leases (default carve-sync).
	CheckpointTable string
	// VersionAttribute, when set, makes the pipelines halves of a two-way pair (docs/sync.md):
	// the attribute every writer on both sides bumps on every write.
	VersionAttribute string
	// Reverse writes the other direction: from the service's table back into the monolith's.
	Reverse bool
	// MetricsListen is the Prometheus listener of the job (empty: off).
	MetricsListen string
	// StreamDelay is worker.stream_delay (0: the default).
	StreamDelay time.Duration
	// DeadLetterFile receives poison records (default carve-sync-<service>[-reverse].jsonl).
	DeadLetterFile string
}

// ErrUnknownService is returned when the plan has no service of the asked name (it is
// plan.ErrUnknownService).
var ErrUnknownService = plan.ErrUnknownService

// ErrNoTables is returned when the service owns no DynamoDB table in the plan.
var ErrNoTables = errors.New("service has no DynamoDB tables")

// Generate renders the sync config that copies what o.Service owns out of the monolith's
// table into the service's own table: one pipeline per entity key prefix the service owns in a
// single-table design (a prefix only this service uses, or a shared one named after the
// service, e.g. USER# for users), or one unfiltered pipeline for a table without prefixes.
// Items keep their attribute names and keys, so the service's table has the source's key
// schema and the same config read backwards (Reverse) maps them home. The result passes Parse.
func Generate(p *plan.Plan, o FromPlan) ([]byte, error) {
	svc, err := p.Find(o.Service)
	if err != nil {
		return nil, err
	}
	table, err := sourceTable(svc, o)
	if err != nil {
		return nil, err
	}
	o.defaults()
	if o.TargetTable == table.Name {
		return nil, fmt.Errorf("target table %q is the source table: name the service's own table with --target-table", o.TargetTable)
	}
	prefixes := o.KeyPrefixes
	if len(prefixes) == 0 {
		prefixes = onKeyAttribute(table, OwnedPrefixes(p, o.Service, table.Name), o.KeyAttribute)
	}
	if len(table.KeyPrefixes) > 0 && len(prefixes) == 0 {
		return nil, fmt.Errorf("service %q uses key prefixes %s in table %q but owns none of them (other services use them too): name its entities with --key-prefix", o.Service, strings.Join(table.KeyPrefixes, ", "), table.Name)
	}
	b := render(p.Module, table, prefixes, o)
	if _, err := Parse("generated", b); err != nil {
		return nil, fmt.Errorf("the generated config is invalid (a bug in carve plan): %w", err)
	}
	return b, nil
}

// sourceTable picks the service's DynamoDB table to replicate: o.SourceTable, or its only one.
func sourceTable(svc *plan.Service, o FromPlan) (*plan.Table, error) {
	var tables []string
	var table *plan.Table
	for i, t := range svc.Tables {
		if t.Store != "dynamodb" {
			continue
		}
		tables = append(tables, t.Name)
		if t.Name == o.SourceTable || (o.SourceTable == "" && table == nil) {
			table = &svc.Tables[i]
		}
	}
	switch {
	case len(tables) == 0:
		return nil, fmt.Errorf("%w: %q reads or writes no DynamoDB table in the plan: nothing to sync", ErrNoTables, o.Service)
	case o.SourceTable == "" && len(tables) > 1:
		return nil, fmt.Errorf("service %q has %d DynamoDB tables (%s): choose one with --source-table", o.Service, len(tables), strings.Join(tables, ", "))
	case table == nil:
		return nil, fmt.Errorf("table %q is not one of service %q's tables in the plan: use one of %s", o.SourceTable, o.Service, strings.Join(tables, ", "))
	}
	return table, nil
}

// defaults fills the options left empty.
func (o *FromPlan) defaults() {
	o.TargetTable = cmp.Or(o.TargetTable, o.Service)
	o.KeyAttribute = cmp.Or(o.KeyAttribute, "pk")
	o.CheckpointTable = cmp.Or(o.CheckpointTable, DefaultCheckpointTable)
	if o.DeadLetterFile == "" {
		o.DeadLetterFile = "carve-sync-" + o.Service
		if o.Reverse {
			o.DeadLetterFile += "-reverse"
		}
		o.DeadLetterFile += ".jsonl"
	}
}

// render writes the config of module's service o.Service copying table's items with prefixes.
func render(module string, table *plan.Table, prefixes []string, o FromPlan) []byte {
	src, dst := table.Name, o.TargetTable
	dir := "monolith → service"
	if o.Reverse {
		src, dst = dst, src
		dir = "service → monolith"
	}
	q := quoteIfNeeded
	var b bytes.Buffer
	fmt.Fprintf(&b, "# carve sync config generated by `carve plan sync` from the plan of %s:\n", module)
	fmt.Fprintf(&b, "# service %s, %s (%s → %s).\n", o.Service, dir, src, dst)
	if len(table.KeyPrefixes) > 0 {
		fmt.Fprintf(&b, "# The plan shows key prefixes %s in %s; %s owns %s.\n", strings.Join(table.KeyPrefixes, ", "), table.Name, o.Service, strings.Join(prefixes, ", "))
	}
	fmt.Fprintf(&b, "source: {table: %s%s}\n", q(src), where(o.Region, o.Endpoint))
	fmt.Fprintf(&b, "checkpoints: {dynamodb: {table: %s}}\n", q(o.CheckpointTable))
	fmt.Fprintf(&b, "dead_letter: {file: %s}\n", q(o.DeadLetterFile))
	if o.StreamDelay > 0 {
		fmt.Fprintf(&b, "worker: {stream_delay: %s}\n", o.StreamDelay)
	}
	if o.MetricsListen != "" {
		fmt.Fprintf(&b, "metrics: {listen: %s}\n", q(o.MetricsListen))
	}
	b.WriteString("pipelines:\n")
	writePipeline := func(name, prefix string) {
		fmt.Fprintf(&b, "  - name: %s\n", q(name))
		if prefix != "" {
			fmt.Fprintf(&b, "    where: {key_prefix: {%s: %s}}\n", q(o.KeyAttribute), q(prefix))
		}
		fmt.Fprintf(&b, "    sink: {dynamodb: {table: %s%s}}\n", q(dst), where(o.Region, o.Endpoint))
		if o.VersionAttribute != "" {
			fmt.Fprintf(&b, "    both_ways: {version_attribute: %s, tie_winner: %s}\n", q(o.VersionAttribute), q(table.Name))
		}
	}
	base := o.Service
	if o.Reverse {
		base += "-reverse"
	}
	switch len(prefixes) {
	case 0:
		writePipeline(base, "")
	case 1:
		writePipeline(base, prefixes[0])
	default:
		for _, pf := range prefixes {
			writePipeline(base+"-"+entityName(pf), pf)
		}
	}
	return b.Bytes()
}

func where(region, endpoint string) string {
	var s string
	if region != "" {
		s += ", region: " + quoteIfNeeded(region)
	}
	if endpoint != "" {
		s += ", endpoint: " + quoteIfNeeded(endpoint)
	}
	return s
}

// OwnedPrefixes returns the key prefixes of table that belong to service in the plan: those no
// other service uses, and those other services use too whose entity is named after the
// service (USER# for users). A prefix shared by several services and named after none is left
// out: the plan cannot tell whose it is.
func OwnedPrefixes(p *plan.Plan, service, table string) []string {
	users := map[string][]string{}
	var own []string
	for _, s := range p.Services {
		for _, t := range s.Tables {
			if t.Name != table {
				continue
			}
			for _, pf := range t.KeyPrefixes {
				users[pf] = append(users[pf], s.Name)
				if s.Name == service {
					own = append(own, pf)
				}
			}
		}
	}
	var out []string
	for _, pf := range own {
		if len(users[pf]) == 1 || namedAfter(pf, service) {
			out = append(out, pf)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// namedAfter reports whether a prefix like "ORDER#" names the entity of service "orders".
func namedAfter(prefix, service string) bool {
	e := entityName(prefix)
	s := strings.ToLower(service)
	return e == s || e+"s" == s || e+"es" == s || strings.TrimSuffix(e, "y")+"ies" == s
}

// entityName is a prefix as a lower-case word: "ORDER#" → "order".
func entityName(prefix string) string {
	return strings.ToLower(strings.TrimRight(prefix, "#:|/_-."))
}

// quoteIfNeeded writes a YAML scalar plainly when it is a simple word, else double-quoted.
func quoteIfNeeded(s string) string {
	if s == "" || strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' || r == '/')
	}) || s == "true" || s == "false" || s == "null" || s == "yes" || s == "no" || s == "on" || s == "off" || (s[0] >= '0' && s[0] <= '9') {
		return strconv.Quote(s)
	}
	return s
}

// onKeyAttribute keeps the prefixes that can be on attr: those the plan saw written to attr, and
// those whose attribute it could not see. A prefix the plan saw only on other attributes (a
// sort-key prefix such as a cart's "ITEM#") cannot select the service's items by attr.
func onKeyAttribute(t *plan.Table, prefixes []string, attr string) []string {
	var out []string
	for _, pf := range prefixes {
		attrs := t.KeyAttributes[pf]
		if len(attrs) == 0 || slices.Contains(attrs, attr) {
			out = append(out, pf)
		}
	}
	return out
}
