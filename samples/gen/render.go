package gen

import (
	"bytes"
	"fmt"
	"go/format"
	"sort"
	"strings"
)

// file is one generated file, its path relative to the module root.
type file struct {
	path string
	data []byte
}

// routeForms are the routes an entry package serves, one per handler, in this order.
var routeForms = []struct {
	method, path, handler string
	id                    bool // the pattern has an {id} wildcard
}{
	{"GET", "/%s/{id}", "Get%s", true},
	{"GET", "/%s", "List%s", false},
	{"POST", "/%s", "Create%s", false},
	{"PUT", "/%s/{id}", "Update%s", true},
	{"DELETE", "/%s/{id}", "Delete%s", true},
	{"GET", "/%s/{id}/history", "Get%sHistory", true},
	{"POST", "/%s/{id}/items", "Add%sItem", true},
	{"PATCH", "/%s/{id}", "Patch%s", true},
}

// source builds one Go file: it records imports as code refers to them.
type source struct {
	m       *model
	self    *pkg
	doc     string            // package doc comment, without the comment markers
	imports map[string]string // import path → alias ("" for none)
	body    bytes.Buffer
}

func (m *model) newSource(p *pkg, doc string) *source {
	return &source{m: m, self: p, doc: doc, imports: map[string]string{}}
}

// std imports a standard-library package.
func (s *source) std(path string) { s.imports[path] = "" }

// ref imports a module package and returns the identifier that qualifies its names.
func (s *source) ref(q *pkg) string {
	alias := ""
	if q.qual != q.name {
		alias = q.qual
	}
	s.imports[q.path] = alias
	if s.self.deps == nil {
		s.self.deps = map[*pkg]bool{}
	}
	s.self.deps[q] = true
	return q.qual
}

func (s *source) pf(format string, args ...any) { fmt.Fprintf(&s.body, format, args...) }

// format returns the formatted file.
func (s *source) format() ([]byte, error) {
	var b bytes.Buffer
	if s.doc != "" {
		for _, line := range strings.Split(s.doc, "\n") {
			fmt.Fprintf(&b, "// %s\n", line)
		}
	}
	fmt.Fprintf(&b, "package %s\n\n", s.self.name)
	var std, local []string
	for path := range s.imports {
		if strings.HasPrefix(path, s.m.opts.Module+"/") {
			local = append(local, path)
		} else {
			std = append(std, path)
		}
	}
	sort.Strings(std)
	sort.Strings(local)
	if len(std)+len(local) > 0 {
		b.WriteString("import (\n")
		for _, p := range std {
			fmt.Fprintf(&b, "\t%q\n", p)
		}
		if len(std) > 0 && len(local) > 0 {
			b.WriteString("\n")
		}
		for _, p := range local {
			if a := s.imports[p]; a != "" {
				fmt.Fprintf(&b, "\t%s %q\n", a, p)
			} else {
				fmt.Fprintf(&b, "\t%q\n", p)
			}
		}
		b.WriteString(")\n\n")
	}
	b.Write(s.body.Bytes())
	out, err := format.Source(b.Bytes())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.self.path, err)
	}
	return out, nil
}

// render writes every package's files, and go.mod (go.work and a go.mod per module in a
// workspace).
func (m *model) render() ([]file, error) {
	files := m.renderModules()
	for _, p := range m.pkgs {
		var (
			pf  []file
			err error
		)
		switch p.role {
		case roleKernel:
			pf, err = m.renderKernel(p)
		case roleMain, roleServiceMain:
			pf, err = m.renderMain(p)
		case roleTool:
			pf, err = m.renderTool(p)
		case roleStub:
			pf, err = m.renderStub(p)
		default:
			pf, err = m.renderService(p)
		}
		if err != nil {
			return nil, err
		}
		files = append(files, pf...)
	}
	if m.opts.Blind {
		blindFiles(files)
	}
	return files, nil
}

