package analyze

import (
	"slices"
	"testing"
)

// A package the kernel uses joins the kernel when it is itself a leaf library: a library cannot
// depend on a service. One that serves routes stays out.
func TestKernelIsClosedUnderItsDependencies(t *testing.T) {
	b := newFacts("example.com/m")
	svcs := []string{"alpha", "beta", "gamma", "delta"}
	for _, s := range svcs {
		h, d := "example.com/m/"+s+"/web", "example.com/m/"+s
		b.pkg(h, 100).pkg(d, 100).route(h, "GET", "/"+s)
		b.use(h, d, 3)
		b.use(h, "example.com/m/httpx", 5)
		b.use(d, "example.com/m/httpx", 5)
	}
	b.pkg("example.com/m/httpx", 50).pkg("example.com/m/logging", 20)
	// logging is used by the kernel's httpx and by one service: without the closure it would
	// join that service and the kernel would depend on a service.
	b.use("example.com/m/httpx", "example.com/m/logging", 4)
	b.use("example.com/m/alpha", "example.com/m/logging", 2)
	p := propose(t, b.f, Options{})
	if want := []string{"example.com/m/httpx", "example.com/m/logging"}; !slices.Equal(p.Kernel, want) {
		t.Fatalf("kernel %v, want %v", p.Kernel, want)
	}

	// A dependency of the kernel that serves routes is a service's entry point, not library.
	b.route("example.com/m/logging", "GET", "/debug/log")
	p = propose(t, b.f, Options{})
	if slices.Contains(p.Kernel, "example.com/m/logging") {
		t.Fatalf("kernel %v holds a package that serves routes", p.Kernel)
	}
}
