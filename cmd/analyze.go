package cmd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"

	"github.com/carve-dev/carve/analyze/facts"
	"github.com/carve-dev/carve/analyze/graph"
	"github.com/carve-dev/carve/analyze/load"
	"github.com/carve-dev/carve/analyze/score"
	"github.com/carve-dev/carve/analyze/signals"

	"github.com/spf13/cobra"

	"github.com/carve-dev/carve/analyze"
	"github.com/carve-dev/carve/analyze/plan"
	"github.com/carve-dev/carve/analyze/render"
)

type analyzeOptions struct {
	dir        string
	output     string
	outFile    string
	services   int
	seed       int64
	resolution float64
	signals    string
	config     string
	truth      string
	minARI     float64
	tests      bool
	verbose    bool
	detail     string
	focus      string
	refs       bool
	noCache    bool
}

// newAnalyzeCmd maps a Go module's coupling and proposes services.
func newAnalyzeCmd(s Streams) *cobra.Command {
	o := &analyzeOptions{}
	c := &cobra.Command{
		Use:   "analyze [DIR]",
		Short: "Map a Go monolith's coupling and propose service boundaries",
		Long: `Load the Go module (or go.work workspace) at DIR, default ".", map the coupling between
its packages — imports, static calls, type use, "implements", package-level state, the
database tables each package touches, the HTTP routes each serves, and optionally git
co-change — and propose how to split it into services.

The result is a plan: the services, the routes and tables each owns, the shared kernel,
the tables several services share, and every call that would become a network call.
-o json writes the plan itself (docs/plan.md), which carve tui and carve plan read.

Signals (--signals chooses and weights them, e.g. "calls=2,imports,implements=3"):
` + signalHelp(),
		Example: `  carve analyze .                                  # a readable table of the proposed services
  carve analyze . -o json --out plan.json          # write the plan
  carve analyze . --services 6 --config carve.yaml # six services, honouring your constraints
  carve analyze samples/shop --truth samples/shop/decomposition.json`,
		Args: maxArgs(1, "at most one argument, the module's directory"),
		RunE: func(c *cobra.Command, args []string) error {
			o.dir = "."
			if len(args) == 1 {
				o.dir = args[0]
			}
			return runAnalyze(c.Context(), s, o)
		},
	}
	f := c.Flags()
	f.StringVarP(&o.output, "output", "o", "text", "output format: "+strings.Join(render.Formats, ", "))
	f.StringVar(&o.outFile, "out", "", "write the output to `FILE` instead of stdout")
	f.IntVar(&o.services, "services", 0, "target number of services (0: what modularity picks)")
	f.Int64Var(&o.seed, "seed", 1, "seed for clustering; the same seed gives the same plan")
	f.Float64Var(&o.resolution, "resolution", 1, "modularity resolution: above 1 favours smaller services, below 1 bigger ones")
	f.StringVar(&o.signals, "signals", "", "signals to use and their weights, e.g. `calls=2,imports,cochange=0.5` (default: all but cochange)")
	f.StringVar(&o.config, "config", "", "carve.yaml with constraints (default: DIR/carve.yaml when present)")
	f.StringVar(&o.truth, "truth", "", "JSON `FILE` mapping package import path → service name (\"shared\": kernel): score the plan against it (strict and full ARI, MoJoFM)")
	f.Float64Var(&o.minARI, "min-ari", 0, "with --truth: exit 3 when the strict ARI (service-labelled packages only) is below this bar")
	f.BoolVar(&o.tests, "tests", false, "include _test.go files")
	f.BoolVarP(&o.verbose, "verbose", "v", false, "list every route in the text report")
	f.StringVar(&o.detail, "detail", "", "what dot, mermaid and svg pictures show: `services` (one node each) or packages (default: services above 30 packages)")
	f.StringVar(&o.focus, "focus", "", "draw one `SERVICE`'s packages and its neighbouring services")
	f.BoolVar(&o.refs, "refs", false, "also draw service dependencies made of references only (no calls)")
	f.BoolVar(&o.noCache, "no-cache", false, "recompute the facts even when the cache has them for this exact tree")
	return c
}

func signalHelp() string {
	var b strings.Builder
	weights := graph.DefaultSignals()
	for _, sig := range signals.Signals() {
		w, ok := weights[sig.Name()]
		switch {
		case !ok:
			fmt.Fprintf(&b, "  %-11s %s (no weight: always on, %s=0 turns it off)\n", sig.Name(), sig.Doc(), sig.Name())
		case signals.IsOptIn(sig):
			fmt.Fprintf(&b, "  %-11s %s (off unless listed; weight %g)\n", sig.Name(), sig.Doc(), w)
		default:
			fmt.Fprintf(&b, "  %-11s %s (default weight %g)\n", sig.Name(), sig.Doc(), w)
		}
	}
	return b.String()
}

