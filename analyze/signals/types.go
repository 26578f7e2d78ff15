package signals

import (
	"context"
	"go/ast"
	"go/types"

	"github.com/carve-dev/carve/analyze/facts"
	"github.com/carve-dev/carve/analyze/load"

	"golang.org/x/tools/go/packages"
)

func init() { register(TypeUse{}) }

// TypeUse is the signal "code in A names a type declared in B": in fields and embedding,
// parameters and results, conversions, composite literals, variable declarations and type
// assertions. Count is the number of references. A reference to an interface or a plain-data
// struct of B (a DTO, a message) is a Contract coupling.
type TypeUse struct{}

// Name returns SignalTypes.
func (TypeUse) Name() string { return facts.SignalTypes }

// Doc describes the signal.
func (TypeUse) Doc() string {
	return "references in A to types declared in B (fields, embedding, parameters, conversions, literals)"
}

// Weight is 0.1: type use mostly goes through shared DTOs, a weak tie.
func (TypeUse) Weight() float64 { return 0.1 }

// Collect adds the type-use Deps.
func (TypeUse) Collect(ctx context.Context, m *load.Module, f *facts.Facts) error {
	ix := m.Types()
	deps := newDepSet(facts.SignalTypes)
	m.Each(func(from string, p *packages.Package) {
		info := p.TypesInfo
		if info == nil || ctx.Err() != nil {
			return
		}
		for _, file := range p.Syntax {
			ast.Inspect(file, func(n ast.Node) bool {
				id, ok := n.(*ast.Ident)
				if !ok {
					return true
				}
				tn, ok := info.Uses[id].(*types.TypeName)
				if !ok || tn.Pkg() == nil || tn.Pkg().Scope().Lookup(tn.Name()) != tn {
					return true // not a package-level type (a type parameter, a local type)
				}
				to, own := m.Own(tn.Pkg())
				if !own || to == from {
					return true
				}
				deps.add(from, to, ix.IsContract(tn), 1, m.Site(id.Pos()))
				return true
			})
		}
	})
	deps.emit(f)
	return ctx.Err()
}
