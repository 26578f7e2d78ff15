package signals

import (
	"context"
	"go/ast"
	"go/token"
	"go/types"

	"github.com/carve-dev/carve/analyze/facts"
	"github.com/carve-dev/carve/analyze/load"

	"golang.org/x/tools/go/packages"
)

func init() { register(State{}) }

// State is the signal "code in A reads or writes a package-level variable declared in B".
// Count is the number of accesses and Dep.Writes how many of them write: an assignment, an
// increment, or taking the variable's (or one of its fields') address. A variable that nothing
// in the module writes after its declaration (a sentinel error, a lookup table) is a constant
// in all but name: reading it is a Contract coupling.
type State struct{}

// Name returns SignalState.
func (State) Name() string { return facts.SignalState }

// Doc describes the signal.
func (State) Doc() string { return "reads and writes in A of package-level variables declared in B" }

// Weight is 0.25: shared variables, like calls, become network calls; they add to the import by
// how intense they are.
func (State) Weight() float64 { return 0.25 }

// Collect adds the state Deps.
func (State) Collect(ctx context.Context, m *load.Module, f *facts.Facts) error {
	deps := newDepSet(facts.SignalState)
	// Variables written anywhere in the module, and the written identifiers of each file.
	writes := map[*types.Var]bool{}
	writtenIn := map[*ast.File]map[*ast.Ident]bool{}
	m.Each(func(_ string, p *packages.Package) {
		if p.TypesInfo == nil {
			return
		}
		for _, file := range p.Syntax {
			w := writtenIdents(file, p.TypesInfo)
			writtenIn[file] = w
			for id := range w {
				if v, ok := p.TypesInfo.Uses[id].(*types.Var); ok {
					writes[v] = true
				}
			}
		}
	})
	m.Each(func(from string, p *packages.Package) {
		info := p.TypesInfo
		if info == nil || ctx.Err() != nil {
			return
		}
		for _, file := range p.Syntax {
			written := writtenIn[file]
			ast.Inspect(file, func(n ast.Node) bool {
				id, ok := n.(*ast.Ident)
				if !ok {
					return true
				}
				v, ok := info.Uses[id].(*types.Var)
				if !ok || v.IsField() || v.Pkg() == nil || v.Pkg().Scope().Lookup(v.Name()) != v {
					return true
				}
				to, own := m.Own(v.Pkg())
				if !own || to == from {
					return true
				}
				acc := deps.add(from, to, !writes[v], 1, m.Site(id.Pos()))
				if written[id] {
					acc.writes++
				}
				return true
			})
		}
	})
	deps.emit(f)
	return ctx.Err()
}

// writtenIdents returns the identifiers of file at the root of an assigned, incremented or
// address-taken expression: in pkg.V.Field = x, &pkg.V, pkg.M[k] = v, the identifier V.
func writtenIdents(file *ast.File, info *types.Info) map[*ast.Ident]bool {
	written := map[*ast.Ident]bool{}
	mark := func(e ast.Expr) {
		if id := rootIdent(info, e); id != nil {
			written[id] = true
		}
	}
	ast.Inspect(file, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.AssignStmt:
			if x.Tok != token.DEFINE {
				for _, l := range x.Lhs {
					mark(l)
				}
			}
		case *ast.IncDecStmt:
			mark(x.X)
		case *ast.UnaryExpr:
			if x.Op == token.AND {
				mark(x.X)
			}
		case *ast.RangeStmt:
			if x.Tok == token.ASSIGN {
				if x.Key != nil {
					mark(x.Key)
				}
				if x.Value != nil {
					mark(x.Value)
				}
			}
		}
		return true
	})
	return written
}

// rootIdent returns the variable at the root of a selector, index or dereference chain. For a
// qualified identifier pkg.V it is V; for v.F it is v.
func rootIdent(info *types.Info, e ast.Expr) *ast.Ident {
	for {
		switch x := e.(type) {
		case *ast.ParenExpr:
			e = x.X
		case *ast.StarExpr:
			e = x.X
		case *ast.IndexExpr:
			e = x.X
		case *ast.IndexListExpr:
			e = x.X
		case *ast.SelectorExpr:
			// pkg.V: the selector names the variable; v.F: descend to v.
			if id, ok := x.X.(*ast.Ident); ok {
				if _, isPkg := info.Uses[id].(*types.PkgName); isPkg {
					return x.Sel
				}
			}
			e = x.X
		case *ast.Ident:
			return x
		default:
			return nil
		}
	}
}
