package signals

import (
	"go/ast"
	"go/types"
	"strings"
	"unicode"

	"github.com/carve-dev/carve/analyze/facts"
	"github.com/carve-dev/carve/analyze/load"
)

// Data access libraries beyond database/sql, pgx and DynamoDB (issue 13). Each is recognised by
// the import path of the callee's package:
//
//   - sqlx (github.com/jmoiron/sqlx): Select, Get, NamedExec, NamedQuery, MustExec, Queryx,
//     QueryRowx, Preparex, PrepareNamed (and their Context forms): the query is parsed as SQL.
//   - squirrel (github.com/Masterminds/squirrel) and goqu (github.com/doug-martin/goqu/v9):
//     builders. From and the Join family read their table; Insert, Into, Update, Table,
//     Replace and Delete (and a DeleteBuilder's From) write it.
//   - gorm (gorm.io/gorm): Create, Save, Update(s), UpdateColumn(s), Delete and FirstOrCreate
//     write; Find, First, Take, Last, Scan, Count, Pluck and FirstOrInit read. The table is the
//     chain's Table(name), else the model's (Model(&T{}) or the destination argument): T's
//     TableName() when it returns a constant, else gorm's convention, the snake_case plural of
//     T's name (OrderItem → order_items). Raw(sql) and Exec(sql) are parsed as SQL.
//   - MongoDB (go.mongodb.org/mongo-driver/mongo and .../v2/mongo): Database(..).Collection(name)
//     is a "mongodb" table named by the collection; the access is the collection's methods
//     (InsertOne, UpdateMany, DeleteOne, BulkWrite... write; Find, FindOne, Aggregate,
//     CountDocuments... read), followed through the variable or field holding the collection.
//   - Redis (github.com/redis/go-redis/v9, github.com/go-redis/redis/v8): a command's key with a
//     constant prefix ("session:"+id, fmt.Sprintf("cart:%s", id)) is a "redis" table named
//     redis:<prefix> with that key prefix; SET, HSET, DEL, INCR, LPUSH... write, GET, HGETALL,
//     EXISTS, LRANGE... read.
//   - ent (entgo.io/ent): its generated entity clients' Query, Get, Create, Update, Delete...
//     on the entity's Table constant (data_ent.go).
//   - sqlc: its generated code passes const query strings to database/sql or pgx, which the SQL
//     rule already reads.
const (
	sqlxPkg      = "github.com/jmoiron/sqlx"
	squirrelPkg  = "github.com/Masterminds/squirrel"
	goquPkg      = "github.com/doug-martin/goqu/v9"
	gormPkg      = "gorm.io/gorm"
	mongoPkg     = "go.mongodb.org/mongo-driver/mongo"
	mongoV2Pkg   = "go.mongodb.org/mongo-driver/v2/mongo"
	redisPkg     = "github.com/redis/go-redis/v9"
	redisV8Pkg   = "github.com/go-redis/redis/v8"
	storeMongo   = "mongodb"
	storeRedis   = "redis"
	redisTablePf = "redis:"
)

// sqlxMethods are sqlx's methods that take a query string.
var sqlxMethods = map[string]bool{
	"Select": true, "SelectContext": true, "Get": true, "GetContext": true,
	"NamedExec": true, "NamedExecContext": true, "NamedQuery": true, "NamedQueryContext": true,
	"MustExec": true, "MustExecContext": true, "Queryx": true, "QueryxContext": true,
	"QueryRowx": true, "QueryRowxContext": true, "Preparex": true, "PreparexContext": true,
	"PrepareNamed": true, "PrepareNamedContext": true, "Rebind": false,
}

// builderAccess is the access of a SQL builder's table-naming method.
var builderAccess = map[string]facts.Access{
	"From": facts.Read, "Join": facts.Read, "LeftJoin": facts.Read, "RightJoin": facts.Read,
	"InnerJoin": facts.Read, "CrossJoin": facts.Read, "FullJoin": facts.Read, "FullOuterJoin": facts.Read,
	"LeftOuterJoin": facts.Read, "RightOuterJoin": facts.Read, "NaturalJoin": facts.Read,
	"Insert": facts.Write, "Into": facts.Write, "Update": facts.Write, "Table": facts.Write,
	"Replace": facts.Write, "Delete": facts.Write,
}

