package load

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/carve-dev/carve/analyze/facts"

	"golang.org/x/mod/modfile"
	"golang.org/x/tools/go/packages"
)

// Load stages reported through LoadOptions.Progress.
const (
	StageList      = "finding packages"      // a walk of the module's directories
	StageDeps      = "building dependencies" // go list -export: compiles what is not cached
	StageTypeCheck = "type-checking"         // the module's own files, parsed and checked
	StageSignals   = "collecting signals"    // one step per signal, from Collect
	progressNone   = 0                       // total when the amount of work is unknown
	loadMode       = packages.NeedName | packages.NeedFiles | packages.NeedCompiledGoFiles | packages.NeedImports | packages.NeedTypes | packages.NeedSyntax | packages.NeedTypesInfo | packages.NeedTypesSizes | packages.NeedModule | packages.NeedForTest
)

// LoadOptions tunes Load. The zero value loads the module's packages without their tests.
type LoadOptions struct {
	// Tests includes _test.go files: each package is then analysed as its test variant, and an
	// external test package (p_test) counts as part of p.
	Tests bool
	// BuildFlags are passed to the go command, e.g. []string{"-tags=integration"}.
	BuildFlags []string
	// Env is appended to the process environment for the go command (e.g. "GOFLAGS=-mod=mod").
	Env []string
	// Progress, when set, is told what Load and Collect are doing: a stage (one of the Stage*
	// constants; while signals run, StageSignals + ": " + the signal's name), how much of it is
	// done and its total (0 when unknown: StageDeps, which may take minutes on a cold build
	// cache, only starts and ends). It is called from several goroutines, never concurrently.
	Progress func(stage string, done, total int)
}

// Module is a loaded Go module, or every module of a go.work workspace taken as one monolith:
// its own packages with syntax and types, type-checked once and shared by every signal.
// Dependencies outside the module come from export data and have types only.
type Module struct {
	Root      string              // absolute directory analysed (module or workspace root)
	Paths     []string            // module paths, sorted; several in a workspace
	Workspace bool                // loaded through go.work
	Fset      *token.FileSet      // positions of every file in Packages
	Packages  []*packages.Package // the module's own packages, sorted by import path, one per path

	extra    []*packages.Package // external test packages (p_test), analysed as part of p
	Dirs     []string            // root directories of the modules
	infos    []facts.PackageInfo
	byPath   map[string]*packages.Package // import path → package
	owner    map[string]string            // types.Package path → module package path (p_test → p)
	progress func(stage string, done, total int)

	generated map[string]bool // files whose header marks them generated, by file name

	indexOnce sync.Once
	index     *TypeIndex // named types, interfaces and method declarations of the module
}

