package gen

import (
	"fmt"
	"strings"
)

// function is an exported func(ctx context.Context, id string) (int, error) other packages may
// call: a leaf, a data access or a driver holding calls of its own.
type function struct {
	name   string
	units  []*unit // driver: the outgoing units it holds
	access *access // data access
	consts [3]int  // leaf: constants of its arithmetic
}

// structType is an exported struct type with a constructor and methods without arguments.
type structType struct {
	name    string
	ctor    string
	methods []string
}

// variable is an exported package-level variable.
type variable struct {
	name  string
	slice bool
}

// iface is an exported interface with one method and a function that takes it.
type iface struct {
	name    string
	method  string
	collect string
}

// decls are what a service package declares for others and what it does with theirs.
type decls struct {
	names    map[string]bool // package-level identifiers in use
	funcs    []*function     // what incoming calls may target: data accesses, drivers, leaves
	data     []*function
	drivers  []*function
	leaves   []*function
	types    []*structType
	vars     []*variable
	ifaces   []*iface
	fields   map[*unit]string // outgoing field units → field name in Service (or Handler)
	adapters map[*unit]string // outgoing implements units → adapter type name
	fieldOrd []*unit          // field units in order
	rpcs     []string         // stub package: the API's methods, named after the server's handlers
}

// unique returns base, or base2, base3... the first not yet declared in the package, and
// declares it.
func (d *decls) unique(base string) string {
	name := base
	for i := 2; d.names[name]; i++ {
		name = fmt.Sprintf("%s%d", base, i)
	}
	d.names[name] = true
	return name
}

// resolve lays out every service package's declarations: first its data accesses and drivers,
// then, for every incoming coupling unit, the declaration it uses (reusing one half the time).
func (m *model) resolve() {
	for _, p := range m.pkgs {
		p.decls = decls{names: reservedNames(), fields: map[*unit]string{}, adapters: map[*unit]string{}}
		if p.role != roleService && p.role != roleEntry {
			continue
		}
		m.declareData(p)
		m.declareDrivers(p)
	}
	for _, svc := range m.services {
		if svc.stub != nil {
			for _, f := range svc.server.decls.drivers {
				svc.stub.decls.rpcs = append(svc.stub.decls.rpcs, f.name)
			}
		}
	}
	for _, p := range m.pkgs {
		for _, e := range p.in {
			for _, u := range e.units {
				m.resolveUnit(p, u)
			}
		}
	}
	for _, p := range m.pkgs {
		for _, e := range p.out {
			for _, u := range e.units {
				switch u.kind {
				case kindImpl:
					p.decls.adapters[u] = p.decls.unique(lowerFirst(u.ifc.name) + "Adapter")
				case kindField:
					p.decls.fields[u] = uniqueIn(p.decls.fields, lowerFirst(u.typ.name))
				}
			}
		}
	}
}

// reservedNames are package-level identifiers the generated files use themselves.
func reservedNames() map[string]bool {
	return map[string]bool{
		"Service": true, "New": true, "Handler": true, "Register": true, "prepare": true,
		"conn": true, "UseDB": true, "Total": true, "main": true, "init": true,
		"Subscribe": true, "rpcServer": true,
	}
}

func (m *model) declareData(p *pkg) {
	for i := range p.accesses {
		a := &p.accesses[i]
		verb := "Load"
		if a.write {
			verb = "Save"
		}
		f := &function{name: p.decls.unique(verb + plural(a.table.noun)), access: a}
		a.fn = f
		p.decls.data = append(p.decls.data, f)
		p.decls.funcs = append(p.decls.funcs, f)
	}
}

