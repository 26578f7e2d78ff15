// Package gen writes synthetic Go monoliths with a planted decomposition, to measure how well
// carve's analysis recovers services it did not see being designed.
//
// A generated monolith is a complete Go module (standard library only) of K services with P
// packages each, a few kernel packages (utilities imported by most packages: a shared library,
// not a service) and one main package that serves every service's HTTP routes. The planted
// decomposition is written to truth.json (package import path → service name), in the format of
// `carve analyze --truth`; kernel packages and the main package belong to no service and are
// absent from it. carve-gen.json records the rest: kernel, main, tables and their owners, the
// options and what was realised.
//
// # Coupling
//
// Packages of a service are coupled with each other and, in proportion Mixing (μ, the mixing
// parameter of the LFR benchmarks), with packages of other services. The generator first draws
// an undirected planted-partition graph: every service package starts on average Degree/2 links
// (Degree is capped for small services, see Options.Degree) of one to three coupling units
// each; links holding a share μ of all units, chosen at random, go to a package of another
// service, the others to a package of the same service, each to a package not linked yet where
// there is one. So μ is realised exactly on coupling units and closely on linked package pairs
// and per package. Each link is then oriented by a random topological order (entry packages
// first), so that the lower package imports the higher one and the import graph has no cycle,
// and each of its units becomes a piece of Go code of one kind:
//
//   - call: a call of an exported function of the other package (which may itself be a
//     function holding further calls, giving call chains);
//   - method: a constructor call and a method call on the other package's exported type;
//   - field: a struct field of the other package's type, read by a method;
//   - var: a read of the other package's exported package-level variable;
//   - implements: the other package declares an interface and a function taking it; this
//     package declares a type implementing the interface and passes it (an implicit Go
//     interface: the implementing type itself needs no import).
//
// Cross-service and intra-service units are drawn from the same mix of kinds (call 40%, method
// 20%, field 15%, implements 15%, var 10%), so the share that crosses services is μ in whatever
// a signal counts. Data coupling follows the same rule: each service owns TablesPerService
// tables, about a third of its packages read or write tables with SQL passed to database/sql
// (*sql.DB QueryContext/ExecContext with a literal query) and with the kernel database package's
// Put/Get; every table is accessed from its own service, and a share μ of all accesses, chosen
// at random, go to other services' tables.
//
// Each service has an entry package: an HTTP handler registering Go 1.22 ServeMux patterns
// ("GET /invoices/{id}"); the main package imports every entry package and registers them all
// on one mux. Kernel packages import only the standard library and are imported by most
// packages.
//
// Package names do not reveal the service unless Naming is Meaningful: by default every package
// is example.com/synth/pNNN with NNN a random permutation. Output is a function of the options:
// the same seed writes the same bytes.
//
// # Layouts
//
// The flat layout above is the default. Options.Layout combines features that lay the same
// planted coupling out as real Go code is laid out (see the Layout* constants): a main per
// service beside an all-in-one composition root (mains); a go.work of one module per service, a
// shared platform module and a root module (workspace); hexagonal contexts with four entry
// packages each (hexagonal) or a tree by layer that the service split cuts across (layered);
// generated API stubs whose client other services call (generated); tooling mains that are no
// service (tools). The truth follows the corpus convention (../shared/corpus): each service's
// packages, its own main and its stubs carry its name; a kernel package in the non-test import
// closure of two or more services is labelled "shared"; composition roots and tools are absent.
// Options.Blind writes a path-blind twin: the same tree shape and code, every directory,
// package and Go file named by a neutral token.
package gen

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"
)

// Naming says how packages are named.
type Naming string

// Namings.
const (
	// Anonymous names every package pNNN with a shuffled number: the name says nothing about the
	// service. It is the default.
	Anonymous Naming = "anonymous"
	// Meaningful names packages service/role ("orders/store", "orders/api") and kernel packages
	// platform/name ("platform/dbx"), with service names in routes and tables.
	Meaningful Naming = "meaningful"
)

