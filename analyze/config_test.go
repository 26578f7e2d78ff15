package analyze

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/carve-dev/carve/internal/yamlcfg/yamlcfgtest"

	"github.com/carve-dev/carve/analyze/facts"
	"github.com/carve-dev/carve/analyze/load"
)

func mustConfig(t *testing.T, yaml string) *Config {
	t.Helper()
	c, err := ParseConfig("carve.yaml", []byte(yaml))
	if err != nil {
		t.Fatalf("ParseConfig: %v", err)
	}
	return c
}

func TestParseConfig(t *testing.T) {
	c := mustConfig(t, `# constraints
services:
  orders: [example.com/shop/orders, example.com/shop/orders/...]
  users:
    - example.com/shop/users
together:
  - [example.com/shop/cart, example.com/shop/checkout]
apart: [[example.com/shop/users, example.com/shop/auth]]
kernel: [example.com/shop/platform/...]
signals: {imports: 1, calls: 2.5}
`)
	if len(c.Services) != 2 || c.Services[0].Name != "orders" || len(c.Services[0].Packages) != 2 || c.Services[1].Packages[0].Line != 5 {
		t.Errorf("services %+v", c.Services)
	}
	if len(c.Together) != 1 || len(c.Apart) != 1 || len(c.Kernel) != 1 || c.Kernel[0].Line != 9 {
		t.Errorf("together %+v apart %+v kernel %+v", c.Together, c.Apart, c.Kernel)
	}
	if c.Signals["calls"] != 2.5 || c.Signals["imports"] != 1 {
		t.Errorf("signals %v", c.Signals)
	}
	for _, empty := range []string{"", "# nothing\n", "~\n"} {
		if c, err := ParseConfig("carve.yaml", []byte(empty)); err != nil || len(c.Services) != 0 {
			t.Errorf("empty config %q: %v", empty, err)
		}
	}
}

func TestParseConfigErrors(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"unknown key", "services: {}\nservice:\n  a: [x]\n", `carve.yaml:2: unknown key "service"`},
		{"not a mapping", "- a\n", "carve.yaml:1: a list where a mapping is expected"},
		{"bad yaml", "services: [\n", "not valid YAML"},
		{"service name", "services:\n  Orders: [a/b]\n", `carve.yaml:2: services.Orders: service name "Orders" must start with a lower-case letter`},
		{"service not a list", "services:\n  orders: a/b\n", `carve.yaml:2: services.orders: "a/b" is a string where a list is expected`},
		{"empty service", "services:\n  orders: []\n", "carve.yaml:2: services.orders: lists no package"},
		{"number path", "kernel: [3]\n", `carve.yaml:1: kernel[0]: "3" is not an import path`},
		{"directory", "kernel: [./platform]\n", "is a directory; write the import path"},
		{"wildcard", "kernel: [example.com/*/x]\n", "is not an import path pattern"},
		{"together of one", "together: [[a/b]]\n", "carve.yaml:1: together[0]: each together entry needs at least two packages"},
		{"apart not nested", "apart: a/b\n", `carve.yaml:1: apart: "a/b" is a string where a list is expected`},
		{"unknown signal", "signals: {calls: 1, vibes: 2}\n", `carve.yaml:1: signals.vibes: unknown signal "vibes"`},
		{"negative weight", "signals:\n  calls: -1\n", "carve.yaml:2: signals.calls: weight -1"},
		{"string weight", "signals:\n  calls: lots\n", `carve.yaml:2: signals.calls: "lots" is a string where a number is expected`},
		{"pinned twice", "services:\n  a: [x/y]\n  b: [x/y]\n", `carve.yaml:3: x/y is pinned to service "b" here and to "a" at line 2`},
		{"pinned and kernel", "services:\n  a: [x/y]\nkernel: [x/y]\n", `carve.yaml:3: x/y is marked kernel here and pinned to service "a" at line 2`},
		{"duplicate key", "kernel: [a/b]\nkernel: [c/d]\n", `carve.yaml:2: key "kernel" appears twice`},
		{"two documents", "kernel: [a/b]\n---\nkernel: [c/d]\n", "carve.yaml:2: a second YAML document"},
		{"unknown key with suggestion", "kernal: [a/b]\n", `carve.yaml:1: unknown key "kernal": did you mean "kernel"? (see docs/plan.md)`},
		{"wrong type", "roots: {a: b}\n", "carve.yaml:1: roots: a mapping where a list is expected"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseConfig("carve.yaml", []byte(c.in))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
	// Every error of a file is reported, not only the first, in line order.
	_, err := ParseConfig("carve.yaml", []byte("signals: {vibes: 1}\nbogus: 1\nkernel: [./x, 7]\ntogether: [[a/b]]\n"))
	want := []string{
		`carve.yaml:1: signals.vibes: unknown signal "vibes"`,
		`carve.yaml:2: unknown key "bogus"`,
		`carve.yaml:3: kernel[1]: "7" is not an import path`,
		`carve.yaml:3: kernel[0]: "./x" is a directory`,
		`carve.yaml:4: together[0]: each together entry needs at least two packages`,
	}
	if err == nil {
		t.Fatal("accepted")
	}
	yamlcfgtest.WantProblems(t, err, want...)
}

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "carve.yaml")
	if err := os.WriteFile(name, []byte("kernel: [a/b]\nextra: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadConfig(name); err == nil || !strings.Contains(err.Error(), name+":2:") {
		t.Fatalf("LoadConfig = %v, want an error at %s:2", err, name)
	}
	if _, err := LoadConfig(filepath.Join(dir, "none.yaml")); err == nil || !strings.Contains(err.Error(), "read config") {
		t.Fatalf("missing file: %v", err)
	}
}

