// Package demo runs the whole strangler-fig migration of the sample shop's orders service on
// one machine, as `make demo` shows it and its end-to-end test asserts it: analyse the monolith,
// write the plan and generate the proxy and sync configs from it, start DynamoDB Local, the
// monolith, the extracted service, carve sync both ways and carve proxy, and drive shop
// traffic through the proxy through the migration's phases (phases.go): shadow copies compared
// with 0 differences, an automatic rollout 0% → 100% judged by gates, the service taken out
// (the monolith serves every order), deliberately faulty builds rolled back by the gates on
// their own, the fixed build rolled out again; verify zero drift, and stop everything it
// started.
package demo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/carve-dev/carve/internal/testenv"
	"github.com/carve-dev/carve/sync/verify"
)

// Options size and place a demo run.
type Options struct {
	// Root is the carve repository (default: found from the working directory).
	Root string
	// Dir receives the plan, the configs, the picture, the binaries and every process's log
	// (default: a new temporary directory).
	Dir string
	// Carve is the carve binary (default: built into Dir/bin).
	Carve string
	// Users is how many customers send traffic at once (default 12).
	Users int
	// SeedOrders are placed in the monolith before sync starts, for the backfill (default 10).
	SeedOrders int
	// Step is how long the shadow phase runs, and half of it the service stays out before a
	// new build (default 8s).
	Step time.Duration
	// Shadow is the fraction of the orders GETs copied to the service (default 0.5).
	Shadow float64
	// RolloutSteps are the service's percentages in the automatic rollout (default 20, 50,
	// 100: with a dozen customers, sticky by session, a first step of 20% gives its hold the
	// requests the gates need); Hold is how long each is held and judged (default 4s).
	RolloutSteps []int
	Hold         time.Duration
	// MinRequests is the candidate's requests a hold needs to be judged (default 20).
	MinRequests int
	// MaxP99Ratio bounds the service's p99 over the monolith's (default 3: a hold at the first
	// step has a few dozen service requests, whose p99 is their slowest, on a machine that
	// runs everything at once). MaxDiffRate bounds the shadow copies that differ (default
	// 0.01; 1 turns the diff gate off, to see the error-rate gate alone catch -fault-rate).
	MaxP99Ratio, MaxDiffRate float64
	// Faults are the faulty builds deployed after the first rollout (default DefaultFaults);
	// NoFaults deploys none.
	Faults   []Fault
	NoFaults bool
	// Pace is each customer's pause between rounds (default 100ms).
	Pace time.Duration
	// LagBound is the longest a write may take to reach both tables (default 5s).
	LagBound time.Duration
	// Out receives the narration (default io.Discard).
	Out io.Writer
}