func (m *model) renderService(p *pkg) ([]file, error) {
	svcDoc := fmt.Sprintf("Package %s is part of a synthetic monolith written by carve-gen.", p.name)
	decl := m.newSource(p, svcDoc)
	m.writeDecls(decl, p)
	flow := m.newSource(p, "")
	if p.role == roleEntry {
		m.writeHandler(flow, p)
	} else {
		m.writeFlow(flow, p)
	}
	m.writePrepare(flow, p)
	var files []file
	lines := 0
	for _, f := range []struct {
		name string
		src  *source
	}{{lowerFirst(p.noun) + ".go", decl}, {"flow.go", flow}} {
		data, err := f.src.format()
		if err != nil {
			return nil, err
		}
		lines += bytes.Count(data, []byte("\n"))
		files = append(files, file{path: p.dir + "/" + f.name, data: data})
	}
	filler, err := m.writeFiller(p, m.opts.LinesPerPackage-lines)
	if err != nil {
		return nil, err
	}
	return append(files, filler...), nil
}

// writeDecls writes what other packages use: types, variables, interfaces, functions.
func (m *model) writeDecls(s *source, p *pkg) {
	d := &p.decls
	for _, t := range d.types {
		k := 2 + m.rng.IntN(8)
		s.pf("// %s is a %s as this package keeps it.\ntype %s struct {\n\tID string\n\tQty int\n\tTags []string\n}\n\n",
			t.name, strings.ToLower(t.name), t.name)
		s.pf("// %s returns the %s with the given id.\nfunc %s(id string) *%s {\n\treturn &%s{ID: id, Qty: len(id) + %d, Tags: []string{%q}}\n}\n\n",
			t.ctor, strings.ToLower(t.name), t.ctor, t.name, t.name, k, strings.ToLower(t.name))
		for _, meth := range t.methods {
			s.pf("// %s returns the %s's %s.\nfunc (x *%s) %s() int {\n\treturn x.Qty*%d + len(x.Tags) + len(x.ID)\n}\n\n",
				meth, strings.ToLower(t.name), strings.ToLower(meth), t.name, meth, 1+m.rng.IntN(9))
		}
	}
	for _, v := range d.vars {
		if v.slice {
			s.pf("// %s lists what this package accepts.\nvar %s = []string{\"basic\", \"priority\", \"bulk%d\"}\n\n", v.name, v.name, m.rng.IntN(10))
		} else {
			s.pf("// %s is a tunable of this package.\nvar %s = %d\n\n", v.name, v.name, 5+m.rng.IntN(200))
		}
	}
	for _, i := range d.ifaces {
		s.std("context")
		s.std("fmt")
		s.pf("// %s is what %s needs from its caller.\ntype %s interface {\n\t%s(ctx context.Context, id string) (int, error)\n}\n\n",
			i.name, i.collect, i.name, i.method)
		s.pf("// %s sums what src provides for id.\nfunc %s(ctx context.Context, src %s, id string) (int, error) {\n", i.collect, i.collect, i.name)
		s.pf("\tn, err := src.%s(ctx, id)\n\tif err != nil {\n\t\treturn 0, fmt.Errorf(\"%s %%s: %%w\", id, err)\n\t}\n\treturn n + %d, nil\n}\n\n",
			i.method, strings.ToLower(i.collect), 1+m.rng.IntN(20))
	}
	for _, f := range d.leaves {
		s.std("context")
		s.pf("// %s computes a figure for id.\nfunc %s(ctx context.Context, id string) (int, error) {\n", f.name, f.name)
		s.pf("\tif err := ctx.Err(); err != nil {\n\t\treturn 0, err\n\t}\n")
		if m.hasPrepare(p) {
			s.pf("\tid = prepare(id)\n")
		}
		s.pf("\treturn (len(id)*%d + %d) %% %d, nil\n}\n\n", f.consts[0], f.consts[1], f.consts[2])
	}
	if len(d.data) > 0 && len(m.kernel) == 0 {
		s.std("database/sql")
		s.pf("var conn *sql.DB\n\n// UseDB sets the connection the package's queries use.\nfunc UseDB(db *sql.DB) { conn = db }\n\n")
	}
	for _, f := range d.data {
		m.writeData(s, p, f)
	}
}