var gormAccess = map[string]facts.Access{
	"Create": facts.Write, "CreateInBatches": facts.Write, "Save": facts.Write, "Update": facts.Write, "Updates": facts.Write,
	"UpdateColumn": facts.Write, "UpdateColumns": facts.Write, "Delete": facts.Write, "FirstOrCreate": facts.Write,
	"Find": facts.Read, "First": facts.Read, "Take": facts.Read, "Last": facts.Read, "Scan": facts.Read,
	"Count": facts.Read, "Pluck": facts.Read, "FirstOrInit": facts.Read, "FindInBatches": facts.Read,
}

var mongoAccess = map[string]facts.Access{
	"InsertOne": facts.Write, "InsertMany": facts.Write, "UpdateOne": facts.Write, "UpdateMany": facts.Write,
	"UpdateByID": facts.Write, "ReplaceOne": facts.Write, "DeleteOne": facts.Write, "DeleteMany": facts.Write,
	"FindOneAndUpdate": facts.Write, "FindOneAndReplace": facts.Write, "FindOneAndDelete": facts.Write,
	"BulkWrite": facts.Write, "Drop": facts.Write,
	"Find": facts.Read, "FindOne": facts.Read, "Aggregate": facts.Read, "CountDocuments": facts.Read,
	"EstimatedDocumentCount": facts.Read, "Distinct": facts.Read, "Watch": facts.Read,
}

// redisWrites and redisReads are the go-redis commands by access; their key is the argument
// after the context.
var redisWrites = set("Set", "SetNX", "SetXX", "SetEx", "SetArgs", "GetSet", "GetDel", "GetEx", "Del", "Unlink",
	"Expire", "ExpireAt", "PExpire", "Persist", "Incr", "IncrBy", "IncrByFloat", "Decr", "DecrBy", "Append",
	"HSet", "HSetNX", "HMSet", "HDel", "HIncrBy", "HIncrByFloat", "LPush", "RPush", "LPop", "RPop", "LRem",
	"LSet", "LTrim", "LInsert", "SAdd", "SRem", "SPop", "SMove", "ZAdd", "ZRem", "ZIncrBy", "ZRemRangeByScore",
	"ZRemRangeByRank", "XAdd", "XDel", "XTrim", "PFAdd", "SetBit", "Rename", "RenameNX")
var redisReads = set("Get", "GetRange", "StrLen", "Exists", "TTL", "PTTL", "Type", "HGet", "HGetAll", "HMGet",
	"HExists", "HKeys", "HVals", "HLen", "LRange", "LLen", "LIndex", "SMembers", "SIsMember", "SCard",
	"ZRange", "ZRangeByScore", "ZRevRange", "ZRevRangeByScore", "ZScore", "ZCard", "ZRank", "ZCount",
	"XRange", "XRevRange", "XLen", "PFCount", "GetBit", "BitCount")

func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// libSite records the table uses of the data libraries at call, if any: one step per library.
func (fl *flow) libSite(ts tableSet, call *ast.CallExpr, info *types.Info, pkg string, encl *types.Func) {
	fn := load.CalleeFunc(info, call)
	if fn == nil || fn.Pkg() == nil {
		return
	}
	if fl.entSite(ts, call, fn, pkg) {
		return
	}
	c := libCall{dataAt: dataAt{fl: fl, ts: ts, info: info, pkg: pkg, encl: encl}, call: call, fn: fn}
	switch fn.Pkg().Path() {
	case sqlxPkg:
		if sqlxMethods[fn.Name()] {
			c.sqlArg(firstStringParam(fn))
		}
	case squirrelPkg, goquPkg:
		c.builder()
	case gormPkg:
		if fn.Name() == "Raw" { // db.Raw(sql, ...); db.Exec is the SQL rule's
			c.sqlArg(0)
			return
		}
		fl.gormSite(ts, call, fn, info, pkg)
	case redisPkg, redisV8Pkg:
		c.redis()
	}
}

