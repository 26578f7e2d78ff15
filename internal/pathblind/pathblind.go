// Package pathblind copies a Go module with its directory and package names replaced by neutral
// tokens (directory d17, package p17, files f3.go), so that an analysis of the copy cannot read
// the intended design from the names the authors chose. The copy builds as the original does:
// every import of the module's own packages is rewritten, and so is every qualified identifier
// that names one of them.
//
// What is renamed: every directory below the module root that holds (or has below it) Go files
// of the module; the package clause of every Go file (main stays main; an external test package
// becomes p17_test); every Go file (keeping _test and GOOS/GOARCH suffixes, which carry build
// meaning). What is copied as it is: the module root's name and go.mod, vendor/, testdata
// directories, directories of other modules nested in the tree, directories whose name starts
// with "_", and non-Go files, which stay beside their package under their own names so that
// //go:embed patterns still match. Directories whose name starts with "." are left out. Comments
// other than an import comment on the package clause are kept.
package pathblind

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/mod/modfile"
)

// Result says what Blind did.
type Result struct {
	// Module is the module path, the same in the copy.
	Module string
	// Paths maps the import path of every package of the module to its import path in the copy.
	Paths map[string]string
	// Files is the number of Go files rewritten.
	Files int
}

// dirInfo is one directory of the module that Blind rewrites.
type dirInfo struct {
	rel      string   // slash-separated path relative to the root; "" for the root
	goFiles  []string // names of its Go files
	other    []string // names of its other files, copied as they are
	verbatim []string // names of subdirectories copied as they are (vendor, testdata, ...)
	subdirs  []string // names of subdirectories Blind walks
	hasGo    bool     // it or a walked directory below holds Go files
	oldName  string   // package name of its non-test files
	token    int      // its number: directory dN, package pN; 0 for the root
	keepDir  bool     // keeps its name: a kept package is in it or below
	keepPkg  bool     // keeps its path and package name: a dependency imports it
}

// Blind copies the module whose root is src into dst, which must not exist or be empty.
//
// keep lists import paths of the module's packages that must keep their path and package name:
// those a dependency imports (a module that depends on an older version of this one, as some
// OpenTelemetry modules do on jaeger's data model). DependencyImports finds them.
func Blind(ctx context.Context, src, dst string, keep []string) (*Result, error) {
	src, err := filepath.Abs(src)
	if err != nil {
		return nil, err
	}
	module, err := modulePath(src)
	if err != nil {
		return nil, err
	}
	if entries, err := os.ReadDir(dst); err == nil && len(entries) > 0 {
		return nil, fmt.Errorf("destination %s exists and is not empty: remove it or choose another", dst)
	}
	t := &tree{src: src, module: module, dirs: map[string]*dirInfo{}, newRel: map[string]string{}}
	if err := scan(ctx, src, "", t.dirs); err != nil {
		return nil, err
	}
	markGo(t.dirs, "")
	assignTokens(t.dirs)
	if err := t.markKept(keep); err != nil {
		return nil, err
	}
	if err := t.readPackageNames(); err != nil {
		return nil, err
	}
	res, pkgs := t.mapPackages()
	for _, rel := range slices.Sorted(maps.Keys(t.dirs)) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n, err := t.copyDir(ctx, rel, dst, pkgs)
		if err != nil {
			return nil, err
		}
		res.Files += n
	}
	return res, nil
}

// modulePath reads the module path from src/go.mod.
func modulePath(src string) (string, error) {
	gomod, err := os.ReadFile(filepath.Join(src, "go.mod"))
	if err != nil {
		return "", fmt.Errorf("%s is not a module root: %w", src, err)
	}
	module := modfile.ModulePath(gomod)
	if module == "" {
		return "", fmt.Errorf("%s/go.mod has no module line", src)
	}
	return module, nil
}

// tree is the module Blind copies: its directories and their new relative paths.
type tree struct {
	src, module string
	dirs        map[string]*dirInfo
	newRel      map[string]string // old relative dir → new relative dir
}

