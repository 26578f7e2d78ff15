package cmd

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/carve-dev/carve/strangler"
	"github.com/carve-dev/carve/strangler/config"
)

// proxyAdminOptions are the flags of the commands that talk to a running proxy's admin API.
type proxyAdminOptions struct {
	admin    string
	tokenEnv string
	output   string
	top      int
}

func (o *proxyAdminOptions) flags(c *cobra.Command) {
	c.Flags().StringVar(&o.admin, "admin", "http://"+config.DefaultAdminListen, "admin API base URL of the proxy")
	c.Flags().StringVar(&o.tokenEnv, "token-env", "CARVE_ADMIN_TOKEN", "environment variable holding the admin bearer token")
	c.Flags().StringVarP(&o.output, "output", "o", "text", "output format: text or json")
}

func (o *proxyAdminOptions) check() error {
	if o.output != "text" && o.output != "json" {
		return inputErr(fmt.Errorf("unknown output %q: use text or json", o.output))
	}
	return nil
}

func newProxyDiffCmd(s Streams) *cobra.Command {
	o := &proxyAdminOptions{}
	c := &cobra.Command{
		Use:   "diff ROUTE",
		Short: "Print a route's shadow traffic differences on a running proxy",
		Long: `Print how many shadow copies of ROUTE were compared and how many differed, the fields
that differ most often with an example request and both answers each (credentials redacted),
and the fields learned as noise (they differ between two answers of the primary too, such as
timestamps, and are ignored). The route needs shadow: in the proxy config.`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			return runProxyDiff(c.Context(), s, o, args[0])
		},
	}
	o.flags(c)
	c.Flags().IntVar(&o.top, "top", 10, "number of fields to print")
	return c
}

func runProxyDiff(ctx context.Context, s Streams, o *proxyAdminOptions, route string) error {
	if err := o.check(); err != nil {
		return err
	}
	if o.top < 1 {
		return inputErr(fmt.Errorf("bad --top %d: give a positive number of fields", o.top))
	}
	raw, err := callAdmin(ctx, o.admin, o.tokenEnv, http.MethodGet, "/routes/"+route+"/diff?top="+strconv.Itoa(o.top), nil)
	if err != nil {
		return err
	}
	if o.output == "json" {
		_, err := s.Out.Write(raw)
		return err
	}
	var r strangler.DiffReport
	if err := json.Unmarshal(raw, &r); err != nil {
		return fmt.Errorf("admin API answered %q: %w", raw, err)
	}
	fmt.Fprintf(s.Out, "%s: %d compared with %s, %d differing\n", r.Route, r.Compared, r.Upstream, r.Differing)
	for _, f := range r.Fields {
		fmt.Fprintf(s.Out, "\n%s: %d\n", f.Field, f.Count)
		for _, e := range f.Examples {
			fmt.Fprintf(s.Out, "  %s %s  %s: %s -> %s\n", e.Request.Method, e.Request.URI, e.Path, e.Primary, e.Candidate)
			fmt.Fprintf(s.Out, "    primary   %d %s\n", e.PrimaryR.Status, oneLine(e.PrimaryR.Body))
			fmt.Fprintf(s.Out, "    candidate %d %s\n", e.CandR.Status, oneLine(e.CandR.Body))
		}
	}
	if len(r.Noise) > 0 {
		fmt.Fprintf(s.Out, "\nnoise (ignored): %s\n", strings.Join(r.Noise, " "))
	}
	return nil
}

// oneLine shortens a body for a line of text output.
func oneLine(b string) string {
	b = strings.Join(strings.Fields(b), " ")
	if len(b) > 160 {
		return b[:160] + "…"
	}
	return b
}

func newProxyRolloutCmd(s Streams) *cobra.Command {
	o := &proxyAdminOptions{}
	c := &cobra.Command{
		Use:   "rollout status|pause|resume|abort ROUTE",
		Short: "Show or steer a route's automatic rollout on a running proxy",
		Long: `status prints the rollout of ROUTE: its state, the candidate's percentage, the steps,
and the gates of the last hold with their figures. pause stops stepping (the weights stay);
resume goes on (after a rollback, to the next step); abort sets the candidate's weight to 0.
In fleet mode one replica steps (leader: true in status): send pause, resume and abort to it.`,
		Args:      cobra.ExactArgs(2),
		ValidArgs: []string{"status", "pause", "resume", "abort"},
		RunE: func(c *cobra.Command, args []string) error {
			return runProxyRollout(c.Context(), s, o, args[0], args[1])
		},
	}
	o.flags(c)
	return c
}

func runProxyRollout(ctx context.Context, s Streams, o *proxyAdminOptions, action, route string) error {
	if err := o.check(); err != nil {
		return err
	}
	method, path := http.MethodGet, "/routes/"+route+"/rollout"
	switch action {
	case "status":
	case "pause", "resume", "abort":
		method, path = http.MethodPost, path+"/"+action
	default:
		return inputErr(fmt.Errorf("unknown rollout action %q: use status, pause, resume or abort", action))
	}
	raw, err := callAdmin(ctx, o.admin, o.tokenEnv, method, path, nil)
	if err != nil {
		return err
	}
	if o.output == "json" {
		_, err := s.Out.Write(raw)
		return err
	}
	var st strangler.RolloutStatus
	if err := json.Unmarshal(raw, &st); err != nil {
		return fmt.Errorf("admin API answered %q: %w", raw, err)
	}
	fmt.Fprintf(s.Out, "%s: %s, %s at %d%% (steps %v, hold %s, last good %d%%, leader %t, rollbacks %d)\n",
		st.Route, st.State, st.Candidate, st.Percent, st.Steps, st.Hold, st.LastGood, st.Leader, st.Rollbacks)
	if st.HeldFor != "" {
		fmt.Fprintf(s.Out, "  held for %s, %d candidate requests\n", st.HeldFor, st.Requests)
	}
	for _, g := range st.Gates {
		verdict := "pass"
		if !g.Pass {
			verdict = "FAIL"
		}
		fmt.Fprintf(s.Out, "  %-22s %s  candidate %.4g  primary %.4g  limit %.4g\n", g.Gate, verdict, g.Candidate, g.Primary, g.Limit)
	}
	if st.Message != "" {
		fmt.Fprintf(s.Out, "  %s\n", st.Message)
	}
	return nil
}