// Load loads the module (directory with go.mod) or workspace (directory with go.work) at dir.
// Packages with parse or type errors are kept with their errors in PackageInfo.Errors and
// analysed as far as their type information goes. Input that cannot be analysed at all is
// reported as an *InputError.
func Load(ctx context.Context, dir string, opts LoadOptions) (*Module, error) {
	root, err := filepath.Abs(dir)
	if err != nil {
		return nil, &InputError{Path: dir, Problem: "cannot resolve the path", Err: err}
	}
	st, err := os.Stat(root)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, &InputError{Path: dir, Problem: "directory does not exist", Hint: "pass the root directory of a Go module"}
	case err != nil:
		return nil, &InputError{Path: dir, Problem: "cannot read the directory", Err: err}
	case !st.IsDir():
		return nil, &InputError{Path: dir, Problem: "not a directory", Hint: "pass the directory holding go.mod, not a file"}
	}
	m := &Module{Root: root, Fset: token.NewFileSet(), progress: serialize(opts.Progress), generated: map[string]bool{}}
	patterns, err := m.FindModules()
	if err != nil {
		return nil, err
	}

	// Counting the module's Go files costs a directory walk: it finds an empty module before
	// the costly export-data build, and gives the total for the progress of type-checking.
	m.Report(StageList, 0, progressNone)
	files, err := m.countGoFiles(ctx, opts.Tests)
	if err != nil {
		return nil, err
	}
	if files == 0 {
		return nil, &InputError{Path: dir, Problem: fmt.Sprintf("module %s has no Go packages", strings.Join(m.Paths, ", ")),
			Hint: "add Go files, or pass the directory of a module that has them"}
	}
	m.Report(StageList, files, files)

	m.Report(StageDeps, 0, progressNone)
	cfg := m.config(ctx, opts, loadMode)
	var (
		mu     sync.Mutex
		parsed int
	)
	cfg.ParseFile = func(fset *token.FileSet, filename string, src []byte) (*ast.File, error) {
		f, err := parser.ParseFile(fset, filename, src, parser.AllErrors|parser.SkipObjectResolution)
		gen := isGenerated(src)
		mu.Lock()
		if gen {
			m.generated[filename] = true
		}
		parsed++
		n := parsed
		mu.Unlock()
		m.Report(StageTypeCheck, min(n, files), files)
		return f, err
	}
	loaded, err := packages.Load(cfg, patterns...)
	if err != nil {
		return nil, m.listError(ctx, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("load %s: %w", root, err)
	}
	m.keep(loaded, opts.Tests)
	if missing := m.missingDependencies(); len(missing) > 0 {
		shown := missing[:min(len(missing), 3)]
		more := ""
		if len(missing) > 3 {
			more = fmt.Sprintf(" and %d more", len(missing)-3)
		}
		return nil, &InputError{Path: dir,
			Problem: fmt.Sprintf("the module's dependencies are not all available: %d imported package(s) could not be loaded (%s%s)", len(missing), strings.Join(shown, ", "), more),
			Hint:    "run 'go mod download' in the module (or check GOFLAGS, GOPROXY and GOWORK), then analyse again"}
	}
	if err := m.tooNew(dir); err != nil {
		return nil, err
	}
	if len(m.Packages) == 0 {
		return nil, &InputError{Path: dir, Problem: fmt.Sprintf("module %s has no Go packages", strings.Join(m.Paths, ", ")),
			Hint: "add Go files, or pass the directory of a module that has them"}
	}
	m.Report(StageTypeCheck, files, files)
	return m, nil
}

// FindModules reads go.work or go.mod at the root and returns the package patterns to load.
func (m *Module) FindModules() ([]string, error) {
	work := filepath.Join(m.Root, "go.work")
	if data, err := os.ReadFile(work); err == nil {
		wf, err := modfile.ParseWork(work, data, nil)
		if err != nil {
			return nil, &InputError{Path: work, Problem: "cannot parse go.work", Err: err, Hint: "fix go.work; `go work sync` shows the same error"}
		}
		m.Workspace = true
		var patterns []string
		for _, u := range wf.Use {
			dir := u.Path
			if !filepath.IsAbs(dir) {
				dir = filepath.Join(m.Root, dir)
			}
			path, err := modulePath(filepath.Join(dir, "go.mod"))
			if err != nil {
				return nil, err
			}
			m.Paths = append(m.Paths, path)
			m.Dirs = append(m.Dirs, dir)
			// At a workspace root "./..." matches nothing: name every module by its path.
			patterns = append(patterns, path+"/...")
		}
		if len(patterns) == 0 {
			return nil, &InputError{Path: work, Problem: "go.work uses no modules", Hint: "add modules with `go work use DIR`"}
		}
		sort.Strings(m.Paths)
		return patterns, nil
	}
	gomod := filepath.Join(m.Root, "go.mod")
	if _, err := os.Stat(gomod); err != nil {
		hint := "pass the root directory of a Go module, the one holding go.mod, or of a go.work workspace"
		if up := enclosing(filepath.Dir(m.Root)); up != "" {
			hint = fmt.Sprintf("it is inside the module or workspace at %s: pass that directory", up)
		}
		return nil, &InputError{Path: m.Root, Problem: "no go.mod or go.work in this directory", Hint: hint}
	}
	path, err := modulePath(gomod)
	if err != nil {
		return nil, err
	}
	m.Paths = []string{path}
	m.Dirs = []string{m.Root}
	return []string{"./..."}, nil
}

