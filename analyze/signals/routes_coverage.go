package signals

import (
	"go/ast"
	"go/types"
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
			w.unresolved(call, "looks like routing on "+path+"."+receiverName(fn)+", a router carve does not read")
			return
		}
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
