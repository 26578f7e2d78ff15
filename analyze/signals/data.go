package signals

import (
	"context"
	"go/ast"
	"go/constant"
	"go/token"
	"go/types"
	"sort"
	"strings"

	"github.com/carve-dev/carve/analyze/facts"
	"github.com/carve-dev/carve/analyze/load"

	"golang.org/x/tools/go/packages"
)

func init() { register(Data{}) }

// Data is the signal "package A reads or writes database table T". It produces Facts.Tables;
// clustering derives the package→package data coupling from packages sharing a table.
//
// DynamoDB (aws-sdk-go-v2): the TableName of a dynamodb *Input or of a transaction item
// (types.Put, Update, Delete, Get, ConditionCheck), set in a composite literal or by assignment,
// and the keys of RequestItems of batch calls. The access is the operation's: GetItem, Query,
// Scan, BatchGetItem and TransactGetItems read; PutItem, UpdateItem, DeleteItem, BatchWriteItem
// and TransactWriteItems write. Table administration (CreateTable, DescribeTable...) is not
// data access and is ignored.
//
// SQL: the query string passed to a Query, QueryRow, Exec or Prepare method (with or without
// Context), as database/sql, pgx and most wrappers name them. Tables after FROM and JOIN are
// read; the target of INSERT INTO, UPDATE, DELETE FROM and MERGE INTO is written.
//
// A table name or query is followed from where it is a constant: a literal, a named constant,
// aws.String(c), a variable or a struct field assigned a constant anywhere in the module
// (Repo{table: TableOrders}, cfg.OrdersTable = "orders", New(client, TableOrders) through the
// parameter into the field). When it reaches the call through a parameter of the function making
// the call (a shared client wrapper), the use is attributed to the callers that pass the
// constant, not to the wrapper. Names that are not constants anywhere (environment variables)
// are not seen.
type Data struct{}

// Name returns SignalData.
func (Data) Name() string { return facts.SignalData }

// Doc describes the signal.
func (Data) Doc() string {
	return "SQL tables (database/sql, pgx, sqlx, squirrel, goqu, gorm, sqlc), DynamoDB tables, MongoDB collections and Redis key prefixes each package reads or writes (through constants, literals and struct fields)"
}

// Weight is 0.5 for two packages using the same table; the graph divides it among the packages
// sharing the table, so a table the whole module touches glues nothing (see graph.Build).
func (Data) Weight() float64 { return 0.5 }

// Undirected: a table two packages touch: neither uses the other.
func (Data) Undirected() bool { return true }

const (
	dynamoPkg      = "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dynamoTypesPkg = "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	storeDynamo    = "dynamodb"
	storeSQL       = "sql"
)

// dynamoAccess is the access of each dynamodb type that names a table.
var dynamoAccess = map[string]facts.Access{
	"GetItemInput": facts.Read, "QueryInput": facts.Read, "ScanInput": facts.Read, "BatchGetItemInput": facts.Read,
	"TransactGetItemsInput": facts.Read, "Get": facts.Read, "ConditionCheck": facts.Read,
	"PutItemInput": facts.Write, "UpdateItemInput": facts.Write, "DeleteItemInput": facts.Write,
	"BatchWriteItemInput": facts.Write, "TransactWriteItemsInput": facts.Write, "Put": facts.Write, "Update": facts.Write, "Delete": facts.Write,
}

// sqlMethods are the names of the methods that take a query string.
var sqlMethods = map[string]bool{
	"Query": true, "QueryContext": true, "QueryRow": true, "QueryRowContext": true,
	"Exec": true, "ExecContext": true, "Prepare": true, "PrepareContext": true,
}

