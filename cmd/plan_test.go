package cmd

import (
	"errors"
	"os/exec"
	"path/filepath"
	"strconv"
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
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			// exitcode N ARGS...: run carve ARGS as a process and require exit code N.
			"exitcode": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) < 2 {
					ts.Fatalf("usage: exitcode N ARGS...")
				}
				want, err := strconv.Atoi(args[0])
				ts.Check(err)
				got := 0
				if err := ts.Exec("carve", args[1:]...); err != nil {
					var ee *exec.ExitError
					if !errors.As(err, &ee) {
						ts.Fatalf("carve: %v", err)
					}
					got = ee.ExitCode()
				}
				if got != want {
					ts.Fatalf("carve: exit %d, want %d", got, want)
				}
			},
		},
	})
}
