package pathblind

import (
	"bytes"
	"context"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const fixture = "testdata/fixture"

// goIn runs the go command in dir, outside any workspace, and fails the test on error.
func goIn(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go %s in %s: %v\n%s", strings.Join(args, " "), dir, err, out)
	}
	return string(out)
}

func blind(t *testing.T, keep ...string) (string, *Result) {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "blind")
	res, err := Blind(context.Background(), fixture, dst, keep)
	if err != nil {
		t.Fatal(err)
	}
	return dst, res
}

// TestBlindBuilds: the copy builds, vets and passes its tests (the shadowed name stays, the
// //go:embed asset is beside its package, the Linux-only file is still Linux-only).
func TestBlindBuilds(t *testing.T) {
	dst, _ := blind(t)
	goIn(t, dst, "vet", "./...")
	goIn(t, dst, "test", "./...")
	out := goIn(t, dst, "run", "./"+filepath.ToSlash(mainDir(t, dst)))
	if !strings.Contains(out, "create table orders") {
		t.Errorf("the copy's main did not print the embedded schema: %q", out)
	}
}

// mainDir finds the directory of the copy's main package.
func mainDir(t *testing.T, dst string) string {
	t.Helper()
	var found string
	filepath.WalkDir(dst, func(p string, e fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".go") && !strings.Contains(p, "testdata") {
			f, _ := parser.ParseFile(token.NewFileSet(), p, nil, parser.PackageClauseOnly)
			data, _ := os.ReadFile(p)
			if f != nil && f.Name.Name == "main" && !bytes.Contains(data, []byte("go:build ignore")) {
				found, _ = filepath.Rel(dst, filepath.Dir(p))
			}
		}
		return nil
	})
	if found == "" {
		t.Fatal("no main package in the copy")
	}
	return found
}

// TestBlindNamesAreNeutral: no directory, Go file, package clause or import path of the copy
// tells the old names, outside testdata and the assets.
func TestBlindNamesAreNeutral(t *testing.T) {
	dst, res := blind(t)
	old := regexp.MustCompile(`orders|users|store|app|cmd|export|other`)
	pkgName := regexp.MustCompile(`^(p[0-9]+(_test)?|main)$`)
	dirName := regexp.MustCompile(`^d[0-9]+$`)
	fileName := regexp.MustCompile(`^f[0-9]+(_linux)?(_test)?\.go$`)
	err := filepath.WalkDir(dst, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dst, p)
		switch {
		case rel == ".":
			return nil
		case e.IsDir() && (e.Name() == "testdata" || e.Name() == "schema"):
			return fs.SkipDir // copied as is; schema is an asset directory //go:embed names
		case e.IsDir() && !dirName.MatchString(e.Name()):
			t.Errorf("directory %s is not neutral", rel)
		case !e.IsDir() && strings.HasSuffix(p, ".go"):
			if !fileName.MatchString(e.Name()) {
				t.Errorf("file %s is not neutral", rel)
			}
			f, err := parser.ParseFile(token.NewFileSet(), p, nil, parser.ImportsOnly|parser.ParseComments)
			if err != nil {
				return err
			}
			if !pkgName.MatchString(f.Name.Name) {
				t.Errorf("%s: package %s is not neutral", rel, f.Name.Name)
			}
			for _, imp := range f.Imports {
				if strings.Contains(imp.Path.Value, "example.com/fix/") && old.MatchString(imp.Path.Value) {
					t.Errorf("%s imports %s", rel, imp.Path.Value)
				}
				if imp.Name != nil && old.MatchString(imp.Name.Name) {
					t.Errorf("%s keeps the alias %s", rel, imp.Name.Name)
				}
			}
			data, _ := os.ReadFile(p)
			if regexp.MustCompile(`(?m)^package .*import`).Match(data) {
				t.Errorf("%s keeps an import comment", rel)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The copy's packages are exactly the new paths Blind reports.
	listed := strings.Fields(goIn(t, dst, "list", "./..."))
	var want []string
	for _, p := range res.Paths {
		want = append(want, p)
	}
	slices.Sort(listed)
	slices.Sort(want)
	if !slices.Equal(listed, want) || len(want) != 4 {
		t.Errorf("go list in the copy: %v; Blind's paths: %v", listed, want)
	}
	if _, ok := res.Paths["example.com/fix/orders/store"]; !ok {
		t.Errorf("paths %v lack example.com/fix/orders/store", res.Paths)
	}
}

// TestBlindIsDeterministic: two copies are byte for byte the same.
func TestBlindIsDeterministic(t *testing.T) {
	a, _ := blind(t)
	b, _ := blind(t)
	files := func(root string) map[string]string {
		m := map[string]string{}
		filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
			if err == nil && !e.IsDir() {
				data, _ := os.ReadFile(p)
				rel, _ := filepath.Rel(root, p)
				m[rel] = string(data)
			}
			return nil
		})
		return m
	}
	fa, fb := files(a), files(b)
	if len(fa) == 0 || len(fa) != len(fb) {
		t.Fatalf("%d files and %d files", len(fa), len(fb))
	}
	for name, data := range fa {
		if fb[name] != data {
			t.Errorf("%s differs between two runs", name)
		}
	}
}