// countGoFiles counts the Go files of the modules' packages the way ./... sees them (see
// walkModule). Build constraints are not evaluated, so the count is an upper bound.
func (m *Module) countGoFiles(ctx context.Context, tests bool) (int, error) {
	n := 0
	for _, root := range m.Dirs {
		err := WalkModule(ctx, root, false, func(_, name string) {
			if strings.HasSuffix(name, ".go") && !strings.HasPrefix(name, ".") && !strings.HasPrefix(name, "_") &&
				(tests || !strings.HasSuffix(name, "_test.go")) {
				n++
			}
		})
		if err != nil {
			return 0, err
		}
	}
	return n, nil
}

// WalkModule calls fn with the path and name of every file under the module directory root
// that ./... can see: testdata, directories starting with . or _, and nested modules are not
// walked, nor vendor unless withVendor. Unreadable parts below root are the go command's to
// report and are skipped.
func WalkModule(ctx context.Context, root string, withVendor bool, fn func(path, name string)) error {
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == root {
				return err
			}
			return nil
		}
		if !d.IsDir() {
			fn(path, d.Name())
			return nil
		}
		if path == root {
			return nil
		}
		name := d.Name()
		if name == "vendor" && !withVendor || name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
			return filepath.SkipDir
		}
		if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
			return filepath.SkipDir
		}
		return ctx.Err()
	})
	if err != nil {
		return fmt.Errorf("walk %s: %w", root, err)
	}
	return nil
}