// Collect adds the module's table uses to f.Tables.
func (Data) Collect(ctx context.Context, m *load.Module, f *facts.Facts) error {
	fl := newFlow(m)
	fl.cov = newLibCoverage(kindData)
	ts := tableSet{}
	mongo := &mongoCollections{holders: map[*types.Var][]string{}}
	each := func(visit visitFn) { walkModule(ctx, m, visit) }
	each(func(n ast.Node, info *types.Info, _ string, _ *types.Func) { fl.learnMongo(mongo, n, info) })
	each(func(n ast.Node, info *types.Info, path string, encl *types.Func) {
		fl.dataSite(ts, n, info, path, encl)
		if call, ok := n.(*ast.CallExpr); ok {
			fl.libSite(ts, call, info, path, encl)
			fl.mongoSite(mongo, ts, call, info, path)
		}
	})
	f.Tables = append(f.Tables, ts.sorted()...)
	fl.cov.emit(f)
	return ctx.Err()
}

func enclosingFunc(info *types.Info, decl ast.Decl) *types.Func {
	if fd, ok := decl.(*ast.FuncDecl); ok {
		fn, _ := info.Defs[fd.Name].(*types.Func)
		return fn
	}
	return nil
}

// dataSite records the table uses found at node n, if any: a DynamoDB input literal or field
// assignment, or a SQL call.
func (fl *flow) dataSite(ts tableSet, n ast.Node, info *types.Info, pkg string, encl *types.Func) {
	at := dataAt{fl: fl, ts: ts, info: info, pkg: pkg, encl: encl}
	switch x := n.(type) {
	case *ast.CompositeLit:
		at.dynamoLiteral(x)
	case *ast.AssignStmt:
		at.dynamoAssign(x)
	case *ast.CallExpr:
		at.sqlCall(x)
	}
}

// dataAt is where table uses are being recorded: the package and function around a node.
type dataAt struct {
	fl   *flow
	ts   tableSet
	info *types.Info
	pkg  string
	encl *types.Func
}

// bind returns the values e can take (see flow.bind).
func (at dataAt) bind(e ast.Expr) []binding {
	return at.fl.bind(e, at.info, at.pkg, at.fl.m.Site(e.Pos()), at.encl, 0)
}

// dynamoTable records the DynamoDB table e names, with the key prefixes of the function that
// builds it.
func (at dataAt) dynamoTable(access facts.Access, e ast.Expr) {
	bs := at.bind(e)
	at.fl.cov.check(dynamoPkg, "dynamodb TableName", at.fl.m.Site(e.Pos()), len(bs) > 0, whyTable)
	for _, b := range bs {
		keys := at.fl.keyPrefixes(b.fn)
		at.ts.add(facts.TableUse{Package: b.pkg, Table: b.value, Store: storeDynamo, Access: access, KeyPrefixes: keys.prefixes, KeyAttributes: keys.attrs}, b.site)
	}
}

// dynamoItems records the tables keying a RequestItems map literal.
func (at dataAt) dynamoItems(access facts.Access, e ast.Expr) {
	items, ok := ast.Unparen(e).(*ast.CompositeLit)
	if !ok {
		return
	}
	for _, e := range items.Elts {
		if ikv, ok := e.(*ast.KeyValueExpr); ok {
			at.dynamoTable(access, ikv.Key)
		}
	}
}

// dynamoLiteral reads a DynamoDB input literal: &dynamodb.PutItemInput{TableName: ...}.
func (at dataAt) dynamoLiteral(x *ast.CompositeLit) {
	access := dynamoTypeAccess(at.info.TypeOf(x))
	if access == "" {
		return
	}
	for key, value := range keyedFields(x) {
		switch key {
		case "TableName":
			at.dynamoTable(access, value)
		case "RequestItems":
			at.dynamoItems(access, value)
		}
	}
}

