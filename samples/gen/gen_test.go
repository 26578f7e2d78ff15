package gen

import (
	"bytes"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// generate writes a monolith into a fresh temporary directory.
func generate(t *testing.T, o Options) (string, *Result) {
	t.Helper()
	dir := t.TempDir()
	res, err := Generate(dir, o)
	if err != nil {
		t.Fatalf("Generate(%+v): %v", o, err)
	}
	return dir, res
}

// goCmd runs the go command in dir, isolated from any enclosing workspace.
func goCmd(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local", "GOPROXY=off")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go %s in %s: %v\n%s", strings.Join(args, " "), dir, err, out)
	}
}

func TestGeneratedModuleBuildsAndVets(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	cases := map[string]Options{
		"anonymous":         {Services: 3, PackagesPerService: 4, Mixing: 0.3, Seed: 7, LinesPerPackage: 120},
		"meaningful":        {Services: 4, PackagesPerService: 3, Mixing: 0.5, Seed: 3, Naming: Meaningful, Kernel: 5},
		"no kernel":         {Services: 3, PackagesPerService: 3, Mixing: 0.2, Seed: 1, Kernel: -1, LinesPerPackage: 50},
		"no tables, no mix": {Services: 2, PackagesPerService: 5, Seed: 2, Kernel: 1, TablesPerService: -1},
	}
	for name, o := range cases {
		t.Run(name, func(t *testing.T) {
			dir, _ := generate(t, o)
			goCmd(t, dir, "build", "./...")
			goCmd(t, dir, "vet", "./...")
		})
	}
}

// readTree returns every file under dir by slash-separated relative path.
func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		files[filepath.ToSlash(rel)] = data
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestDeterministicForASeed(t *testing.T) {
	o := Options{Services: 4, PackagesPerService: 5, Mixing: 0.3, Seed: 42}
	dirA, _ := generate(t, o)
	dirB, _ := generate(t, o)
	a, b := readTree(t, dirA), readTree(t, dirB)
	if len(a) != len(b) {
		t.Fatalf("same seed wrote %d and %d files", len(a), len(b))
	}
	for p, data := range a {
		if !bytes.Equal(data, b[p]) {
			t.Fatalf("same seed wrote two versions of %s", p)
		}
	}
	o.Seed = 43
	dirC, _ := generate(t, o)
	c := readTree(t, dirC)
	differ := len(c) != len(a)
	for p, data := range a {
		differ = differ || !bytes.Equal(data, c[p])
	}
	if !differ {
		t.Fatal("seeds 42 and 43 wrote the same module")
	}
}

// goPackages returns the import paths of the packages under dir (directories with .go files)
// and each one's package clause.
func goPackages(t *testing.T, dir, module string) map[string]string {
	t.Helper()
	pkgs := map[string]string{}
	fset := token.NewFileSet()
	for rel, data := range readTree(t, dir) {
		if !strings.HasSuffix(rel, ".go") {
			continue
		}
		f, err := parser.ParseFile(fset, rel, data, parser.PackageClauseOnly)
		if err != nil {
			t.Fatal(err)
		}
		ip := module + "/" + path.Dir(rel)
		if prev, ok := pkgs[ip]; ok && prev != f.Name.Name {
			t.Fatalf("%s: package %s and %s in one directory", ip, prev, f.Name.Name)
		}
		pkgs[ip] = f.Name.Name
	}
	return pkgs
}

