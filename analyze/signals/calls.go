package signals

import (
	"context"
	"go/ast"
	"go/types"

	"github.com/carve-dev/carve/analyze/facts"
	"github.com/carve-dev/carve/analyze/load"

	"golang.org/x/tools/go/packages"
)

func init() { register(Calls{}) }

// Calls is the signal "code in A calls a function or method declared in B", counted by call
// site. Calls are resolved with the type checker: a method call goes to the package that
// declares the method (a promoted method to the package of the embedded type). A call through
// an interface is resolved, as class hierarchy analysis does, to every implementation among the
// module's named types; each of the n implementations gets 1/n of the site, so that a call
// through a port with two adapters weighs as much as one static call, and Count is the rounded
// sum (at least 1). Calls of function values are not resolved: resolving them by signature
// alone ties every handler to every middleware.
//
// Calls into a contract of B are marked Contract: a method of an interface (every call resolved
// through an interface) or of a plain-data struct (see Dep.Contract).
//
// The resolution works from syntax and types, so a package with type errors contributes the
// calls whose types it could resolve, rather than none: an SSA call graph (go/ssa with
// go/callgraph/cha) needs well-typed packages, and one broken package marks every package
// above it ill-typed.
type Calls struct{}

// Name returns SignalCalls.
func (Calls) Name() string { return facts.SignalCalls }

// Doc describes the signal.
func (Calls) Doc() string {
	return "call sites in A of functions and methods declared in B; interface calls split among the module's implementations"
}

// Weight is 0.25: calls are the couplings that become network calls; they add to the import by
// how intense they are. (On generated monoliths, weights that follow counts closely — calls 1,
// types 0.5, implements 2 — lost 0.1–0.2 ARI against these.)
func (Calls) Weight() float64 { return 0.25 }

// Collect adds the call Deps.
func (Calls) Collect(ctx context.Context, m *load.Module, f *facts.Facts) error {
	ix := m.Types()
	deps := newDepSet(facts.SignalCalls)
	m.Each(func(from string, p *packages.Package) {
		info := p.TypesInfo
		if info == nil || ctx.Err() != nil {
			return
		}
		for _, file := range p.Syntax {
			ast.Inspect(file, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				callee := load.CalleeFunc(info, call)
				if callee == nil {
					return true
				}
				site := m.Site(call.Lparen)
				sig, _ := callee.Type().(*types.Signature)
				if sig != nil && sig.Recv() != nil {
					if iface, own := receiverInterface(m, info, call); iface != nil {
						if !own {
							return true // error, io.Writer, fmt.Stringer: says nothing of the module
						}
						impls := ix.Implementations(iface)
						var targets []string
						for _, tn := range impls {
							if to := methodPackage(m, tn, callee); to != "" && load.SameProgram(ix.Programs, from, to) {
								targets = append(targets, to)
							}
						}
						for _, to := range targets {
							if to != from {
								deps.add(from, to, true, 1/float64(len(targets)), site)
							}
						}
						return true
					}
				}
				to, own := m.Own(callee.Pkg())
				if !own || to == from {
					return true
				}
				contract := false
				if sig != nil && sig.Recv() != nil {
					if named := load.NamedOf(sig.Recv().Type()); named != nil {
						contract = ix.IsContract(named.Obj())
					}
				}
				deps.add(from, to, contract, 1, site)
				return true
			})
		}
	})
	deps.emit(f)
	return ctx.Err()
}

// receiverInterface returns the interface a method call is dispatched through, or nil for a
// call on a concrete type (or on a type parameter, whose implementations are its type
// arguments rather than the module's types). own reports whether the module declares the
// interface (a named interface of one of its packages, or an interface literal in its code).
func receiverInterface(m *load.Module, info *types.Info, call *ast.CallExpr) (iface *types.Interface, own bool) {
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !ok {
		return nil, false
	}
	s, ok := info.Selections[sel]
	if !ok || s.Kind() != types.MethodVal || s.Recv() == nil {
		return nil, false
	}
	recv := s.Recv()
	if _, isParam := recv.(*types.TypeParam); isParam {
		return nil, false
	}
	iface, _ = recv.Underlying().(*types.Interface)
	if iface == nil {
		return nil, false
	}
	if n := load.NamedOf(recv); n != nil {
		_, own = m.Own(n.Obj().Pkg())
		return iface, own
	}
	return iface, true
}

// methodPackage returns the module package declaring the method of tn (or *tn) that
// implements abstract, or "" when that method is declared outside the module.
func methodPackage(m *load.Module, tn *types.TypeName, abstract *types.Func) string {
	obj, _, _ := types.LookupFieldOrMethod(types.NewPointer(tn.Type()), true, abstract.Pkg(), abstract.Name())
	fn, ok := obj.(*types.Func)
	if !ok {
		return ""
	}
	to, own := m.Own(fn.Pkg())
	if !own {
		return ""
	}
	return to
}
