package analyze

import (
	"slices"
	"testing"

	"github.com/carve-dev/carve/analyze/internal/factstest"
)

// A package the kernel uses joins the kernel when it is itself a leaf library: a library cannot
// depend on a service. One that serves routes stays out.
func TestKernelIsClosedUnderItsDependencies(t *testing.T) {
	b := factstest.New("example.com/m")
	svcs := []string{"alpha", "beta", "gamma", "delta"}
	for _, s := range svcs {
		h, d := "example.com/m/"+s+"/web", "example.com/m/"+s
		b.Pkg(h, 100).Pkg(d, 100).Route(h, "GET", "/"+s)
		b.Use(h, d, 3)
		b.Use(h, "example.com/m/httpx", 5)
		b.Use(d, "example.com/m/httpx", 5)
	}
	b.Pkg("example.com/m/httpx", 50).Pkg("example.com/m/logging", 20)
	// logging is used by the kernel's httpx and by one service: without the closure it would
	// join that service and the kernel would depend on a service.
	b.Use("example.com/m/httpx", "example.com/m/logging", 4)
	b.Use("example.com/m/alpha", "example.com/m/logging", 2)
	p := propose(t, b.F, Options{})
	if want := []string{"example.com/m/httpx", "example.com/m/logging"}; !slices.Equal(p.Kernel, want) {
		t.Fatalf("kernel %v, want %v", p.Kernel, want)
	}

	// A dependency of the kernel that serves routes is a service's entry point, not library.
	b.Route("example.com/m/logging", "GET", "/debug/log")
	p = propose(t, b.F, Options{})
	if slices.Contains(p.Kernel, "example.com/m/logging") {
		t.Fatalf("kernel %v holds a package that serves routes", p.Kernel)
	}
}