// dynamoAssign reads assignments to a DynamoDB input's fields: in.TableName = ...,
// in.RequestItems[table] = ..., in.RequestItems = map...{table: ...}.
func (at dataAt) dynamoAssign(x *ast.AssignStmt) {
	if len(x.Lhs) != len(x.Rhs) {
		return
	}
	for i, lhs := range x.Lhs {
		target, index := lhs, ast.Expr(nil)
		if ix, ok := ast.Unparen(lhs).(*ast.IndexExpr); ok {
			target, index = ix.X, ix.Index
		}
		sel, ok := ast.Unparen(target).(*ast.SelectorExpr)
		if !ok {
			continue
		}
		s := at.info.Selections[sel]
		if s == nil || s.Kind() != types.FieldVal {
			continue
		}
		access := dynamoTypeAccess(s.Recv())
		switch {
		case access == "":
		case sel.Sel.Name == "TableName" && index == nil:
			at.dynamoTable(access, x.Rhs[i])
		case sel.Sel.Name == "RequestItems" && index != nil:
			at.dynamoTable(access, index)
		case sel.Sel.Name == "RequestItems":
			at.dynamoItems(access, x.Rhs[i])
		}
	}
}

// sqlCall parses the query of a database/sql or pgx call: its first string parameter.
func (at dataAt) sqlCall(x *ast.CallExpr) {
	callee := load.CalleeFunc(at.info, x)
	if callee == nil || !sqlMethods[callee.Name()] {
		return
	}
	sig, _ := callee.Type().(*types.Signature)
	if sig == nil || sig.Recv() == nil {
		return
	}
	for i, arg := range x.Args {
		if i >= sig.Params().Len() {
			break
		}
		if b, ok := sig.Params().At(i).Type().Underlying().(*types.Basic); ok && b.Kind() == types.String {
			at.sqlQuery(callee, arg)
			break
		}
	}
}

// sqlQuery parses the SQL query arg of a call of fn, and lists it in the coverage when it has no
// value carve can follow.
func (at dataAt) sqlQuery(fn *types.Func, arg ast.Expr) {
	bs := at.bind(arg)
	for _, b := range bs {
		for _, r := range parseSQL(b.value) {
			at.ts.add(facts.TableUse{Package: b.pkg, Table: r.table, Store: storeSQL, Access: r.access}, b.site)
		}
	}
	resolved := len(bs) > 0
	if !resolved {
		resolved = at.sqlPrefix(arg)
	}
	at.fl.cov.check(pkgPath(fn), callName(fn), at.fl.m.Site(arg.Pos()), resolved, whyTable)
}

// sqlPrefix reads the tables of a statement built by concatenation whose constant start names
// them: "INSERT INTO `attachment` (" + strings.Join(fields, ", ") + ...), directly or through the
// one value of a local variable. It reports whether it found any.
func (at dataAt) sqlPrefix(arg ast.Expr) bool {
	e, info := arg, at.info
	if v := varOf(info, e); v != nil && len(at.fl.assigns[v]) == 1 {
		e, info = at.fl.assigns[v][0].e, at.fl.assigns[v][0].info
	}
	prefix := constPrefix(e, info)
	if prefix == "" {
		return false
	}
	site := at.fl.m.Site(arg.Pos())
	refs := parseSQL(prefix)
	for _, r := range refs {
		at.ts.add(facts.TableUse{Package: at.pkg, Table: r.table, Store: storeSQL, Access: r.access}, site)
	}
	return len(refs) > 0
}

// constPrefix returns the constant start of a string concatenation a + b + ...: the leftmost
// operands that are constants, joined; "" when the first is not one.
func constPrefix(e ast.Expr, info *types.Info) string {
	b, ok := ast.Unparen(e).(*ast.BinaryExpr)
	if !ok || b.Op != token.ADD {
		return ""
	}
	if s, ok := constString(info, b); ok {
		return s
	}
	if s, ok := constString(info, b.X); ok {
		return s
	}
	return constPrefix(b.X, info)
}

// dynamoTypeAccess returns the access of a dynamodb type (or pointer to it) that names a
// table, or "" for any other type.
func dynamoTypeAccess(t types.Type) facts.Access {
	named := load.NamedOf(t)
	if named == nil || named.Obj().Pkg() == nil {
		return ""
	}
	switch named.Obj().Pkg().Path() {
	case dynamoPkg, dynamoTypesPkg:
		return dynamoAccess[named.Obj().Name()]
	}
	return ""
}

