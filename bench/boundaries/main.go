// Command boundaries is the `make bench-boundaries` driver: for every case of the corpus
// (CORPUS/<case>.json, a truth file) whose tree is TREES/<case>, it scores `carve analyze` on the
// tree and on a path-blind copy (internal/pathblind), next to a plain-Louvain baseline on the
// module's import graph, and prints one table.
//
// The path-blind copy is TREES/<case>-blind with its truth TREES/<case>-blind.json when both
// exist, else it is made under the scratch directory. carve runs with --no-cache and its facts
// cache in the scratch directory, so every row is a full analysis (the Go build cache is
// shared: only the first analysis of a tree compiles its dependencies).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/carve-dev/carve/analyze/plan"
	"github.com/carve-dev/carve/analyze/score"
	"github.com/carve-dev/carve/internal/pathblind"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench-boundaries:", err)
		os.Exit(1)
	}
}

type config struct {
	trees, corpus, carve, scratch, blind string
	seeds                                int
}

func run(ctx context.Context, args []string, out io.Writer) error {
	var c config
	fl := flag.NewFlagSet("boundaries", flag.ContinueOnError)
	fl.StringVar(&c.trees, "trees", "", "`DIR` holding the corpus trees, one per case: DIR/jaeger, DIR/tempo")
	fl.StringVar(&c.corpus, "corpus", "", "corpus `DIR` with the truth files <case>.json")
	fl.StringVar(&c.carve, "carve", "", "carve `BINARY` to score")
	fl.StringVar(&c.scratch, "scratch", "", "scratch `DIR` for plans and path-blind copies (default: a temporary directory, removed after)")
	fl.StringVar(&c.blind, "blind", "", "`DIR` of path-blind copies made before: DIR/<case> with its truth DIR/<case>.json (default: TREES/<case>-blind and TREES/<case>-blind.json)")
	fl.IntVar(&c.seeds, "seeds", 20, "Louvain baseline: mean over seeds 1..`N`")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if c.trees == "" || c.corpus == "" || c.carve == "" {
		return errors.New("-trees DIR, -corpus DIR and -carve BINARY are required")
	}
	if c.seeds < 1 {
		return fmt.Errorf("-seeds %d: want at least 1", c.seeds)
	}
	cases, err := findCases(c.corpus, c.trees)
	if err != nil {
		return err
	}
	if c.scratch == "" {
		dir, err := os.MkdirTemp("", "carve-bench-boundaries-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		c.scratch = dir
	}
	var rows []row
	for _, name := range cases {
		for _, variant := range []string{"normal", "path-blind"} {
			r, err := scoreCase(ctx, c, name, variant)
			if err != nil {
				return fmt.Errorf("%s (%s): %w", name, variant, err)
			}
			rows = append(rows, r)
		}
	}
	printTable(out, rows, c.seeds)
	return nil
}

// findCases lists the cases of the corpus (truth files <case>.json) that have a tree in trees.
func findCases(corpus, trees string) ([]string, error) {
	truths, err := filepath.Glob(filepath.Join(corpus, "*.json"))
	if err != nil {
		return nil, err
	}
	if len(truths) == 0 {
		return nil, fmt.Errorf("no truth files (*.json) in corpus directory %s", corpus)
	}
	var cases, absent []string
	for _, t := range truths {
		name := strings.TrimSuffix(filepath.Base(t), ".json")
		if _, err := os.Stat(filepath.Join(trees, name, "go.mod")); err == nil {
			cases = append(cases, name)
		} else {
			absent = append(absent, name)
		}
	}
	sort.Strings(cases)
	if len(cases) == 0 {
		return nil, fmt.Errorf("none of the corpus cases (%s) has a tree in %s: build them as %s/README.md says", strings.Join(absent, ", "), trees, corpus)
	}
	if len(absent) > 0 {
		slog.Warn("corpus cases without a tree, skipped", "cases", absent, "trees", trees)
	}
	return cases, nil
}

// row is one line of the table.
type row struct {
	name, variant string
	metrics       plan.Metrics
	services      int
	base          baseline
	seconds       float64
}

// scoreCase analyses one variant of a case and computes its baseline.
func scoreCase(ctx context.Context, c config, name, variant string) (row, error) {
	tree := filepath.Join(c.trees, name)
	truthFile := filepath.Join(c.corpus, name+".json")
	if variant == "path-blind" {
		var err error
		if tree, truthFile, err = blindCopy(ctx, c, name); err != nil {
			return row{}, err
		}
	}
	truth, err := score.ReadTruth(truthFile)
	if err != nil {
		return row{}, err
	}
	planFile := filepath.Join(c.scratch, name+"-"+variant+".plan.json")
	slog.Info("analysing", "case", name, "variant", variant, "tree", tree)
	cmd := exec.CommandContext(ctx, c.carve, "analyze", tree, "-o", "json", "--out", planFile, "--truth", truthFile, "--no-cache")
	cmd.Env = append(os.Environ(), "CARVE_CACHE_DIR="+filepath.Join(c.scratch, "carve-cache"), "GOWORK=off")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return row{}, fmt.Errorf("%s: %w\n%s", strings.Join(cmd.Args, " "), err, stderr.String())
	}
	secs := time.Since(start).Seconds()
	p, err := plan.ReadFile(planFile)
	if err != nil {
		return row{}, err
	}
	g, err := loadImportGraph(ctx, tree)
	if err != nil {
		return row{}, err
	}
	base, err := g.baseline(truth, c.seeds)
	if err != nil {
		return row{}, err
	}
	return row{name: name, variant: variant, metrics: p.Metrics, services: len(p.Services), base: base, seconds: secs}, nil
}