// libCall is one call of a data library, with what its steps need to record table uses.
type libCall struct {
	dataAt
	call *ast.CallExpr
	fn   *types.Func
}

// sqlArg parses the SQL of argument i (sqlx's query, gorm's Raw).
func (c libCall) sqlArg(i int) {
	if i < 0 || i >= len(c.call.Args) {
		return
	}
	c.sqlQuery(c.fn, c.call.Args[i])
}

// builder reads a squirrel or goqu builder's table-naming call (From, Join, Insert...).
func (c libCall) builder() {
	fn := c.fn
	access, ok := builderAccess[fn.Name()]
	if !ok || len(c.call.Args) == 0 {
		return
	}
	if fn.Name() == "From" && recvName(fn) == "DeleteBuilder" {
		access = facts.Write
	}
	if fn.Name() == "From" && fn.Pkg().Path() == goquPkg && recvName(fn) == "" {
		access = facts.Read // goqu.From(table): a dataset, read unless written later
	}
	arg := c.call.Args[0]
	if fn.Pkg().Path() == goquPkg {
		arg = goquTableName(arg, c.info)
	}
	n := 0
	for _, b := range c.bind(arg) {
		if t := builderTable(b.value); t != "" {
			c.ts.add(facts.TableUse{Package: b.pkg, Table: t, Store: storeSQL, Access: access}, b.site)
			n++
		}
	}
	c.fl.cov.check(fn.Pkg().Path(), callName(fn), c.fl.m.Site(arg.Pos()), n > 0, whyTable)
}

// goquTableName unwraps goqu.T(name), the identifier goqu takes for a table (Join(goqu.T("owners"),
// ...)), to its name; any other expression is returned as it is.
func goquTableName(e ast.Expr, info *types.Info) ast.Expr {
	call, ok := ast.Unparen(e).(*ast.CallExpr)
	if !ok || len(call.Args) != 1 {
		return e
	}
	if fn := load.CalleeFunc(info, call); fn != nil && fn.Pkg() != nil && fn.Pkg().Path() == goquPkg && fn.Name() == "T" && recvName(fn) == "" {
		return call.Args[0]
	}
	return e
}

// redis reads a go-redis command's keys: a constant prefix names the "table".
func (c libCall) redis() {
	fn := c.fn
	var access facts.Access
	switch {
	case redisWrites[fn.Name()]:
		access = facts.Write
	case redisReads[fn.Name()]:
		access = facts.Read
	default:
		return
	}
	i, variadic := keyParam(fn)
	if i < 0 || i >= len(c.call.Args) {
		return
	}
	keys := c.call.Args[i : i+1]
	if variadic && !c.call.Ellipsis.IsValid() {
		keys = c.call.Args[i:] // Del(ctx, k1, k2), Exists(ctx, keys...)
	}
	for _, k := range keys {
		ps := c.fl.keyPrefixesOf(k, c.info)
		for _, p := range ps {
			c.ts.add(facts.TableUse{Package: c.pkg, Table: redisTable(p), Store: storeRedis, Access: access, KeyPrefixes: []string{p}}, c.fl.m.Site(k.Pos()))
		}
		c.fl.cov.check(fn.Pkg().Path(), callName(fn), c.fl.m.Site(k.Pos()), len(ps) > 0, "the key has no constant prefix")
	}
}

// redisTable names the redis "table" of a key prefix: "redis:session" for "session:".
func redisTable(prefix string) string {
	return redisTablePf + strings.TrimRight(prefix, ":_-/.#")
}

// builderTable is the table a builder argument names: its first word ("users u" → users, "emails
// USING (id)" → emails), or "" when it is not a name.
func builderTable(s string) string {
	f := strings.Fields(s)
	if len(f) == 0 || !isSQLName(f[0]) {
		return ""
	}
	return sqlName(strings.TrimSuffix(f[0], ","))
}

