package signals

import (
	"context"
	"go/ast"
	"go/constant"
	"go/token"
	"go/types"
	"strings"

	"github.com/carve-dev/carve/analyze/facts"
	"github.com/carve-dev/carve/analyze/load"

	"golang.org/x/tools/go/packages"
)

// SignalRoutes names the routes signal. It produces Facts.Routes, not Deps.
const SignalRoutes = "routes"

// Routes is the signal "package A serves HTTP route R": every route registered with a constant
// pattern on net/http (http.Handle, http.HandleFunc, (*http.ServeMux).Handle and HandleFunc,
// with Go 1.22 method and host patterns), chi (Get, Post, ..., Method, MethodFunc, Handle,
// HandleFunc, under Route, Group, With and Mount prefixes) and gorilla/mux (HandleFunc and
// Handle with .Methods, Path and PathPrefix routes, PathPrefix(...).Subrouter()).
//
// A pattern that is a parameter of the function registering it (a server's own
// Route(pattern, h) helper, up to three wrappers deep) is taken from each call of that function,
// and the route is reported at that call.
//
// A route belongs to the package of its handler, not of the code that registers it: a method
// value h.Get belongs to the package declaring h's type, a function to its package,
// http.HandlerFunc(f) and middleware(f) to f's, a handler built by a constructor call to the
// constructor's package. The site is the registration.
type Routes struct{}

// Name returns SignalRoutes.
func (Routes) Name() string { return SignalRoutes }

// Doc describes the signal.
func (Routes) Doc() string {
	return "HTTP routes (net/http, chi, gorilla/mux), attributed to the package of their handler"
}

const (
	chiPkg     = "github.com/go-chi/chi"
	gorillaPkg = "github.com/gorilla/mux"
)

// routerKind returns "net/http", "chi" or "gorilla/mux" for the package of a router method.
func routerKind(fn *types.Func) string {
	if fn == nil || fn.Pkg() == nil {
		return ""
	}
	path := fn.Pkg().Path()
	switch {
	case path == "net/http":
		return "net/http"
	case path == chiPkg || strings.HasPrefix(path, chiPkg+"/"):
		return "chi"
	case path == gorillaPkg:
		return "gorilla/mux"
	}
	return ""
}

var chiMethods = map[string]string{
	"Get": "GET", "Post": "POST", "Put": "PUT", "Patch": "PATCH", "Delete": "DELETE",
	"Head": "HEAD", "Options": "OPTIONS", "Connect": "CONNECT", "Trace": "TRACE",
}

// routeWalk holds the prefixes routers get from where they are mounted.
type routeWalk struct {
	m        *load.Module
	prefixes map[types.Object]string      // router variable → path prefix
	funcs    map[*types.Func]string       // function → prefix of the router it returns (chi Mount)
	locals   map[types.Object]*types.Func // router variable → function declaring it
	methods  map[*ast.CallExpr][]string   // gorilla HandleFunc call → its .Methods(...)
	params   map[*types.Var]paramRef      // parameter → its function and position
	calls    map[*types.Func][]callAt     // module function → its static call sites
	f        *facts.Facts
}

// routeEnv binds the parameters of a function that registers routes on behalf of its callers
// (s.route(pattern, h) → mux.HandleFunc(pattern, h)) to the arguments of one call site.
type routeEnv struct {
	args   map[*types.Var]ast.Expr // parameter → argument at the call site
	caller callAt
	parent *routeEnv // binds the caller's own parameters, when it is a wrapper too
}

// arg returns the argument bound to e when e names a bound parameter.
func (env *routeEnv) arg(info *types.Info, e ast.Expr) (ast.Expr, bool) {
	if env == nil {
		return nil, false
	}
	v := varOf(info, e)
	if v == nil {
		return nil, false
	}
	a, ok := env.args[v]
	return a, ok
}

// outermost returns the last caller in the chain: the registration site users recognise.
func (env *routeEnv) outermost() *routeEnv {
	for env != nil && env.parent != nil {
		env = env.parent
	}
	return env
}

// withOuter returns a copy of the chain env with outer appended as the outermost caller.
func (env *routeEnv) withOuter(outer *routeEnv) *routeEnv {
	if env == nil {
		return outer
	}
	cp := *env
	cp.parent = env.parent.withOuter(outer)
	return &cp
}