func TestTruthIsConsistent(t *testing.T) {
	for _, naming := range []Naming{Anonymous, Meaningful} {
		t.Run(string(naming), func(t *testing.T) {
			o := Options{Services: 5, PackagesPerService: 4, Mixing: 0.4, Seed: 9, Kernel: 3, Naming: naming, LinesPerPackage: 40}
			dir, res := generate(t, o)
			truth, err := ReadTruth(filepath.Join(dir, TruthFile))
			if err != nil {
				t.Fatal(err)
			}
			if len(truth) != len(res.Truth) {
				t.Fatalf("truth.json has %d packages, Result.Truth %d", len(truth), len(res.Truth))
			}
			for p, s := range res.Truth {
				if truth[p] != s {
					t.Errorf("truth.json maps %s to %q, Result.Truth to %q", p, truth[p], s)
				}
			}
			var layout Result
			data, err := os.ReadFile(filepath.Join(dir, LayoutFile))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(data, &layout); err != nil {
				t.Fatal(err)
			}
			if layout.Main != res.Main || len(layout.Kernel) != len(res.Kernel) || len(layout.Tables) != len(res.Tables) {
				t.Errorf("%s disagrees with the result: %+v", LayoutFile, layout)
			}

			perService := map[string]int{}
			for _, s := range truth {
				perService[s]++
			}
			if len(perService) != o.Services {
				t.Errorf("truth has %d services, want %d", len(perService), o.Services)
			}
			for s, n := range perService {
				if n != o.PackagesPerService {
					t.Errorf("service %s has %d packages, want %d", s, n, o.PackagesPerService)
				}
			}

			onDisk := goPackages(t, dir, res.Module)
			want := len(truth) + len(res.Kernel) + 1
			if len(onDisk) != want {
				t.Errorf("%d packages on disk, want %d (truth, kernel and main)", len(onDisk), want)
			}
			for p := range truth {
				if _, ok := onDisk[p]; !ok {
					t.Errorf("truth names %s, which is not on disk", p)
				}
			}
			if len(res.Kernel) != o.Kernel {
				t.Errorf("%d kernel packages, want %d", len(res.Kernel), o.Kernel)
			}
			for _, k := range res.Kernel {
				if _, ok := truth[k]; ok {
					t.Errorf("kernel package %s is in truth.json", k)
				}
				if _, ok := onDisk[k]; !ok {
					t.Errorf("kernel package %s is not on disk", k)
				}
			}
			if onDisk[res.Main] != "main" {
				t.Errorf("main %s is %q on disk", res.Main, onDisk[res.Main])
			}
			for s, entry := range res.Entries {
				if truth[entry] != s {
					t.Errorf("entry of %s is %s, which truth puts in %q", s, entry, truth[entry])
				}
			}
			if naming == Anonymous {
				re := regexp.MustCompile(`^` + regexp.QuoteMeta(res.Module) + `/p\d{3}$`)
				for p := range truth {
					if !re.MatchString(p) {
						t.Errorf("anonymous package path %s", p)
					}
				}
			}
			perOwner := map[string]int{}
			for _, s := range res.Tables {
				perOwner[s]++
			}
			for s := range perService {
				if perOwner[s] != DefaultTablesPerService {
					t.Errorf("service %s owns %d tables, want %d", s, perOwner[s], DefaultTablesPerService)
				}
			}
		})
	}
}

// measured is the coupling found by reading a generated module's source.
type measured struct {
	refs, crossRefs         int // qualified references to service packages from service packages
	accesses, crossAccesses int // tables named in SQL strings of service packages
	routes                  int // mux.HandleFunc registrations
	imports                 map[string]map[string]bool
}

var sqlTable = regexp.MustCompile(`(?:FROM|INTO|UPDATE)\s+(\w+)`)

