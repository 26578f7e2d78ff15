package signals

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/carve-dev/carve/analyze/facts"
)

// loadFramework loads testdata/frameworks/<name>, a module requiring a real router library,
// after downloading its dependencies: a fresh machine has none in its module cache.
func loadFramework(t *testing.T, name string) *facts.Facts {
	t.Helper()
	dir := filepath.Join("testdata", "frameworks", name)
	cmd := exec.Command("go", "mod", "download")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go mod download in %s failed: %v\n%s\nthe framework fixtures need the Go module proxy (GOPROXY) or a module cache holding their dependencies", dir, err, out)
	}
	f, err := Collect(context.Background(), loadFixture(t, filepath.Join("frameworks", name)), []Signal{Routes{}})
	if err != nil {
		t.Fatalf("collect routes in %s: %v", dir, err)
	}
	return f
}

// routeGolden is what a framework fixture's golden file holds.
type routeGolden struct {
	Routes   []facts.RouteDecl
	Coverage facts.Coverage
}

// wantRoute is a route a fixture must have: method, full path, package (short, below the
// fixture's module path) and router.
type wantRoute struct{ method, pattern, pkg, router string }

func (w wantRoute) String() string {
	return fmt.Sprintf("%s %s in %s (%s)", w.method, w.pattern, w.pkg, w.router)
}

// checkRoutes asserts that every wanted route is there, that there are no others, and that
// none has an unresolved prefix unless listed in unresolved (pattern → prefix expression).
func checkRoutes(t *testing.T, f *facts.Facts, module string, want []wantRoute, unresolved map[string]string) {
	t.Helper()
	seen := map[int]bool{}
	for _, w := range want {
		found := false
		for i, r := range f.Routes {
			if r.Method == w.method && r.Pattern == w.pattern && r.Package == module+"/"+w.pkg && r.Router == w.router {
				found, seen[i] = true, true
			}
		}
		if !found {
			t.Errorf("missing route %v", w)
		}
	}
	for i, r := range f.Routes {
		if !seen[i] {
			t.Errorf("unexpected route %s %s in %s (%s) at %v", r.Method, r.Pattern, r.Package, r.Router, r.Site)
		}
		if r.PrefixUnresolved != unresolved[r.Pattern] {
			t.Errorf("route %s %s: prefix unresolved %q, want %q", r.Method, r.Pattern, r.PrefixUnresolved, unresolved[r.Pattern])
		}
		if r.Site.File == "" || r.Site.Line == 0 {
			t.Errorf("route %s %s has no site", r.Method, r.Pattern)
		}
	}
}

// checkFramework asserts that the coverage lists the framework with uses routes.
func checkFramework(t *testing.T, f *facts.Facts, name, kind string, uses int) {
	t.Helper()
	for _, fw := range f.Coverage.Frameworks {
		if fw.Name == name && fw.Kind == kind {
			if fw.Uses != uses {
				t.Errorf("coverage: %s used %d times, want %d", name, fw.Uses, uses)
			}
			return
		}
	}
	t.Errorf("coverage: %s (%s) not listed: %+v", name, kind, f.Coverage.Frameworks)
}

