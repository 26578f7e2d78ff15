package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/spf13/cobra"

	"github.com/carve-dev/carve/analyze/plan"
	"github.com/carve-dev/carve/analyze/render"
	proxyconfig "github.com/carve-dev/carve/strangler/config"
	syncconfig "github.com/carve-dev/carve/sync/config"
)

// newPlanCmd turns a plan into what the other parts run: a proxy config, a sync config, a
// migration brief.
func newPlanCmd(s Streams) *cobra.Command {
	c := &cobra.Command{
		Use:   "plan",
		Short: "Turn a plan into a proxy config, a sync config and a migration brief",
		Long: `carve plan reads the plan written by carve analyze -o json and writes what the other
parts of carve run: the strangler proxy's config moving a service's routes (carve proxy),
the sync job's config copying its data (carve sync), and a Markdown migration brief.
Every generated config passes carve proxy validate / carve sync validate.`,
	}
	c.AddCommand(newPlanStranglerCmd(s), newPlanSyncCmd(s), newPlanReportCmd(s), newPlanDiffCmd(s))
	return c
}

type planStranglerOptions struct {
	plan, out string
	proxyconfig.FromPlan
}

func newPlanStranglerCmd(s Streams) *cobra.Command {
	o := &planStranglerOptions{}
	c := &cobra.Command{
		Use:   "strangler --plan FILE --service NAME --monolith URL --target URL",
		Short: "Write the proxy config that moves a service's routes",
		Long: `Write a carve proxy config whose one route holds exactly the service's routes from the
plan, split 0% to the new service (--weight), sticky by the cookie carve-<service>, with
active health checks on the monolith and the service. Everything else goes to the monolith.`,
		Example: `  carve plan strangler --plan plan.json --service orders \
      --monolith http://127.0.0.1:9000 --target http://127.0.0.1:9100 --out strangler.yaml`,
		Args:    noArgs,
		PreRunE: requireFlags("plan", "service", "monolith", "target"),
		RunE:    func(c *cobra.Command, _ []string) error { return runPlanStrangler(c.Context(), s, o) },
	}
	f := c.Flags()
	f.StringVar(&o.plan, "plan", "", "the plan `FILE` written by carve analyze -o json")
	f.StringVar(&o.Service, "service", "", "the service whose routes move")
	f.StringVar(&o.Monolith, "monolith", "", "base `URL` of the monolith")
	f.StringVar(&o.Target, "target", "", "base `URL` of the extracted service")
	f.StringVar(&o.Listen, "listen", "127.0.0.1:8080", "the proxy's traffic address")
	f.StringVar(&o.AdminListen, "admin", proxyconfig.DefaultAdminListen, "the proxy's admin address")
	f.StringVar(&o.TokenEnv, "token-env", "CARVE_ADMIN_TOKEN", "environment variable holding the admin token")
	f.StringVar(&o.HealthPath, "health-path", "/healthz", "health check path on both upstreams")
	f.IntVar(&o.Weight, "weight", 0, "the service's starting share in percent")
	f.StringToStringVar(&o.Watermarks, "sync-watermark", nil, "read-your-writes: `UPSTREAM=URL` of the /watermark of the carve sync job feeding that upstream (monolith or the service); repeat for both directions")
	f.StringVar(&o.RYWSecretEnv, "ryw-secret-env", "CARVE_RYW_KEY", "environment variable holding the read-your-writes cookie key (with --sync-watermark)")
	f.Float64Var(&o.Shadow, "shadow", 0, "shadow traffic: copy this `FRACTION` (0 to 1) of the route's GET and HEAD requests the monolith serves to the service and compare the answers (carve proxy diff)")
	f.IntSliceVar(&o.RolloutSteps, "rollout-steps", nil, "automatic rollout: the service's `PERCENTS`, rising, e.g. 1,5,25,50,100 (the default when only --rollout-hold or --rollout-gate is given)")
	f.DurationVar(&o.RolloutHold, "rollout-hold", 0, "automatic rollout: how long each step is held and judged (default 5m)")
	f.StringToStringVar(&o.RolloutGates, "rollout-gate", nil, "automatic rollout: a gate's limit, `NAME=VALUE`, repeatable: "+strings.Join(proxyconfig.RolloutGateNames, ", ")+" (docs/strangler.md)")
	f.StringVar(&o.out, "out", "", "write to `FILE` instead of stdout")
	return c
}