// markKept marks the packages a dependency imports, and the directories above them, as kept.
func (t *tree) markKept(keep []string) error {
	for _, k := range keep {
		rel, ok := strings.CutPrefix(k, t.module)
		rel = strings.TrimPrefix(rel, "/")
		d := t.dirs[rel]
		if !ok || d == nil || len(d.goFiles) == 0 {
			return fmt.Errorf("package %s to keep is not a package of module %s in %s", k, t.module, t.src)
		}
		d.keepPkg = true
		for r := rel; r != ""; r = parentRel(r) {
			t.dirs[r].keepDir = true
		}
	}
	return nil
}

// readPackageNames reads the package name of every directory with Go files.
func (t *tree) readPackageNames() error {
	for _, d := range t.dirs {
		if len(d.goFiles) == 0 {
			continue
		}
		var err error
		if d.oldName, err = packageName(filepath.Join(t.src, filepath.FromSlash(d.rel)), d.goFiles); err != nil {
			return err
		}
	}
	return nil
}

// relOf is the new relative path of the directory rel.
func (t *tree) relOf(rel string) string {
	if rel == "" {
		return ""
	}
	if r, ok := t.newRel[rel]; ok {
		return r
	}
	d := t.dirs[rel]
	name := path.Base(rel)
	if d.hasGo && !d.keepDir {
		name = "d" + strconv.Itoa(d.token)
	}
	r := path.Join(t.relOf(parentRel(rel)), name)
	t.newRel[rel] = r
	return r
}

// mapPackages gives every package of the module its new import path and package name.
func (t *tree) mapPackages() (*Result, map[string]pkgName) {
	res := &Result{Module: t.module, Paths: map[string]string{}}
	pkgs := map[string]pkgName{} // old import path → names
	for rel, d := range t.dirs {
		if len(d.goFiles) == 0 {
			continue
		}
		oldPath, newPath := path.Join(t.module, rel), path.Join(t.module, t.relOf(rel))
		res.Paths[oldPath] = newPath
		pkgs[oldPath] = pkgName{old: d.oldName, new: d.packageName(d.oldName), path: newPath}
	}
	return res, pkgs
}

// copyDir writes the directory rel into dst: its other files and verbatim subtrees as they are,
// its Go files rewritten. It returns the number of Go files written.
func (t *tree) copyDir(ctx context.Context, rel, dst string, pkgs map[string]pkgName) (int, error) {
	d := t.dirs[rel]
	from := filepath.Join(t.src, filepath.FromSlash(rel))
	to := filepath.Join(dst, filepath.FromSlash(t.relOf(rel)))
	if err := os.MkdirAll(to, 0o755); err != nil {
		return 0, err
	}
	for _, name := range d.other {
		if err := copyFile(filepath.Join(from, name), filepath.Join(to, name)); err != nil {
			return 0, err
		}
	}
	for _, name := range d.verbatim {
		if err := copyTree(ctx, filepath.Join(from, name), filepath.Join(to, name)); err != nil {
			return 0, err
		}
	}
	names := fileNames(rel, d.goFiles)
	for _, name := range d.goFiles {
		out, err := rewriteFile(filepath.Join(from, name), d, t.module, pkgs)
		if err != nil {
			return 0, err
		}
		if err := os.WriteFile(filepath.Join(to, names[name]), out, 0o644); err != nil {
			return 0, err
		}
	}
	return len(d.goFiles), nil
}

type pkgName struct{ old, new, path string }

func parentRel(rel string) string {
	if p := path.Dir(rel); p != "." {
		return p
	}
	return ""
}