// declareDrivers groups the package's outgoing units, fields aside, into drivers of one to four
// units. An entry package's drivers are its HTTP handlers: at most len(routeForms) of them.
func (m *model) declareDrivers(p *pkg) {
	var units []*unit
	for _, e := range p.out {
		for _, u := range e.units {
			if u.kind == kindField {
				p.decls.fieldOrd = append(p.decls.fieldOrd, u)
				continue
			}
			units = append(units, u)
		}
	}
	m.rng.Shuffle(len(units), func(i, j int) { units[i], units[j] = units[j], units[i] })
	var groups [][]*unit
	for len(units) > 0 {
		n := min(len(units), 1+m.rng.IntN(4))
		groups = append(groups, units[:n])
		units = units[n:]
	}
	if p.role == roleEntry {
		if len(groups) == 0 {
			groups = [][]*unit{nil}
		}
		for len(groups) > len(routeForms) {
			last := len(groups) - 1
			groups[last-1] = append(groups[last-1], groups[last]...)
			groups = groups[:last]
		}
		for i, g := range groups {
			name := p.decls.unique(fmt.Sprintf(routeForms[i].handler, p.noun))
			p.decls.drivers = append(p.decls.drivers, &function{name: name, units: g})
		}
		return
	}
	for _, g := range groups {
		f := &function{name: p.decls.unique(pick(m.rng, driverVerbs) + pick(m.rng, nouns)), units: g}
		p.decls.drivers = append(p.decls.drivers, f)
		p.decls.funcs = append(p.decls.funcs, f)
	}
}

// uniqueIn returns base, or base2, base3... the first that is not a value of names.
func uniqueIn(names map[*unit]string, base string) string {
	taken := map[string]bool{}
	for _, n := range names {
		taken[n] = true
	}
	name := base
	for i := 2; taken[name]; i++ {
		name = fmt.Sprintf("%s%d", base, i)
	}
	return name
}

// resolveUnit picks or declares in p (the unit's target) what u uses.
func (m *model) resolveUnit(p *pkg, u *unit) {
	d := &p.decls
	reuse := func(n int) bool { return n > 0 && m.rng.IntN(2) == 0 }
	switch u.kind {
	case kindClient:
		u.meth = pick(m.rng, d.rpcs)
	case kindCall:
		if reuse(len(d.funcs)) {
			u.fn = pick(m.rng, d.funcs)
			return
		}
		f := &function{name: d.unique(pick(m.rng, funcVerbs) + m.noun(p))}
		f.consts = [3]int{2 + m.rng.IntN(9), m.rng.IntN(100), 7 + m.rng.IntN(90)}
		d.leaves = append(d.leaves, f)
		d.funcs = append(d.funcs, f)
		u.fn = f
	case kindMethod, kindField:
		if !reuse(len(d.types)) {
			t := &structType{name: d.unique(m.noun(p))}
			t.ctor = d.unique("New" + t.name)
			for _, v := range pickNames(m.rng, methodVerbs, 1+m.rng.IntN(2), "") {
				t.methods = append(t.methods, v)
			}
			d.types = append(d.types, t)
		}
		u.typ = pick(m.rng, d.types)
		u.meth = pick(m.rng, u.typ.methods)
	case kindVar:
		if reuse(len(d.vars)) {
			u.v = pick(m.rng, d.vars)
			return
		}
		form := pick(m.rng, varForms)
		v := &variable{name: d.unique(fmt.Sprintf(form.name, m.noun(p))), slice: form.slice}
		d.vars = append(d.vars, v)
		u.v = v
	case kindImpl:
		if reuse(len(d.ifaces)) {
			u.ifc = pick(m.rng, d.ifaces)
			return
		}
		noun := m.noun(p)
		i := &iface{name: d.unique(noun + pick(m.rng, []string{"Source", "Provider", "Feed"}))}
		i.collect = d.unique("Collect" + noun)
		base := pick(m.rng, ifaceVerbs) + noun
		i.method = base
		for n := 2; m.ifaceMethods[i.method]; n++ {
			i.method = fmt.Sprintf("%s%d", base, n)
		}
		m.ifaceMethods[i.method] = true
		d.ifaces = append(d.ifaces, i)
		u.ifc = i
	}
}

// noun returns p's own noun most of the time, another noun otherwise.
func (m *model) noun(p *pkg) string {
	if m.rng.IntN(3) == 0 {
		return pick(m.rng, nouns)
	}
	return p.noun
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}
