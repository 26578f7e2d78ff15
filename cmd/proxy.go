package cmd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/carve-dev/carve/strangler"
	proxyconfig "github.com/carve-dev/carve/strangler/config"
	"github.com/carve-dev/carve/strangler/store"
)

// newProxyCmd is the strangler proxy: carve proxy run|validate|weights.
func newProxyCmd(s Streams) *cobra.Command {
	c := &cobra.Command{
		Use:   "proxy",
		Short: "Run the strangler proxy that shifts routes to new services by weight",
		Long: `The strangler proxy sits in front of the monolith and sends each route's traffic to
upstreams by weight, sticky per user when asked, so a route moves to a new service a slice at
a time and back in one call. See docs/strangler.md for the config file.`,
	}
	c.AddCommand(newProxyRunCmd(s), newProxyValidateCmd(s), newProxyWeightsCmd(s), newProxyDiffCmd(s), newProxyRolloutCmd(s))
	return c
}

type proxyRunOptions struct {
	config string
	watch  bool
}

func newProxyRunCmd(s Streams) *cobra.Command {
	o := &proxyRunOptions{}
	c := &cobra.Command{
		Use:   "run --config FILE",
		Short: "Serve traffic with the routes of a config file",
		Long: `Serve traffic until SIGTERM or SIGINT, then drain: /readyz fails, the listener stops
accepting, in-flight requests get until shutdown.timeout, and carve exits 0.
SIGHUP, or an edit of the file (unless --watch=false), reloads the config; an invalid
config is refused with its line and the running one keeps serving. Logs are JSON on stderr.`,
		Args:    noArgs,
		PreRunE: requireFlags("config"),
		RunE:    func(c *cobra.Command, _ []string) error { return runProxy(c.Context(), s, o) },
	}
	c.Flags().StringVar(&o.config, "config", "", "proxy config file (YAML), required")
	c.Flags().BoolVar(&o.watch, "watch", true, "reload the config when the file changes")
	return c
}

func runProxy(ctx context.Context, s Streams, o *proxyRunOptions) error {
	cfg, err := proxyconfig.Load(o.config)
	if err != nil {
		return inputErr(err)
	}
	log := slog.New(slog.NewJSONHandler(s.Err, nil))
	opts := strangler.Options{Log: log}
	st, closeStore, err := openWeightStore(ctx, cfg.Store)
	if err != nil {
		return fmt.Errorf("fleet store: %w", err)
	}
	defer closeStore()
	opts.Store = st
	p, err := strangler.New(cfg, opts)
	if err != nil {
		return inputErr(err)
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	reload := make(chan struct{})
	fwdCtx, stopFwd := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer stopFwd()
	wg.Go(func() { // forwards SIGHUP to Run until it returns
		for {
			select {
			case <-fwdCtx.Done():
				return
			case <-hup:
				select {
				case reload <- struct{}{}:
				case <-fwdCtx.Done():
					return
				}
			}
		}
	})
	return p.Run(ctx, strangler.RunOptions{ConfigFile: o.config, Watch: o.watch, Reload: reload})
}

// openWeightStore opens the fleet's weight store the config names, or none (nil).
func openWeightStore(ctx context.Context, c *proxyconfig.Store) (strangler.WeightStore, func(), error) {
	switch {
	case c != nil && c.DynamoDB != nil:
		st, err := store.NewDynamoDB(ctx, *c.DynamoDB)
		return st, func() {}, err
	case c != nil && c.Etcd != nil:
		st, err := store.NewEtcd(*c.Etcd)
		if err != nil {
			return nil, nil, err
		}
		return st, func() { st.Close() }, nil
	}
	return nil, func() {}, nil
}

type proxyValidateOptions struct{ config string }

// newProxyValidateCmd is 'carve proxy validate --config FILE', as every other proxy and sync
// command names its config; 'carve proxy validate FILE' is its deprecated form.
func newProxyValidateCmd(s Streams) *cobra.Command {
	o := &proxyValidateOptions{}
	c := &cobra.Command{
		Use:   "validate --config FILE",
		Short: "Check a proxy config file without running it",
		Long: `Parse and validate the config FILE as 'carve proxy run' would: unknown keys, bad weights,
unknown upstreams, bad or conflicting route patterns, duplicate names, an admin API on a public
address without a token. Prints a summary on success; exits 2 with every problem and its
line otherwise. 'carve proxy validate FILE' still works but is deprecated.`,
		Args: maxArgs(1, "no arguments: give the file with --config FILE"),
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 1 {
				if c.Flags().Changed("config") {
					return usage(c, "%s: give the config once, with --config FILE", c.CommandPath())
				}
				fmt.Fprintf(s.Err, "carve: warning: 'carve proxy validate FILE' is deprecated: use 'carve proxy validate --config %s'\n", args[0])
				o.config = args[0]
			} else if err := requireFlags("config")(c, args); err != nil {
				return err
			}
			return runProxyValidate(c.Context(), s, o)
		},
	}
	c.Flags().StringVar(&o.config, "config", "", "proxy config file (YAML)")
	return c
}

