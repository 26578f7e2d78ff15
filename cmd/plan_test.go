package cmd

import (
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestPlanScripts runs the carve plan scripts: generated configs pass carve proxy validate and
// carve sync validate, bad input exits 2.
func TestPlanScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: filepath.Join("testdata", "plan"),
		Setup: func(env *testscript.Env) error {
			shop, err := filepath.Abs(filepath.Join("..", "samples", "shop"))
			if err != nil {
				return err
			}
			env.Setenv("SHOP", shop)
			return goEnv(env)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){"exitcode": exitcodeCmd},
	})
}
