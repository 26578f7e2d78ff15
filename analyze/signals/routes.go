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

// SignalRoutes names the routes signal. It produces Facts.Routes, not Deps.
const SignalRoutes = "routes"

// Routes is the signal "package A serves route R": every route registered with a constant
// pattern on net/http (http.Handle, http.HandleFunc, (*http.ServeMux).Handle and HandleFunc,
// with Go 1.22 method and host patterns), chi, gorilla/mux, gin, echo, Fiber and httprouter
// (see routers), and every gRPC service registered with a generated RegisterXServer (served
// under /package.Service/). Handlers built with go-kit's HTTP transport and servers generated
// by oapi-codegen are read through the router they are registered on.
//
// A route's path is the full path: the prefixes of the groups, sub-routers and mounts above it
// are followed through variables, struct fields, parameters and function results (see
// routes_flow.go). A prefix that cannot be followed is kept as PrefixUnresolved, and the
// coverage lists it, instead of being dropped.
//
// A pattern that is a parameter of the function registering it (a server's own
// Route(pattern, h) helper, up to three wrappers deep) is taken from each call of that function,
// and the route is reported at that call.
//
// A route belongs to the package of its handler, not of the code that registers it: a method
// value h.Get belongs to the package declaring h's type, a function to its package,
// http.HandlerFunc(f) and middleware(f) to f's, a handler built by a constructor call to the
// constructor's package, a method of generated code (an oapi-codegen wrapper) to the package of
// the implementation passed to it. The site is the registration.
type Routes struct{}

// Name returns SignalRoutes.
func (Routes) Name() string { return SignalRoutes }

// Doc describes the signal.
func (Routes) Doc() string {
	return "HTTP routes (net/http, chi, gorilla/mux, gin, echo, Fiber, httprouter) and gRPC services, attributed to the package of their handler"
}

// routeWalk holds what the registrations are resolved with.
type routeWalk struct {
	m         *load.Module
	methods   map[*ast.CallExpr][]string // gorilla HandleFunc call → its .Methods(...)
	params    map[*types.Var]paramRef    // parameter → its function and position
	calls     map[*types.Func][]callAt   // module function → its static call sites
	decls     map[*types.Func]declAt     // module function → its declaration
	assigns   map[*types.Var][]exprAt    // variable or field → the expressions assigned to it
	defaults  map[ast.Expr]bool          // values assigned only when the variable is nil
	scopes    map[*types.Var]scopeAt     // router parameter of a Route/Group function literal
	mounts    []mountSite
	serves    []exprAt // handlers given to a server of their own: http.ListenAndServe(addr, h)
	mountMemo map[*ast.CallExpr][]prefix
	visiting  map[*types.Var]bool
	f         *facts.Facts
}