func (o *Options) defaults() error {
	if o.Root == "" {
		root, err := testenv.RepoRoot()
		if err != nil {
			return fmt.Errorf("demo: finding the carve repository: %w: run it from inside the repository", err)
		}
		o.Root = root
	}
	if o.Dir == "" {
		d, err := os.MkdirTemp("", "carve-demo-")
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		o.Dir = d
	}
	abs, err := filepath.Abs(o.Dir)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	o.Dir = abs
	if o.Users <= 0 {
		o.Users = 12
	}
	if o.SeedOrders <= 0 {
		o.SeedOrders = 10
	}
	if o.Step <= 0 {
		o.Step = 8 * time.Second
	}
	if o.Shadow <= 0 {
		o.Shadow = 0.5
	}
	if len(o.RolloutSteps) == 0 {
		o.RolloutSteps = []int{20, 50, 100}
	}
	if o.Hold <= 0 {
		o.Hold = 4 * time.Second
	}
	if o.MinRequests <= 0 {
		o.MinRequests = 20
	}
	if o.MaxP99Ratio <= 0 {
		o.MaxP99Ratio = 3
	}
	if o.MaxDiffRate <= 0 {
		o.MaxDiffRate = 0.01
	}
	if o.Faults == nil && !o.NoFaults {
		o.Faults = DefaultFaults
	}
	if o.Pace <= 0 {
		o.Pace = 100 * time.Millisecond
	}
	if o.LagBound <= 0 {
		o.LagBound = 5 * time.Second
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	return nil
}

// StepSummary is what happened while one set of weights was in force.
type StepSummary struct {
	Name   string // the phase and the service's share, e.g. "rollout 50%"
	Weight int    // the service's share, percent
	// Requests through the proxy, answered by each side; Errors are failed requests, Faults
	// the faulty build's deliberate failures.
	Requests, ByMonolith, ByService, Errors, Faults int
	// StaleReads are reads of an order written a moment before on the other side, retried
	// until replication brought it (within the lag bound).
	StaleReads int
	// Placed and Cancelled orders; Late writes took longer than the lag bound to reach both
	// tables.
	Placed, Cancelled, Late int
	// Replication lag of this step's writes: from the client's 2xx to both tables holding it.
	LagP50, LagP99, LagMax time.Duration
	ErrorSamples           []string
}

// VerifyResult is one `carve sync verify` run.
type VerifyResult struct {
	Name                      string // "forward" or "reverse"
	When                      string
	Source, Sink              int
	Missing, Extra, Different int
	// Outside counts sink items outside the pipeline's selection (other entities of a shared
	// table), which carve sync verify lists as extra.
	Outside int
	Drift   bool
}

// Summary is the outcome of a demo run.
type Summary struct {
	Dir   string
	Steps []StepSummary
	// Shadow is the shadow phase's comparison; Rollouts the automatic rollouts of the good
	// build (the first and the fixed one); Faults the faulty builds and their rollbacks.
	Shadow   *ShadowSummary
	Rollouts []RolloutRun
	Faults   []FaultRun
	// Hold is the rollout's hold, Faulty the faulty builds deployed.
	Hold   time.Duration
	Faulty []Fault
	Verify []VerifyResult
	// Orders placed in all; SeedOrders of them before sync started.
	Orders, SeedOrders int
	// Unreplicated writes never reached both tables; UnreplicatedSamples name a few.
	Unreplicated        int
	UnreplicatedSamples []string
	// RollbackChecked orders were read through the proxy at 0% (the rollout aborted for a
	// new build); RollbackBad were missing, stale, or answered by the service.
	RollbackChecked int
	// RollbackByService of them had been placed through the service.
	RollbackByService int
	RollbackBad       []string
	// FinalChecked orders were read at 100% at the end; FinalBad likewise.
	FinalChecked int
	FinalBad     []string
	Elapsed      time.Duration
}

// Problems lists why the run is not a success; empty means it is.
func (s Summary) Problems() []string {
	var p []string
	for _, st := range s.Steps {
		if st.Errors > 0 {
			p = append(p, fmt.Sprintf("step %s: %d failed requests, e.g. %s", st.Name, st.Errors, strings.Join(st.ErrorSamples, "; ")))
		}
		if st.Late > 0 {
			p = append(p, fmt.Sprintf("step %s: %d writes replicated after the lag bound", st.Name, st.Late))
		}
		if st.StaleReads > 0 {
			p = append(p, fmt.Sprintf("step %s: %d stale reads: users read older data than they wrote", st.Name, st.StaleReads))
		}
	}
	switch sh := s.Shadow; {
	case sh == nil:
		p = append(p, "no shadow phase")
	case sh.Compared == 0:
		p = append(p, "shadow: no copy compared")
	case sh.Differing > 0:
		p = append(p, fmt.Sprintf("shadow: %d of %d copies differ from the monolith's answers: %s", sh.Differing, sh.Compared, strings.Join(sh.Fields, ", ")))
	}
	if len(s.Rollouts) == 0 {
		p = append(p, "no automatic rollout")
	}
	for _, ro := range s.Rollouts {
		if ro.State != "done" || ro.Percent != 100 {
			p = append(p, fmt.Sprintf("the %s of the good build did not reach 100%%: %s at %d%%: %s", ro.Phase, ro.State, ro.Percent, ro.Message))
		}
	}
	if len(s.Faults) != len(s.Faulty) {
		p = append(p, fmt.Sprintf("%d of %d faulty builds deployed", len(s.Faults), len(s.Faulty)))
	}
	for _, f := range s.Faults {
		ro := f.Rollout
		switch {
		case !ro.RolledBack:
			p = append(p, fmt.Sprintf("faulty build %q was not rolled back: %s at %d%%", f.Fault.Name, ro.State, ro.Percent))
		case f.Fault.Gate != "" && ro.Gate.Gate != f.Fault.Gate:
			p = append(p, fmt.Sprintf("faulty build %q was rolled back by %s, want %s", f.Fault.Name, ro.Gate.Gate, f.Fault.Gate))
		case len(ro.Steps) != 1 || ro.To != 0:
			p = append(p, fmt.Sprintf("faulty build %q passed %d step(s) before its rollback to %d%%", f.Fault.Name, len(ro.Steps)-1, ro.To))
		}
	}
	if s.Unreplicated > 0 {
		p = append(p, fmt.Sprintf("%d writes never reached both tables, e.g. %s", s.Unreplicated, strings.Join(s.UnreplicatedSamples, ", ")))
	}
	for _, v := range s.Verify {
		if v.Drift {
			p = append(p, fmt.Sprintf("verify %s (%s): drift: %d missing, %d extra, %d different", v.Name, v.When, v.Missing, v.Extra, v.Different))
		}
	}
	if len(s.RollbackBad) > 0 {
		p = append(p, fmt.Sprintf("after rollback the monolith did not serve %d orders, e.g. %s", len(s.RollbackBad), s.RollbackBad[0]))
	}
	if len(s.FinalBad) > 0 {
		p = append(p, fmt.Sprintf("at the end the service did not serve %d orders, e.g. %s", len(s.FinalBad), s.FinalBad[0]))
	}
	return p
}

// WriteTable prints the summary table.
func (s Summary) WriteTable(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "step\tservice %\trequests\tmonolith\tservice\terrors\tinjected\tstale reads\tplaced\tcancelled\tlag p50\tlag p99\tlag max\t")
	for _, st := range s.Steps {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t\n", st.Name, st.Weight, st.Requests, st.ByMonolith, st.ByService,
			st.Errors, st.Faults, st.StaleReads, st.Placed, st.Cancelled, ms(st.LagP50), ms(st.LagP99), ms(st.LagMax))
	}
	tw.Flush()
	fmt.Fprintln(w)
	if sh := s.Shadow; sh != nil {
		fmt.Fprintf(w, "shadow (sample %g): %d copies compared, %d differing", sh.Sample, sh.Compared, sh.Differing)
		if len(sh.Fields) > 0 {
			fmt.Fprintf(w, " (%s)", strings.Join(sh.Fields, ", "))
		}
		if len(sh.Noise) > 0 {
			fmt.Fprintf(w, "; noise ignored: %s", strings.Join(sh.Noise, " "))
		}
		fmt.Fprintln(w)
	}
	for _, ro := range s.Rollouts {
		fmt.Fprintf(w, "%-8s rollout of the good build: %s at %d%% in %s (steps %s, hold %s)\n", ro.Phase, ro.State, ro.Percent,
			ro.Elapsed.Round(100*time.Millisecond), stepsLine(ro.Steps), s.Hold)
	}
	for _, f := range s.Faults {
		ro := f.Rollout
		if !ro.RolledBack {
			fmt.Fprintf(w, "faulty build %q: NOT rolled back: %s at %d%%\n", f.Fault.Name, ro.State, ro.Percent)
			continue
		}
		fmt.Fprintf(w, "faulty build %q: rolled back %d%% → %d%% after %s (%d hold(s) of %s) by %s: %.3g over the limit %.3g (monolith %.3g)\n",
			f.Fault.Name, ro.From, ro.To, ro.After.Round(100*time.Millisecond), ro.Holds(s.Hold), s.Hold, ro.Gate.Gate, ro.Gate.Candidate, ro.Gate.Limit, ro.Gate.Primary)
	}
	for _, v := range s.Verify {
		fmt.Fprintf(w, "verify %-8s %-11s source %d, sink %d, missing %d, extra %d, different %d", v.Name, v.When, v.Source, v.Sink, v.Missing, v.Extra, v.Different)
		if v.Outside > 0 {
			fmt.Fprintf(w, " (+%d other entities of the sink table)", v.Outside)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "orders %d (%d before sync), writes never replicated %d\n", s.Orders, s.SeedOrders, s.Unreplicated)
	fmt.Fprintf(w, "service taken out (0%%): the monolith served %d/%d orders (%d placed through the service)\n", s.RollbackChecked-len(s.RollbackBad), s.RollbackChecked, s.RollbackByService)
	fmt.Fprintf(w, "at the end (100%%): the service served %d/%d orders\n", s.FinalChecked-len(s.FinalBad), s.FinalChecked)
	fmt.Fprintf(w, "run time %s\n", s.Elapsed.Round(100*time.Millisecond))
}

