package gen

import (
	"fmt"
	"math"
	"math/rand/v2"
	"path"
	"slices"
	"strings"
)

// kind is the kind of a coupling unit: one piece of code in one package that depends on another.
type kind int

const (
	kindCall kind = iota
	kindMethod
	kindField
	kindVar
	kindImpl
	numKinds // the kinds above are drawn at random; the ones below are made by a layout
)

// kindClient is a call through another service's generated client (LayoutGenerated).
const kindClient = numKinds

var kindNames = [numKinds + 1]string{"call", "method", "field", "var", "implements", "client"}

func (k kind) String() string { return kindNames[k] }

// kindWeights is the mix of unit kinds, the same for intra- and cross-service units.
var kindWeights = [numKinds]int{kindCall: 40, kindMethod: 20, kindField: 15, kindVar: 10, kindImpl: 15}

// role is what a package is in the monolith.
type role int

const (
	roleService     role = iota // an ordinary package of a service
	roleEntry                   // an entry point of the service: routes or topics
	roleKernel                  // a shared utility package
	roleMain                    // the composition root: the program mounting every service
	roleServiceMain             // a service's own main (LayoutMains)
	roleStub                    // a service's generated API stubs (LayoutGenerated)
	roleTool                    // a tooling main, no service (LayoutTools)
)

// Kernel package kinds by index: the first three have a fixed API.
const (
	kernelDB     = 0
	kernelLog    = 1
	kernelConfig = 2
)

// pkg is one package of the generated module.
type pkg struct {
	id      int
	role    role
	service int // index of the service; -1 for kernel and main
	kernel  int // index among kernel packages; -1 otherwise
	path    string
	dir     string     // relative to the module root, slash-separated
	name    string     // package name
	qual    string     // identifier other files use for it (name, or an alias if name is ambiguous)
	noun    string     // the package's domain noun
	rank    int        // topological rank: a package imports only packages of higher rank
	tier    int        // the layout's tier: ranks follow tiers (see slot)
	entry   entryStyle // how an entry package is reached; entryNone for the others

	deps map[*pkg]bool // module packages this one imports, recorded as files are rendered

	targets []*pkg      // a tool: the packages it uses (entry packages it mounts, or packages it calls)
	calls   []*function // a tool that calls: the function of each target it calls

	out      []*edge  // edges to packages this one imports
	in       []*edge  // edges from packages importing this one
	accesses []access // table accesses
	kernels  []*pkg   // kernel packages this one uses

	decls decls // exported declarations other packages use (filled by resolve)
}

// edge is a coupled pair of service packages: from imports to.
type edge struct {
	from, to *pkg
	units    []*unit
	cross    bool
}

// unit is one coupling unit; resolve fills in the declaration of edge.to it uses.
type unit struct {
	kind kind
	edge *edge
	fn   *function // call: the function; implements: the function taking the interface
	typ  *structType
	meth string // method: the method called
	v    *variable
	ifc  *iface
}

type table struct {
	name    string
	service int
	noun    string // singular noun, e.g. "Order" for table orders
}

type access struct {
	table *table
	write bool
	fn    *function
}

type service struct {
	name     string
	resource string // route prefix, e.g. "invoices"
	pkgs     []*pkg // the coupled packages, in the order of the layout's slots
	entries  []*pkg
	tables   []*table
	main     *pkg // the service's own main (LayoutMains), or nil
	stub     *pkg // the generated API stubs (LayoutGenerated), or nil
	server   *pkg // the entry package implementing the stub's server
}

// model is a generated monolith before it is rendered.
type model struct {
	opts     Options
	layout   layout
	rng      *rand.Rand
	services []*service
	// pkgs holds service packages first (by service), then kernel, the composition root,
	// service mains, stubs and tools.
	pkgs   []*pkg
	kernel []*pkg
	main   *pkg
	tools  []*pkg
	edges  []*edge
	tables []*table
	// ifaceMethods holds every interface method name in the module, to keep them unique.
	ifaceMethods map[string]bool
}

// build draws the monolith's structure: packages, names, the coupling graph and table use.
func build(opts Options) *model {
	l, _ := parseLayout(opts.Layout) // validated by Generate
	m := &model{
		opts:         opts,
		layout:       l,
		rng:          rand.New(rand.NewPCG(opts.Seed, 0x63617276652d6765)),
		ifaceMethods: map[string]bool{},
	}
	m.makePackages()
	m.name()
	m.rankPackages()
	m.couple()
	if l.generated {
		m.callThroughStubs()
	}
	m.makeTables()
	m.useKernel()
	m.resolve()
	if l.tools {
		m.pickToolTargets()
	}
	return m
}

