package cmd

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// goEnv gives scripts that run carve analyze (which runs the go command) a working Go
// environment: testscript starts from an empty one.
func goEnv(env *testscript.Env) error {
	for _, k := range []string{"GOCACHE", "GOMODCACHE", "GOPATH", "GOROOT"} {
		out, err := exec.Command("go", "env", k).Output()
		if err != nil {
			return err
		}
		env.Setenv(k, strings.TrimSpace(string(out)))
	}
	// Each script has a facts cache of its own, so that repeated analyses in a script run
	// through it.
	env.Setenv("CARVE_CACHE_DIR", filepath.Join(env.WorkDir, ".carve-cache"))
	env.Setenv("GOPROXY", "off")
	env.Setenv("GOTOOLCHAIN", "local")
	env.Setenv("PATH", filepath.Dir(goBinary())+string(os.PathListSeparator)+os.Getenv("PATH"))
	return nil
}

func goBinary() string {
	p, err := exec.LookPath("go")
	if err != nil {
		return "go"
	}
	return p
}

func TestCLIScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{Dir: filepath.Join("testdata", "cli"),
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){"exitcode": exitcodeCmd}})
}

// exitcodeCmd is the script command "exitcode N ARGS...": run carve ARGS as a process and
// require exit code N.
func exitcodeCmd(ts *testscript.TestScript, neg bool, args []string) {
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
}

func TestAnalyzeScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{Dir: filepath.Join("testdata", "analyze"), Setup: goEnv})
}