// scopeAt is the call whose function literal receives a router parameter, and the index of the
// call's prefix argument (-1 for none).
type scopeAt struct {
	call *ast.CallExpr
	info *types.Info
	arg  int
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

// Collect adds the module's routes to f.Routes, and what it recognised and could not read to
// f.Coverage.
func (Routes) Collect(ctx context.Context, m *load.Module, f *facts.Facts) error {
	w := &routeWalk{
		m:         m,
		methods:   map[*ast.CallExpr][]string{},
		params:    map[*types.Var]paramRef{},
		calls:     map[*types.Func][]callAt{},
		decls:     map[*types.Func]declAt{},
		assigns:   map[*types.Var][]exprAt{},
		defaults:  map[ast.Expr]bool{},
		scopes:    map[*types.Var]scopeAt{},
		mountMemo: map[*ast.CallExpr][]prefix{},
		visiting:  map[*types.Var]bool{},
		f:         f,
	}
	// Pass 1: where values come from, and the mounts, so that registration order does not
	// matter.
	m.Each(func(pkg string, p *packages.Package) {
		info := p.TypesInfo
		if info == nil {
			return
		}
		for _, file := range p.Syntax {
			for _, decl := range file.Decls {
				encl := enclosingFunc(info, decl)
				if sig, ok := typeOfFunc(encl); ok {
					w.decls[encl] = declAt{decl.(*ast.FuncDecl), info}
					for i := 0; i < sig.Params().Len(); i++ {
						w.params[sig.Params().At(i)] = paramRef{encl, i}
					}
				}
				ast.Inspect(decl, func(n ast.Node) bool {
					w.learn(n, info)
					if call, ok := n.(*ast.CallExpr); ok {
						if callee := load.CalleeFunc(info, call); callee != nil {
							if _, own := m.Own(callee.Pkg()); own {
								callee = callee.Origin()
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

// learn records what node n tells about where values come from: assignments, struct literal
// fields, the router parameters of Route and Group function literals, mounts, and gorilla's
// Methods.
func (w *routeWalk) learn(n ast.Node, info *types.Info) {
	eachAssign(n, info, func(v *types.Var, e ast.Expr) {
		w.assigns[v] = append(w.assigns[v], exprAt{e, info})
		if v.IsField() && v.Name() == "Handler" && v.Pkg() != nil && v.Pkg().Path() == "net/http" {
			w.serves = append(w.serves, exprAt{e, info}) // http.Server{Handler: r}
		}
	})
	switch x := n.(type) {
	case *ast.IfStmt:
		// if r == nil { r = chi.NewRouter() }: a default, used only when nothing else is known.
		b, ok := x.Cond.(*ast.BinaryExpr)
		if !ok || b.Op != token.EQL {
			return
		}
		if id, ok := ast.Unparen(b.Y).(*ast.Ident); !ok || id.Name != "nil" {
			return
		}
		v := varOf(info, b.X)
		for _, st := range x.Body.List {
			if as, ok := st.(*ast.AssignStmt); ok && len(as.Lhs) == len(as.Rhs) {
				for i, l := range as.Lhs {
					if v != nil && varOf(info, l) == v {
						w.defaults[as.Rhs[i]] = true
					}
				}
			}
		}
	case *ast.CallExpr:
		w.learnCall(x, info)
	}
}

// routerParam returns the router parameter of the function a Route or Group call is given: a
// function literal, or a function or method of the module (r.Route("/users", users.Routes)).
func (w *routeWalk) routerParam(a ast.Expr, info *types.Info) *types.Var {
	switch x := ast.Unparen(a).(type) {
	case *ast.FuncLit:
		if len(x.Type.Params.List) > 0 && len(x.Type.Params.List[0].Names) > 0 {
			v, _ := info.Defs[x.Type.Params.List[0].Names[0]].(*types.Var)
			return v
		}
	case *ast.Ident, *ast.SelectorExpr:
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
		if fn, ok := obj.(*types.Func); ok {
			if sig, ok := fn.Origin().Type().(*types.Signature); ok && sig.Params().Len() > 0 {
				if _, own := w.m.Own(fn.Pkg()); own {
					return sig.Params().At(0)
				}
			}
		}
	}
	return nil
}

// learnCall records the router scopes and mounts a call makes.
func (w *routeWalk) learnCall(x *ast.CallExpr, info *types.Info) {
	fn := load.CalleeFunc(info, x)
	r := routerOf(fn)
	if r == nil {
		return
	}
	name := fn.Name()
	if i, ok := serveHandlerArg[name]; ok && r.name == "net/http" && i < len(x.Args) {
		w.serves = append(w.serves, exprAt{x.Args[i], info})
	}
	if idx, ok := r.scope[name]; ok && isMethod(fn) {
		for _, a := range x.Args {
			if v := w.routerParam(a, info); v != nil {
				w.scopes[v] = scopeAt{x, info, idx}
			}
		}
	}
	if idx, ok := r.mount[name]; ok && isMethod(fn) && len(x.Args) > idx+1 {
		w.mounts = append(w.mounts, mountSite{call: x, info: info, recv: methodReceiver(info, x), path: x.Args[idx], handler: x.Args[idx+1]})
	}
	// mux.Handle("/api/", http.StripPrefix("/api", sub)), r.PathPrefix("/api").Handler(
	// http.StripPrefix("/api", sub)): sub is served under /api.
	for _, a := range x.Args {
		strip, ok := ast.Unparen(a).(*ast.CallExpr)
		if !ok {
			continue
		}
		if sf := load.CalleeFunc(info, strip); routerKind(sf) == "net/http" && sf.Name() == "StripPrefix" && len(strip.Args) == 2 {
			recv := methodReceiver(info, x)
			if r.name == "gorilla/mux" && receiverName(fn) == "Route" {
				if inner, ok := ast.Unparen(recv).(*ast.CallExpr); ok {
					_, recv = w.gorillaChain(inner, info, nil, nil)
				}
			}
			w.mounts = append(w.mounts, mountSite{call: x, info: info, recv: recv, path: strip.Args[0], handler: strip.Args[1]})
		}
	}
	switch {
	case r.name == "gorilla/mux" && name == "Methods":
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

// gorillaChain follows a gorilla/mux chain such as r.PathPrefix("/a").Path("/b").Methods("GET")
// down to its router, and returns the path it adds and the router expression; methods collects
// any Methods(...) seen.
func (w *routeWalk) gorillaChain(call *ast.CallExpr, info *types.Info, env *routeEnv, methods *[]string) (string, ast.Expr) {
	var parts []string
	var recv ast.Expr
	for {
		fn := load.CalleeFunc(info, call)
		sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
		if fn == nil || !ok {
			break
		}
		switch fn.Name() {
		case "Path", "PathPrefix":
			if len(call.Args) == 1 {
				if s, ok := w.str(info, call.Args[0], env); ok {
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
		if !ok || routerKind(load.CalleeFunc(info, inner)) != "gorilla/mux" || load.CalleeFunc(info, inner).Name() == "NewRouter" {
			recv = sel.X
			break
		}
		call = inner
	}
	var path string
	for _, p := range parts {
		path = joinPath(path, p)
	}
	return path, recv
}

// registration is one route call as read, before its prefixes are applied.
type registration struct {
	kind    string
	methods []string
	pattern string
	host    string
	handler ast.Expr
	recv    ast.Expr // the router the route is registered on; nil: none (http.HandleFunc)
}

// register records the routes registered by call, if it registers any.
func (w *routeWalk) register(call *ast.CallExpr, info *types.Info, pkg string, encl *types.Func, env *routeEnv) {
	fn := load.CalleeFunc(info, call)
	if fn == nil || fn.Pkg() == nil {
		return
	}
	if fn.Pkg().Path() == grpcPkg && fn.Name() == "RegisterService" && isMethod(fn) {
		w.registerGRPC(call, info, pkg, encl, env)
		return
	}
	r, viaIface := routerOf(fn), false
	if r == nil {
		if r = w.ifaceRouter(call, info, fn, env); r == nil {
			w.unknownRouting(call, info, fn, pkg)
			return
		}
		viaIface = true
	}
	reg, ok, resolved := w.read(r, fn, call, info, env, viaIface)
	if !ok {
		return
	}
	if !resolved {
		// A pattern or method is not a constant here; if it is a parameter of a function that
		// registers routes for its callers, each caller gives the constant.
		before := len(w.f.Routes)
		w.viaCallers(call, info, encl, env)
		if env == nil && len(w.f.Routes) == before && !w.inGenerated(call.Pos()) {
			w.unresolved(call, "the path or method is not a constant carve can follow")
		}
		return
	}
	if reg.pattern == "" && reg.host == "" && r.name == "net/http" {
		return
	}
	site := w.m.Site(call.Pos())
	at, outerFn := call.Pos(), encl
	if outer := env.outermost(); outer != nil {
		pkg, site = outer.caller.pkg, w.m.Site(outer.caller.call.Pos())
		at, outerFn = outer.caller.call.Pos(), outer.caller.encl
	}
	if w.inGenerated(at) && outerFn != nil && len(w.calls[outerFn]) > 0 {
		// Generated code (oapi-codegen's HandlerFromMux) registering for the program: the
		// route is the program's call, with the program's implementation.
		if w.viaCallersLift(call, info, encl, env, true) {
			return
		}
	}
	target, hname := w.handlerOf(reg.handler, info, pkg, env)
	for _, pf := range w.prefixes(reg.recv, info, env) {
		pattern := joinPath(pf.path, reg.pattern)
		if pattern == "" && reg.host == "" {
			pattern = "/"
		}
		if pf.unresolved != "" {
			w.f.Coverage.Unresolved = append(w.f.Coverage.Unresolved, facts.Unresolved{
				Kind: facts.KindRouter, Site: site, Call: shortCall(call),
				Why: "the prefix " + pf.unresolved + " is not a constant carve can follow: " + pattern + " lacks it",
			})
		}
		for _, m := range reg.methods {
			w.f.Routes = append(w.f.Routes, facts.RouteDecl{
				Package: target, Method: m, Pattern: pattern, Host: reg.host, Handler: hname,
				Router: reg.kind, Site: site, PrefixUnresolved: pf.unresolved,
			})
			w.f.Coverage.Add(reg.kind, facts.KindRouter, 1)
		}
	}
}

// read reads a route call of router r: ok is false when the call registers no route, resolved
// false when it does but its path or method is not a constant here.
func (w *routeWalk) read(r *router, fn *types.Func, call *ast.CallExpr, info *types.Info, env *routeEnv, viaIface bool) (reg registration, ok, resolved bool) {
	str := func(e ast.Expr) (string, bool) { return w.str(info, e, env) }
	name := fn.Name()
	reg = registration{kind: r.name, methods: []string{""}}
	switch r.name {
	case "net/http":
		if (name != "Handle" && name != "HandleFunc") || len(call.Args) != 2 {
			return reg, false, false
		}
		p, ok := str(call.Args[0])
		if !ok {
			return reg, true, false
		}
		var method string
		method, reg.host, reg.pattern = splitServeMuxPattern(p)
		reg.methods = []string{method}
		reg.handler, reg.recv = call.Args[1], methodReceiver(info, call)
		return reg, true, true
	case "gorilla/mux":
		return w.readGorilla(fn, call, info, env)
	}
	if r.route == nil || !isMethod(fn) || !viaIface && r.receivers != nil && !r.receivers[receiverName(fn)] {
		return reg, false, false
	}
	shape, ok := r.route(name)
	if !ok {
		return reg, false, false
	}
	h := shape.handler
	if h == lastArg {
		h = len(call.Args) - 1
	}
	if h < 0 || h >= len(call.Args) || shape.pathArg >= len(call.Args) || shape.methodArg >= len(call.Args) || h <= shape.pathArg {
		return reg, false, false
	}
	if call.Ellipsis.IsValid() && h == len(call.Args)-1 {
		return reg, false, false // handlers...: no one handler to attribute the route to
	}
	if !handlerLike(info.TypeOf(call.Args[h])) {
		return reg, false, false
	}
	reg.handler, reg.recv = call.Args[h], methodReceiver(info, call)
	if shape.methodArg >= 0 {
		m, ok := str(call.Args[shape.methodArg])
		if !ok {
			return reg, true, false
		}
		reg.methods = []string{strings.ToUpper(m)}
	} else {
		reg.methods = []string{shape.method}
	}
	p, ok := str(call.Args[shape.pathArg])
	if !ok {
		return reg, true, false
	}
	reg.pattern = p
	return reg, true, true
}

// ifaceRouter returns the router library behind a method of one of the module's own interfaces
// (oapi-codegen's EchoRouter, which *echo.Echo and *echo.Group satisfy) when every router value
// the receiver can be followed back to was created by that library.
func (w *routeWalk) ifaceRouter(call *ast.CallExpr, info *types.Info, fn *types.Func, env *routeEnv) *router {
	if !routingNames[fn.Name()] || !isMethod(fn) {
		return nil
	}
	sig := fn.Type().(*types.Signature)
	if _, own := w.m.Own(fn.Pkg()); !own || !types.IsInterface(sig.Recv().Type()) {
		return nil
	}
	var found *router
	for _, s := range w.sources(methodReceiver(info, call), info, env, 0) {
		if s.rootFn == nil {
			continue // a caller carve cannot follow; the others tell the library
		}
		r := routerOf(s.rootFn)
		if r == nil || found != nil && found != r {
			return nil
		}
		found = r
	}
	return found
}

// readGorilla reads gorilla/mux's HandleFunc and Handle with .Methods, and Path and PathPrefix
// routes ending in HandlerFunc or Handler.
func (w *routeWalk) readGorilla(fn *types.Func, call *ast.CallExpr, info *types.Info, env *routeEnv) (reg registration, ok, resolved bool) {
	reg = registration{kind: "gorilla/mux", methods: []string{""}}
	if len(call.Args) == 0 {
		return reg, false, false
	}
	name := fn.Name()
	recvRoute := receiverName(fn) == "Route"
	switch {
	case (name == "HandleFunc" || name == "Handle") && !recvRoute && len(call.Args) == 2:
		p, ok := w.str(info, call.Args[0], env)
		if !ok {
			return reg, true, false
		}
		reg.pattern, reg.handler, reg.recv = p, call.Args[1], methodReceiver(info, call)
	case (name == "HandlerFunc" || name == "Handler") && recvRoute && len(call.Args) == 1:
		sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
		if !ok {
			return reg, true, false
		}
		inner, ok := ast.Unparen(sel.X).(*ast.CallExpr)
		if !ok {
			return reg, true, false
		}
		var ms []string
		reg.pattern, reg.recv = w.gorillaChain(inner, info, env, &ms)
		if len(ms) > 0 {
			reg.methods = ms
		}
		reg.handler = call.Args[0]
	default:
		return reg, false, false
	}
	if ms := w.methods[call]; len(ms) > 0 {
		reg.methods = ms
	}
	return reg, true, true
}

// unresolved records a routing call carve could not read.
func (w *routeWalk) unresolved(call *ast.CallExpr, why string) {
	w.f.Coverage.Unresolved = append(w.f.Coverage.Unresolved, facts.Unresolved{
		Kind: facts.KindRouter, Site: w.m.Site(call.Pos()), Call: shortCall(call), Why: why,
	})
}

// shortCall returns the call as written, shortened to a line.
func shortCall(call *ast.CallExpr) string {
	s := types.ExprString(call)
	if len(s) > 100 {
		s = s[:97] + "..."
	}
	return s
}

// maxWrapperDepth bounds how many functions a registration is followed through.
const maxWrapperDepth = 3

// viaCallers registers call once per call site of the function whose parameters it needs: the
// function around the registration first, then, when a caller passes its own parameter on, the
// caller's function. A caller in generated code that nothing calls (oapi-codegen's Handler when
// the program uses HandlerFromMuxWithBaseURL) registers nothing.
func (w *routeWalk) viaCallers(call *ast.CallExpr, info *types.Info, encl *types.Func, env *routeEnv) {
	w.viaCallersLift(call, info, encl, env, false)
}

// viaCallersLift is viaCallers; lift goes to the callers even when the registration needs
// nothing from them (to leave generated code). It reports whether it went to any caller.
func (w *routeWalk) viaCallersLift(call *ast.CallExpr, info *types.Info, encl *types.Func, env *routeEnv, lift bool) bool {
	fn, depth := encl, 0
	for e := env; e != nil; e = e.parent {
		fn, depth = e.caller.encl, depth+1
	}
	if fn == nil || depth >= maxWrapperDepth {
		return false
	}
	if env == nil && !lift && !mentionsParam(call, info, w.params, fn) {
		return false
	}
	sig, ok := typeOfFunc(fn)
	if !ok {
		return false
	}
	went := false
	for _, c := range w.calls[fn] {
		if c.call.Ellipsis.IsValid() {
			continue
		}
		if c.encl != nil && w.inGenerated(c.call.Pos()) && len(w.calls[c.encl]) == 0 {
			continue
		}
		went = true
		args := map[*types.Var]ast.Expr{}
		for i := 0; i < sig.Params().Len() && i < len(c.call.Args); i++ {
			args[sig.Params().At(i)] = c.call.Args[i]
		}
		w.register(call, info, c.pkg, encl, env.withOuter(&routeEnv{args: args, caller: c}))
	}
	return went
}

// inGenerated reports whether pos is in a file of generated code.
func (w *routeWalk) inGenerated(pos token.Pos) bool {
	return w.m.GeneratedAt(pos)
}

// declaredInGenerated reports whether the function or method e names is declared in generated
// code.
func (w *routeWalk) declaredInGenerated(e ast.Expr, info *types.Info) bool {
	var obj types.Object
	switch x := ast.Unparen(e).(type) {
	case *ast.SelectorExpr:
		if s, ok := info.Selections[x]; ok {
			obj = s.Obj()
		} else {
			obj = info.Uses[x.Sel]
		}
	case *ast.Ident:
		obj = info.Uses[x]
	}
	return obj != nil && w.inGenerated(obj.Pos())
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
// arguments, fields of literals bound to parameters, and variables and fields every
// assignment of which gives the same constant.
func (w *routeWalk) str(info *types.Info, e ast.Expr, env *routeEnv) (string, bool) {
	return w.strDepth(info, e, env, 0)
}

func (w *routeWalk) strDepth(info *types.Info, e ast.Expr, env *routeEnv, depth int) (string, bool) {
	if e == nil || depth > maxFlowDepth {
		return "", false
	}
	if s, ok := constString(info, e); ok {
		return s, true
	}
	if a, ok := env.arg(info, e); ok {
		return w.strDepth(env.caller.info, a, env.parent, depth+1)
	}
	switch x := ast.Unparen(e).(type) {
	case *ast.BinaryExpr:
		if x.Op != token.ADD {
			return "", false
		}
		l, okx := w.strDepth(info, x.X, env, depth+1)
		r, oky := w.strDepth(info, x.Y, env, depth+1)
		return l + r, okx && oky
	case *ast.SelectorExpr:
		if lit, linfo, lenv, ok := w.boundLiteral(x.X, info, env); ok {
			v, found := literalField(lit, linfo, x.Sel.Name)
			if !found {
				return "", true // the zero value
			}
			return w.strDepth(linfo, v, lenv, depth+1)
		}
	}
	v := varOf(info, e)
	if v == nil || !stringish(v.Type()) || w.visiting[v] {
		return "", false
	}
	if _, isParam := w.params[v]; isParam {
		return "", false
	}
	as := w.assigns[v]
	if len(as) == 0 {
		return "", false
	}
	w.visiting[v] = true
	defer delete(w.visiting, v)
	var val string
	for i, a := range as {
		s, ok := w.strDepth(a.info, a.e, nil, depth+1)
		if !ok || i > 0 && s != val {
			return "", false
		}
		val = s
	}
	return val, true
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
		if w.declaredInGenerated(e, info) {
			if ipkg, iname, ok := w.implOf(e, env); ok {
				return ipkg, iname
			}
		}
		return pkg, name
	}
	if a, ok := env.arg(info, e); ok {
		return registering, types.ExprString(a)
	}
	return registering, types.ExprString(e)
}

// implOf returns the implementation behind a handler of generated code: for wrapper.FindPets
// in oapi-codegen's HandlerWithOptions(si, ...), the type of the si the program passed, and its
// FindPets method. It looks at the interface-typed parameters the registration is bound to,
// innermost first.
func (w *routeWalk) implOf(e ast.Expr, env *routeEnv) (string, string, bool) {
	method := ""
	if sel, ok := ast.Unparen(e).(*ast.SelectorExpr); ok {
		method = "." + sel.Sel.Name
	}
	for en := env; en != nil; en = en.parent {
		vars := make([]*types.Var, 0, len(en.args))
		for v := range en.args {
			if types.IsInterface(v.Type()) {
				vars = append(vars, v)
			}
		}
		sort.Slice(vars, func(i, j int) bool { return w.params[vars[i]].idx < w.params[vars[j]].idx })
		for _, v := range vars {
			if pkg, name, ok := w.handlerTarget(en.args[v], en.caller.info, en.parent, 0); ok {
				return pkg, name + method, true
			}
		}
	}
	return "", "", false
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
			// A value of an interface type (grpcServer := transport.NewGRPCServer(...) of type
			// pb.AddServer) tells nothing by its type: the one value assigned to it does.
			if types.IsInterface(o.Type()) && len(w.assigns[o]) == 1 {
				a := w.assigns[o][0]
				if pkg, name, ok := w.handlerTarget(a.e, a.info, nil, depth+1); ok {
					return pkg, name, true
				}
			}
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
			if w.inGenerated(fn.Pos()) {
				// A generated constructor wrapping the implementation (oapi-codegen's
				// NewStrictHandler(impl, mw)): the implementation's package.
				for _, a := range x.Args {
					if pkg, name, ok := w.handlerTarget(a, info, env, depth+1); ok && !w.declaredInGenerated(a, info) {
						return pkg, name, true
					}
				}
			}
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