func runProxyValidate(_ context.Context, s Streams, o *proxyValidateOptions) error {
	cfg, err := proxyconfig.Load(o.config)
	if err != nil {
		return inputErr(err)
	}
	fmt.Fprintf(s.Out, "%s: ok: %d routes, %d upstreams, default %s\n", o.config, len(cfg.Routes), len(cfg.Upstreams), cfg.Default)
	return nil
}

// adminFlags are the flags of the commands that talk to a running proxy's admin API.
type adminFlags struct {
	admin    string
	tokenEnv string
	output   string
}

func (o *adminFlags) register(c *cobra.Command) {
	c.Flags().StringVar(&o.admin, "admin", "http://"+proxyconfig.DefaultAdminListen, "admin API base URL of the proxy")
	c.Flags().StringVar(&o.tokenEnv, "token-env", "CARVE_ADMIN_TOKEN", "environment variable holding the admin bearer token")
	c.Flags().StringVarP(&o.output, "output", "o", "text", "output format: text or json")
}

// client checks the output format and returns the client of the admin API the flags name.
func (o *adminFlags) client() (*strangler.AdminClient, error) {
	if o.output != "text" && o.output != "json" {
		return nil, inputErr(fmt.Errorf("unknown output %q: use text or json", o.output))
	}
	c, err := strangler.NewAdminClient(o.admin, os.Getenv(o.tokenEnv), nil)
	if err != nil {
		return nil, inputErr(fmt.Errorf("bad --admin URL %q: %w", o.admin, err))
	}
	return c, nil
}

// adminErr makes a request the admin API refused bad input (exit 2); anything else failed.
func adminErr(err error) error {
	var ae *strangler.AdminError
	if errors.As(err, &ae) && ae.Refused() {
		return inputErr(err)
	}
	return err
}

type proxyWeightsOptions struct {
	adminFlags
	route  string
	assign []string // UPSTREAM=WEIGHT arguments
}

func newProxyWeightsCmd(s Streams) *cobra.Command {
	o := &proxyWeightsOptions{}
	c := &cobra.Command{
		Use:   "weights ROUTE [UPSTREAM=WEIGHT ...]",
		Short: "Show or set a route's weights on a running proxy",
		Long: `Without weights, print ROUTE's current weights. With weights, set them through the
admin API (validated by the proxy; in fleet mode written to the shared store) and print the
old and new values, e.g.

  carve proxy weights orders orders=50 monolith=50

The bearer token is read from the environment variable named by --token-env.`,
		Args: minArgs(1, "a route and optionally its UPSTREAM=WEIGHT pairs"),
		RunE: func(c *cobra.Command, args []string) error {
			o.route, o.assign = args[0], args[1:]
			return runProxyWeights(c.Context(), s, o)
		},
	}
	o.register(c)
	return c
}

func parseWeights(args []string) (map[string]int, error) {
	w := map[string]int{}
	for _, a := range args {
		name, val, ok := strings.Cut(a, "=")
		n, err := strconv.Atoi(val)
		if !ok || name == "" || err != nil {
			return nil, fmt.Errorf("bad weight %q: write UPSTREAM=WEIGHT with an integer weight, e.g. orders=25", a)
		}
		if _, dup := w[name]; dup {
			return nil, fmt.Errorf("upstream %q given twice", name)
		}
		w[name] = n
	}
	return w, nil
}

func runProxyWeights(ctx context.Context, s Streams, o *proxyWeightsOptions) error {
	admin, err := o.client()
	if err != nil {
		return err
	}
	if len(o.assign) == 0 {
		w, err := admin.Weights(ctx, o.route)
		if err != nil {
			return adminErr(err)
		}
		if o.output == "json" {
			return printJSON(s.Out, w)
		}
		_, err = fmt.Fprintf(s.Out, "%s: %s\n", w.Route, formatWeights(w.Weights))
		return err
	}
	weights, err := parseWeights(o.assign)
	if err != nil {
		return inputErr(err)
	}
	ch, err := admin.SetWeights(ctx, o.route, weights)
	if err != nil {
		return adminErr(err)
	}
	if o.output == "json" {
		return printJSON(s.Out, ch)
	}
	_, err = fmt.Fprintf(s.Out, "%s: %s -> %s\n", ch.Route, formatWeights(ch.Old), formatWeights(ch.New))
	return err
}

func formatWeights(w map[string]int) string {
	parts := make([]string, 0, len(w))
	for _, n := range slices.Sorted(maps.Keys(w)) {
		parts = append(parts, n+"="+strconv.Itoa(w[n]))
	}
	return strings.Join(parts, " ")
}
