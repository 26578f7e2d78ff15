package config

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

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

// TestGenerateShadowRollout: --shadow and the --rollout-* flags give the route a shadow and a
// rollout that Parse reads back with the values given, the gates' dashes as underscores and
// the defaults filled in for what was not given.
func TestGenerateShadowRollout(t *testing.T) {
	p := shopPlan(t)
	b, err := Generate(p, FromPlan{Service: "orders", Monolith: "http://127.0.0.1:9000", Target: "http://127.0.0.1:9100",
		Shadow: 0.25, RolloutSteps: []int{10, 50, 100}, RolloutHold: 4 * time.Second,
		RolloutGates: map[string]string{"min-requests": "20", "max_p99_ratio": " 3 ", "max_diff_rate": "0.02"}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse("gen.yaml", b)
	if err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	r := c.Routes[0]
	if r.Shadow == nil || r.Shadow.Upstream != "orders" || r.Shadow.Sample != 0.25 || !slices.Equal(r.Shadow.Methods, []string{"GET", "HEAD"}) {
		t.Errorf("shadow = %+v, want orders, 0.25 of GET and HEAD", r.Shadow)
	}
	ro := r.Rollout
	if ro == nil {
		t.Fatalf("no rollout:\n%s", b)
	}
	want := Gates{MinRequests: 20, MaxP99Ratio: 3, MaxDiffRate: 0.02, MaxErrorRateRatio: DefaultMaxErrorRateRatio}
	if ro.Upstream != "orders" || !slices.Equal(ro.Steps, []int{10, 50, 100}) || ro.Hold.D() != 4*time.Second || ro.Gates != want {
		t.Errorf("rollout = %+v, want orders [10 50 100] 4s %+v", ro, want)
	}
	for _, s := range []string{"carve proxy diff orders", "carve proxy rollout status|pause|resume|abort orders"} {
		if !strings.Contains(string(b), s) {
			t.Errorf("config's comment lacks %q:\n%s", s, b)
		}
	}

	// A hold alone turns the rollout on with the default steps; neither flag, no rollout.
	b, err = Generate(p, FromPlan{Service: "orders", Monolith: "http://127.0.0.1:9000", Target: "http://127.0.0.1:9100", RolloutHold: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if c, err = Parse("gen.yaml", b); err != nil || c.Routes[0].Rollout == nil || !slices.Equal(c.Routes[0].Rollout.Steps, []int{1, 5, 25, 50, 100}) || c.Routes[0].Shadow != nil {
		t.Errorf("hold only: err %v, route %+v:\n%s", err, c.Routes[0], b)
	}
	b, err = Generate(p, FromPlan{Service: "orders", Monolith: "http://127.0.0.1:9000", Target: "http://127.0.0.1:9100"})
	if err != nil || strings.Contains(string(b), "rollout") || strings.Contains(string(b), "shadow") {
		t.Errorf("no flags: err %v, config:\n%s", err, b)
	}
}

func TestGenerateShadowRolloutBadInput(t *testing.T) {
	p := shopPlan(t)
	for _, tc := range []struct {
		name string
		mod  func(*FromPlan)
		msg  string
	}{
		{"shadow above 1", func(o *FromPlan) { o.Shadow = 1.5 }, "shadow sample 1.5: want a fraction above 0 and at most 1"},
		{"negative shadow", func(o *FromPlan) { o.Shadow = -0.1 }, "shadow sample -0.1"},
		{"falling steps", func(o *FromPlan) { o.RolloutSteps = []int{10, 5} }, "rollout steps [10 5]: step 2 is 5; steps are the service's rising percentages from 1 to 100"},
		{"step over 100", func(o *FromPlan) { o.RolloutSteps = []int{50, 150} }, "step 2 is 150"},
		{"step 0", func(o *FromPlan) { o.RolloutSteps = []int{0, 100} }, "step 1 is 0"},
		{"negative hold", func(o *FromPlan) { o.RolloutHold = -time.Second }, "rollout hold -1s: want a positive duration"},
		{"unknown gate", func(o *FromPlan) { o.RolloutGates = map[string]string{"max_latency": "2"} }, `rollout gate "max_latency": unknown; the gates are max_diff_rate, max_error_rate_ratio, max_p99_ratio, min_requests`},
		{"gate twice", func(o *FromPlan) { o.RolloutGates = map[string]string{"min-requests": "5", "min_requests": "6"} }, "rollout gate min_requests given twice"},
		{"min requests not a number", func(o *FromPlan) { o.RolloutGates = map[string]string{"min_requests": "many"} }, "rollout gate min_requests=many: want a whole number of requests from 1"},
		{"min requests 0", func(o *FromPlan) { o.RolloutGates = map[string]string{"min_requests": "0"} }, "min_requests=0"},
		{"ratio not a number", func(o *FromPlan) { o.RolloutGates = map[string]string{"max_p99_ratio": "fast"} }, "rollout gate max_p99_ratio=fast: want a positive number, e.g. max_p99_ratio=1.5"},
		{"negative ratio", func(o *FromPlan) { o.RolloutGates = map[string]string{"max_error_rate_ratio": "-2"} }, "max_error_rate_ratio=-2"},
		{"infinite ratio", func(o *FromPlan) { o.RolloutGates = map[string]string{"max_error_rate_ratio": "Inf"} }, "max_error_rate_ratio=Inf"},
		{"diff rate above 1", func(o *FromPlan) { o.Shadow = 0.1; o.RolloutGates = map[string]string{"max_diff_rate": "5"} }, "max_diff_rate=5: want the fraction of shadow copies that may differ"},
		{"diff rate without shadow", func(o *FromPlan) { o.RolloutGates = map[string]string{"max_diff_rate": "0.01"} }, "the diff rate comes from shadow traffic: add a shadow sample"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := FromPlan{Service: "orders", Monolith: "http://127.0.0.1:9000", Target: "http://127.0.0.1:9100"}
			tc.mod(&o)
			b, err := Generate(p, o)
			if err == nil {
				t.Fatalf("no error; config:\n%s", b)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q lacks %q", err, tc.msg)
			}
		})
	}
}
