// Package verify compares a source table with every pipeline's sink: it scans the source, passes
// each item through the pipeline's filter and mapping, fingerprints it the way the sink stores
// it, and compares with the sink's live items (tombstones are deletions). It reports counts and
// the keys that are missing, unexpected or different.
package verify

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"golang.org/x/sync/errgroup"

	"github.com/carve-dev/carve/sync/awsconf"
	"github.com/carve-dev/carve/sync/config"
	"github.com/carve-dev/carve/sync/item"
	"github.com/carve-dev/carve/sync/pipeline"
	"github.com/carve-dev/carve/sync/sink"
	"github.com/carve-dev/carve/sync/stream"
)

// Schema versions the JSON report.
const Schema = "carve.sync.verify/v1"

// Report is the result of a verify run.
type Report struct {
	Schema    string           `json:"schema"`
	Source    string           `json:"source"`
	Scanned   int              `json:"scanned"`
	Pipelines []PipelineReport `json:"pipelines"`
}

// PipelineReport compares one pipeline's selection of the source with its sink.
type PipelineReport struct {
	Name string `json:"name"`
	// Source counts the source items the pipeline selects; Sink the sink's live items.
	Source int `json:"source_items"`
	Sink   int `json:"sink_items"`
	// Missing: in the source, not in the sink. Extra: in the sink, not in the source.
	// Different: in both with different content. Each lists keys, sorted, at most Limit.
	Missing     []string `json:"missing"`
	Extra       []string `json:"extra"`
	Different   []string `json:"different"`
	MissingN    int      `json:"missing_count"`
	ExtraN      int      `json:"extra_count"`
	DifferentN  int      `json:"different_count"`
	Unmappable  []string `json:"unmappable,omitempty"`
	UnmappableN int      `json:"unmappable_count"`
}

// Drift reports whether any pipeline differs from its source.
func (r *Report) Drift() bool {
	for _, p := range r.Pipelines {
		if p.Drift() {
			return true
		}
	}
	return false
}

// Drift reports whether the pipeline's sink differs from its source.
func (p PipelineReport) Drift() bool {
	return p.MissingN+p.ExtraN+p.DifferentN+p.UnmappableN > 0
}

// Options tune a verify run.
type Options struct {
	Segments int // parallel Scan segments (default 4)
	Limit    int // keys listed per category (default 20)
}

// UnverifiableError refuses a config with pipelines whose sink publishes events (SNS, SQS): a
// topic or a queue cannot be read back, so there is nothing to compare the source with.
type UnverifiableError struct {
	Pipelines []string // "name (sns)"
}

func (e *UnverifiableError) Error() string {
	return "verify does not apply to pipelines that publish events (" + strings.Join(e.Pipelines, ", ") +
		"): a topic or queue cannot be read back; verify the stores the consumers build from the events, or run verify with a config whose pipelines all write stores (dynamodb, postgres)"
}

// Run verifies every pipeline of cfg: open the sinks, scan the source through every pipeline,
// then compare each sink's items with what its pipeline selected.
func Run(ctx context.Context, cfg *config.Config, opts Options) (*Report, error) {
	if err := checkVerifiable(cfg); err != nil {
		return nil, err
	}
	if opts.Segments <= 0 {
		opts.Segments = 4
	}
	if opts.Limit <= 0 {
		opts.Limit = 20
	}
	ddb, err := awsconf.DynamoDB(ctx, cfg.Source.Region, cfg.Source.Endpoint)
	if err != nil {
		return nil, err
	}
	srcKey, err := stream.TableKey(ctx, ddb, cfg.Source.Table)
	if err != nil {
		return nil, fmt.Errorf("verify: source %w", err)
	}
	ts, err := pipeline.Open(ctx, cfg, nil)
	if err != nil {
		return nil, err
	}
	defer ts.Close()
	sides := make([]*side, len(ts))
	for i, t := range ts {
		fp, ok := t.Sink.(sink.Fingerprinter)
		if !ok {
			return nil, fmt.Errorf("pipeline %s: its sink cannot be verified", t.Name)
		}
		sides[i] = &side{Target: t, fp: fp, source: map[string]string{}}
	}
	scanned, err := scan(ctx, ddb, cfg.Source.Table, srcKey, opts.Segments, sides)
	if err != nil {
		return nil, err
	}
	rep := &Report{Schema: Schema, Source: cfg.Source.Table, Scanned: scanned}
	for _, sd := range sides {
		pr, err := sd.compare(ctx, opts.Limit)
		if err != nil {
			return nil, err
		}
		rep.Pipelines = append(rep.Pipelines, pr)
	}
	return rep, nil
}

// checkVerifiable refuses pipelines whose sink publishes events.
func checkVerifiable(cfg *config.Config) error {
	var publishing []string
	for _, pc := range cfg.Pipelines {
		if pc.Sink.Publishes() {
			publishing = append(publishing, pc.Name+" ("+pc.Sink.Kind+")")
		}
	}
	if len(publishing) > 0 {
		return &UnverifiableError{Pipelines: publishing}
	}
	return nil
}