func stepsLine(steps []RolloutStep) string {
	var parts []string
	for _, st := range steps {
		parts = append(parts, fmt.Sprintf("%d%% at %s", st.Percent, st.At.Round(100*time.Millisecond)))
	}
	return strings.Join(parts, ", ")
}

func ms(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	return fmt.Sprintf("%dms", d.Milliseconds())
}

// run is the state of one demo run.
type run struct {
	o        Options
	ps       *procs
	env      []string
	token    string // the proxy's admin token
	carve    string
	ports    map[string]int
	endpoint string // DynamoDB Local's
	proxy    *proc
	service  *proc
	deploys  int        // builds of the service deployed after the first
	checker  *user      // reads every order through the proxy at checkpoints
	probeErr chan error // the replication probe's failure
	say      func(format string, args ...any)
	summary  Summary
}

// Run performs the demo and returns its summary. The error is about the run itself (a
// component that would not start); a run that completes returns a summary whose Problems
// say whether the migration held (no failed request, no drift, nothing unreplicated).
// Everything Run starts is stopped before it returns, also when ctx is cancelled.
func Run(ctx context.Context, o Options) (sum Summary, err error) {
	start := time.Now()
	if err := o.defaults(); err != nil {
		return Summary{}, err
	}
	r := &run{o: o, ports: map[string]int{}, probeErr: make(chan error, 1), checker: newUser("checker", http.DefaultTransport)}
	r.say = func(format string, args ...any) { fmt.Fprintf(o.Out, format+"\n", args...) }
	r.summary.Dir, r.summary.Hold, r.summary.Faulty = o.Dir, o.Hold, o.Faults
	for _, d := range []string{"bin", "logs"} {
		if err := os.MkdirAll(filepath.Join(o.Dir, d), 0o755); err != nil {
			return Summary{}, fmt.Errorf("demo: %w", err)
		}
	}
	token := make([]byte, 16)
	_, _ = rand.Read(token)
	// The analyser's facts cache stays in the demo's directory, not the user's cache.
	rywKey := make([]byte, 16)
	_, _ = rand.Read(rywKey)
	r.token = hex.EncodeToString(token)
	r.env = []string{"CARVE_ADMIN_TOKEN=" + r.token, "CARVE_CACHE_DIR=" + filepath.Join(o.Dir, "carve-cache"),
		"CARVE_RYW_KEY=" + hex.EncodeToString(rywKey)}
	r.ps = &procs{logDir: filepath.Join(o.Dir, "logs"), env: r.env}
	var ddb *testenv.DynamoDBLocal
	defer func() {
		serr := r.ps.stopAll(15 * time.Second)
		if ddb != nil {
			ddb.Stop()
		}
		if serr != nil && err == nil {
			err = fmt.Errorf("demo: stopping: %w", serr)
		}
		r.summary.Elapsed = time.Since(start)
		sum = r.summary
	}()

	if err := r.build(ctx); err != nil {
		return r.summary, err
	}
	if err := r.analyse(ctx); err != nil {
		return r.summary, err
	}
	for _, name := range []string{"monolith", "service", "proxy", "admin", "sync-forward", "sync-reverse"} {
		p, err := testenv.FreePort()
		if err != nil {
			return r.summary, fmt.Errorf("demo: %w", err)
		}
		r.ports[name] = p
	}
	r.say("\n== DynamoDB Local")
	ddb, err = testenv.StartDynamoDB(filepath.Join(o.Dir, "logs"))
	if err != nil {
		return r.summary, fmt.Errorf("demo: starting DynamoDB Local: %w (run make deps)", err)
	}
	r.say("listening on %s", ddb.Endpoint)
	r.endpoint = ddb.Endpoint
	if err := r.generate(ctx); err != nil {
		return r.summary, err
	}
	if err := r.startShop(ctx); err != nil {
		return r.summary, err
	}
	db := dynamodb.NewFromConfig(testenv.ClientConfig(), func(op *dynamodb.Options) { op.BaseEndpoint = aws.String(ddb.Endpoint) })
	t := newTraffic(r.url("proxy"), db, "shop", "orders", o.LagBound, o.Pace)
	users, err := r.seed(ctx, t)
	if err != nil {
		return r.summary, err
	}
	if err := r.startSync(ctx); err != nil {
		return r.summary, err
	}
	if err := r.startProxy(ctx); err != nil {
		return r.summary, err
	}
	return r.summary, r.migrate(ctx, t, users)
}