// Options describe a monolith to generate. The zero value of a field means its default.
type Options struct {
	Module             string  `json:"module"`               // module path; default example.com/synth
	Services           int     `json:"services"`             // K, number of services; default 8
	PackagesPerService int     `json:"packages_per_service"` // P, packages per service (at least 2); default 10
	Mixing             float64 `json:"mixing"`               // μ in [0, 1): share of a package's coupling that crosses services
	Kernel             int     `json:"kernel"`               // kernel packages; negative means none; default 3
	Seed               uint64  `json:"seed"`                 // the output is a function of the options, seed included
	Naming             Naming  `json:"naming"`               // default Anonymous
	LinesPerPackage    int     `json:"lines_per_package"`    // lines of Go per service package at least (filler tops up the coupling code); default 200
	// Degree is the mean number of packages a service package is coupled with, both directions
	// (LFR's average degree); default 10. Sparser graphs carry too little evidence: at Degree 6
	// and μ = 0.3 the planted split is often not even the modularity optimum of the graph. A
	// service of P packages holds at most (P-1)/(1-μ) links per package with μ of them across,
	// so Degree is lowered to that (Stats.Degree): at P=4 a degree of 10 would make every
	// package a neighbour of every other and leave nothing to recover.
	Degree           int `json:"degree"`
	TablesPerService int `json:"tables_per_service"` // tables each service owns; negative means none; default 2
	// Layout is a comma-separated set of layout features (LayoutMains, LayoutWorkspace,
	// LayoutHexagonal or LayoutLayered, LayoutGenerated, LayoutTools); default LayoutFlat.
	// Naming names the packages of the flat tree (the default for any other layout than flat
	// is Meaningful); hexagonal and layered trees are named by their layout (use Blind for
	// neutral names).
	Layout string `json:"layout"`
	// Blind gives every directory and package a neutral token name (d17/p17, files f1.go...),
	// keeping the tree's shape and the code, so that a test can check that recovery does not
	// read names.
	Blind bool `json:"blind,omitempty"`
}

// Defaults for zero Options fields.
const (
	DefaultModule           = "example.com/synth"
	DefaultServices         = 8
	DefaultPackages         = 10
	DefaultKernel           = 3
	DefaultLinesPerPackage  = 200
	DefaultDegree           = 10
	DefaultTablesPerService = 2
)

func (o Options) withDefaults() Options {
	if o.Module == "" {
		o.Module = DefaultModule
	}
	if o.Services == 0 {
		o.Services = DefaultServices
	}
	if o.PackagesPerService == 0 {
		o.PackagesPerService = DefaultPackages
	}
	switch {
	case o.Kernel == 0:
		o.Kernel = DefaultKernel
	case o.Kernel < 0:
		o.Kernel = 0
	}
	if l, err := parseLayout(o.Layout); err == nil { // else validate reports it
		o.Layout = l.String()
	}
	if o.Naming == "" {
		o.Naming = Anonymous
		if o.Layout != LayoutFlat {
			o.Naming = Meaningful
		}
	}
	if o.LinesPerPackage == 0 {
		o.LinesPerPackage = DefaultLinesPerPackage
	}
	if o.Degree == 0 {
		o.Degree = DefaultDegree
	}
	switch {
	case o.TablesPerService == 0:
		o.TablesPerService = DefaultTablesPerService
	case o.TablesPerService < 0:
		o.TablesPerService = 0
	}
	return o
}

func (o Options) validate() error {
	var errs []error
	if o.Services < 1 {
		errs = append(errs, fmt.Errorf("services must be at least 1, got %d", o.Services))
	}
	if o.Services == 1 && o.Mixing > 0 {
		errs = append(errs, errors.New("mixing needs at least 2 services"))
	}
	if o.PackagesPerService < 2 {
		errs = append(errs, fmt.Errorf("packages per service must be at least 2, got %d", o.PackagesPerService))
	}
	if o.Mixing < 0 || o.Mixing >= 1 {
		errs = append(errs, fmt.Errorf("mixing must be in [0, 1), got %g", o.Mixing))
	}
	if o.Degree < 2 {
		errs = append(errs, fmt.Errorf("degree must be at least 2, got %d", o.Degree))
	}
	if o.LinesPerPackage < 0 {
		errs = append(errs, fmt.Errorf("lines per package must not be negative, got %d", o.LinesPerPackage))
	}
	if o.Naming != Anonymous && o.Naming != Meaningful {
		errs = append(errs, fmt.Errorf("naming must be %q or %q, got %q", Anonymous, Meaningful, o.Naming))
	}
	if l, err := parseLayout(o.Layout); err != nil {
		errs = append(errs, err)
	} else if l.tree != treeFlat && o.Naming == Anonymous {
		errs = append(errs, fmt.Errorf("layout %s names its own tree: naming %q applies to the flat tree only (use blind for neutral names)", o.Layout, Anonymous))
	}
	if n := o.Services * o.PackagesPerService; n > 100000 {
		errs = append(errs, fmt.Errorf("%d packages is more than this generator writes (100000)", n))
	}
	if len(errs) > 0 {
		return fmt.Errorf("gen: bad options: %w", errors.Join(errs...))
	}
	return nil
}