// tableSet merges table uses by package, store and table.
type tableSet map[[3]string]*facts.TableUse

func (ts tableSet) add(u facts.TableUse, site facts.Site) {
	k := [3]string{u.Package, u.Store, u.Table}
	cur := ts[k]
	if cur == nil {
		cur = &facts.TableUse{Package: u.Package, Table: u.Table, Store: u.Store}
		ts[k] = cur
	}
	cur.Access = cur.Access.Merge(u.Access)
	for _, p := range u.KeyPrefixes {
		if !contains(cur.KeyPrefixes, p) {
			cur.KeyPrefixes = append(cur.KeyPrefixes, p)
		}
	}
	cur.KeyAttributes = facts.MergeKeyAttributes(cur.KeyAttributes, u.KeyAttributes)
	if site.File != "" && len(cur.Sites) < facts.MaxSites && !hasSite(cur.Sites, site) {
		cur.Sites = append(cur.Sites, site)
	}
}

func (ts tableSet) sorted() []facts.TableUse {
	out := make([]facts.TableUse, 0, len(ts))
	for _, u := range ts {
		sort.Strings(u.KeyPrefixes)
		sortSites(u.Sites)
		out = append(out, *u)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Package != b.Package {
			return a.Package < b.Package
		}
		if a.Store != b.Store {
			return a.Store < b.Store
		}
		return a.Table < b.Table
	})
	return out
}

func contains(s []string, x string) bool {
	for _, y := range s {
		if y == x {
			return true
		}
	}
	return false
}

// flow knows where the module's string variables, fields and parameters get their values, so
// that a table name or query can be followed back to the constants it is made of.
type flow struct {
	m       *load.Module
	assigns map[*types.Var][]exprAt  // variable, field or parameter → expressions assigned to it
	params  map[*types.Var]paramRef  // parameter → its function and position
	calls   map[*types.Func][]callAt // module function → its static call sites
	decls   map[*types.Func]declAt   // module function → its declaration
	memo    map[*types.Func]keyInfo  // key prefixes per function
	values  map[*types.Var][]string  // resolved values per variable
	pending map[*types.Var]bool      // variables being resolved (cycle guard)
	inCall  map[*types.Func]bool     // functions whose returns are being resolved
	cov     *libCoverage             // recognised libraries and unresolved sites; nil: not kept
}

type exprAt struct {
	e    ast.Expr
	info *types.Info
}

type paramRef struct {
	fn  *types.Func
	idx int
}

type callAt struct {
	call *ast.CallExpr
	info *types.Info
	pkg  string
	encl *types.Func
}

type declAt struct {
	fd   *ast.FuncDecl
	info *types.Info
}

func newFlow(m *load.Module) *flow {
	fl := &flow{
		m:       m,
		assigns: map[*types.Var][]exprAt{},
		params:  map[*types.Var]paramRef{},
		calls:   map[*types.Func][]callAt{},
		decls:   map[*types.Func]declAt{},
		memo:    map[*types.Func]keyInfo{},
		values:  map[*types.Var][]string{},
		pending: map[*types.Var]bool{},
		inCall:  map[*types.Func]bool{},
	}
	m.Each(func(path string, p *packages.Package) {
		info := p.TypesInfo
		if info == nil {
			return
		}
		for _, file := range p.Syntax {
			for _, decl := range file.Decls {
				encl := enclosingFunc(info, decl)
				if fd, ok := decl.(*ast.FuncDecl); ok && encl != nil {
					fl.decls[encl] = declAt{fd, info}
					if sig, ok := encl.Type().(*types.Signature); ok {
						for i := 0; i < sig.Params().Len(); i++ {
							fl.params[sig.Params().At(i)] = paramRef{encl, i}
						}
					}
				}
				ast.Inspect(decl, func(n ast.Node) bool {
					fl.learn(n, info, path, encl)
					return true
				})
			}
		}
	})
	return fl
}

