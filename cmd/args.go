package cmd

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

// The argument validators and required-flag check of every command. Each returns a usageError
// where the mistake is found; cobra's own validators return plain errors that only their text
// would tell apart from a failure.

// usage is the usage error of c: the message, and a pointer to c's --help.
func usage(c *cobra.Command, format string, a ...any) error {
	return usageError{err: fmt.Errorf(format, a...), cmd: c.CommandPath()}
}

// noArgs refuses positional arguments.
func noArgs(c *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usage(c, "%s takes no arguments; got %q", c.CommandPath(), args[0])
	}
	return nil
}

// exactArgs requires n positional arguments; want says what they are.
func exactArgs(n int, want string) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) != n {
			return usage(c, "%s takes %s; got %d argument(s)", c.CommandPath(), want, len(args))
		}
		return nil
	}
}

// maxArgs allows at most n positional arguments; want says what they are.
func maxArgs(n int, want string) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) > n {
			return usage(c, "%s takes %s; got %d arguments", c.CommandPath(), want, len(args))
		}
		return nil
	}
}

// minArgs requires at least n positional arguments; want says what they are.
func minArgs(n int, want string) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) < n {
			return usage(c, "%s takes %s; got %d argument(s)", c.CommandPath(), want, len(args))
		}
		return nil
	}
}

// requireFlags is a PreRunE that reports the flags among names that were not given, as bad
// usage (exit 2). cobra's MarkFlagRequired is not used: its error is a plain one.
func requireFlags(names ...string) func(*cobra.Command, []string) error {
	return func(c *cobra.Command, _ []string) error {
		var missing []string
		for _, n := range names {
			if !c.Flags().Changed(n) {
				missing = append(missing, "--"+n)
			}
		}
		if len(missing) > 0 {
			return inputErr(fmt.Errorf("%s: missing %s: see %s --help", c.CommandPath(), strings.Join(missing, ", "), c.CommandPath()))
		}
		return nil
	}
}