// Result describes a generated monolith.
type Result struct {
	Module  string   `json:"module"`            // module path (in a workspace, the root module's)
	Modules []string `json:"modules,omitempty"` // a workspace's module paths
	Options Options  `json:"options"`
	// Truth maps every service package (service mains and stubs included) to its service.
	Truth map[string]string `json:"-"`
	// Shared lists the kernel packages in the import closure of two or more services: truth.json
	// labels them SharedLabel. A kernel package fewer services reach is in neither.
	Shared []string `json:"shared"`
	Kernel []string `json:"kernel"` // kernel package import paths
	Main   string   `json:"main"`   // the composition root: the main mounting every service
	// Entries maps each service to its first entry package; EntryPoints to all of them.
	Entries      map[string]string   `json:"entries"`
	EntryPoints  map[string][]string `json:"entry_points"`
	ServiceMains map[string]string   `json:"service_mains,omitempty"` // service → its own main
	Stubs        map[string]string   `json:"stubs,omitempty"`         // service → its generated API stubs
	Tools        []string            `json:"tools,omitempty"`         // tooling mains (no service)
	Tables       map[string]string   `json:"tables"`                  // table name → owning service
	Stats        Stats               `json:"stats"`
}

// SharedLabel is the truth.json label of a shared kernel package (the corpus convention).
const SharedLabel = "shared"

// Labels returns what truth.json holds: Truth, and SharedLabel for every Shared package.
func (r *Result) Labels() map[string]string {
	out := maps.Clone(r.Truth)
	for _, p := range r.Shared {
		out[p] = SharedLabel
	}
	return out
}

// Stats are counts over what was generated.
type Stats struct {
	Packages int `json:"packages"` // all packages, kernel and main included
	Files    int `json:"files"`    // Go files
	Lines    int `json:"lines"`    // lines of Go

	Degree     int `json:"degree"`      // the degree used (Options.Degree, capped for small services)
	Edges      int `json:"edges"`       // coupled package pairs between service packages
	CrossEdges int `json:"cross_edges"` // of which across services
	Units      int `json:"units"`       // coupling units (see the package doc)
	CrossUnits int `json:"cross_units"` // of which across services
	// UnitsByKind counts coupling units by kind (call, method, field, var, implements).
	UnitsByKind map[string]int `json:"units_by_kind"`

	TableAccesses      int `json:"table_accesses"`
	CrossTableAccesses int `json:"cross_table_accesses"`
	Routes             int `json:"routes"`

	// Mixing is the realised share of coupling units that cross services; EdgeMixing the share
	// of coupled package pairs; PackageMixing the mean over service packages of each package's
	// own share of units (LFR's per-node μ).
	Mixing        float64 `json:"mixing"`
	EdgeMixing    float64 `json:"edge_mixing"`
	PackageMixing float64 `json:"package_mixing"`
}

// TruthFile and LayoutFile are the names of the files Generate writes beside go.mod.
const (
	TruthFile  = "truth.json"
	LayoutFile = "carve-gen.json"
)

// Generate writes the monolith described by opts into dir, which must not exist or be empty,
// and returns what it wrote.
func Generate(dir string, opts Options) (*Result, error) {
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if err := checkEmpty(dir); err != nil {
		return nil, err
	}
	m := build(opts)
	files, err := m.render()
	if err != nil {
		return nil, fmt.Errorf("gen: render: %w", err)
	}
	res := m.result(files)
	truth, err := marshal(res.Labels())
	if err != nil {
		return nil, err
	}
	layout, err := marshal(res)
	if err != nil {
		return nil, err
	}
	files = append(files, file{path: TruthFile, data: truth}, file{path: LayoutFile, data: layout})
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return nil, fmt.Errorf("gen: %w", err)
		}
		if err := os.WriteFile(p, f.data, 0o644); err != nil {
			return nil, fmt.Errorf("gen: %w", err)
		}
	}
	return res, nil
}

// addTo sets m[k] = v, making m if it is nil.
func addTo(m map[string]string, k, v string) map[string]string {
	if m == nil {
		m = map[string]string{}
	}
	m[k] = v
	return m
}

// closures returns, for each service, the packages its packages import, directly or not.
func (m *model) closures() []map[*pkg]bool {
	out := make([]map[*pkg]bool, len(m.services))
	for i := range out {
		out[i] = map[*pkg]bool{}
	}
	var visit func(seen map[*pkg]bool, p *pkg)
	visit = func(seen map[*pkg]bool, p *pkg) {
		for d := range p.deps {
			if !seen[d] {
				seen[d] = true
				visit(seen, d)
			}
		}
	}
	for _, p := range m.pkgs {
		if p.service >= 0 {
			visit(out[p.service], p)
		}
	}
	return out
}