// learn records what node n assigns to string variables, fields and parameters.
func (fl *flow) learn(n ast.Node, info *types.Info, pkg string, encl *types.Func) {
	assign := func(v *types.Var, e ast.Expr) {
		if v != nil && e != nil && stringish(v.Type()) {
			fl.assigns[v] = append(fl.assigns[v], exprAt{e, info})
		}
	}
	eachAssign(n, info, assign)
	switch x := n.(type) {
	case *ast.CallExpr:
		callee := load.CalleeFunc(info, x)
		if callee == nil {
			return
		}
		// fs.StringVar(&cfg.Table, "table", "orders", usage): the default is assigned.
		if isFlagPkg(callee) && strings.HasPrefix(callee.Name(), "StringVar") && len(x.Args) > 0 {
			if i := paramIndex(callee, "value"); i >= 0 && i < len(x.Args) {
				if u, ok := ast.Unparen(x.Args[0]).(*ast.UnaryExpr); ok {
					assign(varOf(info, u.X), x.Args[i])
				}
			}
			return
		}
		if _, own := fl.m.Own(callee.Pkg()); !own {
			return
		}
		fl.calls[callee] = append(fl.calls[callee], callAt{x, info, pkg, encl})
		sig, _ := callee.Type().(*types.Signature)
		if sig == nil || x.Ellipsis.IsValid() {
			return
		}
		for i, arg := range x.Args {
			if i >= sig.Params().Len() || sig.Variadic() && i >= sig.Params().Len()-1 {
				break
			}
			assign(sig.Params().At(i), arg)
		}
	}
}

// binding is one value a table name or query takes, and the package and site it is
// attributed to.
type binding struct {
	value string
	pkg   string
	site  facts.Site
	fn    *types.Func // function the site is in, for key prefixes
}

// bind resolves e, seen in function encl of package pkg, to the values it can take. When e is a
// parameter of encl, the values come from encl's callers and are attributed to them.
func (fl *flow) bind(e ast.Expr, info *types.Info, pkg string, site facts.Site, encl *types.Func, depth int) []binding {
	if v := varOf(info, fl.core(info, e)); v != nil && encl != nil && depth < 4 {
		if ref, ok := fl.params[v]; ok && ref.fn == encl && len(fl.calls[encl]) > 0 {
			var out []binding
			for _, c := range fl.calls[encl] {
				if ref.idx < len(c.call.Args) && !c.call.Ellipsis.IsValid() {
					out = append(out, fl.bind(c.call.Args[ref.idx], c.info, c.pkg, fl.m.Site(c.call.Lparen), c.encl, depth+1)...)
				}
			}
			return out
		}
	}
	var out []binding
	for _, val := range fl.resolve(e, info) {
		out = append(out, binding{value: val, pkg: pkg, site: site, fn: encl})
	}
	return out
}

// resolve returns the constant strings e can evaluate to, sorted, or nil when it cannot tell.
func (fl *flow) resolve(e ast.Expr, info *types.Info) []string {
	if e == nil || info == nil {
		return nil
	}
	if tv, ok := info.Types[e]; ok && tv.Value != nil {
		if tv.Value.Kind() == constant.String {
			return []string{constant.StringVal(tv.Value)}
		}
		return nil
	}
	c := fl.core(info, e)
	if c != e {
		return fl.resolve(c, info)
	}
	if call, ok := e.(*ast.CallExpr); ok {
		return fl.resolveCall(call, info)
	}
	v := varOf(info, e)
	if v == nil {
		return nil
	}
	if vals, ok := fl.values[v]; ok {
		return vals
	}
	if fl.pending[v] {
		return nil
	}
	fl.pending[v] = true
	var vals []string
	for _, src := range fl.assigns[v] {
		for _, s := range fl.resolve(src.e, src.info) {
			if !contains(vals, s) {
				vals = append(vals, s)
			}
		}
	}
	delete(fl.pending, v)
	sort.Strings(vals)
	fl.values[v] = vals
	return vals
}

