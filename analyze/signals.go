package analyze

import (
	"context"
	"fmt"
	"go/ast"
	"go/types"
	"math"
	"runtime"
	"sort"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"
	"golang.org/x/tools/go/packages"
)

// Signals returns every signal carve knows, in a fixed order. Adding a signal is adding a file
// that implements Signal and listing it here.
func Signals() []Signal {
	return []Signal{
		Imports{},
		Calls{},
		TypeUse{},
		Implements{},
		State{},
		Data{},
		Routes{},
		CoChange{},
	}
}

// StandardSignals returns the signals run when none are chosen: all but git co-change, which
// depends on the history rather than the code and is asked for explicitly.
func StandardSignals() []Signal {
	var out []Signal
	for _, s := range Signals() {
		if s.Name() != SignalCoChange {
			out = append(out, s)
		}
	}
	return out
}

// LookupSignal returns the signal called name, or an *InputError listing the known names.
func LookupSignal(name string) (Signal, error) {
	var names []string
	for _, s := range Signals() {
		if s.Name() == name {
			return s, nil
		}
		names = append(names, s.Name())
	}
	return nil, &InputError{Problem: fmt.Sprintf("unknown signal %q", name), Hint: "known signals: " + strings.Join(names, ", ")}
}

// Collect runs the signals over m and returns the facts, sorted so that the same module gives
// the same facts on every run. Signals run concurrently, each into facts of its own, merged in
// the order given. A nil signals slice runs StandardSignals.
func Collect(ctx context.Context, m *Module, signals []Signal) (*Facts, error) {
	if signals == nil {
		signals = StandardSignals()
	}
	f := &Facts{
		Modules:  append([]string(nil), m.Paths...),
		Root:     m.Root,
		Packages: m.Infos(),
	}
	parts := make([]Facts, len(signals))
	var (
		mu   sync.Mutex
		done int
	)
	m.report(StageSignals, 0, len(signals))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, s := range signals {
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			if err := s.Collect(gctx, m, &parts[i]); err != nil {
				return fmt.Errorf("signal %s: %w", s.Name(), err)
			}
			mu.Lock()
			done++
			m.report(StageSignals+": "+s.Name(), done, len(signals))
			mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("collect signals in %s: %w", m.Root, ctx.Err())
		}
		return nil, fmt.Errorf("collect signals in %s: %w", m.Root, err)
	}
	for _, p := range parts {
		f.Deps = append(f.Deps, p.Deps...)
		f.Tables = append(f.Tables, p.Tables...)
		f.Routes = append(f.Routes, p.Routes...)
	}
	for _, s := range signals {
		f.Signals = append(f.Signals, s.Name())
	}
	m.report(StageSignals, len(signals), len(signals))
	sortFacts(f)
	return f, nil
}

func sortFacts(f *Facts) {
	sort.SliceStable(f.Packages, func(i, j int) bool { return f.Packages[i].Path < f.Packages[j].Path })
	sort.SliceStable(f.Deps, func(i, j int) bool {
		a, b := f.Deps[i], f.Deps[j]
		if a.From != b.From {
			return a.From < b.From
		}
		if a.To != b.To {
			return a.To < b.To
		}
		if a.Signal != b.Signal {
			return a.Signal < b.Signal
		}
		return !a.Contract && b.Contract
	})
	sort.SliceStable(f.Tables, func(i, j int) bool {
		a, b := f.Tables[i], f.Tables[j]
		if a.Package != b.Package {
			return a.Package < b.Package
		}
		if a.Store != b.Store {
			return a.Store < b.Store
		}
		return a.Table < b.Table
	})
	sort.SliceStable(f.Routes, func(i, j int) bool {
		a, b := f.Routes[i], f.Routes[j]
		if a.Pattern != b.Pattern {
			return a.Pattern < b.Pattern
		}
		if a.Method != b.Method {
			return a.Method < b.Method
		}
		if a.Host != b.Host {
			return a.Host < b.Host
		}
		return a.Site.File < b.Site.File || a.Site.File == b.Site.File && a.Site.Line < b.Site.Line
	})
}

// depKey identifies one Dep of a signal.
type depKey struct {
	from, to string
	contract bool
}

type depAcc struct {
	weight float64
	writes int
	sites  []Site
}

// depSet accumulates the couplings one signal finds, then emits them as sorted Deps: one Dep per
// (from, to, contract), so a pair coupled both through contracts and through implementation
// gets two Deps.
type depSet struct {
	signal string
	m      map[depKey]*depAcc
}