// side is one pipeline's view of the source: the fingerprint of every item it selects, keyed as
// its sink keys them, and the source keys it could not map.
type side struct {
	pipeline.Target
	fp     sink.Fingerprinter
	mu     sync.Mutex
	source map[string]string
	unmap  []string
}

// scan reads the source table in parallel segments and passes every item to every side; it
// returns how many items it read.
func scan(ctx context.Context, ddb *dynamodb.Client, table string, srcKey []string, segments int, sides []*side) (int, error) {
	var scanned atomic.Int64
	g, gctx := errgroup.WithContext(ctx)
	for seg := range segments {
		g.Go(func() error {
			p := dynamodb.NewScanPaginator(ddb, &dynamodb.ScanInput{TableName: aws.String(table),
				Segment: aws.Int32(int32(seg)), TotalSegments: aws.Int32(int32(segments)), ConsistentRead: aws.Bool(true)})
			for p.HasMorePages() {
				page, err := p.NextPage(gctx)
				if err != nil {
					return fmt.Errorf("verify: scan %s: %w", table, err)
				}
				scanned.Add(int64(len(page.Items)))
				for _, sd := range sides {
					sd.add(page.Items, srcKey)
				}
			}
			return nil
		})
	}
	err := g.Wait()
	return int(scanned.Load()), err
}

// add fingerprints the items the side's pipeline selects.
func (sd *side) add(items []item.Item, srcKey []string) {
	for _, it := range items {
		if !sd.Selects(it) {
			continue
		}
		k, h, err := sd.fp.Fingerprint(sd.Map(it))
		sd.mu.Lock()
		if err != nil {
			sd.unmap = append(sd.unmap, item.KeyString(it, srcKey))
		} else {
			sd.source[k] = h
		}
		sd.mu.Unlock()
	}
}

// compare lists the sink's live items and sorts them into missing, extra and different.
func (sd *side) compare(ctx context.Context, limit int) (PipelineReport, error) {
	pr := PipelineReport{Name: sd.Name, Source: len(sd.source), Missing: []string{}, Extra: []string{}, Different: []string{}}
	seen := map[string]bool{}
	err := sd.fp.List(ctx, sd.SelectsMapped, func(k, h string) {
		pr.Sink++
		seen[k] = true
		want, ok := sd.source[k]
		switch {
		case !ok:
			pr.Extra = append(pr.Extra, k)
		case want != h:
			pr.Different = append(pr.Different, k)
		}
	})
	if err != nil {
		return pr, fmt.Errorf("verify: pipeline %s: %w", sd.Name, err)
	}
	for k := range sd.source {
		if !seen[k] {
			pr.Missing = append(pr.Missing, k)
		}
	}
	pr.MissingN, pr.ExtraN, pr.DifferentN, pr.UnmappableN = len(pr.Missing), len(pr.Extra), len(pr.Different), len(sd.unmap)
	pr.Missing, pr.Extra, pr.Different, pr.Unmappable = top(pr.Missing, limit), top(pr.Extra, limit), top(pr.Different, limit), top(sd.unmap, limit)
	return pr, nil
}

func top(s []string, n int) []string {
	sort.Strings(s)
	if len(s) > n {
		return s[:n]
	}
	return s
}

// DriftError is returned by callers that treat drift as a failed check.
type DriftError struct{ Report *Report }

func (e *DriftError) Error() string {
	var parts []string
	for _, p := range e.Report.Pipelines {
		if p.Drift() {
			parts = append(parts, fmt.Sprintf("%s (%d missing, %d extra, %d different, %d unmappable)", p.Name, p.MissingN, p.ExtraN, p.DifferentN, p.UnmappableN))
		}
	}
	return "sinks drifted from source " + e.Report.Source + ": " + strings.Join(parts, "; ") + ": run `carve sync backfill` to repair, after finding the cause"
}

// WriteText renders the report for people.
func (r *Report) WriteText(w io.Writer) {
	fmt.Fprintf(w, "source %s: %d items scanned\n", r.Source, r.Scanned)
	for _, p := range r.Pipelines {
		state := "in sync"
		if p.Drift() {
			state = "DRIFT"
		}
		fmt.Fprintf(w, "pipeline %s: %s — source %d, sink %d, missing %d, extra %d, different %d", p.Name, state, p.Source, p.Sink, p.MissingN, p.ExtraN, p.DifferentN)
		if p.UnmappableN > 0 {
			fmt.Fprintf(w, ", unmappable %d", p.UnmappableN)
		}
		fmt.Fprintln(w)
		for _, c := range []struct {
			name string
			keys []string
			n    int
		}{{"missing", p.Missing, p.MissingN}, {"extra", p.Extra, p.ExtraN}, {"different", p.Different, p.DifferentN}, {"unmappable", p.Unmappable, p.UnmappableN}} {
			for _, k := range c.keys {
				fmt.Fprintf(w, "  %s %s\n", c.name, k)
			}
			if c.n > len(c.keys) {
				fmt.Fprintf(w, "  … %d more %s\n", c.n-len(c.keys), c.name)
			}
		}
	}
}