// resolveCall returns the constant strings a call can return: for a function of the module,
// what its return statements can be, a parameter standing for the call's argument (so that
// env("ORDERS_TABLE", DefaultOrders) is DefaultOrders when the variable is unset); for
// cmp.Or, any of its arguments; for flag.String and pflag's, the default value.
func (fl *flow) resolveCall(call *ast.CallExpr, info *types.Info) []string {
	fn := load.CalleeFunc(info, call)
	if fn == nil {
		return nil
	}
	var vals []string
	addAll := func(ss []string) {
		for _, s := range ss {
			if !contains(vals, s) {
				vals = append(vals, s)
			}
		}
	}
	switch {
	case fn.Pkg() != nil && fn.Pkg().Path() == "cmp" && fn.Name() == "Or":
		for _, a := range call.Args {
			addAll(fl.resolve(a, info))
		}
	case isFlagPkg(fn) && strings.HasPrefix(fn.Name(), "String"):
		if i := paramIndex(fn, "value"); i >= 0 && i < len(call.Args) {
			addAll(fl.resolve(call.Args[i], info))
		}
	default:
		d, ok := fl.decls[fn]
		if !ok || d.fd.Body == nil || fl.inCall[fn] {
			return nil
		}
		fl.inCall[fn] = true
		ast.Inspect(d.fd.Body, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.FuncLit:
				return false // its returns are not fn's
			case *ast.ReturnStmt:
				if len(x.Results) != 1 {
					return true
				}
				r := fl.core(d.info, x.Results[0])
				if v := varOf(d.info, r); v != nil {
					if ref, ok := fl.params[v]; ok && ref.fn == fn {
						if ref.idx < len(call.Args) {
							addAll(fl.resolve(call.Args[ref.idx], info))
						}
						return true
					}
				}
				addAll(fl.resolve(x.Results[0], d.info))
			}
			return true
		})
		delete(fl.inCall, fn)
	}
	sort.Strings(vals)
	return vals
}

func isFlagPkg(fn *types.Func) bool {
	if fn.Pkg() == nil {
		return false
	}
	p := fn.Pkg().Path()
	return p == "flag" || p == "github.com/spf13/pflag"
}

// paramIndex returns the position of fn's parameter called name, or -1.
func paramIndex(fn *types.Func, name string) int {
	sig, ok := fn.Type().(*types.Signature)
	if !ok {
		return -1
	}
	for i := 0; i < sig.Params().Len(); i++ {
		if sig.Params().At(i).Name() == name {
			return i
		}
	}
	return -1
}

// core strips what does not change a string value: parentheses, &x, *x, conversions, and
// calls of functions outside the module that turn a string into a *string, like aws.String.
func (fl *flow) core(info *types.Info, e ast.Expr) ast.Expr {
	for {
		switch x := e.(type) {
		case *ast.ParenExpr:
			e = x.X
		case *ast.StarExpr:
			e = x.X
		case *ast.UnaryExpr:
			if x.Op.String() != "&" {
				return e
			}
			e = x.X
		case *ast.CallExpr:
			if len(x.Args) != 1 || !stringish(info.TypeOf(x)) || !stringish(info.TypeOf(x.Args[0])) {
				return e
			}
			// string(x) and pointer helpers like aws.String keep the value; other functions
			// (os.Getenv, strings.ToUpper) do not.
			_, isPtr := info.TypeOf(x).Underlying().(*types.Pointer)
			if tv, ok := info.Types[x.Fun]; !isPtr && !(ok && tv.IsType()) {
				return e
			}
			if fn := load.CalleeFunc(info, x); fn != nil {
				if _, own := fl.m.Own(fn.Pkg()); own {
					return e // the module's own functions are resolved through their returns
				}
			}
			e = x.Args[0]
		default:
			return e
		}
	}
}