func runPlanStrangler(_ context.Context, s Streams, o *planStranglerOptions) error {
	return writeGenerated(s, o.plan, o.out, "plan strangler", func(p *plan.Plan) ([]byte, error) { return proxyconfig.Generate(p, o.FromPlan) })
}

// writeGenerated reads the plan file, generates a config from it and writes it to out; a plan
// the generator cannot use is bad input.
func writeGenerated(s Streams, planFile, out, what string, generate func(*plan.Plan) ([]byte, error)) error {
	p, err := readPlan(planFile)
	if err != nil {
		return err
	}
	b, err := generate(p)
	if err != nil {
		return inputErr(fmt.Errorf("%s: %w", what, err))
	}
	return writeOut(s, out, b)
}

type planSyncOptions struct {
	plan, out string
	syncconfig.FromPlan
}

func newPlanSyncCmd(s Streams) *cobra.Command {
	o := &planSyncOptions{}
	c := &cobra.Command{
		Use:   "sync --plan FILE --service NAME [--source-table T]",
		Short: "Write the sync config that copies a service's data to its own table",
		Long: `Write a carve sync config with one pipeline per entity the service owns in the source
table: in a single-table design, a key-prefix filter per prefix the plan shows the service
owning (a prefix no other service uses, or a shared one named after the service); otherwise
one unfiltered pipeline. Items keep their attribute names and keys, so the sink (the table
named after the service, --target-table) has the source's key schema.

--both-ways ATTR makes each pipeline half of a two-way pair (ATTR: the attribute every writer
bumps on every write); --reverse writes the other half, from the service's table back into
the monolith's.`,
		Example: `  carve plan sync --plan plan.json --service orders --source-table shop --out sync.yaml
  carve plan sync --plan plan.json --service orders --source-table shop \
      --both-ways updated_at --reverse --out sync-back.yaml`,
		Args:    noArgs,
		PreRunE: requireFlags("plan", "service"),
		RunE:    func(c *cobra.Command, _ []string) error { return runPlanSync(c.Context(), s, o) },
	}
	f := c.Flags()
	f.StringVar(&o.plan, "plan", "", "the plan `FILE` written by carve analyze -o json")
	f.StringVar(&o.Service, "service", "", "the service whose data moves")
	f.StringVar(&o.SourceTable, "source-table", "", "the monolith's `TABLE` (default: the service's only DynamoDB table)")
	f.StringVar(&o.TargetTable, "target-table", "", "the service's own `TABLE` (default: the service's name)")
	f.StringVar(&o.KeyAttribute, "key-attribute", "pk", "the attribute the plan's key prefixes apply to")
	f.StringSliceVar(&o.KeyPrefixes, "key-prefix", nil, "entity key `PREFIX`es to copy instead of those read from the plan")
	f.StringVar(&o.Region, "region", "", "AWS region of both tables")
	f.StringVar(&o.Endpoint, "endpoint", "", "DynamoDB endpoint `URL`, e.g. DynamoDB Local")
	f.StringVar(&o.CheckpointTable, "checkpoint-table", "carve-sync", "DynamoDB table for checkpoints and leases")
	f.StringVar(&o.VersionAttribute, "both-ways", "", "make the pipelines two-way, versioned by `ATTR`")
	f.BoolVar(&o.Reverse, "reverse", false, "write the service → monolith direction")
	f.StringVar(&o.MetricsListen, "metrics-listen", "", "Prometheus listener of the job, e.g. 127.0.0.1:9464")
	f.DurationVar(&o.StreamDelay, "stream-delay", 0, "worker.stream_delay: how long a change may take to show in the stream (default 1s)")
	f.StringVar(&o.DeadLetterFile, "dead-letter", "", "dead-letter `FILE` (default carve-sync-SERVICE[-reverse].jsonl)")
	f.StringVar(&o.out, "out", "", "write to `FILE` instead of stdout")
	return c
}

func runPlanSync(_ context.Context, s Streams, o *planSyncOptions) error {
	return writeGenerated(s, o.plan, o.out, "plan sync", func(p *plan.Plan) ([]byte, error) { return syncconfig.Generate(p, o.FromPlan) })
}