// enclosing returns the nearest directory at or above dir holding go.mod or go.work, or "".
func enclosing(dir string) string {
	for {
		for _, name := range []string{"go.mod", "go.work"} {
			if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
				return dir
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

func modulePath(gomod string) (string, error) {
	data, err := os.ReadFile(gomod)
	if err != nil {
		return "", &InputError{Path: gomod, Problem: "cannot read go.mod", Err: err, Hint: "check the path in go.work"}
	}
	path := modfile.ModulePath(data)
	if path == "" {
		return "", &InputError{Path: gomod, Problem: "go.mod has no module line", Hint: "add `module <path>` at the top of go.mod"}
	}
	return path, nil
}

func (m *Module) config(ctx context.Context, opts LoadOptions, mode packages.LoadMode) *packages.Config {
	return &packages.Config{
		Context:    ctx,
		Mode:       mode,
		Dir:        m.Root,
		Env:        append(os.Environ(), opts.Env...),
		BuildFlags: opts.BuildFlags,
		Tests:      opts.Tests,
		Fset:       m.Fset,
	}
}

func (m *Module) listError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("load %s: %w", m.Root, ctx.Err())
	}
	return &InputError{Path: m.Root, Problem: "go list failed", Err: err, Hint: "run `go list ./...` there to see the problem; fix go.mod or go.work"}
}

// isOwn reports whether p belongs to one of the module's (or workspace's) own modules.
func (m *Module) isOwn(p *packages.Package) bool {
	if p.Module == nil || !p.Module.Main || strings.HasSuffix(p.PkgPath, ".test") {
		return false
	}
	return len(p.GoFiles) > 0 || len(p.CompiledGoFiles) > 0 || len(p.Errors) > 0
}

// keep selects the module's own packages from what go/packages returned: with tests, the test
// variant of a package replaces the package, and an external test package is folded into the
// package it tests.
func (m *Module) keep(loaded []*packages.Package, tests bool) {
	m.byPath = map[string]*packages.Package{}
	m.owner = map[string]string{}
	var xtests []*packages.Package
	for _, p := range loaded {
		if !m.isOwn(p) {
			continue
		}
		if tests && p.ForTest != "" && p.PkgPath == p.ForTest+"_test" {
			xtests = append(xtests, p)
			continue
		}
		// Of a package's variants keep its own test variant (p [p.test]), else the plain
		// package; variants recompiled for another package's test are the same code.
		if prev, ok := m.byPath[p.PkgPath]; ok && variantRank(prev) >= variantRank(p) {
			continue
		}
		m.byPath[p.PkgPath] = p
		m.owner[p.PkgPath] = p.PkgPath
	}
	paths := make([]string, 0, len(m.byPath))
	for path := range m.byPath {
		paths = append(paths, path)
	}
	sort.Strings(paths)
	for _, path := range paths {
		m.Packages = append(m.Packages, m.byPath[path])
		m.infos = append(m.infos, m.info(m.byPath[path]))
	}
	// External test packages are analysed as part of the package they test.
	sort.Slice(xtests, func(i, j int) bool { return xtests[i].PkgPath < xtests[j].PkgPath })
	for _, p := range xtests {
		if _, ok := m.byPath[p.ForTest]; ok {
			m.owner[p.PkgPath] = p.ForTest
			m.extra = append(m.extra, p)
			m.byPathExtra(p)
		}
	}
}

func variantRank(p *packages.Package) int {
	switch p.ForTest {
	case p.PkgPath:
		return 2
	case "":
		return 1
	}
	return 0
}

// byPathExtra adds an external test package's errors to the package it tests.
func (m *Module) byPathExtra(p *packages.Package) {
	base := m.owner[p.PkgPath]
	for i := range m.infos {
		if m.infos[i].Path == base {
			m.infos[i].Errors = append(m.infos[i].Errors, m.errorsOf(p)...)
		}
	}
}

func (m *Module) info(p *packages.Package) facts.PackageInfo {
	info := facts.PackageInfo{Path: p.PkgPath, Name: p.Name, Main: p.Name == "main", Errors: m.errorsOf(p)}
	files := p.GoFiles
	if len(files) == 0 {
		files = p.CompiledGoFiles
	}
	if len(files) > 0 {
		info.Dir = m.rel(filepath.Dir(files[0]))
	}
	for _, f := range p.Syntax {
		tf := m.Fset.File(f.Pos())
		if tf == nil || strings.HasSuffix(tf.Name(), "_test.go") {
			continue
		}
		if info.Files == 0 {
			info.Generated = true
		}
		info.Generated = info.Generated && m.generated[tf.Name()]
		info.Files++
		info.Lines += tf.LineCount()
		for _, spec := range f.Imports {
			if imp, err := strconv.Unquote(spec.Path.Value); err == nil && imp != "C" {
				info.Imports = append(info.Imports, imp)
			}
		}
	}
	slices.Sort(info.Imports)
	info.Imports = slices.Compact(info.Imports)
	return info
}

// maxErrors is how many errors of one package are kept: the first explain the rest.
const maxErrors = 10

func (m *Module) errorsOf(p *packages.Package) []string {
	var errs []string
	detailed := false
	for _, e := range p.Errors {
		detailed = detailed || e.Kind == packages.ParseError || e.Kind == packages.TypeError
	}
	for _, e := range p.Errors {
		// go list -export repeats the compiler's view of parse and type errors as one
		// "# pkg" error; the parse and type errors say the same, one per line.
		if detailed && e.Kind == packages.ListError && strings.HasPrefix(e.Msg, "# ") {
			continue
		}
		if len(errs) == maxErrors {
			errs = append(errs, "... and more errors")
			break
		}
		msg := e.Msg
		if e.Pos != "" && e.Pos != "-" {
			pos := e.Pos
			if filepath.IsAbs(pos) {
				pos = m.rel(pos)
			}
			msg = pos + ": " + msg
		}
		errs = append(errs, msg)
	}
	return errs
}

// Infos describes the module's packages, sorted by import path.
func (m *Module) Infos() []facts.PackageInfo {
	out := make([]facts.PackageInfo, len(m.infos))
	for i, info := range m.infos {
		info.Errors = append([]string(nil), info.Errors...)
		out[i] = info
	}
	return out
}

// GeneratedAt reports whether pos is in a file of generated code ("// Code generated ... DO
// NOT EDIT." before the package clause).
func (m *Module) GeneratedAt(pos token.Pos) bool {
	tf := m.Fset.File(pos)
	return tf != nil && m.generated[tf.Name()]
}

// Package returns the module's package with the given import path, or nil.
func (m *Module) Package(path string) *packages.Package { return m.byPath[path] }

// infoFor returns the type information of the module package tp, or nil.
func (m *Module) infoFor(tp *types.Package) *types.Info {
	if tp == nil {
		return nil
	}
	if p := m.byPath[tp.Path()]; p != nil && p.Types == tp {
		return p.TypesInfo
	}
	for _, p := range m.extra {
		if p.Types == tp {
			return p.TypesInfo
		}
	}
	return nil
}

// Own returns the import path of the module package that tp belongs to (an external test
// package belongs to the package it tests), and whether tp belongs to the module at all.
func (m *Module) Own(tp *types.Package) (string, bool) {
	if tp == nil {
		return "", false
	}
	return m.OwnPath(tp.Path())
}

// OwnPath is Own by import path.
func (m *Module) OwnPath(path string) (string, bool) {
	own, ok := m.owner[path]
	return own, ok
}

// Each calls fn for every package whose syntax is analysed: the module's packages, then the
// external test packages when tests were loaded. path is the module package it counts for.
func (m *Module) Each(fn func(path string, p *packages.Package)) {
	for _, p := range m.Packages {
		fn(p.PkgPath, p)
	}
	for _, p := range m.extra {
		fn(m.owner[p.PkgPath], p)
	}
}

// Site returns the position pos as a site relative to the module root.
func (m *Module) Site(pos token.Pos) facts.Site {
	if !pos.IsValid() {
		return facts.Site{}
	}
	p := m.Fset.Position(pos)
	return facts.Site{File: m.rel(p.Filename), Line: p.Line}
}

// rel makes a file name relative to the root, with forward slashes.
func (m *Module) rel(name string) string {
	if r, err := filepath.Rel(m.Root, name); err == nil {
		return filepath.ToSlash(r)
	}
	return filepath.ToSlash(name)
}

func (m *Module) Report(stage string, done, total int) {
	if m.progress != nil {
		m.progress(stage, done, total)
	}
}

// serialize makes a progress callback safe to call from several goroutines.
func serialize(fn func(string, int, int)) func(string, int, int) {
	if fn == nil {
		return nil
	}
	var mu sync.Mutex
	return func(stage string, done, total int) {
		mu.Lock()
		defer mu.Unlock()
		fn(stage, done, total)
	}
}

// generatedHeader is the line Go's convention puts before the package clause of generated code.
var generatedHeader = regexp.MustCompile(`(?m)^// Code generated .* DO NOT EDIT\.$`)

// isGenerated reports whether a Go file is generated code: the conventional header comes before
// the package clause. (Files are parsed without comments, so the source is read instead.)
func isGenerated(src []byte) bool {
	end := len(src)
	if i := bytes.Index(src, []byte("\npackage ")); i >= 0 {
		end = i
	} else if bytes.HasPrefix(src, []byte("package ")) {
		end = 0
	}
	return generatedHeader.Match(src[:end])
}

// tooNewGo matches go/types' refusal of code for a newer Go than the one carve was built with.
var tooNewGo = regexp.MustCompile(`requires newer Go version (go[0-9.]+) \(application built with (go[0-9.]+)\)`)

// tooNew returns one error when the module's packages need a newer Go than carve was built
// with (the go command ran a newer toolchain for go.mod's go line): go/types refuses them, and
// every package would warn the same, rather than one clear error saying what to do.
func (m *Module) tooNew(dir string) error {
	var want, have string
	n := 0
	m.Each(func(_ string, p *packages.Package) {
		for _, e := range p.Errors {
			if sm := tooNewGo.FindStringSubmatch(e.Msg); sm != nil {
				want, have = sm[1], sm[2]
				n++
				return
			}
		}
	})
	if n == 0 {
		return nil
	}
	toolchain := want
	if strings.Count(toolchain, ".") == 1 {
		toolchain += ".0" // go1.27 names a language version; its first release is go1.27.0
	}
	return &InputError{Path: dir,
		Problem: fmt.Sprintf("the module needs %s but this carve was built with %s: %d package(s) cannot be type-checked", want, have, n),
		Hint:    fmt.Sprintf("build carve with %s or newer (e.g. GOTOOLCHAIN=%s go install ./cmd/carve in carve's checkout), then analyse again", want, toolchain)}
}

// missingDependencies lists the packages outside the module that the module's packages import
// but that could not be loaded at all (no module provides them, or the module is not in the
// module cache): every importer would report "could not import", and the analysis would be
// wrong everywhere rather than in one place.
func (m *Module) missingDependencies() []string {
	seen := map[string]bool{}
	var out []string
	m.Each(func(_ string, p *packages.Package) {
		for path, dep := range p.Imports {
			if _, own := m.byPath[path]; own || seen[path] || dep == nil {
				continue
			}
			if dep.Name == "" && len(dep.Errors) > 0 {
				seen[path] = true
				out = append(out, path)
			}
		}
	})
	slices.Sort(out)
	return out
}