func recvName(fn *types.Func) string {
	sig, ok := fn.Type().(*types.Signature)
	if !ok || sig.Recv() == nil {
		return ""
	}
	if n := load.NamedOf(sig.Recv().Type()); n != nil {
		return n.Obj().Name()
	}
	return ""
}

// keyParam is the index of a redis command's key parameter: its first string parameter, or its
// variadic ...string parameter (variadic true); -1 when it has neither.
func keyParam(fn *types.Func) (int, bool) {
	if i := firstStringParam(fn); i >= 0 {
		return i, false
	}
	sig, ok := fn.Type().(*types.Signature)
	if !ok || !sig.Variadic() {
		return -1, false
	}
	last := sig.Params().At(sig.Params().Len() - 1)
	if sl, ok := last.Type().(*types.Slice); ok {
		if b, ok := sl.Elem().Underlying().(*types.Basic); ok && b.Info()&types.IsString != 0 {
			return sig.Params().Len() - 1, true
		}
	}
	return -1, false
}

// firstStringParam is the index of fn's first string parameter, or -1.
func firstStringParam(fn *types.Func) int {
	sig, ok := fn.Type().(*types.Signature)
	if !ok {
		return -1
	}
	for i := 0; i < sig.Params().Len(); i++ {
		if b, ok := sig.Params().At(i).Type().Underlying().(*types.Basic); ok && b.Info()&types.IsString != 0 {
			return i
		}
	}
	return -1
}

