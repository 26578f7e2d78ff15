package signals

import (
	"go/ast"
	"go/constant"
	"go/types"
	"strings"

	"github.com/carve-dev/carve/analyze/facts"
)

// ent (entgo.io/ent) generates a client package into the module (commonly <module>/ent) whose
// per-entity clients, XClient, open every query and mutation: Query, Get and GetX read;
// Create, CreateBulk, MapCreateBulk, Update, UpdateOne, UpdateOneID, Delete, DeleteOne and
// DeleteOneID write. A package is an ent client package when it imports entgo.io/ent or
// entgo.io/ent/dialect/sql; X's table is the constant Table of its entity package,
// <client package>/<lower-case X>. The use belongs to the package calling the client; the
// generated packages' own calls (a client's Get calling its Query) are not the module's.
const (
	entPkg    = "entgo.io/ent"
	entSQLPkg = "entgo.io/ent/dialect/sql"
)

var entAccess = map[string]facts.Access{
	"Query": facts.Read, "Get": facts.Read, "GetX": facts.Read,
	"Create": facts.Write, "CreateBulk": facts.Write, "MapCreateBulk": facts.Write, "Update": facts.Write,
	"UpdateOne": facts.Write, "UpdateOneID": facts.Write, "Delete": facts.Write, "DeleteOne": facts.Write,
	"DeleteOneID": facts.Write,
}

// entSite records a call of an ent entity client's method from package pkg; it reports
// whether fn is such a method (recorded or deliberately left out).
func (fl *flow) entSite(ts tableSet, call *ast.CallExpr, fn *types.Func, pkg string) bool {
	access, ok := entAccess[fn.Name()]
	if !ok {
		return false
	}
	entity, ok := strings.CutSuffix(recvName(fn), "Client")
	if !ok || entity == "" || !isEntClient(fn.Pkg()) {
		return false
	}
	client := fn.Pkg().Path()
	if pkg == client || strings.HasPrefix(pkg, client+"/") {
		return true // the generated code calling itself
	}
	site := fl.m.Site(call.Lparen)
	table := entTable(fn.Pkg(), entity)
	if table != "" {
		ts.add(facts.TableUse{Package: pkg, Table: table, Store: storeSQL, Access: access}, site)
	}
	fl.cov.check(entPkg, callName(fn), site, table != "", "the entity package has no constant Table")
	return true
}

// isEntClient reports whether p is a package ent generated: one importing ent or its SQL dialect.
func isEntClient(p *types.Package) bool {
	for _, imp := range p.Imports() {
		if imp.Path() == entPkg || imp.Path() == entSQLPkg {
			return true
		}
	}
	return false
}

// entTable is the value of the constant Table in the entity package of entity, imported by
// the client package; "" when there is none.
func entTable(client *types.Package, entity string) string {
	want := client.Path() + "/" + strings.ToLower(entity)
	for _, imp := range client.Imports() {
		if imp.Path() != want {
			continue
		}
		if c, ok := imp.Scope().Lookup("Table").(*types.Const); ok && c.Val().Kind() == constant.String {
			return constant.StringVal(c.Val())
		}
	}
	return ""
}