// Collect adds the module's routes to f.Routes.
func (Routes) Collect(ctx context.Context, m *load.Module, f *facts.Facts) error {
	w := &routeWalk{
		m:        m,
		prefixes: map[types.Object]string{},
		funcs:    map[*types.Func]string{},
		locals:   map[types.Object]*types.Func{},
		methods:  map[*ast.CallExpr][]string{},
		params:   map[*types.Var]paramRef{},
		calls:    map[*types.Func][]callAt{},
		f:        f,
	}
	// Pass 1: prefixes and gorilla methods, so that registration order does not matter.
	m.Each(func(pkg string, p *packages.Package) {
		info := p.TypesInfo
		if info == nil {
			return
		}
		for _, file := range p.Syntax {
			for _, decl := range file.Decls {
				encl := enclosingFunc(info, decl)
				if sig, ok := typeOfFunc(encl); ok {
					for i := 0; i < sig.Params().Len(); i++ {
						w.params[sig.Params().At(i)] = paramRef{encl, i}
					}
				}
				ast.Inspect(decl, func(n ast.Node) bool {
					w.learn(n, info, encl)
					if call, ok := n.(*ast.CallExpr); ok {
						if callee := load.CalleeFunc(info, call); callee != nil {
							if _, own := m.Own(callee.Pkg()); own {
								w.calls[callee] = append(w.calls[callee], callAt{call, info, pkg, encl})
							}
						}
					}
					return true
				})
			}
		}
	})
	// Pass 2: registrations.
	m.Each(func(pkg string, p *packages.Package) {
		if p.TypesInfo == nil || ctx.Err() != nil {
			return
		}
		for _, file := range p.Syntax {
			for _, decl := range file.Decls {
				encl := enclosingFunc(p.TypesInfo, decl)
				ast.Inspect(decl, func(n ast.Node) bool {
					if call, ok := n.(*ast.CallExpr); ok {
						w.register(call, p.TypesInfo, pkg, encl, nil)
					}
					return true
				})
			}
		}
	})
	return ctx.Err()
}

func (w *routeWalk) learn(n ast.Node, info *types.Info, encl *types.Func) {
	switch x := n.(type) {
	case *ast.AssignStmt:
		// Router variables declared in a function: a chi router mounted through that
		// function's result gets the mount prefix. r := s.PathPrefix("/api").Subrouter() gets
		// its prefix from the chain.
		for i, l := range x.Lhs {
			id, ok := l.(*ast.Ident)
			if !ok {
				continue
			}
			obj := info.Defs[id]
			if obj == nil {
				obj = info.Uses[id]
			}
			if obj == nil {
				continue
			}
			if encl != nil {
				w.locals[obj] = encl
			}
			if len(x.Lhs) == len(x.Rhs) {
				if call, ok := ast.Unparen(x.Rhs[i]).(*ast.CallExpr); ok {
					if fn := load.CalleeFunc(info, call); fn != nil && fn.Name() == "Subrouter" && routerKind(fn) == "gorilla/mux" {
						w.prefixes[obj] = w.gorillaChain(call, info, nil)
					}
				}
			}
		}
	case *ast.CallExpr:
		fn := load.CalleeFunc(info, x)
		kind := routerKind(fn)
		switch {
		case kind == "chi" && (fn.Name() == "Route" || fn.Name() == "Group"):
			prefix := w.prefixOf(x, info)
			argFn := len(x.Args) - 1
			if fn.Name() == "Route" {
				if len(x.Args) < 2 {
					return
				}
				p, ok := constString(info, x.Args[0])
				if !ok {
					return
				}
				prefix = joinPath(prefix, p)
			}
			if argFn < 0 {
				return
			}
			lit, ok := ast.Unparen(x.Args[argFn]).(*ast.FuncLit)
			if !ok || len(lit.Type.Params.List) == 0 || len(lit.Type.Params.List[0].Names) == 0 {
				return
			}
			if obj := info.Defs[lit.Type.Params.List[0].Names[0]]; obj != nil {
				w.prefixes[obj] = prefix
			}
		case kind == "chi" && fn.Name() == "Mount" && len(x.Args) == 2:
			p, ok := constString(info, x.Args[0])
			if !ok {
				return
			}
			prefix := joinPath(w.prefixOf(x, info), p)
			switch h := ast.Unparen(x.Args[1]).(type) {
			case *ast.Ident:
				if obj := info.Uses[h]; obj != nil {
					w.prefixes[obj] = prefix
				}
			case *ast.CallExpr:
				if callee := load.CalleeFunc(info, h); callee != nil {
					w.funcs[callee] = prefix
				}
			}
		case kind == "gorilla/mux" && fn.Name() == "Methods":
			sel, ok := ast.Unparen(x.Fun).(*ast.SelectorExpr)
			if !ok {
				return
			}
			if inner, ok := ast.Unparen(sel.X).(*ast.CallExpr); ok {
				for _, a := range x.Args {
					if s, ok := constString(info, a); ok {
						w.methods[inner] = append(w.methods[inner], strings.ToUpper(s))
					}
				}
			}
		}
	}
}