func (r *run) url(name string) string { return fmt.Sprintf("http://127.0.0.1:%d", r.ports[name]) }

func (r *run) file(name string) string { return filepath.Join(r.o.Dir, name) }

// build compiles carve (unless given), the monolith and the extracted service.
func (r *run) build(ctx context.Context) error {
	r.say("== building carve, samples/shop and samples/shop-orders")
	r.carve = r.o.Carve
	type target struct{ dir, pkg, out string }
	targets := []target{
		{filepath.Join(r.o.Root, "samples", "shop"), "./cmd/shop", r.file("bin/shop")},
		{filepath.Join(r.o.Root, "samples", "shop-orders"), "./cmd/shop-orders", r.file("bin/shop-orders")},
	}
	if r.carve == "" {
		r.carve = r.file("bin/carve")
		targets = append(targets, target{r.o.Root, "./cmd/carve", r.carve})
	} else if !filepath.IsAbs(r.carve) {
		r.carve = filepath.Join(r.o.Root, r.carve)
	}
	for _, tg := range targets {
		if _, err := command(ctx, nil, tg.dir, "go", "build", "-o", tg.out, tg.pkg); err != nil {
			return fmt.Errorf("demo: building %s: %w", tg.pkg, err)
		}
	}
	return nil
}

func (r *run) carveCmd(ctx context.Context, args ...string) ([]byte, error) {
	return command(ctx, r.env, r.o.Dir, r.carve, args...)
}