// TestResolveConflicts: contradictions that only show against the module's packages.
func TestResolveConflicts(t *testing.T) {
	paths := []string{"m/a", "m/a/x", "m/b", "m/c"}
	cases := []struct{ name, in, want string }{
		{"no match", "kernel: [m/zzz]\n", "carve.yaml:1: kernel: m/zzz matches no package of the module"},
		{"pinned twice via pattern", "services:\n  s1: [m/a/...]\n  s2: [m/a/x]\n", `carve.yaml:3: m/a/x is pinned to service "s2" here and to "s1" at line 2`},
		{"pinned and kernel via pattern", "kernel: [m/a/...]\nservices:\n  s: [m/a/x]\n", `m/a/x is pinned to service "s" here and marked kernel at line 1`},
		{"together and apart", "together: [[m/a, m/b]]\napart: [[m/a, m/b]]\n", "carve.yaml:2: apart: m/a and m/b must be apart here but are kept together (line 1)"},
		{"together transitively", "together: [[m/a, m/b], [m/b, m/c]]\napart: [[m/a, m/c]]\n", "m/a and m/c must be apart"},
		{"same service and apart", "services:\n  s: [m/a, m/b]\napart: [[m/a, m/b]]\n", `both pinned to service "s"`},
		{"two pins together", "services:\n  s1: [m/a]\n  s2: [m/b]\ntogether: [[m/a, m/b]]\n", "the two services cannot both hold"},
		{"apart from itself", "apart: [[m/a/..., m/a/x]]\n", "cannot be apart from itself"},
		{"kernel together", "kernel: [m/a]\ntogether: [[m/a, m/b]]\n", "together: m/a is marked kernel"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := mustConfig(t, c.in).resolve(paths)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
}

// TestConstraintsHonoured: each kind of constraint holds exactly in the plan, including those
// that go against the coupling.
func TestConstraintsHonoured(t *testing.T) {
	f := shopFacts()
	t.Run("pin", func(t *testing.T) {
		// Pin the users store to a service named billing, and orders' handler with payments.
		cfg := mustConfig(t, "services:\n  billing: [example.com/shop/users/store]\n  payments: [example.com/shop/orders/http, example.com/shop/payments/...]\n")
		p := propose(t, f, Options{Config: cfg})
		if got := serviceOf(t, p, shop+"/users/store"); got != "billing" {
			t.Errorf("users/store in %q, want billing", got)
		}
		for _, pkg := range []string{shop + "/orders/http", shop + "/payments", shop + "/payments/http", shop + "/payments/store"} {
			if got := serviceOf(t, p, pkg); got != "payments" {
				t.Errorf("%s in %q, want payments", pkg, got)
			}
		}
	})
	t.Run("together", func(t *testing.T) {
		cfg := mustConfig(t, "together: [[example.com/shop/orders/store, example.com/shop/users/http]]\n")
		p := propose(t, f, Options{Config: cfg})
		if a, b := serviceOf(t, p, shop+"/orders/store"), serviceOf(t, p, shop+"/users/http"); a != b {
			t.Errorf("together: %q and %q", a, b)
		}
	})
	t.Run("apart", func(t *testing.T) {
		cfg := mustConfig(t, "apart: [[example.com/shop/orders, example.com/shop/orders/store, example.com/shop/orders/http]]\n")
		p := propose(t, f, Options{Config: cfg})
		a, b, c := serviceOf(t, p, shop+"/orders"), serviceOf(t, p, shop+"/orders/store"), serviceOf(t, p, shop+"/orders/http")
		if a == b || b == c || a == c {
			t.Errorf("apart: %q %q %q", a, b, c)
		}
		// Apart holds even when a target count asks for fewer services.
		p = propose(t, f, Options{Config: cfg, Services: 1})
		if len(p.Services) != 3 || !slices.ContainsFunc(p.Warnings, func(w string) bool { return strings.Contains(w, "keep 3 apart") }) {
			t.Errorf("Services 1 with a 3-way apart: %d services, warnings %v", len(p.Services), p.Warnings)
		}
	})
	t.Run("kernel", func(t *testing.T) {
		cfg := mustConfig(t, "kernel: [example.com/shop/users/...]\n")
		p := propose(t, f, Options{Config: cfg})
		for _, pkg := range []string{shop + "/users", shop + "/users/http", shop + "/users/store"} {
			if !slices.Contains(p.Kernel, pkg) {
				t.Errorf("%s not in kernel %v", pkg, p.Kernel)
			}
		}
	})
	t.Run("signals", func(t *testing.T) {
		cfg := mustConfig(t, "signals: {calls: 3}\n")
		p := propose(t, f, Options{Config: cfg, Signals: map[string]float64{facts.SignalTypes: 0}})
		if p.Settings.Signals[facts.SignalCalls] != 3 || p.Settings.Signals[facts.SignalTypes] != 0 || p.Settings.Signals[facts.SignalImports] != 1 {
			t.Errorf("weights %v: want calls 3 (config), types 0 (options), imports 1 (default)", p.Settings.Signals)
		}
	})
	t.Run("unknown package", func(t *testing.T) {
		cfg := mustConfig(t, "together: [[example.com/shop/orders, example.com/shop/order]]\n")
		if _, err := Propose(f, Options{Config: cfg}); !load.IsInputError(err) || !strings.Contains(err.Error(), "example.com/shop/order matches no package") {
			t.Fatalf("got %v", err)
		}
	})
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte("services:\n  a: [x/y]\ntogether: [[a/b, c/d]]\nsignals: {calls: 1}\n"))
	f.Add([]byte("apart: [[a, b], [c]]\nkernel: [x/...]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig("carve.yaml", data)
		if err != nil {
			return
		}
		for _, s := range c.Services {
			if !serviceNameRE.MatchString(s.Name) {
				t.Fatalf("accepted service name %q", s.Name)
			}
		}
		_, _ = c.resolve([]string{"x/y", "a/b", "c/d"})
	})
}