// check refuses flags that cannot be used together or make no sense, before anything loads.
func (o *analyzeOptions) check() error {
	if !slices.Contains(render.Formats, o.output) && o.output != "svg" {
		return inputErr(fmt.Errorf("unknown output format %q: use one of %s, or svg (with Graphviz)", o.output, strings.Join(render.Formats, ", ")))
	}
	if o.detail != "" && o.detail != render.DetailServices && o.detail != render.DetailPackages {
		return inputErr(fmt.Errorf("--detail %q: use services or packages", o.detail))
	}
	if o.services < 0 {
		return inputErr(fmt.Errorf("--services %d: want 0 (let modularity pick) or a positive count", o.services))
	}
	if o.resolution <= 0 {
		return inputErr(fmt.Errorf("--resolution %g: want a positive number (1 is standard modularity)", o.resolution))
	}
	if o.minARI < -1 || o.minARI > 1 || o.minARI != o.minARI {
		return inputErr(fmt.Errorf("--min-ari %g: ARI is between -1 and 1; give a bar in that range, e.g. 0.9", o.minARI))
	}
	if o.minARI != 0 && o.truth == "" {
		return inputErr(errors.New("--min-ari needs --truth FILE to score against"))
	}
	return nil
}

func runAnalyze(ctx context.Context, s Streams, o *analyzeOptions) error {
	if err := o.check(); err != nil {
		return err
	}
	sigs, weights, err := parseSignals(o.signals)
	if err != nil {
		return inputErr(err)
	}
	opts := analyze.Options{Signals: weights, Seed: o.seed, Resolution: o.resolution, Services: o.services}
	if opts.Config, err = loadAnalyzeConfig(o); err != nil {
		return inputErr(err)
	}
	if o.truth != "" {
		if opts.Truth, err = score.ReadTruth(o.truth); err != nil {
			return inputErr(err)
		}
	}

	prog := newProgress(s.Err)
	facts, err := loadFacts(ctx, o.dir, o.tests, o.noCache, sigs, prog.Update)
	prog.Done()
	if err != nil {
		if load.IsInputError(err) {
			return inputErr(err)
		}
		return err
	}
	for _, p := range facts.Packages {
		for _, e := range p.Errors {
			fmt.Fprintf(s.Err, "carve: warning: %s: %s (analysed as far as it loads)\n", p.Path, e)
		}
	}
	p, err := analyze.Propose(facts, opts)
	if err != nil {
		if load.IsInputError(err) {
			return inputErr(err)
		}
		return fmt.Errorf("propose services: %w", err)
	}
	if err := writeOutput(ctx, s, o, p); err != nil {
		return err
	}
	if o.minARI > 0 {
		if kind, ari, ok := gateARI(p.Metrics); ok && ari < o.minARI {
			return differsError{fmt.Errorf("%s ARI %.3f against %s is below --min-ari %.3f", kind, ari, o.truth, o.minARI)}
		}
	}
	return nil
}

// gateARI is the score --min-ari decides on: the strict ARI (the packages the truth gives a
// service label), or the ARI over every truth package when the truth labels none of the
// module's packages with a service (all are "shared").
func gateARI(m plan.Metrics) (kind string, ari float64, ok bool) {
	switch {
	case m.ARIStrict != nil:
		return "strict", *m.ARIStrict, true
	case m.ARI != nil:
		return "full", *m.ARI, true
	}
	return "", 0, false
}

// parseSignals reads --signals: a comma-separated list of NAME or NAME=WEIGHT. Listing coupling
// signals chooses them: those not listed are not computed (weight 0). The routes signal has no
// weight (it finds the HTTP entry points, not a coupling): it is computed unless listed as
// routes=0. Empty means the standard set and weights.
func parseSignals(spec string) ([]signals.Signal, map[string]float64, error) {
	if strings.TrimSpace(spec) == "" {
		return nil, nil, nil
	}
	weights := map[string]float64{}
	for _, sig := range signals.Signals() {
		if graph.KnownSignal(sig.Name()) {
			weights[sig.Name()] = 0
		}
	}
	routes := true
	defaults := graph.DefaultSignals()
	for _, item := range strings.Split(spec, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			return nil, nil, fmt.Errorf("--signals %q: an empty entry; separate signal names with single commas", spec)
		}
		name, val, hasVal := strings.Cut(item, "=")
		if _, err := signals.LookupSignal(name); err != nil {
			return nil, nil, fmt.Errorf("--signals: %w", err)
		}
		w := defaults[name]
		if hasVal {
			var err error
			w, err = strconv.ParseFloat(val, 64)
			if err != nil || w < 0 || w != w {
				return nil, nil, fmt.Errorf("--signals: weight %q of %s is not a non-negative number", val, name)
			}
		}
		if !graph.KnownSignal(name) {
			// A signal without a weight (routes): on, or off with NAME=0.
			if hasVal && w != 0 {
				return nil, nil, fmt.Errorf("--signals: %s has no weight (it finds entry points, not couplings): list it as %s, or %s=0 to turn it off", name, name, name)
			}
			routes = !hasVal
			continue
		}
		weights[name] = w
	}
	var sigs []signals.Signal
	for _, sig := range signals.Signals() {
		name := sig.Name()
		if weights[name] > 0 || (!graph.KnownSignal(name) && routes) {
			sigs = append(sigs, sig)
		}
	}
	if !slices.ContainsFunc(sigs, func(sig signals.Signal) bool { return weights[sig.Name()] > 0 }) {
		return nil, nil, errors.New("--signals: every chosen coupling signal has weight 0: choose at least one with a positive weight")
	}
	return sigs, weights, nil
}