// keyPrefixesOf returns the constant prefixes a key expression starts with: the whole constant,
// the left operand of a concatenation, a fmt.Sprintf format up to its first verb. A prefix ends
// at its last ':' when it has one ("user:42:cart" → "user:").
func (fl *flow) keyPrefixesOf(e ast.Expr, info *types.Info) []string {
	e = ast.Unparen(e)
	var raw []string
	switch x := e.(type) {
	case *ast.BinaryExpr:
		if x.Op.String() == "+" {
			left := x.X
			for {
				if b, ok := ast.Unparen(left).(*ast.BinaryExpr); ok && b.Op.String() == "+" {
					left = b.X
					continue
				}
				break
			}
			raw = fl.resolve(left, info)
			for i, r := range raw {
				raw[i] = r + "\x00" // a prefix: keep it whole
			}
		}
	case *ast.CallExpr:
		if fn := load.CalleeFunc(info, x); fn != nil && fn.Pkg() != nil && fn.Pkg().Path() == "fmt" && fn.Name() == "Sprintf" && len(x.Args) > 0 {
			for _, f := range fl.resolve(x.Args[0], info) {
				if i := strings.IndexByte(f, '%'); i >= 0 {
					raw = append(raw, f[:i]+"\x00")
				} else {
					raw = append(raw, f)
				}
			}
		} else {
			raw = fl.resolve(e, info)
		}
	default:
		raw = fl.resolve(e, info)
	}
	var out []string
	for _, r := range raw {
		p, open := strings.CutSuffix(r, "\x00")
		if !open {
			if i := strings.LastIndexByte(p, ':'); i > 0 {
				p = p[:i+1]
			}
		}
		if p != "" && !contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// gormSite records a gorm call that reads or writes: its table from the chain's Table(name) or
// Model(x), else from the destination argument's type.
func (fl *flow) gormSite(ts tableSet, call *ast.CallExpr, fn *types.Func, info *types.Info, pkg string) {
	access, ok := gormAccess[fn.Name()]
	if !ok {
		return
	}
	site := fl.m.Site(call.Lparen)
	added := 0
	add := func(table string) {
		if table != "" {
			ts.add(facts.TableUse{Package: pkg, Table: table, Store: storeSQL, Access: access}, site)
			added++
		}
	}
	defer func() {
		fl.cov.check(gormPkg, callName(fn), site, added > 0, "neither Table(name), Model(&T{}) nor the destination names a model")
	}()
	// Walk down the receiver chain: db.Table("x").Where(..).Find(&v), db.Model(&T{}).Update(..).
	for x := call.Fun; ; {
		sel, ok := ast.Unparen(x).(*ast.SelectorExpr)
		if !ok {
			break
		}
		inner, ok := ast.Unparen(sel.X).(*ast.CallExpr)
		if !ok {
			break
		}
		ifn := load.CalleeFunc(info, inner)
		if ifn == nil || ifn.Pkg() == nil || ifn.Pkg().Path() != gormPkg {
			break
		}
		switch {
		case ifn.Name() == "Table" && len(inner.Args) > 0:
			for _, v := range fl.resolve(inner.Args[0], info) {
				add(builderTable(v))
			}
			return
		case ifn.Name() == "Model" && len(inner.Args) > 0:
			add(fl.gormTable(info.TypeOf(inner.Args[0])))
			return
		case hasKey(gormAccess, ifn.Name()) && len(inner.Args) > 0:
			// db.Find(new(T)).Count(&n): the earlier call's destination set the model.
			if t := fl.gormTable(info.TypeOf(inner.Args[0])); t != "" {
				add(t)
				return
			}
		}
		x = inner.Fun
	}
	if len(call.Args) > 0 {
		add(fl.gormTable(info.TypeOf(call.Args[0])))
	}
}

// gormTable is the table of a gorm model type (T, *T, []T, *[]T, []*T): T's TableName() when
// it returns a constant, else the snake_case plural of T's name; "" for a type that is not a
// named struct.
func (fl *flow) gormTable(t types.Type) string {
	for t != nil {
		switch u := t.(type) {
		case *types.Pointer:
			t = u.Elem()
			continue
		case *types.Slice:
			t = u.Elem()
			continue
		case *types.Alias:
			t = types.Unalias(u)
			continue
		}
		break
	}
	named, ok := t.(*types.Named)
	if !ok {
		return ""
	}
	if _, ok := named.Underlying().(*types.Struct); !ok {
		return ""
	}
	ms := types.NewMethodSet(types.NewPointer(named))
	if sel := ms.Lookup(named.Obj().Pkg(), "TableName"); sel != nil {
		if m, ok := sel.Obj().(*types.Func); ok {
			if vals := fl.returns(m); len(vals) == 1 {
				return vals[0]
			}
		}
	}
	return gormName(named.Obj().Name())
}

// returns is the constant strings a module function returns.
func (fl *flow) returns(fn *types.Func) []string {
	d, ok := fl.decls[fn]
	if !ok || d.fd.Body == nil {
		return nil
	}
	var vals []string
	ast.Inspect(d.fd.Body, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.ReturnStmt:
			if len(x.Results) == 1 {
				for _, v := range fl.resolve(x.Results[0], d.info) {
					if !contains(vals, v) {
						vals = append(vals, v)
					}
				}
			}
		}
		return true
	})
	return vals
}

// gormName is gorm's default table name for a model: snake_case, plural (OrderItem →
// order_items, Category → categories, Address → addresses).
func gormName(name string) string {
	var b strings.Builder
	rs := []rune(name)
	for i, r := range rs {
		if unicode.IsUpper(r) {
			// A new word starts at an upper-case letter after a lower-case one, or before a
			// lower-case one inside an initialism (HTTPServer → http_server).
			if i > 0 && (unicode.IsLower(rs[i-1]) || unicode.IsDigit(rs[i-1]) || i+1 < len(rs) && unicode.IsLower(rs[i+1]) && unicode.IsUpper(rs[i-1])) {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToLower(r))
		} else {
			b.WriteRune(r)
		}
	}
	return plural(b.String())
}