// scan records the directory rel of root and those below it that Blind rewrites.
func scan(ctx context.Context, root, rel string, dirs map[string]*dirInfo) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	d := &dirInfo{rel: rel}
	dirs[rel] = d
	entries, err := os.ReadDir(filepath.Join(root, filepath.FromSlash(rel)))
	if err != nil {
		return err
	}
	for _, e := range entries {
		name := e.Name()
		switch {
		case strings.HasPrefix(name, "."):
			// .git, .github: not part of the module.
		case e.IsDir():
			sub := path.Join(rel, name)
			_, modErr := os.Stat(filepath.Join(root, filepath.FromSlash(sub), "go.mod"))
			if name == "testdata" || strings.HasPrefix(name, "_") || (rel == "" && name == "vendor") || modErr == nil {
				d.verbatim = append(d.verbatim, name)
				continue
			}
			d.subdirs = append(d.subdirs, name)
			if err := scan(ctx, root, sub, dirs); err != nil {
				return err
			}
		case strings.HasSuffix(name, ".go") && !strings.HasPrefix(name, "_"):
			d.goFiles = append(d.goFiles, name)
		case strings.HasSuffix(name, ".go"):
			// _x.go: ignored by the go command, and its name may tell.
		default:
			d.other = append(d.other, name)
		}
	}
	return nil
}

// markGo sets hasGo on every directory that holds Go files or has one below that does.
func markGo(dirs map[string]*dirInfo, rel string) bool {
	d := dirs[rel]
	d.hasGo = len(d.goFiles) > 0
	for _, s := range d.subdirs {
		if markGo(dirs, path.Join(rel, s)) {
			d.hasGo = true
		}
	}
	return d.hasGo
}

// assignTokens numbers the directories to rename in the order of a hash of their path, so the
// numbers are the same on every run and do not follow the alphabetical order of the names.
func assignTokens(dirs map[string]*dirInfo) {
	var rels []string
	for rel, d := range dirs {
		if rel != "" && d.hasGo {
			rels = append(rels, rel)
		}
	}
	sortByHash(rels)
	for i, rel := range rels {
		dirs[rel].token = i + 1
	}
}

func sortByHash(s []string) {
	key := func(x string) string { h := sha256.Sum256([]byte(x)); return string(h[:]) }
	sort.Slice(s, func(i, j int) bool { return key(s[i]) < key(s[j]) })
}

// packageName is the name in the package clause of most non-test files of a directory (a
// directory may also hold a main behind //go:build ignore).
func packageName(dir string, files []string) (string, error) {
	count := map[string]int{}
	fset := token.NewFileSet()
	for _, name := range files {
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.PackageClauseOnly)
		if err != nil {
			return "", fmt.Errorf("parse %s: %w", filepath.Join(dir, name), err)
		}
		if !strings.HasSuffix(name, "_test.go") {
			count[f.Name.Name]++
		}
	}
	best := ""
	for _, n := range slices.Sorted(maps.Keys(count)) {
		if best == "" || count[n] > count[best] {
			best = n
		}
	}
	return best, nil
}

// newPackageName is the package name in the copy of a file whose package clause says old, in
// the directory numbered token (0: the module root).
func newPackageName(old string, token int) string {
	base, test := strings.CutSuffix(old, "_test")
	if base == "main" {
		return old
	}
	n := "p" + strconv.Itoa(token)
	if test {
		return n + "_test"
	}
	return n
}

// packageName is the name in the copy of a package clause that says old in this directory.
func (d *dirInfo) packageName(old string) string {
	if d.keepPkg {
		return old
	}
	return newPackageName(old, d.token)
}

// fileNames gives the Go files of directory rel neutral names, f1.go, f2_test.go,
// f3_linux_amd64.go, numbered in the order of a hash of their path.
func fileNames(rel string, files []string) map[string]string {
	keys := make([]string, len(files))
	back := map[string]string{}
	for i, f := range files {
		keys[i] = path.Join(rel, f)
		back[keys[i]] = f
	}
	sortByHash(keys)
	out := map[string]string{}
	for i, k := range keys {
		f := back[k]
		out[f] = "f" + strconv.Itoa(i+1) + buildSuffix(f) + ".go"
	}
	return out
}

