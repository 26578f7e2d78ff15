package render

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/carve-dev/carve/analyze/plan"
)

// DOT writes the services as a Graphviz digraph: one cluster per service holding its packages,
// the kernel as a separate cluster, and one edge per service dependency labelled with its calls.
func DOT(w io.Writer, p *plan.Plan) error {
	ew := &errWriter{w: w}
	fmt.Fprintf(ew, "digraph carve {\n  label=%s;\n  labelloc=t;\n  rankdir=LR;\n  compound=true;\n  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n", strconv.Quote(p.Module))
	anchor := map[string]string{} // service → a node inside its cluster, for lhead/ltail
	for i, s := range p.Services {
		fmt.Fprintf(ew, "  subgraph cluster_%d {\n    label=%s;\n    style=filled;\n    color=\"#dfe7f2\";\n", i, strconv.Quote(s.Name))
		if len(s.Packages) == 0 {
			id := "svc_" + strconv.Itoa(i)
			fmt.Fprintf(ew, "    %s [label=%s];\n", id, strconv.Quote(s.Name))
			anchor[s.Name] = id
		}
		for _, pkg := range s.Packages {
			fmt.Fprintf(ew, "    %s [label=%s];\n", strconv.Quote(pkg), strconv.Quote(shortPath(p.Module, pkg)))
			if _, ok := anchor[s.Name]; !ok {
				anchor[s.Name] = strconv.Quote(pkg)
			}
		}
		fmt.Fprintln(ew, "  }")
	}
	if len(p.Kernel) > 0 {
		fmt.Fprintf(ew, "  subgraph cluster_kernel {\n    label=\"kernel (shared library)\";\n    style=dashed;\n")
		for _, k := range p.Kernel {
			fmt.Fprintf(ew, "    %s [label=%s, style=\"rounded,dashed\"];\n", strconv.Quote(k), strconv.Quote(shortPath(p.Module, k)))
		}
		fmt.Fprintln(ew, "  }")
	}
	for _, e := range sortedEdges(p) {
		from, to := anchor[e.From], anchor[e.To]
		if from == "" || to == "" {
			continue
		}
		fmt.Fprintf(ew, "  %s -> %s [ltail=%s, lhead=%s, label=%s];\n", from, to,
			strconv.Quote("cluster_"+strconv.Itoa(serviceIndex(p, e.From))),
			strconv.Quote("cluster_"+strconv.Itoa(serviceIndex(p, e.To))),
			strconv.Quote(edgeLabel(e)))
	}
	fmt.Fprintln(ew, "}")
	return ew.err
}

// Mermaid writes the services as a Mermaid flowchart, one subgraph per service.
func Mermaid(w io.Writer, p *plan.Plan) error {
	ew := &errWriter{w: w}
	fmt.Fprintln(ew, "flowchart LR")
	for i, s := range p.Services {
		fmt.Fprintf(ew, "  subgraph s%d[%s]\n", i, mermaidText(s.Name))
		if len(s.Packages) == 0 {
			fmt.Fprintf(ew, "    s%d_empty[%s]\n", i, mermaidText("(no packages)"))
		}
		for j, pkg := range s.Packages {
			fmt.Fprintf(ew, "    s%d_p%d[%s]\n", i, j, mermaidText(shortPath(p.Module, pkg)))
		}
		fmt.Fprintln(ew, "  end")
	}
	if len(p.Kernel) > 0 {
		fmt.Fprintf(ew, "  subgraph kernel[%s]\n", mermaidText("kernel (shared library)"))
		for j, k := range p.Kernel {
			fmt.Fprintf(ew, "    k%d[%s]\n", j, mermaidText(shortPath(p.Module, k)))
		}
		fmt.Fprintln(ew, "  end")
	}
	for _, e := range sortedEdges(p) {
		fi, ti := serviceIndex(p, e.From), serviceIndex(p, e.To)
		if fi < 0 || ti < 0 {
			continue
		}
		fmt.Fprintf(ew, "  s%d -->|%s| s%d\n", fi, mermaidText(edgeLabel(e)), ti)
	}
	return ew.err
}

func serviceIndex(p *plan.Plan, name string) int {
	for i, s := range p.Services {
		if s.Name == name {
			return i
		}
	}
	return -1
}

func edgeLabel(e plan.Edge) string {
	if e.Refs == 0 {
		return fmt.Sprintf("%d calls", e.Calls)
	}
	return fmt.Sprintf("%d calls, %d refs", e.Calls, e.Refs)
}

// mermaidText quotes a label so that Mermaid does not read brackets or pipes in it as syntax.
func mermaidText(s string) string {
	return `"` + strings.NewReplacer(`"`, "#quot;", "|", "#124;").Replace(s) + `"`
}
