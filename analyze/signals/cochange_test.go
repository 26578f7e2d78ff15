package signals

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/carve-dev/carve/analyze/facts"
	"github.com/carve-dev/carve/analyze/load"
)

// TestCoChange builds a git repository with a module of three packages and a history where a
// and b change together twice, a and c once, and one large commit touches everything.
// Long on purpose: the git history it builds is part of the test, commit by commit.
func TestCoChange(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	root := t.TempDir()
	dir := filepath.Join(root, "mod") // the module is a subdirectory of the repository
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
			"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_GLOBAL=/dev/null")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	n := 0
	write := func(rel string) {
		t.Helper()
		n++
		path := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		pkg := filepath.Base(filepath.Dir(path))
		if filepath.Dir(rel) == "." {
			pkg = "x"
		}
		src := fmt.Sprintf("package %s\n\nconst V%d = %d\n", pkg, n, n)
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	commit := func(files ...string) {
		t.Helper()
		for _, f := range files {
			write(f)
		}
		git("add", "-A")
		git("commit", "-q", "-m", fmt.Sprint(files))
	}
	git("init", "-q")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/co\n\ngo 1.26\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	commit("a/a.go", "b/b.go", "c/c.go")
	commit("a/a.go", "b/b.go")
	commit("a/a2.go", "b/b.go", "README.md")
	commit("a/a.go", "c/c.go")
	var big []string
	for i := range 60 {
		big = append(big, fmt.Sprintf("c/gen%d.go", i))
	}
	commit(append(big, "a/a.go", "b/b.go")...) // too large: skipped

	m, err := load.Load(context.Background(), dir, load.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		signal CoChange
		want   []depWant
	}{
		{"defaults", CoChange{}, []depWant{
			{from: "a", to: "b", count: 3}, // the first commit, two more, not the large one
			{from: "a", to: "c", count: 2},
			{from: "b", to: "c"}, // once only: under MinShared
			{from: "b", to: "a"}, // one Dep per pair, From < To
		}},
		{"min shared 1", CoChange{MinShared: 1}, []depWant{
			{from: "a", to: "b", count: 3},
			{from: "b", to: "c", count: 1},
		}},
		{"large commits allowed", CoChange{MaxFiles: 100}, []depWant{
			{from: "a", to: "b", count: 4},
			{from: "b", to: "c", count: 2},
		}},
		{"last two commits", CoChange{MaxCommits: 2, MaxFiles: 100, MinShared: 1}, []depWant{
			{from: "a", to: "b", count: 1},
			{from: "a", to: "c", count: 2},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := Collect(context.Background(), m, []Signal{c.signal})
			if err != nil {
				t.Fatal(err)
			}
			checkDeps(t, f, facts.SignalCoChange, "example.com/co/", c.want)
		})
	}

	// Outside a git repository the signal says nothing, and is no error.
	plain := t.TempDir()
	for name, src := range map[string]string{"go.mod": "module example.com/plain\n\ngo 1.26\n", "p/p.go": "package p\n"} {
		path := filepath.Join(plain, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	pm, err := load.Load(context.Background(), plain, load.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f, err := Collect(context.Background(), pm, []Signal{CoChange{MinShared: 1}})
	if err != nil || len(f.Deps) != 0 {
		t.Errorf("outside git: deps %v, error %v; want none", f, err)
	}
}
