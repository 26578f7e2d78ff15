package cmd

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
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
	} {
		if got := exitCode(tc.err); got != tc.want {
			t.Errorf("exitCode(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}
