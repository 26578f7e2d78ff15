package signals

import (
	"go/types"
	"strings"
)

// router describes one HTTP router library as the routes signal reads it. A library is
// recognised by the import path of the called function's package, never by names alone.
type router struct {
	name string
	// paths are the import paths of the library's packages; a path ending in "/" matches every
	// path below it (major versions: github.com/go-chi/chi/v5).
	paths []string
	// route says how a method registers a route.
	route func(method string) (routeShape, bool)
	// roots are the package-level functions that create a router.
	roots map[string]bool
	// rootPrefix are the roots that create a router under a path prefix: function → index of
	// the prefix argument (routegroup's Mount(mux, "/api")).
	rootPrefix map[string]int
	// derive are the methods returning a router below the receiver: method → index of the path
	// prefix argument, -1 for none (chi's With, Group).
	derive map[string]int
	// scope are the methods that call a function literal with a router below the receiver:
	// method → index of the prefix argument, -1 for none (chi's Route and Group).
	scope map[string]int
	// mount are the methods mounting a handler (a router) under a prefix: method → index of the
	// prefix argument; the handler is the next argument.
	mount map[string]int
	// receivers, when set, are the type names whose methods register routes (Fiber's Ctx has a
	// Get method too).
	receivers map[string]bool
	// files are the methods serving a directory or a file under a path, as "Receiver.Method" →
	// index of the path argument: routes without a handler of the module, which the coverage
	// lists (gin's Static, echo's File; a Context's File is not one).
	files map[string]int
}

// routeShape says where a route registration call keeps its method, path and handler.
type routeShape struct {
	method    string // the method the call registers; "" for any, or read from methodArg
	methodArg int    // index of the method argument, -1 when the call's name gives it
	pathArg   int
	handler   int  // index of the handler argument; lastArg for the last one
	methods   bool // the method argument is a list of methods (Match([]string{"GET", "HEAD"}, ...))
	// split: the path may start with a method, as in Go 1.22 patterns ("GET /x": chi's Handle).
	split bool
}

const lastArg = -2

// noPath is the pathArg of a call registering the group's own path (routegroup's HandleRoot).
const noPath = -3

// methodNames maps a route method name of a router (Get, GET) to its HTTP method.
func methodNames(upper bool) map[string]string {
	out := map[string]string{}
	for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "CONNECT", "TRACE"} {
		if upper {
			out[m] = m
		} else {
			out[m[:1]+strings.ToLower(m[1:])] = m
		}
	}
	return out
}

// shapes builds a route function from the per-method names and the names registering any
// method.
func shapes(byMethod map[string]string, handler int, named map[string]routeShape) func(string) (routeShape, bool) {
	return func(name string) (routeShape, bool) {
		if m, ok := byMethod[name]; ok {
			return routeShape{method: m, methodArg: -1, pathArg: 0, handler: handler}, true
		}
		s, ok := named[name]
		return s, ok
	}
}

var (
	titleMethods = methodNames(false)
	upperMethods = methodNames(true)
)

