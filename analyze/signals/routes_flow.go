package signals

import (
	"go/ast"
	"go/token"
	"go/types"

	"github.com/carve-dev/carve/analyze/load"
)

// A router value's path prefix is found by following the value back to where it was created
// (chi.NewRouter(), gin.Default(), ...) through variables, struct fields, parameters, function
// results and the library's own derivations (Group("/api"), Route("/v1", fn), With(mw)), then
// forward from that creation to every place it is mounted (r.Mount("/booking", sub),
// mux.Handle("/api/", http.StripPrefix("/api", sub))). Every step is on go/types objects and
// constants; a step the types do not allow is reported as an unresolved prefix, never dropped.

// routerSource is where a router expression comes from: a creation call, and the path the
// derivations between that call and the expression add.
type routerSource struct {
	root   *ast.CallExpr // nil when the origin could not be followed
	rootFn *types.Func   // the function root calls
	rel    string
	// unresolved is the expression the origin could not be followed through.
	unresolved string
}

// prefix is one path prefix a router is served under; unresolved names the part of it that
// could not be read.
type prefix struct {
	path       string
	unresolved string
}

// maxFlowDepth bounds how many steps a router value is followed through.
const maxFlowDepth = 24

// mountSite is a call mounting a handler under a prefix.
type mountSite struct {
	call    *ast.CallExpr
	info    *types.Info
	recv    ast.Expr // the router mounted on; nil for a package-level function
	path    ast.Expr // the prefix argument
	handler ast.Expr
}

// prefixes returns the prefixes the router expression e is served under.
func (w *routeWalk) prefixes(e ast.Expr, info *types.Info, env *routeEnv) []prefix {
	if e == nil {
		return []prefix{{}}
	}
	var out []prefix
	for _, s := range w.sources(e, info, env, 0) {
		if s.root == nil {
			out = append(out, prefix{path: s.rel, unresolved: s.unresolved})
			continue
		}
		for _, base := range w.mountPrefixes(s.root) {
			out = append(out, prefix{path: joinPath(base.path, s.rel), unresolved: base.unresolved})
		}
	}
	if len(out) == 0 {
		return []prefix{{}}
	}
	return dedupPrefixes(out)
}