func (m *model) makePackages() {
	o := m.opts
	names := pickNames(m.rng, serviceWords, o.Services, "")
	resources := pickNames(m.rng, pluralNouns(), o.Services, "")
	for s := range o.Services {
		svc := &service{name: names[s], resource: resources[s]}
		if o.Naming == Meaningful {
			svc.resource = svc.name
		}
		for i := range o.PackagesPerService {
			sl := m.layout.slot(i)
			p := &pkg{id: len(m.pkgs), role: roleService, service: s, kernel: -1, noun: pick(m.rng, nouns), tier: sl.tier, entry: sl.entry}
			if sl.entry != entryNone {
				p.role = roleEntry
				svc.entries = append(svc.entries, p)
				if svc.server == nil || sl.entry == entryRPC {
					svc.server = p
				}
			}
			svc.pkgs = append(svc.pkgs, p)
			m.pkgs = append(m.pkgs, p)
		}
		m.services = append(m.services, svc)
	}
	for k := range o.Kernel {
		p := &pkg{id: len(m.pkgs), role: roleKernel, service: -1, kernel: k}
		m.kernel = append(m.kernel, p)
		m.pkgs = append(m.pkgs, p)
	}
	m.main = m.addPackage(roleMain, -1)
	for s, svc := range m.services {
		if m.layout.mains {
			svc.main = m.addPackage(roleServiceMain, s)
		}
		if m.layout.generated {
			svc.stub = m.addPackage(roleStub, s)
		}
	}
	if m.layout.tools {
		for range toolSpecs {
			m.tools = append(m.tools, m.addPackage(roleTool, -1))
		}
	}
}

// addPackage adds a package that is not coupled by the planted graph: a main or a stub.
func (m *model) addPackage(r role, service int) *pkg {
	p := &pkg{id: len(m.pkgs), role: r, service: service, kernel: -1}
	if r != roleStub {
		p.name = "main"
	}
	m.pkgs = append(m.pkgs, p)
	return p
}

// servicePackages returns the coupled packages of every service, by service.
func (m *model) servicePackages() []*pkg {
	var out []*pkg
	for _, svc := range m.services {
		out = append(out, svc.pkgs...)
	}
	return out
}

// name gives every package its directory, name and qualifier.
func (m *model) name() {
	m.place()
	for _, p := range m.pkgs {
		if p.name != "main" {
			p.name = path.Base(p.dir)
		}
	}
	if m.opts.Blind {
		m.blind()
	}
	count := map[string]int{}
	for _, p := range m.pkgs {
		p.path = m.opts.Module + "/" + p.dir
		count[p.name]++
	}
	for _, p := range m.pkgs {
		p.qual = p.name
		if count[p.name] > 1 && p.name != "main" {
			p.qual = strings.ReplaceAll(p.dir, "/", "")
		}
	}
}

// rankPackages orders service packages topologically by tier, at random across services inside
// a tier. Entry packages are the first tier, so that no package imports an entry package.
func (m *model) rankPackages() {
	var tiers [][]*pkg
	for _, p := range m.servicePackages() {
		for len(tiers) <= p.tier {
			tiers = append(tiers, nil)
		}
		tiers[p.tier] = append(tiers[p.tier], p)
	}
	rank := 0
	for _, ps := range tiers {
		m.rng.Shuffle(len(ps), func(i, j int) { ps[i], ps[j] = ps[j], ps[i] })
		for _, p := range ps {
			p.rank = rank
			rank++
		}
	}
}

// couple draws the planted-partition graph. Every service package starts on average Degree/2
// edges ("stubs") of one to three coupling units each; stubs holding a share Mixing of all units,
// chosen at random, go to a package of another service, the others to a package of the same
// service. Every package then gets at least one edge inside its service. Edges are oriented by
// rank.
func (m *model) couple() {
	c := &coupler{m: m, byPair: map[[2]int]*edge{}}
	stubs := c.drawStubs()
	for _, s := range stubs {
		c.add(s.p, pick(m.rng, c.candidates(s)), s.units)
	}
	for _, p := range m.pkgs {
		if p.role != roleService && p.role != roleEntry {
			continue
		}
		intra := false
		for _, e := range append(append([]*edge(nil), p.out...), p.in...) {
			intra = intra || !e.cross
		}
		if !intra {
			c.add(p, m.sibling(p), 1)
		}
	}
}

// coupler draws the edges of couple, one per pair of packages.
type coupler struct {
	m      *model
	byPair map[[2]int]*edge
}

// stub is one end of an edge to draw: its package, its units, and whether it leaves the service.
type stub struct {
	p     *pkg
	units int
	cross bool
}