// buildSuffix is the part of a Go file name that carries build meaning: _test, and the _GOOS,
// _GOARCH or _GOOS_GOARCH the go command reads after the name's first underscore.
func buildSuffix(name string) string {
	name = strings.TrimSuffix(name, ".go")
	name, test := strings.CutSuffix(name, "_test")
	suffix := ""
	if i := strings.Index(name, "_"); i >= 0 {
		l := strings.Split(name[i:], "_")
		n := len(l)
		switch {
		case n >= 2 && knownOS[l[n-2]] && knownArch[l[n-1]]:
			suffix = "_" + l[n-2] + "_" + l[n-1]
		case n >= 1 && (knownOS[l[n-1]] || knownArch[l[n-1]]):
			suffix = "_" + l[n-1]
		}
	}
	if test {
		suffix += "_test"
	}
	return suffix
}

// knownOS and knownArch are the GOOS and GOARCH values the go command recognises in file names
// (including past and reserved ones: a file named for them is excluded from other builds).
var knownOS = setOf("aix", "android", "darwin", "dragonfly", "freebsd", "hurd", "illumos", "ios", "js", "linux", "nacl", "netbsd", "openbsd", "plan9", "solaris", "wasip1", "windows", "zos")

var knownArch = setOf("386", "amd64", "amd64p32", "arm", "armbe", "arm64", "arm64be", "loong64", "mips", "mipsle", "mips64", "mips64le", "mips64p32", "mips64p32le", "ppc", "ppc64", "ppc64le", "riscv", "riscv64", "s390", "s390x", "sparc", "sparc64", "wasm")

func setOf(s ...string) map[string]bool {
	m := map[string]bool{}
	for _, x := range s {
		m[x] = true
	}
	return m
}

// rewriteFile renames the package clause of one Go file of directory d, points its imports of
// the module's packages at their new paths, and renames the qualified identifiers that use them.
func rewriteFile(file string, d *dirInfo, module string, pkgs map[string]pkgName) ([]byte, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, nil, parser.ParseComments)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", file, err)
	}
	f.Name.Name = d.packageName(f.Name.Name)
	dropImportComment(fset, f)

	// renames maps a name under which this file refers to a module package to its new name;
	// taken holds the new names in use, so that a package imported twice under two names
	// (log and util_log) gets two names again.
	renames := map[string]string{}
	taken := map[string]bool{}
	for _, spec := range f.Imports {
		p, _ := strconv.Unquote(spec.Path.Value)
		if pk, ok := pkgs[p]; ok && spec.Name == nil {
			taken[pk.new] = true
		}
	}
	for _, spec := range f.Imports {
		p, err := strconv.Unquote(spec.Path.Value)
		if err != nil {
			return nil, fmt.Errorf("%s: import %s: %w", file, spec.Path.Value, err)
		}
		if p != module && !strings.HasPrefix(p, module+"/") {
			continue
		}
		pk, ok := pkgs[p]
		if !ok {
			return nil, fmt.Errorf("%s imports %s, a package of the module that has no Go files in the tree", fset.Position(spec.Pos()), p)
		}
		spec.Path.Value = strconv.Quote(pk.path)
		switch {
		case spec.Name == nil && pk.old != pk.new:
			renames[pk.old] = pk.new
		case spec.Name == nil:
		case spec.Name.Name == "_" || spec.Name.Name == ".":
		default:
			name := pk.new
			for k := 2; taken[name]; k++ {
				name = pk.new + "_" + strconv.Itoa(k)
			}
			taken[name] = true
			renames[spec.Name.Name] = name
			spec.Name.Name = name
		}
	}
	if len(renames) > 0 {
		// A package name is only ever the X of a selector. The parser resolves every identifier
		// declared in the file to its object, so an X without one is a package name (or a
		// package-level name of another file, which Go forbids to equal an import's name); an X
		// with one is a local variable shadowing the import and stays as it is.
		ast.Inspect(f, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok {
				if id, ok := sel.X.(*ast.Ident); ok && id.Obj == nil {
					if nn, ok := renames[id.Name]; ok {
						id.Name = nn
					}
				}
			}
			return true
		})
	}
	var buf bytes.Buffer
	if err := format.Node(&buf, fset, f); err != nil {
		return nil, fmt.Errorf("print %s: %w", file, err)
	}
	return buf.Bytes(), nil
}