// prefixOf returns the path prefix of the router a method is called on: r.Get(...) with r a
// chi.Route parameter, or r.With(mw).Get(...).
func (w *routeWalk) prefixOf(call *ast.CallExpr, info *types.Info) string {
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !ok {
		return ""
	}
	switch recv := ast.Unparen(sel.X).(type) {
	case *ast.Ident:
		obj := info.Uses[recv]
		if p, ok := w.prefixes[obj]; ok {
			return p
		}
		if fn, ok := w.locals[obj]; ok {
			return w.funcs[fn]
		}
	case *ast.SelectorExpr:
		if s, ok := info.Selections[recv]; ok {
			return w.prefixes[s.Obj()]
		}
	case *ast.CallExpr:
		if fn := load.CalleeFunc(info, recv); fn != nil && (fn.Name() == "With" || fn.Name() == "Use") {
			return w.prefixOf(recv, info)
		}
	}
	return ""
}

// gorillaChain follows a gorilla/mux chain such as r.PathPrefix("/a").Path("/b").Methods("GET")
// down to its router, and returns the path it builds; methods collects any Methods(...) seen.
func (w *routeWalk) gorillaChain(call *ast.CallExpr, info *types.Info, methods *[]string) string {
	var parts []string
	for {
		fn := load.CalleeFunc(info, call)
		sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
		if fn == nil || !ok {
			break
		}
		switch fn.Name() {
		case "Path", "PathPrefix":
			if len(call.Args) == 1 {
				if s, ok := constString(info, call.Args[0]); ok {
					parts = append([]string{s}, parts...)
				}
			}
		case "Methods":
			if methods != nil {
				for _, a := range call.Args {
					if s, ok := constString(info, a); ok {
						*methods = append(*methods, strings.ToUpper(s))
					}
				}
			}
		}
		inner, ok := ast.Unparen(sel.X).(*ast.CallExpr)
		if !ok {
			parts = append([]string{w.prefixOf(call, info)}, parts...)
			break
		}
		call = inner
	}
	var path string
	for _, p := range parts {
		path = joinPath(path, p)
	}
	return path
}

// register records the route registered by call, if it is one.
func (w *routeWalk) register(call *ast.CallExpr, info *types.Info, pkg string, encl *types.Func, env *routeEnv) {
	fn := load.CalleeFunc(info, call)
	kind := routerKind(fn)
	if kind == "" {
		return
	}
	str := func(e ast.Expr) (string, bool) { return w.str(info, e, env) }
	// fail: a pattern or method is not a constant here; if it is a parameter of a function
	// that registers routes for its callers, each caller gives the constant.
	fail := func() { w.viaCallers(call, info, encl, env) }
	name := fn.Name()
	var method, pattern, host string
	var handler ast.Expr
	methods := []string{""}
	switch kind {
	case "net/http":
		if (name != "Handle" && name != "HandleFunc") || len(call.Args) != 2 {
			return
		}
		p, ok := str(call.Args[0])
		if !ok {
			fail()
			return
		}
		method, host, pattern = splitServeMuxPattern(p)
		methods = []string{method}
		handler = call.Args[1]
	case "chi":
		prefix := w.prefixOf(call, info)
		switch {
		case chiMethods[name] != "" && len(call.Args) == 2:
			methods = []string{chiMethods[name]}
			p, ok := str(call.Args[0])
			if !ok {
				fail()
				return
			}
			pattern, handler = joinPath(prefix, p), call.Args[1]
		case (name == "Method" || name == "MethodFunc") && len(call.Args) == 3:
			m, ok1 := str(call.Args[0])
			p, ok2 := str(call.Args[1])
			if !ok1 || !ok2 {
				fail()
				return
			}
			methods = []string{strings.ToUpper(m)}
			pattern, handler = joinPath(prefix, p), call.Args[2]
		case (name == "Handle" || name == "HandleFunc") && len(call.Args) == 2:
			p, ok := str(call.Args[0])
			if !ok {
				fail()
				return
			}
			pattern, handler = joinPath(prefix, p), call.Args[1]
		default:
			return
		}
	case "gorilla/mux":
		if len(call.Args) == 0 {
			return
		}
		sig, _ := fn.Type().(*types.Signature)
		recvRoute := sig != nil && sig.Recv() != nil && load.NamedOf(sig.Recv().Type()) != nil && load.NamedOf(sig.Recv().Type()).Obj().Name() == "Route"
		switch {
		case (name == "HandleFunc" || name == "Handle") && !recvRoute && len(call.Args) == 2:
			p, ok := str(call.Args[0])
			if !ok {
				fail()
				return
			}
			pattern, handler = joinPath(w.prefixOf(call, info), p), call.Args[1]
		case (name == "HandlerFunc" || name == "Handler") && recvRoute && len(call.Args) == 1:
			sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
			if !ok {
				fail()
				return
			}
			inner, ok := ast.Unparen(sel.X).(*ast.CallExpr)
			if !ok {
				fail()
				return
			}
			var ms []string
			pattern = w.gorillaChain(inner, info, &ms)
			if len(ms) > 0 {
				methods = ms
			}
			handler = call.Args[0]
		default:
			return
		}
		if ms := w.methods[call]; len(ms) > 0 {
			methods = ms
		}
	}
	if pattern == "" && host == "" {
		return
	}
	site := w.m.Site(call.Pos())
	if outer := env.outermost(); outer != nil {
		pkg, site = outer.caller.pkg, w.m.Site(outer.caller.call.Pos())
	}
	target, hname := w.handlerOf(handler, info, pkg, env)
	for _, m := range methods {
		w.f.Routes = append(w.f.Routes, facts.RouteDecl{
			Package: target, Method: m, Pattern: pattern, Host: host, Handler: hname,
			Router: kind, Site: site,
		})
	}
}

