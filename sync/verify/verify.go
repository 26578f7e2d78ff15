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

// Run verifies every pipeline of cfg.
func Run(ctx context.Context, cfg *config.Config, opts Options) (*Report, error) {
	var publishing []string
	for _, pc := range cfg.Pipelines {
		if pc.Sink.Publishes() {
			publishing = append(publishing, pc.Name+" ("+pc.Sink.Kind()+")")
		}
	}
	if len(publishing) > 0 {
		return nil, &UnverifiableError{Pipelines: publishing}
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
	type target struct {
		p      *pipeline.Pipeline
		sink   sink.Sink
		fp     sink.Fingerprinter
		mu     sync.Mutex
		source map[string]string
		unmap  []string
	}
	var targets []*target
	defer func() {
		for _, t := range targets {
			t.sink.Close()
		}
	}()
	for _, pc := range cfg.Pipelines {
		s, err := sink.Open(ctx, pc, cfg.Source.Table, cfg.Worker.WriteConcurrency, stream.Backoff{})
		if err != nil {
			return nil, fmt.Errorf("pipeline %s: %w", pc.Name, err)
		}
		fp, ok := s.(sink.Fingerprinter)
		if !ok {
			s.Close()
			return nil, fmt.Errorf("pipeline %s: its sink cannot be verified", pc.Name)
		}
		targets = append(targets, &target{p: pipeline.New(pc, cfg.Source.Table), sink: s, fp: fp, source: map[string]string{}})
	}
	var scanned int
	var smu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	for seg := 0; seg < opts.Segments; seg++ {
		g.Go(func() error {
			p := dynamodb.NewScanPaginator(ddb, &dynamodb.ScanInput{TableName: aws.String(cfg.Source.Table),
				Segment: aws.Int32(int32(seg)), TotalSegments: aws.Int32(int32(opts.Segments)), ConsistentRead: aws.Bool(true)})
			for p.HasMorePages() {
				page, err := p.NextPage(gctx)
				if err != nil {
					return fmt.Errorf("verify: scan %s: %w", cfg.Source.Table, err)
				}
				smu.Lock()
				scanned += len(page.Items)
				smu.Unlock()
				for _, t := range targets {
					for _, it := range page.Items {
						if !t.p.Selects(it) {
							continue
						}
						k, h, err := t.fp.Fingerprint(t.p.Map(it))
						t.mu.Lock()
						if err != nil {
							t.unmap = append(t.unmap, item.KeyString(it, srcKey))
						} else {
							t.source[k] = h
						}
						t.mu.Unlock()
					}
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	rep := &Report{Schema: Schema, Source: cfg.Source.Table, Scanned: scanned}
	for _, t := range targets {
		pr := PipelineReport{Name: t.p.Name, Source: len(t.source), Missing: []string{}, Extra: []string{}, Different: []string{}}
		seen := map[string]bool{}
		err := t.fp.List(ctx, t.p.SelectsMapped, func(k, h string) {
			pr.Sink++
			seen[k] = true
			want, ok := t.source[k]
			switch {
			case !ok:
				pr.Extra = append(pr.Extra, k)
			case want != h:
				pr.Different = append(pr.Different, k)
			}
		})
		if err != nil {
			return nil, fmt.Errorf("verify: pipeline %s: %w", t.p.Name, err)
		}
		for k := range t.source {
			if !seen[k] {
				pr.Missing = append(pr.Missing, k)
			}
		}
		pr.MissingN, pr.ExtraN, pr.DifferentN, pr.UnmappableN = len(pr.Missing), len(pr.Extra), len(pr.Different), len(t.unmap)
		pr.Missing, pr.Extra, pr.Different, pr.Unmappable = top(pr.Missing, opts.Limit), top(pr.Extra, opts.Limit), top(pr.Different, opts.Limit), top(t.unmap, opts.Limit)
		rep.Pipelines = append(rep.Pipelines, pr)
	}
	return rep, nil
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