// writeData writes a function reading or writing a table with SQL, and through the kernel
// store when there is one.
func (m *model) writeData(s *source, p *pkg, f *function) {
	s.std("context")
	s.std("fmt")
	t := f.access.table.name
	conn := "conn"
	var db string
	if len(m.kernel) > 0 {
		db = s.ref(m.kernel[kernelDB])
		conn = db + ".SQL()"
	}
	if f.access.write {
		query := fmt.Sprintf("INSERT INTO %s (id, qty) VALUES ($1, $2)", t)
		if m.rng.IntN(2) == 0 {
			query = fmt.Sprintf("UPDATE %s SET qty = qty + $2 WHERE id = $1", t)
		}
		s.pf("// %s records id in table %s.\nfunc %s(ctx context.Context, id string) (int, error) {\n", f.name, t, f.name)
		s.pf("\tres, err := %s.ExecContext(ctx, %q, id, len(id))\n", conn, query)
		s.pf("\tif err != nil {\n\t\treturn 0, fmt.Errorf(\"write %s: %%w\", err)\n\t}\n", t)
		s.pf("\tn, err := res.RowsAffected()\n\tif err != nil {\n\t\treturn 0, fmt.Errorf(\"write %s: %%w\", err)\n\t}\n", t)
		if db != "" {
			s.pf("\t%s.Put(%q, id, int(n))\n", db, t)
		}
		s.pf("\treturn int(n), nil\n}\n\n")
		return
	}
	query := fmt.Sprintf("SELECT id, qty FROM %s WHERE id = $1", t)
	if m.rng.IntN(2) == 0 {
		query = fmt.Sprintf("SELECT count(*) FROM %s WHERE owner = $1 AND qty > 0", t)
	}
	s.pf("// %s reads the rows of id in table %s.\nfunc %s(ctx context.Context, id string) (int, error) {\n", f.name, t, f.name)
	s.pf("\trows, err := %s.QueryContext(ctx, %q, id)\n", conn, query)
	s.pf("\tif err != nil {\n\t\treturn 0, fmt.Errorf(\"read %s: %%w\", err)\n\t}\n\tdefer rows.Close()\n", t)
	s.pf("\tn := 0\n\tfor rows.Next() {\n\t\tn++\n\t}\n")
	s.pf("\tif err := rows.Err(); err != nil {\n\t\treturn 0, fmt.Errorf(\"read %s: %%w\", err)\n\t}\n", t)
	if db != "" {
		s.pf("\tif v, ok := %s.Get(%q, id); ok {\n\t\tif c, ok := v.(int); ok {\n\t\t\tn += c\n\t\t}\n\t}\n", db, t)
	}
	s.pf("\treturn n, nil\n}\n\n")
}

// writeUses writes the body of a driver: one statement group per unit, adding to total.
func (m *model) writeUses(s *source, p *pkg, units []*unit) {
	for i, u := range units {
		q := s.ref(u.edge.to)
		n := fmt.Sprintf("n%d", i+1)
		switch u.kind {
		case kindCall:
			s.pf("\t%s, err := %s.%s(ctx, id)\n", n, q, u.fn.name)
			m.writeCheck(s, u.fn.name)
			s.pf("\ttotal += %s\n", n)
		case kindMethod:
			x := fmt.Sprintf("x%d", i+1)
			s.pf("\t%s := %s.%s(id)\n\ttotal += %s.%s()\n", x, q, u.typ.ctor, x, u.meth)
		case kindVar:
			if u.v.slice {
				s.pf("\ttotal += len(%s.%s)\n", q, u.v.name)
			} else {
				s.pf("\ttotal += %s.%s\n", q, u.v.name)
			}
		case kindImpl:
			s.pf("\t%s, err := %s.%s(ctx, %s{scale: %d}, id)\n", n, q, u.ifc.collect, p.decls.adapters[u], 1+m.rng.IntN(9))
			m.writeCheck(s, u.ifc.collect)
			s.pf("\ttotal += %s\n", n)
		case kindClient:
			svc := m.services[u.edge.to.service]
			s.pf("\t%s, err := %s.New%sClient(%q).%s(ctx, &%s.Request{ID: id})\n", n, q, apiName(svc), "http://"+svc.name, u.meth, q)
			m.writeCheck(s, u.meth)
			s.pf("\ttotal += %s.Total\n", n)
		}
	}
}

func (m *model) writeCheck(s *source, what string) {
	s.std("fmt")
	s.pf("\tif err != nil {\n\t\treturn 0, fmt.Errorf(\"%s: %%w\", err)\n\t}\n", lowerFirst(what))
}

