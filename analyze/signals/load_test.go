package signals

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/carve-dev/carve/analyze/facts"
	"github.com/carve-dev/carve/analyze/load"
)

func TestLoadInputErrors(t *testing.T) {
	tmp := t.TempDir()
	file := filepath.Join(tmp, "file.go")
	if err := os.WriteFile(file, []byte("package x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	nomod := filepath.Join(tmp, "nomod")
	if err := os.MkdirAll(nomod, 0o755); err != nil {
		t.Fatal(err)
	}
	inside := filepath.Join("testdata", "shop", "orders")
	badwork := filepath.Join(tmp, "badwork")
	if err := os.MkdirAll(badwork, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(badwork, "go.work"), []byte("go 1.26\nuse (\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	nomodline := filepath.Join(tmp, "nomodline")
	if err := os.MkdirAll(nomodline, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(nomodline, "go.mod"), []byte("go 1.26\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, dir string
		want      []string // substrings of the message
	}{
		{"missing", filepath.Join(tmp, "missing"), []string{"directory does not exist", "root directory of a Go module"}},
		{"file", file, []string{"not a directory"}},
		{"no go.mod", nomod, []string{"no go.mod or go.work", "pass the root directory"}},
		{"inside a module", inside, []string{"no go.mod or go.work", "inside the module or workspace at", "testdata/shop"}},
		{"empty module", filepath.Join("testdata", "empty"), []string{"module example.com/empty has no Go packages"}},
		{"bad go.work", badwork, []string{"cannot parse go.work"}},
		{"no module line", nomodline, []string{"go.mod has no module line"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := load.Load(context.Background(), c.dir, load.LoadOptions{})
			if err == nil {
				t.Fatalf("loaded %d packages, want an error", len(m.Packages))
			}
			var ie *load.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error %T %v is not an *InputError", err, err)
			}
			msg := err.Error()
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not say %q", msg, w)
				}
			}
			if msg != strings.ToLower(msg[:1])+msg[1:] && !strings.HasPrefix(msg, "/") && !strings.HasPrefix(msg, "testdata") {
				t.Errorf("error %q does not start lower-case", msg)
			}
		})
	}
}

func TestLoadCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := load.Load(ctx, filepath.Join("testdata", "vendored"), load.LoadOptions{})
	if err == nil {
		t.Fatal("loaded with a canceled context")
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v does not wrap context.Canceled", err)
	}
	if load.IsInputError(err) {
		t.Errorf("cancellation reported as bad input: %v", err)
	}
}

// TestLoadBroken: a package that does not parse and one that does not type-check are reported
// with their errors, and the rest of the module, including what the broken packages' types
// still tell, is analysed.
func TestLoadBroken(t *testing.T) {
	m := loadFixture(t, "broken")
	infos := map[string]facts.PackageInfo{}
	for _, info := range m.Infos() {
		infos[strings.TrimPrefix(info.Path, "example.com/broken/")] = info
	}
	if len(infos) != 5 {
		t.Fatalf("got packages %v, want good, messy, syntax, typeerr, user", infos)
	}
	if len(infos["messy"].Errors) == 0 {
		t.Error("messy: no errors")
	}
	for name, want := range map[string]string{"syntax": "syntax/syntax.go:6", "typeerr": "typeerr/typeerr.go:7"} {
		errs := infos[name].Errors
		if len(errs) == 0 || !strings.HasPrefix(errs[0], want) {
			t.Errorf("%s: errors %q, want the first at %s (relative to the root)", name, errs, want)
		}
	}
	if errs := infos["typeerr"].Errors; len(errs) < 2 {
		t.Errorf("typeerr: errors %q, want both type errors", errs)
	}
	for _, name := range []string{"good", "user"} {
		if len(infos[name].Errors) != 0 {
			t.Errorf("%s: errors %q, want none", name, infos[name].Errors)
		}
	}
	f, err := Collect(context.Background(), m, Signals())
	if err != nil {
		t.Fatal(err)
	}
	const p = "example.com/broken/"
	// A type whose underlying type is invalid satisfies every interface for go/types; it must
	// not become an implements coupling.
	if d := dep(f, facts.SignalImplements, p+"messy", p+"good", false); d != nil {
		t.Errorf("implements messy → good from an invalid type: %+v", d)
	}
	if dep(f, facts.SignalTypes, p+"messy", p+"good", true) == nil {
		t.Error("types messy → good (the interface good.Greeter): missing")
	}
	var routes []string
	for _, r := range f.Routes {
		routes = append(routes, r.Method+" "+r.Pattern+" "+r.Package)
	}
	if want := []string{" /bad " + p + "messy", "GET /messy " + p + "messy"}; !reflect.DeepEqual(routes, want) {
		t.Errorf("routes %q, want %q (the undefined handler stays with the registering package)", routes, want)
	}
	for _, w := range []struct{ signal, from, to string }{
		{facts.SignalImports, "user", "typeerr"},
		{facts.SignalCalls, "user", "typeerr"},
		{facts.SignalCalls, "user", "good"},
		{facts.SignalCalls, "typeerr", "good"}, // in the same function as a call of an undefined name
		{facts.SignalState, "typeerr", "good"},
		{facts.SignalImports, "syntax", "good"},
		{facts.SignalState, "messy", "good"},
	} {
		if dep(f, w.signal, p+w.from, p+w.to, false) == nil {
			t.Errorf("%s %s → %s: missing", w.signal, w.from, w.to)
		}
	}
}

func TestLoadVendor(t *testing.T) {
	m := loadFixture(t, "vendored")
	var paths []string
	for _, p := range m.Packages {
		paths = append(paths, p.PkgPath)
	}
	if want := []string{"example.com/vendored/a", "example.com/vendored/b"}; !reflect.DeepEqual(paths, want) {
		t.Fatalf("packages %v, want %v (vendored packages are dependencies)", paths, want)
	}
	f, err := Collect(context.Background(), m, []Signal{Imports{}, Calls{}})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Deps) != 2 || dep(f, facts.SignalCalls, paths[0], paths[1], false) == nil {
		t.Errorf("deps %+v, want a → b imports and calls only", f.Deps)
	}
	// Without tests, the external test package's import of a is not seen.
	if dep(f, facts.SignalImports, paths[1], paths[0], false) != nil {
		t.Error("b → a seen without tests")
	}
}