// maxWrapperDepth bounds how many functions a registration is followed through.
const maxWrapperDepth = 3

// viaCallers registers call once per call site of the function whose parameters it needs: the
// function around the registration first, then, when a caller passes its own parameter on, the
// caller's function.
func (w *routeWalk) viaCallers(call *ast.CallExpr, info *types.Info, encl *types.Func, env *routeEnv) {
	fn, depth := encl, 0
	for e := env; e != nil; e = e.parent {
		fn, depth = e.caller.encl, depth+1
	}
	if fn == nil || depth >= maxWrapperDepth {
		return
	}
	if env == nil && !mentionsParam(call, info, w.params, fn) {
		return
	}
	sig, ok := typeOfFunc(fn)
	if !ok {
		return
	}
	for _, c := range w.calls[fn] {
		if c.call.Ellipsis.IsValid() {
			continue
		}
		args := map[*types.Var]ast.Expr{}
		for i := 0; i < sig.Params().Len() && i < len(c.call.Args); i++ {
			args[sig.Params().At(i)] = c.call.Args[i]
		}
		w.register(call, info, c.pkg, encl, env.withOuter(&routeEnv{args: args, caller: c}))
	}
}

// mentionsParam reports whether n names a parameter of fn.
func mentionsParam(n ast.Node, info *types.Info, params map[*types.Var]paramRef, fn *types.Func) bool {
	found := false
	ast.Inspect(n, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok {
			if v, ok := info.Uses[id].(*types.Var); ok && params[v].fn == fn {
				found = true
			}
		}
		return !found
	})
	return found
}

// str returns the constant string e stands for, following bound parameters to the callers'
// arguments.
func (w *routeWalk) str(info *types.Info, e ast.Expr, env *routeEnv) (string, bool) {
	if s, ok := constString(info, e); ok {
		return s, true
	}
	if a, ok := env.arg(info, e); ok {
		return w.str(env.caller.info, a, env.parent)
	}
	if b, ok := ast.Unparen(e).(*ast.BinaryExpr); ok && b.Op == token.ADD {
		x, okx := w.str(info, b.X, env)
		y, oky := w.str(info, b.Y, env)
		return x + y, okx && oky
	}
	return "", false
}

func typeOfFunc(fn *types.Func) (*types.Signature, bool) {
	if fn == nil {
		return nil, false
	}
	sig, ok := fn.Type().(*types.Signature)
	return sig, ok
}

// splitServeMuxPattern splits a ServeMux pattern "[METHOD ][HOST]/[PATH]".
func splitServeMuxPattern(p string) (method, host, path string) {
	p = strings.TrimSpace(p)
	if i := strings.IndexAny(p, " \t"); i >= 0 && !strings.Contains(p[:i], "/") {
		method = p[:i]
		p = strings.TrimLeft(p[i:], " \t")
	}
	if i := strings.IndexByte(p, '/'); i > 0 {
		host, p = p[:i], p[i:]
	} else if i < 0 {
		host, p = p, ""
	}
	return method, host, p
}