// TestBlindKeepsWhatDependenciesImport: a kept package keeps its path and package name, and its
// importers still build.
func TestBlindKeepsWhatDependenciesImport(t *testing.T) {
	dst, res := blind(t, "example.com/fix/orders/store")
	if got := res.Paths["example.com/fix/orders/store"]; !strings.HasSuffix(got, "/orders/store") {
		t.Errorf("kept package is at %s", got)
	}
	// Its parent directory keeps its name (the path goes through it), the others do not.
	if got := res.Paths["example.com/fix/orders"]; got != "example.com/fix/orders" {
		t.Errorf("the kept package's parent is at %s", got)
	}
	if got := res.Paths["example.com/fix/users"]; strings.Contains(got, "users") {
		t.Errorf("users is at %s", got)
	}
	goIn(t, dst, "vet", "./...")
	keep, err := DependencyImports(context.Background(), fixture)
	if err != nil || len(keep) != 0 {
		t.Errorf("DependencyImports on a module without dependencies: %v, %v", keep, err)
	}
}

func TestBlindBadInput(t *testing.T) {
	ctx := context.Background()
	if _, err := Blind(ctx, t.TempDir(), filepath.Join(t.TempDir(), "x"), nil); err == nil || !strings.Contains(err.Error(), "not a module root") {
		t.Errorf("no go.mod: %v", err)
	}
	full := t.TempDir()
	os.WriteFile(filepath.Join(full, "x"), nil, 0o644)
	if _, err := Blind(ctx, fixture, full, nil); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("non-empty destination: %v", err)
	}
	if _, err := Blind(ctx, fixture, filepath.Join(t.TempDir(), "x"), []string{"example.com/fix/nothing"}); err == nil || !strings.Contains(err.Error(), "not a package of module") {
		t.Errorf("keeping an unknown package: %v", err)
	}
	broken := t.TempDir()
	os.WriteFile(filepath.Join(broken, "go.mod"), []byte("module example.com/b\n"), 0o644)
	os.WriteFile(filepath.Join(broken, "b.go"), []byte("package b\nfunc {"), 0o644)
	if _, err := Blind(ctx, broken, filepath.Join(t.TempDir(), "x"), nil); err == nil || !strings.Contains(err.Error(), "b.go") {
		t.Errorf("a file that does not parse: %v", err)
	}
}

func TestBuildSuffix(t *testing.T) {
	for name, want := range map[string]string{
		"a.go":                    "",
		"a_test.go":               "_test",
		"linux.go":                "", // the part before the first underscore never constrains
		"a_linux.go":              "_linux",
		"a_amd64.go":              "_amd64",
		"a_linux_amd64.go":        "_linux_amd64",
		"a_b_linux_test.go":       "_linux_test",
		"a_windows_arm64_test.go": "_windows_arm64_test",
		"a_other.go":              "",
		"a_amd64_linux.go":        "_linux", // GOARCH_GOOS is not a pair: only the last counts
	} {
		if got := buildSuffix(name); got != want {
			t.Errorf("buildSuffix(%s) = %q, want %q", name, got, want)
		}
	}
}

func TestRewriteTruth(t *testing.T) {
	truth := map[string]string{"m/a": "x", "m/b": "shared", "m/gone": "y"}
	got, missing := RewriteTruth(truth, map[string]string{"m/a": "m/d1", "m/b": "m/d2", "m/c": "m/d3"})
	if len(got) != 2 || got["m/d1"] != "x" || got["m/d2"] != "shared" || !slices.Equal(missing, []string{"m/gone"}) {
		t.Errorf("got %v missing %v", got, missing)
	}
}