// analyse shows the proposed services, draws them, and writes the plan and the brief.
func (r *run) analyse(ctx context.Context) error {
	shop := filepath.Join(r.o.Root, "samples", "shop")
	r.say("\n== carve analyze samples/shop: the proposed services")
	out, err := r.carveCmd(ctx, "analyze", shop, "--truth", filepath.Join(shop, "decomposition.json"))
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	r.say("%s", strings.TrimRight(string(out), "\n"))
	if _, err := r.carveCmd(ctx, "analyze", shop, "-o", "json", "--out", r.file("plan.json")); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	r.say("plan: %s", r.file("plan.json"))
	if dot, err := exec.LookPath("dot"); err == nil {
		src, err := r.carveCmd(ctx, "analyze", shop, "-o", "dot")
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		cmd := exec.CommandContext(ctx, dot, "-Tsvg", "-o", r.file("services.svg"))
		cmd.Stdin = strings.NewReader(string(src))
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("demo: dot -Tsvg: %w: %s", err, out)
		}
		r.say("picture: %s (Graphviz)", r.file("services.svg"))
	} else {
		if _, err := r.carveCmd(ctx, "analyze", shop, "-o", "mermaid", "--out", r.file("services.mmd")); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		r.say("picture: %s (Mermaid; install Graphviz for an SVG)", r.file("services.mmd"))
	}
	if _, err := r.carveCmd(ctx, "plan", "report", "--plan", r.file("plan.json"), "--out", r.file("migration.md")); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	r.say("migration brief: %s", r.file("migration.md"))
	return nil
}

// streamDelay is the sync jobs' worker.stream_delay here: DynamoDB Local writes a change to its
// stream with the item, so the 1s margin kept for DynamoDB would only hold users longer.
const streamDelay = "100ms"