// writeFlow writes a service package's drivers, its Service type holding other packages' types,
// and the adapters implementing other packages' interfaces.
func (m *model) writeFlow(s *source, p *pkg) {
	d := &p.decls
	for _, f := range d.drivers {
		s.std("context")
		s.pf("// %s runs the %s step for id.\nfunc %s(ctx context.Context, id string) (int, error) {\n", f.name, strings.ToLower(f.name), f.name)
		if m.hasPrepare(p) {
			s.pf("\tid = prepare(id)\n")
		}
		s.pf("\ttotal := 0\n")
		m.writeUses(s, p, f.units)
		s.pf("\treturn total, nil\n}\n\n")
	}
	if len(d.fieldOrd) > 0 {
		s.pf("// Service holds what this package keeps of other packages' records.\ntype Service struct {\n")
		for _, u := range d.fieldOrd {
			s.pf("\t%s %s.%s\n", d.fields[u], s.ref(u.edge.to), u.typ.name)
		}
		s.pf("}\n\n// New returns an empty Service.\nfunc New() *Service {\n\treturn &Service{}\n}\n\n")
		s.pf("// Total sums the quantities of the records s holds.\nfunc (s *Service) Total() int {\n\ttotal := 0\n")
		m.writeFieldReads(s, p, "s")
		s.pf("\treturn total\n}\n\n")
	}
	m.writeAdapters(s, p)
}

func (m *model) writeFieldReads(s *source, p *pkg, recv string) {
	for _, u := range p.decls.fieldOrd {
		s.pf("\ttotal += %s.%s.Qty + len(%s.%s.Tags)\n", recv, p.decls.fields[u], recv, p.decls.fields[u])
	}
}

func (m *model) writeAdapters(s *source, p *pkg) {
	for _, e := range p.out {
		for _, u := range e.units {
			if u.kind != kindImpl {
				continue
			}
			s.std("context")
			a := p.decls.adapters[u]
			q := s.ref(e.to)
			s.pf("// %s adapts this package to %s.%s.\ntype %s struct {\n\tscale int\n}\n\n", a, q, u.ifc.name, a)
			s.pf("// %s implements %s.%s.\nfunc (a %s) %s(ctx context.Context, id string) (int, error) {\n", u.ifc.method, q, u.ifc.name, a, u.ifc.method)
			s.pf("\tif err := ctx.Err(); err != nil {\n\t\treturn 0, err\n\t}\n\treturn len(id) * a.scale, nil\n}\n\n")
		}
	}
}

