package cmd

import (
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain registers the carve command for testscript scripts: a script runs `carve ...` in
// process through Main. Every command's script runner in this package shares it; add a
// Test<Command>Scripts function with its own testdata directory instead of another TestMain.
func TestMain(m *testing.M) {
	// Tests never write to the user's facts cache: scripts that analyse get one in their work
	// directory (goEnv), everything else runs without.
	if os.Getenv("CARVE_CACHE_DIR") == "" {
		os.Setenv("CARVE_CACHE_DIR", "off")
	}
	testscript.Main(m, map[string]func(){
		"carve": func() { os.Exit(Main(os.Args[1:], Streams{os.Stdin, os.Stdout, os.Stderr})) },
	})
}