// stranglerArgs are the carve plan strangler flags of the demo's proxy config: with rollout,
// the automatic rollout is added to the shadow traffic.
func (r *run) stranglerArgs(rollout bool) []string {
	args := []string{"plan", "strangler", "--plan", r.file("plan.json"), "--service", "orders", "--monolith", r.url("monolith"), "--target", r.url("service"),
		"--listen", fmt.Sprintf("127.0.0.1:%d", r.ports["proxy"]), "--admin", fmt.Sprintf("127.0.0.1:%d", r.ports["admin"]),
		// Read your writes: a user moved by a weight change stays on the side of their last
		// write until the sync toward the other side has applied it.
		"--sync-watermark", "orders=" + r.url("sync-forward") + "/watermark", "--sync-watermark", "monolith=" + r.url("sync-reverse") + "/watermark",
		// Shadow traffic: a sample of the GETs the monolith serves is copied to the service.
		"--shadow", fmt.Sprint(r.o.Shadow)}
	if rollout {
		args = append(args, "--rollout-steps", joinInts(r.o.RolloutSteps), "--rollout-hold", r.o.Hold.String(),
			"--rollout-gate", strings.Join(r.gates(), ","))
	}
	return append(args, "--out", r.file("strangler.yaml"))
}

// writeStranglerConfig writes the proxy config (with or without the rollout) and validates it.
func (r *run) writeStranglerConfig(ctx context.Context, rollout bool) error {
	for _, c := range [][]string{r.stranglerArgs(rollout), {"proxy", "validate", "--config", r.file("strangler.yaml")}} {
		out, err := r.carveCmd(ctx, c...)
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		if msg := strings.TrimSpace(string(out)); msg != "" {
			r.say("carve %s %s", strings.Join(c[:2], " "), msg)
		}
	}
	return nil
}

// generate writes the proxy config (shadow traffic, no rollout yet) and both sync configs from
// the plan and validates them.
func (r *run) generate(ctx context.Context) error {
	r.say("\n== carve plan: configs for orders from the plan")
	if err := r.writeStranglerConfig(ctx, false); err != nil {
		return err
	}
	r.say("carve plan strangler ... --shadow %g: %s (no rollout yet)", r.o.Shadow, r.file("strangler.yaml"))
	plan, endpoint := r.file("plan.json"), r.endpoint
	cmds := [][]string{
		{"plan", "sync", "--plan", plan, "--service", "orders", "--source-table", "shop", "--region", "us-east-1", "--endpoint", endpoint,
			"--both-ways", "updated_at", "--dead-letter", r.file("dead-letter-forward.jsonl"),
			"--metrics-listen", fmt.Sprintf("127.0.0.1:%d", r.ports["sync-forward"]), "--stream-delay", streamDelay, "--out", r.file("sync.yaml")},
		{"plan", "sync", "--plan", plan, "--service", "orders", "--source-table", "shop", "--region", "us-east-1", "--endpoint", endpoint,
			"--both-ways", "updated_at", "--reverse", "--dead-letter", r.file("dead-letter-reverse.jsonl"),
			"--metrics-listen", fmt.Sprintf("127.0.0.1:%d", r.ports["sync-reverse"]), "--stream-delay", streamDelay, "--out", r.file("sync-back.yaml")},
		{"sync", "validate", "--config", r.file("sync.yaml")},
		{"sync", "validate", "--config", r.file("sync-back.yaml")},
	}
	for _, c := range cmds {
		out, err := r.carveCmd(ctx, c...)
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		r.say("carve %s %s", strings.Join(c[:2], " "), strings.TrimSpace(string(out)))
	}
	return nil
}

// startShop starts the monolith (creating and seeding its tables) and the service.
func (r *run) startShop(ctx context.Context) error {
	r.say("\n== the monolith and the extracted service")
	mono, err := r.ps.start("monolith", r.o.Dir, r.file("bin/shop"), "-addr", fmt.Sprintf("127.0.0.1:%d", r.ports["monolith"]),
		"-dynamodb-endpoint", r.endpoint, "-create-tables", "-seed", "-log-level", "warn")
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if err := waitHTTP(ctx, mono, r.url("monolith")+"/healthz", 60*time.Second); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	r.say("monolith  %s (tables created, catalog seeded)", r.url("monolith"))
	if err := r.startService(ctx, "shop-orders", "-create-table"); err != nil {
		return err
	}
	r.say("service   %s (table orders)", r.url("service"))
	return nil
}

// startService starts a build of the service (args: its extra flags) and waits until it is
// healthy.
func (r *run) startService(ctx context.Context, name string, args ...string) error {
	args = append([]string{"-addr", fmt.Sprintf("127.0.0.1:%d", r.ports["service"]), "-dynamodb-endpoint", r.endpoint,
		"-table", "orders", "-monolith", r.url("monolith")}, args...)
	svc, err := r.ps.start(name, r.o.Dir, r.file("bin/shop-orders"), args...)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	r.service = svc
	if err := waitHTTP(ctx, svc, r.url("service")+"/healthz", 60*time.Second); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	return nil
}