// writeHandler writes an entry package: a Handler whose methods serve the service's routes (or
// topics, for a consumer) and hold the package's outgoing units, and Register (or Subscribe).
func (m *model) writeHandler(s *source, p *pkg) {
	s.std("context")
	s.std("fmt")
	d := &p.decls
	svc := m.services[p.service]
	resource := svc.resource
	s.pf("// Handler serves the /%s API.\ntype Handler struct {\n", resource)
	for _, u := range d.fieldOrd {
		s.pf("\t%s %s.%s\n", d.fields[u], s.ref(u.edge.to), u.typ.name)
	}
	s.pf("}\n\n")
	if p.entry == entryConsumer {
		s.pf("// Subscribe subscribes the /%s topics' handlers.\n", resource)
		s.pf("func Subscribe(subscribe func(topic string, handle func(ctx context.Context, payload []byte) error)) {\n\th := &Handler{}\n")
		for _, f := range d.drivers {
			s.pf("\tsubscribe(%q, h.%s)\n", resource+"."+strings.ToLower(f.name), f.name)
		}
	} else {
		s.std("net/http")
		s.pf("// Register registers the /%s routes on mux.\nfunc Register(mux *http.ServeMux) {\n\th := &Handler{}\n", resource)
		for i, f := range d.drivers {
			rf := routeForms[i]
			s.pf("\tmux.HandleFunc(%q, h.%s)\n", rf.method+" "+routePrefix[p.entry]+fmt.Sprintf(rf.path, resource), f.name)
		}
		if svc.server == p && svc.stub != nil {
			s.pf("\t%s.Register%sServer(mux, rpcServer{h: h})\n", s.ref(svc.stub), apiName(svc))
		}
	}
	s.pf("}\n\n")
	for i, f := range d.drivers {
		rf := routeForms[i]
		inner := lowerFirst(f.name)
		if p.entry == entryConsumer {
			s.pf("// %s handles a message of topic %s.\nfunc (h *Handler) %s(ctx context.Context, payload []byte) error {\n", f.name, resource+"."+strings.ToLower(f.name), f.name)
			s.pf("\tif _, err := h.%s(ctx, string(payload)); err != nil {\n\t\treturn fmt.Errorf(\"%s: %%w\", err)\n\t}\n\treturn nil\n}\n\n", inner, inner)
		} else {
			idExpr := `r.URL.Query().Get("id")`
			if rf.id {
				idExpr = `r.PathValue("id")`
			}
			route := routePrefix[p.entry] + fmt.Sprintf(rf.path, resource)
			s.pf("// %s serves %s %s.\nfunc (h *Handler) %s(w http.ResponseWriter, r *http.Request) {\n", f.name, rf.method, route, f.name)
			s.pf("\ttotal, err := h.%s(r.Context(), %s)\n", inner, idExpr)
			s.pf("\tif err != nil {\n\t\thttp.Error(w, err.Error(), http.StatusInternalServerError)\n\t\treturn\n\t}\n")
			s.pf("\tfmt.Fprintf(w, \"%%d\\n\", total)\n}\n\n")
		}
		s.pf("func (h *Handler) %s(ctx context.Context, id string) (int, error) {\n", inner)
		if m.hasPrepare(p) {
			s.pf("\tid = prepare(id)\n")
		}
		s.pf("\ttotal := len(id)\n")
		if i == 0 {
			m.writeFieldReads(s, p, "h")
		}
		m.writeUses(s, p, f.units)
		s.pf("\tif err := ctx.Err(); err != nil {\n\t\treturn 0, err\n\t}\n")
		s.pf("\treturn total, nil\n}\n\n")
	}
	if svc.server == p && svc.stub != nil {
		m.writeRPCServer(s, p)
	}
	m.writeAdapters(s, p)
}

func (m *model) hasPrepare(p *pkg) bool { return len(p.kernels) > 0 }

// writePrepare writes prepare, through which the package uses every kernel package it imports.
func (m *model) writePrepare(s *source, p *pkg) {
	if !m.hasPrepare(p) {
		return
	}
	s.pf("// prepare normalises an id with the platform helpers.\nfunc prepare(id string) string {\n")
	ret := "id"
	for _, k := range p.kernels {
		q := s.ref(k)
		switch k.kernel {
		case kernelDB:
			ret = fmt.Sprintf("%s.Key(%q, id)", q, p.name)
		case kernelLog:
			s.pf("\t%s.Info(%q, \"id\", id)\n", q, p.dir)
		case kernelConfig:
			s.pf("\tif limit := %s.Int(%q, %d); len(id) > limit {\n\t\tid = id[:limit]\n\t}\n", q, strings.ReplaceAll(p.dir, "/", ".")+".max_id", 32+m.rng.IntN(64))
		default:
			s.pf("\tid = %s.Norm(id)\n", q)
		}
	}
	s.pf("\treturn %s\n}\n\n", ret)
}

func (m *model) renderKernel(p *pkg) ([]file, error) {
	var s *source
	switch p.kernel {
	case kernelDB:
		s = m.newSource(p, fmt.Sprintf("Package %s is the platform's database helper: a table store and the SQL connection.", p.name))
		s.std("database/sql")
		s.std("strings")
		s.std("sync")
		s.pf(kernelDBSource)
	case kernelLog:
		s = m.newSource(p, fmt.Sprintf("Package %s is the platform's logger.", p.name))
		s.std("log")
		s.std("os")
		s.pf(kernelLogSource)
	case kernelConfig:
		s = m.newSource(p, fmt.Sprintf("Package %s reads the platform's settings from the environment.", p.name))
		s.std("os")
		s.std("strconv")
		s.std("strings")
		s.pf(kernelConfigSource)
	default:
		s = m.newSource(p, fmt.Sprintf("Package %s holds small text helpers shared by the platform.", p.name))
		s.std("strings")
		s.pf(kernelUtilSource, 31+2*m.rng.IntN(20))
	}
	return m.renderFile(p, p.name+".go", s)
}