// varOf returns the variable, field or parameter e names, or nil.
func varOf(info *types.Info, e ast.Expr) *types.Var {
	switch x := ast.Unparen(e).(type) {
	case *ast.Ident:
		if v, ok := info.Defs[x].(*types.Var); ok {
			return v
		}
		v, _ := info.Uses[x].(*types.Var)
		return v
	case *ast.SelectorExpr:
		if s, ok := info.Selections[x]; ok {
			if s.Kind() != types.FieldVal {
				return nil
			}
			v, _ := s.Obj().(*types.Var)
			return v
		}
		v, _ := info.Uses[x.Sel].(*types.Var)
		return v
	}
	return nil
}

// stringish reports whether t is a string type or a pointer to one.
func stringish(t types.Type) bool {
	if t == nil {
		return false
	}
	if p, ok := t.Underlying().(*types.Pointer); ok {
		t = p.Elem()
	}
	b, ok := t.Underlying().(*types.Basic)
	return ok && b.Info()&types.IsString != 0
}

func derefUnder(t types.Type) types.Type {
	if t == nil {
		return nil
	}
	if p, ok := t.Underlying().(*types.Pointer); ok {
		t = p.Elem()
	}
	return t.Underlying()
}

// keyInfo is what a function shows of the keys it writes: literal prefixes and, where a prefix
// is the value of a map literal entry, the attribute it goes to.
type keyInfo struct {
	prefixes []string
	attrs    map[string][]string
}

// keyPrefixes returns the literal key prefixes ("ORDER#") written in fn: the part up to the
// first '#' of string constants that start with a letter; and for each, the attributes it is
// written to when it stands in the value of a map literal entry with a constant key
// ("pk": ...).
func (fl *flow) keyPrefixes(fn *types.Func) keyInfo {
	if fn == nil {
		return keyInfo{}
	}
	if k, ok := fl.memo[fn]; ok {
		return k
	}
	var out keyInfo
	if d, ok := fl.decls[fn]; ok {
		constPrefix := func(e ast.Expr) string {
			tv, ok := d.info.Types[e]
			if !ok || tv.Value == nil || tv.Value.Kind() != constant.String {
				return ""
			}
			return keyPrefix(constant.StringVal(tv.Value))
		}
		ast.Inspect(d.fd, func(n ast.Node) bool {
			if kv, ok := n.(*ast.KeyValueExpr); ok {
				tv, ok := d.info.Types[kv.Key]
				// ":v" and "#n" are expression placeholders, not attributes.
				if ok && tv.Value != nil && tv.Value.Kind() == constant.String && !strings.HasPrefix(constant.StringVal(tv.Value), ":") && !strings.HasPrefix(constant.StringVal(tv.Value), "#") {
					attr := constant.StringVal(tv.Value)
					ast.Inspect(kv.Value, func(m ast.Node) bool {
						if e, ok := m.(ast.Expr); ok {
							if p := constPrefix(e); p != "" {
								out.attrs = facts.MergeKeyAttributes(out.attrs, map[string][]string{p: {attr}})
							}
						}
						return true
					})
				}
			}
			e, ok := n.(ast.Expr)
			if !ok {
				return true
			}
			if p := constPrefix(e); p != "" && !contains(out.prefixes, p) {
				out.prefixes = append(out.prefixes, p)
			}
			return true
		})
	}
	sort.Strings(out.prefixes)
	fl.memo[fn] = out
	return out
}

// keyPrefix returns the "ENTITY#" prefix of s, or "".
func keyPrefix(s string) string {
	i := strings.IndexByte(s, '#')
	if i <= 0 {
		return ""
	}
	for j, r := range s[:i] {
		letter := r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z'
		if !letter && (j == 0 || !(r >= '0' && r <= '9' || r == '_')) {
			return ""
		}
	}
	return s[:i+1]
}