// dropImportComment removes an import comment (package x // import "path") from the package
// clause: the go command ignores it in module mode, and it spells the old path.
func dropImportComment(fset *token.FileSet, f *ast.File) {
	line := fset.Position(f.Name.End()).Line
	f.Comments = slices.DeleteFunc(f.Comments, func(cg *ast.CommentGroup) bool {
		return fset.Position(cg.Pos()).Line == line && cg.Pos() > f.Name.End() && strings.Contains(cg.Text(), "import ")
	})
}

func copyFile(from, to string) error {
	info, err := os.Lstat(from)
	if err != nil {
		return err
	}
	if info.Mode()&fs.ModeSymlink != 0 {
		target, err := os.Readlink(from)
		if err != nil {
			return err
		}
		return os.Symlink(target, to)
	}
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, info.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy %s: %w", from, err)
	}
	return out.Close()
}

// copyTree copies the tree at from to to as it is.
func copyTree(ctx context.Context, from, to string) error {
	return filepath.WalkDir(from, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(from, p)
		if err != nil {
			return err
		}
		target := filepath.Join(to, rel)
		if e.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		return copyFile(p, target)
	})
}

// RewriteTruth maps the keys of a truth file (import path → label) to their paths in the copy.
// Paths the module does not have are returned apart, sorted, and left out of the result.
func RewriteTruth(truth, paths map[string]string) (map[string]string, []string) {
	out := make(map[string]string, len(truth))
	var missing []string
	for p, label := range truth {
		np, ok := paths[p]
		if !ok {
			missing = append(missing, p)
			continue
		}
		out[np] = label
	}
	sort.Strings(missing)
	return out, missing
}

// DependencyImports lists the packages of the module at dir that a package of another module
// imports (go list -deps over ./...): their path and name must stay as they are for the copy to
// build.
func DependencyImports(ctx context.Context, dir string) ([]string, error) {
	gomod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return nil, fmt.Errorf("%s is not a module root: %w", dir, err)
	}
	module := modfile.ModulePath(gomod)
	pkgs, err := GoList(ctx, dir, true)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, p := range pkgs {
		if p.Main {
			continue
		}
		for _, imp := range p.Imports {
			if imp == module || strings.HasPrefix(imp, module+"/") {
				seen[imp] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(seen)), nil
}

// Listed is a package as go list reports it.
type Listed struct {
	Path    string
	Main    bool     // in the main module
	Imports []string // non-test imports
}

// GoList lists the packages of the module at dir (./..., outside any workspace), with their
// dependencies too when deps is set.
func GoList(ctx context.Context, dir string, deps bool) ([]Listed, error) {
	args := []string{"list", "-e", "-json=ImportPath,Module,Imports,Error"}
	if deps {
		args = append(args, "-deps")
	}
	cmd := exec.CommandContext(ctx, "go", append(args, "./...")...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list in %s: %w: %s", dir, err, strings.TrimSpace(stderr.String()))
	}
	var pkgs []Listed
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var p struct {
			ImportPath string
			Imports    []string
			Module     *struct{ Main bool }
			Error      *struct{ Err string }
		}
		if err := dec.Decode(&p); err != nil {
			return nil, fmt.Errorf("go list in %s: %w", dir, err)
		}
		if p.Error != nil && p.Module == nil {
			// An error outside any module: the pattern matched nothing, there is no go.mod.
			return nil, fmt.Errorf("go list %s in %s: %s", p.ImportPath, dir, p.Error.Err)
		}
		pkgs = append(pkgs, Listed{Path: p.ImportPath, Main: p.Module != nil && p.Module.Main, Imports: p.Imports})
	}
	return pkgs, nil
}