func newDepSet(signal string) *depSet { return &depSet{signal: signal, m: map[depKey]*depAcc{}} }

// add records a coupling of the given weight (1 for one call site, 1/n for a call resolved to n
// implementations) at site.
func (d *depSet) add(from, to string, contract bool, weight float64, site Site) *depAcc {
	k := depKey{from, to, contract}
	a := d.m[k]
	if a == nil {
		a = &depAcc{}
		d.m[k] = a
	}
	a.weight += weight
	if site.File != "" && len(a.sites) < MaxSites && !hasSite(a.sites, site) {
		a.sites = append(a.sites, site)
	}
	return a
}

func hasSite(sites []Site, s Site) bool {
	for _, x := range sites {
		if x == s {
			return true
		}
	}
	return false
}

// emit appends the accumulated Deps to f. Count is the accumulated weight rounded to the nearest
// integer, at least 1.
func (d *depSet) emit(f *Facts) {
	keys := make([]depKey, 0, len(d.m))
	for k := range d.m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.from != b.from {
			return a.from < b.from
		}
		if a.to != b.to {
			return a.to < b.to
		}
		return !a.contract && b.contract
	})
	for _, k := range keys {
		a := d.m[k]
		n := int(math.Round(a.weight))
		if n < 1 {
			n = 1
		}
		sortSites(a.sites)
		f.Deps = append(f.Deps, Dep{From: k.from, To: k.to, Signal: d.signal, Count: n, Contract: k.contract, Writes: a.writes, Sites: a.sites})
	}
}

func sortSites(s []Site) {
	sort.Slice(s, func(i, j int) bool {
		if s[i].File != s[j].File {
			return s[i].File < s[j].File
		}
		return s[i].Line < s[j].Line
	})
}

// typeIndex knows the module's declared types: which named types exist (to resolve interface
// calls and "implements"), which interfaces are declared, and the syntax of each method (to
// tell plain-data types from types with behaviour). It is built once per Module.
type typeIndex struct {
	m        *Module
	named    []*types.TypeName            // non-interface named types, sorted by package and name
	byMethod map[string][]*types.TypeName // method name → named types whose *T method set has it
	ifaces   []*types.TypeName            // interfaces with at least one method, sorted
	decls    map[*types.Func]*ast.FuncDecl

	// converted are the named types converted to an interface somewhere in the module: the
	// only ones dynamic dispatch and the implements signal consider (dispatch.go).
	converted map[*types.TypeName]bool
	// programs says which mains build each package (dispatch.go); nil without mains.
	programs map[string]bitset

	mu       sync.Mutex
	impls    map[*types.Interface][]*types.TypeName
	contract map[*types.TypeName]bool
}

func (m *Module) types() *typeIndex {
	m.indexOnce.Do(func() { m.index = newTypeIndex(m) })
	return m.index
}

func newTypeIndex(m *Module) *typeIndex {
	ix := &typeIndex{
		m:        m,
		byMethod: map[string][]*types.TypeName{},
		decls:    map[*types.Func]*ast.FuncDecl{},
		impls:    map[*types.Interface][]*types.TypeName{},
		contract: map[*types.TypeName]bool{},
	}
	for _, p := range m.Packages {
		if p.Types == nil {
			continue
		}
		scope := p.Types.Scope()
		for _, name := range scope.Names() { // sorted
			tn, ok := scope.Lookup(name).(*types.TypeName)
			if !ok || tn.IsAlias() {
				continue
			}
			named, ok := tn.Type().(*types.Named)
			if !ok || named.TypeParams().Len() > 0 {
				continue
			}
			if iface, ok := named.Underlying().(*types.Interface); ok {
				if iface.NumMethods() > 0 {
					ix.ifaces = append(ix.ifaces, tn)
				}
				continue
			}
			if _, ok := named.Underlying().(*types.Basic); ok && named.Underlying() == types.Typ[types.Invalid] {
				continue
			}
			ix.named = append(ix.named, tn)
			ms := types.NewMethodSet(types.NewPointer(named))
			for i := 0; i < ms.Len(); i++ {
				n := ms.At(i).Obj().Name()
				ix.byMethod[n] = append(ix.byMethod[n], tn)
			}
		}
	}
	ix.converted = conversions(m)
	ix.programs = programs(m)
	m.each(func(_ string, p *packages.Package) {
		for _, file := range p.Syntax {
			for _, d := range file.Decls {
				fd, ok := d.(*ast.FuncDecl)
				if !ok || p.TypesInfo == nil {
					continue
				}
				if fn, ok := p.TypesInfo.Defs[fd.Name].(*types.Func); ok {
					ix.decls[fn] = fd
				}
			}
		}
	})
	return ix
}