// add puts units coupling units between a and b, on their edge (made, oriented by rank, if new).
func (c *coupler) add(a, b *pkg, units int) {
	if a.rank > b.rank {
		a, b = b, a
	}
	e := c.byPair[[2]int{a.id, b.id}]
	if e == nil {
		e = &edge{from: a, to: b, cross: a.service != b.service}
		c.byPair[[2]int{a.id, b.id}] = e
		c.m.edges = append(c.m.edges, e)
		a.out = append(a.out, e)
		b.in = append(b.in, e)
	}
	for range units {
		e.units = append(e.units, &unit{kind: c.m.drawKind(), edge: e})
	}
}

// linked reports whether a and b already share an edge.
func (c *coupler) linked(a, b *pkg) bool {
	if a.rank > b.rank {
		a, b = b, a
	}
	return c.byPair[[2]int{a.id, b.id}] != nil
}

// drawStubs draws every service package's stubs and marks, at random, those holding a share
// Mixing of all units as leaving the service.
func (c *coupler) drawStubs() []stub {
	m := c.m
	var (
		stubs []stub
		total int
	)
	degree := m.degree()
	for _, svc := range m.services {
		for _, p := range svc.pkgs {
			for range 1 + m.rng.IntN(degree-1) { // mean degree/2
				s := stub{p: p, units: 1 + m.rng.IntN(3)}
				stubs = append(stubs, s)
				total += s.units
			}
		}
	}
	target, cross := int(math.Round(m.opts.Mixing*float64(total))), 0
	for _, i := range m.rng.Perm(len(stubs)) {
		if cross+stubs[i].units <= target {
			stubs[i].cross = true
			cross += stubs[i].units
		}
	}
	return stubs
}

// candidates are the packages s may link to: of another service if s leaves its own, else of
// its own. Each stub links its package to one it is not linked to yet, when there is one, so
// that the share of a package's coupled packages in other services is Mixing too (LFR's μ
// counts links), not only the share of coupling units.
func (c *coupler) candidates(s stub) []*pkg {
	var candidates []*pkg
	if s.cross {
		for si, svc := range c.m.services {
			if si == s.p.service {
				continue
			}
			for _, q := range svc.pkgs {
				if linkable(s.p, q) {
					candidates = append(candidates, q)
				}
			}
		}
	} else {
		for _, q := range c.m.services[s.p.service].pkgs {
			if q != s.p && linkable(s.p, q) {
				candidates = append(candidates, q)
			}
		}
	}
	var free []*pkg
	for _, q := range candidates {
		if !c.linked(s.p, q) {
			free = append(free, q)
		}
	}
	if len(free) > 0 {
		return free
	}
	return candidates
}

// callThroughStubs makes half of the cross-service edges, chosen at random, calls through the
// target service's generated client: the edge then ends at the service's stub package and each of
// its units is a client call. Two such edges from one package to one service become one.
func (m *model) callThroughStubs() {
	var kept []*edge
	for _, e := range m.edges {
		if !e.cross || m.rng.IntN(2) == 0 {
			kept = append(kept, e)
			continue
		}
		stub := m.services[e.to.service].stub
		e.to.in = slices.DeleteFunc(e.to.in, func(x *edge) bool { return x == e })
		for _, u := range e.units {
			u.kind = kindClient
		}
		var into *edge
		for _, x := range e.from.out {
			if x.to == stub {
				into = x
			}
		}
		if into == nil {
			e.to = stub
			stub.in = append(stub.in, e)
			kept = append(kept, e)
			continue
		}
		for _, u := range e.units {
			u.edge = into
		}
		into.units = append(into.units, e.units...)
		e.from.out = slices.DeleteFunc(e.from.out, func(x *edge) bool { return x == e })
	}
	m.edges = kept
}

// degree is the mean number of packages a service package is linked to: Degree, or less when a
// service has too few packages for its share 1-μ of Degree links to go to distinct siblings.
func (m *model) degree() int {
	o := m.opts
	limit := int(float64(o.PackagesPerService-1) / (1 - o.Mixing))
	return max(2, min(o.Degree, limit))
}

// linkable says whether two packages may be coupled: not two entry packages, which only mains
// import (the lower-ranked would import the other).
func linkable(a, b *pkg) bool { return a.role != roleEntry || b.role != roleEntry }

// sibling returns another package of p's service it may be coupled with, at random.
func (m *model) sibling(p *pkg) *pkg {
	pkgs := m.services[p.service].pkgs
	for {
		if q := pick(m.rng, pkgs); q != p && linkable(p, q) {
			return q
		}
	}
}

func (m *model) drawKind() kind {
	total := 0
	for _, w := range kindWeights {
		total += w
	}
	r := m.rng.IntN(total)
	for k, w := range kindWeights {
		if r < w {
			return kind(k)
		}
		r -= w
	}
	panic("unreachable")
}