// plural is the English plural of a lower-case word, by the common rules (irregular nouns
// aside from a few).
func plural(s string) string {
	irregular := map[string]string{"person": "people", "man": "men", "woman": "women", "child": "children", "mouse": "mice"}
	for sing, pl := range irregular {
		if s == sing || strings.HasSuffix(s, "_"+sing) {
			return strings.TrimSuffix(s, sing) + pl
		}
	}
	switch {
	case strings.HasSuffix(s, "y") && len(s) > 1 && !strings.ContainsRune("aeiou", rune(s[len(s)-2])):
		return s[:len(s)-1] + "ies"
	case strings.HasSuffix(s, "s"), strings.HasSuffix(s, "x"), strings.HasSuffix(s, "z"),
		strings.HasSuffix(s, "ch"), strings.HasSuffix(s, "sh"):
		return s + "es"
	}
	return s + "s"
}

// mongoCollections records MongoDB collections: Collection(name) calls, with the access of
// the collection methods called on them directly or through the variable or field holding them.
type mongoCollections struct {
	holders map[*types.Var][]string // variable or field → collection names assigned to it
}

func isMongo(fn *types.Func) bool {
	if fn == nil || fn.Pkg() == nil {
		return false
	}
	p := fn.Pkg().Path()
	return p == mongoPkg || p == mongoV2Pkg
}

// learnMongo records, for one node, the variables and fields a Collection(name) call is
// assigned to.
func (fl *flow) learnMongo(mc *mongoCollections, n ast.Node, info *types.Info) {
	hold := func(v *types.Var, e ast.Expr) {
		call, ok := ast.Unparen(e).(*ast.CallExpr)
		if v == nil || !ok {
			return
		}
		fn := load.CalleeFunc(info, call)
		if !isMongo(fn) || fn.Name() != "Collection" || len(call.Args) == 0 {
			return
		}
		for _, name := range fl.resolve(call.Args[0], info) {
			if !contains(mc.holders[v], name) {
				mc.holders[v] = append(mc.holders[v], name)
			}
		}
	}
	switch x := n.(type) {
	case *ast.AssignStmt:
		if len(x.Lhs) == len(x.Rhs) {
			for i, l := range x.Lhs {
				hold(varOf(info, l), x.Rhs[i])
			}
		}
	case *ast.ValueSpec:
		if len(x.Names) == len(x.Values) {
			for i, id := range x.Names {
				v, _ := info.Defs[id].(*types.Var)
				hold(v, x.Values[i])
			}
		}
	case *ast.CompositeLit:
		for _, elt := range x.Elts {
			if kv, ok := elt.(*ast.KeyValueExpr); ok {
				if key, ok := kv.Key.(*ast.Ident); ok {
					v, _ := info.Uses[key].(*types.Var)
					hold(v, kv.Value)
				}
			}
		}
	}
}

// mongoSite records a collection method call: on Collection(name) directly, or on a variable
// or field that holds collections.
func (fl *flow) mongoSite(mc *mongoCollections, ts tableSet, call *ast.CallExpr, info *types.Info, pkg string) {
	fn := load.CalleeFunc(info, call)
	if !isMongo(fn) {
		return
	}
	access, ok := mongoAccess[fn.Name()]
	if !ok {
		return
	}
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !ok {
		return
	}
	var names []string
	if inner, ok := ast.Unparen(sel.X).(*ast.CallExpr); ok {
		if ifn := load.CalleeFunc(info, inner); isMongo(ifn) && ifn.Name() == "Collection" && len(inner.Args) > 0 {
			names = fl.resolve(inner.Args[0], info)
		}
	} else if v := varOf(info, sel.X); v != nil {
		names = mc.holders[v]
	}
	for _, n := range names {
		ts.add(facts.TableUse{Package: pkg, Table: n, Store: storeMongo, Access: access}, fl.m.Site(call.Lparen))
	}
	fl.cov.check(fn.Pkg().Path(), callName(fn), fl.m.Site(call.Lparen), len(names) > 0, "the collection is not a constant Collection(name) reaching this call")
}

func pkgPath(fn *types.Func) string {
	if fn == nil || fn.Pkg() == nil {
		return ""
	}
	return fn.Pkg().Path()
}
