package cmd

import (
	"fmt"
	"os"
	"os/exec"
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
			grpc, err := frameworkFixture("grpc")
			if err != nil {
				return err
			}
			env.Setenv("GRPCAPP", grpc)
			return goEnv(env)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){"exitcode": exitcodeCmd},
	})
}

// frameworkFixture returns the directory of a framework fixture of the routes signal, its
// dependencies downloaded (the scripts run with GOPROXY=off).
func frameworkFixture(name string) (string, error) {
	dir, err := filepath.Abs(filepath.Join("..", "analyze", "signals", "testdata", "frameworks", name))
	if err != nil {
		return "", err
	}
	cmd := exec.Command("go", "mod", "download")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go mod download in %s (the fixture needs the Go module proxy): %w\n%s", dir, err, out)
	}
	return dir, nil
}