// seed creates the customers and a few orders in the monolith before sync starts, so the
// backfill has something to copy.
func (r *run) seed(ctx context.Context, t *traffic) ([]*user, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	direct := &traffic{proxy: r.url("monolith"), steps: []*stepStats{{}}}
	var users []*user
	for i := range r.o.Users {
		u := newUser("", tr)
		var created struct {
			ID string `json:"id"`
		}
		body := map[string]any{"email": fmt.Sprintf("customer%d-%d@example.com", i, time.Now().UnixNano()), "name": fmt.Sprintf("Customer %d", i),
			"address": map[string]string{"name": fmt.Sprintf("Customer %d", i), "line1": "1 Rue de Rivoli", "city": "Paris", "postal_code": "75001", "country": "FR"}}
		if _, _, err := direct.do(ctx, u, http.MethodPost, "/users", body, &created); err != nil {
			return nil, fmt.Errorf("demo: creating a customer in the monolith: %w", err)
		}
		u.id = created.ID
		users = append(users, u)
	}
	for i := range r.o.SeedOrders {
		u := users[i%len(users)]
		var placed struct{ ID, Status string }
		body := map[string]any{"user_id": u.id, "card_token": "tok_visa", "items": []map[string]any{{"sku": skus[i%len(skus)], "quantity": 1}}}
		if _, _, err := direct.do(ctx, u, http.MethodPost, "/orders", body, &placed); err != nil {
			return nil, fmt.Errorf("demo: placing an order in the monolith: %w", err)
		}
		t.track(&order{id: placed.ID, user: u.id}, placed.Status, -1)
	}
	r.summary.SeedOrders = r.o.SeedOrders
	r.say("%d customers and %d orders placed in the monolith before sync", len(users), r.o.SeedOrders)
	return users, nil
}

// startSync backfills both directions, then streams both.
func (r *run) startSync(ctx context.Context) error {
	r.say("\n== carve sync: backfill, then stream, both ways")
	for _, c := range []string{"sync.yaml", "sync-back.yaml"} {
		out, err := r.carveCmd(ctx, "sync", "backfill", "--config", r.file(c))
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		r.say("backfill %s: %s", c, strings.Join(strings.Fields(string(out)), " "))
	}
	for _, c := range []struct{ name, file string }{{"sync-forward", "sync.yaml"}, {"sync-reverse", "sync-back.yaml"}} {
		p, err := r.ps.start(c.name, r.o.Dir, r.carve, "sync", "run", "--config", r.file(c.file))
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		select {
		case <-p.done:
			return fmt.Errorf("demo: %s exited at start: %v; its log: %s%s", c.name, p.err, p.log, tail(p.log))
		case <-time.After(300 * time.Millisecond):
		}
		r.say("%s running (shop → orders and back; log %s)", c.name, p.log)
	}
	return nil
}

// startProxy runs carve proxy with the generated config.
func (r *run) startProxy(ctx context.Context) error {
	r.say("\n== carve proxy")
	p, err := r.ps.start("proxy", r.o.Dir, r.carve, "proxy", "run", "--config", r.file("strangler.yaml"), "--watch=false")
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if err := waitHTTP(ctx, p, r.url("admin")+"/readyz", 30*time.Second); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	r.proxy = p
	r.say("proxy %s (admin %s); orders route: monolith 100, orders 0, %g of its GETs copied to orders", r.url("proxy"), r.url("admin"), r.o.Shadow)
	return nil
}