// blindCopy returns the path-blind tree of a case and its truth file: -blind DIR/<case> or
// TREES/<case>-blind when it and its truth exist, else a copy made under the scratch directory.
// (A copy made before keeps the Go build cache warm: a vendored dependency compiled in another
// directory is compiled again.)
func blindCopy(ctx context.Context, c config, name string) (tree, truth string, err error) {
	candidates := [][2]string{{filepath.Join(c.trees, name+"-blind"), filepath.Join(c.trees, name+"-blind.json")}}
	if c.blind != "" {
		candidates = append([][2]string{{filepath.Join(c.blind, name), filepath.Join(c.blind, name+".json")}}, candidates...)
	}
	for _, cand := range candidates {
		_, err1 := os.Stat(filepath.Join(cand[0], "go.mod"))
		_, err2 := os.Stat(cand[1])
		if err1 == nil && err2 == nil {
			slog.Info("reusing a path-blind copy", "case", name, "tree", cand[0])
			return cand[0], cand[1], nil
		}
	}
	src := filepath.Join(c.trees, name)
	tree, truth = filepath.Join(c.scratch, name+"-blind"), filepath.Join(c.scratch, name+"-blind.json")
	keep, err := pathblind.DependencyImports(ctx, src)
	if err != nil {
		return "", "", err
	}
	slog.Info("making a path-blind copy", "case", name, "dst", tree, "kept", len(keep))
	res, err := pathblind.Blind(ctx, src, tree, keep)
	if err != nil {
		return "", "", err
	}
	t, err := score.ReadTruth(filepath.Join(c.corpus, name+".json"))
	if err != nil {
		return "", "", err
	}
	nt, missing := pathblind.RewriteTruth(t, res.Paths)
	if len(missing) > 0 {
		slog.Warn("truth packages not in the tree", "case", name, "count", len(missing))
	}
	if err := score.WriteTruth(truth, nt); err != nil {
		return "", "", err
	}
	return tree, truth, nil
}

// printTable prints the rows as one Markdown table.
func printTable(w io.Writer, rows []row, seeds int) {
	fmt.Fprintf(w, "| case | variant | carve strict ARI | carve full ARI | MoJoFM strict / full | Louvain strict ARI | Louvain full ARI | services | kernel share (pkgs / lines) | carve time (s) |\n")
	fmt.Fprintf(w, "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
	for _, r := range rows {
		m := r.metrics
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s / %s | %.3f | %.3f | %d | %.0f%% / %.0f%% | %.1f |\n",
			r.name, r.variant, num(m.ARIStrict, 3), num(m.ARIFull, 3), num(m.MoJoFMStrict, 1), num(m.MoJoFMFull, 1),
			r.base.Strict, r.base.Full, r.services, 100*m.KernelPackages, 100*m.KernelLines, r.seconds)
	}
	fmt.Fprintf(w, "\nLouvain: gonum community.Modularize, resolution 1, on the undirected unweighted non-test import graph of the module's own packages, mean ARI over seeds 1..%d, scored like carve (analyze.CompareTruth). carve: analyze --no-cache, wall time.\n", seeds)
}

func num(v *float64, prec int) string {
	if v == nil {
		return "n/a"
	}
	return fmt.Sprintf("%.*f", prec, *v)
}
