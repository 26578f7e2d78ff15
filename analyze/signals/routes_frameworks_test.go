package signals

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/carve-dev/carve/analyze/facts"
)

var update = flag.Bool("update", false, "rewrite the golden files")

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

func checkGolden(t *testing.T, name string, f *facts.Facts) {
	t.Helper()
	got, err := json.MarshalIndent(routeGolden{f.Routes, f.Coverage}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", "frameworks", name+".golden.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("routes differ from %s (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
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

func TestRoutesChi(t *testing.T) {
	f := loadFramework(t, "chi")
	checkRoutes(t, f, "example.com/chiapp", []wantRoute{
		// Mount of a sub-router built in another package, under a Route and a constant.
		{"POST", "/booking/v1/cargos/", "booking", "chi"},
		{"GET", "/booking/v1/cargos/", "booking", "chi"},
		{"GET", "/booking/v1/cargos/{trackingID}/", "booking", "chi"},
		{"POST", "/booking/v1/cargos/{trackingID}/change_destination", "booking", "chi"},
		{"GET", "/booking/v1/locations", "booking", "chi"},
		// Group adds no prefix.
		{"GET", "/healthz", "cmd/app", "chi"},
		// A prefix through a local variable, routes through a helper's router parameter.
		{"GET", "/tracking/cargos/{id}", "tracking", "chi"},
		// A router held in a struct field, mounted through the field.
		{"PUT", "/platform/flags/{name}", "platform", "chi"},
		// A prefix known at run time only: kept unresolved.
		{"GET", "/stats", "cmd/app", "chi"},
	}, map[string]string{"/stats": `os.Getenv("ADMIN_PREFIX")`})
	checkFramework(t, f, "chi", facts.KindRouter, 9)
	if !hasUnresolved(f, "cmd/app/main.go", "ADMIN_PREFIX") {
		t.Errorf("coverage does not list the unresolved prefix: %+v", f.Coverage.Unresolved)
	}
	checkGolden(t, "chi", f)
}

func TestRoutesGin(t *testing.T) {
	f := loadFramework(t, "gin")
	checkRoutes(t, f, "example.com/ginapp", []wantRoute{
		{"GET", "/ping", "cmd/app", "gin"},
		{"DELETE", "/cache", "cmd/app", "gin"},
		// A nested group passed to another package.
		{"GET", "/api/v1/orders", "orders", "gin"},
		{"POST", "/api/v1/orders/", "orders", "gin"},
		{"GET", "/api/v1/orders/:id", "orders", "gin"},
	}, nil)
	checkFramework(t, f, "gin", facts.KindRouter, 5)
	checkGolden(t, "gin", f)
}

func TestRoutesEcho(t *testing.T) {
	f := loadFramework(t, "echo")
	checkRoutes(t, f, "example.com/echoapp", []wantRoute{
		{"GET", "/health", "cmd/app", "echo"},
		{"PUT", "/settings", "cmd/app", "echo"},
		{"GET", "/api/orders", "orders", "echo"},
		{"POST", "/api/orders/:id/cancel", "orders", "echo"},
		// oapi-codegen's echo server: through the generated EchoRouter interface, on a group,
		// with a base URL; the route belongs to the implementation.
		{"GET", "/billing/v1/invoices", "billing", "echo"},
	}, nil)
	checkFramework(t, f, "echo", facts.KindRouter, 5)
	checkGolden(t, "echo", f)
}

func TestRoutesFiber(t *testing.T) {
	f := loadFramework(t, "fiber")
	checkRoutes(t, f, "example.com/fiberapp", []wantRoute{
		{"GET", "/health", "cmd/app", "fiber"},
		// Groups passed through the fiber.Router interface to another package.
		{"GET", "/api/v2/orders/", "orders", "fiber"},
		{"POST", "/api/v2/orders/:id/pay", "orders", "fiber"},
		{"PATCH", "/api/v2/orders/:id", "orders", "fiber"},
	}, nil)
	checkFramework(t, f, "fiber", facts.KindRouter, 4)
	checkGolden(t, "fiber", f)
}

func TestRoutesHTTPRouter(t *testing.T) {
	f := loadFramework(t, "httprouter")
	checkRoutes(t, f, "example.com/httprouterapp", []wantRoute{
		// Mounted with http.StripPrefix("/api", router).
		{"GET", "/api/users/:id", "users", "httprouter"},
		{"DELETE", "/api/users/:id", "users", "httprouter"},
		{"POST", "/api/users", "users", "httprouter"},
		// The mount itself is a ServeMux route of the main package.
		{"", "/api/", "cmd/app", "net/http"},
	}, nil)
	checkFramework(t, f, "httprouter", facts.KindRouter, 3)
	checkGolden(t, "httprouter", f)
}

func TestRoutesGoKit(t *testing.T) {
	f := loadFramework(t, "gokit")
	checkRoutes(t, f, "example.com/kitapp", []wantRoute{
		// The transport wraps the endpoint: the route belongs to the endpoint's package.
		{"POST", "/profiles", "profile", "net/http"},
		{"GET", "/profiles/{id}", "profile", "net/http"},
		{"", "/legacy", "cmd/app", "net/http"},
	}, nil)
	checkFramework(t, f, "go-kit", facts.KindRouter, 2)
	// A router carve does not read: its routing call is listed as not read, its mount is a
	// route of the main package.
	if !hasUnresolved(f, "cmd/app/main.go", "example.com/otherrouter.Router") {
		t.Errorf("coverage does not list the call on the unknown router: %+v", f.Coverage.Unresolved)
	}
	if len(f.Coverage.Unresolved) != 1 {
		t.Errorf("coverage lists %d call sites, want the unknown router's only (not the cache's Get): %+v", len(f.Coverage.Unresolved), f.Coverage.Unresolved)
	}
	checkGolden(t, "gokit", f)
}

func TestRoutesOpenAPI(t *testing.T) {
	f := loadFramework(t, "oapi")
	checkRoutes(t, f, "example.com/petstore", []wantRoute{
		// HandlerFromMuxWithBaseURL(&pets.Store{}, r, baseURL): the base URL on every route,
		// the routes belong to the implementation, not to the generated wrapper.
		{"GET", "/api/v3/pets", "pets", "chi"},
		{"POST", "/api/v3/pets", "pets", "chi"},
		{"GET", "/api/v3/pets/{id}", "pets", "chi"},
		// HandlerFromMux(NewStrictHandler(strict.Pets{}, nil), r): no base URL, the strict
		// implementation behind the generated adapter.
		{"GET", "/pets", "strict", "chi"},
		{"POST", "/pets", "strict", "chi"},
		{"GET", "/pets/{id}", "strict", "chi"},
	}, nil)
	for _, r := range f.Routes {
		if r.Package == "example.com/petstore/strict" {
			if r.Site.File != "cmd/strict/main.go" {
				t.Errorf("route %s %s registered at %v, want the program's HandlerFromMux call", r.Method, r.Pattern, r.Site)
			}
			continue
		}
		if r.Site.File != "cmd/app/main.go" {
			t.Errorf("route %s %s registered at %v, want the program's HandlerFromMuxWithBaseURL call", r.Method, r.Pattern, r.Site)
		}
		if r.Pattern == "/api/v3/pets/{id}" && r.Handler != "example.com/petstore/pets.Store.FindPetByID" {
			t.Errorf("route %s: handler %s, want the Store's FindPetByID", r.Pattern, r.Handler)
		}
	}
	checkGolden(t, "oapi", f)
}

func TestRoutesGRPC(t *testing.T) {
	f := loadFramework(t, "grpc")
	checkRoutes(t, f, "example.com/grpcapp", []wantRoute{
		// The ServiceName of the generated descriptor.
		{"", "/helloworld.v1.Greeter/", "greeter", "grpc"},
		// No literal descriptor: the generated package and RegisterHealthServer's name.
		{"", "/greeterpb.Health/", "greeter", "grpc"},
	}, nil)
	checkFramework(t, f, "grpc", facts.KindGRPC, 2)
	for _, r := range f.Routes {
		if r.Site.File != "cmd/server/main.go" {
			t.Errorf("gRPC service %s registered at %v, want the program's RegisterXServer call", r.Pattern, r.Site)
		}
	}
	checkGolden(t, "grpc", f)
}

func hasUnresolved(f *facts.Facts, file, text string) bool {
	for _, u := range f.Coverage.Unresolved {
		if u.Site.File == file && (strings.Contains(u.Why, text) || strings.Contains(u.Call, text)) {
			return true
		}
	}
	return false
}