const kernelDBSource = `// Store is an in-memory table store.
type Store struct {
	mu     sync.Mutex
	tables map[string]map[string]any
}

// NewStore returns an empty store.
func NewStore() *Store {
	return &Store{tables: map[string]map[string]any{}}
}

// Put stores v under key in table.
func (s *Store) Put(table, key string, v any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tables[table]
	if t == nil {
		t = map[string]any{}
		s.tables[table] = t
	}
	t[key] = v
}

// Get returns the value under key in table.
func (s *Store) Get(table, key string) (any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.tables[table][key]
	return v, ok
}

var (
	std  = NewStore()
	conn *sql.DB
)

// Use sets the connection SQL returns.
func Use(db *sql.DB) { conn = db }

// SQL returns the monolith's database connection.
func SQL() *sql.DB { return conn }

// Put stores v under key in table of the default store.
func Put(table, key string, v any) { std.Put(table, key, v) }

// Get returns the value under key in table of the default store.
func Get(table, key string) (any, bool) { return std.Get(table, key) }

// Key joins the parts of a key.
func Key(parts ...string) string { return strings.Join(parts, "#") }
`

const kernelLogSource = `var logger = log.New(os.Stderr, "", log.LstdFlags)

// Info logs msg with key-value pairs.
func Info(msg string, kv ...any) {
	logger.Println(append([]any{msg}, kv...)...)
}
`

const kernelConfigSource = `// Int returns the integer setting key (read from the environment variable of the key
// upper-cased, dots as underscores), or def.
func Int(key string, def int) int {
	v, ok := os.LookupEnv(envName(key))
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return def
	}
	return n
}

// String returns the setting key, or def.
func String(key, def string) string {
	if v, ok := os.LookupEnv(envName(key)); ok {
		return v
	}
	return def
}

func envName(key string) string {
	return strings.ToUpper(strings.NewReplacer(".", "_", "-", "_").Replace(key))
}
`

const kernelUtilSource = `// Norm returns s trimmed and lower-cased.
func Norm(s string) string {
	return strings.ToLower(strings.TrimSpace(s))
}

// Hash returns a small non-negative hash of s.
func Hash(s string) int {
	h := 0
	for _, c := range s {
		h = (h*%d + int(c)) %% 1000003
	}
	return h
}

// Clamp returns v limited to [lo, hi].
func Clamp(v, lo, hi int) int {
	return min(max(v, lo), hi)
}
`

// renderMain writes a program serving entry packages from one process: the composition root
// serves every service's, a service main its own service's.
func (m *model) renderMain(p *pkg) ([]file, error) {
	doc := "Command server is the monolith: it serves every service's routes from one process."
	var entries []*pkg
	for _, svc := range m.services {
		entries = append(entries, svc.entries...)
	}
	switch {
	case p.role == roleServiceMain:
		svc := m.services[p.service]
		doc = fmt.Sprintf("Command %s runs the %s service on its own.", svc.name, svc.name)
		entries = svc.entries
	case m.layout.mains:
		doc = "Command all-in-one runs every service in one process."
	}
	s := m.newSource(p, doc)
	s.std("database/sql")
	s.std("log")
	s.std("net/http")
	s.std("os")
	s.pf("func main() {\n")
	s.pf("\tdb, err := sql.Open(\"postgres\", os.Getenv(\"DATABASE_URL\"))\n\tif err != nil {\n\t\tlog.Fatal(err)\n\t}\n\tdefer db.Close()\n")
	if len(m.kernel) > 0 {
		s.pf("\t%s.Use(db)\n", s.ref(m.kernel[kernelDB]))
	}
	m.writeMount(s, entries)
	s.pf("\taddr := \":8080\"\n")
	if len(m.kernel) > kernelConfig {
		s.pf("\taddr = %s.String(\"http.addr\", addr)\n", s.ref(m.kernel[kernelConfig]))
	}
	s.pf("\tif err := http.ListenAndServe(addr, mux); err != nil {\n\t\tlog.Print(err)\n\t}\n}\n")
	return m.renderFile(p, "main.go", s)
}

// renderFile formats one source as the package's only file.
func (m *model) renderFile(p *pkg, name string, s *source) ([]file, error) {
	data, err := s.format()
	if err != nil {
		return nil, err
	}
	return []file{{path: p.dir + "/" + name, data: data}}, nil
}
