// Package render turns a plan into what people and tools read: a text report, JSON, a Graphviz
// DOT graph or a Mermaid flowchart of the proposed services. Renderers are views over the same
// plan.Plan; none of them changes it.
package render

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/carve-dev/carve/analyze/plan"
)

// Formats lists the output formats, in the order --help shows them.
var Formats = []string{"text", "json", "dot", "mermaid"}

// Options tune the text renderer.
type Options struct {
	// Color enables ANSI colour (only on a terminal and never when NO_COLOR is set: the caller
	// decides).
	Color bool
	// Verbose lists every package and route instead of a summary.
	Verbose bool
	// Detail chooses what a picture (dot, mermaid) shows: DetailAuto, DetailServices or
	// DetailPackages.
	Detail string
	// Focus draws one service's packages and its neighbouring services.
	Focus string
	// Refs draws the dependencies made of references only (types, state), no calls.
	Refs bool
}

// Render writes p to w in the named format.
func Render(w io.Writer, format string, p *plan.Plan, opts Options) error {
	switch format {
	case "text", "":
		return Text(w, p, opts)
	case "json":
		return p.Write(w)
	case "dot", "mermaid":
		return picture(w, format, p, opts)
	default:
		return fmt.Errorf("unknown output format %q: use one of %s", format, strings.Join(Formats, ", "))
	}
}

// shortPath trims the module path from an import path for display.
func shortPath(module, path string) string {
	if path == module {
		return "."
	}
	if rest, ok := strings.CutPrefix(path, module+"/"); ok {
		return rest
	}
	return path
}

// sortedEdges returns the service edges heaviest first, then by name, for stable output.
func sortedEdges(p *plan.Plan) []plan.Edge {
	edges := append([]plan.Edge(nil), p.Edges...)
	sort.SliceStable(edges, func(i, j int) bool {
		wi, wj := edges[i].Calls+edges[i].Refs, edges[j].Calls+edges[j].Refs
		if wi != wj {
			return wi > wj
		}
		if edges[i].From != edges[j].From {
			return edges[i].From < edges[j].From
		}
		return edges[i].To < edges[j].To
	})
	return edges
}

// picture draws p as DOT or Mermaid at the detail opts asks for.
func picture(w io.Writer, format string, p *plan.Plan, opts Options) error {
	switch opts.Detail {
	case DetailAuto, DetailServices, DetailPackages:
	default:
		return fmt.Errorf("unknown detail %q: use services or packages", opts.Detail)
	}
	if opts.Focus != "" {
		q, ok := focus(p, opts.Focus)
		if !ok {
			return fmt.Errorf("--focus %s: the plan has no such service; it has %s", opts.Focus, strings.Join(p.ServiceNames(), ", "))
		}
		p = q
	}
	service := serviceLevel(p, opts)
	switch {
	case format == "dot" && service:
		return dotServices(w, p, opts)
	case format == "dot":
		return dotPackages(w, p, opts)
	case service:
		return mermaidServices(w, p, opts)
	default:
		return mermaidPackages(w, p, opts)
	}
}