func loadAnalyzeConfig(o *analyzeOptions) (*analyze.Config, error) {
	path := o.config
	if path == "" {
		def := filepath.Join(o.dir, "carve.yaml")
		if _, err := os.Stat(def); err != nil {
			return nil, nil
		}
		path = def
	}
	return analyze.LoadConfig(path)
}

func writeOutput(ctx context.Context, s Streams, o *analyzeOptions, p *plan.Plan) error {
	opts := render.Options{Verbose: o.verbose, Detail: o.detail, Focus: o.focus, Refs: o.refs}
	draw := func(w io.Writer) error {
		if o.output == "svg" {
			return renderSVG(ctx, w, p, opts)
		}
		return render.Render(w, o.output, p, opts)
	}
	if o.focus != "" && p.Service(o.focus) == nil {
		return inputErr(fmt.Errorf("--focus %s: the plan has no such service; it has %s", o.focus, strings.Join(p.ServiceNames(), ", ")))
	}
	if o.outFile == "" {
		if o.output == "text" {
			opts.Color = useColor(s.Out)
		}
		return draw(s.Out)
	}
	if err := writeFile(o.outFile, draw); err != nil {
		return err
	}
	fmt.Fprintf(s.Err, "carve: wrote %s (%d services)\n", o.outFile, len(p.Services))
	return nil
}

// renderSVG draws the DOT picture through Graphviz's dot.
func renderSVG(ctx context.Context, w io.Writer, p *plan.Plan, opts render.Options) error {
	dot, err := exec.LookPath("dot")
	if err != nil {
		return inputErr(errors.New("-o svg needs Graphviz's dot on the PATH (apt-get install graphviz, brew install graphviz), or write -o dot and render it elsewhere"))
	}
	var src bytes.Buffer
	if err := render.Render(&src, "dot", p, opts); err != nil {
		return err
	}
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, dot, "-Tsvg")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = &src, w, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("dot -Tsvg: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// loadFacts loads the module and collects the signals, or takes the facts from the cache when
// an earlier run saw exactly the same tree, toolchain, options and carve binary. The cache is
// CARVE_CACHE_DIR (default: the user cache directory's carve/facts; "off" disables it); a cache
// that cannot be read or written is skipped, never an error.
// analysisGCPercent is the garbage collector's pace while a module is loaded and analysed.
const analysisGCPercent = 200

func loadFacts(ctx context.Context, dir string, tests, noCache bool, sigs []signals.Signal, report func(stage string, done, total int)) (*facts.Facts, error) {
	lo := load.LoadOptions{Tests: tests, Progress: report}
	var cache *signals.FactsCache
	var key string
	if cdir := factsCacheDir(); cdir != "" && !noCache {
		cache = &signals.FactsCache{Dir: cdir}
		report("hashing the tree", 0, -1)
		if k, err := signals.FactsKey(ctx, dir, lo, sigs); err == nil {
			key = k
			if f := cache.Get(key); f != nil {
				report("facts from the cache (--no-cache recomputes)", 1, 1)
				return f, nil
			}
		}
	}
	// Loading and type-checking allocate a short-lived heap: the collector, at its default
	// pace, took ~15% of the CPU of an uncached analysis of a 2,000-package tree. Half as
	// many collections cost a little more peak memory (make bench-analyze on tempo, medians of
	// five runs beside go vet: 1.23× → 1.06× its wall time, 2.04× → 2.17× its peak memory).
	// GOGC, when set, decides instead.
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(analysisGCPercent))
	}
	m, err := load.Load(ctx, dir, lo)
	if err != nil {
		return nil, err
	}
	facts, err := signals.Collect(ctx, m, sigs)
	if err != nil {
		return nil, err
	}
	_ = cache.Put(key, facts) // a cache that cannot be written only costs the next run time
	return facts, nil
}

func factsCacheDir() string {
	switch d := os.Getenv("CARVE_CACHE_DIR"); d {
	case "off":
		return ""
	case "":
		base, err := os.UserCacheDir()
		if err != nil {
			return ""
		}
		return filepath.Join(base, "carve", "facts")
	default:
		return d
	}
}