// measure reads the module's Go files and counts, independently of the generator's own
// bookkeeping, every qualified identifier one service package uses from another (pkg.Name) and
// every table its SQL strings name.
func measure(t *testing.T, dir string, res *Result) measured {
	t.Helper()
	m := measured{imports: map[string]map[string]bool{}}
	fset := token.NewFileSet()
	for rel, data := range readTree(t, dir) {
		if !strings.HasSuffix(rel, ".go") {
			continue
		}
		from := res.Module + "/" + path.Dir(rel)
		f, err := parser.ParseFile(fset, rel, data, 0)
		if err != nil {
			t.Fatal(err)
		}
		names := map[string]string{} // local name → import path
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			name := path.Base(p)
			if imp.Name != nil {
				name = imp.Name.Name
			}
			names[name] = p
			if m.imports[from] == nil {
				m.imports[from] = map[string]bool{}
			}
			m.imports[from][p] = true
		}
		fromSvc, isSvc := res.Truth[from]
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.SelectorExpr:
				x, ok := n.X.(*ast.Ident)
				if !ok {
					return true
				}
				toSvc, ok := res.Truth[names[x.Name]]
				if !ok || !isSvc {
					return true
				}
				m.refs++
				if toSvc != fromSvc {
					m.crossRefs++
				}
			case *ast.BasicLit:
				if n.Kind != token.STRING || !isSvc {
					return true
				}
				s, _ := strconv.Unquote(n.Value)
				if match := sqlTable.FindStringSubmatch(s); match != nil {
					m.accesses++
					if res.Tables[match[1]] != fromSvc {
						m.crossAccesses++
					}
				}
			case *ast.CallExpr:
				if sel, ok := n.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "HandleFunc" {
					m.routes++
				}
			}
			return true
		})
	}
	return m
}

func TestMixingIsWhatWasAsked(t *testing.T) {
	for _, mu := range []float64{0, 0.1, 0.3, 0.5} {
		for _, seed := range []uint64{1, 2} {
			o := Options{Services: 8, PackagesPerService: 10, Mixing: mu, Seed: seed, LinesPerPackage: 1}
			dir, res := generate(t, o)
			m := measure(t, dir, res)
			got := float64(m.crossRefs) / float64(m.refs)
			t.Logf("μ=%.1f seed=%d: %d of %d references cross services (%.3f; generator says %.3f, per pair %.3f, per package %.3f); tables: %d of %d",
				mu, seed, m.crossRefs, m.refs, got, res.Stats.Mixing, res.Stats.EdgeMixing, res.Stats.PackageMixing, m.crossAccesses, m.accesses)
			if m.refs != res.Stats.Units {
				t.Errorf("μ=%.1f seed=%d: %d references in the source, the generator counted %d units", mu, seed, m.refs, res.Stats.Units)
			}
			if math.Abs(got-mu) > 0.02 {
				t.Errorf("μ=%.1f seed=%d: cross-service share of references is %.3f", mu, seed, got)
			}
			if math.Abs(res.Stats.EdgeMixing-mu) > 0.03 {
				t.Errorf("μ=%.1f seed=%d: cross-service share of coupled package pairs is %.3f", mu, seed, res.Stats.EdgeMixing)
			}
			if math.Abs(res.Stats.PackageMixing-mu) > 0.05 {
				t.Errorf("μ=%.1f seed=%d: mean per-package mixing is %.3f", mu, seed, res.Stats.PackageMixing)
			}
			if mu == 0 && m.crossAccesses > 0 {
				t.Errorf("μ=0 seed=%d: %d table accesses cross services", seed, m.crossAccesses)
			}
			if got := float64(m.crossAccesses) / float64(m.accesses); mu > 0 && math.Abs(got-mu) > 0.05 {
				t.Errorf("μ=%.1f seed=%d: cross-service share of table accesses is %.3f", mu, seed, got)
			}
			if m.routes != res.Stats.Routes || m.routes < o.Services {
				t.Errorf("μ=%.1f seed=%d: %d routes registered, generator says %d", mu, seed, m.routes, res.Stats.Routes)
			}
		}
	}
}

