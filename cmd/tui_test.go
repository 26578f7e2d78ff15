package cmd

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

func TestTUIScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{Dir: filepath.Join("testdata", "tui")})
}

// TestTUIExitCodes checks that bad input to carve tui exits 2, as 'carve help exit-codes' says.
func TestTUIExitCodes(t *testing.T) {
	good := filepath.Join("..", "tui", "testdata", "shop.plan.json")
	for _, args := range [][]string{
		{"tui", "--plan", "does-not-exist.json"},
		{"tui", "no-such-dir"},
		{"tui", "--plan", good}, // stdout is a buffer, not a terminal
	} {
		var out, errb bytes.Buffer
		if code := Main(args, Streams{In: strings.NewReader(""), Out: &out, Err: &errb}); code != exitInput {
			t.Errorf("carve %s: exit %d, want %d (stderr %q)", strings.Join(args, " "), code, exitInput, errb.String())
		}
		if out.Len() != 0 {
			t.Errorf("carve %s wrote to stdout: %q", strings.Join(args, " "), out.String())
		}
	}
}