// migrate runs the migration's phases (phases.go) while customers shop through the proxy, then
// verifies both tables and that the service serves every order.
func (r *run) migrate(ctx context.Context, t *traffic, users []*user) error {
	// Customers stop at the end of a round (stopUsers) so that every answered write is
	// tracked; the probe runs until the end of migrate (stopProbe).
	pctx, stopProbe := context.WithCancel(ctx)
	stopUsers := make(chan struct{})
	var customers, probe sync.WaitGroup
	probe.Add(1)
	go func() {
		defer probe.Done()
		if err := t.probe(pctx); err != nil {
			r.probeErr <- err
		}
	}()
	for i, u := range users {
		customers.Add(1)
		go func() {
			defer customers.Done()
			t.run(ctx, stopUsers, u, uint64(i+1))
		}()
	}
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			close(stopUsers)
			customers.Wait()
		}
	}
	defer func() {
		stop()
		r.collect(ctx, t)
		stopProbe()
		probe.Wait()
	}()

	for i, ph := range r.phases() {
		r.say("\n== phase %d: %s", i+1, ph.name)
		if err := ph.run(ctx, t); errors.Is(err, errStop) {
			r.say("demo: %s stopped the migration", ph.name)
			return nil
		} else if err != nil {
			return err
		}
	}
	r.say("%s", r.stepLine(t))
	stop()
	r.say("\n== at the end")
	if err := r.settle(ctx, t); err != nil {
		return err
	}
	if err := r.verify(ctx, "at the end"); err != nil {
		return err
	}
	n, _, bad, err := t.checkAll(ctx, r.checker, true)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	r.summary.FinalChecked, r.summary.FinalBad = n, bad
	r.say("at 100%%: the service serves %d/%d orders", n-len(bad), n)
	return nil
}

// settle waits until the probe has seen every write in both tables, up to twice the lag bound.
// Traffic is paused or stopped first, so no write is still in flight.
func (r *run) settle(ctx context.Context, t *traffic) error {
	deadline := time.Now().Add(2 * r.o.LagBound)
	for t.pending() > 0 && time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil
}

// verify runs carve sync verify on both configs, retrying briefly while changes are in flight.
func (r *run) verify(ctx context.Context, when string) error {
	for _, c := range []struct{ name, file string }{{"forward", "sync.yaml"}, {"reverse", "sync-back.yaml"}} {
		var res VerifyResult
		for attempt := 0; attempt < 5; attempt++ {
			out, err := r.carveCmd(ctx, "sync", "verify", "--config", r.file(c.file), "-o", "json", "--limit", "1000000")
			var rep verify.Report
			if jerr := json.Unmarshal(out, &rep); jerr != nil {
				return fmt.Errorf("demo: carve sync verify %s: %w", c.file, errors.Join(err, jerr))
			}
			res = VerifyResult{Name: c.name, When: when, Drift: rep.Drift()}
			for _, p := range rep.Pipelines {
				res.Source += p.Source
				res.Sink += p.Sink
				res.Missing += p.MissingN
				res.Different += p.DifferentN
				// verify lists every item of the sink table, also those outside the pipeline's
				// key prefix: in the monolith's single table those are other services' entities
				// (users, carts), not drift.
				for _, k := range p.Extra {
					if strings.Contains(k, "ORDER#") {
						res.Extra++
					} else {
						res.Outside++
					}
				}
			}
			res.Drift = res.Missing+res.Extra+res.Different > 0
			if !res.Drift {
				break
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Second):
			}
		}
		r.summary.Verify = append(r.summary.Verify, res)
		r.say("carve sync verify %s (%s): source %d, sink %d, missing %d, extra %d, different %d, other entities in the sink %d", c.file, when, res.Source, res.Sink, res.Missing, res.Extra, res.Different, res.Outside)
	}
	return nil
}

// collect turns the traffic's counters into the summary.
func (r *run) collect(ctx context.Context, t *traffic) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, s := range t.steps[1:] { // the first row is before the phases: no traffic
		r.summary.Steps = append(r.summary.Steps, StepSummary{
			Name: s.name, Weight: s.weight, Requests: s.requests, ByMonolith: s.byMonolith, ByService: s.byService,
			Errors: s.errors, Faults: s.faults, StaleReads: s.staleReads, Placed: s.created, Cancelled: s.cancelled, Late: s.late,
			LagP50: percentile(s.lags, 0.5), LagP99: percentile(s.lags, 0.99), LagMax: percentile(s.lags, 1), ErrorSamples: s.errorSamples,
		})
	}
	r.summary.Orders = len(t.all)
	r.summary.Unreplicated = len(t.queue)
	for _, w := range t.queue[:min(len(t.queue), 5)] {
		r.summary.UnreplicatedSamples = append(r.summary.UnreplicatedSamples, fmt.Sprintf("%s %s (step %d; %s)", w.id, w.status, w.step, t.describe(ctx, w.id)))
	}
}
