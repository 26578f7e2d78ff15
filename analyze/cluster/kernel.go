package cluster

import (
	"math"

	"github.com/carve-dev/carve/analyze/graph"
)

// Kernel detection defaults. A shared kernel is a set of leaf utility packages used by most of
// the module (Bunch's "omnipresent modules"): logging, config, HTTP helpers, a shared model.
// Left in the graph, such a package is a hub that glues every service to every other; taken out,
// it is the library the services will share.
const (
	// DefaultKernelShare is the share of the module's other packages that must use a package
	// directly (by any use signal: imports, calls, types, implements, state) for it to be kernel.
	// A quarter, not a half: in a real monolith the platform packages (HTTP helpers, metrics,
	// the database wrapper) are used by every service's handler or store, not by every package.
	DefaultKernelShare = 0.25
	// KernelMinFanIn is the least number of packages that must use a kernel package, so that in
	// a small module a domain package its handler, its store and one adapter use is not taken
	// for a library.
	KernelMinFanIn = 5
	// KernelMaxFanOut is the most packages outside the kernel a kernel package may use: a kernel
	// package is a leaf (it may use other kernel packages). A package that serves routes (a
	// metrics or health endpoint) must use none.
	KernelMaxFanOut = 2
)

// DetectKernel returns which packages are kernel. forced marks packages the user declared kernel;
// barred marks packages that cannot be kernel (pinned to a service, kept together with others).
// share is the fan-in share (0: DefaultKernelShare).
func DetectKernel(g *graph.Graph, share float64, forced, barred []bool) []bool {
	if share <= 0 {
		share = DefaultKernelShare
	}
	n := len(g.Paths)
	kernel := make([]bool, n)
	if n == 0 {
		return kernel
	}
	need := max(KernelMinFanIn, int(math.Ceil(share*float64(n-1))))
	// fanOut[i] lists the packages i uses.
	fanOut := make([][]int, n)
	for to, users := range g.Uses {
		for _, from := range users {
			fanOut[from] = append(fanOut[from], to)
		}
	}
	for i := range n {
		switch {
		case forced[i]:
			kernel[i] = true
		case barred[i] || g.Info[i].Main:
		case len(g.Uses[i]) >= need:
			kernel[i] = true
		}
	}
	// A candidate that uses more than KernelMaxFanOut packages outside the kernel is not a leaf:
	// drop it and look again, since dropping one can break another's leafness.
	for changed := true; changed; {
		changed = false
		for i := range n {
			if !kernel[i] || forced[i] {
				continue
			}
			out := 0
			for _, j := range fanOut[i] {
				if !kernel[j] {
					out++
				}
			}
			// A package serving routes (a /metrics endpoint) or consuming a topic is kernel only as a
			// pure leaf.
			if out > KernelMaxFanOut || (out > 0 && g.Entry(i)) {
				kernel[i] = false
				changed = true
			}
		}
	}
	// The kernel is a library, and a library cannot depend on a service: a package a kernel
	// package uses joins the kernel when it serves no routes and itself uses only kernel
	// packages (the logging helper under the HTTP helpers).
	for changed := true; changed; {
		changed = false
		for i := range n {
			if !kernel[i] {
				continue
			}
			for _, j := range fanOut[i] {
				if kernel[j] || barred[j] || g.Info[j].Main || g.Entry(j) {
					continue
				}
				leaf := true
				for _, k := range fanOut[j] {
					if !kernel[k] {
						leaf = false
						break
					}
				}
				if leaf {
					kernel[j] = true
					changed = true
				}
			}
		}
	}
	return kernel
}
