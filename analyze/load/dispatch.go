package load

import (
	"go/ast"
	"go/types"
	"maps"
	"slices"

	"github.com/carve-dev/carve/analyze/internal/bitset"

	"golang.org/x/tools/go/packages"
)

// Dynamic dispatch is resolved the way rapid type analysis does it, restricted to what one
// program can do: a call through an interface may reach a type only when
//
//   - the interface is the module's own: `err.Error()` or `w.Write()` through error, io.Writer
//     or fmt.Stringer says nothing about which of the module's packages work together, and
//     resolving it to every error type of a workspace ties separately built services;
//   - the type is converted to an interface somewhere in the module (passed, assigned, returned
//     or stored as an interface value): a type that satisfies an interface by coincidence and
//     is never used as one is no implementation of it;
//   - one program builds both: some main builds the caller's package and the type's package
//     (in a module without mains, every package counts as one program).
//
// The same conversion rule decides the implements signal: a structural implementation counts
// only when it is wired somewhere.

// conversions returns the module's named types that are converted to an interface type
// somewhere in the module's own code.
func conversions(m *Module) map[*types.TypeName]bool {
	out := map[*types.TypeName]bool{}
	m.Each(func(_ string, p *packages.Package) {
		if p.TypesInfo == nil {
			return
		}
		for _, file := range p.Syntax {
			c := &convScan{info: p.TypesInfo, out: out}
			ast.Inspect(file, c.visit)
		}
	})
	return out
}

// convScan finds, in one file, the values of named types converted to interfaces. results
// holds the result types of the enclosing functions, innermost last, for return statements.
type convScan struct {
	info    *types.Info
	out     map[*types.TypeName]bool
	results []*types.Tuple
}

// mark records e's named type when e, not itself an interface, is used as a value of type to,
// an interface.
func (c *convScan) mark(info *types.Info, e ast.Expr, to types.Type) {
	if e == nil || to == nil || !types.IsInterface(to) {
		return
	}
	tv, ok := info.Types[e]
	if !ok || tv.Type == nil || types.IsInterface(tv.Type) {
		return
	}
	if n := NamedOf(tv.Type); n != nil {
		c.out[n.Obj()] = true
	}
}

// visit marks the conversions node n makes, and walks function bodies with their result types.
func (c *convScan) visit(n ast.Node) bool {
	info := c.info
	switch n := n.(type) {
	case *ast.FuncDecl:
		if fn, ok := info.Defs[n.Name].(*types.Func); ok && n.Body != nil {
			c.body(fn.Type().(*types.Signature).Results(), n.Body)
		}
		return false
	case *ast.FuncLit:
		if sig, ok := info.Types[n].Type.(*types.Signature); ok {
			c.body(sig.Results(), n.Body)
		}
		return false
	case *ast.ReturnStmt:
		if len(c.results) > 0 && c.results[len(c.results)-1].Len() == len(n.Results) {
			for i, r := range n.Results {
				c.mark(info, r, c.results[len(c.results)-1].At(i).Type())
			}
		}
	case *ast.CallExpr:
		markCall(info, n, c.mark)
	case *ast.AssignStmt:
		c.assign(n)
	case *ast.ValueSpec:
		if n.Type != nil && len(n.Values) == len(n.Names) {
			for _, v := range n.Values {
				c.mark(info, v, info.TypeOf(n.Type))
			}
		}
	case *ast.CompositeLit:
		markComposite(info, n, c.mark)
	case *ast.SendStmt:
		if ch, ok := types.Unalias(info.TypeOf(n.Chan)).Underlying().(*types.Chan); ok {
			c.mark(info, n.Value, ch.Elem())
		}
	}
	return true
}

// body walks a function body whose return statements give values of the types in results.
func (c *convScan) body(results *types.Tuple, body *ast.BlockStmt) {
	c.results = append(c.results, results)
	ast.Inspect(body, c.visit)
	c.results = c.results[:len(c.results)-1]
}