// ReadTruth reads a truth.json written by Generate.
func ReadTruth(name string) (map[string]string, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("gen: %w", err)
	}
	var truth map[string]string
	if err := json.Unmarshal(data, &truth); err != nil {
		return nil, fmt.Errorf("gen: %s: %w", name, err)
	}
	return truth, nil
}

func marshal(v any) ([]byte, error) {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("gen: %w", err)
	}
	return append(data, '\n'), nil
}

func checkEmpty(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("gen: output directory: %w", err)
	case len(entries) > 0:
		return fmt.Errorf("gen: output directory %s is not empty", dir)
	}
	return nil
}

// result describes the rendered model.
func (m *model) result(files []file) *Result {
	r := &Result{
		Module:      m.opts.Module,
		Options:     m.opts,
		Truth:       map[string]string{},
		Main:        m.main.path,
		Shared:      []string{},
		Entries:     map[string]string{},
		EntryPoints: map[string][]string{},
		Tables:      map[string]string{},
		Stats:       Stats{Packages: len(m.pkgs), Degree: m.degree(), UnitsByKind: map[string]int{}},
	}
	if dirs := m.moduleDirs(); len(dirs) > 1 {
		for _, d := range dirs {
			r.Modules = append(r.Modules, strings.TrimSuffix(m.opts.Module+"/"+d, "/."))
		}
	}
	m.describePackages(r)
	m.describeKernel(r)
	for _, t := range m.tables {
		r.Tables[t.name] = m.services[t.service].name
	}
	for _, f := range files {
		if strings.HasSuffix(f.path, ".go") {
			r.Stats.Files++
			r.Stats.Lines += bytes.Count(f.data, []byte("\n"))
		}
	}
	m.countEdges(&r.Stats)
	m.countMixing(&r.Stats)
	return r
}

// describePackages records each package's service, role and routes, and each service's entry
// points.
func (m *model) describePackages(r *Result) {
	for _, p := range m.pkgs {
		if p.service >= 0 {
			r.Truth[p.path] = m.services[p.service].name
		}
		switch p.role {
		case roleServiceMain:
			r.ServiceMains = addTo(r.ServiceMains, m.services[p.service].name, p.path)
		case roleStub:
			r.Stubs = addTo(r.Stubs, m.services[p.service].name, p.path)
			r.Stats.Routes += len(p.decls.rpcs)
		case roleTool:
			r.Tools = append(r.Tools, p.path)
		case roleEntry:
			if p.entry != entryConsumer {
				r.Stats.Routes += len(p.decls.drivers)
			}
		}
	}
	for _, svc := range m.services {
		r.Entries[svc.name] = svc.entries[0].path
		for _, e := range svc.entries {
			r.EntryPoints[svc.name] = append(r.EntryPoints[svc.name], e.path)
		}
	}
}

// describeKernel lists the kernel packages, and as shared those that two or more closures use.
func (m *model) describeKernel(r *Result) {
	closures := m.closures()
	for _, k := range m.kernel {
		r.Kernel = append(r.Kernel, k.path)
		users := 0
		for _, c := range closures {
			if c[k] {
				users++
			}
		}
		if users >= 2 {
			r.Shared = append(r.Shared, k.path)
		}
	}
}

// countEdges counts the edges and coupling units, in all and across services.
func (m *model) countEdges(st *Stats) {
	for _, e := range m.edges {
		st.Edges++
		if e.cross {
			st.CrossEdges++
		}
		for _, u := range e.units {
			st.Units++
			st.UnitsByKind[u.kind.String()]++
			if e.cross {
				st.CrossUnits++
			}
		}
	}
	if st.Units > 0 {
		st.Mixing = float64(st.CrossUnits) / float64(st.Units)
		st.EdgeMixing = float64(st.CrossEdges) / float64(st.Edges)
	}
}

// countMixing averages the packages' cross-service share of coupling units and counts table
// accesses, in all and across services.
func (m *model) countMixing(st *Stats) {
	var sum float64
	var counted int
	for _, p := range m.pkgs {
		var units, cross int
		for _, e := range append(append([]*edge(nil), p.out...), p.in...) {
			units += len(e.units)
			if e.cross {
				cross += len(e.units)
			}
		}
		if units > 0 {
			sum += float64(cross) / float64(units)
			counted++
		}
		for _, a := range p.accesses {
			st.TableAccesses++
			if a.table.service != p.service {
				st.CrossTableAccesses++
			}
		}
	}
	if counted > 0 {
		st.PackageMixing = sum / float64(counted)
	}
}