// routers lists the HTTP routers carve reads. net/http and gorilla/mux have their own code
// paths for the parts their shape needs (ServeMux patterns, gorilla's route chains); their
// entries give the rest.
var routers = []router{
	{
		name: "net/http", paths: []string{"net/http"},
		roots: map[string]bool{"NewServeMux": true},
	},
	{
		name: "chi", paths: []string{"github.com/go-chi/chi", "github.com/go-chi/chi/"},
		route: shapes(titleMethods, 1, map[string]routeShape{
			"Method":     {methodArg: 0, pathArg: 1, handler: 2},
			"MethodFunc": {methodArg: 0, pathArg: 1, handler: 2},
			"Handle":     {methodArg: -1, pathArg: 0, handler: 1, split: true},
			"HandleFunc": {methodArg: -1, pathArg: 0, handler: 1, split: true},
		}),
		roots:  map[string]bool{"NewRouter": true, "NewMux": true},
		derive: map[string]int{"With": -1, "Group": -1, "Route": 0},
		scope:  map[string]int{"Group": -1, "Route": 0},
		mount:  map[string]int{"Mount": 0},
	},
	{
		name: "gorilla/mux", paths: []string{"github.com/gorilla/mux"},
		roots: map[string]bool{"NewRouter": true},
	},
	{
		name: "gin", paths: []string{"github.com/gin-gonic/gin"},
		route: shapes(upperMethods, lastArg, map[string]routeShape{
			"Any":    {methodArg: -1, pathArg: 0, handler: lastArg},
			"Handle": {methodArg: 0, pathArg: 1, handler: lastArg},
			"Match":  {methodArg: 0, pathArg: 1, handler: lastArg, methods: true},
		}),
		roots: map[string]bool{"New": true, "Default": true},
		// Use returns the group it is called on: g.Group("/user").Use(mw).POST(...).
		derive: map[string]int{"Group": 0, "Use": -1},
		files:  receiverMethods([]string{"RouterGroup", "IRoutes", "IRouter"}, "Static", "StaticFS", "StaticFile", "StaticFileFS"),
	},
	{
		name: "echo", paths: []string{"github.com/labstack/echo", "github.com/labstack/echo/"},
		route: shapes(upperMethods, 1, map[string]routeShape{
			"Any":   {methodArg: -1, pathArg: 0, handler: 1},
			"Add":   {methodArg: 0, pathArg: 1, handler: 2},
			"Match": {methodArg: 0, pathArg: 1, handler: 2, methods: true},
		}),
		roots:     map[string]bool{"New": true},
		derive:    map[string]int{"Group": 0},
		receivers: map[string]bool{"Echo": true, "Group": true},
		files:     receiverMethods([]string{"Echo", "Group"}, "Static", "StaticFS", "File", "FileFS"),
	},
	{
		name: "fiber", paths: []string{"github.com/gofiber/fiber", "github.com/gofiber/fiber/"},
		route: shapes(titleMethods, lastArg, map[string]routeShape{
			"All": {methodArg: -1, pathArg: 0, handler: lastArg},
			"Add": {methodArg: 0, pathArg: 1, handler: lastArg},
		}),
		roots:     map[string]bool{"New": true},
		derive:    map[string]int{"Group": 0, "Route": 0, "Use": -1},
		scope:     map[string]int{"Route": 0},
		mount:     map[string]int{"Mount": 0},
		receivers: map[string]bool{"App": true, "Group": true, "Router": true, "Register": true},
		files:     receiverMethods([]string{"App", "Group", "Router"}, "Static"),
	},
	{
		name: "httprouter", paths: []string{"github.com/julienschmidt/httprouter"},
		route: shapes(upperMethods, 1, map[string]routeShape{
			"Handle":      {methodArg: 0, pathArg: 1, handler: 2},
			"Handler":     {methodArg: 0, pathArg: 1, handler: 2},
			"HandlerFunc": {methodArg: 0, pathArg: 1, handler: 2},
		}),
		roots: map[string]bool{"New": true},
		files: receiverMethods([]string{"Router"}, "ServeFiles"),
	},
	{
		// go-pkgz/routegroup: groups over a net/http ServeMux, Go 1.22 patterns.
		name: "routegroup", paths: []string{"github.com/go-pkgz/routegroup"},
		route: shapes(nil, 1, map[string]routeShape{
			"Handle":         {methodArg: -1, pathArg: 0, handler: 1, split: true},
			"HandleFunc":     {methodArg: -1, pathArg: 0, handler: 1, split: true},
			"HandleRoot":     {methodArg: 0, pathArg: noPath, handler: 1},
			"HandleRootFunc": {methodArg: 0, pathArg: noPath, handler: 1},
		}),
		roots:      map[string]bool{"New": true, "Mount": true},
		rootPrefix: map[string]int{"Mount": 1},
		derive:     map[string]int{"Group": -1, "With": -1, "Mount": 0},
		scope:      map[string]int{"Route": -1},
		files:      receiverMethods([]string{"Bundle"}, "HandleFiles"),
	},
}

// receiverMethods returns the files entry for methods of the given receiver types, each taking
// its path first.
func receiverMethods(recvs []string, methods ...string) map[string]int {
	out := map[string]int{}
	for _, r := range recvs {
		for _, m := range methods {
			out[r+"."+m] = 0
		}
	}
	return out
}

// Libraries recognised without routes of their own: their handlers are registered on one of the
// routers above, and coverage counts their uses.
const (
	goKitHTTPPkg = "github.com/go-kit/kit/transport/http"
	grpcPkg      = "google.golang.org/grpc"
	swaggerPkg   = "github.com/go-openapi/runtime/middleware"
)

// routerOf returns the router library fn belongs to, or nil.
func routerOf(fn *types.Func) *router {
	if fn == nil {
		return nil
	}
	return routerOfPkg(fn.Pkg())
}

// routerOfPkg returns the router library pkg belongs to, or nil.
func routerOfPkg(pkg *types.Package) *router {
	if pkg == nil {
		return nil
	}
	return routerOfPath(pkg.Path())
}

// routerOfPath returns the router library of the package with import path path, or nil.
func routerOfPath(path string) *router {
	for i := range routers {
		for _, p := range routers[i].paths {
			if path == p || strings.HasSuffix(p, "/") && strings.HasPrefix(path, p) {
				return &routers[i]
			}
		}
	}
	return nil
}

// routerKind returns the name of the router library of fn, or "".
func routerKind(fn *types.Func) string {
	if r := routerOf(fn); r != nil {
		return r.name
	}
	return ""
}

// isMethod reports whether fn has a receiver (an interface method included).
func isMethod(fn *types.Func) bool {
	sig, ok := fn.Type().(*types.Signature)
	return ok && sig.Recv() != nil
}

// receiverName returns the name of fn's receiver type, or "".
func receiverName(fn *types.Func) string {
	sig, ok := fn.Type().(*types.Signature)
	if !ok || sig.Recv() == nil {
		return ""
	}
	if n := namedOrAlias(sig.Recv().Type()); n != "" {
		return n
	}
	return ""
}

func namedOrAlias(t types.Type) string {
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	switch x := t.(type) {
	case *types.Named:
		return x.Obj().Name()
	case *types.Alias:
		return x.Obj().Name()
	}
	return ""
}