// assign marks the values assigned to variables of interface types.
func (c *convScan) assign(n *ast.AssignStmt) {
	if len(n.Lhs) != len(n.Rhs) {
		return
	}
	for i, l := range n.Lhs {
		if tv, ok := c.info.Types[l]; ok {
			c.mark(c.info, n.Rhs[i], tv.Type)
		}
	}
}

// markCall marks the arguments of a call passed as interface parameters, and the operand of an
// explicit conversion to an interface type.
func markCall(info *types.Info, call *ast.CallExpr, mark func(*types.Info, ast.Expr, types.Type)) {
	if tv, ok := info.Types[call.Fun]; ok && tv.IsType() {
		if len(call.Args) == 1 {
			mark(info, call.Args[0], tv.Type)
		}
		return
	}
	sig, ok := types.Unalias(info.TypeOf(call.Fun)).(*types.Signature)
	if !ok {
		return
	}
	params := sig.Params()
	for i, a := range call.Args {
		var pt types.Type
		switch {
		case sig.Variadic() && i >= params.Len()-1:
			last := params.At(params.Len() - 1).Type()
			if call.Ellipsis.IsValid() {
				pt = last
			} else if s, ok := last.(*types.Slice); ok {
				pt = s.Elem()
			}
		case i < params.Len():
			pt = params.At(i).Type()
		}
		mark(info, a, pt)
	}
}

// markComposite marks values stored as interfaces in struct fields, slices, arrays and maps.
func markComposite(info *types.Info, lit *ast.CompositeLit, mark func(*types.Info, ast.Expr, types.Type)) {
	t := info.TypeOf(lit)
	if t == nil {
		return
	}
	switch u := types.Unalias(t).Underlying().(type) {
	case *types.Struct:
		for i, el := range lit.Elts {
			if kv, ok := el.(*ast.KeyValueExpr); ok {
				if id, ok := kv.Key.(*ast.Ident); ok {
					if f, ok := info.Uses[id].(*types.Var); ok {
						mark(info, kv.Value, f.Type())
					}
				}
			} else if i < u.NumFields() {
				mark(info, el, u.Field(i).Type())
			}
		}
	case *types.Slice:
		markElems(info, lit, u.Elem(), mark)
	case *types.Array:
		markElems(info, lit, u.Elem(), mark)
	case *types.Map:
		markElems(info, lit, u.Elem(), mark)
	}
}

func markElems(info *types.Info, lit *ast.CompositeLit, elem types.Type, mark func(*types.Info, ast.Expr, types.Type)) {
	for _, el := range lit.Elts {
		if kv, ok := el.(*ast.KeyValueExpr); ok {
			el = kv.Value
		}
		mark(info, el, elem)
	}
}

// programs returns, per package of the module, the set of mains that build it (as indexes into
// a bit set); nil when the module has no main (a library: one program).
func programs(m *Module) map[string]bitset.Set {
	var mains []*packages.Package
	for _, p := range m.Packages {
		if p.Name == "main" {
			mains = append(mains, p)
		}
	}
	if len(mains) == 0 {
		return nil
	}
	out := map[string]bitset.Set{}
	for k, mp := range mains {
		seen := map[string]bool{}
		stack := []*packages.Package{mp}
		for len(stack) > 0 {
			p := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if seen[p.PkgPath] {
				continue
			}
			seen[p.PkgPath] = true
			if _, own := m.byPath[p.PkgPath]; !own {
				continue
			}
			b, ok := out[p.PkgPath]
			if !ok {
				b = bitset.New(len(mains))
				out[p.PkgPath] = b
			}
			b.Add(k)
			for _, path := range slices.Sorted(maps.Keys(p.Imports)) {
				stack = append(stack, p.Imports[path])
			}
		}
	}
	return out
}

// SameProgram reports whether some main builds both packages (always true without mains, or
// for a package no main builds: a library package, or a test helper).
func SameProgram(progs map[string]bitset.Set, a, b string) bool {
	if progs == nil {
		return true
	}
	pa, pb := progs[a], progs[b]
	if pa == nil || pb == nil {
		return true
	}
	for i := range pa {
		if pa[i]&pb[i] != 0 {
			return true
		}
	}
	return false
}
