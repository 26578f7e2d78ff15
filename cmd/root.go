// Package cmd is the carve command line: one file per command, each turning flags into a library
// call and rendering its result. It is the only package that knows about flags, files and exit
// codes.
package cmd

import (
	"context"
	"io"
	"os"
	"os/signal"
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
	}
	root.SetIn(s.In)
	root.SetOut(s.Out)
	root.SetErr(s.Err)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
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
	return root
}
