package gen

import (
	"bytes"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"math"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
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

// goEnv is the environment the go command needs for a generated module: isolated from any
// enclosing workspace, or using the generated go.work (where -mod=mod is not allowed).
func goEnv(dir string, res *Result) []string {
	if len(res.Modules) > 0 {
		return []string{"GOWORK=" + filepath.Join(dir, "go.work"), "GOFLAGS=", "GOPROXY=off"}
	}
	return []string{"GOWORK=off", "GOFLAGS=-mod=mod", "GOPROXY=off"}
}

// allPackages is the go command's pattern list for every package of a generated module or
// workspace ("./..." at a workspace root matches only the root module).
func allPackages(res *Result) []string {
	if len(res.Modules) == 0 {
		return []string{"./..."}
	}
	var patterns []string
	for _, m := range res.Modules {
		patterns = append(patterns, m+"/...")
	}
	return patterns
}

// goCmd runs the go command on every package of the module (or workspace) generated in dir.
func goCmd(t *testing.T, dir string, res *Result, verb string) {
	t.Helper()
	cmd := exec.Command("go", append([]string{verb}, allPackages(res)...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), append(goEnv(dir, res), "GOTOOLCHAIN=local")...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go %s in %s: %v\n%s", verb, dir, err, out)
	}
}

// layoutCases are small modules of every layout, and of the combinations and variants the
// generator supports, for the tests that must hold on each.
var layoutCases = map[string]Options{
	"mains":                {Layout: LayoutMains},
	"mains,tools":          {Layout: "mains,tools"},
	"workspace":            {Layout: LayoutWorkspace},
	"workspace anonymous":  {Layout: LayoutWorkspace, Naming: Anonymous},
	"hexagonal":            {Layout: LayoutHexagonal, PackagesPerService: 9},
	"layered":              {Layout: LayoutLayered, PackagesPerService: 7},
	"generated":            {Layout: LayoutGenerated},
	"tools":                {Layout: LayoutTools, Kernel: -1},
	"everything hexagonal": {Layout: "workspace,hexagonal,generated,tools"},
	"everything layered":   {Layout: "mains,layered,generated,tools"},
	"blind hexagonal":      {Layout: "hexagonal,generated,mains,tools", Blind: true},
	"blind flat":           {Blind: true},
	"blind workspace":      {Layout: "workspace,generated", Blind: true},
}

// layoutOptions returns a layout case with the sizes left zero filled in: small, mixed, quick.
func layoutOptions(o Options, seed uint64) Options {
	if o.Services == 0 {
		o.Services = 4
	}
	if o.PackagesPerService == 0 {
		o.PackagesPerService = 5
	}
	o.Mixing, o.Seed, o.LinesPerPackage = 0.3, seed, 40
	return o
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
	for name, o := range layoutCases {
		cases["layout "+name] = layoutOptions(o, 5)
	}
	for name, o := range cases {
		t.Run(name, func(t *testing.T) {
			dir, res := generate(t, o)
			goCmd(t, dir, res, "build")
			goCmd(t, dir, res, "vet")
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
	t.Run("flat", func(t *testing.T) {
		testDeterministic(t, Options{Services: 4, PackagesPerService: 5, Mixing: 0.3, Seed: 42})
	})
	for name, o := range layoutCases {
		t.Run(name, func(t *testing.T) { testDeterministic(t, layoutOptions(o, 42)) })
	}
}

// testDeterministic checks that o writes the same bytes twice and other bytes with another seed.
func testDeterministic(t *testing.T, o Options) {
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
			checkTruth(t, Options{Services: 5, PackagesPerService: 4, Mixing: 0.4, Seed: 9, Kernel: 3, Naming: naming, LinesPerPackage: 40})
		})
	}
	for name, o := range layoutCases {
		t.Run(name, func(t *testing.T) { checkTruth(t, layoutOptions(o, 9)) })
	}
}

// checkTruth generates o and checks truth.json and carve-gen.json against the files: every
// package where they say, shared packages as the imports written make them.
func checkTruth(t *testing.T, o Options) {
	t.Helper()
	dir, res := generate(t, o)
	o = res.Options
	l, err := parseLayout(o.Layout)
	if err != nil {
		t.Fatal(err)
	}
	truth, err := ReadTruth(filepath.Join(dir, TruthFile))
	if err != nil {
		t.Fatal(err)
	}
	if want := res.Labels(); !maps.Equal(truth, want) {
		t.Fatalf("truth.json has %d labels, Result %d, or they differ", len(truth), len(want))
	}
	var written Result
	data, err := os.ReadFile(filepath.Join(dir, LayoutFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &written); err != nil {
		t.Fatal(err)
	}
	if written.Main != res.Main || len(written.Kernel) != len(res.Kernel) || len(written.Tables) != len(res.Tables) ||
		!slices.Equal(written.Shared, res.Shared) || !slices.Equal(written.Tools, res.Tools) {
		t.Errorf("%s disagrees with the result: %+v", LayoutFile, written)
	}

	perService := map[string]int{}
	for _, s := range res.Truth {
		perService[s]++
	}
	if len(perService) != o.Services {
		t.Errorf("truth has %d services, want %d", len(perService), o.Services)
	}
	wantPer := o.PackagesPerService
	if l.mains {
		wantPer++
	}
	if l.generated {
		wantPer++
	}
	for s, n := range perService {
		if n != wantPer {
			t.Errorf("service %s has %d packages, want %d", s, n, wantPer)
		}
	}

	onDisk := goPackages(t, dir, res.Module)
	if want := len(res.Truth) + len(res.Kernel) + 1 + len(res.Tools); len(onDisk) != want {
		t.Errorf("%d packages on disk, want %d (truth, kernel, root and tools)", len(onDisk), want)
	}
	for p := range res.Truth {
		if _, ok := onDisk[p]; !ok {
			t.Errorf("truth names %s, which is not on disk", p)
		}
	}
	if len(res.Kernel) != max(0, o.Kernel) {
		t.Errorf("%d kernel packages, want %d", len(res.Kernel), o.Kernel)
	}
	for _, k := range res.Kernel {
		if _, ok := res.Truth[k]; ok {
			t.Errorf("kernel package %s has a service", k)
		}
		if _, ok := onDisk[k]; !ok {
			t.Errorf("kernel package %s is not on disk", k)
		}
	}
	checkShared(t, dir, res)
	for _, p := range append([]string{res.Main}, res.Tools...) {
		if onDisk[p] != "main" {
			t.Errorf("main %s is %q on disk", p, onDisk[p])
		}
		if _, ok := truth[p]; ok {
			t.Errorf("composition root or tool %s is in truth.json", p)
		}
	}
	if l.mains != (len(res.ServiceMains) == o.Services) || l.generated != (len(res.Stubs) == o.Services) || l.tools != (len(res.Tools) > 0) {
		t.Errorf("layout %s: %d service mains, %d stubs, %d tools", o.Layout, len(res.ServiceMains), len(res.Stubs), len(res.Tools))
	}
	for s, p := range res.ServiceMains {
		if truth[p] != s || onDisk[p] != "main" {
			t.Errorf("main of %s, %s, is %q on disk and %q in truth", s, p, onDisk[p], truth[p])
		}
	}
	for s, p := range res.Stubs {
		if truth[p] != s {
			t.Errorf("stubs of %s, %s, are %q in truth", s, p, truth[p])
		}
	}
	for s, entries := range res.EntryPoints {
		if entries[0] != res.Entries[s] {
			t.Errorf("first entry point of %s is %s, Entries says %s", s, entries[0], res.Entries[s])
		}
		for _, entry := range entries {
			if truth[entry] != s {
				t.Errorf("entry %s of %s is %q in truth", entry, s, truth[entry])
			}
		}
	}
	if o.Naming == Anonymous && l == (layout{}) && !o.Blind {
		re := regexp.MustCompile(`^` + regexp.QuoteMeta(res.Module) + `/p\d{3}$`)
		for p := range res.Truth {
			if !re.MatchString(p) {
				t.Errorf("anonymous package path %s", p)
			}
		}
	}
	if o.Blind {
		checkBlindNames(t, dir, res, onDisk)
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
}

// checkShared checks that the shared packages are the kernel packages in the import closure of
// packages of two or more services, reading the imports from the files.
func checkShared(t *testing.T, dir string, res *Result) {
	t.Helper()
	imports := measure(t, dir, res).imports
	var reach func(p string, seen map[string]bool)
	reach = func(p string, seen map[string]bool) {
		for q := range imports[p] {
			if !seen[q] {
				seen[q] = true
				reach(q, seen)
			}
		}
	}
	users := map[string]map[string]bool{}
	for p, s := range res.Truth {
		seen := map[string]bool{}
		reach(p, seen)
		for q := range seen {
			if users[q] == nil {
				users[q] = map[string]bool{}
			}
			users[q][s] = true
		}
	}
	shared := map[string]bool{}
	for _, p := range res.Shared {
		shared[p] = true
	}
	for _, k := range res.Kernel {
		if want := len(users[k]) >= 2; shared[k] != want {
			t.Errorf("kernel package %s is used by %d services; shared: %v", k, len(users[k]), shared[k])
		}
	}
	if len(res.Kernel) > 0 && len(res.Shared) == 0 {
		t.Error("no kernel package is shared")
	}
}

// checkBlindNames checks that a path-blind module names nothing: directories dN, packages pN,
// Go files fN.go.
func checkBlindNames(t *testing.T, dir string, res *Result, onDisk map[string]string) {
	t.Helper()
	element := regexp.MustCompile(`^(d\d+|f\d+\.go|go\.mod|go\.work|` + regexp.QuoteMeta(TruthFile) + `|` + regexp.QuoteMeta(LayoutFile) + `)$`)
	for rel := range readTree(t, dir) {
		for _, e := range strings.Split(rel, "/") {
			if !element.MatchString(e) {
				t.Errorf("path-blind module has %s", rel)
				break
			}
		}
	}
	name := regexp.MustCompile(`^(p\d+|main)$`)
	for p, n := range onDisk {
		if !name.MatchString(n) {
			t.Errorf("path-blind package %s is named %s", p, n)
		}
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