// implementations returns the module's named types T such that T or *T implements iface and
// that are converted to an interface somewhere, in a fixed order. This is rapid type analysis
// restricted to the module: dependencies' types cannot be the targets of a coupling between
// the module's packages, and a type never used as an interface value implements nothing.
func (ix *typeIndex) implementations(iface *types.Interface) []*types.TypeName {
	if iface == nil || iface.NumMethods() == 0 {
		return nil
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if impls, ok := ix.impls[iface]; ok {
		return impls
	}
	var impls []*types.TypeName
	for _, tn := range ix.byMethod[iface.Method(0).Name()] {
		if !ix.converted[tn] {
			continue // never used as an interface value: it implements nothing in this program
		}
		t := tn.Type()
		if types.Implements(t, iface) || types.Implements(types.NewPointer(t), iface) {
			impls = append(impls, tn)
		}
	}
	ix.impls[iface] = impls
	return impls
}

// isContract reports whether tn is a contract of its package rather than part of its
// implementation: an interface, or a plain-data struct (only exported fields, and no methods
// beyond trivial ones) such as a DTO or a message.
func (ix *typeIndex) isContract(tn *types.TypeName) bool {
	if tn == nil || tn.Type() == nil {
		return false
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if c, ok := ix.contract[tn]; ok {
		return c
	}
	c := ix.contractLocked(tn)
	ix.contract[tn] = c
	return c
}

func (ix *typeIndex) contractLocked(tn *types.TypeName) bool {
	switch u := tn.Type().Underlying().(type) {
	case *types.Interface:
		return true
	case *types.Struct:
		if u.NumFields() == 0 {
			return false
		}
		for i := 0; i < u.NumFields(); i++ {
			if !u.Field(i).Exported() {
				return false
			}
		}
		named, ok := tn.Type().(*types.Named)
		if !ok {
			return true
		}
		for i := 0; i < named.NumMethods(); i++ {
			if !ix.trivial(named.Method(i), named) {
				return false
			}
		}
		return true
	}
	return false
}

// trivial reports whether a method only computes from its receiver: a body of at most one
// statement that calls no function of the module other than methods of the same type. Getters,
// String and Validate-like one-liners keep a struct plain data; a method that calls into other
// code gives it behaviour.
func (ix *typeIndex) trivial(fn *types.Func, recv *types.Named) bool {
	fd := ix.decls[fn]
	if fd == nil || fd.Body == nil {
		return false
	}
	if len(fd.Body.List) > 1 {
		return false
	}
	info := ix.m.infoFor(fn.Pkg())
	ok := true
	ast.Inspect(fd.Body, func(n ast.Node) bool {
		call, isCall := n.(*ast.CallExpr)
		if !isCall || !ok || info == nil {
			return ok
		}
		callee := calleeFunc(info, call)
		if callee == nil {
			return true
		}
		if _, own := ix.m.Own(callee.Pkg()); !own {
			return true
		}
		if sig, _ := callee.Type().(*types.Signature); sig != nil && sig.Recv() != nil && namedOf(sig.Recv().Type()) == recv {
			return true
		}
		ok = false
		return false
	})
	return ok
}

// namedOf returns the named type of t or *t, or nil.
func namedOf(t types.Type) *types.Named {
	if t == nil {
		return nil
	}
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	if a, ok := t.(*types.Alias); ok {
		t = types.Unalias(a)
	}
	n, _ := t.(*types.Named)
	if n != nil {
		n = n.Origin()
	}
	return n
}

// calleeFunc returns the function or method a call statically names (for an interface method,
// the abstract method), or nil for conversions, builtins and calls of function values.
func calleeFunc(info *types.Info, call *ast.CallExpr) *types.Func {
	fun := ast.Unparen(call.Fun)
	// Strip explicit instantiation: f[T](x).
	switch x := fun.(type) {
	case *ast.IndexExpr:
		fun = x.X
	case *ast.IndexListExpr:
		fun = x.X
	}
	var obj types.Object
	switch x := fun.(type) {
	case *ast.Ident:
		obj = info.Uses[x]
	case *ast.SelectorExpr:
		if sel, ok := info.Selections[x]; ok {
			if sel.Kind() != types.MethodVal {
				return nil // a field of function type
			}
			obj = sel.Obj()
		} else {
			obj = info.Uses[x.Sel]
		}
	}
	fn, _ := obj.(*types.Func)
	if fn != nil {
		fn = fn.Origin()
	}
	return fn
}
