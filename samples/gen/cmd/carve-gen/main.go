// Command carve-gen writes a synthetic Go monolith with a planted decomposition: a Go module (or
// workspace) of K services × P packages, kernel packages and a main package, laid out as -layout
// says, with truth.json (package → service, or "shared") beside go.mod. See package
// github.com/carve-dev/carve/samples/gen.
//
//	go run ./samples/gen/cmd/carve-gen -k 8 -p 10 -mu 0.3 -kernel 3 -seed 1 -out DIR
//	go run ./samples/gen/cmd/carve-gen -k 5 -p 8 -layout hexagonal,generated,tools -blind -out DIR
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/carve-dev/carve/samples/gen"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("carve-gen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		o          gen.Options
		out        string
		meaningful bool
		quiet      bool
	)
	fs.IntVar(&o.Services, "k", gen.DefaultServices, "number of services `K`")
	fs.IntVar(&o.PackagesPerService, "p", gen.DefaultPackages, "packages per service `P` (at least 2)")
	fs.Float64Var(&o.Mixing, "mu", 0.3, "mixing `μ`: share of a package's coupling that crosses services, in [0, 1)")
	fs.IntVar(&o.Kernel, "kernel", gen.DefaultKernel, "kernel (shared utility) packages; 0 for none")
	fs.Uint64Var(&o.Seed, "seed", 1, "random seed: the same options write the same files")
	fs.IntVar(&o.LinesPerPackage, "lines", gen.DefaultLinesPerPackage, "lines of Go per service package, at least (filler tops up the coupling code)")
	fs.IntVar(&o.Degree, "degree", gen.DefaultDegree, "mean number of packages a package is coupled with")
	fs.IntVar(&o.TablesPerService, "tables", gen.DefaultTablesPerService, "tables each service owns; 0 for none")
	fs.StringVar(&o.Module, "module", gen.DefaultModule, "module path of the generated module")
	fs.BoolVar(&meaningful, "meaningful", false, "name packages service/role (orders/store) instead of pNNN")
	fs.StringVar(&o.Layout, "layout", gen.LayoutFlat, "comma-separated layout features: "+strings.Join(gen.LayoutFeatures(), ", ")+" (see the package doc)")
	fs.BoolVar(&o.Blind, "blind", false, "path-blind: neutral directory, package and file names (d17, p17, f1.go), same tree shape and code")
	fs.StringVar(&out, "out", "", "output `DIR` (must not exist or be empty)")
	fs.BoolVar(&quiet, "q", false, "print nothing on success")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: carve-gen [flags] -out DIR\n\nWrites a synthetic Go monolith with a planted decomposition (truth.json).\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if out == "" || fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	// In Options zero means "default"; on the command line 0 means none.
	if o.Kernel == 0 {
		o.Kernel = -1
	}
	if o.TablesPerService == 0 {
		o.TablesPerService = -1
	}
	if meaningful {
		o.Naming = gen.Meaningful
	}
	res, err := gen.Generate(out, o)
	if err != nil {
		fmt.Fprintln(stderr, "carve-gen:", err)
		return 1
	}
	if !quiet {
		st := res.Stats
		fmt.Fprintf(stdout, "%s: %d packages (%d services × %d, %d kernel, 1 main%s), %d files, %d lines\n",
			out, st.Packages, res.Options.Services, res.Options.PackagesPerService, len(res.Kernel), extras(res), st.Files, st.Lines)
		fmt.Fprintf(stdout, "coupling: %d units over %d package pairs, %.3f of units and %.3f of pairs across services (asked %.3f); tables: %d accesses, %d across; %d routes\n",
			st.Units, st.Edges, st.Mixing, st.EdgeMixing, res.Options.Mixing, st.TableAccesses, st.CrossTableAccesses, st.Routes)
	}
	return 0
}

// extras describes the packages a layout adds beyond services, kernel and the composition root.
func extras(res *gen.Result) string {
	var b strings.Builder
	for _, x := range []struct {
		n    int
		what string
	}{{len(res.ServiceMains), "service mains"}, {len(res.Stubs), "stub packages"}, {len(res.Tools), "tools"}} {
		if x.n > 0 {
			fmt.Fprintf(&b, ", %d %s", x.n, x.what)
		}
	}
	if res.Options.Layout != gen.LayoutFlat {
		fmt.Fprintf(&b, "; layout %s", res.Options.Layout)
	}
	return b.String()
}
