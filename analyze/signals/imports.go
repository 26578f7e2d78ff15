package signals

import (
	"context"
	"strconv"

	"github.com/carve-dev/carve/analyze/facts"
	"github.com/carve-dev/carve/analyze/load"

	"golang.org/x/tools/go/packages"
)

func init() { register(Imports{}) }

// Imports is the signal "package A imports package B", between the module's own packages.
// Count is 1 per imported package; the sites are the import declarations.
type Imports struct{}

// Name returns SignalImports.
func (Imports) Name() string { return facts.SignalImports }

// Doc describes the signal.
func (Imports) Doc() string { return "package A imports package B (count 1)" }

// Weight is 1, the unit: that two packages are coupled at all is the strongest evidence; how
// much they are coupled (call sites, type references) depends on coding style as much as on
// design, so the import, which every use implies, carries the unit weight and the other
// signals add to it.
func (Imports) Weight() float64 { return 1 }

// Collect adds one Dep per import between two of the module's packages.
func (Imports) Collect(ctx context.Context, m *load.Module, f *facts.Facts) error {
	deps := newDepSet(facts.SignalImports)
	m.Each(func(from string, p *packages.Package) {
		for _, file := range p.Syntax {
			for _, spec := range file.Imports {
				path, err := strconv.Unquote(spec.Path.Value)
				if err != nil {
					continue
				}
				imp := p.Imports[path]
				if imp == nil {
					continue
				}
				to, own := m.OwnPath(imp.PkgPath)
				if !own || to == from {
					continue
				}
				w := 1.0
				if _, seen := deps.m[depKey{from, to, false}]; seen {
					w = 0 // one import per package pair, whatever the number of files
				}
				deps.add(from, to, false, w, m.Site(spec.Pos()))
			}
		}
	})
	deps.emit(f)
	return ctx.Err()
}
