package signals

import (
	"context"
	"go/types"

	"github.com/carve-dev/carve/analyze/facts"
	"github.com/carve-dev/carve/analyze/load"
)

func init() { register(Implements{}) }

// Implements is the signal "a named type declared in A implements (by value or by pointer) an
// interface with at least one method declared in B". It is invisible in the import graph: an
// adapter need not import the package whose port it implements. Count is the number of
// (type, interface) pairs; the sites are the type declarations.
//
// Go interfaces are also declared by consumers: cart declares Products{ Product(sku) } and
// catalog.Service, with six methods, happens to satisfy it. That service is not cart's adapter;
// cart depends on a view of catalog's API. So a type the interface covers only in part (under
// half of its exported methods) couples as a Contract; a type that is mostly the interface (a
// repository implementing its port) couples as implementation.
type Implements struct{}

// Name returns SignalImplements.
func (Implements) Name() string { return facts.SignalImplements }

// Doc describes the signal.
func (Implements) Doc() string {
	return "a type declared in A implements an interface declared in B"
}

// Weight is 0.5: a type implementing an interface declared elsewhere is an adapter of that port;
// in Go it needs no import, so it must count on its own (adapters are also moved to the service
// whose port they implement, see docs/plan.md).
func (Implements) Weight() float64 { return 0.5 }

// Collect adds the implements Deps.
func (Implements) Collect(ctx context.Context, m *load.Module, f *facts.Facts) error {
	ix := m.Types()
	deps := newDepSet(facts.SignalImplements)
	for _, itn := range ix.Ifaces {
		if err := ctx.Err(); err != nil {
			return err
		}
		to, own := m.Own(itn.Pkg())
		if !own {
			continue
		}
		iface, _ := itn.Type().Underlying().(*types.Interface)
		for _, tn := range ix.Implementations(iface) {
			from, own := m.Own(tn.Pkg())
			if !own || from == to {
				continue
			}
			contract := 2*iface.NumMethods() < exportedMethods(tn)
			deps.add(from, to, contract, 1, m.Site(tn.Pos()))
		}
	}
	deps.emit(f)
	return ctx.Err()
}

// exportedMethods counts the exported methods of *tn, promoted ones included.
func exportedMethods(tn *types.TypeName) int {
	ms := types.NewMethodSet(types.NewPointer(tn.Type()))
	n := 0
	for i := 0; i < ms.Len(); i++ {
		if ms.At(i).Obj().Exported() {
			n++
		}
	}
	return n
}