func dedupPrefixes(ps []prefix) []prefix {
	seen := map[prefix]bool{}
	out := ps[:0]
	for _, p := range ps {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}

// mountPrefixes returns the prefixes the router created by root is mounted under: "" when it is
// mounted nowhere (it is served as it is).
func (w *routeWalk) mountPrefixes(root *ast.CallExpr) []prefix {
	if ps, ok := w.mountMemo[root]; ok {
		return ps
	}
	w.mountMemo[root] = []prefix{{}} // a cycle of mounts: stop at the root
	var out []prefix
	for _, m := range w.mounts {
		mounted := false
		for _, s := range w.sources(m.handler, m.info, nil, 0) {
			if s.root == root {
				mounted = true
				break
			}
		}
		if !mounted {
			continue
		}
		p, ok := w.str(m.info, m.path, nil)
		unresolved := ""
		if !ok {
			p, unresolved = "", types.ExprString(m.path)
		}
		for _, base := range w.prefixes(m.recv, m.info, nil) {
			u := base.unresolved
			if u == "" {
				u = unresolved
			}
			out = append(out, prefix{path: joinPath(base.path, p), unresolved: u})
		}
	}
	if len(out) == 0 || w.servedAsIs(root) {
		out = append(out, prefix{})
	}
	out = dedupPrefixes(out)
	w.mountMemo[root] = out
	return out
}

// servedAsIs reports whether the router created by root is also served by a server of its own
// (http.ListenAndServe(addr, r), http.Server{Handler: r}), besides being mounted.
func (w *routeWalk) servedAsIs(root *ast.CallExpr) bool {
	for _, sv := range w.serves {
		for _, s := range w.sources(sv.e, sv.info, nil, 0) {
			if s.root == root {
				return true
			}
		}
	}
	return false
}

// serveHandlerArg maps the net/http functions serving a handler to the handler's argument.
var serveHandlerArg = map[string]int{"ListenAndServe": 1, "ListenAndServeTLS": 3, "Serve": 1, "ServeTLS": 1}

// sources follows the router expression e back to its creation calls.
func (w *routeWalk) sources(e ast.Expr, info *types.Info, env *routeEnv, depth int) []routerSource {
	if e == nil {
		return nil
	}
	unresolved := func() []routerSource {
		return []routerSource{{unresolved: types.ExprString(e)}}
	}
	if depth > maxFlowDepth || info == nil {
		return unresolved()
	}
	if a, ok := env.arg(info, e); ok {
		return w.sources(a, env.caller.info, env.parent, depth+1)
	}
	switch x := ast.Unparen(e).(type) {
	case *ast.UnaryExpr:
		if x.Op == token.AND {
			return w.sources(x.X, info, env, depth+1)
		}
	case *ast.StarExpr:
		return w.sources(x.X, info, env, depth+1)
	case *ast.CallExpr:
		return w.callSources(x, info, env, depth)
	case *ast.CompositeLit:
		// A server type holding the router: &Server{router: r} mounted as a handler whose
		// ServeHTTP delegates to the field.
		return w.delegateSources(info.TypeOf(x), depth)
	case *ast.Ident, *ast.SelectorExpr:
		if sel, ok := x.(*ast.SelectorExpr); ok {
			// options.BaseRouter with options bound to a composite literal at the call site.
			if lit, linfo, lenv, ok := w.boundLiteral(sel.X, info, env); ok {
				if v, found := literalField(lit, linfo, sel.Sel.Name); found {
					return w.sources(v, linfo, lenv, depth+1)
				}
				return nil // the zero value: no router
			}
		}
		v := varOf(info, x)
		if v == nil {
			return unresolved()
		}
		return w.varSources(v, x, info, env, depth)
	}
	return unresolved()
}

// varSources follows a variable, field or parameter holding a router.
func (w *routeWalk) varSources(v *types.Var, e ast.Expr, info *types.Info, env *routeEnv, depth int) []routerSource {
	if w.visiting[v] {
		return nil
	}
	if r := routerOfPkg(v.Pkg()); r != nil && v.Parent() == v.Pkg().Scope() {
		return []routerSource{{}} // a router of the library itself (http.DefaultServeMux): served as it is
	}
	w.visiting[v] = true
	defer delete(w.visiting, v)
	if sc, ok := w.scopes[v]; ok {
		// The parameter of a function literal passed to r.Route("/x", func(r chi.Router) {...}).
		return w.derived(sc.call, sc.info, env, sc.arg, depth)
	}
	if ref, ok := w.params[v]; ok {
		var out []routerSource
		for _, c := range w.calls[ref.fn] {
			if ref.idx < len(c.call.Args) && !c.call.Ellipsis.IsValid() {
				out = append(out, w.sources(c.call.Args[ref.idx], c.info, nil, depth+1)...)
			}
		}
		if len(out) == 0 {
			return []routerSource{{unresolved: types.ExprString(e)}}
		}
		return out
	}
	var out, defaults []routerSource
	for _, a := range w.assigns[v] {
		ss := w.sources(a.e, a.info, env, depth+1)
		if w.defaults[a.e] {
			defaults = append(defaults, ss...)
		} else {
			out = append(out, ss...)
		}
	}
	if len(out) == 0 {
		out = defaults // r = chi.NewRouter() only when nothing else was given
	}
	if len(out) == 0 {
		return []routerSource{{unresolved: types.ExprString(e)}}
	}
	return out
}

// callSources follows a call returning a router.
func (w *routeWalk) callSources(call *ast.CallExpr, info *types.Info, env *routeEnv, depth int) []routerSource {
	if tv, ok := info.Types[call.Fun]; ok && tv.IsType() && len(call.Args) == 1 {
		return w.sources(call.Args[0], info, env, depth+1) // a conversion
	}
	fn := load.CalleeFunc(info, call)
	if fn == nil {
		return []routerSource{{unresolved: types.ExprString(call)}}
	}
	if r := routerOf(fn); r != nil {
		switch {
		case !isMethod(fn) && r.roots[fn.Name()]:
			return w.rootSources(r, fn, call, info, env)
		case r.name == "net/http" && fn.Name() == "StripPrefix" && len(call.Args) == 2:
			return w.sources(call.Args[1], info, env, depth+1)
		case r.name == "gorilla/mux" && fn.Name() == "Subrouter":
			rel, recv := w.gorillaChain(call, info, env, nil)
			return withRel(w.sources(recv, info, env, depth+1), rel)
		}
		if idx, ok := r.derive[fn.Name()]; ok && isMethod(fn) {
			return w.derived(call, info, env, idx, depth)
		}
		return []routerSource{{unresolved: types.ExprString(call)}}
	}
	if _, own := w.m.Own(fn.Pkg()); own {
		d, ok := w.decls[fn.Origin()]
		if !ok || d.fd.Body == nil {
			return []routerSource{{unresolved: types.ExprString(call)}}
		}
		var out []routerSource
		ast.Inspect(d.fd.Body, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.FuncLit:
				return false
			case *ast.ReturnStmt:
				if len(x.Results) == 1 {
					out = append(out, w.sources(x.Results[0], d.info, nil, depth+1)...)
				}
			}
			return true
		})
		return out
	}
	return []routerSource{{unresolved: types.ExprString(call)}}
}

