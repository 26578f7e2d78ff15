package config

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/carve-dev/carve/analyze/plan"
)

func shopPlan(t *testing.T) *plan.Plan {
	t.Helper()
	p, err := plan.ReadFile(filepath.Join("..", "..", "analyze", "render", "testdata", "shop.plan.json"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestGenerateFromPlan: every service of the sample shop's plan that has routes gets a config
// that parses, whose one route holds exactly the service's patterns, split 0/100, sticky by a
// cookie, with health checks on both upstreams.
func TestGenerateFromPlan(t *testing.T) {
	p := shopPlan(t)
	for _, svc := range p.Services {
		if len(svc.Routes) == 0 {
			continue
		}
		t.Run(svc.Name, func(t *testing.T) {
			b, err := Generate(p, FromPlan{Service: svc.Name, Monolith: "http://127.0.0.1:9000", Target: "http://127.0.0.1:9100"})
			if err != nil {
				t.Fatal(err)
			}
			c, err := Parse("gen.yaml", b)
			if err != nil {
				t.Fatalf("%v\n%s", err, b)
			}
			if len(c.Routes) != 1 {
				t.Fatalf("routes = %d, want 1", len(c.Routes))
			}
			r := c.Routes[0]
			var want []string
			for _, pr := range svc.Routes {
				want = append(want, RoutePattern(pr))
			}
			slices.Sort(want)
			want = slices.Compact(want)
			got := slices.Clone(r.Match.Paths)
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("paths = %v, want %v", got, want)
			}
			if r.Split[svc.Name] != 0 || r.Split["monolith"] != 100 {
				t.Errorf("split = %v, want %s 0, monolith 100", r.Split, svc.Name)
			}
			if r.Sticky == nil || r.Sticky.Cookie != "carve-"+svc.Name {
				t.Errorf("sticky = %+v, want cookie carve-%s", r.Sticky, svc.Name)
			}
			for _, u := range []string{"monolith", svc.Name} {
				if up := c.Upstreams[u]; up == nil || up.Health == nil || up.Health.Path != "/healthz" {
					t.Errorf("upstream %s: want a /healthz check, got %+v", u, up)
				}
			}
			if c.Default != "monolith" {
				t.Errorf("default = %q", c.Default)
			}
		})
	}
}

func TestGenerateFromPlanBadInput(t *testing.T) {
	p := shopPlan(t)
	ok := FromPlan{Service: "orders", Monolith: "http://127.0.0.1:9000", Target: "http://127.0.0.1:9100"}
	noRoutes := *p
	noRoutes.Services = slices.Clone(p.Services)
	for i := range noRoutes.Services {
		if noRoutes.Services[i].Name == "orders" {
			noRoutes.Services[i].Routes = nil
		}
	}
	for _, tc := range []struct {
		name string
		p    *plan.Plan
		mod  func(*FromPlan)
		is   error
		msg  string
	}{
		{"unknown service", p, func(o *FromPlan) { o.Service = "billing" }, ErrUnknownService, `unknown service "billing": the plan has cart, catalog, inventory, notifications, orders, payments, shipping, users`},
		{"no routes", &noRoutes, nil, ErrNoRoutes, `"orders" serves no HTTP routes in the plan`},
		{"bad monolith", p, func(o *FromPlan) { o.Monolith = "127.0.0.1:9000" }, nil, `monolith URL "127.0.0.1:9000"`},
		{"bad target", p, func(o *FromPlan) { o.Target = "http://x/?q=1" }, nil, `target URL`},
		{"bad weight", p, func(o *FromPlan) { o.Weight = 101 }, nil, "weight 101"},
		{"bad listen", p, func(o *FromPlan) { o.Listen = "8080" }, nil, `listen address "8080"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := ok
			if tc.mod != nil {
				tc.mod(&o)
			}
			_, err := Generate(tc.p, o)
			if err == nil {
				t.Fatal("no error")
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v is not %v", err, tc.is)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q lacks %q", err, tc.msg)
			}
		})
	}
}

// TestGenerateFromPlanGRPC: a service serving gRPC gets its services as path prefix routes that
// the proxy matches for every method of the service, with a note that gRPC needs the TLS
// listener; a route whose prefix the plan does not know is left out and listed.
func TestGenerateFromPlanGRPC(t *testing.T) {
	p := plan.New("example.com/grpcapp")
	p.Services = []plan.Service{{Name: "greeter", Packages: []string{"example.com/grpcapp/greeter"}, Routes: []plan.Route{
		{Pattern: "/helloworld.v1.Greeter/", Router: "grpc", Package: "example.com/grpcapp/greeter"},
		{Method: "GET", Pattern: "/greetings", Router: "chi", Package: "example.com/grpcapp/greeter"},
		{Method: "GET", Pattern: "/stats", Router: "chi", PrefixUnresolved: true, PrefixExpr: `os.Getenv("P")`},
	}}}
	b, err := Generate(p, FromPlan{Service: "greeter", Monolith: "http://127.0.0.1:9000", Target: "http://127.0.0.1:9100"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse("gen.yaml", b)
	if err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	if got, want := c.Routes[0].Match.Paths, []string{"/helloworld.v1.Greeter/", "GET /greetings"}; !slices.Equal(got, want) {
		t.Errorf("paths = %v, want %v", got, want)
	}
	for _, want := range []string{"serves gRPC (/helloworld.v1.Greeter/)", "TLS listener", `Not moved: 1 route(s)`, `GET /stats under os.Getenv("P")`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("config lacks %q:\n%s", want, b)
		}
	}
	tb, err := c.Table()
	if err != nil {
		t.Fatal(err)
	}
	if i := tb.MatchParts("POST", "", "/helloworld.v1.Greeter/SayHello"); i != 0 {
		t.Errorf("POST /helloworld.v1.Greeter/SayHello matches route %d, want the service's (0)", i)
	}
	if i := tb.MatchParts("POST", "", "/other.Service/Call"); i == 0 {
		t.Errorf("another gRPC service matches the service's route")
	}

	// Only unresolved routes: nothing to move, and the error says why.
	p.Services[0].Routes = p.Services[0].Routes[2:]
	if _, err := Generate(p, FromPlan{Service: "greeter", Monolith: "http://127.0.0.1:9000", Target: "http://127.0.0.1:9100"}); !errors.Is(err, ErrNoRoutes) || !strings.Contains(err.Error(), "could not resolve") {
		t.Errorf("err = %v, want ErrNoRoutes saying the prefix could not be resolved", err)
	}
}