func TestCouplingKindsAndKernel(t *testing.T) {
	o := Options{Services: 6, PackagesPerService: 8, Mixing: 0.3, Seed: 5, LinesPerPackage: 1}
	dir, res := generate(t, o)
	for k := range numKinds {
		if res.Stats.UnitsByKind[k.String()] == 0 {
			t.Errorf("no coupling unit of kind %s", k)
		}
	}
	m := measure(t, dir, res)
	// Every kernel package is imported by most service packages, and imports no module package.
	for _, k := range res.Kernel {
		n := 0
		for p := range res.Truth {
			if m.imports[p][k] {
				n++
			}
		}
		if share := float64(n) / float64(len(res.Truth)); share < 0.7 {
			t.Errorf("kernel package %s is imported by %.0f%% of service packages", k, 100*share)
		}
		for p := range m.imports[k] {
			if strings.HasPrefix(p, res.Module+"/") {
				t.Errorf("kernel package %s imports %s", k, p)
			}
		}
	}
	// The main package imports every entry package; no service package imports an entry package.
	for s, entry := range res.Entries {
		if !m.imports[res.Main][entry] {
			t.Errorf("main does not import the entry package of %s", s)
		}
		for p := range res.Truth {
			if m.imports[p][entry] {
				t.Errorf("%s imports entry package %s", p, entry)
			}
		}
	}
	// An interface declared in one package is implemented in another.
	files := readTree(t, dir)
	implemented := 0
	for rel, data := range files {
		if strings.HasSuffix(rel, "flow.go") && bytes.Contains(data, []byte("Adapter) ")) {
			implemented++
		}
	}
	if implemented == 0 {
		t.Error("no package implements another package's interface")
	}
}

func TestLinesPerPackage(t *testing.T) {
	o := Options{Services: 3, PackagesPerService: 4, Mixing: 0.2, Seed: 1, LinesPerPackage: 500}
	dir, res := generate(t, o)
	lines := map[string]int{}
	for rel, data := range readTree(t, dir) {
		if strings.HasSuffix(rel, ".go") {
			lines[res.Module+"/"+path.Dir(rel)] += bytes.Count(data, []byte("\n"))
		}
	}
	for p := range res.Truth {
		if n := lines[p]; n < 500 || n > 600 {
			t.Errorf("%s has %d lines, want about 500", p, n)
		}
	}
}

func TestBadOptions(t *testing.T) {
	for name, o := range map[string]Options{
		"one package per service": {PackagesPerService: 1},
		"mixing 1":                {Mixing: 1},
		"negative mixing":         {Mixing: -0.1},
		"mixing one service":      {Services: 1, Mixing: 0.2},
		"degree 1":                {Degree: 1},
		"naming":                  {Naming: "cryptic"},
	} {
		if _, err := Generate(t.TempDir(), o); err == nil {
			t.Errorf("%s: Generate accepted %+v", name, o)
		}
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Generate(dir, Options{}); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("Generate into a non-empty directory: %v", err)
	}
}

func TestDegreeIsCappedForSmallServices(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		o := Options{Services: 6, PackagesPerService: 4, Mixing: 0.3, Seed: seed, LinesPerPackage: 1}
		_, res := generate(t, o)
		if res.Stats.Degree != 4 { // 3 siblings / 0.7
			t.Errorf("seed %d: degree %d for P=4, μ=0.3, want 4", seed, res.Stats.Degree)
		}
		if math.Abs(res.Stats.EdgeMixing-o.Mixing) > 0.08 {
			t.Errorf("seed %d: %.3f of coupled pairs cross services, want about %.1f", seed, res.Stats.EdgeMixing, o.Mixing)
		}
		if math.Abs(res.Stats.Mixing-o.Mixing) > 0.02 {
			t.Errorf("seed %d: %.3f of units cross services, want %.1f", seed, res.Stats.Mixing, o.Mixing)
		}
		t.Logf("seed %d: units %.3f, pairs %.3f", seed, res.Stats.Mixing, res.Stats.EdgeMixing)
	}
	o := Options{Services: 8, PackagesPerService: 10, Mixing: 0.3, Seed: 1, LinesPerPackage: 1}
	if _, res := generate(t, o); res.Stats.Degree != DefaultDegree {
		t.Errorf("degree %d for P=10, μ=0.3, want the default %d", res.Stats.Degree, DefaultDegree)
	}
}
