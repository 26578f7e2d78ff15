package cmd

import (
	"os"
	"os/exec"
	"path/filepath"
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
	testscript.Run(t, testscript.Params{Dir: filepath.Join("testdata", "cli")})
}

func TestAnalyzeScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{Dir: filepath.Join("testdata", "analyze"), Setup: goEnv})
}
