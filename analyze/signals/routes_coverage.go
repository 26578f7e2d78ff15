package signals

import (
	"fmt"
	"go/ast"
	"go/types"
	"golang.org/x/tools/go/packages"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/carve-dev/carve/analyze/facts"
)

// routingNames are method names that register routes or route groups in the routers people use.
var routingNames = map[string]bool{
	"Handle": true, "HandleFunc": true, "Handler": true, "HandlerFunc": true,
	"Get": true, "Post": true, "Put": true, "Patch": true, "Delete": true, "Head": true, "Options": true,
	"GET": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true, "HEAD": true, "OPTIONS": true,
	"Any": true, "All": true, "Add": true, "AddRoute": true, "Match": true, "Route": true, "Group": true, "Mount": true,
}

// unknownRouting records what a call that is not a route of a router carve reads tells the
// coverage: a use of a library read through another router (go-kit's HTTP transport), a
// library whose routes carve does not read (go-swagger), or a call that looks like routing on a
// type of a package carve does not know.
func (w *routeWalk) unknownRouting(call *ast.CallExpr, info *types.Info, fn *types.Func, pkg string) {
	path := fn.Pkg().Path()
	switch {
	case path == goKitHTTPPkg && fn.Name() == "NewServer":
		w.f.Coverage.Add("go-kit", facts.KindRouter, 1)
		return
	case path == swaggerPkg && (fn.Name() == "NewRoutableContext" || fn.Name() == "NewContext"):
		w.swaggerServers++
		w.swaggerContext = append(w.swaggerContext, facts.Unresolved{
			Kind: facts.KindRouter, Site: w.m.Site(call.Pos()), Call: shortCall(call),
			Why: "a go-swagger server whose handler cache (o.handlers[method][path]) carve could not read",
		})
		return
	}
	if !isMethod(fn) || !routingNames[fn.Name()] || w.inGenerated(call.Pos()) {
		return
	}
	if _, own := w.m.Own(fn.Pkg()); own || !strings.Contains(strings.Split(path, "/")[0], ".") {
		return // the module's own methods, and the standard library
	}
	// Routing takes a path and a handler: a string argument followed by a function or handler.
	if pathThenHandler(call, info) {
		w.unresolved(call, "looks like routing on "+path+"."+receiverName(fn)+", a router carve does not read")
	}
}

// takesRequest reports whether t can handle a request: a function taking at least one
// argument (a cache loader takes none), or a type with a ServeHTTP method.
func takesRequest(t types.Type) bool {
	if sig, ok := t.Underlying().(*types.Signature); ok {
		return sig.Params().Len() > 0
	}
	return handlerLike(t)
}

// unreadRouting lists in the coverage a call on a router carve reads that registers a route it
// does not read: a directory or file served under a path (gin's Static, echo's File), or a
// method that takes a path and a handler but is no route shape carve knows (a newer version's
// method, say). Calls that build groups, mount or create routers are read elsewhere.
func (w *routeWalk) unreadRouting(r *router, fn *types.Func, call *ast.CallExpr, info *types.Info) {
	if !isMethod(fn) || r.route == nil {
		return
	}
	name := fn.Name()
	if i, ok := r.files[receiverName(fn)+"."+name]; ok && i < len(call.Args) {
		where := types.ExprString(call.Args[i])
		if p, ok := w.str(info, call.Args[i], nil); ok {
			where = p
		}
		w.unresolved(call, fmt.Sprintf("serves files under %s (%s %s): no handler of the module serves them, so no service owns the route", where, r.name, name))
		w.noted[r.name] = true
		return
	}
	if hasKey(r.derive, name) || hasKey(r.scope, name) || hasKey(r.mount, name) || r.roots[name] {
		return
	}
	if r.receivers != nil && !r.receivers[receiverName(fn)] {
		return
	}
	// On a router carve reads, any method taking a path and then a handler registers
	// something (echo's RouteNotFound, a newer version's method), whatever its name.
	if pathThenHandler(call, info) {
		w.unresolved(call, fmt.Sprintf("%s routing call (%s) that carve does not read", r.name, name))
		w.noted[r.name] = true
	}
}

func hasKey[V any](m map[string]V, k string) bool {
	_, ok := m[k]
	return ok
}

// pathThenHandler reports whether a call takes a string argument followed by something that
// can handle a request: the shape of a route registration.
func pathThenHandler(call *ast.CallExpr, info *types.Info) bool {
	sawString := false
	for _, a := range call.Args {
		t := info.TypeOf(a)
		if t == nil {
			continue
		}
		if b, ok := t.Underlying().(*types.Basic); ok && b.Info()&types.IsString != 0 {
			sawString = true
			continue
		}
		if sawString && takesRequest(t) {
			return true
		}
	}
	return false
}

// silentRouters lists in the coverage each router library the module imports but none of whose
// routes carve read, nor any call site it could not: a framework recognised by its import and
// producing nothing would otherwise pass unnoticed. The first import of it is the site.
func (w *routeWalk) silentRouters() {
	first := map[string]facts.Unresolved{}
	w.m.Each(func(_ string, p *packages.Package) {
		for _, file := range p.Syntax {
			for _, imp := range file.Imports {
				path, err := strconv.Unquote(imp.Path.Value)
				r := routerOfPath(path)
				if err != nil || r == nil || r.name == "net/http" || w.noted[r.name] {
					continue
				}
				u := facts.Unresolved{
					Kind: facts.KindRouter, Site: w.m.Site(imp.Pos()), Call: "import " + imp.Path.Value,
					Why: "the module imports " + r.name + " but carve read none of its routes: they are registered in a way carve does not follow",
				}
				if old, ok := first[r.name]; !ok || siteLess(u.Site, old.Site) {
					first[r.name] = u
				}
			}
		}
	})
	for _, name := range slices.Sorted(maps.Keys(first)) {
		if w.routedBy(name) {
			continue
		}
		w.f.Coverage.Add(name, facts.KindRouter, 0)
		w.f.Coverage.Unresolved = append(w.f.Coverage.Unresolved, first[name])
	}
}

// routedBy reports whether any route of the router called name was found.
func (w *routeWalk) routedBy(name string) bool {
	for _, r := range w.f.Routes {
		if r.Router == name {
			return true
		}
	}
	return false
}

func siteLess(a, b facts.Site) bool {
	return a.File < b.File || a.File == b.File && a.Line < b.Line
}
