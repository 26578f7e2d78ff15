package analyze

import (
	"context"
	"go/types"
)

// Implements is the signal "a named type declared in A implements (by value or by pointer) an
// interface with at least one method declared in B". It is invisible in the import graph: an
// adapter need not import the package whose port it implements. Count is the number of
// (type, interface) pairs; the sites are the type declarations.
type Implements struct{}

// Name returns SignalImplements.
func (Implements) Name() string { return SignalImplements }

// Doc describes the signal.
func (Implements) Doc() string {
	return "a type declared in A implements an interface declared in B"
}

// Collect adds the implements Deps.
func (Implements) Collect(ctx context.Context, m *Module, f *Facts) error {
	ix := m.types()
	deps := newDepSet(SignalImplements)
	for _, itn := range ix.ifaces {
		if err := ctx.Err(); err != nil {
			return err
		}
		to, own := m.Own(itn.Pkg())
		if !own {
			continue
		}
		iface, _ := itn.Type().Underlying().(*types.Interface)
		for _, tn := range ix.implementations(iface) {
			from, own := m.Own(tn.Pkg())
			if !own || from == to {
				continue
			}
			deps.add(from, to, false, 1, m.Site(tn.Pos()))
		}
	}
	deps.emit(f)
	return ctx.Err()
}
