package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/carve-dev/carve/strangler"
	"github.com/carve-dev/carve/strangler/config"
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
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if o.config == "" {
				return inputErr(errors.New("no config: pass --config FILE (see docs/strangler.md)"))
			}
			return runProxy(c.Context(), s, o)
		},
	}
	c.Flags().StringVar(&o.config, "config", "", "proxy config file (YAML), required")
	c.Flags().BoolVar(&o.watch, "watch", true, "reload the config when the file changes")
	return c
}

func runProxy(ctx context.Context, s Streams, o *proxyRunOptions) error {
	cfg, err := config.Load(o.config)
	if err != nil {
		return inputErr(err)
	}
	log := slog.New(slog.NewJSONHandler(s.Err, nil))
	opts := strangler.Options{Log: log}
	if d := cfg.Store; d != nil && d.DynamoDB != nil {
		st, err := store.NewDynamoDB(ctx, *d.DynamoDB)
		if err != nil {
			return fmt.Errorf("fleet store: %w", err)
		}
		opts.Store = st
	}
	if d := cfg.Store; d != nil && d.Etcd != nil {
		st, err := store.NewEtcd(*d.Etcd)
		if err != nil {
			return fmt.Errorf("fleet store: %w", err)
		}
		defer st.Close()
		opts.Store = st
	}
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

func newProxyValidateCmd(s Streams) *cobra.Command {
	return &cobra.Command{
		Use:   "validate FILE",
		Short: "Check a proxy config file without running it",
		Long: `Parse and validate FILE as 'carve proxy run' would: unknown keys, bad weights, unknown
upstreams, bad or conflicting route patterns, duplicate names, an admin API on a public
address without a token. Prints a summary on success; exits 2 with every problem and its
line otherwise.`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			cfg, err := config.Load(args[0])
			if err != nil {
				return inputErr(err)
			}
			fmt.Fprintf(s.Out, "%s: ok: %d routes, %d upstreams, default %s\n", args[0], len(cfg.Routes), len(cfg.Upstreams), cfg.Default)
			return nil
		},
	}
}

type proxyWeightsOptions struct {
	admin    string
	tokenEnv string
	output   string
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
		Args: cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			return runProxyWeights(c.Context(), s, o, args[0], args[1:])
		},
	}
	c.Flags().StringVar(&o.admin, "admin", "http://"+config.DefaultAdminListen, "admin API base URL of the proxy")
	c.Flags().StringVar(&o.tokenEnv, "token-env", "CARVE_ADMIN_TOKEN", "environment variable holding the admin bearer token")
	c.Flags().StringVarP(&o.output, "output", "o", "text", "output format: text or json")
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

func runProxyWeights(ctx context.Context, s Streams, o *proxyWeightsOptions, routeName string, args []string) error {
	if o.output != "text" && o.output != "json" {
		return inputErr(fmt.Errorf("unknown output %q: use text or json", o.output))
	}
	method, body := http.MethodGet, []byte(nil)
	if len(args) > 0 {
		w, err := parseWeights(args)
		if err != nil {
			return inputErr(err)
		}
		method = http.MethodPut
		body, _ = json.Marshal(strangler.WeightsRequest{Weights: w})
	}
	raw, err := callAdmin(ctx, o.admin, o.tokenEnv, method, "/routes/"+routeName+"/weights", body)
	if err != nil {
		return err
	}
	if o.output == "json" {
		_, err := s.Out.Write(raw)
		return err
	}
	var out struct {
		Route   string         `json:"route"`
		Weights map[string]int `json:"weights"`
		Old     map[string]int `json:"old"`
		New     map[string]int `json:"new"`
		Version int64          `json:"version"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return fmt.Errorf("admin API answered %q: %w", raw, err)
	}
	if method == http.MethodGet {
		fmt.Fprintf(s.Out, "%s: %s\n", out.Route, formatWeights(out.Weights))
		return nil
	}
	fmt.Fprintf(s.Out, "%s: %s -> %s\n", out.Route, formatWeights(out.Old), formatWeights(out.New))
	return nil
}

// callAdmin sends one request to a running proxy's admin API (the bearer token from the
// environment variable tokenEnv) and returns the body of a 200 answer; other answers are
// errors carrying the API's message, bad input (exit 2) when the API says the request was.
func callAdmin(ctx context.Context, admin, tokenEnv, method, path string, body []byte) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	url := strings.TrimSuffix(admin, "/") + path
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return nil, inputErr(fmt.Errorf("bad --admin URL %q: %w", admin, err))
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if tok := os.Getenv(tokenEnv); tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("reach the proxy's admin API at %s: %w; is the proxy running, and is --admin right?", admin, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return nil, fmt.Errorf("read the admin API's answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error string `json:"error"`
		}
		msg := strings.TrimSpace(string(raw))
		if json.Unmarshal(raw, &e) == nil && e.Error != "" {
			msg = e.Error
		}
		err := fmt.Errorf("admin API %s %s: %s: %s", method, url, resp.Status, msg)
		switch resp.StatusCode {
		case http.StatusBadRequest, http.StatusNotFound, http.StatusUnprocessableEntity, http.StatusUnauthorized:
			return nil, inputErr(err)
		}
		return nil, err
	}
	return raw, nil
}

func formatWeights(w map[string]int) string {
	names := make([]string, 0, len(w))
	for n := range w {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = n + "=" + strconv.Itoa(w[n])
	}
	return strings.Join(parts, " ")
}
