package signals

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/carve-dev/carve/analyze/facts"
	"github.com/carve-dev/carve/analyze/load"
)

func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// The facts key changes with every input the facts derive from and with nothing else.
func TestFactsKey(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	mod := filepath.Join(root, "mod")
	lib := filepath.Join(root, "lib")
	writeTree(t, mod, map[string]string{
		"go.mod":        "module example.com/m\n\ngo 1.22\n\nrequire example.com/lib v0.0.0\n\nreplace example.com/lib => ../lib\n",
		"a/a.go":        "package a\n",
		"b/b.go":        "package b\n",
		"b/b_test.go":   "package b\n",
		"testdata/x.go": "package x\n",
		"README.md":     "docs\n",
	})
	writeTree(t, lib, map[string]string{"go.mod": "module example.com/lib\n\ngo 1.22\n", "lib.go": "package lib\n"})
	key := func(opts load.LoadOptions, signals []Signal) string {
		t.Helper()
		k, err := FactsKey(ctx, mod, opts, signals)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	base := key(load.LoadOptions{}, nil)
	if base == "" || key(load.LoadOptions{}, nil) != base {
		t.Fatal("the key of an unchanged tree is not stable")
	}
	// Files the go command does not read for the packages leave the key alone.
	writeTree(t, mod, map[string]string{"README.md": "other docs\n", "testdata/x.go": "package y\n"})
	if key(load.LoadOptions{}, nil) != base {
		t.Error("a README or testdata change changed the key")
	}
	for _, c := range []struct {
		what string
		dir  string
		file string
		body string
	}{
		{"a Go file", mod, "a/a.go", "package a\n\nvar X = 1\n"},
		{"a test file", mod, "b/b_test.go", "package b\n\nfunc f() {}\n"},
		{"go.mod", mod, "go.mod", "module example.com/m\n\ngo 1.23\n\nrequire example.com/lib v0.0.0\n\nreplace example.com/lib => ../lib\n"},
		{"go.sum", mod, "go.sum", "example.com/x v1.0.0 h1:abc=\n"},
		{"a new package", mod, "c/c.go", "package c\n"},
		{"the replaced directory", lib, "lib.go", "package lib\n\nconst V = 2\n"},
	} {
		before := key(load.LoadOptions{}, nil)
		writeTree(t, c.dir, map[string]string{c.file: c.body})
		if key(load.LoadOptions{}, nil) == before {
			t.Errorf("changing %s left the key unchanged", c.what)
		}
	}
	now := key(load.LoadOptions{}, nil)
	if key(load.LoadOptions{Tests: true}, nil) == now {
		t.Error("--tests left the key unchanged")
	}
	if key(load.LoadOptions{BuildFlags: []string{"-tags=x"}}, nil) == now {
		t.Error("build flags left the key unchanged")
	}
	if key(load.LoadOptions{}, []Signal{Imports{}}) == now {
		t.Error("another set of signals left the key unchanged")
	}
	if k := key(load.LoadOptions{}, []Signal{Imports{}, CoChange{}}); k != "" {
		t.Errorf("with cochange (git history) the facts must not be cached, got key %s", k)
	}
	if _, err := FactsKey(ctx, filepath.Join(root, "nothing"), load.LoadOptions{}, nil); err == nil {
		t.Error("a directory without go.mod has a key")
	}
}

func TestFactsCacheRoundTripAndTrim(t *testing.T) {
	c := &FactsCache{Dir: filepath.Join(t.TempDir(), "facts"), Keep: 2}
	if c.Get("k0") != nil {
		t.Fatal("an empty cache returned facts")
	}
	f := &facts.Facts{Modules: []string{"example.com/m"}, Root: "/src/m",
		Packages: []facts.PackageInfo{{Path: "example.com/m/a", Name: "a", Files: 2, Lines: 40, Errors: []string{"a.go:3: oops"}}},
		Deps:     []facts.Dep{{From: "example.com/m/a", To: "example.com/m/b", Signal: facts.SignalCalls, Count: 3, Sites: []facts.Site{{File: "a/a.go", Line: 7}}}},
		Tables:   []facts.TableUse{{Package: "example.com/m/a", Table: "orders", Store: "dynamodb", Access: facts.ReadWrite, KeyPrefixes: []string{"ORDER#"}, KeyAttributes: map[string][]string{"ORDER#": {"pk"}}}},
		Routes:   []facts.RouteDecl{{Package: "example.com/m/a", Method: "GET", Pattern: "/orders/{id}", Router: "net/http"}},
	}
	for i, k := range []string{"k1", "k2", "k3"} {
		if err := c.Put(k, f); err != nil {
			t.Fatal(err)
		}
		// Distinct modification times, oldest first.
		old := time.Now().Add(time.Duration(i-10) * time.Minute)
		os.Chtimes(filepath.Join(c.Dir, k+".facts"), old, old)
	}
	if err := c.Put("k4", f); err != nil {
		t.Fatal(err)
	}
	if got := c.Get("k4"); !reflect.DeepEqual(got, f) {
		t.Fatalf("round trip: got %+v, want %+v", got, f)
	}
	if c.Get("k1") != nil || c.Get("k2") != nil || c.Get("k3") == nil {
		t.Error("trim did not keep the two newest entries")
	}
	os.WriteFile(filepath.Join(c.Dir, "k3.facts"), []byte("not gob"), 0o644)
	if c.Get("k3") != nil {
		t.Error("a corrupt entry was returned")
	}
	var none *FactsCache
	if none.Get("k4") != nil || none.Put("k4", f) != nil {
		t.Error("a nil cache is not a no-op")
	}
}
