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
func DOT(w io.Writer, p *plan.Plan) error { return dotPackages(w, p, Options{}) }

// dotPackages is DOT with the options: references-only dependencies only with opts.Refs.
func dotPackages(w io.Writer, p *plan.Plan, opts Options) error {
	ew := &errWriter{w: w}
	fmt.Fprintf(ew, "digraph carve {\n  label=%s;\n  labelloc=t;\n  rankdir=LR;\n  compound=true;\n  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=9];\n", strconv.Quote(p.Module))
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
	for _, grp := range outsideGroups(p) {
		fmt.Fprintf(ew, "  subgraph cluster_%s {\n    label=%s;\n    style=dashed;\n", grp.id, strconv.Quote(grp.label()))
		for _, k := range grp.packages {
			fmt.Fprintf(ew, "    %s [label=%s, style=\"rounded,dashed\"];\n", strconv.Quote(k), strconv.Quote(shortPath(p.Module, k)))
		}
		fmt.Fprintln(ew, "  }")
	}
	for _, e := range shownEdges(p, opts) {
		from, to := anchor[e.From], anchor[e.To]
		if from == "" || to == "" {
			continue
		}
		fmt.Fprintf(ew, "  %s -> %s [ltail=%s, lhead=%s, label=%s];\n", from, to,
			strconv.Quote("cluster_"+strconv.Itoa(serviceIndex(p, e.From))),
			strconv.Quote("cluster_"+strconv.Itoa(serviceIndex(p, e.To))),
			strconv.Quote(edgeLabel(e)))
	}
	dotAsync(ew, p, func(i int) (string, string) {
		if i < 0 || anchor[p.Services[i].Name] == "" {
			return "", ""
		}
		return anchor[p.Services[i].Name], "cluster_" + strconv.Itoa(i)
	})
	fmt.Fprintln(ew, "}")
	return ew.err
}

// Mermaid writes the services as a Mermaid flowchart, one subgraph per service.
func Mermaid(w io.Writer, p *plan.Plan) error { return mermaidPackages(w, p, Options{}) }

// mermaidPackages is Mermaid with the options: references-only dependencies only with opts.Refs.
func mermaidPackages(w io.Writer, p *plan.Plan, opts Options) error {
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
	for _, grp := range outsideGroups(p) {
		fmt.Fprintf(ew, "  subgraph %s[%s]\n", grp.id, mermaidText(grp.label()))
		for j, k := range grp.packages {
			fmt.Fprintf(ew, "    %s%d[%s]\n", grp.id[:1], j, mermaidText(shortPath(p.Module, k)))
		}
		fmt.Fprintln(ew, "  end")
	}
	for _, e := range shownEdges(p, opts) {
		fi, ti := serviceIndex(p, e.From), serviceIndex(p, e.To)
		if fi < 0 || ti < 0 {
			continue
		}
		fmt.Fprintf(ew, "  s%d -->|%s| s%d\n", fi, mermaidText(edgeLabel(e)), ti)
	}
	mermaidAsync(ew, p)
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
	switch {
	case e.Refs == 0:
		return count(e.Calls, "call")
	case e.Calls == 0:
		return count(e.Refs, "ref")
	}
	return count(e.Calls, "call") + ", " + count(e.Refs, "ref")
}

// mermaidText quotes a label so that Mermaid does not read brackets or pipes in it as syntax.
func mermaidText(s string) string {
	return `"` + strings.NewReplacer(`"`, "#quot;", "|", "#124;").Replace(s) + `"`
}

// outsideGroup is a group of packages in no service: the kernel, the wiring, the tools.
type outsideGroup struct {
	id, title, note string
	short           string // the note in a picture's cluster label
	packages        []string
}

func (g outsideGroup) label() string { return g.id + " (" + g.short + ")" }

// outsideGroups lists the plan's non-empty groups of packages that are in no service.
func outsideGroups(p *plan.Plan) []outsideGroup {
	var out []outsideGroup
	for _, g := range []outsideGroup{
		{"kernel", "Kernel", "shared library, not a service", "shared library", p.Kernel},
		{"wiring", "Wiring", "composition roots: wire several services, in none", "composition roots", p.Wiring},
		{"tools", "Tools", "tooling mains: never a service", "tooling mains", p.Tools},
	} {
		if len(g.packages) > 0 {
			out = append(out, g)
		}
	}
	return out
}

// moduleTitle and moduleName head a report: a workspace of several modules is named as such,
// not after its first module.
func moduleTitle(p *plan.Plan) string {
	if len(p.Modules) > 1 {
		return "Workspace"
	}
	return "Module"
}

func moduleName(p *plan.Plan) string {
	if len(p.Modules) > 1 {
		return fmt.Sprintf("%d modules (%s, …)", len(p.Modules), strings.Join(p.Modules[:min(2, len(p.Modules))], ", "))
	}
	return p.Module
}
