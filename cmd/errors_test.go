package cmd

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/carve-dev/carve/internal/awsclient"
)

func TestExitCodes(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want int
	}{
		{[]string{"version"}, exitOK},
		{[]string{"help", "exit-codes"}, exitOK},
		{[]string{"frobnicate"}, exitInput},
		{[]string{"version", "--bogus"}, exitInput},
		{[]string{"version", "extra"}, exitInput},
		{[]string{"completion", "tcsh"}, exitInput},
		{[]string{"analyze", "/nonexistent/carve/path"}, exitInput},
		{[]string{"analyze", t.TempDir()}, exitInput}, // no go.mod
		{[]string{"analyze", ".", "-o", "yaml"}, exitInput},
		{[]string{"analyze", ".", "--services", "-2"}, exitInput},
		{[]string{"analyze", ".", "--truth", "/nonexistent/truth.json"}, exitInput},
		{[]string{"analyze", ".", "--min-ari", "0.5"}, exitInput}, // needs --truth
		// Every way cobra can refuse a command line, typed where it is found (args.go, the flag
		// error function, guardGroups), none recognised by its text.
		{[]string{"analyze", "--services", "many"}, exitInput},                     // invalid flag value
		{[]string{"analyze", "--services"}, exitInput},                             // flag needs an argument
		{[]string{"analyze", "-Z"}, exitInput},                                     // unknown shorthand
		{[]string{"analyze", "a", "b"}, exitInput},                                 // too many arguments
		{[]string{"proxy", "weights"}, exitInput},                                  // too few
		{[]string{"proxy", "rollout", "status"}, exitInput},                        // not exactly two
		{[]string{"sync", "run"}, exitInput},                                       // a required flag missing
		{[]string{"plan", "report"}, exitInput},                                    // the same, another command
		{[]string{"plan", "frobnicate"}, exitInput},                                // unknown subcommand of a group
		{[]string{"proxy", "validate", "a.yaml", "--config", "b.yaml"}, exitInput}, // the config twice
	} {
		var out, errOut bytes.Buffer
		if got := Main(tc.args, Streams{In: &bytes.Buffer{}, Out: &out, Err: &errOut}); got != tc.want {
			t.Errorf("carve %v: exit %d, want %d (stderr: %s)", tc.args, got, tc.want, errOut.String())
		}
	}
}

func TestExitCodeMapping(t *testing.T) {
	base := errors.New("boom")
	for _, tc := range []struct {
		err  error
		want int
	}{
		{nil, exitOK},
		{base, exitFailure},
		{inputErr(base), exitInput},
		{fmt.Errorf("wrapped: %w", inputErr(base)), exitInput},
		{differsError{base}, exitDiffers},
		{fmt.Errorf("wrapped: %w", differsError{base}), exitDiffers},
		{fmt.Errorf("sync: %w", awsclient.ErrNoRegion), exitInput},
		// A failure whose text reads like a usage error is still a failure: no message matching.
		{errors.New(`unknown command "x" for "carve"; required flag(s) "config" not set`), exitFailure},
	} {
		if got := exitCode(tc.err); got != tc.want {
			t.Errorf("exitCode(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}

// A usage error found on the command line points to the command's help; bad input whose message
// says what to do does not.
func TestUsageHint(t *testing.T) {
	for _, tc := range []struct {
		args []string
		hint string
	}{
		{[]string{"frobnicate"}, "Run 'carve --help' for usage."},
		{[]string{"version", "extra"}, "Run 'carve version --help' for usage."},
		{[]string{"plan", "diff", "--bogus"}, "Run 'carve plan diff --help' for usage."},
		{[]string{"proxy", "rollout", "status"}, "Run 'carve proxy rollout --help' for usage."},
		{[]string{"analyze", "/nonexistent/carve/path"}, ""},
	} {
		var out, errOut bytes.Buffer
		Main(tc.args, Streams{In: &bytes.Buffer{}, Out: &out, Err: &errOut})
		got := ""
		if _, after, ok := strings.Cut(errOut.String(), "\nRun "); ok {
			got = "Run " + strings.TrimSpace(after)
		}
		if got != tc.hint {
			t.Errorf("carve %v: hint %q, want %q (stderr %q)", tc.args, got, tc.hint, errOut.String())
		}
	}
}