type planReportOptions struct{ plan, out string }

func newPlanReportCmd(s Streams) *cobra.Command {
	o := &planReportOptions{}
	c := &cobra.Command{
		Use:   "report --plan FILE",
		Short: "Write a Markdown migration brief per service",
		Long: `Write a Markdown migration brief: a suggested order of extraction (fewest incoming
dependencies first), then per service the routes to move, the tables to sync, the shared
tables and who else uses them, and every cross-service call that becomes a network call.`,
		Example: `  carve plan report --plan plan.json --out MIGRATION.md`,
		Args:    noArgs,
		PreRunE: requireFlags("plan"),
		RunE:    func(c *cobra.Command, _ []string) error { return runPlanReport(c.Context(), s, o) },
	}
	c.Flags().StringVar(&o.plan, "plan", "", "the plan `FILE` written by carve analyze -o json")
	c.Flags().StringVar(&o.out, "out", "", "write to `FILE` instead of stdout")
	return c
}

func runPlanReport(_ context.Context, s Streams, o *planReportOptions) error {
	p, err := readPlan(o.plan)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := render.Report(&b, p); err != nil {
		return fmt.Errorf("plan report: %w", err)
	}
	return writeOut(s, o.out, b.Bytes())
}

type planDiffOptions struct{ a, b, output string }

func newPlanDiffCmd(s Streams) *cobra.Command {
	o := &planDiffOptions{}
	c := &cobra.Command{
		Use:   "diff A.json B.json",
		Short: "Show what changed between two plans: moved packages, renamed services, scores",
		Long: `Compare two plans of the same module — before and after a TUI session, two seeds, two
carve.yaml files: the packages that moved (and from where to where), the services renamed,
added or removed, and the scores that changed. Exit status 3 when the plans differ, 0 when
they place every package alike and score alike.`,
		Example: `  carve plan diff plan.json edited.json
  carve plan diff old.json new.json -o json`,
		Args: exactArgs(2, "two plan files: carve plan diff A.json B.json"),
		RunE: func(c *cobra.Command, args []string) error {
			o.a, o.b = args[0], args[1]
			return runPlanDiff(c.Context(), s, o)
		},
	}
	c.Flags().StringVarP(&o.output, "output", "o", "text", "`format`: text or json")
	return c
}

func runPlanDiff(_ context.Context, s Streams, o *planDiffOptions) error {
	if o.output != "text" && o.output != "json" {
		return inputErr(fmt.Errorf("-o %q: carve plan diff writes text or json", o.output))
	}
	a, err := readPlan(o.a)
	if err != nil {
		return err
	}
	b, err := readPlan(o.b)
	if err != nil {
		return err
	}
	d := plan.Compare(a, b)
	if o.output == "json" {
		err = printJSON(s.Out, d)
	} else {
		err = render.Diff(s.Out, d, o.a, o.b)
	}
	if err != nil {
		return err
	}
	if !d.Empty() {
		return differsError{err: fmt.Errorf("the plans differ: %d package(s) moved, %d service(s) renamed", len(d.Moved), len(d.Renamed))}
	}
	return nil
}

// readPlan reads a plan file; a missing or malformed plan is bad input.
func readPlan(name string) (*plan.Plan, error) {
	p, err := plan.ReadFile(name)
	if err != nil {
		hint := "write one with carve analyze DIR -o json --out plan.json"
		if !errors.Is(err, fs.ErrNotExist) {
			hint = "check it is a plan written by carve analyze -o json"
		}
		return nil, inputErr(fmt.Errorf("read plan: %w: %s", err, hint))
	}
	return p, nil
}

// writeOut writes b to file, or to stdout when file is empty, and names the file on stderr.
func writeOut(s Streams, file string, b []byte) error {
	if file == "" {
		_, err := s.Out.Write(b)
		return err
	}
	if err := writeFile(file, func(w io.Writer) error { _, err := w.Write(b); return err }); err != nil {
		return err
	}
	fmt.Fprintf(s.Err, "carve: wrote %s\n", file)
	return nil
}

// printJSON writes v as indented JSON, the form of every JSON output of carve.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
