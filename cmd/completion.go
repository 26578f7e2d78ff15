package cmd

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/carve-dev/carve/analyze/plan"
	"github.com/carve-dev/carve/analyze/render"
	"github.com/carve-dev/carve/strangler"
)

func newCompletionCmd(s Streams) *cobra.Command {
	return &cobra.Command{
		Use:   "completion bash|zsh|fish|powershell",
		Short: "Print a shell completion script",
		Long: `Print a completion script for your shell. For example:

  source <(carve completion bash)
  carve completion zsh > "${fpath[1]}/_carve"
  carve completion fish > ~/.config/fish/completions/carve.fish`,
		Args:      exactArgs(1, "one shell: bash, zsh, fish or powershell"),
		ValidArgs: []string{"bash", "zsh", "fish", "powershell"},
		RunE: func(c *cobra.Command, args []string) error {
			return runCompletion(c.Context(), s, &completionOptions{shell: args[0], scripts: c.Root()})
		},
	}
}

// completionScripts is the part of the command tree that writes completion scripts.
type completionScripts interface {
	GenBashCompletionV2(w io.Writer, includeDesc bool) error
	GenZshCompletion(w io.Writer) error
	GenFishCompletion(w io.Writer, includeDesc bool) error
	GenPowerShellCompletionWithDesc(w io.Writer) error
}

type completionOptions struct {
	shell   string
	scripts completionScripts
}

func runCompletion(_ context.Context, s Streams, o *completionOptions) error {
	switch o.shell {
	case "bash":
		return o.scripts.GenBashCompletionV2(s.Out, true)
	case "zsh":
		return o.scripts.GenZshCompletion(s.Out)
	case "fish":
		return o.scripts.GenFishCompletion(s.Out, true)
	case "powershell":
		return o.scripts.GenPowerShellCompletionWithDesc(s.Out)
	default:
		return inputErr(fmt.Errorf("completion: unknown shell %q: use bash, zsh, fish or powershell", o.shell))
	}
}

// registerCompletions gives shell completion its values: output formats, plan, config and
// truth files, and the services of the plan a command names with --plan.
func registerCompletions(root *cobra.Command) {
	files := func(exts ...string) cobra.CompletionFunc {
		return func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
			return exts, cobra.ShellCompDirectiveFilterFileExt
		}
	}
	fixed := func(values ...string) cobra.CompletionFunc {
		return func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
			return values, cobra.ShellCompDirectiveNoFileComp
		}
	}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			walk(sub)
		}
		register := func(flag string, fn cobra.CompletionFunc) {
			if c.Flags().Lookup(flag) != nil {
				_ = c.RegisterFlagCompletionFunc(flag, fn) // only fails for an unknown flag
			}
		}
		switch c.CommandPath() {
		case "carve analyze":
			register("output", fixed(render.Formats...))
		case "carve plan diff":
			register("output", fixed("text", "json"))
			c.ValidArgsFunction = files("json")
		case "carve proxy weights":
			register("output", fixed("text", "json"))
			c.ValidArgsFunction = completeWeights
		case "carve proxy diff":
			register("output", fixed("text", "json"))
			c.ValidArgsFunction = completeRoute(0)
		case "carve proxy rollout":
			register("output", fixed("text", "json"))
			c.ValidArgs, c.ValidArgsFunction = nil, completeRollout // cobra ignores the function while ValidArgs is set
		case "carve proxy validate":
			register("output", fixed("text", "json"))
			c.ValidArgsFunction = files("yaml", "yml")
		default:
			register("output", fixed("text", "json"))
		}
		register("plan", files("json"))
		register("truth", files("json"))
		register("config", files("yaml", "yml"))
		register("service", servicesOfPlan)
	}
	walk(root)
}

// servicesOfPlan completes --service with the services of the plan --plan names.
func servicesOfPlan(c *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	f := c.Flags().Lookup("plan")
	if f == nil || f.Value.String() == "" {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	p, err := plan.ReadFile(f.Value.String())
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []cobra.Completion
	for _, s := range p.Services {
		if strings.HasPrefix(s.Name, toComplete) {
			out = append(out, cobra.CompletionWithDesc(s.Name, fmt.Sprintf("%d packages, %d routes", len(s.Packages), len(s.Routes))))
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// runningWeights asks the running proxy the --admin flag names for its routes and their
// weights (with the token of --token-env), giving up quietly after a second.
func runningWeights(c *cobra.Command) (map[string]map[string]int, bool) {
	admin, tokenEnv := c.Flags().Lookup("admin"), c.Flags().Lookup("token-env")
	if admin == nil || tokenEnv == nil {
		return nil, false
	}
	client, err := strangler.NewAdminClient(admin.Value.String(), os.Getenv(tokenEnv.Value.String()), nil)
	if err != nil {
		return nil, false
	}
	ctx, cancel := context.WithTimeout(c.Context(), time.Second)
	defer cancel()
	weights, err := client.AllWeights(ctx)
	return weights, err == nil
}

// routeNames completes a route name from the running proxy's routes.
func routeNames(c *cobra.Command, toComplete string) []cobra.Completion {
	weights, _ := runningWeights(c)
	var out []cobra.Completion
	for _, route := range slices.Sorted(maps.Keys(weights)) {
		if strings.HasPrefix(route, toComplete) {
			out = append(out, route)
		}
	}
	return out
}

// completeRoute completes the argument at index at with the running proxy's routes.
func completeRoute(at int) cobra.CompletionFunc {
	return func(c *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) != at {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return routeNames(c, toComplete), cobra.ShellCompDirectiveNoFileComp
	}
}

// completeRollout completes 'carve proxy rollout': the action, then the route.
func completeRollout(c *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) == 0 {
		return []cobra.Completion{"status", "pause", "resume", "abort"}, cobra.ShellCompDirectiveNoFileComp
	}
	return completeRoute(1)(c, args, toComplete)
}

// completeWeights completes 'carve proxy weights': the routes of the running proxy, then
// UPSTREAM= for the chosen route's upstreams.
func completeWeights(c *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) == 0 {
		return routeNames(c, toComplete), cobra.ShellCompDirectiveNoFileComp
	}
	weights, _ := runningWeights(c)
	var out []cobra.Completion
	for _, up := range slices.Sorted(maps.Keys(weights[args[0]])) {
		if strings.HasPrefix(up+"=", toComplete) || strings.HasPrefix(toComplete, up+"=") {
			out = append(out, cobra.CompletionWithDesc(up+"=", fmt.Sprintf("now %d", weights[args[0]][up])))
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
}