func joinPath(prefix, p string) string {
	if prefix == "" {
		return p
	}
	if p == "" || p == "/" {
		if strings.HasSuffix(prefix, "/") || p == "" {
			return prefix
		}
		return prefix + "/"
	}
	return strings.TrimSuffix(prefix, "/") + "/" + strings.TrimPrefix(p, "/")
}

func constString(info *types.Info, e ast.Expr) (string, bool) {
	tv, ok := info.Types[e]
	if !ok || tv.Value == nil || tv.Value.Kind() != constant.String {
		return "", false
	}
	return constant.StringVal(tv.Value), true
}

// handlerOf returns the package a handler expression belongs to and a name for it. It falls
// back to the registering package when it cannot tell.
func (w *routeWalk) handlerOf(e ast.Expr, info *types.Info, registering string, env *routeEnv) (string, string) {
	if pkg, name, ok := w.handlerTarget(e, info, env, 0); ok {
		return pkg, name
	}
	if a, ok := env.arg(info, e); ok {
		return registering, types.ExprString(a)
	}
	return registering, types.ExprString(e)
}

func (w *routeWalk) handlerTarget(e ast.Expr, info *types.Info, env *routeEnv, depth int) (string, string, bool) {
	if depth > 5 || e == nil {
		return "", "", false
	}
	if a, ok := env.arg(info, e); ok { // a parameter of a registering wrapper
		return w.handlerTarget(a, env.caller.info, env.parent, depth+1)
	}
	switch x := ast.Unparen(e).(type) {
	case *ast.SelectorExpr, *ast.Ident:
		var obj types.Object
		if sel, ok := x.(*ast.SelectorExpr); ok {
			if s, ok := info.Selections[sel]; ok {
				obj = s.Obj()
			} else {
				obj = info.Uses[sel.Sel]
			}
		} else {
			obj = info.Uses[x.(*ast.Ident)]
		}
		switch o := obj.(type) {
		case *types.Func:
			if pkg, own := w.m.Own(o.Pkg()); own {
				return pkg, o.Origin().FullName(), true
			}
		case *types.Var:
			// A handler value of a named type of the module: its type's package.
			if named := load.NamedOf(o.Type()); named != nil {
				if pkg, own := w.m.Own(named.Obj().Pkg()); own {
					return pkg, types.TypeString(o.Type(), nil), true
				}
			}
		}
	case *ast.CallExpr:
		if tv, ok := info.Types[x.Fun]; ok && tv.IsType() && len(x.Args) == 1 {
			return w.handlerTarget(x.Args[0], info, env, depth+1) // http.HandlerFunc(f)
		}
		// Middleware: mw(h) belongs to h's package.
		for _, a := range x.Args {
			if handlerLike(info.TypeOf(a)) {
				if pkg, name, ok := w.handlerTarget(a, info, env, depth+1); ok {
					return pkg, name, true
				}
			}
		}
		if fn := load.CalleeFunc(info, x); fn != nil {
			if pkg, own := w.m.Own(fn.Pkg()); own {
				return pkg, fn.FullName(), true
			}
		}
	case *ast.UnaryExpr:
		return w.handlerTarget(x.X, info, env, depth+1)
	case *ast.CompositeLit:
		if named := load.NamedOf(info.TypeOf(x)); named != nil {
			if pkg, own := w.m.Own(named.Obj().Pkg()); own {
				return pkg, types.TypeString(info.TypeOf(x), nil), true
			}
		}
	case *ast.FuncLit:
		// func(w, r) { orders.List(w, r) }: the function it delegates to.
		if x.Body != nil && len(x.Body.List) == 1 {
			if es, ok := x.Body.List[0].(*ast.ExprStmt); ok {
				if call, ok := es.X.(*ast.CallExpr); ok {
					if fn := load.CalleeFunc(info, call); fn != nil {
						if pkg, own := w.m.Own(fn.Pkg()); own {
							return pkg, fn.FullName(), true
						}
					}
				}
			}
		}
	}
	return "", "", false
}

// handlerLike reports whether t can be an HTTP handler: a function type or a type with a
// ServeHTTP method.
func handlerLike(t types.Type) bool {
	if t == nil {
		return false
	}
	if _, ok := t.Underlying().(*types.Signature); ok {
		return true
	}
	obj, _, _ := types.LookupFieldOrMethod(t, true, nil, "ServeHTTP")
	_, ok := obj.(*types.Func)
	return ok
}
