// Package cmd is the carve command line: one file per command, each turning flags into a library
// call and rendering its result. It is the only package that knows about flags, files and exit
// codes.
package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
)

// Streams are the standard streams a command reads and writes; tests pass buffers.
type Streams struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
}

// Main runs the carve command line with args (without the program name) and returns the process
// exit code documented in `carve help exit-codes`.
func Main(args []string, s Streams) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRootCmd(s)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	return reportError(s.Err, err)
}

func newRootCmd(s Streams) *cobra.Command {
	root := &cobra.Command{
		Use:   "carve",
		Short: "Take a Go monolith to services on AWS, one safe step at a time",
		Long: `carve maps the coupling of a Go monolith and proposes service boundaries (analyze),
lets you reshape them (tui), shifts live routes to new services (proxy) and keeps the
split data stores consistent while both sides run (sync). The parts share one contract,
the plan: a versioned JSON document written by analyze.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       versionString(),
	}
	root.SetVersionTemplate("carve {{.Version}}\n")
	root.SetIn(s.In)
	root.SetOut(s.Out)
	root.SetErr(s.Err)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		// "carve plan reprot --plan x": the unknown command is the mistake, not the flag.
		if args := c.Flags().Args(); c.HasSubCommands() && len(args) > 0 {
			return unknownCommand(c, args[0])
		}
		return usageError{err: err, cmd: c.CommandPath()}
	})
	root.AddCommand(
		newAnalyzeCmd(s),
		newTUICmd(s),
		newProxyCmd(s),
		newSyncCmd(s),
		newPlanCmd(s),
		newVersionCmd(s),
		newCompletionCmd(s),
		newExitCodesTopic(),
	)
	root.CompletionOptions.DisableDefaultCmd = true
	root.SetHelpCommand(newHelpCmd(root))
	guardGroups(root)
	registerCompletions(root)
	return root
}

// guardGroups makes carve and every command that only groups subcommands (carve plan, carve
// proxy, ...) refuse an unknown subcommand with exit 2 and a suggestion; cobra would print the
// help and exit 0 for a group, and return an error only its text tells apart for the root.
func guardGroups(c *cobra.Command) {
	for _, sub := range c.Commands() {
		guardGroups(sub)
	}
	if c.HasSubCommands() && !c.Runnable() {
		c.Args = cobra.ArbitraryArgs
		c.RunE = func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				return c.Help()
			}
			return unknownCommand(c, args[0])
		}
	}
}

// unknownCommand is the usage error for an unknown subcommand of c, with the subcommands whose
// names are close to name.
func unknownCommand(c *cobra.Command, name string) error {
	msg := fmt.Sprintf("unknown command %q for %q", name, c.CommandPath())
	if c.SuggestionsMinimumDistance <= 0 {
		c.SuggestionsMinimumDistance = 2 // cobra's default, which it applies to the root only
	}
	if s := c.SuggestionsFor(name); len(s) > 0 {
		msg += "; did you mean " + strings.Join(s, " or ") + "?"
	}
	return usageError{err: errors.New(msg), cmd: c.CommandPath()}
}

// newHelpCmd is 'carve help [command]', which refuses an unknown topic (cobra's own prints a
// line and exits 0).
func newHelpCmd(root *cobra.Command) *cobra.Command {
	return &cobra.Command{
		Use:   "help [command]",
		Short: "Help about any command",
		RunE: func(c *cobra.Command, args []string) error {
			target, rest, err := root.Find(args)
			if err != nil || len(rest) > 0 {
				parent := target
				if parent == nil {
					parent = root
				}
				name := strings.Join(args, " ")
				if len(rest) > 0 {
					name = rest[0]
				}
				return unknownCommand(parent, name)
			}
			return target.Help()
		},
		ValidArgsFunction: func(c *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			var out []cobra.Completion
			for _, sub := range root.Commands() {
				if sub.IsAvailableCommand() && strings.HasPrefix(sub.Name(), toComplete) {
					out = append(out, sub.Name())
				}
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		},
	}
}
