package cmd

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/carve-dev/carve/internal/awsclient"
)

// Exit codes, documented in `carve help exit-codes`.
const (
	exitOK      = 0
	exitFailure = 1
	exitInput   = 2
	exitDiffers = 3
)

// usageError marks bad usage or bad input (exit 2): a wrong flag, a missing file, a config or
// module that cannot be used. The message says what to fix. It is made where the mistake is
// found — the flag error function, the argument validators (args.go), the commands' checks —
// never recognised afterwards by its text.
type usageError struct {
	err error
	// cmd is the command whose --help the report points to, for a command line cobra could
	// not take (unknown command or flag, a bad flag value, the wrong number of arguments);
	// empty when the message itself says what to do.
	cmd string
}

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// inputErr wraps err as bad input (exit 2).
func inputErr(err error) error {
	if err == nil {
		return nil
	}
	return usageError{err: err}
}

// differsError reports that a check ran and found a difference (exit 3): drift, a mismatch.
type differsError struct{ err error }

func (e differsError) Error() string { return e.err.Error() }
func (e differsError) Unwrap() error { return e.err }

// exitCode maps an error returned by a command to the process exit code.
func exitCode(err error) int {
	var ue usageError
	var de differsError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &de):
		return exitDiffers
	case errors.As(err, &ue):
		return exitInput
	case errors.Is(err, awsclient.ErrNoRegion):
		return exitInput // the config or the environment lacks a region: theirs to fix
	default:
		return exitFailure
	}
}

// reportError prints err for the operator and returns the exit code.
func reportError(w io.Writer, err error) int {
	code := exitCode(err)
	if err == nil {
		return code
	}
	fmt.Fprintf(w, "carve: %v\n", err)
	if ue := (usageError{}); errors.As(err, &ue) && ue.cmd != "" {
		fmt.Fprintf(w, "Run '%s --help' for usage.\n", ue.cmd)
	}
	return code
}

func newExitCodesTopic() *cobra.Command {
	return &cobra.Command{
		Use:   "exit-codes",
		Short: "What carve's exit codes mean",
		Long: `carve exits with:

  0  success
  1  failure: something went wrong while running (a service unreachable, a write failed)
  2  bad usage or bad input: an unknown flag, a path that does not exist, a module that
     cannot be loaded, an invalid config, plan or truth file, no AWS region for a client;
     the message says what to fix
  3  a check ran and found a difference: 'carve sync verify' found drift,
     'carve analyze --truth' with --min-ari found a decomposition below the bar

Errors are printed to stderr as "carve: <what failed>: <why>"; stdout carries only data.`,
	}
}
