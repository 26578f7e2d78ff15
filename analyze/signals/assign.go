package signals

import (
	"go/ast"
	"go/types"
	"iter"
)

// eachAssign calls fn for every value node n gives a variable or field: var x = e, x := e,
// x.f = e, and the fields of a struct literal, keyed T{f: e} or in order T{e1, e2}.
func eachAssign(n ast.Node, info *types.Info, fn func(v *types.Var, e ast.Expr)) {
	assign := func(v *types.Var, e ast.Expr) {
		if v != nil && e != nil {
			fn(v, e)
		}
	}
	switch x := n.(type) {
	case *ast.ValueSpec:
		if len(x.Names) == len(x.Values) {
			for i, id := range x.Names {
				v, _ := info.Defs[id].(*types.Var)
				assign(v, x.Values[i])
			}
		}
	case *ast.AssignStmt:
		if len(x.Lhs) == len(x.Rhs) {
			for i, l := range x.Lhs {
				assign(varOf(info, l), x.Rhs[i])
			}
		}
	case *ast.CompositeLit:
		st, _ := derefUnder(info.TypeOf(x)).(*types.Struct)
		for i, elt := range x.Elts {
			if kv, ok := elt.(*ast.KeyValueExpr); ok {
				if key, ok := kv.Key.(*ast.Ident); ok {
					if v, ok := info.Uses[key].(*types.Var); ok && v.IsField() {
						assign(v, kv.Value)
					}
				}
			} else if st != nil && i < st.NumFields() {
				assign(st.Field(i), elt) // T{a, b}: the fields in order
			}
		}
	}
}

// keyedFields yields the field name and value of each keyed element of a struct literal
// (Name: value), skipping positional elements.
func keyedFields(lit *ast.CompositeLit) iter.Seq2[string, ast.Expr] {
	return func(yield func(string, ast.Expr) bool) {
		for _, elt := range lit.Elts {
			kv, ok := elt.(*ast.KeyValueExpr)
			if !ok {
				continue
			}
			if key, ok := kv.Key.(*ast.Ident); ok && !yield(key.Name, kv.Value) {
				return
			}
		}
	}
}