// makeTables gives each service its tables and picks the packages that access tables: about a
// third of each service's non-entry packages, one to three accesses each, each to another
// service's table with probability Mixing. Every table gets an access from its own service.
func (m *model) makeTables() {
	o := m.opts
	if o.TablesPerService == 0 {
		return
	}
	width := max(2, len(fmt.Sprint(o.Services*o.TablesPerService-1)))
	numbers := m.rng.Perm(o.Services * o.TablesPerService)
	for s, svc := range m.services {
		for _, noun := range pickNames(m.rng, nouns, o.TablesPerService, "") {
			t := &table{service: s, noun: noun}
			plural := strings.ToLower(plural(noun))
			if o.Naming == Meaningful {
				t.name = svc.name + "_" + plural
			} else {
				t.name = fmt.Sprintf("t%0*d_%s", width, numbers[len(m.tables)], plural)
			}
			svc.tables = append(svc.tables, t)
			m.tables = append(m.tables, t)
		}
	}
	// Every table is accessed by a package of its own service; each data package has up to two
	// more accesses, of which a share Mixing of all accesses, chosen at random, go to tables of
	// other services.
	type slot struct {
		p       *pkg
		service int
	}
	var (
		slots []slot
		all   int
	)
	for s, svc := range m.services {
		var inner []*pkg
		for _, p := range svc.pkgs {
			if p.role != roleEntry {
				inner = append(inner, p)
			}
		}
		var data []*pkg
		for _, i := range m.rng.Perm(len(inner))[:max(1, (len(inner)+1)/3)] {
			data = append(data, inner[i])
		}
		for _, t := range svc.tables {
			p := pick(m.rng, data)
			p.accesses = append(p.accesses, access{table: t, write: m.rng.IntN(2) == 0})
			all++
		}
		for _, p := range data {
			for range m.rng.IntN(3) {
				slots = append(slots, slot{p: p, service: s})
			}
		}
	}
	all += len(slots)
	cross := int(math.Round(o.Mixing * float64(all)))
	for i, j := range m.rng.Perm(len(slots)) {
		sl := slots[j]
		owner := sl.service
		if i < cross {
			owner = m.rng.IntN(o.Services - 1)
			if owner >= sl.service {
				owner++
			}
		}
		t := pick(m.rng, m.services[owner].tables)
		sl.p.accesses = append(sl.p.accesses, access{table: t, write: m.rng.IntN(2) == 0})
	}
}

// useKernel decides which kernel packages each service package uses: the database helper when it
// accesses tables, otherwise each kernel package with probability 0.85 (a kernel package is
// imported by most of the module).
func (m *model) useKernel() {
	for _, p := range m.pkgs {
		if p.role != roleService && p.role != roleEntry {
			continue
		}
		for _, k := range m.kernel {
			if (k.kernel == kernelDB && len(p.accesses) > 0) || m.rng.Float64() < 0.85 {
				p.kernels = append(p.kernels, k)
			}
		}
	}
	for _, p := range m.pkgs {
		if p.role == roleMain || p.role == roleServiceMain {
			p.kernels = m.kernel
		}
	}
}

func pick[T any](rng *rand.Rand, xs []T) T { return xs[rng.IntN(len(xs))] }

// pickNames returns n distinct names drawn from words (in order if rng is nil), numbering them
// ("orders2") once the words run out. A non-empty stem names the extra ones stem1, stem2...
func pickNames(rng *rand.Rand, words []string, n int, stem string) []string {
	order := make([]int, len(words))
	for i := range order {
		order[i] = i
	}
	if rng != nil {
		order = rng.Perm(len(words))
	}
	out := make([]string, 0, n)
	for i := 0; len(out) < n; i++ {
		round, w := i/len(words), words[order[i%len(words)]]
		switch {
		case round == 0:
			out = append(out, w)
		case stem != "":
			out = append(out, fmt.Sprintf("%s%d", stem, len(out)-len(words)+1))
		default:
			out = append(out, fmt.Sprintf("%s%d", w, round+1))
		}
	}
	return out
}

func plural(noun string) string {
	switch {
	case strings.HasSuffix(noun, "y") && !strings.HasSuffix(noun, "ey"):
		return noun[:len(noun)-1] + "ies"
	case strings.HasSuffix(noun, "s"), strings.HasSuffix(noun, "ch"):
		return noun + "es"
	}
	return noun + "s"
}

func pluralNouns() []string {
	out := make([]string, len(nouns))
	for i, n := range nouns {
		out[i] = strings.ToLower(plural(n))
	}
	return out
}
