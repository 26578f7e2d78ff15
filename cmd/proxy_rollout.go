package cmd

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/carve-dev/carve/strangler"
)

type proxyDiffOptions struct {
	adminFlags
	route string
	top   int
}

func newProxyDiffCmd(s Streams) *cobra.Command {
	o := &proxyDiffOptions{}
	c := &cobra.Command{
		Use:   "diff ROUTE",
		Short: "Print a route's shadow traffic differences on a running proxy",
		Long: `Print how many shadow copies of ROUTE were compared and how many differed, the fields
that differ most often with an example request and both answers each (credentials redacted),
and the fields learned as noise (they differ between two answers of the primary too, such as
timestamps, and are ignored). The route needs shadow: in the proxy config.`,
		Args: exactArgs(1, "one route"),
		RunE: func(c *cobra.Command, args []string) error {
			o.route = args[0]
			return runProxyDiff(c.Context(), s, o)
		},
	}
	o.register(c)
	c.Flags().IntVar(&o.top, "top", 10, "number of fields to print")
	return c
}

func runProxyDiff(ctx context.Context, s Streams, o *proxyDiffOptions) error {
	admin, err := o.client()
	if err != nil {
		return err
	}
	if o.top < 1 {
		return inputErr(fmt.Errorf("bad --top %d: give a positive number of fields", o.top))
	}
	r, err := admin.Diff(ctx, o.route, o.top)
	if err != nil {
		return adminErr(err)
	}
	if o.output == "json" {
		return printJSON(s.Out, r)
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

type proxyRolloutOptions struct {
	adminFlags
	action string
	route  string
}

func newProxyRolloutCmd(s Streams) *cobra.Command {
	o := &proxyRolloutOptions{}
	c := &cobra.Command{
		Use:   "rollout status|pause|resume|abort ROUTE",
		Short: "Show or steer a route's automatic rollout on a running proxy",
		Long: `status prints the rollout of ROUTE: its state, the candidate's percentage, the steps,
and the gates of the last hold with their figures. pause stops stepping (the weights stay);
resume goes on (after a rollback, to the next step); abort sets the candidate's weight to 0.
In fleet mode one replica steps (leader: true in status): send pause, resume and abort to it.`,
		Args:      exactArgs(2, "an action (status, pause, resume or abort) and a route"),
		ValidArgs: []string{"status", "pause", "resume", "abort"},
		RunE: func(c *cobra.Command, args []string) error {
			o.action, o.route = args[0], args[1]
			return runProxyRollout(c.Context(), s, o)
		},
	}
	o.register(c)
	return c
}

func runProxyRollout(ctx context.Context, s Streams, o *proxyRolloutOptions) error {
	admin, err := o.client()
	if err != nil {
		return err
	}
	var st strangler.RolloutStatus
	switch o.action {
	case "status":
		st, err = admin.Rollout(ctx, o.route)
	case "pause", "resume", "abort":
		st, err = admin.ControlRollout(ctx, o.route, o.action)
	default:
		return inputErr(fmt.Errorf("unknown rollout action %q: use status, pause, resume or abort", o.action))
	}
	if err != nil {
		return adminErr(err)
	}
	if o.output == "json" {
		return printJSON(s.Out, st)
	}
	writeRolloutStatus(s, st)
	return nil
}

func writeRolloutStatus(s Streams, st strangler.RolloutStatus) {
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
}
