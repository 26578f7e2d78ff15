package signals

import (
	"go/types"
	"testing"

	"github.com/carve-dev/carve/analyze/facts"
)

func TestRoutes(t *testing.T) {
	f := collect(t, "shop", Routes{})
	const p = "example.com/shop/"
	want := []facts.RouteDecl{
		{Package: p + "users", Method: "GET", Pattern: "/admin/users", Handler: "(*example.com/shop/users.Handler).List", Router: "gorilla/mux", Site: facts.Site{File: "users/users.go", Line: 23}},
		{Package: p + "users", Method: "POST", Pattern: "/admin/users", Handler: "(*example.com/shop/users.Handler).List", Router: "gorilla/mux", Site: facts.Site{File: "users/users.go", Line: 23}},
		// chi: a router returned by a function and mounted under a prefix.
		{Package: p + "payments", Method: "GET", Pattern: "/billing/refunds", Handler: "(*example.com/shop/payments.Handler).Refunds", Router: "chi", Site: facts.Site{File: "payments/payments.go", Line: 40}},
		{Package: p + "payments", Method: "PATCH", Pattern: "/billing/refunds/{id}", Handler: "(*example.com/shop/payments.Handler).Refunds", Router: "chi", Site: facts.Site{File: "payments/payments.go", Line: 41}},
		// Wrapped in a middleware: the route belongs to the wrapped handler.
		{Package: p + "cart", Method: "GET", Pattern: "/cart", Handler: "example.com/shop/cart.ServeCart", Router: "net/http", Site: facts.Site{File: "cmd/shop/main.go", Line: 37}},
		// A handler built by a constructor belongs to the constructor's package.
		{Package: p + "catalog", Pattern: "/catalog/", Handler: "example.com/shop/catalog.Handler", Router: "net/http", Site: facts.Site{File: "cmd/shop/main.go", Line: 36}},
		// A host pattern; a handler of the registering package.
		{Package: p + "cmd/shop", Pattern: "/health", Host: "shop.example.com", Handler: "example.com/shop/cmd/shop.health", Router: "net/http", Site: facts.Site{File: "cmd/shop/main.go", Line: 38}},
		// gorilla/mux, route first: r.Path(p).Methods(m).HandlerFunc(h).
		{Package: p + "users", Method: "GET", Pattern: "/me", Handler: "(*example.com/shop/users.Handler).Me", Router: "gorilla/mux", Site: facts.Site{File: "users/users.go", Line: 31}},
		// http.HandlerFunc(oh.Create): the method value's package, not main's.
		{Package: p + "orders", Method: "POST", Pattern: "/orders", Handler: "(*example.com/shop/orders.Handler).Create", Router: "net/http", Site: facts.Site{File: "cmd/shop/main.go", Line: 35}},
		{Package: p + "orders", Method: "GET", Pattern: "/orders/{id}", Handler: "(*example.com/shop/orders.Handler).Get", Router: "net/http", Site: facts.Site{File: "cmd/shop/main.go", Line: 34}},
		// chi: r.Route prefix, and r.With(mw).Post.
		{Package: p + "payments", Method: "POST", Pattern: "/payments/", Handler: "(*example.com/shop/payments.Handler).Create", Router: "chi", Site: facts.Site{File: "payments/payments.go", Line: 30}},
		{Package: p + "payments", Method: "GET", Pattern: "/payments/{id}", Handler: "(*example.com/shop/payments.Handler).Get", Router: "chi", Site: facts.Site{File: "payments/payments.go", Line: 29}},
		// Through the shared server's Route (one wrapper) and Get (a wrapper of a wrapper):
		// the pattern and handler are the callers' arguments, the site the outermost call.
		{Package: p + "catalog", Method: "GET", Pattern: "/products", Handler: "example.com/shop/catalog.List", Router: "net/http", Site: facts.Site{File: "catalog/catalog.go", Line: 34}},
		{Package: p + "catalog", Method: "GET", Pattern: "/products/{sku}", Handler: "example.com/shop/catalog.Get", Router: "net/http", Site: facts.Site{File: "catalog/catalog.go", Line: 33}},
		{Package: p + "users", Method: "GET", Pattern: "/users/{id}", Handler: "(*example.com/shop/users.Handler).Get", Router: "gorilla/mux", Site: facts.Site{File: "users/users.go", Line: 21}},
	}
	if len(f.Routes) != len(want) {
		t.Fatalf("got %d routes, want %d: %+v", len(f.Routes), len(want), f.Routes)
	}
	for i := range want {
		if f.Routes[i] != want[i] {
			t.Errorf("route %d:\n got %+v\nwant %+v", i, f.Routes[i], want[i])
		}
	}
}

func TestSplitServeMuxPattern(t *testing.T) {
	cases := []struct{ in, method, host, path string }{
		{"/orders/", "", "", "/orders/"},
		{"GET /orders/{id}", "GET", "", "/orders/{id}"},
		{"POST example.com/orders", "POST", "example.com", "/orders"},
		{"example.com/", "", "example.com", "/"},
		{"GET  /x/{rest...}", "GET", "", "/x/{rest...}"},
		{"example.com", "", "example.com", ""},
	}
	for _, c := range cases {
		m, h, p := splitServeMuxPattern(c.in)
		if m != c.method || h != c.host || p != c.path {
			t.Errorf("splitServeMuxPattern(%q) = %q, %q, %q; want %q, %q, %q", c.in, m, h, p, c.method, c.host, c.path)
		}
	}
}

func FuzzSplitServeMuxPattern(f *testing.F) {
	for _, s := range []string{"GET /a/{b}", "h.com/x", " ", "/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, h, p := splitServeMuxPattern(s)
		if p != "" && p[0] != '/' {
			t.Fatalf("%q: path %q does not start with /", s, p)
		}
		if len(m)+len(h)+len(p) > len(s) {
			t.Fatalf("%q: parts longer than the pattern", s)
		}
	})
}

func TestJoinPath(t *testing.T) {
	cases := [][3]string{{"", "/a", "/a"}, {"/a", "/b", "/a/b"}, {"/a/", "/b", "/a/b"}, {"/a", "/", "/a/"}, {"/a", "", "/a"}, {"/a", "b", "/a/b"}}
	for _, c := range cases {
		if got := joinPath(c[0], c[1]); got != c[2] {
			t.Errorf("joinPath(%q, %q) = %q, want %q", c[0], c[1], got, c[2])
		}
	}
}

func TestRouterOf(t *testing.T) {
	cases := map[string]string{
		"github.com/go-chi/chi":               "chi",
		"github.com/go-chi/chi/v5":            "chi",
		"github.com/go-chi/chi/v5/middleware": "chi",
		"github.com/labstack/echo":            "echo",
		"github.com/labstack/echo/v4":         "echo",
		"github.com/gofiber/fiber/v2":         "fiber",
		"github.com/gin-gonic/gin":            "gin",
		"github.com/gin-gonic/gin-contrib":    "",
		"github.com/go-chi/chirouter":         "",
		"net/http":                            "net/http",
		"net/http/httptest":                   "",
		"example.com/gin":                     "",
	}
	for path, want := range cases {
		r := routerOfPkg(types.NewPackage(path, "p"))
		got := ""
		if r != nil {
			got = r.name
		}
		if got != want {
			t.Errorf("routerOfPkg(%q) = %q, want %q", path, got, want)
		}
	}
}