// TestRoutesFrameworks loads each framework fixture (a module requiring the real library) and
// checks every route's method, full path, package and router, the coverage's count for the
// framework, and the golden file of routes and coverage.
// Long on purpose: its length is the table of cases, one row per fixture.
func TestRoutesFrameworks(t *testing.T) {
	for _, tc := range []struct {
		fixture, module string
		routes          []wantRoute
		unresolved      map[string]string // pattern → prefix expression, for routes that keep one
		framework, kind string
		uses            int
		extra           func(t *testing.T, f *facts.Facts)
	}{
		{
			fixture: "chi", module: "example.com/chiapp", framework: "chi", kind: facts.KindRouter, uses: 12,
			routes: []wantRoute{
				// Mount of a sub-router built in another package, under a Route and a constant.
				{"POST", "/booking/v1/cargos/", "booking", "chi"},
				{"GET", "/booking/v1/cargos/", "booking", "chi"},
				{"GET", "/booking/v1/cargos/{trackingID}/", "booking", "chi"},
				{"POST", "/booking/v1/cargos/{trackingID}/change_destination", "booking", "chi"},
				{"GET", "/booking/v1/locations", "booking", "chi"},
				// Group adds no prefix.
				{"GET", "/healthz", "cmd/app", "chi"},
				// Handle with a Go 1.22 method pattern.
				{"GET", "/ready", "cmd/app", "chi"},
				// A prefix through a local variable, routes through a helper's router parameter.
				{"GET", "/tracking/cargos/{id}", "tracking", "chi"},
				// Route given a function of another package instead of a literal.
				{"DELETE", "/tracking-admin/cargos/{id}", "tracking", "chi"},
				// A router held in a struct field, mounted through the field.
				{"PUT", "/platform/flags/{name}", "platform", "chi"},
				// A handler type mounted whole, whose ServeHTTP passes on to its router field.
				{"GET", "/reports/daily", "reports", "chi"},
				// A prefix known at run time only: kept unresolved.
				{"GET", "/stats", "cmd/app", "chi"},
			},
			unresolved: map[string]string{"/stats": `os.Getenv("ADMIN_PREFIX")`},
			extra: func(t *testing.T, f *facts.Facts) {
				if !hasUnresolved(f, "cmd/app/main.go", "ADMIN_PREFIX") {
					t.Errorf("coverage does not list the unresolved prefix: %+v", f.Coverage.Unresolved)
				}
			},
		},
		{
			fixture: "gin", module: "example.com/ginapp", framework: "gin", kind: facts.KindRouter, uses: 9,
			routes: []wantRoute{
				{"GET", "/ping", "cmd/app", "gin"},
				{"DELETE", "/cache", "cmd/app", "gin"},
				{"GET", "/logo", "cmd/app", "gin"},
				// Match: each constant method.
				{"GET", "/status", "cmd/app", "gin"},
				{"HEAD", "/status", "cmd/app", "gin"},
				{"POST", "/user", "cmd/app", "gin"},
				// A nested group passed to another package.
				{"GET", "/api/v1/orders", "orders", "gin"},
				{"POST", "/api/v1/orders/", "orders", "gin"},
				{"GET", "/api/v1/orders/:id", "orders", "gin"},
			},
			extra: func(t *testing.T, f *facts.Facts) {
				// The path known at run time, the handlers passed as a slice, and the files served
				// (not a Context's File in a handler): listed, never dropped.
				checkUnresolved(t, f, "cmd/app/main.go", "STATUS_PATH", "handlers...", "without a handler", "files under /assets (gin Static)", "files under /favicon.ico (gin StaticFile)")
			},
		},
		{
			fixture: "echo", module: "example.com/echoapp", framework: "echo", kind: facts.KindRouter, uses: 8,
			routes: []wantRoute{
				{"GET", "/health", "cmd/app", "echo"},
				{"PUT", "/settings", "cmd/app", "echo"},
				{"GET", "/logo", "cmd/app", "echo"},
				// Match with its methods in a variable.
				{"GET", "/status", "cmd/app", "echo"},
				{"HEAD", "/status", "cmd/app", "echo"},
				{"GET", "/api/orders", "orders", "echo"},
				{"POST", "/api/orders/:id/cancel", "orders", "echo"},
				// oapi-codegen's echo server: through the generated EchoRouter interface, on a
				// group, with a base URL; the route belongs to the implementation.
				{"GET", "/billing/v1/invoices", "billing", "echo"},
			},
			extra: func(t *testing.T, f *facts.Facts) {
				checkUnresolved(t, f, "cmd/app/main.go", "files under /assets (echo Static)", "files under /favicon.ico (echo File)", "echo routing call (RouteNotFound)")
			},
		},
		{
			fixture: "fiber", module: "example.com/fiberapp", framework: "fiber", kind: facts.KindRouter, uses: 6,
			routes: []wantRoute{
				{"GET", "/health", "cmd/app", "fiber"},
				{"GET", "/download", "cmd/app", "fiber"},
				// Route's function literal gets a router under the prefix.
				{"GET", "/admin/stats", "cmd/app", "fiber"},
				// Groups passed through the fiber.Router interface to another package.
				{"GET", "/api/v2/orders/", "orders", "fiber"},
				{"POST", "/api/v2/orders/:id/pay", "orders", "fiber"},
				{"PATCH", "/api/v2/orders/:id", "orders", "fiber"},
			},
			extra: func(t *testing.T, f *facts.Facts) {
				checkUnresolved(t, f, "cmd/app/main.go", "files under /public (fiber Static)")
			},
		},
		{
			// Fiber v3: handlers typed any, Add with a list of methods.
			fixture: "fiber3", module: "example.com/fiber3app", framework: "fiber", kind: facts.KindRouter, uses: 4,
			routes: []wantRoute{
				{"GET", "/health", "cmd/app", "fiber"},
				{"GET", "/api/status", "cmd/app", "fiber"},
				{"HEAD", "/api/status", "cmd/app", "fiber"},
				{"GET", "/admin/stats", "cmd/app", "fiber"},
			},
			extra: func(t *testing.T, f *facts.Facts) { checkUnresolved(t, f, "cmd/app/main.go") },
		},
		{
			fixture: "httprouter", module: "example.com/httprouterapp", framework: "httprouter", kind: facts.KindRouter, uses: 3,
			routes: []wantRoute{
				// Mounted with http.StripPrefix("/api", router).
				{"GET", "/api/users/:id", "users", "httprouter"},
				{"DELETE", "/api/users/:id", "users", "httprouter"},
				{"POST", "/api/users", "users", "httprouter"},
				// The mount itself is a ServeMux route of the main package.
				{"", "/api/", "cmd/app", "net/http"},
			},
			extra: func(t *testing.T, f *facts.Facts) {
				checkUnresolved(t, f, "cmd/app/main.go", "files under /files/*filepath (httprouter ServeFiles)")
			},
		},
		{
			fixture: "gokit", module: "example.com/kitapp", framework: "go-kit", kind: facts.KindRouter, uses: 2,
			routes: []wantRoute{
				// The transport wraps the endpoint: the route belongs to the endpoint's package.
				{"POST", "/profiles", "profile", "net/http"},
				{"GET", "/profiles/{id}", "profile", "net/http"},
				{"", "/legacy", "cmd/app", "net/http"},
				{"", "/old/", "legacy", "net/http"},
			},
			extra: func(t *testing.T, f *facts.Facts) {
				// A router carve does not read: its routing call is listed as not read, its
				// mount is a route of the main package; a cache's Get with a loader is not.
				if !hasUnresolved(f, "cmd/app/main.go", "example.com/otherrouter.Router") {
					t.Errorf("coverage does not list the call on the unknown router: %+v", f.Coverage.Unresolved)
				}
				// A router imported whose routes carve cannot follow (a method value) is listed
				// with 0 routes and its import, never silently empty.
				if !hasUnresolved(f, "legacy/legacy.go", "imports httprouter but carve read none") {
					t.Errorf("coverage does not list the router that produced nothing: %+v", f.Coverage.Unresolved)
				}
				if !slices.ContainsFunc(f.Coverage.Frameworks, func(fw facts.Framework) bool { return fw.Name == "httprouter" && fw.Uses == 0 }) {
					t.Errorf("coverage does not list httprouter with 0 routes: %+v", f.Coverage.Frameworks)
				}
				if len(f.Coverage.Unresolved) != 2 {
					t.Errorf("coverage lists %d call sites, want the unknown router's and the silent router's: %+v", len(f.Coverage.Unresolved), f.Coverage.Unresolved)
				}
			},
		},
		{
			fixture: "routegroup", module: "example.com/rgapp", framework: "routegroup", kind: facts.KindRouter, uses: 6,
			routes: []wantRoute{
				{"GET", "/health", "cmd/app", "routegroup"},
				// A mounted group passed to another package, a Route inside it, its root.
				{"GET", "/api/v1/notes", "notes", "routegroup"},
				{"POST", "/api/v1/notes", "notes", "routegroup"},
				{"DELETE", "/api/v1/notes/{id}", "notes", "routegroup"},
				{"GET", "/api/v1", "notes", "routegroup"},
				// routegroup.Mount(mux, "/admin"): a root under a prefix.
				{"GET", "/admin/stats", "cmd/app", "routegroup"},
			},
			extra: func(t *testing.T, f *facts.Facts) {
				checkUnresolved(t, f, "cmd/app/main.go", "files under /static/ (routegroup HandleFiles)")
			},
		},
		{
			fixture: "oapi", module: "example.com/petstore", framework: "chi", kind: facts.KindRouter, uses: 6,
			routes: []wantRoute{
				// HandlerFromMuxWithBaseURL(&pets.Store{}, r, baseURL): the base URL on every
				// route, the routes belong to the implementation, not to the generated wrapper.
				{"GET", "/api/v3/pets", "pets", "chi"},
				{"POST", "/api/v3/pets", "pets", "chi"},
				{"GET", "/api/v3/pets/{id}", "pets", "chi"},
				// HandlerFromMux(NewStrictHandler(strict.Pets{}, nil), r): no base URL, the
				// strict implementation behind the generated adapter.
				{"GET", "/pets", "strict", "chi"},
				{"POST", "/pets", "strict", "chi"},
				{"GET", "/pets/{id}", "strict", "chi"},
			},
			extra: func(t *testing.T, f *facts.Facts) {
				for _, r := range f.Routes {
					want := map[string]string{"example.com/petstore/strict": "cmd/strict/main.go", "example.com/petstore/pets": "cmd/app/main.go"}[r.Package]
					if r.Site.File != want {
						t.Errorf("route %s %s registered at %v, want the program's call in %s", r.Method, r.Pattern, r.Site, want)
					}
					if r.Pattern == "/api/v3/pets/{id}" && r.Handler != "example.com/petstore/pets.Store.FindPetByID" {
						t.Errorf("route %s: handler %s, want the Store's FindPetByID", r.Pattern, r.Handler)
					}
				}
			},
		},
		{
			fixture: "swagger", module: "example.com/swaggerapp", framework: "go-swagger", kind: facts.KindRouter, uses: 2,
			routes: []wantRoute{
				// The generated handler cache under the spec's basePath; the route belongs to
				// the operation handler the program assigns (a HandlerFunc delegating to pets,
				// a pets type), and sits where it is assigned.
				{"GET", "/api/v2/pets", "pets", "go-swagger"},
				{"DELETE", "/api/v2/pets/{id}", "pets", "go-swagger"},
			},
			extra: func(t *testing.T, f *facts.Facts) {
				for _, r := range f.Routes {
					if r.Site.File != "restapi/configure_petstore.go" {
						t.Errorf("route %s %s at %v, want the program's handler assignment in configure_petstore.go", r.Method, r.Pattern, r.Site)
					}
				}
				if len(f.Coverage.Unresolved) != 0 {
					t.Errorf("coverage lists call sites not read: %+v", f.Coverage.Unresolved)
				}
			},
		},
		{
			fixture: "grpc", module: "example.com/grpcapp", framework: "grpc", kind: facts.KindGRPC, uses: 2,
			routes: []wantRoute{
				// The ServiceName of the generated descriptor.
				{"", "/helloworld.v1.Greeter/", "greeter", "grpc"},
				// No literal descriptor: the generated package and RegisterHealthServer's name.
				{"", "/greeterpb.Health/", "greeter", "grpc"},
			},
			extra: func(t *testing.T, f *facts.Facts) {
				for _, r := range f.Routes {
					if r.Site.File != "cmd/server/main.go" {
						t.Errorf("gRPC service %s registered at %v, want the program's RegisterXServer call", r.Pattern, r.Site)
					}
				}
			},
		},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			f := loadFramework(t, tc.fixture)
			checkRoutes(t, f, tc.module, tc.routes, tc.unresolved)
			checkFramework(t, f, tc.framework, tc.kind, tc.uses)
			if tc.extra != nil {
				tc.extra(t, f)
			}
			checkGolden(t, "frameworks", tc.fixture, routeGolden{f.Routes, f.Coverage})
		})
	}
}

// checkUnresolved checks that the coverage lists exactly the given call sites of file as
// unresolved, each found by a text of its call or reason.
func checkUnresolved(t *testing.T, f *facts.Facts, file string, texts ...string) {
	t.Helper()
	for _, text := range texts {
		if !hasUnresolved(f, file, text) {
			t.Errorf("coverage does not list %q as unresolved: %+v", text, f.Coverage.Unresolved)
		}
	}
	if len(f.Coverage.Unresolved) != len(texts) {
		t.Errorf("coverage lists %d unresolved call sites, want %d: %+v", len(f.Coverage.Unresolved), len(texts), f.Coverage.Unresolved)
	}
}

func hasUnresolved(f *facts.Facts, file, text string) bool {
	for _, u := range f.Coverage.Unresolved {
		if u.Site.File == file && (strings.Contains(u.Why, text) || strings.Contains(u.Call, text)) {
			return true
		}
	}
	return false
}