// rootSources is the router a root call creates, under the prefix it is given, if any.
func (w *routeWalk) rootSources(r *router, fn *types.Func, call *ast.CallExpr, info *types.Info, env *routeEnv) []routerSource {
	src := routerSource{root: call, rootFn: fn}
	if i, ok := r.rootPrefix[fn.Name()]; ok && i < len(call.Args) {
		p, ok := w.str(info, call.Args[i], env)
		if !ok {
			return []routerSource{{unresolved: types.ExprString(call.Args[i])}}
		}
		src.rel = p
	}
	return []routerSource{src}
}

// derived returns the sources of the router a derivation call (Group("/api"), Route("/v1", fn),
// With(mw)) makes from its receiver; idx is the prefix argument, -1 for none.
func (w *routeWalk) derived(call *ast.CallExpr, info *types.Info, env *routeEnv, idx, depth int) []routerSource {
	base := w.sources(receiverOf(call), info, env, depth+1)
	if idx < 0 {
		return base
	}
	if idx >= len(call.Args) {
		return base
	}
	p, ok := w.str(info, call.Args[idx], env)
	if !ok {
		out := make([]routerSource, len(base))
		for i, s := range base {
			out[i] = routerSource{unresolved: types.ExprString(call.Args[idx])}
			if s.unresolved != "" {
				out[i].unresolved = s.unresolved
			}
		}
		return out
	}
	return withRel(base, p)
}

func withRel(ss []routerSource, rel string) []routerSource {
	out := make([]routerSource, len(ss))
	for i, s := range ss {
		s.rel = joinPath(s.rel, rel)
		out[i] = s
	}
	return out
}

// delegateSources follows a handler type of the module whose ServeHTTP passes the request on to
// a router field: func (s *Server) ServeHTTP(w, r) { s.router.ServeHTTP(w, r) }.
func (w *routeWalk) delegateSources(t types.Type, depth int) []routerSource {
	named := load.NamedOf(t)
	if named == nil {
		return nil
	}
	obj, _, _ := types.LookupFieldOrMethod(t, true, named.Obj().Pkg(), "ServeHTTP")
	fn, ok := obj.(*types.Func)
	if !ok {
		return nil
	}
	d, ok := w.decls[fn.Origin()]
	if !ok || d.fd.Body == nil {
		return nil
	}
	var out []routerSource
	ast.Inspect(d.fd.Body, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		if callee := load.CalleeFunc(d.info, call); callee != nil && callee.Name() == "ServeHTTP" && callee != fn {
			if recv := receiverOf(call); recv != nil {
				out = append(out, w.sources(recv, d.info, nil, depth+1)...)
			}
		}
		return true
	})
	return out
}

// receiverOf returns the receiver expression of a method call x.M(...), or nil.
func receiverOf(call *ast.CallExpr) ast.Expr {
	if sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr); ok {
		return sel.X
	}
	return nil
}

// methodReceiver returns the receiver of call when it calls a method (not a package-level
// function), or nil.
func methodReceiver(info *types.Info, call *ast.CallExpr) ast.Expr {
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !ok {
		return nil
	}
	if s, ok := info.Selections[sel]; ok && s.Kind() == types.MethodVal {
		return sel.X
	}
	return nil
}

// boundLiteral returns the composite literal e stands for when e is a parameter bound, at the
// registration's call site, to a literal (HandlerWithOptions(si, Options{BaseURL: u})).
func (w *routeWalk) boundLiteral(e ast.Expr, info *types.Info, env *routeEnv) (*ast.CompositeLit, *types.Info, *routeEnv, bool) {
	for i := 0; i < maxWrapperDepth+1; i++ {
		a, ok := env.arg(info, e)
		if !ok {
			return nil, nil, nil, false
		}
		e, info, env = a, env.caller.info, env.parent
		switch x := ast.Unparen(e).(type) {
		case *ast.CompositeLit:
			return x, info, env, true
		case *ast.UnaryExpr:
			if lit, ok := ast.Unparen(x.X).(*ast.CompositeLit); ok && x.Op == token.AND {
				return lit, info, env, true
			}
		}
	}
	return nil, nil, nil, false
}

// literalField returns the value of the named field in a keyed struct literal.
func literalField(lit *ast.CompositeLit, info *types.Info, name string) (ast.Expr, bool) {
	for _, elt := range lit.Elts {
		kv, ok := elt.(*ast.KeyValueExpr)
		if !ok {
			continue
		}
		if id, ok := kv.Key.(*ast.Ident); ok && id.Name == name {
			return kv.Value, true
		}
	}
	return nil, false
}
