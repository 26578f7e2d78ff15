// Command demo runs carve's end-to-end migration demo (`make demo`): see package
// internal/demo. It exits 1 when a shadow copy differed, a rollout did not reach 100%, a faulty
// build was not rolled back, a request failed (other than the faulty build's injected
// failures), a read was stale, drift remained or a write never replicated, and 2 when the demo
// could not run.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/carve-dev/carve/internal/demo"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx)
	stop()
	os.Exit(code)
}

func run(ctx context.Context) int {
	var o demo.Options
	flag.StringVar(&o.Dir, "dir", ".cache/demo", "where the plan, the configs, the picture and the logs go")
	flag.StringVar(&o.Carve, "carve", "bin/carve", "the carve binary (relative to the repository)")
	flag.IntVar(&o.Users, "users", 16, "customers sending traffic at once")
	flag.IntVar(&o.SeedOrders, "seed-orders", 20, "orders placed in the monolith before sync starts")
	flag.DurationVar(&o.Step, "step", 8*time.Second, "how long the shadow phase runs")
	flag.Float64Var(&o.Shadow, "shadow", 0.5, "the fraction of the orders GETs copied to the service")
	flag.DurationVar(&o.Hold, "hold", 4*time.Second, "how long the automatic rollout holds and judges each step")
	faults := flag.String("faults", "both", "the faulty builds deployed: rate (5% of requests fail), field (currency=USD), both or none")
	flag.Float64Var(&o.MaxDiffRate, "max-diff-rate", 0.01, "the rollout's diff gate: the share of shadow copies that may differ (1: off)")
	flag.DurationVar(&o.Pace, "pace", 150*time.Millisecond, "each customer's pause between rounds")
	flag.DurationVar(&o.LagBound, "lag-bound", 5*time.Second, "the longest a write may take to reach both tables")
	flag.Parse()
	switch *faults {
	case "both":
	case "rate", "field":
		for _, f := range demo.DefaultFaults {
			if strings.HasPrefix(f.Args[0], "-fault-"+*faults) {
				o.Faults = append(o.Faults, f)
			}
		}
	case "none":
		o.NoFaults = true
	default:
		fmt.Fprintf(os.Stderr, "demo: -faults %q: use rate, field, both or none\n", *faults)
		return 2
	}
	o.Out = os.Stdout
	if err := clean(o.Dir); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		return 2
	}
	sum, err := demo.Run(ctx, o)
	fmt.Println("\n== summary")
	sum.WriteTable(os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	if p := sum.Problems(); len(p) > 0 {
		for _, line := range p {
			fmt.Fprintln(os.Stderr, "demo: FAILED:", line)
		}
		return 1
	}
	fmt.Printf("\ndemo: ok — shadow copies identical, the good build rolled out to 100%% on its own, every faulty build rolled back by the gates, no request failed but the injected ones, no stale read, zero drift; files in %s\n", sum.Dir)
	return 0
}

// clean empties dir for a new run when it is missing, empty, or a previous run's output (it
// holds the demo's logs directory); any other directory is refused rather than deleted.
func clean(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) || (err == nil && len(entries) == 0) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading -dir %s: %w", dir, err)
	}
	if st, err := os.Stat(filepath.Join(dir, "logs")); err != nil || !st.IsDir() {
		return fmt.Errorf("-dir %s is not empty and holds no previous demo run: choose an empty or new directory", dir)
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("removing the previous run in %s: %w", dir, err)
	}
	return nil
}
