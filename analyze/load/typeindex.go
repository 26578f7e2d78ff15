package load

import (
	"go/ast"
	"go/types"
	"sync"

	"github.com/carve-dev/carve/analyze/internal/bitset"

	"golang.org/x/tools/go/packages"
)

// TypeIndex knows the module's declared types: which named types exist (to resolve interface
// calls and "implements"), which interfaces are declared, and the syntax of each method (to
// tell plain-data types from types with behaviour). It is built once per Module.
type TypeIndex struct {
	m        *Module
	named    []*types.TypeName            // non-interface named types, sorted by package and name
	byMethod map[string][]*types.TypeName // method name → named types whose *T method set has it
	Ifaces   []*types.TypeName            // interfaces with at least one method, sorted
	decls    map[*types.Func]*ast.FuncDecl

	// converted are the named types converted to an interface somewhere in the module: the
	// only ones dynamic dispatch and the implements signal consider (dispatch.go).
	converted map[*types.TypeName]bool
	// Programs says which mains build each package (dispatch.go); nil without mains.
	Programs map[string]bitset.Set

	mu       sync.Mutex
	impls    map[*types.Interface][]*types.TypeName
	contract map[*types.TypeName]bool
}

func (m *Module) Types() *TypeIndex {
	m.indexOnce.Do(func() { m.index = newTypeIndex(m) })
	return m.index
}

func newTypeIndex(m *Module) *TypeIndex {
	ix := &TypeIndex{
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
					ix.Ifaces = append(ix.Ifaces, tn)
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
	ix.Programs = programs(m)
	m.Each(func(_ string, p *packages.Package) {
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

// Implementations returns the module's named types T such that T or *T implements iface and
// that are converted to an interface somewhere, in a fixed order. This is rapid type analysis
// restricted to the module: dependencies' types cannot be the targets of a coupling between
// the module's packages, and a type never used as an interface value implements nothing.
func (ix *TypeIndex) Implementations(iface *types.Interface) []*types.TypeName {
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

// IsContract reports whether tn is a contract of its package rather than part of its
// implementation: an interface, or a plain-data struct (only exported fields, and no methods
// beyond trivial ones) such as a DTO or a message.
func (ix *TypeIndex) IsContract(tn *types.TypeName) bool {
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

func (ix *TypeIndex) contractLocked(tn *types.TypeName) bool {
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
func (ix *TypeIndex) trivial(fn *types.Func, recv *types.Named) bool {
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
		callee := CalleeFunc(info, call)
		if callee == nil {
			return true
		}
		if _, own := ix.m.Own(callee.Pkg()); !own {
			return true
		}
		if sig, _ := callee.Type().(*types.Signature); sig != nil && sig.Recv() != nil && NamedOf(sig.Recv().Type()) == recv {
			return true
		}
		ok = false
		return false
	})
	return ok
}

// NamedOf returns the named type of t or *t, or nil.
func NamedOf(t types.Type) *types.Named {
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

// CalleeFunc returns the function or method a call statically names (for an interface method,
// the abstract method), or nil for conversions, builtins and calls of function values.
func CalleeFunc(info *types.Info, call *ast.CallExpr) *types.Func {
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