func TestLoadTests(t *testing.T) {
	m, err := load.Load(context.Background(), filepath.Join("testdata", "vendored"), load.LoadOptions{Tests: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Packages) != 2 {
		t.Fatalf("got %d packages, want a and b (test variants replace packages)", len(m.Packages))
	}
	f, err := Collect(context.Background(), m, []Signal{Imports{}, Calls{}})
	if err != nil {
		t.Fatal(err)
	}
	// b's external test package imports and calls a: it counts for b.
	for _, s := range []string{facts.SignalImports, facts.SignalCalls} {
		if dep(f, s, "example.com/vendored/b", "example.com/vendored/a", false) == nil {
			t.Errorf("%s b → a from b_test: missing in %+v", s, f.Deps)
		}
	}
	for _, info := range f.Packages {
		if info.Files != 1 {
			t.Errorf("%s: %d files, want 1 (tests are not counted)", info.Path, info.Files)
		}
	}
}

func TestLoadWorkspace(t *testing.T) {
	m := loadFixture(t, "work")
	if !m.Workspace || !reflect.DeepEqual(m.Paths, []string{"example.com/lib", "example.com/svc"}) {
		t.Fatalf("workspace %v, modules %v", m.Workspace, m.Paths)
	}
	f, err := Collect(context.Background(), m, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(f.Modules, m.Paths) {
		t.Errorf("facts modules %v", f.Modules)
	}
	dirs := map[string]string{}
	for _, info := range f.Packages {
		dirs[info.Path] = info.Dir
	}
	want := map[string]string{"example.com/lib/util": "lib/util", "example.com/svc/api": "svc/api", "example.com/svc/cmd/svc": "svc/cmd/svc"}
	if !reflect.DeepEqual(dirs, want) {
		t.Errorf("packages %v, want %v", dirs, want)
	}
	// Couplings across the workspace's modules are couplings of the one monolith.
	for _, s := range []string{facts.SignalCalls, facts.SignalImplements, facts.SignalImports} {
		if dep(f, s, "example.com/svc/api", "example.com/lib/util", false) == nil {
			t.Errorf("%s api → util across modules: missing", s)
		}
	}
	if d := dep(f, facts.SignalCalls, "example.com/svc/api", "example.com/lib/util", false); d != nil && d.Sites[0].File != "svc/api/api.go" {
		t.Errorf("site %v, want a path relative to the workspace root", d.Sites[0])
	}
}

func TestLoadProgress(t *testing.T) {
	var (
		mu     sync.Mutex
		stages []string
		last   = map[string][2]int{}
	)
	progress := func(stage string, done, total int) {
		mu.Lock()
		defer mu.Unlock()
		if len(stages) == 0 || stages[len(stages)-1] != stage {
			stages = append(stages, stage)
		}
		last[stage] = [2]int{done, total}
	}
	m, err := load.Load(context.Background(), filepath.Join("testdata", "vendored"), load.LoadOptions{Progress: progress})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Collect(context.Background(), m, []Signal{Imports{}}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{load.StageList, load.StageDeps, load.StageTypeCheck, load.StageSignals} {
		if _, ok := last[s]; !ok {
			t.Errorf("stage %q not reported; got %v", s, stages)
		}
	}
	if tc := last[load.StageTypeCheck]; tc[0] != tc[1] || tc[1] != 2 {
		t.Errorf("type-checking ended at %d/%d, want 2/2 files", tc[0], tc[1])
	}
}

// TestCollectDeterministic: the same module gives the same facts on every run.
func TestCollectDeterministic(t *testing.T) {
	m := loadFixture(t, "shop")
	first, err := Collect(context.Background(), m, Signals())
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		again, err := Collect(context.Background(), m, Signals())
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(first, again) {
			t.Fatal("facts differ between two runs")
		}
	}
	m2, err := load.Load(context.Background(), filepath.Join("testdata", "shop"), load.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := Collect(context.Background(), m2, Signals())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(first, fresh) {
		t.Fatal("facts differ between two loads")
	}
}

func TestLookupSignal(t *testing.T) {
	for _, s := range Signals() {
		got, err := LookupSignal(s.Name())
		if err != nil || got.Name() != s.Name() || s.Doc() == "" {
			t.Errorf("LookupSignal(%q) = %v, %v", s.Name(), got, err)
		}
	}
	_, err := LookupSignal("telepathy")
	if !load.IsInputError(err) || !strings.Contains(err.Error(), "known signals: calls, cochange, data") {
		t.Errorf("unknown signal: %v", err)
	}
	for _, s := range StandardSignals() {
		if s.Name() == facts.SignalCoChange {
			t.Error("co-change runs by default")
		}
	}
}

func TestLoadMarksGeneratedPackages(t *testing.T) {
	m := loadFixture(t, "dispatch")
	gen := map[string]bool{}
	for _, info := range m.Infos() {
		gen[info.Path] = info.Generated
	}
	if !gen["example.com/dispatch/greetpb"] || gen["example.com/dispatch/iface"] {
		t.Errorf("generated: %v; want greetpb only", gen)
	}
}

// A module whose dependencies are not in the module cache gets one error that says what to do,
// not a plan built on "could not import" in every package.
func TestLoadMissingDependencies(t *testing.T) {
	t.Setenv("GOPROXY", "off") // no download: the dependency stays missing
	t.Setenv("GOFLAGS", "-mod=mod")
	_, err := load.Load(context.Background(), filepath.Join("testdata", "missingdep"), load.LoadOptions{})
	var ie *load.InputError
	if !errors.As(err, &ie) {
		t.Fatalf("Load = %v, want an *InputError", err)
	}
	for _, want := range []string{"github.com/nonexistent-org/nolib", "go mod download"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}
